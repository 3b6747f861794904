//! The cases of `shared/cases/README.md` (faults other YAML language servers had in parsing
//! and positions), each as a test with its exact expected diagnostics.
//!
//! Diagnostics are rendered one per line as `L:C-L:C severity[code] message`, with LSP
//! positions (0-based, UTF-16 columns unless a test says otherwise), and related
//! information indented below.

use std::fmt::Write as _;

use stella_lsp::core::{analyze, Analyzer, Context, Diagnostic, Encoding, LineIndex};

const REL: &str =
    "release:\n  name: app\n  tag_pattern: \"v*\"\n  version_pattern: \"v{version}\"\n";
const COMP: &str = "components:\n  - name: api\n    image: registry.example/api\n    dockerfile: Dockerfile\n    build_context: .\n";

fn render_with(text: &str, encoding: Encoding, diagnostics: &[Diagnostic]) -> Vec<String> {
    let index = LineIndex::new(text);
    let range = |span: stella_lsp::core::Span| {
        let start = index.line_col(text, span.start, encoding);
        let end = index.line_col(text, span.end, encoding);
        format!("{}:{}-{}:{}", start.line, start.col, end.line, end.col)
    };
    let mut lines = Vec::new();
    for diagnostic in diagnostics {
        lines.push(format!(
            "{} {}[{}] {}",
            range(diagnostic.span),
            diagnostic.severity,
            diagnostic.code,
            diagnostic.message
        ));
        for related in &diagnostic.related {
            lines.push(format!("  {} {}", range(related.span), related.message));
        }
    }
    lines
}

/// The full analysis, rendered; the incremental one must give exactly the same.
fn check(text: &str) -> Vec<String> {
    let full = analyze(text, &Context::default()).diagnostics;
    let incremental = Analyzer::default().analyze(text, &Context::default()).diagnostics;
    assert_eq!(incremental, full, "the incremental analysis differs from the full one");
    render_with(text, Encoding::Utf16, &full)
}

#[test]
fn example_is_clean() {
    let text = include_str!("fixtures/example/.stella.yaml");
    assert_eq!(check(text), Vec::<String>::new());
}

#[test]
fn b01_1_junk_after_a_quoted_scalar() {
    let text = "release:\n  name: app\n  tag_pattern: \"v*\"x\n  version_pattern: \"v{version}\"\n"
        .to_owned()
        + COMP;
    assert_eq!(
        check(&text),
        ["2:19-2:20 error[syntax] invalid trailing content after double-quoted scalar"]
    );
}

fn b01_2() -> String {
    REL.to_owned()
        + "components:\n  - name: api\n    image: registry.example/api\n    image: registry.example/api2\n    dockerfile: Dockerfile\n    build_context: .\n"
}

#[test]
fn b01_2_duplicate_key_on_the_second_key() {
    assert_eq!(
        check(&b01_2()),
        [
            "7:4-7:9 error[duplicate-key] duplicate key `image`",
            "  6:4-6:9 `image` is first set here"
        ]
    );
}

#[test]
fn b02_1_crlf_line_endings() {
    let text = b01_2().replace('\n', "\r\n");
    assert_eq!(
        check(&text),
        [
            "7:4-7:9 error[duplicate-key] duplicate key `image`",
            "  6:4-6:9 `image` is first set here"
        ]
    );
}

#[test]
fn b02_2_lone_cr_line_endings() {
    let text = b01_2().replace('\n', "\r");
    assert_eq!(
        check(&text),
        [
            "7:4-7:9 error[duplicate-key] duplicate key `image`",
            "  6:4-6:9 `image` is first set here"
        ]
    );
}

#[test]
fn b02_value_ranges_end_before_the_carriage_return() {
    // The image on line 7 is invalid here, so its diagnostic shows where a value ends.
    let text = b01_2()
        .replace("    image: registry.example/api\n", "")
        .replace("api2", "API2")
        .replace('\n', "\r\n");
    assert_eq!(
        check(&text),
        ["6:11-6:32 error[invalid-image] `registry.example/API2` is not a valid image reference: `API2` has upper-case letters; repository names are lower case"]
    );
}

fn b03() -> String {
    REL.to_owned()
        + "components:\n  - {name: api, image: \"registry.example/é🚀\", dockerfile: Dockerfile, build_context: ., name: api2}\n"
}

#[test]
fn b03_utf16_columns_after_astral_characters() {
    assert_eq!(
        check(&b03()),
        [
            "5:89-5:93 error[duplicate-key] duplicate key `name`",
            "  5:5-5:9 `name` is first set here"
        ]
    );
}

#[test]
fn b03_utf8_columns_when_negotiated() {
    let text = b03();
    let diagnostics = analyze(&text, &Context::default()).diagnostics;
    assert_eq!(
        render_with(&text, Encoding::Utf8, &diagnostics),
        [
            "5:92-5:96 error[duplicate-key] duplicate key `name`",
            "  5:5-5:9 `name` is first set here"
        ]
    );
}

#[test]
fn b04_1_bom_counts_as_one_column() {
    let line =
        "release: {name: app, tag_pattern: \"v*\", version_pattern: \"v{version}\", name: x}\n";
    let with_bom = format!("\u{FEFF}{line}{COMP}");
    let without_bom = format!("{line}{COMP}");

    assert_eq!(
        check(&with_bom),
        [
            "0:72-0:76 error[duplicate-key] duplicate key `name`",
            "  0:11-0:15 `name` is first set here"
        ]
    );
    assert_eq!(
        check(&without_bom),
        [
            "0:71-0:75 error[duplicate-key] duplicate key `name`",
            "  0:10-0:14 `name` is first set here"
        ]
    );
}

#[test]
fn b04_2_bom_before_a_document_marker() {
    let text = format!("\u{FEFF}---\n{REL}{COMP}");
    assert_eq!(check(&text), Vec::<String>::new());
}

const B06_1: &str = "auto_promote:\n  enabled: true\n  environments:\n    - &gated\n      name: staging\n      auto_approve: false\n      require_tests: true\n      test_workflow: ci.yml\n    - <<: *gated\n      name: production\n      require_review: true\n";

#[test]
fn b06_1_merge_key_with_an_anchored_item() {
    assert_eq!(check(&format!("{REL}{COMP}{B06_1}")), Vec::<String>::new());
}

#[test]
fn b06_1_resolved_model_of_the_merged_environment() {
    let text = format!("{REL}{COMP}{B06_1}");
    let parsed = stella_lsp::core::yaml::parse(&text);
    let root = parsed.tree.documents[0].root.unwrap();
    let config = stella_lsp::core::model::config(&parsed.tree, root);
    let production = &config.auto_promote.unwrap().environments[1];

    assert_eq!(production.name.value, "production");
    assert_eq!(production.auto_approve.as_ref().map(|value| value.value), Some(false));
    assert_eq!(production.require_tests.as_ref().map(|value| value.value), Some(true));
    assert_eq!(production.test_workflow.as_ref().map(|value| value.value.as_str()), Some("ci.yml"));
    assert_eq!(production.require_review.as_ref().map(|value| value.value), Some(true));
}

#[test]
fn b06_2_anchor_defined_on_the_merge_value() {
    let text = format!(
        "{REL}{COMP}auto_promote:\n  enabled: true\n  environments:\n    - name: staging-eu\n      <<: &flags\n        auto_approve: false\n        require_tests: true\n    - name: production\n      <<: *flags\n"
    );
    assert_eq!(check(&text), Vec::<String>::new());
}

#[test]
fn b06_invalid_merged_value_is_reported_once_at_its_source() {
    let text =
        format!("{REL}{COMP}{}", B06_1.replace("auto_approve: false", "auto_approve: maybe"));
    assert_eq!(
        check(&text),
        [
            "14:20-14:25 error[wrong-type] `auto_approve` must be a boolean, got a string `maybe`",
            "  17:6-17:8 the value comes in here",
        ]
    );
}

#[test]
fn b06_earlier_merge_sources_win() {
    let text = format!(
        "{REL}{COMP}auto_promote:\n  environments:\n    - &a {{name: a, auto_approve: false, require_tests: true}}\n    - &b {{name: b, auto_approve: true, require_tests: false}}\n    - <<: [*a, *b]\n      name: c\n"
    );
    let parsed = stella_lsp::core::yaml::parse(&text);
    let root = parsed.tree.documents[0].root.unwrap();
    let config = stella_lsp::core::model::config(&parsed.tree, root);
    let merged = &config.auto_promote.unwrap().environments[2];

    assert_eq!(check(&text), Vec::<String>::new());
    assert_eq!(merged.name.value, "c");
    assert_eq!(merged.auto_approve.as_ref().map(|value| value.value), Some(false));
    assert_eq!(merged.require_tests.as_ref().map(|value| value.value), Some(true));
}

const B07_BOMB: &str = "ignore_paths:\n  - &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n  - &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  - &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  - &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  - &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n  - &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n  - &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n  - &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";

#[test]
fn b07_1_alias_bomb_is_one_error() {
    let text = format!("{B07_BOMB}{REL}{COMP}");
    assert_eq!(
        check(&text),
        ["6:8-6:10 error[alias-limit] alias expansion limit exceeded: the aliases here expand to more nodes than a file of this size may hold"]
    );
}

fn b07_2(components: usize) -> String {
    let mut text = REL.to_owned()
        + "components:\n  - &base\n    name: c0\n    image: registry.example/c0\n    dockerfile: Dockerfile\n    build_context: .\n";
    for index in 1..components {
        let _ = write!(
            text,
            "  - <<: *base\n    name: c{index}\n    image: registry.example/c{index}\n"
        );
    }
    text
}

#[test]
fn b07_2_heavy_legitimate_alias_use_passes() {
    assert_eq!(check(&b07_2(2_000)), Vec::<String>::new());
    assert_eq!(check(&b07_2(20_000)), Vec::<String>::new());
}

#[test]
fn b07_3_deep_flow_nesting_is_one_error() {
    let text = format!("ignore_paths: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        check(&text),
        ["0:269-0:270 error[nesting-limit] collections nest deeper than 256 levels here"]
    );
}

#[test]
fn b07_deep_block_nesting_is_one_error() {
    let mut text = String::from("ignore_paths:\n");
    for depth in 0..400 {
        text.push_str(&" ".repeat(depth * 2 + 2));
        text.push_str("-\n");
    }
    assert_eq!(
        check(&text),
        ["256:512-256:513 error[nesting-limit] collections nest deeper than 256 levels here"]
    );
}

#[test]
fn b08_1_empty_text() {
    assert_eq!(
        check(""),
        ["0:0-0:0 error[missing-key] missing required properties: release, components"]
    );
}

#[test]
fn b08_2_only_a_comment() {
    assert_eq!(
        check("# stella config\n"),
        ["0:0-0:0 error[missing-key] missing required properties: release, components"]
    );
}

#[test]
fn b08_3_a_second_document() {
    let text = format!("{REL}{COMP}---\n{REL}");
    assert_eq!(
        check(&text),
        ["9:0-9:3 error[multiple-documents] a `.stella.yaml` holds a single YAML document; remove this document marker and what follows, or move it to its own file"]
    );
}

#[test]
fn b08_4_one_document_with_a_start_marker() {
    assert_eq!(check(&format!("---\n{REL}{COMP}")), Vec::<String>::new());
}

#[test]
fn b09_yaml_1_2_booleans_and_nulls() {
    let text = format!(
        "{REL}{COMP}auto_promote:\n  enabled: yes\n  environments:\n    - name: staging\n      auto_approve: True\n      require_tests: off\n      test_workflow: ~\n    - name: production\n      auto_approve: false\n      require_tests: true\n      test_workflow:\n"
    );
    assert_eq!(
        check(&text),
        [
            "10:11-10:14 error[wrong-type] expected boolean, got the string `yes` (YAML 1.2 reads `yes` as text; write `true`)",
            "14:21-14:24 error[wrong-type] expected boolean, got the string `off` (YAML 1.2 reads `off` as text; write `false`)",
            "15:21-15:22 error[wrong-type] `test_workflow` must be a string; `~` is null",
            "19:6-19:19 error[wrong-type] `test_workflow` has no value (null); give a string or remove the key",
        ]
    );
}

#[test]
fn b09_quoted_yes_where_text_is_expected_is_fine() {
    let text = format!("{}{COMP}", REL.replace("name: app", "name: \"yes\""));
    assert_eq!(check(&text), Vec::<String>::new());
}

const B11: &str = "components:\n  - name: api\n    imgae: registry.example/api\n    dockerfile: Dockerfile\n    build_context: .\nignore_paths: [docs/**, *.md]\n";

#[test]
fn b11_unquoted_glob_read_as_an_alias() {
    assert_eq!(
        check(&format!("{REL}{B11}")),
        ["9:24-9:28 error[undefined-alias] `*.md` is read as an alias to an undefined anchor `.md`; if you meant a glob, quote it: `'*.md'`"]
    );
}

#[test]
fn b11_after_quoting_errors_sit_on_the_key_and_the_dash() {
    let text = format!("{REL}{}", B11.replace("*.md", "'*.md'"));
    assert_eq!(
        check(&text),
        [
            "5:2-5:3 error[missing-key] component is missing required property `image`",
            "6:4-6:9 error[unknown-key] unknown property `imgae` (did you mean `image`?)",
        ]
    );
}

#[test]
fn b11_missing_key_of_a_mapping_value_goes_on_its_key() {
    let text = format!("release:\n  name: app\n{COMP}");
    assert_eq!(
        check(&text),
        ["0:0-0:7 error[missing-key] `release` is missing required property `tag_pattern`"]
    );
}
