//! A guard in front of the protocol: only well-formed messages reach the server.
//!
//! tower-lsp-server stops reading for good at the first message it cannot decode (a body
//! that is not JSON, a batch array, a broken header), and the editor loses its server. This
//! task reads the raw input, re-frames every message that is a JSON-RPC request, notification
//! or response, and passes it on; anything else is logged on stderr and skipped. After a
//! broken header it looks for the next `Content-Length:` and carries on from there.

use std::borrow::Cow;

use serde::de::IgnoredAny;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest header block accepted before looking for the next message.
const MAX_HEADER: usize = 8 * 1024;

const CONTENT_LENGTH: &[u8] = b"content-length:";

/// Copies messages from `input` to `output` until the input ends or the output closes.
pub async fn filter<R, W>(mut input: R, mut output: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buffer: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0; 64 * 1024];

    loop {
        // Drain every complete message in the buffer.
        while let Some(step) = next_message(&buffer) {
            match step {
                Step::Message { body, consumed } => {
                    if is_message(&buffer[body.clone()]) {
                        let header = format!("Content-Length: {}\r\n\r\n", body.len());
                        if output.write_all(header.as_bytes()).await.is_err()
                            || output.write_all(&buffer[body]).await.is_err()
                            || output.flush().await.is_err()
                        {
                            return;
                        }
                    } else {
                        tracing::warn!(
                            bytes = body.len(),
                            "skipped a message that is not JSON-RPC"
                        );
                    }
                    buffer.drain(..consumed);
                }
                Step::Skip(skipped) => {
                    tracing::warn!(bytes = skipped, "skipped input without a valid message header");
                    buffer.drain(..skipped);
                }
            }
        }

        match input.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// A whole message: its body, and how many bytes it took with its header.
    Message { body: std::ops::Range<usize>, consumed: usize },
    /// Bytes to throw away: a header that cannot be read.
    Skip(usize),
}

/// The next step for the buffered input, or `None` when more input is needed.
fn next_message(buffer: &[u8]) -> Option<Step> {
    let Some(header_end) = memchr::memmem::find(buffer, b"\r\n\r\n") else {
        return (buffer.len() > MAX_HEADER).then(|| Step::Skip(skip_to_next_header(buffer)));
    };
    let header = &buffer[..header_end];
    let length = header.split(|&byte| byte == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let name = line.get(..CONTENT_LENGTH.len())?;
        if !name.eq_ignore_ascii_case(CONTENT_LENGTH) {
            return None;
        }
        std::str::from_utf8(&line[CONTENT_LENGTH.len()..]).ok()?.trim().parse::<usize>().ok()
    });
    let Some(length) = length else {
        return Some(Step::Skip(skip_to_next_header(&buffer[..header_end + 4])));
    };

    let start = header_end + 4;
    (buffer.len() >= start + length)
        .then(|| Step::Message { body: start..start + length, consumed: start + length })
}

/// How many bytes to drop so that the buffer starts at the next `Content-Length:` after
/// its first byte (or all of it when there is none).
fn skip_to_next_header(buffer: &[u8]) -> usize {
    let lower: Vec<u8> = buffer.iter().map(u8::to_ascii_lowercase).collect();
    memchr::memmem::find(&lower[1.min(lower.len())..], CONTENT_LENGTH)
        .map_or(buffer.len(), |index| index + 1)
}

/// The fields that make a JSON-RPC message what it is; the rest is skipped unread.
#[derive(Deserialize)]
struct Probe<'a> {
    // Owned when the JSON escapes a character: Neovim writes `"textDocument\/didOpen"`.
    #[serde(borrow)]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "present")]
    id: bool,
    #[serde(default, deserialize_with = "present")]
    result: bool,
    #[serde(default, deserialize_with = "present")]
    error: bool,
}

/// True for a field that is there, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(deserializer).map(|_| true)
}

/// Whether `body` is a JSON-RPC 2.0 request, notification or response.
fn is_message(body: &[u8]) -> bool {
    let Ok(probe) = serde_json::from_slice::<Probe<'_>>(body) else {
        return false;
    };
    probe.jsonrpc.as_deref() == Some("2.0")
        && (probe.method.is_some() || (probe.id && (probe.result || probe.error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_message_is_passed_on() {
        let input =
            b"Content-Length: 40\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":1}xyzwContent";
        assert_eq!(next_message(input), Some(Step::Message { body: 22..62, consumed: 62 }));
    }

    #[test]
    fn a_partial_message_waits_for_more() {
        assert_eq!(next_message(b"Content-Length: 40\r\n\r\n{\"jsonrpc\""), None);
        assert_eq!(next_message(b"Content-Len"), None);
    }

    #[test]
    fn a_header_without_a_length_is_skipped_up_to_the_next_one() {
        let input = b"Content-Lenth: 3\r\n\r\nabcContent-Length: 2\r\n\r\n{}";
        assert_eq!(next_message(input), Some(Step::Skip(20)));
        assert_eq!(next_message(&input[20..]), Some(Step::Skip(3)));
        assert_eq!(next_message(&input[23..]), Some(Step::Message { body: 21..23, consumed: 23 }));
    }

    #[test]
    fn only_json_rpc_messages_pass() {
        assert!(is_message(br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#));
        assert!(is_message(br#"{"jsonrpc":"2.0","id":3,"result":null}"#));
        assert!(!is_message(b"abc"));
        assert!(!is_message(b"[1]"));
        assert!(!is_message(br#"{"a":"#));
        assert!(!is_message(br#"{"jsonrpc":"2.0","id":3}"#));
        assert!(!is_message(br#"{"method":"x"}"#));
    }

    #[test]
    fn escaped_strings_are_json_rpc_too() {
        // Neovim's encoder escapes every `/`.
        assert!(is_message(br#"{"jsonrpc":"2.0","method":"textDocument\/didOpen","params":{}}"#));
        assert!(is_message(br#"{"jsonrpc":"2\u002e0","id":1,"result":null}"#));
        assert!(!is_message(br#"{"jsonrpc":"2\u002e1","id":1,"result":null}"#));
    }
}
