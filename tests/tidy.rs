//! House rules checked on every test run: a `//!` doc on every Rust file, no trailing
//! white space, no `#[ignore]`, and a README rules table that matches the code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use stella_lsp::core::Code;

fn rust_files(folder: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for folder in ["src", "tests"] {
        rust_files(&root.join(folder), &mut files);
    }
    files.sort();
    files.into_iter().map(|path| (path.clone(), std::fs::read_to_string(path).unwrap())).collect()
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let missing: Vec<String> = sources()
        .iter()
        .filter(|(_, text)| !text.trim_start().starts_with("//!"))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert_eq!(missing, Vec::<String>::new());
}

#[test]
fn no_trailing_white_space_and_no_ignored_tests() {
    let mut offending = Vec::new();
    let ignore_attribute = ["#[", "ignore]"].concat();
    for (path, text) in sources() {
        for (number, line) in text.lines().enumerate() {
            if line.ends_with([' ', '\t']) || line.trim() == ignore_attribute {
                offending.push(format!("{}:{}", path.display(), number + 1));
            }
        }
    }
    assert_eq!(offending, Vec::<String>::new());
}

/// The rules table of the README, as the code defines the rules.
fn rules_table() -> String {
    let mut table =
        String::from("| code | stage | severity | what it reports |\n| --- | --- | --- | --- |\n");
    for code in Code::ALL {
        let stage = format!("{:?}", code.stage()).to_lowercase();
        let _ = writeln!(
            table,
            "| `{}` | {stage} | {} | {} |",
            code.as_str(),
            code.severity(),
            code.summary()
        );
    }
    table
}

#[test]
fn readme_rules_table_matches_the_code() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = rules_table();
    assert!(
        readme.contains(&table),
        "the README's rules table is out of date; it should read:\n{table}"
    );
}
