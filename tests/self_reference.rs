//! Texts that refer to themselves through anchors and merges (`release: &a` holding
//! `<<: *a`, or `<<: [*a, *a]`): every feature answers, at once and exactly, in the core and
//! over stdio with the debug build (whose stack is the smallest).

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use stella_lsp::core::yaml::{self, resolve, NodeKind};
use support::{range, TestClient};

const URI: &str = "file:///w/.stella.yaml";

/// The entries `resolve::entries` gives for the value of the first key of `text`.
fn merged_keys(text: &str) -> Vec<String> {
    let tree = yaml::parse(text).tree;
    let root = tree.documents[0].root.expect("a root");
    let NodeKind::Mapping(entries) = &tree.node(root).kind else {
        panic!("a mapping at the root");
    };
    resolve::entries(&tree, entries[0].value, true)
        .iter()
        .map(|entry| tree.key_text(entry.key).unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_mapping_that_merges_itself_gives_its_written_keys_once() {
    assert_eq!(merged_keys("release: &a\n  <<: [*a, *a]\n"), Vec::<String>::new());
    assert_eq!(merged_keys("release: &a\n  name: x\n  <<: [*a, *a, *a]\n"), ["name"]);
    // A source merged at two depths still gives its keys, in order, once.
    let text = "base: &b {tag_pattern: v*}\nrelease: &a\n  name: x\n  <<: [*a, {<<: *b}, *b]\n";
    let tree = yaml::parse(text).tree;
    let root = tree.documents[0].root.unwrap();
    let NodeKind::Mapping(entries) = &tree.node(root).kind else { panic!() };
    let keys: Vec<&str> = resolve::entries(&tree, entries[1].value, true)
        .iter()
        .map(|entry| tree.key_text(entry.key).unwrap())
        .collect();
    assert_eq!(keys, ["name", "tag_pattern"]);
}

async fn within(client: &mut TestClient, method: &str, params: Value) -> Value {
    let answer = tokio::time::timeout(Duration::from_secs(10), client.request(method, params));
    answer.await.unwrap_or_else(|_| panic!("no answer to {method} within 10 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_answers_on_a_self_merging_text() {
    for text in ["release: &a\n  <<: *a\n", "release: &a\n  <<: [*a, *a]\n"] {
        let mut client = TestClient::binary();
        client.initialize().await;
        client.did_open(URI, 1, text);
        let published = client.published(URI, Some(1)).await;

        let document = json!({"textDocument": {"uri": URI}});
        let at_alias =
            json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 7}});
        let hover = within(&mut client, "textDocument/hover", at_alias.clone()).await;
        let symbols = within(&mut client, "textDocument/documentSymbol", document.clone()).await;
        let folds = within(&mut client, "textDocument/foldingRange", document.clone()).await;
        let lenses = within(&mut client, "textDocument/codeLens", document.clone()).await;
        let mut actions = at_alias.clone();
        actions["range"] = range((0, 0), (2, 0));
        actions["context"] = json!({"diagnostics": []});
        let actions = within(&mut client, "textDocument/codeAction", actions).await;

        let diagnostics: Vec<(Value, &str, &str)> = published["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|diagnostic| {
                let code = diagnostic["code"].as_str().unwrap();
                (diagnostic["range"].clone(), code, diagnostic["message"].as_str().unwrap())
            })
            .collect();
        let end = u32::try_from(text.lines().nth(1).unwrap().len()).unwrap();
        let merge = range((1, 6), (1, end));
        assert_eq!(
            diagnostics,
            [(
                merge,
                "alias-limit",
                "this merge names a mapping that contains it, so it never ends"
            )],
            "{text}"
        );
        assert_eq!(hover["result"], Value::Null, "{text}");
        assert_eq!(symbols["result"][0]["name"], "release", "{text}");
        assert_eq!(
            folds["result"],
            json!([{"startLine": 0, "endLine": 1, "kind": "region"}]),
            "{text}"
        );
        let titles = |answer: &Value, field: &str| -> Vec<String> {
            let items = answer["result"].as_array().unwrap().iter();
            items.map(|item| item[field]["title"].as_str().unwrap_or_default().to_owned()).collect()
        };
        assert_eq!(
            titles(&lenses, "command"),
            ["Create release", "Validate with server", "Diff with server"]
        );
        assert_eq!(
            titles(&actions, "command"),
            [
                "Create release",
                "Validate with server",
                "Diff with server",
                "Apply to server (dry run)",
                "Apply to server"
            ]
        );
        client.shutdown().await;
    }
}
