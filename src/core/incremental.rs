//! Incremental analysis: the same diagnostics as [`crate::core::analyze`], but an edit costs
//! work in proportion to what it touched, not to the size of the file.
//!
//! A document is split, by its lines, into a skeleton and units. A unit is one item of
//! `components`, `auto_promote.environments` or `ignore_paths`, or one entry of `branches`,
//! written in block style; the skeleton is everything else, with each unit replaced by a
//! one-line placeholder (`- ~`, or the entry's key and `~`). Each unit is parsed, validated
//! against its own part of the schema and read into its model piece on its own, and the
//! result is kept, keyed by the unit's text, for the next analysis. The skeleton is small
//! and analysed every time. Rules that look across units run on the model put together.
//!
//! Whenever the split is in doubt the whole document is analysed as before: a syntax error
//! anywhere, anchors, aliases, tags, merge keys, several documents, a byte order mark, a
//! lone `\r`, or a layout the splitter does not know. So the result is always exactly what
//! the full analysis gives; the tests compare the two on every input they have.

use std::collections::HashMap;
use std::sync::Arc;

use crate::core::diagnostic::Diagnostic;
use crate::core::model::{self, Config, MapSpans, Spanned};
use crate::core::schema::{self, Section};
use crate::core::semantic;
use crate::core::span::Span;
use crate::core::yaml::{self, NodeKind};
use crate::core::{analyze, sort, suppress, Analysis, Context};

/// Keeps the unit results of the last analysis of one document.
#[derive(Default)]
pub struct Analyzer {
    /// Per section, each unit text seen in the last analysis: its result (`None` when it
    /// cannot stand alone) and the analysis that last used it.
    units: [HashMap<Box<str>, Cached, foldhash::fast::RandomState>; 4],
    generation: u64,
    split_last_time: bool,
}

#[derive(Clone)]
struct Cached {
    result: Option<Arc<UnitResult>>,
    generation: u64,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let units: usize = self.units.iter().map(HashMap::len).sum();
        f.debug_struct("Analyzer").field("units", &units).finish_non_exhaustive()
    }
}

impl Analyzer {
    /// Analyses `text`, reusing what the previous call learnt about unchanged units.
    pub fn analyze(&mut self, text: &str, context: &Context<'_>) -> Analysis {
        let split = self.split_analysis(text, context);
        self.split_last_time = split.is_some();
        match split {
            Some(diagnostics) => Analysis { diagnostics: suppress::apply(text, sort(diagnostics)) },
            None => analyze(text, context),
        }
    }

    /// Whether the last analysis went through the split (rather than the whole document).
    pub fn split_last_time(&self) -> bool {
        self.split_last_time
    }

    /// The diagnostics through the split, or `None` when the full analysis must decide.
    fn split_analysis(&mut self, text: &str, context: &Context<'_>) -> Option<Vec<Diagnostic>> {
        let split = split(text)?;

        let skeleton = yaml::parse(&split.skeleton);
        if !is_plain(&skeleton) {
            return None;
        }
        let root = skeleton.tree.documents.first()?.root?;
        if !matches!(skeleton.tree.node(root).kind, NodeKind::Mapping(_)) {
            return None;
        }

        self.generation += 1;
        let generation = self.generation;
        let mut units = Vec::with_capacity(split.units.len());
        for unit in &split.units {
            let unit_text = &text[unit.span.range()];
            let cache = &mut self.units[unit.section as usize];
            let result = if let Some(cached) = cache.get_mut(unit_text) {
                cached.generation = generation;
                cached.result.clone()
            } else {
                let result = analyze_unit(unit.section, unit_text).map(Arc::new);
                cache.insert(unit_text.into(), Cached { result: result.clone(), generation });
                result
            };
            units.push((unit, result?));
        }
        for cache in &mut self.units {
            cache.retain(|_, cached| cached.generation == generation);
        }

        let to_file = |span: Span| split.to_file(span);
        let value = yaml::resolve::to_json(&skeleton.tree, root, usize::MAX, MERGE_KEYS).ok()?;
        let mut split_sections: Vec<Section> =
            split.units.iter().map(|unit| unit.section).collect();
        split_sections.dedup();
        let instance = schema::Instance {
            validator: schema::skeleton_validator(&split_sections),
            ..schema::Instance::document(&skeleton.tree, Some(root), &value, &split.skeleton)
        };
        let mut diagnostics: Vec<Diagnostic> = schema::diagnostics(&instance)
            .into_iter()
            .map(|diagnostic| map_diagnostic(diagnostic, &to_file))
            .collect();
        for (unit, result) in &units {
            let shift =
                |span: Span| Span::new(span.start + unit.span.start, span.end + unit.span.start);
            diagnostics.extend(
                result.schema.iter().cloned().map(|diagnostic| map_diagnostic(diagnostic, &shift)),
            );
        }
        if !diagnostics.is_empty() {
            return Some(diagnostics);
        }

        let mut config = model::config(&skeleton.tree, root).map_spans(&to_file);
        if split_sections.contains(&Section::Branches) {
            // The skeleton's `key: ~` placeholders read as empty rules; the units hold them.
            config.branches.clear();
        }
        for (unit, result) in units {
            let shift =
                |span: Span| Span::new(span.start + unit.span.start, span.end + unit.span.start);
            add_piece(&mut config, &result.piece, &shift);
        }
        Some(semantic::diagnostics(&config, context))
    }
}

const MERGE_KEYS: yaml::resolve::Options = yaml::resolve::Options { merge_keys: true };

/// What one unit contributes, with spans relative to the unit's start.
#[derive(Debug)]
struct UnitResult {
    schema: Vec<Diagnostic>,
    piece: Piece,
}

#[derive(Debug)]
enum Piece {
    Component(Option<model::Component>),
    Environment(Option<model::Environment>),
    Branches(Vec<model::Branch>),
    IgnorePath(Option<Spanned<String>>),
}

/// Whether a parse can stand for its part of the document: no error, one document, and
/// nothing that refers across the split (anchors, aliases) or changes how values read
/// (tags).
fn is_plain(parsed: &yaml::Parsed) -> bool {
    parsed.diagnostics.is_empty()
        && parsed.tree.documents.len() == 1
        && !parsed.tree.documents[0].explicit_start
        && !parsed.tree.has_anchors
        && parsed.tree.tags.is_empty()
}

/// Parses, validates and reads one unit; `None` when it cannot stand alone.
fn analyze_unit(section: Section, text: &str) -> Option<UnitResult> {
    let parsed = yaml::parse(text);
    if !is_plain(&parsed) {
        return None;
    }
    let tree = &parsed.tree;
    let root = parsed.tree.documents[0].root?;
    let child = match &tree.node(root).kind {
        NodeKind::Sequence(items) if section.is_list() && items.len() == 1 => items[0],
        NodeKind::Mapping(entries) if !section.is_list() && entries.len() == 1 => entries[0].value,
        _ => return None,
    };

    // Nested this deep in the whole document, the unit would pass the nesting limit.
    let prefix = section.path();
    if tree.depth(root) + prefix.len() > yaml::MAX_DEPTH {
        return None;
    }

    let value = yaml::resolve::to_json(tree, root, usize::MAX, MERGE_KEYS).ok()?;
    let instance = schema::Instance {
        prefix: &prefix,
        validator: schema::unit_validator(section),
        ..schema::Instance::document(tree, Some(root), &value, text)
    };
    let schema = schema::diagnostics(&instance);

    let piece = match section {
        Section::Components => Piece::Component(model::component(tree, child)),
        Section::Environments => Piece::Environment(model::environment(tree, child)),
        Section::Branches => Piece::Branches(model::branches(tree, root)),
        Section::IgnorePaths => Piece::IgnorePath(model::string(tree, child)),
    };
    Some(UnitResult { schema, piece })
}

fn add_piece(config: &mut Config, piece: &Piece, shift: &impl Fn(Span) -> Span) {
    match piece {
        Piece::Component(component) => {
            config.components.extend(component.clone().map(|component| component.map_spans(shift)));
        }
        Piece::Environment(environment) => {
            if let (Some(auto_promote), Some(environment)) = (&mut config.auto_promote, environment)
            {
                auto_promote.environments.push(environment.clone().map_spans(shift));
            }
        }
        Piece::Branches(branches) => {
            config.branches.extend(branches.iter().cloned().map(|branch| branch.map_spans(shift)));
        }
        Piece::IgnorePath(path) => config.ignore_paths.extend(path.clone().map_spans(shift)),
    }
}

fn map_diagnostic(mut diagnostic: Diagnostic, map: &impl Fn(Span) -> Span) -> Diagnostic {
    diagnostic.span = map(diagnostic.span);
    for related in &mut diagnostic.related {
        related.span = map(related.span);
    }
    diagnostic
}

/// A document split into a skeleton and units.
#[derive(Debug, Default)]
struct Split {
    skeleton: String,
    /// Runs of the skeleton copied from the document: (skeleton offset, document offset,
    /// length), in order.
    copied: Vec<(usize, usize, usize)>,
    units: Vec<Unit>,
}

#[derive(Debug)]
struct Unit {
    section: Section,
    span: Span,
}

impl Split {
    /// Copies `text[start..end]` into the skeleton.
    fn copy(&mut self, text: &str, start: usize, end: usize) {
        if start < end {
            self.copied.push((self.skeleton.len(), start, end - start));
            self.skeleton.push_str(&text[start..end]);
        }
    }

    /// A skeleton span as a document span. A placeholder's own `~` maps to the end of the
    /// text copied before it.
    fn to_file(&self, span: Span) -> Span {
        Span::new(self.offset_to_file(span.start), self.offset_to_file(span.end))
    }

    fn offset_to_file(&self, offset: usize) -> usize {
        let index = self.copied.partition_point(|&(start, _, _)| start <= offset);
        let Some(&(start, file_start, length)) =
            index.checked_sub(1).and_then(|index| self.copied.get(index))
        else {
            return offset;
        };
        file_start + (offset - start).min(length)
    }
}

/// One line: where it starts, where its content ends (before the line break), where the
/// next one starts, and its indentation in spaces.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
    indent: usize,
}

impl Line {
    fn content<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start + self.indent..self.end]
    }

    /// Whether the line holds a node (not blank, not only a comment).
    fn has_content(&self, text: &str) -> bool {
        let content = self.content(text);
        !content.is_empty() && !content.starts_with('#')
    }
}

fn lines(text: &str) -> Vec<Line> {
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(bytes.len() / 32);
    let mut start = 0;
    while start < bytes.len() {
        let newline = memchr::memchr(b'\n', &bytes[start..]);
        let (end, next) = match newline {
            Some(position) => (start + position, start + position + 1),
            None => (bytes.len(), bytes.len()),
        };
        let end = if end > start && bytes[end - 1] == b'\r' { end - 1 } else { end };
        let indent = bytes[start..end].iter().take_while(|&&byte| byte == b' ').count();
        lines.push(Line { start, end, next, indent });
        start = next;
    }
    lines
}

/// Splits `text`, or `None` when it is not laid out as the splitter expects.
fn split(text: &str) -> Option<Split> {
    let bytes = text.as_bytes();
    let lone_cr =
        memchr::memchr_iter(b'\r', bytes).any(|index| bytes.get(index + 1) != Some(&b'\n'));
    let plain =
        !text.starts_with('\u{FEFF}') && memchr::memmem::find(bytes, b"<<").is_none() && !lone_cr;
    if !plain {
        return None;
    }

    let lines = lines(text);
    let mut split = Split { skeleton: String::with_capacity(4096), ..Split::default() };
    let mut copied_to = 0;
    let mut index = 0;

    while index < lines.len() {
        let line = lines[index];
        let content = line.content(text);
        let starts_entry = line.indent == 0 && line.has_content(text);
        if starts_entry
            && !content
                .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '"' || c == '\'')
        {
            return None;
        }
        let section_end = lines[index + 1..]
            .iter()
            .position(|later| later.indent == 0 && later.has_content(text))
            .map_or(lines.len(), |offset| index + 1 + offset);
        let body = &lines[index + 1..section_end];

        match block_key(content) {
            Some("auto_promote") => environments(text, body, &mut split, &mut copied_to)?,
            Some(key) => {
                if let Some(section) = root_section(key) {
                    units(text, body, section, &mut split, &mut copied_to)?;
                }
            }
            None => {}
        }
        index = section_end;
    }

    split.copy(text, copied_to, text.len());
    (!split.units.is_empty()).then_some(split)
}

/// The root sections whose units are direct items or entries of the root key's value.
fn root_section(key: &str) -> Option<Section> {
    match key {
        "components" => Some(Section::Components),
        "ignore_paths" => Some(Section::IgnorePaths),
        "branches" => Some(Section::Branches),
        _ => None,
    }
}

/// Finds `environments:` in the block of `auto_promote` and cuts it into units.
fn environments(text: &str, body: &[Line], split: &mut Split, copied_to: &mut usize) -> Option<()> {
    let Some(first) = body.iter().find(|line| line.has_content(text)) else {
        return Some(());
    };
    let indent = first.indent;
    let mut inner = 0;
    while inner < body.len() {
        let line = body[inner];
        if !line.has_content(text) {
            inner += 1;
            continue;
        }
        if line.indent < indent {
            return None;
        }
        let entry_end = body[inner + 1..]
            .iter()
            .position(|later| later.has_content(text) && later.indent <= indent)
            .map_or(body.len(), |offset| inner + 1 + offset);
        if line.indent == indent && block_key(line.content(text)) == Some("environments") {
            units(text, &body[inner + 1..entry_end], Section::Environments, split, copied_to)?;
        }
        inner = entry_end;
    }
    Some(())
}

/// The key of a line like `key:` (maybe with a comment after it), which opens a block.
fn block_key(content: &str) -> Option<&str> {
    let (key, rest) = content.split_once(':')?;
    let rest = rest.trim_start_matches(' ');
    let is_identifier =
        !key.is_empty() && key.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    (is_identifier && (rest.is_empty() || rest.starts_with('#'))).then_some(key)
}

/// Cuts the block `body` of a section into units at its items (or entries), and copies the
/// rest, with a placeholder for each unit, into the skeleton.
fn units(
    text: &str,
    body: &[Line],
    section: Section,
    split: &mut Split,
    copied_to: &mut usize,
) -> Option<()> {
    let Some(first) = body.iter().find(|line| line.has_content(text)) else {
        return Some(());
    };
    let indent = first.indent;
    if indent == 0 {
        return None;
    }

    let starts: Vec<usize> = body
        .iter()
        .enumerate()
        .filter(|(_, line)| line.has_content(text) && line.indent <= indent)
        .map(|(position, _)| position)
        .collect();
    for &position in &starts {
        let line = body[position];
        let content = line.content(text);
        let is_item = content == "-" || content.starts_with("- ");
        if line.indent != indent || is_item != section.is_list() {
            return None;
        }
    }

    let body_end = body.last().map_or(0, |line| line.next);
    for (number, &position) in starts.iter().enumerate() {
        let line = body[position];
        let end = starts.get(number + 1).map_or(body_end, |&next| body[next].start);
        let key_end =
            if section.is_list() { line.start + indent + 1 } else { entry_key_end(text, line)? };

        // A list needs one placeholder (its schema counts only `minItems: 1`); a mapping
        // needs every key, for duplicates and key rules.
        if number == 0 || !section.is_list() {
            split.copy(text, *copied_to, key_end);
            split.skeleton.push_str(" ~\n");
        }
        *copied_to = end;
        split.units.push(Unit { section, span: Span::new(line.start, end) });
    }
    Some(())
}

/// Where the key of a mapping entry line ends, just past its `:`.
fn entry_key_end(text: &str, line: Line) -> Option<usize> {
    let content = line.content(text);
    let key_length = match content.as_bytes().first()? {
        quote @ (b'"' | b'\'') => {
            let closing = content[1..].find(char::from(*quote))? + 1;
            if content[..closing].contains('\\')
                || content[closing + 1..].starts_with(char::from(*quote))
            {
                return None;
            }
            closing + 1
        }
        b'-' | b'?' | b'[' | b'{' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => {
            return None
        }
        _ => content.find(": ").or_else(|| content.strip_suffix(':').map(str::len))?,
    };
    content[key_length..].starts_with(':').then_some(line.start + line.indent + key_length + 1)
}

/// The skeleton and unit texts of a split, for tests that look inside.
#[cfg(test)]
fn skeleton_of(text: &str) -> Option<(String, Vec<String>)> {
    let split = split(text)?;
    let units = split.units.iter().map(|unit| text[unit.span.range()].to_owned()).collect();
    Some((split.skeleton, units))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "release:\n  name: app\n  tag_pattern: \"v*\"\ncomponents:\n  - name: api\n    image: registry.example/api\n  # between\n  - name: web\n    image: registry.example/web\nbranches:\n  main:\n    environment: staging\n  \"release/*\":\n    environment: production\n";

    #[test]
    fn the_skeleton_keeps_keys_and_replaces_units() {
        let (skeleton, units) = skeleton_of(TEXT).unwrap();

        assert_eq!(
            skeleton,
            "release:\n  name: app\n  tag_pattern: \"v*\"\ncomponents:\n  - ~\nbranches:\n  main: ~\n  \"release/*\": ~\n"
        );
        assert_eq!(
            units,
            [
                "  - name: api\n    image: registry.example/api\n  # between\n",
                "  - name: web\n    image: registry.example/web\n",
                "  main:\n    environment: staging\n",
                "  \"release/*\":\n    environment: production\n",
            ]
        );
    }

    #[test]
    fn layouts_the_splitter_does_not_know_are_left_whole() {
        assert!(skeleton_of("components:\n- name: api\n").is_none());
        assert!(skeleton_of("\u{FEFF}components:\n  - name: api\n").is_none());
        assert!(skeleton_of("components:\r  - name: api\r").is_none());
        assert!(skeleton_of("components:\n  - <<: *base\n").is_none());
        assert!(skeleton_of("release:\n  name: app\n").is_none());
    }
}
