//! `check` on files with known faults (cases B01-2, B02, B03, B04 in
//! `shared/cases/README.md`): exact lines, columns and JSON ranges.

mod support;

use std::process::Output;

use serde_json::{json, Value};
use support::{run_cli, DUPLICATE_IMAGE};

const REL: &str =
    "release:\n  name: app\n  tag_pattern: \"v*\"\n  version_pattern: \"v{version}\"\n";
const COMP: &str = "components:\n  - name: api\n    image: registry.example/api\n    dockerfile: Dockerfile\n    build_context: .\n";

fn check(content: &str, args: &[&str]) -> Output {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join(".stella.yaml"), content).unwrap();
    std::fs::write(directory.path().join("Dockerfile"), "FROM scratch\n").unwrap();

    run_cli(directory.path(), args)
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone()).unwrap().lines().map(str::to_owned).collect()
}

/// Asserts one diagnostic with one related note, in the human format.
fn assert_human(output: &Output, first: &str, note_prefix: &str) {
    let lines = stdout_lines(output);

    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], first);
    assert!(lines[1].starts_with(note_prefix), "{lines:?}");
    assert!(lines[1].len() > note_prefix.len(), "the note has a message: {lines:?}");
    assert_eq!(
        String::from_utf8(output.stderr.clone()).unwrap(),
        "checked 1 file: 1 error, 0 warnings\n"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn b01_2_human_format() {
    let output = check(DUPLICATE_IMAGE, &["check"]);

    assert_human(
        &output,
        ".stella.yaml:8:5: error[duplicate-key]: duplicate key `image`",
        "  .stella.yaml:7:5: note: ",
    );
}

#[test]
fn b01_2_json_format() {
    let output = check(DUPLICATE_IMAGE, &["check", "--format", "json"]);

    let mut parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let related_message = parsed[0]["diagnostics"][0]["related"][0]["message"].take();
    assert!(related_message.as_str().is_some_and(|message| !message.is_empty()));
    assert_eq!(
        parsed,
        json!([{
            "path": ".stella.yaml",
            "diagnostics": [{
                "severity": "error",
                "code": "duplicate-key",
                "message": "duplicate key `image`",
                "range": {"start": {"line": 7, "character": 4}, "end": {"line": 7, "character": 9}},
                "location": {"start": {"line": 8, "column": 5}, "end": {"line": 8, "column": 10}},
                "related": [{
                    "message": null,
                    "range": {"start": {"line": 6, "character": 4}, "end": {"line": 6, "character": 9}},
                    "location": {"start": {"line": 7, "column": 5}, "end": {"line": 7, "column": 10}}
                }]
            }]
        }])
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn b02_crlf_and_lone_cr_count_one_line_break_each() {
    for line_break in ["\r\n", "\r"] {
        let text = DUPLICATE_IMAGE.replace('\n', line_break);

        let output = check(&text, &["check"]);

        assert_human(
            &output,
            ".stella.yaml:8:5: error[duplicate-key]: duplicate key `image`",
            "  .stella.yaml:7:5: note: ",
        );
    }
}

#[test]
fn b03_human_columns_count_code_points_and_json_ranges_utf16() {
    let text = format!(
        "{REL}components:\n  - {{name: api, image: \"registry.example/é🚀\", dockerfile: Dockerfile, build_context: ., name: api2}}\n"
    );

    let human = check(&text, &["check"]);
    let json = check(&text, &["check", "--format", "json"]);

    assert_human(
        &human,
        ".stella.yaml:6:89: error[duplicate-key]: duplicate key `name`",
        "  .stella.yaml:6:6: note: ",
    );
    let parsed: Value = serde_json::from_slice(&json.stdout).unwrap();
    let diagnostic = &parsed[0]["diagnostics"][0];
    assert_eq!(
        diagnostic["range"],
        json!({"start": {"line": 5, "character": 89}, "end": {"line": 5, "character": 93}})
    );
    assert_eq!(
        diagnostic["location"],
        json!({"start": {"line": 6, "column": 89}, "end": {"line": 6, "column": 93}})
    );
}

#[test]
fn b04_1_a_bom_read_from_disk_counts_as_one_column() {
    let text = format!(
        "\u{FEFF}release: {{name: app, tag_pattern: \"v*\", version_pattern: \"v{{version}}\", name: x}}\n{COMP}"
    );

    let output = check(&text, &["check"]);

    assert_human(
        &output,
        ".stella.yaml:1:73: error[duplicate-key]: duplicate key `name`",
        "  .stella.yaml:1:12: note: ",
    );
}

#[test]
fn warnings_alone_exit_0() {
    // `dockerfile` names a file that does not exist: a `missing-path` warning.
    let text = format!("{REL}{COMP}").replace("dockerfile: Dockerfile", "dockerfile: Missing");

    let output = check(&text, &["check"]);

    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    // The column depends on whether the core marks the key or the value.
    assert!(lines[0].starts_with(".stella.yaml:8:"), "{lines:?}");
    assert!(lines[0].contains(": warning[missing-path]: "), "{lines:?}");
    assert_eq!(
        String::from_utf8(output.stderr.clone()).unwrap(),
        "checked 1 file: 0 errors, 1 warning\n"
    );
    assert_eq!(output.status.code(), Some(0));
}
