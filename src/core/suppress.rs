//! Suppressions: `# stella-ignore: <code>, …` comments, which hide diagnostics with those
//! codes that start on the next line, and `# stella-ignore-file: <code>, …`, which hide them
//! in the whole file; a code that hides nothing is reported as `unused-suppression`.
//!
//! Comments are found by a scan of the lines, not by the YAML parser (which drops comments):
//! a suppression is a whole-line comment, a line whose first non-blank character is `#`, so
//! a `#` after a value is never read as one. Lines that are text rather than comments are
//! skipped: those inside a block scalar (`|` or `>`), and the continuation lines of a quoted
//! scalar that spans lines, which the scan follows by tracking where quotes open and close.
//! Texts without the word `stella-ignore` skip the scan after one `memmem` search.
//!
//! Codes of the syntax stage cannot be suppressed: when one is reported, the later stages
//! did not run, so hiding it would hide that the file was not checked. A suppression naming
//! one is reported as unused, with a message saying so. A code of a stage that did not run
//! (because an earlier stage found something) is not reported as unused: nobody can tell.

use crate::core::diagnostic::{Code, Diagnostic, Stage};
use crate::core::line_index::LineIndex;
use crate::core::span::Span;
use crate::core::suggest;

const MARKER: &str = "stella-ignore";
const LINE_PREFIX: &str = "stella-ignore:";
const FILE_PREFIX: &str = "stella-ignore-file:";

/// Where a suppression applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Diagnostics whose span starts in this byte range (the next line, its break included).
    Line {
        start: usize,
        end: usize,
    },
    File,
}

/// One code named in a suppression comment.
#[derive(Debug)]
struct Entry {
    /// The code as written, and where.
    name: String,
    span: Span,
    code: Option<Code>,
    used: bool,
}

/// The suppressions of one text, each kind in text order.
#[derive(Debug, Default)]
struct Suppressions {
    lines: Vec<Suppression>,
    files: Vec<Suppression>,
}

#[derive(Debug)]
struct Suppression {
    scope: Scope,
    /// Where the comment's directive word is, for a suppression that names no code.
    directive: Span,
    entries: Vec<Entry>,
}

/// Whether a suppression may hide diagnostics with `code`.
pub fn is_suppressible(code: Code) -> bool {
    code.stage() != Stage::Syntax && code != Code::UnusedSuppression
}

/// Applies the suppressions in `text` to its `diagnostics` (sorted as the analysis sorts
/// them): drops the suppressed ones and adds an `unused-suppression` for every code that
/// suppressed nothing. Returns the diagnostics in the same order. Never fails.
pub fn apply(text: &str, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if memchr::memmem::find(text.as_bytes(), MARKER.as_bytes()).is_none() {
        return diagnostics;
    }
    let mut suppressions = suppressions(text);
    if suppressions.lines.is_empty() && suppressions.files.is_empty() {
        return diagnostics;
    }

    // The stages after the first one that reported something did not run.
    let last_stage_run =
        diagnostics.iter().map(|diagnostic| rank(diagnostic.code.stage())).min().unwrap_or(u8::MAX);

    let mut kept = Vec::with_capacity(diagnostics.len());
    for diagnostic in diagnostics {
        if !is_suppressible(diagnostic.code) || !suppress(&mut suppressions, &diagnostic) {
            kept.push(diagnostic);
        }
    }

    for suppression in suppressions.lines.iter().chain(&suppressions.files) {
        kept.extend(unused(suppression, last_stage_run));
    }
    super::sort(kept)
}

/// Marks the entries that suppress `diagnostic`; whether there was one.
fn suppress(suppressions: &mut Suppressions, diagnostic: &Diagnostic) -> bool {
    let offset = diagnostic.span.start;

    // Line suppressions are in text order and the lines they cover do not overlap, so the
    // only candidate is the last one that starts at or before the diagnostic.
    let after = suppressions.lines.partition_point(|suppression| match suppression.scope {
        Scope::Line { start, .. } => start <= offset,
        Scope::File => true,
    });
    let line = after.checked_sub(1).and_then(|index| suppressions.lines.get_mut(index));
    let line = line.filter(|suppression| match suppression.scope {
        Scope::Line { start, end } => (start..=end).contains(&offset),
        Scope::File => false,
    });

    let mut suppressed = false;
    for suppression in suppressions.files.iter_mut().chain(line) {
        for entry in &mut suppression.entries {
            if entry.code == Some(diagnostic.code) {
                entry.used = true;
                suppressed = true;
            }
        }
    }
    suppressed
}

/// The `unused-suppression` diagnostics of one comment.
fn unused(suppression: &Suppression, last_stage_run: u8) -> Vec<Diagnostic> {
    if suppression.entries.is_empty() {
        let message = "this suppression names no code; write the codes after the colon";
        return vec![Diagnostic::new(Code::UnusedSuppression, suppression.directive, message)];
    }

    let place = match suppression.scope {
        Scope::Line { .. } => "on the next line",
        Scope::File => "in this file",
    };
    let mut found = Vec::new();
    for entry in suppression.entries.iter().filter(|entry| !entry.used) {
        let message = match entry.code {
            None => unknown_message(&entry.name),
            Some(Code::UnusedSuppression) => {
                "`unused-suppression` cannot be suppressed; remove the unused code instead".into()
            }
            Some(code) if !is_suppressible(code) => format!(
                "`{code}` is a syntax error, which cannot be suppressed: the file is not checked further until it is fixed"
            ),
            Some(code) if rank(code.stage()) > last_stage_run => continue,
            Some(code) => format!("no `{code}` diagnostic {place} to suppress; remove the code"),
        };
        found.push(Diagnostic::new(Code::UnusedSuppression, entry.span, message));
    }
    found
}

fn unknown_message(name: &str) -> String {
    let names = Code::ALL.iter().copied().filter(|&code| is_suppressible(code)).map(Code::as_str);
    match suggest::closest(name, names) {
        Some(suggestion) => format!("`{name}` is not a known code; did you mean `{suggestion}`?"),
        None => format!("`{name}` is not a known code"),
    }
}

const fn rank(stage: Stage) -> u8 {
    match stage {
        Stage::Syntax => 0,
        Stage::Schema => 1,
        Stage::Semantic => 2,
    }
}

/// Every suppression comment in `text`, in text order.
fn suppressions(text: &str) -> Suppressions {
    let line_index = LineIndex::new(text);
    let mut found = Suppressions::default();
    // The indentation of the line that opened the block scalar the scan is in.
    let mut block_indent: Option<usize> = None;
    // The quote of the quoted scalar the previous line ended in.
    let mut open_quote: Option<u8> = None;

    // A byte order mark is not part of the first line: a comment may follow it.
    let bom = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };

    for line in 0..line_index.line_count() {
        let start = line_index.line_start(line).max(bom);
        let content = &text[start..line_index.line_end(text, line)];
        let trimmed = content.trim_start_matches([' ', '\t']);
        let indent = content.len() - trimmed.len();

        if let Some(opened_at) = block_indent {
            if trimmed.is_empty() || indent > opened_at {
                continue;
            }
            block_indent = None;
        }

        if open_quote.is_some() {
            open_quote = quote_at_end(content, open_quote);
            continue;
        }

        if let Some(comment) = trimmed.strip_prefix('#') {
            let comment_start = start + indent + 1;
            let next_line = (line + 1 < line_index.line_count()).then(|| Scope::Line {
                start: line_index.line_start(line + 1),
                end: line_index.line_end(text, line + 1),
            });
            match suppression(comment, comment_start, next_line) {
                Some(suppression) if suppression.scope == Scope::File => {
                    found.files.push(suppression);
                }
                Some(suppression) => found.lines.push(suppression),
                None => {}
            }
        } else {
            open_quote = quote_at_end(content, None);
            if open_quote.is_none() && opens_block_scalar(trimmed) {
                block_indent = Some(indent);
            }
        }
    }
    found
}

/// The quote (`"` or `'`) of a quoted scalar still open at the end of `line`, which starts
/// inside one when `open` says so. A quote opens a scalar only where a value can start: at
/// the start of the line, after `- `, `: ` or `? `, or after `[`, `{` or `,`; elsewhere (as in
/// `it's`) it is part of a plain scalar. A `#` after a blank ends the line's content.
fn quote_at_end(line: &str, mut open: Option<u8>) -> Option<u8> {
    let bytes = line.as_bytes();
    let mut index = 0;
    // The last character that is not a blank, and whether blanks followed it.
    let mut previous: Option<u8> = None;
    let mut blank_after = true;

    while index < bytes.len() {
        let byte = bytes[index];
        match open {
            Some(b'"') => match byte {
                b'\\' => index += 1,
                b'"' => open = None,
                _ => {}
            },
            Some(_) => match byte {
                b'\'' if bytes.get(index + 1) == Some(&b'\'') => index += 1,
                b'\'' => open = None,
                _ => {}
            },
            None => match byte {
                b' ' | b'\t' => blank_after = true,
                b'#' if blank_after => return None,
                b'"' | b'\'' if value_may_start(previous, blank_after) => open = Some(byte),
                _ => {}
            },
        }
        if !matches!(byte, b' ' | b'\t') {
            previous = Some(byte);
            blank_after = false;
        }
        index += 1;
    }
    open
}

fn value_may_start(previous: Option<u8>, blank_after: bool) -> bool {
    match previous {
        None | Some(b'[' | b'{' | b',') => true,
        Some(b'-' | b':' | b'?') => blank_after,
        Some(_) => false,
    }
}

/// The suppression a comment (the text after its `#`, at byte `offset`) holds, if any.
/// `next_line` is `None` on the last line, where a line suppression covers nothing.
fn suppression(comment: &str, offset: usize, next_line: Option<Scope>) -> Option<Suppression> {
    let directive = comment.trim_start_matches([' ', '\t']);
    let directive_start = offset + comment.len() - directive.len();

    let (scope, prefix) = if directive.starts_with(FILE_PREFIX) {
        (Scope::File, FILE_PREFIX)
    } else if directive.starts_with(LINE_PREFIX) {
        // A suppression on the last line names a line that does not exist.
        (next_line.unwrap_or(Scope::Line { start: usize::MAX, end: usize::MAX }), LINE_PREFIX)
    } else {
        return None;
    };

    let mut entries = Vec::new();
    let mut piece_start = directive_start + prefix.len();
    for piece in directive[prefix.len()..].split(',') {
        let name = piece.trim_matches([' ', '\t']);
        let name_start = piece_start + (piece.len() - piece.trim_start_matches([' ', '\t']).len());
        piece_start += piece.len() + 1;
        if name.is_empty() {
            continue;
        }
        entries.push(Entry {
            name: name.to_owned(),
            span: Span::new(name_start, name_start + name.len()),
            code: Code::from_name(name),
            used: false,
        });
    }

    let directive_span = Span::new(directive_start, directive_start + prefix.len() - ":".len());
    Some(Suppression { scope, directive: directive_span, entries })
}

/// Whether a line (without its indentation) ends in a block scalar indicator such as `|`,
/// `>-` or `|2+`, after an optional comment. A plain value that ends in ` |` reads as one
/// too; the cost is only that comments in the lines below it are not read as suppressions.
fn opens_block_scalar(line: &str) -> bool {
    let without_comment = match line.find(" #") {
        Some(comment) => &line[..comment],
        None => line,
    };
    let last = without_comment.trim_end().rsplit([' ', '\t']).next().unwrap_or_default();
    let mut characters = last.chars();
    let Some('|' | '>') = characters.next() else {
        return false;
    };
    let indicators = characters.as_str();
    let count = |wanted: fn(char) -> bool| indicators.chars().filter(|&c| wanted(c)).count();
    indicators.chars().all(|c| matches!(c, '+' | '-' | '1'..='9'))
        && count(|c| matches!(c, '+' | '-')) <= 1
        && count(|c| c.is_ascii_digit()) <= 1
}

#[cfg(test)]
mod tests {
    use super::quote_at_end;

    #[test]
    fn quotes_open_only_where_a_value_can_start() {
        assert_eq!(quote_at_end("key: \"a", None), Some(b'"'));
        assert_eq!(quote_at_end("- 'a", None), Some(b'\''));
        assert_eq!(quote_at_end("[x, \"a", None), Some(b'"'));
        assert_eq!(quote_at_end("key:\"a", None), None);
        assert_eq!(quote_at_end("key: it's", None), None);
        assert_eq!(quote_at_end("key: \"a\" # it's", None), None);
        assert_eq!(quote_at_end("key: x #\"", None), None);
    }

    #[test]
    fn escapes_keep_a_quoted_scalar_open() {
        assert_eq!(quote_at_end("  a \\\" b", Some(b'"')), Some(b'"'));
        assert_eq!(quote_at_end("  a \\\\\" b", Some(b'"')), None);
        assert_eq!(quote_at_end("  it''s", Some(b'\'')), Some(b'\''));
        assert_eq!(quote_at_end("  end' # 'x", Some(b'\'')), None);
    }
}
