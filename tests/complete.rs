//! Completion on texts being typed (often not parsing): keys by indentation, values, and
//! names; in the core, and over stdio on a CRLF file with an astral character inside a git
//! repository the test makes. Snippets for whole list items (LF, CRLF, 4-space indentation;
//! with and without snippet support), paths from a folder tree the test makes, and git asked
//! for branches only where a branch name is typed (counted in the server's debug log).

mod support;

use serde_json::{json, Value};
use stella_lsp::core::complete::{self, Item, Kind, Known};
use stella_lsp::core::Span;
use support::git::run_git;
use support::{range, Launch, TestClient};

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

#[test]
fn declared_environments_come_from_their_block_or_else_from_the_whole_text() {
    let labels = |text: &str| -> Vec<String> {
        let items = complete::items(text, text.len(), &Known::default());
        items.into_iter().map(|item| item.label).collect()
    };

    // The `auto_promote` block reads on its own, so a broken line elsewhere does not matter.
    let broken_elsewhere = "release:\n  name: [svc\nauto_promote:\n  # the tiers\n  environments:\n    - name: dev\n\n    - name: prod\ncomponents: []\nbranches:\n  main:\n    environment: ";
    // Its alias points into the rest of the file, so the whole text is read.
    let aliased = "names:\n  - &dev dev\nauto_promote:\n  environments:\n    - name: *dev\nbranches:\n  main:\n    environment: ";
    // Two `auto_promote` keys: the whole text is read, which reports the duplicate.
    let twice = "auto_promote:\n  environments:\n    - name: a\nauto_promote:\n  environments: []\nbranches:\n  main:\n    environment: ";

    assert_eq!(labels(broken_elsewhere), ["dev", "prod"]);
    assert_eq!(labels(aliased), ["dev"]);
    assert!(labels(twice).is_empty());
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

/// The item labelled `label` among the items at the end of `text`.
fn item_at_end(text: &str, label: &str) -> Item {
    let items = complete::items(text, text.len(), &Known::default());
    items.into_iter().find(|item| item.label == label).expect("the item is offered")
}

#[test]
fn a_new_component_item_gets_a_snippet_of_its_required_keys() {
    let text = "release:\n  name: svc\n  tag_pattern: v*\ncomponents:\n  - ";
    let end = text.len();

    let item = item_at_end(text, "component");

    assert_eq!(
        item,
        Item {
            label: "component".to_owned(),
            insert: "name: api\n    image: registry.example.com/my-service/api".to_owned(),
            snippet: Some(
                "name: ${1:api}\n    image: ${2:registry.example.com/my-service/api}".to_owned()
            ),
            kind: Some(Kind::Snippet),
            replace: Span { start: end, end },
            sort: "00component".to_owned(),
            detail: Some("new component: name, image".to_owned()),
        }
    );
    // The snippet sorts first, then the required keys.
    let labels: Vec<String> = at_end(text, &Known::default()).into_iter().map(|e| e.0).collect();
    assert_eq!(labels, ["component", "image", "name", "build_context", "dockerfile"]);
}

#[test]
fn a_new_environment_in_a_crlf_file_with_four_spaces_keeps_both() {
    let text = "release:\r\n    name: svc\r\nauto_promote:\r\n    environments:\r\n        - ";

    let item = item_at_end(text, "environment");

    assert_eq!(
        item.snippet.as_deref(),
        Some("name: ${1:development}\r\n          auto_approve: ${2|false,true|}\r\n          require_tests: ${3|false,true|}")
    );
    assert_eq!(
        item.insert,
        "name: development\r\n          auto_approve: false\r\n          require_tests: false"
    );
    assert_eq!(item.detail.as_deref(), Some("new environment: name, auto_approve, require_tests"));
}

#[test]
fn a_line_of_a_list_without_its_dash_gets_the_dash_and_the_item() {
    let text = "components:\n    - name: api\n      image: x\n    ";

    let item = item_at_end(text, "component");

    assert_eq!(item.insert, "- name: api\n      image: registry.example.com/my-service/api");
    assert_eq!(
        item.snippet.as_deref(),
        Some("- name: ${1:api}\n      image: ${2:registry.example.com/my-service/api}")
    );
}

#[test]
fn a_new_item_after_others_gets_all_its_keys() {
    let text = "components:\n  - name: api\n    image: x\n  - ";

    let labels: Vec<String> = at_end(text, &Known::default()).into_iter().map(|e| e.0).collect();

    assert_eq!(labels, ["component", "image", "name", "build_context", "dockerfile"]);
}

#[test]
fn no_snippet_once_the_item_has_a_key_or_outside_the_two_lists() {
    // `image` is written below the dash being completed.
    let text = "components:\n  - \n    image: x\n";
    let offset = text.find("- ").unwrap() + 2;
    let items = complete::items(text, offset, &Known::default());
    assert!(items.iter().all(|item| item.snippet.is_none()), "{items:?}");

    let text = "ignore_paths:\n  - ";
    assert_eq!(complete::items(text, text.len(), &Known::default()), []);
}

#[test]
fn nested_keys_follow_the_file_s_indentation_step() {
    let text = "release:\n    name: svc\nco";

    assert_eq!(
        at_end(text, &Known::default())[0],
        entry("components", "components:\n    - ", Some("required"))
    );
}

/// What the client says it can do with completion items.
fn snippet_support(supported: bool) -> Value {
    json!({"textDocument": {"completion": {"completionItem": {"snippetSupport": supported}}}})
}

/// CRLF; the cursor is on line 5 after `  - `, under an astral component name.
const SNIPPET_TEXT: &str =
    "release:\r\n  name: svc\r\ncomponents:\r\n  - name: \"𝄞\"\r\n    image: x\r\n  - ";

async fn component_item(supported: bool) -> Value {
    let (mut client, _store) = TestClient::in_process();
    client.initialize_with(None, snippet_support(supported)).await;
    let uri = "untitled:/w/.stella.yaml";
    client.did_open(uri, 1, SNIPPET_TEXT);

    let params = json!({"textDocument": {"uri": uri}, "position": {"line": 5, "character": 4}});
    let response = client.request("textDocument/completion", params).await;
    let items = response["result"].as_array().expect("a list of items").clone();
    items.into_iter().find(|item| item["label"] == "component").expect("a component item")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_component_snippet_over_the_protocol_only_when_the_client_takes_snippets() {
    let with_snippets = component_item(true).await;
    let without = component_item(false).await;

    assert_eq!(
        with_snippets,
        json!({
            "label": "component",
            "kind": 15,
            "detail": "new component: name, image",
            "sortText": "00component",
            "insertTextFormat": 2,
            "textEdit": {
                "range": range((5, 4), (5, 4)),
                "newText": "name: ${1:api}\r\n    image: ${2:registry.example.com/my-service/api}"
            }
        })
    );
    assert_eq!(
        without,
        json!({
            "label": "component",
            "kind": 15,
            "detail": "new component: name, image",
            "sortText": "00component",
            "insertTextFormat": 1,
            "textEdit": {
                "range": range((5, 4), (5, 4)),
                "newText": "name: api\r\n    image: registry.example.com/my-service/api"
            }
        })
    );
}

/// A folder with a Dockerfile, `docker/` (a file and a folder), `.github/workflows/` (a
/// workflow, a text file and a folder), `𝄞/` (a Dockerfile), `.git/` and a README.
fn tree() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path();
    for folder in ["docker/worker", ".github/workflows/old", ".git", "𝄞"] {
        std::fs::create_dir_all(path.join(folder)).unwrap();
    }
    for file in [
        "Dockerfile",
        "README.md",
        "docker/api.Dockerfile",
        ".github/workflows/ci.yml",
        ".github/workflows/notes.txt",
        "𝄞/Dockerfile",
    ] {
        std::fs::write(path.join(file), "").unwrap();
    }
    directory
}

/// Line 3 types `docker/` inside a quote, line 4 `./`, line 8 `.github/workflows/n`.
const PATHS_TEXT: &str = "components:
  - name: api
    image: x
    dockerfile: \"docker/
    build_context: ./
auto_promote:
  environments:
    - name: dev
      test_workflow: .github/workflows/n
";

/// `(label, kind, sortText, newText, range)` of the items at `position`.
async fn paths_at(client: &mut TestClient, uri: &str, line: u32, character: u32) -> Vec<Value> {
    let params =
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
    let response = client.request("textDocument/completion", params).await;
    let mut items = response["result"].as_array().unwrap().clone();
    items.sort_by_key(|item| item["sortText"].as_str().unwrap().to_owned());
    items
        .into_iter()
        .map(|item| {
            json!([
                item["label"],
                item["kind"],
                item["sortText"],
                item["textEdit"]["newText"],
                item["textEdit"]["range"]
            ])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_are_listed_from_the_folder_the_value_names() {
    let directory = tree();
    let uri = url::Url::from_file_path(directory.path().join(".stella.yaml")).unwrap();
    let uri = uri.as_str();
    let (mut client, _store) = TestClient::in_process();
    client.initialize().await;
    client.did_open(uri, 1, PATHS_TEXT);

    // Inside the quote, after `docker/`: the entries of `docker/`, folders with a `/`.
    let at = range((3, 24), (3, 24));
    assert_eq!(
        paths_at(&mut client, uri, 3, 24).await,
        [
            json!(["api.Dockerfile", 17, "1api.Dockerfile", "api.Dockerfile", at]),
            json!(["worker/", 19, "1worker/", "worker/", at]),
        ]
    );

    // `build_context` takes folders only (`.git` left out).
    let at = range((4, 21), (4, 21));
    assert_eq!(
        paths_at(&mut client, uri, 4, 21).await,
        [
            json!([".github/", 19, "1.github/", ".github/", at]),
            json!(["docker/", 19, "1docker/", "docker/", at]),
            json!(["𝄞/", 19, "1𝄞/", "𝄞/", at]),
        ]
    );

    // `test_workflow` puts the YAML files first; the typed `n` is what is replaced.
    let at = range((8, 39), (8, 40));
    assert_eq!(
        paths_at(&mut client, uri, 8, 40).await,
        [
            json!(["ci.yml", 17, "0ci.yml", "ci.yml", at]),
            json!(["old/", 19, "1old/", "old/", at]),
            json!(["notes.txt", 17, "2notes.txt", "notes.txt", at]),
        ]
    );

    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_right_after_the_colon_bring_their_space_and_a_document_off_disk_gets_none() {
    let directory = tree();
    let text = "components:\n  - name: api\n    dockerfile:";
    let uri = url::Url::from_file_path(directory.path().join(".stella.yaml")).unwrap();
    let uri = uri.as_str();
    let (mut client, _store) = TestClient::in_process();
    client.initialize().await;
    client.did_open(uri, 1, text);

    let at = range((2, 15), (2, 15));
    assert_eq!(
        paths_at(&mut client, uri, 2, 15).await,
        [
            json!([".github/", 19, "1.github/", " .github/", at]),
            json!(["Dockerfile", 17, "1Dockerfile", " Dockerfile", at]),
            json!(["README.md", 17, "1README.md", " README.md", at]),
            json!(["docker/", 19, "1docker/", " docker/", at]),
            json!(["𝄞/", 19, "1𝄞/", " 𝄞/", at]),
        ]
    );

    let untitled = "untitled:/w/.stella.yaml";
    client.did_open(untitled, 1, text);
    assert_eq!(paths_at(&mut client, untitled, 2, 15).await, Vec::<Value>::new());

    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_path_after_an_astral_folder_in_a_crlf_file_has_utf16_columns() {
    let directory = tree();
    // `    dockerfile: 𝄞/D`: the `D` is char 18, UTF-16 column 19 (`𝄞` is two units).
    let text = "components:\r\n  - name: api\r\n    dockerfile: 𝄞/D\r\n";
    let uri = url::Url::from_file_path(directory.path().join(".stella.yaml")).unwrap();
    let uri = uri.as_str();
    let (mut client, _store) = TestClient::in_process();
    client.initialize().await;
    client.did_open(uri, 1, text);

    let at = range((2, 19), (2, 20));
    assert_eq!(
        paths_at(&mut client, uri, 2, 20).await,
        [json!(["Dockerfile", 17, "1Dockerfile", "Dockerfile", at])]
    );

    client.shutdown().await;
}

#[test]
fn a_path_query_follows_the_typed_folder_and_its_quote() {
    let text = "components:\n  - name: api\n    dockerfile: '../up/Do";

    let query = complete::path_query(text, text.len()).unwrap();

    assert_eq!(query.key, complete::PathKey::Dockerfile);
    assert_eq!(query.folder, "../up/");
    assert_eq!(query.replace, Span { start: text.len() - 2, end: text.len() });
    // A name with the value's own quote cannot be written inside it.
    let entries = [
        complete::Entry { name: "it's".to_owned(), is_folder: false },
        complete::Entry { name: "Dockerfile".to_owned(), is_folder: false },
    ];
    let labels: Vec<String> =
        complete::path_items(&query, &entries).into_iter().map(|item| item.label).collect();
    assert_eq!(labels, ["Dockerfile"]);

    // An absolute path, a closed quote, or another key: no query.
    for text in [
        "components:\n  - name: api\n    dockerfile: /etc/",
        "components:\n  - name: api\n    dockerfile: \"Dockerfile\" ",
        "components:\n  - name: api\n    image: ./",
    ] {
        assert_eq!(complete::path_query(text, text.len()), None, "{text}");
    }
}

#[test]
fn a_name_plain_yaml_would_misread_is_quoted_where_it_starts_the_value() {
    let names = ["#notes", "*star", "a: b", "- dash", "it's", "plain", "&anchor", "x\ny"];
    let entries: Vec<complete::Entry> = names
        .iter()
        .map(|name| complete::Entry { name: (*name).to_owned(), is_folder: *name == "- dash" })
        .collect();
    let inserts = |text: &str| -> Vec<String> {
        let query = complete::path_query(text, text.len()).unwrap();
        let mut inserts: Vec<String> =
            complete::path_items(&query, &entries).into_iter().map(|item| item.insert).collect();
        inserts.sort();
        inserts
    };

    // At the start of an unquoted value: quoted; a line break cannot be written at all.
    let start = inserts("components:\n  - name: api\n    dockerfile: ");
    // Inside a folder, only a name that breaks the scalar wherever it stands is left out.
    let nested = inserts("components:\n  - name: api\n    dockerfile: api/");

    assert_eq!(
        start,
        ["\"#notes\"", "\"&anchor\"", "\"*star\"", "\"- dash/\"", "\"a: b\"", "it's", "plain"]
    );
    assert_eq!(nested, ["#notes", "&anchor", "*star", "- dash/", "it's", "plain"]);
}

#[test]
fn odd_offsets_and_texts_give_answers_not_panics() {
    // Inside `𝄞` (bytes 0..4) the cursor moves back to its start; past the end, to the end.
    for (text, offset) in [("𝄞", 2), ("", 7), ("\r\n", 1), ("components:\n  - dockerfile: 'x", 99)]
    {
        assert!(!complete::wants_branches(text, offset), "{text:?}");
        let query = complete::path_query(text, offset);
        assert_eq!(query.is_some(), text.contains("dockerfile"), "{text:?}");
    }
    let mut labels: Vec<String> =
        complete::items("𝄞", 2, &Known::default()).into_iter().map(|item| item.label).collect();
    labels.sort();
    assert_eq!(labels, ["auto_promote", "branches", "components", "ignore_paths", "release"]);
}

/// How many times the server's log says it ran git.
fn git_runs(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log).unwrap().matches("running git").count()
}

#[tokio::test(flavor = "multi_thread")]
async fn git_is_asked_for_branches_only_where_a_branch_name_is_typed() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path();
    run_git(path, &["init", "--quiet"]);
    run_git(path, &["commit", "--quiet", "--allow-empty", "-m", "first"]);
    let log = path.join("server.log");
    let launch = Launch {
        env: vec![("STELLA_LSP_LOG".to_owned(), "stella_lsp::git=debug".to_owned())],
        stderr: Some(log.clone()),
        cwd: None,
    };
    let uri = url::Url::from_file_path(path.join(".stella.yaml")).unwrap();
    let uri = uri.as_str();
    let text = "release:\n  name: svc\nbranches:\n  \n  main:\n    environment: \nco";
    let mut client = TestClient::launch(&launch);
    client.initialize().await;
    client.did_open(uri, 1, text);
    let complete_at = |line: u32, character: u32| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});

    // A top-level key, then a branch's environment: no git.
    let response = client.request("textDocument/completion", complete_at(6, 2)).await;
    let items = response["result"].as_array().unwrap();
    assert!(items.iter().any(|item| item["label"] == "components"), "{items:?}");
    client.request("textDocument/completion", complete_at(5, 17)).await;
    assert_eq!(git_runs(&log), 0);

    // A new key under `branches`: one git run, which lists `main` (already there).
    let response = client.request("textDocument/completion", complete_at(3, 2)).await;
    assert_eq!(response["result"], json!([]));
    assert_eq!(git_runs(&log), 1);
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("for-each-ref"), "{log_text}");

    client.shutdown().await;
}
