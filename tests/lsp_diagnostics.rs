//! Published diagnostics with exact LSP ranges for the cases in `shared/cases/README.md`
//! (B01-2, B02, B03, B04-1, B13-1), in both negotiated encodings.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{range, TestClient, DUPLICATE_IMAGE, URI};

const REL: &str =
    "release:\n  name: app\n  tag_pattern: \"v*\"\n  version_pattern: \"v{version}\"\n";
const COMP: &str = "components:\n  - name: api\n    image: registry.example/api\n    dockerfile: Dockerfile\n    build_context: .\n";

fn flow_mapping_with_astral_characters() -> String {
    format!(
        "{REL}components:\n  - {{name: api, image: \"registry.example/é🚀\", dockerfile: Dockerfile, build_context: ., name: api2}}\n"
    )
}

/// Publishes `text` as version 1 and returns the published diagnostics.
async fn diagnostics_of(text: &str, utf8: bool) -> Vec<Value> {
    let (mut client, _store) = TestClient::in_process();
    if utf8 {
        client.initialize_with(Some(&["utf-8"]), json!({})).await;
    } else {
        client.initialize().await;
    }

    client.did_open(URI, 1, text);
    let published = client.published(URI, Some(1)).await;
    published["diagnostics"].as_array().unwrap().clone()
}

/// Asserts exactly one duplicate-key Error at `at` with related information at `first`.
fn assert_duplicate(diagnostics: &[Value], key: &str, at: &Value, first: &Value) {
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let mut diagnostic = diagnostics[0].clone();
    let related_message = diagnostic["relatedInformation"][0]["message"].take();
    assert!(related_message.as_str().is_some_and(|message| !message.is_empty()));

    assert_eq!(
        diagnostic,
        json!({
            "range": at,
            "severity": 1,
            "code": "duplicate-key",
            "source": "stella",
            "message": format!("duplicate key `{key}`"),
            "relatedInformation": [{"location": {"uri": URI, "range": first}, "message": null}]
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b01_2_the_duplicate_key_itself_is_marked() {
    let diagnostics = diagnostics_of(DUPLICATE_IMAGE, false).await;

    assert_duplicate(&diagnostics, "image", &range((7, 4), (7, 9)), &range((6, 4), (6, 9)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b02_crlf_and_lone_cr_line_breaks() {
    for line_break in ["\r\n", "\r"] {
        let text = DUPLICATE_IMAGE.replace('\n', line_break);

        let diagnostics = diagnostics_of(&text, false).await;

        assert_duplicate(&diagnostics, "image", &range((7, 4), (7, 9)), &range((6, 4), (6, 9)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b03_utf16_columns_after_astral_characters() {
    let diagnostics = diagnostics_of(&flow_mapping_with_astral_characters(), false).await;

    assert_duplicate(&diagnostics, "name", &range((5, 89), (5, 93)), &range((5, 5), (5, 9)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b03_utf8_columns_when_negotiated() {
    let diagnostics = diagnostics_of(&flow_mapping_with_astral_characters(), true).await;

    assert_duplicate(&diagnostics, "name", &range((5, 92), (5, 96)), &range((5, 5), (5, 9)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b04_1_columns_count_a_bom_when_the_client_sends_one() {
    let line_0 =
        "release: {name: app, tag_pattern: \"v*\", version_pattern: \"v{version}\", name: x}\n";

    let with_bom = diagnostics_of(&format!("\u{FEFF}{line_0}{COMP}"), false).await;
    let without_bom = diagnostics_of(&format!("{line_0}{COMP}"), false).await;

    assert_duplicate(&with_bom, "name", &range((0, 72), (0, 76)), &range((0, 11), (0, 15)));
    assert_duplicate(&without_bom, "name", &range((0, 71), (0, 75)), &range((0, 10), (0, 14)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b13_1_open_publishes_the_error_and_close_clears_it() {
    let mut client = TestClient::binary();
    client.initialize().await;

    client.did_open(URI, 1, DUPLICATE_IMAGE);
    let opened = client.published(URI, Some(1)).await;
    client.did_close(URI);
    let closed = client.published(URI, None).await;
    client.sync(URI).await;
    let after_close = client.publishes_within(URI, Duration::from_millis(500)).await;

    assert_duplicate(
        opened["diagnostics"].as_array().unwrap(),
        "image",
        &range((7, 4), (7, 9)),
        &range((6, 4), (6, 9)),
    );
    assert_eq!(closed, json!({"uri": URI, "diagnostics": []}));
    assert_eq!(after_close, Vec::<Value>::new());
    client.shutdown().await;
}
