//! Byte offsets to line and column and back, in any of the three position encodings.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`, as both LSP and YAML 1.2 say. Columns count
//! UTF-8 bytes, UTF-16 code units or code points, on the exact text given (a BOM counts
//! as one character like any other). Nothing here panics: a line past the end is clamped
//! to the end of the text, a column past the end of its line to the line's end, and a
//! column inside a character snaps back to the character's start.

/// The unit a column is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

/// A 0-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset where each line starts; the first is always 0.
    line_starts: Vec<usize>,
    len: usize,
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut index = 0;

        while index < bytes.len() {
            let crlf = bytes[index] == b'\r' && bytes.get(index + 1) == Some(&b'\n');
            if crlf {
                index += 1;
            }
            if matches!(bytes[index], b'\n' | b'\r') {
                line_starts.push(index + 1);
            }
            index += 1;
        }

        LineIndex { line_starts, len: text.len(), ascii: text.is_ascii() }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where `line` starts, clamped to the end of the text.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// Byte offset where `line`'s content ends (before its line break).
    pub fn line_end(&self, text: &str, line: usize) -> usize {
        let Some(&next) = self.line_starts.get(line + 1) else {
            return self.len;
        };
        let bytes = text.as_bytes();
        let mut end = next;
        if end > 0 && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        end.max(self.line_start(line))
    }

    /// The line and column of a byte offset (clamped to the text, snapped to a character).
    pub fn line_col(&self, text: &str, offset: usize, encoding: Encoding) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(self.len));
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let col = if self.ascii || encoding == Encoding::Utf8 {
            offset - start
        } else {
            width(&text[start..offset], encoding)
        };
        LineCol { line: to_u32(line), col: to_u32(col) }
    }

    /// The byte offset of a line and column. Clamps as the module doc says.
    pub fn offset(&self, text: &str, line_col: LineCol, encoding: Encoding) -> usize {
        let line = line_col.line as usize;
        if line >= self.line_starts.len() {
            return self.len;
        }
        let start = self.line_starts[line];
        let end = self.line_end(text, line);
        let wanted = line_col.col as usize;

        if self.ascii || encoding == Encoding::Utf8 {
            return floor_char_boundary(text, start + wanted.min(end - start));
        }

        let mut seen = 0;
        for (index, character) in text[start..end].char_indices() {
            let next = seen + char_width(character, encoding);
            if next > wanted {
                return start + index;
            }
            seen = next;
        }
        end
    }
}

/// How many columns `text` spans in `encoding`.
pub fn width(text: &str, encoding: Encoding) -> usize {
    match encoding {
        Encoding::Utf8 => text.len(),
        Encoding::Utf16 => text.chars().map(char::len_utf16).sum(),
        Encoding::Utf32 => text.chars().count(),
    }
}

fn char_width(character: char, encoding: Encoding) -> usize {
    match encoding {
        Encoding::Utf8 => character.len_utf8(),
        Encoding::Utf16 => character.len_utf16(),
        Encoding::Utf32 => 1,
    }
}

/// The largest character boundary at or before `offset`.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, offset: usize, encoding: Encoding) -> (u32, u32, usize) {
        let index = LineIndex::new(text);
        let line_col = index.line_col(text, offset, encoding);
        (line_col.line, line_col.col, index.offset(text, line_col, encoding))
    }

    #[test]
    fn line_breaks_of_every_kind_start_a_line() {
        let text = "a\nb\r\nc\rd";
        let index = LineIndex::new(text);

        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_start(1), 2);
        assert_eq!(index.line_start(2), 5);
        assert_eq!(index.line_start(3), 7);
        assert_eq!(index.line_end(text, 1), 3);
        assert_eq!(index.line_end(text, 2), 6);
        assert_eq!(index.line_end(text, 3), 8);
    }

    #[test]
    fn astral_characters_count_two_utf16_units() {
        // `x🚀y`: `x` at byte 0, the rocket at bytes 1..5, `y` at byte 5.
        // UTF-16 columns: x=0, rocket=1..3, y=3. Code points: y=2.
        let text = "x🚀y";

        assert_eq!(round_trip(text, 5, Encoding::Utf16), (0, 3, 5));
        assert_eq!(round_trip(text, 5, Encoding::Utf32), (0, 2, 5));
        assert_eq!(round_trip(text, 5, Encoding::Utf8), (0, 5, 5));
    }

    #[test]
    fn a_column_inside_a_surrogate_pair_snaps_to_the_character_start() {
        let text = "x🚀y";
        let index = LineIndex::new(text);

        assert_eq!(index.offset(text, LineCol { line: 0, col: 2 }, Encoding::Utf16), 1);
        assert_eq!(index.offset(text, LineCol { line: 0, col: 3 }, Encoding::Utf8), 1);
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);

        assert_eq!(index.offset(text, LineCol { line: 0, col: 99 }, Encoding::Utf16), 2);
        assert_eq!(index.offset(text, LineCol { line: 7, col: 0 }, Encoding::Utf16), 5);
        assert_eq!(index.line_col(text, 99, Encoding::Utf16), LineCol { line: 1, col: 2 });
    }

    #[test]
    fn a_bom_is_one_column() {
        let text = "\u{FEFF}release: x";

        assert_eq!(round_trip(text, 3, Encoding::Utf16), (0, 1, 3));
    }

    #[test]
    fn crlf_end_of_line_is_before_the_carriage_return() {
        let text = "ab\r\ncd\r\n";
        let index = LineIndex::new(text);

        assert_eq!(index.line_col(text, 2, Encoding::Utf16), LineCol { line: 0, col: 2 });
        assert_eq!(index.line_col(text, 4, Encoding::Utf16), LineCol { line: 1, col: 0 });
        assert_eq!(index.offset(text, LineCol { line: 1, col: 40 }, Encoding::Utf16), 6);
    }
}
