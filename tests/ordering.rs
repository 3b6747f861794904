//! 1,000 dependent incremental edits sent back to back must be applied in wire order: the
//! server's final text equals the same edits applied by hand, and the last published
//! diagnostics are the core's analysis of that text.

mod support;

use serde_json::{json, Value};
use support::{expected_diagnostics, range, TestClient, REL_COMP};

const URI: &str = "file:///nonexistent-stella-test/ordering/.stella.yaml";
const EDITS: usize = 1000;
const RUNS: u64 = 20;

/// Inserted one at a time; newlines, two-byte, three-byte and astral characters included.
const PALETTE: &[&str] = &["a", "b", " ", ":", "\n", "é", "中", "🚀", "-", "x🚀y"];

/// A deterministic hash of the text so far, so every edit depends on all edits before it.
fn fnv(text: &str, seed: u64) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The LSP position (UTF-16 columns) of byte `offset`, computed by hand on `\n` lines.
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column: usize = before[line_start..].chars().map(char::len_utf16).sum();
    (u32::try_from(line).unwrap(), u32::try_from(column).unwrap())
}

/// Picks a character boundary of `text` from `hash`.
fn boundary(text: &str, hash: u64) -> usize {
    let boundaries: Vec<usize> =
        text.char_indices().map(|(index, _)| index).chain([text.len()]).collect();
    boundaries[usize::try_from(hash % boundaries.len() as u64).unwrap()]
}

/// One edit on `text`: mostly inserts, one in eight deletes a character. Applies it to
/// `text` and returns the LSP change.
fn next_edit(text: &mut String, seed: u64) -> Value {
    let hash = fnv(text, seed);
    let at = boundary(text, hash);

    if hash % 8 == 0 && at < text.len() {
        let end = at + text[at..].chars().next().unwrap().len_utf8();
        let change = json!({"range": range(position(text, at), position(text, end)), "text": ""});
        text.replace_range(at..end, "");
        return change;
    }

    let inserted = PALETTE[usize::try_from((hash >> 32) % PALETTE.len() as u64).unwrap()];
    let change = json!({"range": range(position(text, at), position(text, at)), "text": inserted});
    text.insert_str(at, inserted);
    change
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_dependent_edits_stay_in_order() {
    for run in 0..RUNS {
        let (mut client, store) = TestClient::in_process();
        client.initialize().await;
        client.did_open(URI, 1, REL_COMP);

        let mut text = REL_COMP.to_owned();
        for version in 2..=i32::try_from(EDITS).unwrap() + 1 {
            let change = next_edit(&mut text, run);
            client.did_change(URI, version, json!([change]));
        }
        let last_version = i32::try_from(EDITS).unwrap() + 1;
        let publishes = client.publishes_until(URI, last_version).await;
        let stored = store.text(URI);

        assert_eq!(stored.as_deref(), Some(text.as_str()), "run {run}: text differs");
        assert_eq!(
            publishes.last().unwrap()["diagnostics"],
            expected_diagnostics(URI, &text, false),
            "run {run}: diagnostics differ"
        );
        let versions: Vec<i64> =
            publishes.iter().map(|publish| publish["version"].as_i64().unwrap()).collect();
        assert!(versions.windows(2).all(|pair| pair[0] < pair[1]), "run {run}: {versions:?}");
    }
}
