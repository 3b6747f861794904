//! Suppressions (`# stella-ignore: <code>` and `# stella-ignore-file: <code>`) in the core:
//! exact diagnostics, the same from the full and the incremental analysis.
//!
//! Diagnostics are rendered as `L:C-L:C severity[code] message`, 0-based lines and UTF-16
//! columns.

use stella_lsp::core::{analyze, Analyzer, Context, Encoding, LineIndex};

const REL: &str =
    "release:\n  name: app\n  tag_pattern: \"v*\"\n  version_pattern: \"v{version}\"\n";

fn check(text: &str) -> Vec<String> {
    let full = analyze(text, &Context::default()).diagnostics;
    let incremental = Analyzer::default().analyze(text, &Context::default()).diagnostics;
    assert_eq!(incremental, full, "the incremental analysis differs from the full one");

    let index = LineIndex::new(text);
    full.iter()
        .map(|diagnostic| {
            let start = index.line_col(text, diagnostic.span.start, Encoding::Utf16);
            let end = index.line_col(text, diagnostic.span.end, Encoding::Utf16);
            format!(
                "{}:{}-{}:{} {}[{}] {}",
                start.line,
                start.col,
                end.line,
                end.col,
                diagnostic.severity,
                diagnostic.code,
                diagnostic.message
            )
        })
        .collect()
}

const VALID: &str = "release:\n  name: app\n  tag_pattern: \"v*\"\n  version_pattern: \"v{version}\"\ncomponents:\n  - name: api\n    image: registry.example/api\n";

/// A component with two misspelt keys, `imgae` and `dockerfil`, each after the given lines.
fn two_unknown_keys(before_imgae: &str, before_dockerfil: &str) -> String {
    format!(
        "{REL}components:\n  - name: api\n    image: registry.example/api\n{before_imgae}    imgae: x\n{before_dockerfil}    dockerfil: Dockerfile\n"
    )
}

#[test]
fn without_suppressions_both_keys_are_reported() {
    assert_eq!(
        check(&two_unknown_keys("", "")),
        [
            "7:4-7:9 error[unknown-key] unknown property `imgae` (did you mean `image`?)",
            "8:4-8:13 error[unknown-key] unknown property `dockerfil` (did you mean `dockerfile`?)",
        ]
    );
}

#[test]
fn a_line_suppression_hides_the_next_line_only() {
    let text = two_unknown_keys("    # stella-ignore: unknown-key\n", "");

    assert_eq!(
        check(&text),
        ["9:4-9:13 error[unknown-key] unknown property `dockerfil` (did you mean `dockerfile`?)"]
    );
}

#[test]
fn a_file_suppression_hides_the_code_everywhere() {
    let text = "# stella-ignore-file: unknown-key\n".to_owned() + &two_unknown_keys("", "");

    assert_eq!(check(&text), Vec::<String>::new());
}

#[test]
fn several_codes_on_one_line_and_the_unused_one_is_reported() {
    let text = two_unknown_keys("", "    #stella-ignore: missing-key,unknown-key , wrong-type\n");

    assert_eq!(
        check(&text),
        [
            "7:4-7:9 error[unknown-key] unknown property `imgae` (did you mean `image`?)",
            "8:20-8:31 warning[unused-suppression] no `missing-key` diagnostic on the next line to suppress; remove the code",
            "8:46-8:56 warning[unused-suppression] no `wrong-type` diagnostic on the next line to suppress; remove the code",
        ]
    );
}

#[test]
fn an_unused_file_suppression_is_reported() {
    let text = VALID.to_owned() + "# stella-ignore-file: invalid-glob\n";

    assert_eq!(
        check(&text),
        ["7:22-7:34 warning[unused-suppression] no `invalid-glob` diagnostic in this file to suppress; remove the code"]
    );
}

#[test]
fn an_unknown_code_is_named_with_a_did_you_mean() {
    let text = two_unknown_keys("    # stella-ignore: unknown-kye, no-such-rule\n", "");

    assert_eq!(
        check(&text),
        [
            "7:21-7:32 warning[unused-suppression] `unknown-kye` is not a known code; did you mean `unknown-key`?",
            "7:34-7:46 warning[unused-suppression] `no-such-rule` is not a known code",
            "8:4-8:9 error[unknown-key] unknown property `imgae` (did you mean `image`?)",
            "9:4-9:13 error[unknown-key] unknown property `dockerfil` (did you mean `dockerfile`?)",
        ]
    );
}

#[test]
fn syntax_errors_cannot_be_suppressed() {
    let text = "# stella-ignore-file: duplicate-key\nrelease:\n  name: a\n  name: b\n";

    assert_eq!(
        check(text),
        [
            "0:22-0:35 warning[unused-suppression] `duplicate-key` is a syntax error, which cannot be suppressed: the file is not checked further until it is fixed",
            "3:2-3:6 error[duplicate-key] duplicate key `name`",
        ]
    );
}

#[test]
fn codes_of_stages_that_did_not_run_are_not_reported_as_unused() {
    // The schema stage found something, so the semantic stage (invalid-glob) did not run.
    let text = "# stella-ignore-file: invalid-glob\n".to_owned() + &two_unknown_keys("", "");

    assert_eq!(
        check(&text),
        [
            "8:4-8:9 error[unknown-key] unknown property `imgae` (did you mean `image`?)",
            "9:4-9:13 error[unknown-key] unknown property `dockerfil` (did you mean `dockerfile`?)",
        ]
    );
}

#[test]
fn crlf_lines() {
    let text = two_unknown_keys("    # stella-ignore: unknown-key, wrong-type\n", "")
        .replace('\n', "\r\n");

    assert_eq!(
        check(&text),
        [
            "7:34-7:44 warning[unused-suppression] no `wrong-type` diagnostic on the next line to suppress; remove the code",
            "9:4-9:13 error[unknown-key] unknown property `dockerfil` (did you mean `dockerfile`?)",
        ]
    );
}

#[test]
fn a_hash_in_a_quoted_value_or_after_a_value_is_not_a_suppression() {
    let text = two_unknown_keys(
        "    description: \"# stella-ignore: unknown-key\" # stella-ignore: unknown-key\n",
        "",
    );

    assert_eq!(
        check(&text),
        [
            "7:4-7:15 error[unknown-key] unknown property `description`; expected one of: build_context, dockerfile, image, name",
            "8:4-8:9 error[unknown-key] unknown property `imgae` (did you mean `image`?)",
            "9:4-9:13 error[unknown-key] unknown property `dockerfil` (did you mean `dockerfile`?)",
        ]
    );
}

#[test]
fn a_comment_like_line_in_a_block_scalar_is_text() {
    let text = format!("{VALID}    notes: |\n      # stella-ignore: unknown-key\n    imgae: x\n");

    assert_eq!(
        check(&text),
        [
            "7:4-7:9 error[unknown-key] unknown property `notes`; expected one of: build_context, dockerfile, image, name",
            "9:4-9:9 error[unknown-key] unknown property `imgae` (did you mean `image`?)",
        ]
    );
}

#[test]
fn a_line_suppression_on_the_last_line_suppresses_nothing() {
    let text = VALID.to_owned() + "# stella-ignore: unknown-key";

    assert_eq!(
        check(&text),
        ["7:17-7:28 warning[unused-suppression] no `unknown-key` diagnostic on the next line to suppress; remove the code"]
    );
}

#[test]
fn a_line_of_a_quoted_value_that_starts_with_a_hash_is_text() {
    // The second line of each quoted value is text. After the value closes, a comment is
    // a suppression again (and here an unused one); an apostrophe inside a plain value
    // opens nothing.
    let text = format!(
        "{VALID}ignore_paths:\n  - \"docs/a \\\" \n    # stella-ignore: wrong-type\n    b\"\n  - 'it''s\n    # stella-ignore: wrong-type\n    c'\n  - it's\n  # stella-ignore: invalid-glob\n  - x\n"
    );

    assert_eq!(
        check(&text),
        ["15:19-15:31 warning[unused-suppression] no `invalid-glob` diagnostic on the next line to suppress; remove the code"]
    );
}

#[test]
fn a_file_suppression_on_the_first_line_works_after_a_byte_order_mark() {
    let text = "\u{feff}# stella-ignore-file: unknown-key\n".to_owned() + &two_unknown_keys("", "");
    let unused = "\u{feff}# stella-ignore-file: missing-path\n".to_owned() + VALID;

    assert_eq!(check(&text), Vec::<String>::new());
    assert_eq!(
        check(&unused),
        ["0:23-0:35 warning[unused-suppression] no `missing-path` diagnostic in this file to suppress; remove the code"]
    );
}
