//! Editing help read from the text alone: the outline, folding and selection ranges,
//! environment definitions, references and renames, and links to the paths a file names.
//!
//! Everything here works in byte spans of a [`Document`]; the LSP layer turns them into
//! ranges, URIs and edits.

use crate::core::actions::Document;
use crate::core::model::Spanned;
use crate::core::span::Span;
use crate::core::yaml::{NodeId, NodeKind, ScalarStyle, Tree};

/// What an outline entry stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A top-level section: `release`, `auto_promote`.
    Section,
    /// A list or a mapping of like items: `components`, `environments`, `branches`.
    List,
    /// One item of a list: a component, an environment, a branch rule.
    Item,
    /// A plain text entry: an ignored path.
    Text,
}

/// One entry of the outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The whole item, key and value.
    pub span: Span,
    /// The key or the name that identifies the item; inside `span`.
    pub selection: Span,
    pub children: Vec<Symbol>,
}

/// What a fold hides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    /// A block mapping or sequence, from its key.
    Block,
    /// A run of comment lines.
    Comment,
}

/// One fold: from the line of `span.start` to the line of `span.end`, which differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub span: Span,
    pub kind: FoldKind,
}

/// An environment name as the file uses it: its declaration and every branch that targets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrences {
    pub name: String,
    /// The declaration's name, without quotes; `None` when only branches name it.
    pub declaration: Option<Span>,
    /// The branch `environment:` values, without quotes, in text order.
    pub uses: Vec<Span>,
    /// The occurrence the offset was on, without quotes.
    pub at: Span,
}

/// Why an environment cannot be renamed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    #[error("the new environment name is empty")]
    Empty,
    #[error("an environment named `{0}` is already declared")]
    Taken(String),
    #[error("there is no environment name here")]
    NoName,
    /// The schema's rule for names: letters, digits, `.`, `_`, `-`, alphanumeric ends, at
    /// most [`MAX_NAME_LENGTH`] characters.
    #[error(
        "`{0}` is not a valid environment name: use at most 63 letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit"
    )]
    Invalid(String),
}

/// One replacement in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

/// A path value and where it is written (without quotes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathLink {
    pub span: Span,
    pub path: String,
}

/// The outline: the top-level sections in text order, with components, environments,
/// branches and ignored paths as children by name. Never fails; a section of an unexpected
/// shape is listed without children.
pub fn symbols(document: &Document) -> Vec<Symbol> {
    let tree = document.tree();
    let text = document.text();
    let Some(root) = document.root() else {
        return Vec::new();
    };
    let NodeKind::Mapping(entries) = &tree.node(tree.deref(root)).kind else {
        return Vec::new();
    };

    let mut symbols = Vec::new();
    for entry in entries {
        let Some(key) = tree.key_text(entry.key) else {
            continue;
        };
        let value = tree.deref(entry.value);
        let (kind, children) = match key {
            "components" | "ignore_paths" => (SymbolKind::List, items(tree, text, value)),
            "branches" => (SymbolKind::List, branches(tree, text, value)),
            "auto_promote" => (SymbolKind::Section, auto_promote(tree, text, value)),
            _ => (SymbolKind::Section, Vec::new()),
        };
        symbols.push(Symbol {
            name: key.to_owned(),
            kind,
            span: entry_span(tree, text, entry.key, entry.value),
            selection: tree.node(entry.key).span,
            children,
        });
    }
    symbols
}

/// The folds of the text, sorted by start: every block collection spanning several lines
/// (from its key when it is a value; the root is left out) and every run of two or more
/// comment lines.
pub fn folds(document: &Document) -> Vec<Fold> {
    let tree = document.tree();
    let text = document.text();
    let mut folds = Vec::new();

    if let Some(root) = document.root() {
        let mut pending: Vec<(NodeId, Option<usize>)> = children(tree, root);
        while let Some((id, key_start)) = pending.pop() {
            let node = tree.node(id);
            if matches!(node.kind, NodeKind::Mapping(_) | NodeKind::Sequence(_)) {
                let start = key_start.unwrap_or(node.span.start);
                let span = trimmed(text, Span::new(start, node.span.end));
                if text[span.range()].contains('\n') {
                    folds.push(Fold { span, kind: FoldKind::Block });
                }
                pending.extend(children(tree, id));
            }
        }
    }

    folds.extend(comment_runs(text, &block_scalars(tree)));
    folds.sort_by_key(|fold| (fold.span.start, std::cmp::Reverse(fold.span.end)));

    // One fold per starting line, the widest: lines are counted from one start to the
    // next, so the whole pass reads the text once.
    let mut counted = (0, 0);
    let mut start_line = |offset: usize| {
        counted.1 += memchr::memchr_iter(b'\n', &text.as_bytes()[counted.0..offset]).count();
        counted.0 = offset;
        counted.1
    };
    let mut last_line = None;
    folds.retain(|fold| {
        let line = start_line(fold.span.start);
        last_line.replace(line) != Some(line)
    });
    folds
}

/// The spans around `offset`, innermost first: the scalar, its key/value pair, the
/// enclosing collection item, … up to the whole text. Each span contains the one before.
pub fn selection(document: &Document, offset: usize) -> Vec<Span> {
    let tree = document.tree();
    let text = document.text();
    let mut spans = vec![Span::new(0, text.len())];

    let mut current = document.root();
    while let Some(id) = current.take() {
        let node = tree.node(id);
        spans.push(trimmed(text, node.span));
        match &node.kind {
            NodeKind::Mapping(entries) => {
                let entry = entries
                    .iter()
                    .find(|entry| contains(entry_span(tree, text, entry.key, entry.value), offset));
                if let Some(entry) = entry {
                    spans.push(entry_span(tree, text, entry.key, entry.value));
                    let key = tree.node(entry.key).span;
                    current = Some(if contains(key, offset) { entry.key } else { entry.value });
                }
            }
            NodeKind::Sequence(items) => {
                current = items
                    .iter()
                    .copied()
                    .find(|&item| contains(trimmed(text, tree.node(item).span), offset));
            }
            NodeKind::Scalar(_) | NodeKind::Alias(_) => {}
        }
    }

    spans.dedup();
    spans.reverse();
    spans.retain(|span| contains(*span, offset));
    spans
}

/// The environment name at `offset` (a declaration in `auto_promote.environments` or a
/// branch's `environment:` value, ends included) and every other place the file names it.
pub fn occurrences(document: &Document, offset: usize) -> Option<Occurrences> {
    let text = document.text();
    let mut names = declarations(document).chain(uses(document));
    let at = names.find(|name| contains(name.span, offset))?;
    let name = at.value.clone();

    let declaration = declarations(document)
        .find(|declared| declared.value == name)
        .map(|declared| unquoted(text, declared.span));
    let mut uses: Vec<Span> = uses(document)
        .filter(|used| used.value == name)
        .map(|used| unquoted(text, used.span))
        .collect();
    // A use through an alias reads the anchored value: it is written, and listed, once.
    uses.sort_by_key(|span| span.start);
    uses.dedup();
    uses.retain(|span| Some(*span) != declaration);
    Some(Occurrences { name, declaration, uses, at: unquoted(text, at.span) })
}

/// The edits that rename the environment at `offset` to `new_name`, at its declaration and
/// every use, each keeping the quoting the file wrote (a plain name that would no longer
/// read as plain text gets double quotes). A value written once with an anchor and used
/// again through aliases gets one edit, at the anchor's value; the aliases stay. A name
/// the schema would reject is refused.
pub fn rename(
    document: &Document,
    offset: usize,
    new_name: &str,
) -> Result<Vec<Edit>, RenameError> {
    if new_name.trim().is_empty() {
        return Err(RenameError::Empty);
    }
    if !is_environment_name(new_name) {
        return Err(RenameError::Invalid(new_name.escape_debug().to_string()));
    }
    let occurrences = occurrences(document, offset).ok_or(RenameError::NoName)?;
    if new_name != occurrences.name && declarations(document).any(|name| name.value == new_name) {
        return Err(RenameError::Taken(new_name.to_owned()));
    }

    let text = document.text();
    let spans = declarations(document)
        .chain(uses(document))
        .filter(|name| name.value == occurrences.name)
        .map(|name| name.span);
    let mut edits: Vec<Edit> = spans
        .map(|span| Edit { span: unquoted(text, span), text: written(text, span, new_name) })
        .collect();
    edits.sort_by_key(|edit| edit.span.start);
    edits.dedup();
    Ok(edits)
}

/// The schema's `maxLength` of an environment name.
const MAX_NAME_LENGTH: usize = 63;

/// Whether `name` matches the schema's pattern for environment names,
/// `^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`, and its `maxLength`.
pub(crate) fn is_environment_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.len() > MAX_NAME_LENGTH {
        return false;
    }
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes.iter().all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(byte))
}

/// The `dockerfile`, `build_context` and `test_workflow` values, in text order.
pub fn path_links(document: &Document) -> Vec<PathLink> {
    let text = document.text();
    let config = &document.config;
    let components = config
        .components
        .iter()
        .flat_map(|component| [&component.dockerfile, &component.build_context]);
    let environments = config
        .auto_promote
        .iter()
        .flat_map(|auto| &auto.environments)
        .map(|environment| &environment.test_workflow);

    let mut links: Vec<PathLink> = components
        .chain(environments)
        .flatten()
        .map(|path| PathLink { span: unquoted(text, path.span), path: path.value.clone() })
        .collect();
    links.sort_by_key(|link| link.span.start);
    // A path used again through an alias is written once: one link.
    links.dedup();
    links
}

fn declarations(document: &Document) -> impl Iterator<Item = &Spanned<String>> {
    let auto = document.config.auto_promote.iter();
    auto.flat_map(|auto| &auto.environments).map(|environment| &environment.name)
}

fn uses(document: &Document) -> impl Iterator<Item = &Spanned<String>> {
    document.config.branches.iter().filter_map(|branch| branch.environment.as_ref())
}

/// `new_name` as it goes in place of the scalar written at `span` (in place of
/// [`unquoted`]`(text, span)`), in the scalar's own quoting.
pub(crate) fn written(text: &str, span: Span, new_name: &str) -> String {
    match text[value_text(text, span).range()].chars().next() {
        Some('\'') => new_name.replace('\'', "''"),
        Some('"') => escaped(new_name),
        _ if is_plain_text(new_name) => new_name.to_owned(),
        _ => format!("\"{}\"", escaped(new_name)),
    }
}

fn escaped(name: &str) -> String {
    name.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Whether `name` reads back as the same text when written plain.
pub(crate) fn is_plain_text(name: &str) -> bool {
    let safe = name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    let special = matches!(
        name.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
    );
    let numeric = name.parse::<f64>().is_ok() || name.starts_with(['-', '.']);
    safe && !special && !numeric
}

/// The scalar's own text in `span`, the span of a scalar node: after its `&anchor` and
/// `!tag`, up to its closing quote when quoted, and before a comment and trailing blanks
/// when plain. Read from the text, so that a node span that runs on past the scalar (over
/// a comment) or starts at its anchor still gives only the value.
pub(crate) fn value_text(text: &str, span: Span) -> Span {
    let written = &text[span.range()];
    let mut start = 0;
    while let Some(rest) = written[start..].strip_prefix(['&', '!']) {
        let property = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let after = &rest[property..];
        let blanks = after.len() - after.trim_start().len();
        start += 1 + property + blanks;
    }
    let value = &written[start..];

    let length = match value.chars().next() {
        Some('"') => closing_quote(value, '"'),
        Some('\'') => closing_quote(value, '\''),
        _ => {
            let comment = value
                .match_indices('#')
                .find(|&(index, _)| value[..index].ends_with([' ', '\t']))
                .map_or(value.len(), |(index, _)| index);
            value[..comment].trim_end().len()
        }
    };
    Span::new(span.start + start, span.start + start + length)
}

/// The length of the scalar quoted with `quote` that opens `value`, closing quote included
/// (all of `value` when it does not close).
fn closing_quote(value: &str, quote: char) -> usize {
    let mut characters = value.char_indices().skip(1).peekable();
    while let Some((index, character)) = characters.next() {
        let escaped = match quote {
            '"' => character == '\\',
            _ => character == quote && characters.peek().is_some_and(|&(_, next)| next == quote),
        };
        if escaped {
            characters.next();
        } else if character == quote {
            return index + 1;
        }
    }
    value.len()
}

/// The scalar's own text in `span` (see [`value_text`]) without its quotes, when quoted.
pub(crate) fn unquoted(text: &str, span: Span) -> Span {
    let span = value_text(text, span);
    let written = &text[span.range()];
    let quoted = written.len() >= 2
        && ((written.starts_with('"') && written.ends_with('"'))
            || (written.starts_with('\'') && written.ends_with('\'')));
    if quoted {
        Span::new(span.start + 1, span.end - 1)
    } else {
        span
    }
}

/// `span` without trailing whitespace and line breaks (block collections end at the next
/// line's indentation).
pub(crate) fn trimmed(text: &str, span: Span) -> Span {
    let kept = text[span.range()].trim_end();
    Span::new(span.start, span.start + kept.len())
}

fn contains(span: Span, offset: usize) -> bool {
    span.start <= offset && offset <= span.end
}

/// A key and its value, as one span.
fn entry_span(tree: &Tree, text: &str, key: NodeId, value: NodeId) -> Span {
    let value = trimmed(text, tree.node(value).span);
    Span::new(tree.node(key).span.start, value.end.max(tree.node(key).span.end))
}

/// The children of a collection, each with the start of its key when it is a value.
fn children(tree: &Tree, id: NodeId) -> Vec<(NodeId, Option<usize>)> {
    match &tree.node(id).kind {
        NodeKind::Mapping(entries) => entries
            .iter()
            .map(|entry| (entry.value, Some(tree.node(entry.key).span.start)))
            .collect(),
        NodeKind::Sequence(items) => items.iter().map(|&item| (item, None)).collect(),
        NodeKind::Scalar(_) | NodeKind::Alias(_) => Vec::new(),
    }
}

/// The spans of the `|` and `>` block scalars of `tree`, in text order.
fn block_scalars(tree: &Tree) -> Vec<Span> {
    let mut spans: Vec<Span> = tree
        .nodes
        .iter()
        .filter(|node| {
            let NodeKind::Scalar(scalar) = &node.kind else {
                return false;
            };
            matches!(scalar.style, ScalarStyle::Literal | ScalarStyle::Folded)
        })
        .map(|node| node.span)
        .collect();
    spans.sort_by_key(|span| span.start);
    spans
}

/// Runs of two or more lines holding only a comment, from the first `#` to the end of the
/// last comment (line breaks, `\r` included, left out). A `#` line inside one of `blocks`
/// (block scalars, in text order) is text, not a comment.
fn comment_runs(text: &str, blocks: &[Span]) -> Vec<Fold> {
    let mut blocks = blocks.iter().peekable();
    let mut folds = Vec::new();
    let mut run: Option<(Span, usize)> = None;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end();
        let indent = content.len() - content.trim_start().len();
        while blocks.next_if(|block| block.end <= line_start).is_some() {}
        let in_block = blocks.peek().is_some_and(|block| block.start <= line_start + indent);
        let comment = content.trim_start().starts_with('#') && !in_block;
        if comment {
            let span = Span::new(line_start + indent, line_start + content.len());
            run = Some(match run {
                Some((first, count)) => (Span::new(first.start, span.end), count + 1),
                None => (span, 1),
            });
        } else if let Some((span, count)) = run.take() {
            if count > 1 {
                folds.push(Fold { span, kind: FoldKind::Comment });
            }
        }
        line_start += line.len();
    }
    if let Some((span, count)) = run {
        if count > 1 {
            folds.push(Fold { span, kind: FoldKind::Comment });
        }
    }
    folds
}

fn items(tree: &Tree, text: &str, list: NodeId) -> Vec<Symbol> {
    let NodeKind::Sequence(items) = &tree.node(list).kind else {
        return Vec::new();
    };
    items.iter().filter_map(|&item| item_symbol(tree, text, item)).collect()
}

/// A list item: a text scalar names itself; a mapping is named by its `name`.
fn item_symbol(tree: &Tree, text: &str, item: NodeId) -> Option<Symbol> {
    let item = tree.deref(item);
    let node = tree.node(item);
    let span = trimmed(text, node.span);
    match &node.kind {
        NodeKind::Scalar(scalar) => Some(Symbol {
            name: scalar.value.to_string(),
            kind: SymbolKind::Text,
            span,
            selection: span,
            children: Vec::new(),
        }),
        NodeKind::Mapping(entries) => {
            let name = entries.iter().find(|entry| tree.key_text(entry.key) == Some("name"))?;
            let value = tree.deref(name.value);
            Some(Symbol {
                name: tree.scalar(value)?.value.to_string(),
                kind: SymbolKind::Item,
                span,
                selection: tree.node(value).span,
                children: Vec::new(),
            })
        }
        NodeKind::Sequence(_) | NodeKind::Alias(_) => None,
    }
}

fn branches(tree: &Tree, text: &str, mapping: NodeId) -> Vec<Symbol> {
    let NodeKind::Mapping(entries) = &tree.node(mapping).kind else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            Some(Symbol {
                name: tree.key_text(entry.key)?.to_owned(),
                kind: SymbolKind::Item,
                span: entry_span(tree, text, entry.key, entry.value),
                selection: tree.node(entry.key).span,
                children: Vec::new(),
            })
        })
        .collect()
}

fn auto_promote(tree: &Tree, text: &str, mapping: NodeId) -> Vec<Symbol> {
    let NodeKind::Mapping(entries) = &tree.node(mapping).kind else {
        return Vec::new();
    };
    let Some(environments) =
        entries.iter().find(|entry| tree.key_text(entry.key) == Some("environments"))
    else {
        return Vec::new();
    };
    vec![Symbol {
        name: "environments".to_owned(),
        kind: SymbolKind::List,
        span: entry_span(tree, text, environments.key, environments.value),
        selection: tree.node(environments.key).span,
        children: items(tree, text, tree.deref(environments.value)),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One outline entry as the tests compare it: name, kind, selected text, children.
    type Outline<'a> = (&'a str, SymbolKind, &'a str, Vec<(&'a str, &'a str)>);

    const TEXT: &str = "\
release:
  name: app
components:
  - name: api
    dockerfile: Dockerfile
# one
# two
auto_promote:
  environments:
    - name: \"staging\"
      test_workflow: ci.yml
    - name: prod
branches:
  main:
    environment: staging
  'release/*':
    environment: \"staging\"
ignore_paths:
  - docs/**
";

    fn document() -> Document {
        Document::read(TEXT).unwrap()
    }

    fn line_of(text: &str, offset: usize) -> usize {
        text[..offset].matches('\n').count()
    }

    fn slice(span: Span) -> &'static str {
        &TEXT[span.range()]
    }

    fn find(needle: &str, nth: usize) -> usize {
        TEXT.match_indices(needle).nth(nth).unwrap().0
    }

    #[test]
    fn the_outline_names_sections_components_environments_branches_and_paths() {
        let symbols = symbols(&document());

        let outline: Vec<Outline> = symbols
            .iter()
            .map(|symbol| {
                let children = symbol
                    .children
                    .iter()
                    .map(|child| (child.name.as_str(), slice(child.selection)))
                    .collect();
                (symbol.name.as_str(), symbol.kind, slice(symbol.selection), children)
            })
            .collect();
        assert_eq!(
            outline,
            vec![
                ("release", SymbolKind::Section, "release", vec![]),
                ("components", SymbolKind::List, "components", vec![("api", "api")]),
                (
                    "auto_promote",
                    SymbolKind::Section,
                    "auto_promote",
                    vec![("environments", "environments")]
                ),
                (
                    "branches",
                    SymbolKind::List,
                    "branches",
                    vec![("main", "main"), ("release/*", "'release/*'")]
                ),
                ("ignore_paths", SymbolKind::List, "ignore_paths", vec![("docs/**", "docs/**")]),
            ]
        );
        let environments = &symbols[2].children[0].children;
        let names: Vec<_> =
            environments.iter().map(|env| (env.name.as_str(), slice(env.selection))).collect();
        assert_eq!(names, vec![("staging", "\"staging\""), ("prod", "prod")]);
        assert_eq!(slice(environments[0].span), "name: \"staging\"\n      test_workflow: ci.yml");
        assert_eq!(slice(symbols[0].span), "release:\n  name: app");
    }

    #[test]
    fn folds_cover_multi_line_blocks_from_their_key_and_comment_runs() {
        let folds = folds(&document());

        let lines: Vec<(usize, usize, FoldKind)> = folds
            .iter()
            .map(|fold| (line_of(TEXT, fold.span.start), line_of(TEXT, fold.span.end), fold.kind))
            .collect();
        assert_eq!(
            lines,
            vec![
                (0, 1, FoldKind::Block),
                (2, 4, FoldKind::Block),
                (3, 4, FoldKind::Block),
                (5, 6, FoldKind::Comment),
                (7, 11, FoldKind::Block),
                (8, 11, FoldKind::Block),
                (9, 10, FoldKind::Block),
                (12, 16, FoldKind::Block),
                (13, 14, FoldKind::Block),
                (15, 16, FoldKind::Block),
                (17, 18, FoldKind::Block),
            ]
        );
    }

    #[test]
    fn a_comment_fold_ends_before_a_crlf_line_break() {
        let text = "# a\r\n# b\r\nrelease:\r\n  name: x\r\n";
        let folds = folds(&Document::read(text).unwrap());

        let spans: Vec<_> = folds.iter().map(|fold| (fold.span, fold.kind)).collect();
        assert_eq!(
            spans,
            vec![(Span::new(0, 8), FoldKind::Comment), (Span::new(10, 29), FoldKind::Block)]
        );
    }

    #[test]
    fn selection_grows_from_a_scalar_to_the_whole_text() {
        let offset = find("prod", 0) + 1;

        let spans: Vec<&str> = selection(&document(), offset).into_iter().map(slice).collect();

        assert_eq!(
            spans,
            vec![
                "prod",
                "name: prod",
                "- name: \"staging\"\n      test_workflow: ci.yml\n    - name: prod",
                "environments:\n    - name: \"staging\"\n      test_workflow: ci.yml\n    - name: prod",
                "auto_promote:\n  environments:\n    - name: \"staging\"\n      test_workflow: ci.yml\n    - name: prod",
                TEXT.trim_end(),
                TEXT,
            ]
        );
    }

    #[test]
    fn occurrences_of_an_environment_from_a_use_list_the_declaration_and_all_uses() {
        let offset = find("staging", 2);

        let found = occurrences(&document(), offset).unwrap();

        assert_eq!(found.name, "staging");
        assert_eq!(found.declaration, Some(Span::new(find("staging", 0), find("staging", 0) + 7)));
        assert_eq!(
            found.uses,
            vec![
                Span::new(find("staging", 1), find("staging", 1) + 7),
                Span::new(find("staging", 2), find("staging", 2) + 7)
            ]
        );
        assert_eq!(found.at, found.uses[1]);
        assert_eq!(occurrences(&document(), find("main", 0)), None);
    }

    #[test]
    fn rename_keeps_quotes_and_quotes_names_that_plain_yaml_would_misread() {
        let offset = find("staging", 1);

        let edits = rename(&document(), offset, "qa").unwrap();
        let quoted = rename(&document(), offset, "yes").unwrap();

        let texts: Vec<(&str, &str)> =
            edits.iter().map(|edit| (slice(edit.span), edit.text.as_str())).collect();
        assert_eq!(texts, vec![("staging", "qa"), ("staging", "qa"), ("staging", "qa")]);
        assert_eq!(edits[0].span.start, find("staging", 0));
        let texts: Vec<&str> = quoted.iter().map(|edit| edit.text.as_str()).collect();
        assert_eq!(texts, vec!["yes", "\"yes\"", "yes"]);
    }

    #[test]
    fn rename_refuses_an_empty_or_declared_name() {
        let offset = find("staging", 0);

        assert_eq!(rename(&document(), offset, " "), Err(RenameError::Empty));
        assert_eq!(rename(&document(), offset, "prod"), Err(RenameError::Taken("prod".into())));
        assert_eq!(rename(&document(), 0, "x"), Err(RenameError::NoName));
        assert_eq!(
            RenameError::Taken("prod".into()).to_string(),
            "an environment named `prod` is already declared"
        );
    }

    #[test]
    fn rename_refuses_a_name_the_schema_rejects_and_says_why() {
        let offset = find("staging", 0);

        for name in ["a b", "🚀", "#c", "- x", "it's", "x\ny", "-x", "x.", &"a".repeat(64)] {
            let escaped = name.escape_debug().to_string();
            assert_eq!(
                rename(&document(), offset, name),
                Err(RenameError::Invalid(escaped)),
                "{name}"
            );
        }
        assert!(rename(&document(), offset, &"a".repeat(63)).is_ok());
        assert!(rename(&document(), offset, "eu-west_1.b").is_ok());
        assert_eq!(
            RenameError::Invalid("x\\ny".into()).to_string(),
            "`x\\ny` is not a valid environment name: use at most 63 letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit"
        );
    }

    #[test]
    fn the_name_rule_is_the_schemas() {
        let schema = crate::core::schema::schema_for(crate::core::Format::Stella);
        let name = &schema["$defs"]["environment"]["properties"]["name"];

        assert_eq!(name["pattern"], "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$");
        assert_eq!(name["maxLength"], MAX_NAME_LENGTH);
    }

    /// An environment declared with an anchor, quotes and a comment, used through its alias
    /// and once written again with a comment.
    const ANCHORED: &str = "\
auto_promote:
  environments:
    - name: &s \"staging\"  # main env
      auto_approve: false
      require_tests: false
branches:
  main:
    environment: *s
  dev:
    environment: staging # the env
";

    #[test]
    fn rename_through_an_alias_edits_each_written_name_once_and_keeps_anchor_and_comments() {
        let document = Document::read(ANCHORED).unwrap();
        let offset = ANCHORED.find("staging").unwrap();

        let edits = rename(&document, offset, "stage").unwrap();
        let found = occurrences(&document, offset).unwrap();

        let renamed = crate::core::fix::apply(ANCHORED, &edits);
        assert_eq!(
            renamed,
            ANCHORED
                .replace("&s \"staging\"  # main env", "&s \"stage\"  # main env")
                .replace("staging # the env", "stage # the env")
        );
        assert_eq!(edits.len(), 2);
        let first = ANCHORED.find("staging").unwrap();
        let second = ANCHORED.rfind("staging").unwrap();
        assert_eq!(found.declaration, Some(Span::new(first, first + 7)));
        assert_eq!(found.uses, vec![Span::new(second, second + 7)]);
        assert_eq!(found.at, Span::new(first, first + 7));
    }

    #[test]
    fn the_value_text_skips_anchor_and_tag_and_stops_at_the_closing_quote_or_a_comment() {
        let cases = [
            ("&a \"x\\\"y\"  # c", "\"x\\\"y\""),
            ("!!str 'it''s' # c", "'it''s'"),
            ("&a !t plain value   # c", "plain value"),
            ("a#b  ", "a#b"),
            ("\"open", "\"open"),
        ];
        for (written, value) in cases {
            let span = value_text(written, Span::new(0, written.len()));

            assert_eq!(&written[span.range()], value, "{written}");
        }
    }

    #[test]
    fn hash_lines_inside_a_block_scalar_do_not_fold_as_comments() {
        let text = "# a\n# b\nrelease:\n  version_pattern: |\n    # a\n    # b\n    v{version}\n  name: x\n";

        let folds = folds(&Document::read(text).unwrap());

        let comments: Vec<Span> = folds
            .iter()
            .filter(|fold| fold.kind == FoldKind::Comment)
            .map(|fold| fold.span)
            .collect();
        assert_eq!(comments, vec![Span::new(0, 7)]);
    }

    #[test]
    fn a_path_used_again_through_an_alias_gets_one_link_at_its_value() {
        let text = "components:\n  - name: a\n    build_context: &ctx \"api\"  # c\n  - name: b\n    build_context: *ctx\n";

        let links = path_links(&Document::read(text).unwrap());

        let start = text.find("api").unwrap();
        assert_eq!(links, vec![PathLink { span: Span::new(start, start + 3), path: "api".into() }]);
    }

    #[test]
    fn path_links_are_the_dockerfile_build_context_and_workflow_values() {
        let links = path_links(&document());

        let paths: Vec<(&str, &str)> =
            links.iter().map(|link| (slice(link.span), link.path.as_str())).collect();
        assert_eq!(paths, vec![("Dockerfile", "Dockerfile"), ("ci.yml", "ci.yml")]);
    }
}
