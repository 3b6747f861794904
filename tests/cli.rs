//! The command line: exit codes, output formats, file discovery. These hold with any core;
//! the ones that need real diagnostics are in `cli_diagnostics.rs`.

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};
use support::run_cli;

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn example() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/example"))
}

fn write(directory: &Path, relative: &str, content: &[u8]) {
    let path = directory.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

#[test]
fn the_example_checks_clean_and_exits_0() {
    let output = run_cli(example(), &["check"]);

    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "checked 1 file: 0 errors, 0 warnings\n");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn json_lists_every_file_with_its_diagnostics() {
    let output = run_cli(example(), &["check", "--format", "json", ".stella.yaml"]);

    let parsed: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(parsed, json!([{"path": ".stella.yaml", "diagnostics": []}]));
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn discovery_finds_stella_files_and_skips_build_and_vcs_folders() {
    let directory = tempfile::tempdir().unwrap();
    for relative in [
        "a/.stella.yaml",
        "b/app.stella.yml",
        ".stella.yaml",
        "target/x.stella.yaml",
        "node_modules/y.stella.yaml",
        ".git/z.stella.yaml",
        "c/values.yaml",
        "c/stella.yaml",
    ] {
        write(directory.path(), relative, b"release: {}\n");
    }

    let output = run_cli(directory.path(), &["check", "--format", "json"]);

    let parsed: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let paths: Vec<&str> =
        parsed.as_array().unwrap().iter().map(|file| file["path"].as_str().unwrap()).collect();
    assert_eq!(paths, [".stella.yaml", "a/.stella.yaml", "b/app.stella.yml"]);
}

#[test]
fn a_directory_argument_is_searched() {
    let directory = tempfile::tempdir().unwrap();
    write(directory.path(), "deploy/.stella.yaml", b"release: {}\n");
    write(directory.path(), "deploy/other.yaml", b"a: 1\n");

    let output = run_cli(directory.path(), &["check", "--format", "json", "deploy"]);

    let parsed: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(parsed[0]["path"], "deploy/.stella.yaml");
    assert_eq!(parsed.as_array().unwrap().len(), 1);
}

#[test]
fn no_files_found_exits_2() {
    let directory = tempfile::tempdir().unwrap();

    let output = run_cli(directory.path(), &["check"]);

    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "stella-lsp: no .stella.yaml or .stella.yml file found below the current directory\n"
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_folder_without_config_files_exits_2() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir(directory.path().join("empty")).unwrap();

    let output = run_cli(directory.path(), &["check", "empty"]);

    assert_eq!(
        stderr(&output),
        "stella-lsp: no .stella.yaml or .stella.yml file found below empty\n"
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_missing_file_exits_2() {
    let directory = tempfile::tempdir().unwrap();

    let output = run_cli(directory.path(), &["check", "missing.stella.yaml"]);

    assert_eq!(
        stderr(&output),
        "stella-lsp: cannot read missing.stella.yaml: No such file or directory (os error 2)\n"
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn invalid_utf8_is_an_io_error_and_exits_2() {
    let directory = tempfile::tempdir().unwrap();
    write(directory.path(), "bad.stella.yaml", b"ab\xffc\n");
    write(
        directory.path(),
        "good.stella.yaml",
        b"release:\n  name: app\n  tag_pattern: v*\ncomponents:\n  - name: api\n    image: registry.example/api\n",
    );

    let output = run_cli(directory.path(), &["check", "bad.stella.yaml", "good.stella.yaml"]);

    assert_eq!(
        stderr(&output),
        "stella-lsp: bad.stella.yaml is not valid UTF-8 (at byte 2)\n\
         checked 1 file: 0 errors, 0 warnings, 1 file not read\n"
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    let directory = tempfile::tempdir().unwrap();

    let unknown_command = run_cli(directory.path(), &["frobnicate"]);
    let unknown_format = run_cli(directory.path(), &["check", "--format", "xml"]);

    assert_eq!(unknown_command.status.code(), Some(2));
    assert_eq!(unknown_format.status.code(), Some(2));
    assert!(stderr(&unknown_format).contains("invalid value 'xml' for '--format <FORMAT>'"));
}

#[test]
fn schema_prints_the_embedded_schema() {
    let output = run_cli(example(), &["schema"]);

    let schema = stella_lsp::core::SCHEMA;
    let expected = if schema.ends_with('\n') { schema.to_owned() } else { format!("{schema}\n") };
    assert_eq!(stdout(&output), expected);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn version_and_help() {
    let version = run_cli(example(), &["--version"]);
    let help = run_cli(example(), &["--help"]);

    assert_eq!(stdout(&version), format!("stella-lsp {}\n", env!("CARGO_PKG_VERSION")));
    assert!(stdout(&help).contains("check"));
    assert_eq!(help.status.code(), Some(0));
}
