//! Inlay hints over stdio with the built binary, in a git repository the test makes (tags
//! `v1.2.0`, `v1.10.0`, `v2.0.0-rc1`, `release-3.0.0`, `latest`; branches `main`,
//! `release/1.x`, `release/2.x`, `feature/a`): LF, CRLF with an astral character, UTF-8
//! columns, a range that holds part of the file, a file outside git, a broken file; git
//! asked once per request for what the range needs (counted in the server's debug log); and
//! the core's labels when no tag qualifies.

mod support;

use serde_json::{json, Value};
use stella_lsp::core::actions::Document;
use stella_lsp::core::inlay;
use stella_lsp::core::Span;
use support::git::run_git;
use support::{Launch, TestClient};

/// The fixture repository, on `main`.
fn repository() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path();
    run_git(path, &["init", "--quiet"]);
    run_git(path, &["commit", "--quiet", "--allow-empty", "-m", "first"]);
    for tag in ["v1.2.0", "v1.10.0", "v2.0.0-rc1", "release-3.0.0", "latest"] {
        run_git(path, &["tag", tag]);
    }
    for branch in ["release/1.x", "release/2.x", "feature/a"] {
        run_git(path, &["branch", branch]);
    }
    directory
}

/// The tag hint goes after `"v*"` on line 2; the branch globs get theirs after their colon
/// (lines 10, 12 and 13); `main` is one branch's name, not a glob, and gets none.
const TEXT: &str = "release:
  name: svc
  tag_pattern: \"v*\"
  version_pattern: \"v{version}\"
components:
  - name: api
    image: registry.example.com/svc/api
branches:
  main:
    environment: staging
  \"release/*\":
    environment: production
  feature/*: {environment: dev}
  'hotfix/*' :
    environment: production
";

fn hint(line: u32, character: u32, label: &str) -> Value {
    json!({"position": {"line": line, "character": character}, "label": label, "paddingLeft": true})
}

fn whole_file() -> Value {
    json!({"start": {"line": 0, "character": 0}, "end": {"line": 100, "character": 0}})
}

async fn hints(client: &mut TestClient, uri: &str, range: Value) -> Value {
    let params = json!({"textDocument": {"uri": uri}, "range": range});
    let response = client.request("textDocument/inlayHint", params).await;
    assert!(response.get("error").is_none(), "{response}");
    response["result"].clone()
}

fn file_uri(directory: &std::path::Path) -> String {
    url::Url::from_file_path(directory.join(".stella.yaml")).unwrap().to_string()
}

/// How many times the server's log says it listed tags, and branches.
fn git_runs(log: &std::path::Path) -> (usize, usize) {
    let log = std::fs::read_to_string(log).unwrap();
    (log.matches("\"tag\", \"--list\"").count(), log.matches("\"for-each-ref\"").count())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_newest_tag_and_the_branch_counts_in_an_lf_file() {
    let directory = repository();
    let uri = file_uri(directory.path());
    let log_folder = tempfile::tempdir().unwrap();
    let log = log_folder.path().join("server.log");
    let mut client = TestClient::launch(&Launch {
        env: vec![("STELLA_LSP_LOG".to_owned(), "stella_lsp::git=debug".to_owned())],
        stderr: Some(log.clone()),
        cwd: None,
    });
    client.initialize().await;
    client.did_open(&uri, 1, TEXT);

    // `v2.0.0-rc1` is newer than `v1.10.0`, which is newer than `v1.2.0`.
    assert_eq!(
        hints(&mut client, &uri, whole_file()).await,
        json!([
            hint(2, 19, "→ v2.0.0-rc1 (2.0.0-rc1)"),
            hint(10, 14, "2 branches"),
            hint(12, 12, "1 branch"),
            hint(13, 14, "0 branches"),
        ])
    );
    // One listing of the tags and one of the branches for the whole request.
    assert_eq!(git_runs(&log), (1, 1));

    // Only the hints inside the range asked about.
    let range = json!({"start": {"line": 9, "character": 0}, "end": {"line": 12, "character": 12}});
    assert_eq!(
        hints(&mut client, &uri, range).await,
        json!([hint(10, 14, "2 branches"), hint(12, 12, "1 branch")])
    );
    // No tag in that range, so no listing of the tags.
    assert_eq!(git_runs(&log), (1, 2));

    client.shutdown().await;
}

/// CRLF; line 0 holds `𝄞` (one char, two UTF-16 units, four bytes) before the tag pattern.
const ASTRAL: &str =
    "release: {name: \"𝄞\", tag_pattern: \"v1.*\", version_pattern: \"v{version}\"}\r
components: [{name: api, image: x}]\r
branches:\r
  \"release/*\": {environment: \"𝄞\"}\r
";

#[tokio::test(flavor = "multi_thread")]
async fn columns_after_an_astral_character_in_a_crlf_file_in_utf16_and_utf8() {
    let directory = repository();
    let uri = file_uri(directory.path());

    // `"v1.*"` ends at char 40: UTF-16 column 41.
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(&uri, 1, ASTRAL);
    assert_eq!(
        hints(&mut client, &uri, whole_file()).await,
        json!([hint(0, 41, "→ v1.10.0 (1.10.0)"), hint(3, 14, "2 branches")])
    );
    client.shutdown().await;

    // In UTF-8 the same place is byte 43.
    let mut client = TestClient::binary();
    client.initialize_with(Some(&["utf-8"]), json!({})).await;
    client.did_open(&uri, 1, ASTRAL);
    assert_eq!(
        hints(&mut client, &uri, whole_file()).await,
        json!([hint(0, 43, "→ v1.10.0 (1.10.0)"), hint(3, 14, "2 branches")])
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn outside_git_off_disk_or_broken_there_are_no_hints() {
    let outside = tempfile::tempdir().unwrap();
    let directory = repository();
    let mut client = TestClient::binary();
    client.initialize().await;

    let uri = file_uri(outside.path());
    client.did_open(&uri, 1, TEXT);
    assert_eq!(hints(&mut client, &uri, whole_file()).await, json!([]));

    let untitled = "untitled:/w/.stella.yaml";
    client.did_open(untitled, 1, TEXT);
    assert_eq!(hints(&mut client, untitled, whole_file()).await, json!([]));

    // A syntax error: nothing parses, so no hints.
    let uri = file_uri(directory.path());
    client.did_open(&uri, 1, "release:\n  tag_pattern: \"v*\"\n  name: [\n");
    assert_eq!(hints(&mut client, &uri, whole_file()).await, json!([]));

    // A schema error (no components) still parses: the tag hint stays, the tag said once
    // since the default `{version}` reads the whole tag.
    client.did_change(&uri, 2, json!([{"text": "release:\n  tag_pattern: v*\n"}]));
    assert_eq!(hints(&mut client, &uri, whole_file()).await, json!([hint(1, 17, "→ v2.0.0-rc1")]));

    client.shutdown().await;
}

/// The sites and hints of `text` (the whole of it) given `tags` and no branches.
fn core_hints(text: &str, tags: &[&str]) -> Vec<inlay::Hint> {
    let document = Document::read(text).unwrap();
    let sites = inlay::sites(&document, text, Span { start: 0, end: text.len() });
    let tags: Vec<String> = tags.iter().map(|&tag| tag.to_owned()).collect();
    inlay::hints(&sites, Some(&tags), None)
}

#[test]
fn no_qualifying_tag_says_so_and_a_broken_pattern_gets_no_hint() {
    // `release-3.0.0` matches the glob but `v{version}` reads nothing from it: hover counts
    // it as a match, so the hint says what is missing instead of "no matching tag".
    let text = "release:\n  tag_pattern: release-*\n  version_pattern: v{version}\n";
    assert_eq!(
        core_hints(text, &["release-3.0.0", "v1.0.0"]),
        [inlay::Hint { offset: 33, label: "→ no tag version_pattern can read".to_owned() }]
    );
    assert_eq!(
        core_hints(text, &["v1.0.0"]),
        [inlay::Hint { offset: 33, label: "→ no matching tag".to_owned() }]
    );

    // An invalid glob, or a version pattern without its placeholder: the diagnostics speak.
    for text in
        ["release:\n  tag_pattern: \"v[\"\n", "release:\n  tag_pattern: v*\n  version_pattern: v\n"]
    {
        assert_eq!(core_hints(text, &["v1.0.0"]), [], "{text}");
    }
}

#[test]
fn the_tag_hint_sits_after_the_closing_quote_not_after_a_comment() {
    let text = "release:\n  tag_pattern: \"v*\"   # rc tags\n";
    let after_quote = text.find("\"   #").unwrap() + 1;

    assert_eq!(
        core_hints(text, &["v1.0.0"]),
        [inlay::Hint { offset: after_quote, label: "→ v1.0.0".to_owned() }]
    );
}
