//! Where a diagnostic on a value sits: on the value's own text, without its anchor or tag,
//! without the blanks and comment after a quoted value, and once however many aliases
//! read it.

use stella_lsp::core::{analyze, Context, Encoding, LineIndex};

/// The diagnostics as `L:C-L:C code text-under-the-range` (0-based, UTF-16 columns).
fn placed(text: &str) -> Vec<String> {
    let index = LineIndex::new(text);
    analyze(text, &Context::default())
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let start = index.line_col(text, diagnostic.span.start, Encoding::Utf16);
            let end = index.line_col(text, diagnostic.span.end, Encoding::Utf16);
            let under = &text[diagnostic.span.range()];
            format!(
                "{}:{}-{}:{} {} {under}",
                start.line, start.col, end.line, end.col, diagnostic.code
            )
        })
        .collect()
}

const HEAD: &str = "release:\n  name: app\n  version_pattern: \"v{version}\"\ncomponents:\n  - name: api\n    image: registry.example/api\n";

#[test]
fn a_quoted_value_ends_at_its_closing_quote_not_at_the_comment_after_it() {
    let double = format!("{HEAD}  # 🚀\n")
        .replace("  name: app\n", "  name: app\n  tag_pattern: \"v[\"   # rc \"tags\"\n");
    let single = double.replace("\"v[\"", "'v[''x'");

    assert_eq!(placed(&double), ["2:15-2:19 invalid-glob \"v[\""]);
    assert_eq!(placed(&single), ["2:15-2:22 invalid-glob 'v[''x'"]);
}

#[test]
fn an_anchored_or_tagged_value_is_placed_on_its_own_text() {
    let head = HEAD.replace("  name: app\n", "  name: app\n  tag_pattern: v*\n");
    let text = format!(
        "{head}auto_promote:\n  environments:\n    - name: staging\n      auto_approve: true\n      require_tests: false\nbranches:\n  main:\n    environment: &e stagin\n  dev:\n    environment: *e\n  qa:\n    environment: !!str &q \"prod\"  # tagged\n"
    );

    assert_eq!(
        placed(&text),
        ["14:20-14:26 unknown-environment stagin", "18:26-18:32 unknown-environment \"prod\"",]
    );
}
