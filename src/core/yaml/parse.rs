//! Builds the spanned [`Tree`] from saphyr-parser's events, without recursion.
//!
//! saphyr's markers count characters; they are turned into byte offsets here, once, so the
//! rest of the crate speaks only bytes. Problems found while building (syntax errors,
//! duplicate keys, undefined aliases, nesting past [`MAX_DEPTH`]) come back as diagnostics
//! beside the tree; after a syntax error the tree holds what was read before it.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScanError, Tag};

use crate::core::diagnostic::{Code, Diagnostic};
use crate::core::span::Span;
use crate::core::yaml::tree::{Document, Entry, Node, NodeId, NodeKind, Scalar, ScalarStyle, Tree};

/// How deep collections may nest. saphyr-parser stops flow collections at 255 levels
/// inside the root; block collections are stopped here at the same depth, so every
/// recursive pass over the tree (resolution, validation, drop) stays far from the stack's
/// end.
pub const MAX_DEPTH: usize = 256;

/// Mappings with more keys than this find duplicates through a hash map.
const LINEAR_KEY_SCAN: usize = 16;

#[derive(Debug, Default)]
pub struct Parsed {
    pub tree: Tree,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a whole YAML stream. Never fails; see the module doc.
pub fn parse(text: &str) -> Parsed {
    let offsets = ByteOffsets::new(text);
    let mut builder = Builder::new(text);
    let mut parser = Parser::new_from_str(text);

    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => {
                let span =
                    Span::new(offsets.byte(span.start.index()), offsets.byte(span.end.index()));
                if !builder.event(event, span) {
                    break;
                }
            }
            Err(error) => {
                builder.scan_error(&error, offsets.byte(error.marker().index()));
                break;
            }
        }
    }

    builder.finish()
}

/// A scalar's own text within the span saphyr gives it: after its anchor and tag (`&e`,
/// `!!str`), and for a quoted scalar up to its closing quote (saphyr's span may run on
/// over the blanks and a comment after it).
fn scalar_span(text: &str, span: Span) -> Span {
    let bytes = &text.as_bytes()[..span.end.min(text.len())];
    let blank = |byte: u8| matches!(byte, b' ' | b'\t' | b'\r' | b'\n');
    let mut start = span.start;
    while matches!(bytes.get(start), Some(b'&' | b'!')) {
        while bytes.get(start).is_some_and(|&byte| !blank(byte)) {
            start += 1;
        }
        while bytes.get(start).is_some_and(|&byte| blank(byte)) {
            start += 1;
        }
    }
    if start >= span.end {
        return span;
    }

    let end = match bytes[start] {
        quote @ (b'"' | b'\'') => closing_quote(bytes, start, quote).unwrap_or(span.end),
        _ => span.end,
    };
    Span::new(start, end)
}

/// The offset just after the quote that closes the scalar opened at `open`, if any.
fn closing_quote(bytes: &[u8], open: usize, quote: u8) -> Option<usize> {
    let mut index = open + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' if quote == b'"' => index += 1,
            b'\'' if quote == b'\'' && bytes.get(index + 1) == Some(&b'\'') => index += 1,
            byte if byte == quote => return Some(index + 1),
            _ => {}
        }
        index += 1;
    }
    None
}

/// One open collection.
struct Frame {
    node: NodeId,
    /// For a mapping: the key read, waiting for its value.
    pending_key: Option<NodeId>,
    /// For a large mapping: the first span of each key text seen so far.
    keys: Option<HashMap<Box<str>, Span>>,
}

struct Builder<'t> {
    text: &'t str,
    tree: Tree,
    stack: Vec<Frame>,
    anchors: HashMap<usize, NodeId>,
    diagnostics: Vec<Diagnostic>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Builder<'t> {
        // Block YAML has about two nodes a line (a key and its value); room for three saves
        // the growing, which would briefly hold the old and the new vector at once.
        let lines = text.bytes().filter(|&byte| byte == b'\n').count();
        let mut tree = Tree::default();
        tree.nodes.reserve(lines * 3 + 16);
        Builder { text, tree, stack: Vec::new(), anchors: HashMap::new(), diagnostics: Vec::new() }
    }

    fn finish(self) -> Parsed {
        Parsed { tree: self.tree, diagnostics: self.diagnostics }
    }

    /// Takes one event; returns false when building must stop.
    fn event(&mut self, event: Event<'_>, span: Span) -> bool {
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(explicit) => {
                let start = if explicit { span } else { Span::empty(span.start) };
                self.tree.documents.push(Document { start, explicit_start: explicit, root: None });
                self.anchors.clear();
            }
            Event::Scalar(value, style, anchor, tag) => {
                let span = scalar_span(self.text, span);
                let kind =
                    NodeKind::Scalar(Scalar { value: value.into(), style: scalar_style(style) });
                let id = self.push(span, kind, tag);
                self.register(anchor, id);
                return self.attach(id);
            }
            Event::SequenceStart(anchor, tag) => {
                return self.open(span, NodeKind::Sequence(Vec::new()), anchor, tag);
            }
            Event::MappingStart(anchor, tag) => {
                return self.open(span, NodeKind::Mapping(Vec::new()), anchor, tag);
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span),
            Event::Alias(anchor) => {
                // saphyr reports unknown anchors as a scan error, so the lookup only fails
                // for anchors of another document, which saphyr also forgets.
                let Some(&target) = self.anchors.get(&anchor) else {
                    return false;
                };
                let id = self.push(span, NodeKind::Alias(target), None);
                return self.attach(id);
            }
        }
        true
    }

    fn open(
        &mut self,
        span: Span,
        kind: NodeKind,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
    ) -> bool {
        if self.stack.len() >= MAX_DEPTH {
            let token = Span::new(span.start, next_char(self.text, span.start));
            self.diagnostics.push(Diagnostic::new(
                Code::NestingLimit,
                token,
                format!("collections nest deeper than {MAX_DEPTH} levels here"),
            ));
            return false;
        }

        let id = self.push(span, kind, tag);
        self.register(anchor, id);
        if !self.attach(id) {
            return false;
        }
        self.stack.push(Frame { node: id, pending_key: None, keys: None });
        true
    }

    fn close(&mut self, span: Span) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let node = &self.tree.nodes[frame.node.0 as usize];
        let flow = matches!(self.text.as_bytes().get(node.span.start), Some(b'[' | b'{'));
        let last_child = match &node.kind {
            NodeKind::Sequence(items) => items.last().copied(),
            NodeKind::Mapping(entries) => entries.last().map(|entry| entry.value),
            _ => None,
        };
        let end = match last_child {
            _ if flow => span.end,
            Some(child) => self.tree.node(child).span.end,
            None => node.span.end,
        };
        self.tree.nodes[frame.node.0 as usize].span.end = end;
    }

    fn push(&mut self, span: Span, kind: NodeKind, tag: Option<Cow<'_, Tag>>) -> NodeId {
        let id = NodeId(u32::try_from(self.tree.nodes.len()).unwrap_or(u32::MAX));
        if let Some(tag) = tag {
            self.tree.tags.insert(id, format!("{}{}", tag.handle, tag.suffix).into_boxed_str());
        }
        self.tree.nodes.push(Node { span, kind });
        id
    }

    fn register(&mut self, anchor: usize, id: NodeId) {
        if anchor != 0 {
            self.tree.has_anchors = true;
            self.anchors.insert(anchor, id);
        }
    }

    /// Puts a finished node where it belongs: document root, sequence item, mapping key or
    /// value.
    fn attach(&mut self, id: NodeId) -> bool {
        let Some(frame) = self.stack.last_mut() else {
            if let Some(document) = self.tree.documents.last_mut() {
                document.root = Some(id);
            }
            return true;
        };

        let parent = frame.node.0 as usize;
        match (&mut self.tree.nodes[parent].kind, frame.pending_key.take()) {
            (NodeKind::Sequence(items), _) => items.push(id),
            (NodeKind::Mapping(entries), Some(key)) => entries.push(Entry { key, value: id }),
            (NodeKind::Mapping(_), None) => {
                frame.pending_key = Some(id);
                self.check_duplicate_key(id);
            }
            _ => {}
        }
        true
    }

    /// Reports `key` when the open mapping already has a key with the same text.
    fn check_duplicate_key(&mut self, key: NodeId) {
        let Some(text) = self.tree.key_text(key) else {
            return;
        };
        let frame = self.stack.last_mut().expect("a key belongs to an open mapping");
        let NodeKind::Mapping(entries) = &self.tree.nodes[frame.node.0 as usize].kind else {
            return;
        };
        let span = self.tree.nodes[key.0 as usize].span;

        let first = if entries.len() < LINEAR_KEY_SCAN {
            entries
                .iter()
                .find(|entry| self.tree.key_text(entry.key) == Some(text))
                .map(|entry| self.tree.nodes[entry.key.0 as usize].span)
        } else {
            let keys = frame.keys.get_or_insert_with(|| {
                let mut keys = HashMap::with_capacity(entries.len() * 2);
                for entry in entries {
                    if let Some(existing) = self.tree.key_text(entry.key) {
                        let existing_span = self.tree.nodes[entry.key.0 as usize].span;
                        keys.entry(existing.into()).or_insert(existing_span);
                    }
                }
                keys
            });
            let first = keys.get(text).copied();
            if first.is_none() {
                keys.insert(text.into(), span);
            }
            first
        };

        if let Some(first) = first {
            self.diagnostics.push(
                Diagnostic::new(Code::DuplicateKey, span, format!("duplicate key `{text}`"))
                    .with_related(first, format!("`{text}` is first set here")),
            );
        }
    }

    fn scan_error(&mut self, error: &ScanError, offset: usize) {
        if error.info().contains("unknown anchor") {
            self.diagnostics.push(undefined_alias(self.text, offset));
            return;
        }
        if error.info().contains("recursion limit") {
            let token = Span::new(offset, next_char(self.text, offset));
            self.diagnostics.push(Diagnostic::new(
                Code::NestingLimit,
                token,
                format!("collections nest deeper than {MAX_DEPTH} levels here"),
            ));
            return;
        }

        if error.info().contains("found a tab") {
            // saphyr notices the tab where the token before it ends; point at the tab.
            if let Some(tab) = memchr::memchr(b'\t', &self.text.as_bytes()[offset..]) {
                let span = Span::new(offset + tab, offset + tab + 1);
                let message = "a tab is not allowed here; YAML indents with spaces";
                self.diagnostics.push(Diagnostic::new(Code::Syntax, span, message));
                return;
            }
        }
        if error.info().contains("simple key expect ':'") {
            // saphyr notices the missing `:` at the next line; the key without one is the
            // content line before it.
            if let Some(line) = previous_content_line(self.text, offset) {
                let message = "expected `:` after the key on this line (write `key: value`)";
                self.diagnostics.push(Diagnostic::new(Code::Syntax, line, message));
                return;
            }
        }

        let at_break = matches!(self.text.as_bytes().get(offset), None | Some(b'\n' | b'\r'));
        let span = if at_break {
            Span::empty(offset)
        } else {
            Span::new(offset, next_char(self.text, offset))
        };
        self.diagnostics.push(Diagnostic::new(Code::Syntax, span, syntax_message(error.info())));
    }
}

/// The content of the last line before the one holding `offset` that is neither blank nor
/// a comment, when `offset` is the first content of its line (or the end of the text).
fn previous_content_line(text: &str, offset: usize) -> Option<Span> {
    let is_break = |byte: &u8| matches!(byte, b'\n' | b'\r');
    let line_start =
        text.as_bytes()[..offset].iter().rposition(is_break).map_or(0, |index| index + 1);
    if !text[line_start..offset].trim().is_empty() {
        return None;
    }

    let mut end = line_start;
    while end > 0 {
        let before = &text.as_bytes()[..end];
        let content_end =
            before.iter().rposition(|byte| !is_break(byte)).map_or(0, |index| index + 1);
        let start = before[..content_end].iter().rposition(is_break).map_or(0, |index| index + 1);
        let line = &text[start..content_end];
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            let leading = line.len() - line.trim_start().len();
            return Some(Span::new(start + leading, start + line.trim_end().len()));
        }
        end = start;
    }
    None
}

/// The diagnostic for `*name` at `offset` when no anchor `name` exists, with the hint for
/// the common case of an unquoted glob.
fn undefined_alias(text: &str, offset: usize) -> Diagnostic {
    let rest = &text[offset..];
    let length = rest
        .char_indices()
        .skip(1)
        .find(|&(_, character)| character.is_whitespace() || ",[]{}".contains(character))
        .map_or(rest.len(), |(index, _)| index);
    let token = &rest[..length];
    let name = token.trim_start_matches('*');
    let span = Span::new(offset, offset + length);

    let looks_like_glob = name.is_empty() || name.contains(['.', '/', '*', '?']);
    let message = if looks_like_glob {
        format!("`{token}` is read as an alias to an undefined anchor `{name}`; if you meant a glob, quote it: `'{token}'`")
    } else {
        format!("`{token}` is an alias to an undefined anchor `{name}`; define `&{name}` before it, or quote the text")
    };
    Diagnostic::new(Code::UndefinedAlias, span, message)
}

/// saphyr's messages, made to read as ours: lower case, no final period.
fn syntax_message(info: &str) -> String {
    let message = info.trim().trim_end_matches('.');
    let mut characters = message.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => "invalid YAML".to_owned(),
    }
}

fn scalar_style(style: saphyr_parser::ScalarStyle) -> ScalarStyle {
    match style {
        saphyr_parser::ScalarStyle::Plain => ScalarStyle::Plain,
        saphyr_parser::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        saphyr_parser::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        saphyr_parser::ScalarStyle::Literal => ScalarStyle::Literal,
        saphyr_parser::ScalarStyle::Folded => ScalarStyle::Folded,
    }
}

/// The byte offset just past the character at `offset` (or `offset` at the end).
fn next_char(text: &str, offset: usize) -> usize {
    text.get(offset..)
        .and_then(|rest| rest.chars().next())
        .map_or(offset, |c| offset + c.len_utf8())
}

/// Character index to byte offset, in O(1) for ASCII and O(64) otherwise.
struct ByteOffsets<'t> {
    text: &'t str,
    /// The byte offset of every 64th character; empty for ASCII text.
    checkpoints: Vec<usize>,
}

const CHECKPOINT_EVERY: usize = 64;

impl<'t> ByteOffsets<'t> {
    fn new(text: &'t str) -> ByteOffsets<'t> {
        let checkpoints = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().step_by(CHECKPOINT_EVERY).map(|(offset, _)| offset).collect()
        };
        ByteOffsets { text, checkpoints }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.checkpoints.is_empty() {
            return char_index.min(self.text.len());
        }
        let Some(&checkpoint) = self.checkpoints.get(char_index / CHECKPOINT_EVERY) else {
            return self.text.len();
        };
        let skip = char_index % CHECKPOINT_EVERY;
        self.text[checkpoint..]
            .char_indices()
            .nth(skip)
            .map_or(self.text.len(), |(offset, _)| checkpoint + offset)
    }
}
