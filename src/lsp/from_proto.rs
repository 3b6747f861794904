//! Conversions from protocol values to the server's own: LSP positions to rope indices.

use ropey::{Rope, RopeSlice};
use tower_lsp_server::ls_types;

use crate::lsp::encoding::PositionEncoding;

/// A position resolved to a char index of a rope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RopeOffset {
    pub char_index: usize,
    /// The column fell inside a character (half a surrogate pair, the middle of a UTF-8
    /// sequence) and was moved back to the character's start. No correct client sends this.
    pub snapped: bool,
}

/// The char index of `position`. Never panics: a line past the end means the end of the
/// text, a column past the end of its line means the line's end (before its line break),
/// and a column inside a character snaps to the character's start.
pub fn offset(rope: &Rope, position: ls_types::Position, encoding: PositionEncoding) -> RopeOffset {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return RopeOffset { char_index: rope.len_chars(), snapped: false };
    }

    let line_start = rope.line_to_char(line);
    let line_end = line_start + content_len_chars(rope.line(line));
    let character = position.character as usize;

    match encoding {
        PositionEncoding::Utf16 => {
            let start_unit = rope.char_to_utf16_cu(line_start);
            let end_unit = rope.char_to_utf16_cu(line_end);
            let wanted = start_unit.saturating_add(character).min(end_unit);
            let char_index = rope.utf16_cu_to_char(wanted);
            RopeOffset { char_index, snapped: rope.char_to_utf16_cu(char_index) != wanted }
        }
        PositionEncoding::Utf8 => {
            let start_byte = rope.char_to_byte(line_start);
            let end_byte = rope.char_to_byte(line_end);
            let wanted = start_byte.saturating_add(character).min(end_byte);
            let char_index = rope.byte_to_char(wanted);
            RopeOffset { char_index, snapped: rope.char_to_byte(char_index) != wanted }
        }
    }
}

/// The char range of `range`, both ends resolved as [`offset`] does. A range whose end comes
/// before its start is read backwards rather than rejected.
pub fn char_range(
    rope: &Rope,
    range: ls_types::Range,
    encoding: PositionEncoding,
) -> (RopeOffset, RopeOffset) {
    let start = offset(rope, range.start, encoding);
    let end = offset(rope, range.end, encoding);

    if end.char_index < start.char_index {
        (end, start)
    } else {
        (start, end)
    }
}

/// Chars in `line` without its line break (`\n`, `\r\n` or a lone `\r`).
fn content_len_chars(line: RopeSlice<'_>) -> usize {
    let len = line.len_chars();
    let last = (len > 0).then(|| line.char(len - 1));
    let before_last = (len > 1).then(|| line.char(len - 2));

    match (before_last, last) {
        (Some('\r'), Some('\n')) => len - 2,
        (_, Some('\n' | '\r')) => len - 1,
        _ => len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, line: u32, character: u32, encoding: PositionEncoding) -> (usize, bool) {
        let rope = Rope::from_str(text);
        let position = ls_types::Position { line, character };
        let resolved = offset(&rope, position, encoding);
        (resolved.char_index, resolved.snapped)
    }

    #[test]
    fn utf16_columns_count_astral_characters_twice() {
        // `a🚀b`: chars a=0, rocket=1, b=2; UTF-16 units a=0, rocket=1..3, b=3.
        assert_eq!(at("a🚀b", 0, 3, PositionEncoding::Utf16), (2, false));
        assert_eq!(at("a🚀b", 0, 2, PositionEncoding::Utf16), (1, true));
    }

    #[test]
    fn utf8_columns_count_bytes() {
        // `é` is two bytes, so byte 2 is the `x` after it and byte 1 is inside it.
        assert_eq!(at("éx", 0, 2, PositionEncoding::Utf8), (1, false));
        assert_eq!(at("éx", 0, 1, PositionEncoding::Utf8), (0, true));
    }

    #[test]
    fn columns_past_the_line_end_stop_before_the_line_break() {
        assert_eq!(at("ab\r\ncd", 0, 99, PositionEncoding::Utf16), (2, false));
        assert_eq!(at("ab\rcd", 0, 99, PositionEncoding::Utf16), (2, false));
        assert_eq!(at("ab\ncd", 1, 99, PositionEncoding::Utf8), (5, false));
    }

    #[test]
    fn lines_past_the_end_mean_the_end_of_the_text() {
        assert_eq!(at("ab\ncd", 2, 0, PositionEncoding::Utf16), (5, false));
        assert_eq!(at("ab\ncd", u32::MAX, u32::MAX, PositionEncoding::Utf16), (5, false));
        assert_eq!(at("", 0, 7, PositionEncoding::Utf16), (0, false));
    }
}
