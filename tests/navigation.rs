//! Outline, folding, selection ranges, definition, references, rename and document links
//! over stdio with the built binary, on a CRLF file with an astral character before an
//! environment name on the same line (UTF-16 columns).

mod support;

use serde_json::{json, Value};
use support::{range, TestClient, URI};

/// Lines as numbered in the tests. Line 12: `"🚀-main"` is 9 UTF-16 units (the rocket is
/// two), so `staging` there is at columns 27..34 (29..36 in bytes).
const LINES: [&str; 15] = [
    "# 🚀 environments below",               // 0
    "# and branches",                        // 1
    "release:",                              // 2
    "  name: app",                           // 3
    "components:",                           // 4
    "  - name: api",                         // 5
    "    dockerfile: Dockerfile",            // 6
    "auto_promote:",                         // 7
    "  environments:",                       // 8
    "    - name: \"staging\"",               // 9
    "    - name: prod",                      // 10
    "branches:",                             // 11
    "  \"🚀-main\": {environment: staging}", // 12
    "  dev:",                                // 13
    "    environment: \"staging\"",          // 14
];

fn text(line_break: &str) -> String {
    LINES.join(line_break) + line_break
}

async fn opened(line_break: &str) -> TestClient {
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(URI, 1, &text(line_break));
    client
}

fn position(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

fn location(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({"uri": URI, "range": range(start, end)})
}

fn symbol(
    name: &str,
    kind: u32,
    span: ((u32, u32), (u32, u32)),
    selection: ((u32, u32), (u32, u32)),
    children: Option<Value>,
) -> Value {
    let mut symbol = json!({
        "name": name,
        "kind": kind,
        "range": range(span.0, span.1),
        "selectionRange": range(selection.0, selection.1),
    });
    if let Some(children) = children {
        symbol["children"] = children;
    }
    symbol
}

const MODULE: u32 = 2;
const ARRAY: u32 = 18;
const OBJECT: u32 = 19;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outline_of_a_crlf_file_names_every_component_environment_and_branch() {
    let mut client = opened("\r\n").await;

    let response =
        client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": URI}})).await;

    let environments = json!([
        symbol("staging", OBJECT, ((9, 6), (9, 21)), ((9, 12), (9, 21)), None),
        symbol("prod", OBJECT, ((10, 6), (10, 16)), ((10, 12), (10, 16)), None),
    ]);
    let expected = json!([
        symbol("release", MODULE, ((2, 0), (3, 11)), ((2, 0), (2, 7)), None),
        symbol(
            "components",
            ARRAY,
            ((4, 0), (6, 26)),
            ((4, 0), (4, 10)),
            Some(json!([symbol("api", OBJECT, ((5, 4), (6, 26)), ((5, 10), (5, 13)), None)])),
        ),
        symbol(
            "auto_promote",
            MODULE,
            ((7, 0), (10, 16)),
            ((7, 0), (7, 12)),
            Some(json!([symbol(
                "environments",
                ARRAY,
                ((8, 2), (10, 16)),
                ((8, 2), (8, 14)),
                Some(environments)
            )])),
        ),
        symbol(
            "branches",
            ARRAY,
            ((11, 0), (14, 26)),
            ((11, 0), (11, 8)),
            Some(json!([
                symbol("🚀-main", OBJECT, ((12, 2), (12, 35)), ((12, 2), (12, 11)), None),
                symbol("dev", OBJECT, ((13, 2), (14, 26)), ((13, 2), (13, 5)), None),
            ])),
        ),
    ]);
    assert_eq!(response["result"], expected);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folding_ranges_of_a_crlf_file_cover_blocks_and_the_comment_run() {
    let mut client = opened("\r\n").await;

    let response =
        client.request("textDocument/foldingRange", json!({"textDocument": {"uri": URI}})).await;

    let fold = |start: u32, end: u32, kind: &str| json!({"startLine": start, "endLine": end, "kind": kind});
    let expected = json!([
        fold(0, 1, "comment"),
        fold(2, 3, "region"),
        fold(4, 6, "region"),
        fold(5, 6, "region"),
        fold(7, 10, "region"),
        fold(8, 10, "region"),
        fold(11, 14, "region"),
        fold(13, 14, "region"),
    ]);
    assert_eq!(response["result"], expected);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selection_range_grows_from_a_name_to_the_document() {
    let mut client = opened("\r\n").await;

    let response = client
        .request(
            "textDocument/selectionRange",
            json!({"textDocument": {"uri": URI}, "positions": [{"line": 10, "character": 13}]}),
        )
        .await;

    let ranges = [
        ((10, 12), (10, 16)),
        ((10, 6), (10, 16)),
        ((9, 4), (10, 16)),
        ((8, 2), (10, 16)),
        ((7, 0), (10, 16)),
        ((2, 0), (14, 26)),
        ((0, 0), (15, 0)),
    ];
    let mut expected = Value::Null;
    for (start, end) in ranges.into_iter().rev() {
        let mut selection = json!({"range": range(start, end)});
        if !expected.is_null() {
            selection["parent"] = expected;
        }
        expected = selection;
    }
    assert_eq!(response["result"], json!([expected]));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definition_and_references_count_utf16_units_after_an_astral_character() {
    let mut client = opened("\n").await;

    let definition = client.request("textDocument/definition", position(12, 30)).await;
    let mut with_declaration = position(12, 27);
    with_declaration["context"] = json!({"includeDeclaration": true});
    let all = client.request("textDocument/references", with_declaration.clone()).await;
    with_declaration["context"] = json!({"includeDeclaration": false});
    let uses = client.request("textDocument/references", with_declaration).await;
    let on_a_key = client.request("textDocument/definition", position(13, 3)).await;

    let declaration = location((9, 13), (9, 20));
    let in_flow = location((12, 27), (12, 34));
    let quoted = location((14, 18), (14, 25));
    assert_eq!(definition["result"], declaration);
    assert_eq!(all["result"], json!([declaration, in_flow, quoted]));
    assert_eq!(uses["result"], json!([in_flow, quoted]));
    assert_eq!(on_a_key["result"], Value::Null);
    client.shutdown().await;
}

/// Requests share one parse per version: after an edit they answer from the new text, and
/// while the text is broken they answer nothing rather than from the old parse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_follow_every_edit_and_a_broken_text_gets_none() {
    let mut client = opened("\n").await;
    let before = client.request("textDocument/definition", position(14, 20)).await;

    // Two lines are inserted above the declaration, which moves it down by two.
    let insert = json!([{"range": range((8, 0), (8, 0)), "text": "  enabled: true\n  # moved\n"}]);
    client.did_change(URI, 2, insert);
    let after = client.request("textDocument/definition", position(16, 20)).await;
    let broken = json!([{"range": range((3, 0), (3, 0)), "text": "  [\n"}]);
    client.did_change(URI, 3, broken);
    let while_broken = client.request("textDocument/definition", position(17, 20)).await;

    assert_eq!(before["result"], location((9, 13), (9, 20)));
    assert_eq!(after["result"], location((11, 13), (11, 20)));
    assert_eq!(while_broken["result"], Value::Null);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_edits_the_declaration_and_every_use_keeping_quotes() {
    let mut client = opened("\r\n").await;

    let prepared = client.request("textDocument/prepareRename", position(12, 34)).await;
    let mut rename = position(9, 14);
    rename["newName"] = json!("qa");
    let renamed = client.request("textDocument/rename", rename).await;

    assert_eq!(prepared["result"], range((12, 27), (12, 34)));
    let edit = |start, end| json!({"range": range(start, end), "newText": "qa"});
    let expected = json!({"changes": {URI: [
        edit((9, 13), (9, 20)),
        edit((12, 27), (12, 34)),
        edit((14, 18), (14, 25)),
    ]}});
    assert_eq!(renamed["result"], expected);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_refuses_an_empty_or_already_declared_name() {
    let mut client = opened("\n").await;

    let mut empty = position(9, 14);
    empty["newName"] = json!("");
    let empty = client.request("textDocument/rename", empty).await;
    let mut taken = position(9, 14);
    taken["newName"] = json!("prod");
    let taken = client.request("textDocument/rename", taken).await;
    let elsewhere = client.request("textDocument/prepareRename", position(3, 3)).await;

    assert_eq!(empty["error"]["message"], "the new environment name is empty");
    assert_eq!(taken["error"]["message"], "an environment named `prod` is already declared");
    assert_eq!(elsewhere["result"], Value::Null);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_links_point_at_paths_that_exist_next_to_the_file() {
    let directory = std::env::temp_dir().join(format!("stella-nav-links-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    std::fs::write(directory.join("Dockerfile"), "FROM scratch\n").unwrap();
    let file = directory.join(".stella.yaml");
    let uri = format!("file://{}", file.display());
    let text =
        "components:\n  - name: api\n    dockerfile: \"Dockerfile\"\n    build_context: missing\n";
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(&uri, 1, text);
    client.did_open(URI, 1, text);

    let links =
        client.request("textDocument/documentLink", json!({"textDocument": {"uri": uri}})).await;
    let unsaved =
        client.request("textDocument/documentLink", json!({"textDocument": {"uri": URI}})).await;

    let target = format!("file://{}", directory.join("Dockerfile").display());
    assert_eq!(links["result"], json!([{"range": range((2, 17), (2, 27)), "target": target}]));
    assert_eq!(unsaved["result"], json!([]));
    client.shutdown().await;
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_through_an_alias_sends_one_edit_per_written_name_and_refuses_bad_names() {
    let text = "auto_promote:\n  environments:\n    - name: &s staging  # main\n      auto_approve: false\n      require_tests: false\nbranches:\n  main:\n    environment: *s\n  dev:\n    environment: \"staging\"   # the env\n";
    let mut client = TestClient::binary();
    client.initialize().await;
    client.did_open(URI, 1, text);

    let mut rename = position(2, 16);
    rename["newName"] = json!("stage");
    let renamed = client.request("textDocument/rename", rename).await;
    let mut references = position(2, 16);
    references["context"] = json!({"includeDeclaration": true});
    let references = client.request("textDocument/references", references).await;
    let mut spaced = position(2, 16);
    spaced["newName"] = json!("x\ny");
    let spaced = client.request("textDocument/rename", spaced).await;

    let edit = |start, end| json!({"range": range(start, end), "newText": "stage"});
    assert_eq!(
        renamed["result"],
        json!({"changes": {URI: [edit((2, 15), (2, 22)), edit((9, 18), (9, 25))]}})
    );
    assert_eq!(
        references["result"],
        json!([location((2, 15), (2, 22)), location((9, 18), (9, 25))])
    );
    assert_eq!(
        spaced["error"]["message"],
        "`x\\ny` is not a valid environment name: use at most 63 letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit"
    );
    client.shutdown().await;
}
