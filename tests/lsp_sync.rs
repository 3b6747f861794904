//! Text sync and diagnostics publishing, over the built binary and in-process: position
//! encoding negotiation, B13 (stale diagnostics) and B14 (incremental didChange) from
//! `shared/cases/README.md`.

mod support;

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};
use support::{expected_diagnostics, range, TestClient, DUPLICATE_IMAGE, REL_COMP, URI};

fn capabilities(encoding: &str) -> Value {
    json!({
        "codeActionProvider": true,
        "codeLensProvider": {"resolveProvider": true},
        "completionProvider": {"triggerCharacters": ["/"]},
        "diagnosticProvider": {
            "identifier": "stella",
            "interFileDependencies": false,
            "workspaceDiagnostics": false
        },
        "executeCommandProvider": {"commands": [
            "stella.createRelease", "stella.promote", "stella.deploy", "stella.validate",
            "stella.diff", "stella.apply", "stella.refresh", "stella.noop"
        ]},
        "definitionProvider": true,
        "documentLinkProvider": {"resolveProvider": false},
        "documentSymbolProvider": true,
        "foldingRangeProvider": true,
        "hoverProvider": true,
        "inlayHintProvider": true,
        "positionEncoding": encoding,
        "referencesProvider": true,
        "renameProvider": {"prepareProvider": true},
        "selectionRangeProvider": true,
        "textDocumentSync": {"change": 2, "openClose": true}
    })
}

fn line(text: &str, index: usize) -> String {
    text.lines().nth(index).unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_picks_utf16_when_utf8_is_not_offered() {
    let mut client = TestClient::binary();

    let result = client.initialize_with(Some(&["utf-16", "utf-32"]), json!({})).await;

    assert_eq!(result["capabilities"], capabilities("utf-16"));
    assert_eq!(
        result["serverInfo"],
        json!({"name": "stella-lsp", "version": env!("CARGO_PKG_VERSION")})
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_picks_utf16_when_the_client_offers_nothing() {
    let mut client = TestClient::binary();

    let result = client.initialize().await;

    assert_eq!(result["capabilities"], capabilities("utf-16"));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_after_shutdown_and_exit() {
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(URI, 1, REL_COMP);
    client.published(URI, Some(1)).await;

    client.shutdown().await;

    assert_eq!(client.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_are_skipped_and_the_server_keeps_serving() {
    let mut client = TestClient::binary();
    client.initialize().await;

    client.send_raw(b"Content-Length: 3\r\n\r\nabc");
    client.send_raw(b"Content-Length: 5\r\n\r\n{\"a\":");
    client.send_raw(b"Content-Length: 3\r\n\r\n[1]");
    client.send_raw(b"Content-Lenth: 2\r\n\r\n{}");
    client.did_open(URI, 1, DUPLICATE_IMAGE);
    let published = client.published(URI, Some(1)).await;

    assert_eq!(published["diagnostics"], expected_diagnostics(URI, DUPLICATE_IMAGE, false));
    client.shutdown().await;
    assert_eq!(client.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_without_shutdown_exits_1() {
    let mut client = TestClient::binary();
    client.initialize().await;

    client.notify("exit", Value::Null);

    assert_eq!(client.exit_code().await, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_picks_utf8_when_offered() {
    let mut client = TestClient::binary();

    let result = client.initialize_with(Some(&["utf-16", "utf-8"]), json!({})).await;

    assert_eq!(result["capabilities"], capabilities("utf-8"));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b13_2_two_changes_back_to_back_end_at_version_3() {
    let (mut client, store) = TestClient::in_process();
    client.initialize().await;
    client.did_open(URI, 1, REL_COMP);
    let opened = client.published(URI, Some(1)).await;

    client.did_change(
        URI,
        2,
        json!([{"range": range((1, 11), (1, 11)), "text": "\n  name: app2"}]),
    );
    client.did_change(URI, 3, json!([{"range": range((1, 0), (2, 0)), "text": ""}]));
    let publishes = client.publishes_until(URI, 3).await;
    client.sync(URI).await;
    let later = client.publishes_within(URI, Duration::from_millis(500)).await;

    let final_text = REL_COMP.replacen("  name: app\n", "  name: app2\n", 1);
    assert_eq!(opened["diagnostics"], json!([]));
    assert_eq!(store.text(URI).as_deref(), Some(final_text.as_str()));
    assert_eq!(publishes.last().unwrap(), &json!({"uri": URI, "version": 3, "diagnostics": []}));
    assert!(publishes.iter().all(|publish| publish["version"] == 2 || publish["version"] == 3));
    assert_eq!(later, Vec::<Value>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b14_1_edits_next_to_an_astral_character_use_utf16_columns() {
    let (mut client, store) = TestClient::in_process();
    client.initialize().await;
    let start = REL_COMP.replacen("  name: app\n", "  name: \"🚀x\"\n", 1);
    client.did_open(URI, 1, &start);

    client.did_change(URI, 2, json!([{"range": range((1, 11), (1, 11)), "text": "y"}]));
    client.sync(URI).await;
    let after_2 = store.text(URI).unwrap();
    client.did_change(URI, 3, json!([{"range": range((1, 9), (1, 11)), "text": ""}]));
    client.sync(URI).await;
    let after_3 = store.text(URI).unwrap();

    assert_eq!(line(&after_2, 1), "  name: \"🚀yx\"");
    assert_eq!(line(&after_3, 1), "  name: \"yx\"");
    assert_eq!(store.version(URI), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b14_1_utf8_columns_when_negotiated() {
    let (mut client, store) = TestClient::in_process();
    client.initialize_with(Some(&["utf-8"]), json!({})).await;
    let start = REL_COMP.replacen("  name: app\n", "  name: \"🚀x\"\n", 1);
    client.did_open(URI, 1, &start);

    // In UTF-8 the rocket takes bytes 9..13 of line 1, so `x` is at 13.
    client.did_change(URI, 2, json!([{"range": range((1, 13), (1, 13)), "text": "y"}]));
    client.did_change(URI, 3, json!([{"range": range((1, 9), (1, 13)), "text": ""}]));
    client.sync(URI).await;

    assert_eq!(line(&store.text(URI).unwrap(), 1), "  name: \"yx\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b14_2_a_column_inside_a_surrogate_pair_snaps_to_the_character_start() {
    let (mut client, store) = TestClient::in_process();
    client.initialize().await;
    let start = REL_COMP.replacen("  name: app\n", "  name: \"🚀yx\"\n", 1);
    client.did_open(URI, 2, &start);

    client.did_change(URI, 3, json!([{"range": range((1, 10), (1, 10)), "text": "z"}]));
    client.sync(URI).await;

    assert_eq!(line(&store.text(URI).unwrap(), 1), "  name: \"z🚀yx\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b14_3_ranges_past_the_end_are_clamped() {
    let (mut client, store) = TestClient::in_process();
    client.initialize().await;
    client.did_open(URI, 1, "release:\n  name: app");

    client.did_change(URI, 2, json!([{"range": range((0, 0), (2, 0)), "text": ""}]));
    client.sync(URI).await;
    let after_2 = store.text(URI).unwrap();
    client.did_change(URI, 3, json!([{"range": range((0, 0), (0, 0)), "text": REL_COMP}]));
    client.sync(URI).await;
    let after_3 = store.text(URI).unwrap();
    client.did_change(URI, 4, json!([{"range": range((1, 8), (1, 99)), "text": "web"}]));
    let published = client.published(URI, Some(4)).await;
    let after_4 = store.text(URI).unwrap();

    assert_eq!(after_2, "");
    assert_eq!(after_3, REL_COMP);
    assert_eq!(after_4, REL_COMP.replacen("  name: app\n", "  name: web\n", 1));
    assert_eq!(published["diagnostics"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b14_4_changes_in_one_notification_apply_one_after_another() {
    let (mut client, store) = TestClient::in_process();
    client.initialize().await;
    let version_4 = REL_COMP.replacen("  name: app\n", "  name: web\n", 1);
    client.did_open(URI, 4, &version_4);

    client.did_change(
        URI,
        5,
        json!([
            {"range": range((1, 8), (1, 11)), "text": "x"},
            {"range": range((1, 8), (1, 9)), "text": "api"}
        ]),
    );
    client.sync(URI).await;

    assert_eq!(line(&store.text(URI).unwrap(), 1), "  name: api");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_without_range_replaces_the_text() {
    let (mut client, store) = TestClient::in_process();
    client.initialize().await;
    client.did_open(URI, 1, "release: {}\n");

    client.did_change(URI, 2, json!([{"text": REL_COMP}]));
    client.sync(URI).await;

    assert_eq!(store.text(URI).as_deref(), Some(REL_COMP));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_documents_are_kept_in_sync_but_get_no_diagnostics() {
    let (mut client, store) = TestClient::in_process();
    client.initialize().await;
    let other = "file:///nonexistent-stella-test/w/values.yaml";

    client.did_open(other, 1, "a: 1\na: 2\n");
    client.did_change(other, 2, json!([{"range": range((0, 3), (0, 4)), "text": "3"}]));
    client.did_open(URI, 1, REL_COMP);
    client.published(URI, Some(1)).await;
    client.did_close(other);
    client.sync(URI).await;

    assert_eq!(
        client.publishes_within(other, Duration::from_millis(300)).await,
        Vec::<Value>::new()
    );
    assert_eq!(store.text(other), None);
    assert_eq!(store.language_id(URI).as_deref(), Some("yaml"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_pull_get_a_full_report_and_no_pushes() {
    let (mut client, _store) = TestClient::in_process();
    client
        .initialize_with(
            None,
            json!({"textDocument": {"diagnostic": {"dynamicRegistration": false}}}),
        )
        .await;
    client.did_open(URI, 1, DUPLICATE_IMAGE);

    let report =
        client.request("textDocument/diagnostic", json!({"textDocument": {"uri": URI}})).await;
    let pushed = client.publishes_within(URI, Duration::from_millis(300)).await;

    assert_eq!(
        report["result"],
        json!({"kind": "full", "items": expected_diagnostics(URI, DUPLICATE_IMAGE, false)})
    );
    assert_eq!(pushed, Vec::<Value>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_answered_while_a_big_document_is_analysed() {
    let (mut client, _store) = TestClient::in_process();
    client.initialize().await;
    let mut big = REL_COMP.to_owned();
    for index in 1..2000 {
        let _ = write!(
            big,"  - name: c{index}\n    image: registry.example/c{index}\n    dockerfile: Dockerfile\n    build_context: .\n"
        );
    }

    client.did_open(URI, 1, &big);
    client.sync(URI).await;
    let published_before_the_answer = client.has_received_publish(URI);
    client.published(URI, Some(1)).await;

    // The answer overtook the analysis: requests never wait for diagnostics.
    assert!(!published_before_the_answer);
    let lenses =
        client.request("textDocument/codeLens", json!({"textDocument": {"uri": URI}})).await;
    assert_eq!(lenses["result"].as_array().map(Vec::len), Some(3), "create, validate, diff");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_project_has_no_diagnostics() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/example/.stella.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = format!("file://{}", path.display());
    let mut client = TestClient::binary();
    client.initialize().await;

    client.did_open(&uri, 1, &text);
    let published = client.published(&uri, Some(1)).await;

    assert_eq!(published, json!({"uri": uri, "version": 1, "diagnostics": []}));
    client.shutdown().await;
}
