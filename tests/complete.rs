//! Completion on texts being typed (often not parsing): keys by indentation, values, and
//! names; in the core, and over stdio on a CRLF file with an astral character inside a git
//! repository the test makes.

mod support;

use serde_json::json;
use stella_lsp::core::complete::{self, Item, Known};
use stella_lsp::core::Span;
use support::git::run_git;
use support::{range, TestClient};

/// The items at the end of `text` (the cursor), sorted, as `(label, insert, detail)`.
fn at_end(text: &str, known: &Known) -> Vec<(String, String, Option<String>)> {
    let mut items: Vec<Item> = complete::items(text, text.len(), known);
    items.sort_by(|a, b| a.sort.cmp(&b.sort));
    items.into_iter().map(|item| (item.label, item.insert, item.detail)).collect()
}

fn entry(label: &str, insert: &str, detail: Option<&str>) -> (String, String, Option<String>) {
    (label.to_owned(), insert.to_owned(), detail.map(str::to_owned))
}

#[test]
fn top_level_keys_not_yet_written_required_first_on_a_broken_line() {
    let text = "release:\n  name: svc\n  tag_pattern: v*\nco";

    let items = complete::items(text, text.len(), &Known::default());

    assert!(items.iter().all(|item| item.replace == Span { start: 39, end: 41 }));
    assert_eq!(
        at_end(text, &Known::default()),
        [
            entry("components", "components:\n  - ", Some("required")),
            entry("auto_promote", "auto_promote:\n  ", None),
            entry("branches", "branches:\n  ", None),
            entry("ignore_paths", "ignore_paths:\n  - ", None),
        ]
    );
}

#[test]
fn keys_of_a_list_item_leave_out_those_written_above_and_below() {
    let text = "release:\n  name: svc\ncomponents:\n  - name: api\n    \n    image: x\n";
    let offset = text.find("    \n").unwrap() + 4;

    let mut items = complete::items(text, offset, &Known::default());
    items.sort_by(|a, b| a.sort.cmp(&b.sort));
    let labels: Vec<&str> = items.iter().map(|item| item.label.as_str()).collect();

    assert_eq!(labels, ["build_context", "dockerfile"]);
    assert_eq!(items[0].insert, "build_context: ");
    assert_eq!(items[0].replace, Span { start: offset, end: offset });
}

#[test]
fn booleans_after_a_key_and_a_colon() {
    let text = "auto_promote:\n  environments:\n    - name: dev\n      auto_approve: t";

    assert_eq!(
        at_end(text, &Known::default()),
        [entry("false", "false", None), entry("true", "true", None)]
    );
    let items = complete::items(text, text.len(), &Known::default());
    assert_eq!(items[0].replace, Span { start: text.len() - 1, end: text.len() });

    // Right after the colon, the value brings its space.
    let text = "auto_promote:\n  enabled:";
    assert_eq!(
        at_end(text, &Known::default()),
        [entry("false", " false", None), entry("true", " true", None)]
    );
}

#[test]
fn a_branch_environment_offers_declared_then_orchestrator_environments() {
    let text = "auto_promote:\n  environments:\n    - name: staging\n    - name: production\nbranches:\n  main:\n    environment: ";
    let known =
        Known { branches: Vec::new(), environments: vec!["staging".to_owned(), "qa".to_owned()] };

    let items = complete::items(text, text.len(), &known);
    let items: Vec<(String, Option<String>)> =
        items.into_iter().map(|item| (item.label, item.detail)).collect();

    assert_eq!(
        items,
        [
            ("staging".to_owned(), Some("declared environment".to_owned())),
            ("production".to_owned(), Some("declared environment".to_owned())),
            ("qa".to_owned(), Some("on Stella".to_owned())),
        ]
    );
}

/// CRLF; line 4 is being typed and starts with `𝄞` (one char, two UTF-16 units).
const TEXT: &str = "release:\r\n  name: svc\r\nbranches:\r\n  main: {}\r\n  𝄞f\r\n";

#[tokio::test(flavor = "multi_thread")]
async fn branch_keys_come_from_git_with_the_file_s_line_endings_and_utf16_columns() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path();
    run_git(path, &["init", "--quiet"]);
    run_git(path, &["commit", "--quiet", "--allow-empty", "-m", "first"]);
    run_git(path, &["branch", "release/1.0"]);
    run_git(path, &["branch", "feature/x"]);
    let uri = url::Url::from_file_path(path.join(".stella.yaml")).unwrap();
    let uri = uri.as_str();
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(uri, 1, TEXT);

    // The cursor after `𝄞f`: UTF-16 column 5 (char 4, byte 7); `main` is already there.
    let params = json!({"textDocument": {"uri": uri}, "position": {"line": 4, "character": 5}});
    let response = client.request("textDocument/completion", params).await;

    let item = |label: &str| {
        json!({
            "label": label,
            "detail": "local branch",
            "sortText": format!("1{label}"),
            "textEdit": {"range": range((4, 2), (4, 5)), "newText": format!("{label}:\r\n    environment: ")}
        })
    };
    assert_eq!(response["result"], json!([item("feature/x"), item("release/1.0")]));

    client.shutdown().await;
}
