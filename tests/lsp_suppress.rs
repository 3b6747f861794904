//! Suppressions over LSP: a suppressed diagnostic is not published, an unused suppression
//! is, as a warning on the code in the comment.

mod support;

use serde_json::json;
use support::{range, TestClient};

#[tokio::test]
async fn a_suppressed_diagnostic_is_not_published_and_an_unused_one_is() {
    let text = "release:\n  name: app\n  tag_pattern: \"v*\"\n  version_pattern: \"v{version}\"\ncomponents:\n  - name: api\n    image: registry.example/api\n    # stella-ignore: unknown-key, wrong-type\n    imgae: x\n";
    let uri = "file:///suppress/.stella.yaml";
    let mut client = TestClient::binary();
    client.initialize().await;

    client.did_open(uri, 1, text);
    let published = client.published(uri, Some(1)).await;

    assert_eq!(
        published,
        json!({
            "uri": uri,
            "version": 1,
            "diagnostics": [{
                "range": range((7, 34), (7, 44)),
                "severity": 2,
                "code": "unused-suppression",
                "source": "stella",
                "message": "no `wrong-type` diagnostic on the next line to suppress; remove the code",
            }],
        })
    );
    client.shutdown().await;
}
