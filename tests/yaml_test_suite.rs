//! The official YAML test suite, run through our parser and resolver.
//!
//! The suite is not part of this repository: point `STELLA_YAML_TEST_SUITE` at its data
//! folder (`.ci/run` sets it to `../shared/corpora/yaml-test-suite`). Without it the test
//! says it was skipped and passes.
//!
//! For every case: no panic; a case marked `error` gets a syntax-stage diagnostic; a case
//! with `in.json` converts to equal JSON. Where the parser we build on deviates, the case is
//! listed below with its reason, and the list must match exactly what happens.
#![allow(clippy::print_stderr, reason = "the test reports its counts and deviations on stderr")]

use std::panic;
use std::path::{Path, PathBuf};

use serde_json::Value;
use stella_lsp::core::yaml::resolve::{self, Options};
use stella_lsp::core::yaml::{self};

/// Cases marked `error` that the parser accepts, with why.
const ACCEPTED_ERRORS: &[(&str, &str)] = &[];

/// Valid cases whose JSON differs from `in.json`, or that the parser rejects, with why.
const JSON_DEVIATIONS: &[(&str, &str)] = &[];

fn suite() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os("STELLA_YAML_TEST_SUITE")?);
    assert!(path.is_dir(), "STELLA_YAML_TEST_SUITE={} is not a directory", path.display());
    Some(path)
}

/// Every folder holding an `in.yaml`, as (case id, folder); sub-cases are `ID/NN`.
fn cases(root: &Path) -> Vec<(String, PathBuf)> {
    let mut cases = Vec::new();
    let mut folders: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|entry| entry.unwrap().path()).collect();
    folders.sort();
    for folder in folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        if folder.join("in.yaml").is_file() {
            cases.push((name, folder));
            continue;
        }
        if !folder.is_dir() {
            continue;
        }
        let mut subfolders: Vec<PathBuf> =
            std::fs::read_dir(&folder).unwrap().map(|entry| entry.unwrap().path()).collect();
        subfolders.sort();
        for subfolder in subfolders {
            if subfolder.join("in.yaml").is_file() {
                let sub = subfolder.file_name().unwrap().to_string_lossy().into_owned();
                cases.push((format!("{name}/{sub}"), subfolder));
            }
        }
    }
    cases
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Pass,
    AcceptedError,
    Deviation(String),
    Panic,
}

fn run_case(folder: &Path) -> Outcome {
    let text = std::fs::read_to_string(folder.join("in.yaml")).unwrap();
    let expects_error = folder.join("error").exists();
    let expected_json = std::fs::read_to_string(folder.join("in.json")).ok();

    let outcome = panic::catch_unwind(|| {
        let parsed = yaml::parse(&text);
        if expects_error {
            return if parsed.diagnostics.is_empty() {
                Outcome::AcceptedError
            } else {
                Outcome::Pass
            };
        }
        let Some(expected_json) = &expected_json else {
            return Outcome::Pass;
        };
        if let Some(first) = parsed.diagnostics.first() {
            return Outcome::Deviation(format!("rejected: {}", first.message));
        }

        let expected: Vec<Value> = serde_json::Deserializer::from_str(expected_json)
            .into_iter::<Value>()
            .map(Result::unwrap)
            .collect();
        let mut actual = Vec::new();
        for document in &parsed.tree.documents {
            let value = match document.root {
                Some(root) => match resolve::to_json(
                    &parsed.tree,
                    root,
                    usize::MAX,
                    Options { merge_keys: false },
                ) {
                    Ok(value) => value,
                    Err(diagnostic) => {
                        return Outcome::Deviation(format!("not converted: {}", diagnostic.message))
                    }
                },
                None => Value::Null,
            };
            actual.push(value);
        }
        if same(&actual, &expected) {
            Outcome::Pass
        } else {
            Outcome::Deviation(format!(
                "got {}, expected {}",
                Value::Array(actual),
                Value::Array(expected)
            ))
        }
    });
    outcome.unwrap_or(Outcome::Panic)
}

/// JSON equality where numbers compare by value (`1.0` equals `1`).
fn same(actual: &[Value], expected: &[Value]) -> bool {
    fn equal(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| equal(a, b))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(key, value)| b.get(key).is_some_and(|other| equal(value, other)))
            }
            _ => a == b,
        }
    }
    actual.len() == expected.len() && actual.iter().zip(expected).all(|(a, b)| equal(a, b))
}

#[test]
fn yaml_test_suite() {
    let Some(root) = suite() else {
        eprintln!("skipped: set STELLA_YAML_TEST_SUITE to the yaml-test-suite data folder to run this test");
        return;
    };

    let mut panics = Vec::new();
    let mut accepted_errors = Vec::new();
    let mut deviations = Vec::new();
    let mut counts = (0, 0, 0);
    let cases = cases(&root);
    assert!(
        !cases.is_empty(),
        "STELLA_YAML_TEST_SUITE={} holds no case (no folder with an in.yaml)",
        root.display()
    );
    for (id, folder) in &cases {
        match run_case(folder) {
            Outcome::Pass => counts.0 += 1,
            Outcome::Panic => panics.push(id.clone()),
            Outcome::AcceptedError => accepted_errors.push(id.clone()),
            Outcome::Deviation(reason) => deviations.push((id.clone(), reason)),
        }
        if folder.join("error").exists() {
            counts.1 += 1;
        } else if folder.join("in.json").exists() {
            counts.2 += 1;
        }
    }

    eprintln!(
        "yaml-test-suite: {} cases ({} error cases, {} with in.json), {} pass; {} accepted error cases and {} JSON deviations are listed",
        cases.len(),
        counts.1,
        counts.2,
        counts.0,
        accepted_errors.len(),
        deviations.len()
    );
    for (id, reason) in &deviations {
        eprintln!("deviation {id}: {reason}");
    }
    assert_eq!(panics, Vec::<String>::new(), "cases that panicked");
    assert_eq!(
        accepted_errors,
        ACCEPTED_ERRORS.iter().map(|(id, _)| (*id).to_owned()).collect::<Vec<_>>()
    );
    assert_eq!(
        deviations.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        JSON_DEVIATIONS.iter().map(|(id, _)| (*id).to_owned()).collect::<Vec<_>>()
    );
}
