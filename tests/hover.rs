//! Hover over stdio with the built binary on a CRLF `.stella.yaml` with an astral
//! character, inside a git repository the test makes (branches and tags); and the core's
//! rendering of an environment the orchestrator's cache knows and of cut-short lists.

mod support;

use serde_json::{json, Value};
use stella_lsp::core::actions::Document;
use stella_lsp::core::hover::{self, EnvironmentState};
use support::git::run_git;
use support::{range, TestClient};

/// Line 4 has `𝄞` (one char, two UTF-16 units, four bytes) before the `image` key.
const TEXT: &str = "release:\r
  name: svc\r
  tag_pattern: \"v*\"\r
  version_pattern: \"v{version}\"\r
components: [{name: \"𝄞\", image: img}]\r
auto_promote:\r
  environments:\r
    - name: staging\r
      auto_approve: true\r
branches:\r
  \"release/*\":\r
    environment: staging\r
  main:\r
    environment: production\r
ignore_paths:\r
  - \"docs/**\"\r
";

/// A repository on `main` with branches `release/1.0` and `feature/x`, tags `v1.0.0` and
/// `v1.1.0` (and `other`, which `v*` does not select), holding the fixture.
fn repository() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path();
    std::fs::write(path.join(".stella.yaml"), TEXT).unwrap();
    std::fs::create_dir_all(path.join("docs/guide")).unwrap();
    std::fs::write(path.join("docs/index.md"), "").unwrap();
    std::fs::write(path.join("docs/guide/start.md"), "").unwrap();
    std::fs::write(path.join("docs/build.log"), "").unwrap();
    std::fs::write(path.join(".gitignore"), "*.log\n").unwrap();

    run_git(path, &["init", "--quiet"]);
    run_git(path, &["add", "."]);
    run_git(path, &["commit", "--quiet", "-m", "first"]);
    run_git(path, &["tag", "v1.0.0"]);
    run_git(path, &["commit", "--quiet", "--allow-empty", "-m", "second"]);
    run_git(path, &["tag", "v1.1.0"]);
    run_git(path, &["tag", "other"]);
    run_git(path, &["branch", "release/1.0"]);
    run_git(path, &["branch", "feature/x"]);
    directory
}

async fn hover(client: &mut TestClient, uri: &str, line: u32, character: u32) -> Value {
    let position = json!({"line": line, "character": character});
    let params = json!({"textDocument": {"uri": uri}, "position": position});
    client.request("textDocument/hover", params).await["result"].clone()
}

fn markdown(value: &str, start: (u32, u32), end: (u32, u32)) -> Value {
    json!({"contents": {"kind": "markdown", "value": value}, "range": range(start, end)})
}

#[tokio::test(flavor = "multi_thread")]
async fn hover_explains_keys_environments_tags_and_branches() {
    let directory = repository();
    let uri = url::Url::from_file_path(directory.path().join(".stella.yaml")).unwrap();
    let uri = uri.as_str();
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(uri, 1, TEXT);

    // A key: the schema's description and first example.
    let tag_pattern = "**tag_pattern**\n\nGlob matched against git tag names; a pushed tag that matches creates a release. For example v* matches v1.2.0.\n\nExample: `v*`";
    assert_eq!(hover(&mut client, uri, 2, 4).await, markdown(tag_pattern, (2, 2), (2, 13)));

    // A key with a default.
    let version_pattern = "**version_pattern**\n\nHow the version is read out of a matching tag: the text around the {version} placeholder is stripped and the rest is the version. The placeholder must appear exactly once.\n\nDefault: `{version}`\n\nExample: `v{version}`";
    assert_eq!(hover(&mut client, uri, 3, 2).await, markdown(version_pattern, (3, 2), (3, 17)));

    // After the astral character: UTF-16 columns 26 to 31 (chars 25 to 30, bytes 28 to 33).
    let image = "**image**\n\nOCI image reference the component is pushed to, without a tag: Stella adds the release version as the tag.\n\nExample: `registry.example.com/my-service/api`";
    assert_eq!(hover(&mut client, uri, 4, 27).await, markdown(image, (4, 26), (4, 31)));

    // The tag pattern's value: the tags it selects, newest first.
    let tags = "`v*` matches 2 tags\n- `v1.1.0`\n- `v1.0.0`";
    assert_eq!(hover(&mut client, uri, 2, 16).await, markdown(tags, (2, 15), (2, 19)));

    // Branch patterns: the local branches they match.
    let release = "Branch pattern `release/*` matches 1 local branch\n- `release/1.0`";
    assert_eq!(hover(&mut client, uri, 10, 5).await, markdown(release, (10, 2), (10, 13)));
    let main = "Branch pattern `main` matches 1 local branch\n- `main`";
    assert_eq!(hover(&mut client, uri, 12, 3).await, markdown(main, (12, 2), (12, 6)));

    // Environment names, declared or only used by a branch; no orchestrator configured.
    let staging = "**environment `staging`**\n\nDeclared in `auto_promote.environments`\n\n- auto_approve: `true`\n- require_tests: `not set`";
    assert_eq!(hover(&mut client, uri, 7, 12).await, markdown(staging, (7, 12), (7, 19)));
    assert_eq!(hover(&mut client, uri, 11, 20).await, markdown(staging, (11, 17), (11, 24)));
    let production = "**environment `production`**\n\nNot declared in `auto_promote.environments`";
    assert_eq!(hover(&mut client, uri, 13, 20).await, markdown(production, (13, 17), (13, 27)));

    // An `ignore_paths` glob: the files it matches, leaving out what git ignores.
    let docs = "`docs/**` matches 2 files of the repository";
    assert_eq!(hover(&mut client, uri, 15, 6).await, markdown(docs, (15, 4), (15, 13)));

    // Nothing to say on a plain value.
    assert_eq!(hover(&mut client, uri, 1, 9).await, Value::Null);

    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_outside_a_repository_has_no_tag_hover() {
    let directory = tempfile::tempdir().unwrap();
    let uri = url::Url::from_file_path(directory.path().join(".stella.yaml")).unwrap();
    let uri = uri.as_str();
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(uri, 1, TEXT);

    assert_eq!(hover(&mut client, uri, 2, 16).await, Value::Null);

    client.shutdown().await;
}

#[test]
fn an_environment_the_cache_knows_shows_its_state() {
    let document = Document::read(TEXT).unwrap();
    let state = EnvironmentState {
        status: "frozen".to_owned(),
        frozen_until: Some("18:00 UTC".to_owned()),
        running_release: Some("rel-abc123".to_owned()),
    };

    let markdown = hover::environment_markdown(&document, "staging", Some(&state));

    assert_eq!(
        markdown,
        "**environment `staging`**\n\nDeclared in `auto_promote.environments`\n\n- auto_approve: `true`\n- require_tests: `not set`\n\nOn Stella: frozen, frozen until 18:00 UTC, running `rel-abc123`"
    );
}

#[test]
fn a_walk_cut_short_gives_a_lower_bound() {
    let paths = vec!["docs/a.md".to_owned(), "src/main.rs".to_owned()];

    let markdown = hover::files_markdown("docs/*", &paths, false);

    assert_eq!(markdown, "`docs/*` matches at least 1 file of the repository");
}

#[test]
fn many_matching_tags_are_cut_after_five() {
    let tags: Vec<String> = (1..=7).map(|minor| format!("v1.{minor}.0")).collect();

    let markdown = hover::tags_markdown("v1.*", "v{version}", &tags);

    assert_eq!(
        markdown,
        "`v1.*` matches 7 tags\n- `v1.7.0`\n- `v1.6.0`\n- `v1.5.0`\n- `v1.4.0`\n- `v1.3.0`\n- … and 2 more"
    );
}
