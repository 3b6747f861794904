//! Quick fixes over stdio with the built binary: the exact `CodeAction`s (titles, kinds,
//! diagnostics, ranges and new text) on CRLF files with an astral character before the fix
//! on the same line (UTF-16 and UTF-8 columns), `context.only`, versioned edits, and
//! requests the server cannot act on.

mod support;

use serde_json::{json, Value};
use stella_lsp::core::{Encoding, LineCol, LineIndex};
use support::{range, TestClient, URI};

/// Semantic errors. Line 10: `"🚀-main"` is 9 UTF-16 units (the rocket is two), so
/// `stagin` is at UTF-16 columns 27..33 (bytes 29..35).
const UNKNOWN_ENVIRONMENT: [&str; 11] = [
    "release:",                                                        // 0
    "  name: app",                                                     // 1
    "  tag_pattern: v*",                                               // 2
    "components:",                                                     // 3
    "  - name: api",                                                   // 4
    "    image: x",                                                    // 5
    "auto_promote:",                                                   // 6
    "  environments:",                                                 // 7
    "    - {name: staging, auto_approve: true, require_tests: false}", // 8
    "branches:",                                                       // 9
    "  \"🚀-main\": {environment: stagin}",                            // 10
];

/// Schema errors: `release` lacks `tag_pattern`; on line 11 `yes` is at UTF-16 columns
/// 49..52 (bytes 51..54).
const SCHEMA_ERRORS: [&str; 12] = [
    "release:",                                                // 0
    "  name: app",                                             // 1
    "components:",                                             // 2
    "  - name: api",                                           // 3
    "    image: x",                                            // 4
    "auto_promote:",                                           // 5
    "  environments:",                                         // 6
    "    - name: staging",                                     // 7
    "      auto_approve: true",                                // 8
    "      require_tests: false",                              // 9
    "branches:",                                               // 10
    "  \"🚀-main\": {environment: staging, auto_deploy: yes}", // 11
];

fn crlf(lines: &[&str]) -> String {
    lines.join("\r\n") + "\r\n"
}

fn code_action(start: (u32, u32), end: (u32, u32), only: Option<&[&str]>) -> Value {
    let mut context = json!({"diagnostics": []});
    if let Some(only) = only {
        context["only"] = json!(only);
    }
    json!({"textDocument": {"uri": URI}, "range": range(start, end), "context": context})
}

fn diagnostic(start: (u32, u32), end: (u32, u32), code: &str, message: &str) -> Value {
    json!({
        "range": range(start, end),
        "severity": 1,
        "code": code,
        "source": "stella",
        "message": message,
    })
}

/// A quick fix whose edit goes as `changes`.
fn quick_fix(title: &str, preferred: bool, repairs: &Value, edits: &Value) -> Value {
    json!({
        "title": title,
        "kind": "quickfix",
        "diagnostics": [repairs],
        "edit": {"changes": {URI: edits}},
        "isPreferred": preferred,
    })
}

fn edit(start: (u32, u32), end: (u32, u32), new_text: &str) -> Value {
    json!({"range": range(start, end), "newText": new_text})
}

/// `text` with LSP text edits applied (UTF-16 positions), as an editor would.
fn applied(text: &str, edits: &[Value]) -> String {
    let line_index = LineIndex::new(text);
    let offset = |position: &Value| {
        let line_col = LineCol {
            line: u32::try_from(position["line"].as_u64().unwrap()).unwrap(),
            col: u32::try_from(position["character"].as_u64().unwrap()).unwrap(),
        };
        line_index.offset(text, line_col, Encoding::Utf16)
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| {
            let range = &edit["range"];
            (offset(&range["start"]), offset(&range["end"]), edit["newText"].as_str().unwrap())
        })
        .collect();
    spans.sort_by_key(|span| std::cmp::Reverse(span.0));

    let mut result = text.to_owned();
    for (start, end, new_text) in spans {
        result.replace_range(start..end, new_text);
    }
    result
}

async fn opened(text: &str) -> TestClient {
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(URI, 1, text);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_environment_after_an_astral_character_is_fixed_in_utf16_columns() {
    let mut client = opened(&crlf(&UNKNOWN_ENVIRONMENT)).await;

    let response = client
        .request("textDocument/codeAction", code_action((10, 30), (10, 30), Some(&["quickfix"])))
        .await;

    let repairs = diagnostic(
        (10, 27),
        (10, 33),
        "unknown-environment",
        "unknown environment `stagin` (did you mean `staging`?)",
    );
    assert_eq!(
        response["result"],
        json!([quick_fix(
            "Change to `staging`",
            true,
            &repairs,
            &json!([edit((10, 27), (10, 33), "staging")])
        )])
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixes_for_the_whole_file_keep_crlf_and_leave_no_diagnostic_once_applied() {
    let text = crlf(&SCHEMA_ERRORS);
    let mut client = opened(&text).await;

    let response = client
        .request("textDocument/codeAction", code_action((0, 0), (12, 0), Some(&["quickfix"])))
        .await;

    let missing = diagnostic(
        (0, 0),
        (0, 7),
        "missing-key",
        "`release` is missing required property `tag_pattern`",
    );
    let wrong_type = diagnostic(
        (11, 49),
        (11, 52),
        "wrong-type",
        "expected boolean, got the string `yes` (YAML 1.2 reads `yes` as text; write `true`)",
    );
    let add = edit((2, 0), (2, 0), "  tag_pattern: \"v*\"\r\n");
    let change = edit((11, 49), (11, 52), "true");
    assert_eq!(
        response["result"],
        json!([
            quick_fix("Add `tag_pattern`", true, &missing, &json!([add])),
            quick_fix("Change to `true`", true, &wrong_type, &json!([change])),
        ])
    );

    let fixed = applied(&text, &[add, change]);
    let mut expected = SCHEMA_ERRORS.to_vec();
    expected.insert(2, "  tag_pattern: \"v*\"");
    expected[12] = "  \"🚀-main\": {environment: staging, auto_deploy: true}";
    assert_eq!(fixed, crlf(&expected));
    client.did_change(URI, 2, json!([{"text": fixed}]));
    let published = client.published(URI, Some(2)).await;
    assert_eq!(published["diagnostics"], json!([]));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_with_versioned_document_changes_gets_them_in_utf8_columns() {
    let mut client = TestClient::binary();
    let workspace = json!({"workspace": {"workspaceEdit": {"documentChanges": true}}});
    client.initialize_with(Some(&["utf-8"]), workspace).await;
    client.did_open(URI, 7, &crlf(&UNKNOWN_ENVIRONMENT));

    let response = client
        .request("textDocument/codeAction", code_action((10, 29), (10, 35), Some(&["quickfix"])))
        .await;

    let repairs = diagnostic(
        (10, 29),
        (10, 35),
        "unknown-environment",
        "unknown environment `stagin` (did you mean `staging`?)",
    );
    assert_eq!(
        response["result"],
        json!([{
            "title": "Change to `staging`",
            "kind": "quickfix",
            "diagnostics": [repairs],
            "edit": {"documentChanges": [{
                "textDocument": {"uri": URI, "version": 7},
                "edits": [edit((10, 29), (10, 35), "staging")],
            }]},
            "isPreferred": true,
        }])
    );
    client.shutdown().await;
}

/// Each action as `(kind, title)`.
fn kinds_and_titles(response: &Value) -> Vec<(Value, String)> {
    response["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|action| (action["kind"].clone(), action["title"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_fixes_come_before_the_commands_and_only_narrows_to_them() {
    let mut client = opened(&crlf(&UNKNOWN_ENVIRONMENT)).await;

    let everything =
        client.request("textDocument/codeAction", code_action((10, 30), (10, 30), None)).await;
    let refactors = client
        .request("textDocument/codeAction", code_action((10, 30), (10, 30), Some(&["refactor"])))
        .await;

    let command = |title: &str| (Value::Null, title.to_owned());
    assert_eq!(
        kinds_and_titles(&everything),
        [
            (json!("quickfix"), "Change to `staging`".to_owned()),
            command("Create release"),
            command("Validate with server"),
            command("Diff with server"),
            command("Promote to stagin"),
            command("Deploy to stagin"),
            command("Apply to server (dry run)"),
            command("Apply to server"),
        ]
    );
    assert_eq!(refactors["result"], json!([]));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_away_from_the_diagnostics_or_past_the_end_gets_no_fix() {
    let mut client = opened(&crlf(&UNKNOWN_ENVIRONMENT)).await;

    let elsewhere = client
        .request("textDocument/codeAction", code_action((1, 0), (1, 4), Some(&["quickfix"])))
        .await;
    let past_the_end = client
        .request("textDocument/codeAction", code_action((400, 9), (900, 0), Some(&["quickfix"])))
        .await;
    let backwards = client
        .request("textDocument/codeAction", code_action((10, 40), (0, 0), Some(&["quickfix"])))
        .await;

    assert_eq!(elsewhere["result"], json!([]));
    assert_eq!(past_the_end["result"], json!([]));
    assert_eq!(
        kinds_and_titles(&backwards),
        [(json!("quickfix"), "Change to `staging`".to_owned())]
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixes_follow_the_current_text_not_the_diagnostics_the_client_sends() {
    let text = crlf(&UNKNOWN_ENVIRONMENT);
    let mut client = opened(&text).await;
    client.did_change(URI, 2, json!([{"text": text.replace("stagin}", "staging}")}]));

    let stale = diagnostic(
        (10, 27),
        (10, 33),
        "unknown-environment",
        "unknown environment `stagin` (did you mean `staging`?)",
    );
    let mut params = code_action((10, 30), (10, 30), Some(&["quickfix"]));
    params["context"]["diagnostics"] = json!([stale]);
    let response = client.request("textDocument/codeAction", params).await;

    assert_eq!(response["result"], json!([]));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_file_or_one_that_is_not_open_gets_an_empty_list() {
    let mut client = opened("release:\r\n  name: [app\r\n").await;

    let broken = client
        .request("textDocument/codeAction", code_action((0, 0), (2, 0), Some(&["quickfix"])))
        .await;
    let mut not_open = code_action((0, 0), (2, 0), None);
    not_open["textDocument"]["uri"] = json!("file:///nonexistent-stella-test/other/.stella.yaml");
    let not_open = client.request("textDocument/codeAction", not_open).await;

    assert_eq!(broken["result"], json!([]));
    assert_eq!(not_open["result"], json!([]));
    client.shutdown().await;
}

/// Four spaces a level, LF: the `prod` item lacks two keys.
const FOUR_SPACES: &str = "release:
    name: app
    tag_pattern: v*
components:
    - name: api
      image: x
auto_promote:
    environments:
        - name: staging
          auto_approve: true
          require_tests: false
        - name: prod
branches:
    main:
        environment: prod
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_missing_in_a_list_item_of_a_four_space_lf_file_go_at_its_indentation() {
    let mut client = opened(FOUR_SPACES).await;

    let response = client
        .request("textDocument/codeAction", code_action((11, 8), (11, 9), Some(&["quickfix"])))
        .await;

    let missing = diagnostic(
        (11, 8),
        (11, 9),
        "missing-key",
        "environment is missing required properties: auto_approve, require_tests",
    );
    let add =
        edit((12, 0), (12, 0), "          auto_approve: false\n          require_tests: false\n");
    assert_eq!(
        response["result"],
        json!([quick_fix("Add `auto_approve` and `require_tests`", true, &missing, &json!([add]))])
    );

    let fixed = applied(FOUR_SPACES, &[add]);
    assert_eq!(
        fixed,
        FOUR_SPACES.replace(
            "- name: prod\n",
            "- name: prod\n          auto_approve: false\n          require_tests: false\n"
        )
    );
    client.did_change(URI, 2, json!([{"text": fixed}]));
    let published = client.published(URI, Some(2)).await;
    assert_eq!(published["diagnostics"], json!([]));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_config_gets_its_context_did_you_mean() {
    let uri = "file:///nonexistent-stella-test/home/.stella/config.yaml";
    let text = "current_context: prodd\ncontexts:\n  prod:\n    server: https://a.example\n";
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(uri, 1, text);

    let mut params = code_action((0, 17), (0, 22), Some(&["quickfix"]));
    params["textDocument"]["uri"] = json!(uri);
    let response = client.request("textDocument/codeAction", params).await;

    let repairs = diagnostic(
        (0, 17),
        (0, 22),
        "unknown-context",
        "unknown context `prodd` (did you mean `prod`?)",
    );
    assert_eq!(
        response["result"],
        json!([{
            "title": "Change to `prod`",
            "kind": "quickfix",
            "diagnostics": [repairs],
            "edit": {"changes": {uri: [edit((0, 17), (0, 22), "prod")]}},
            "isPreferred": true,
        }])
    );
    client.shutdown().await;
}
