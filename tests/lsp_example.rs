//! End to end over stdio with the built binary: the design's example opens clean, and
//! broken variants of it, made by incremental edits, publish exactly these diagnostics.

mod support;

use serde_json::{json, Value};
use support::{range, TestClient};

fn example() -> (String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/example/.stella.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    (format!("file://{}", path.display()), text)
}

fn edit(start: (u32, u32), end: (u32, u32), text: &str) -> Value {
    json!([{"range": range(start, end), "text": text}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_and_broken_variants_of_it() {
    let (uri, text) = example();
    let mut client = TestClient::binary();
    client.initialize().await;

    client.did_open(&uri, 1, &text);
    assert_eq!(
        client.published(&uri, Some(1)).await,
        json!({"uri": uri, "version": 1, "diagnostics": []})
    );

    // Misspell `image` on line 11 (0-based): the key is unknown and the item lacks `image`.
    client.did_change(&uri, 2, edit((11, 6), (11, 8), "ga"));
    assert_eq!(
        client.published(&uri, Some(2)).await,
        json!({"uri": uri, "version": 2, "diagnostics": [
            {
                "range": range((10, 2), (10, 3)),
                "severity": 1,
                "code": "missing-key",
                "source": "stella",
                "message": "component is missing required property `image`",
            },
            {
                "range": range((11, 4), (11, 9)),
                "severity": 1,
                "code": "unknown-key",
                "source": "stella",
                "message": "unknown property `imgae` (did you mean `image`?)",
            },
        ]})
    );

    // Put it back, then point the Dockerfile of `api` somewhere that does not exist.
    client.did_change(&uri, 3, edit((11, 6), (11, 8), "ag"));
    client.did_change(&uri, 4, edit((12, 21), (12, 21), "x"));
    assert_eq!(
        client.published(&uri, Some(4)).await,
        json!({"uri": uri, "version": 4, "diagnostics": [{
            "range": range((12, 16), (12, 33)),
            "severity": 2,
            "code": "missing-path",
            "source": "stella",
            "message": "`dockerfile` names `./apix/Dockerfile`, which does not exist next to this file",
        }]})
    );

    // A second `name` in the same item: the duplicate key, with the first one related.
    client.did_change(&uri, 5, edit((12, 21), (12, 22), ""));
    client.did_change(&uri, 6, edit((11, 0), (11, 0), "    name: api2\n"));
    assert_eq!(
        client.published(&uri, Some(6)).await,
        json!({"uri": uri, "version": 6, "diagnostics": [{
            "range": range((11, 4), (11, 8)),
            "severity": 1,
            "code": "duplicate-key",
            "source": "stella",
            "message": "duplicate key `name`",
            "relatedInformation": [{
                "location": {"uri": uri, "range": range((10, 4), (10, 8))},
                "message": "`name` is first set here",
            }],
        }]})
    );

    // Undo it: clean again.
    client.did_change(&uri, 7, edit((11, 0), (12, 0), ""));
    assert_eq!(
        client.published(&uri, Some(7)).await,
        json!({"uri": uri, "version": 7, "diagnostics": []})
    );
    client.shutdown().await;
}
