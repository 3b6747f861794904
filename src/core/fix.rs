//! Quick fixes: for the diagnostics of one text, the edits that repair them.
//!
//! Fixes are read from the text and its YAML tree, never from a diagnostic's message: the
//! diagnostic's code and span say what is wrong and where, and the tree and the schema say
//! what would be right. Edits keep the file's line endings, its indentation and each
//! value's quoting, anchor, tag and comment. A diagnostic with no safe repair gets no fix,
//! and neither does one whose edit would change text that other nodes share (a merge
//! source, an anchored node an alias names), but for the misspelt scalar a name fix is
//! about.
//!
//! | code | fix |
//! | --- | --- |
//! | `unknown-key` | rename to the closest allowed key not yet written (preferred); remove the entry |
//! | `unknown-environment`, `unknown-context` | change to each close declared name, closest preferred |
//! | `wrong-type` | `yes`/`no`/`on`/`off`/`y`/`n` where a boolean belongs: `true`/`false` |
//! | `invalid-value` | change to each close value of the schema's `enum`, closest preferred |
//! | `undefined-alias` | quote the plain scalar that starts with `*` (preferred when it looks like a glob) |
//! | `missing-key` | add the required keys after the mapping's last entry, with placeholder values (not preferred when an unknown key is renamed to one of them) |
//! | `duplicate-key` | remove the second entry, with its nested lines |
//! | `approval-conflict` | set `auto_approve: false` |
//! | `version-placeholder` | append `{version}` when the pattern has none (inside a block scalar, to its last line) |

use std::cell::OnceCell;
use std::collections::HashMap;

/// The index's maps hash with foldhash: they hold every node of the file.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use serde_json::Value;

use crate::core::diagnostic::{Code, Diagnostic};
use crate::core::navigate::{self, Edit};
use crate::core::schema;
use crate::core::span::Span;
use crate::core::suggest;
use crate::core::yaml::resolve::{self, Segment};
use crate::core::yaml::{self, Entry, NodeId, NodeKind, ScalarStyle, Tree};
use crate::core::{model, Format};

/// How many close names a did-you-mean offers, each as its own fix.
const MAX_SUGGESTIONS: usize = 3;

/// How deep a placeholder for a missing key may nest (the schemas nest far less).
const MAX_PLACEHOLDER_DEPTH: usize = 8;

/// The placeholder of a boolean with no default.
static FALSE: Value = Value::Bool(false);

/// One way to repair one diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    /// The code of the diagnostic it repairs.
    pub code: Code,
    /// The span of the diagnostic it repairs.
    pub span: Span,
    /// Replacements in the text, in text order, none overlapping.
    pub edits: Vec<Edit>,
    /// Whether this is the fix to apply when the user asks for "the" fix.
    pub preferred: bool,
}

/// The fixes for `diagnostics`, which must be those the analysis of `format` found in
/// `text`; in the order of the diagnostics, the preferred fix of each first. Never fails.
pub fn fixes(text: &str, format: Format, diagnostics: &[Diagnostic]) -> Vec<Fix> {
    if diagnostics.is_empty() {
        return Vec::new();
    }
    let tree = yaml::parse(text).tree;
    fixes_in(text, &tree, &Index::new(&tree, text), format, diagnostics)
}

/// [`fixes`], on the YAML tree of `text` and its [`Index`] that the caller already has
/// (from a parse it shares, and keeps for more requests on the same text).
pub fn fixes_in(
    text: &str,
    tree: &Tree,
    index: &Index,
    format: Format,
    diagnostics: &[Diagnostic],
) -> Vec<Fix> {
    if diagnostics.is_empty() {
        return Vec::new();
    }
    let source = Source::new(text, tree, index, format);

    let mut fixes = Vec::new();
    for diagnostic in diagnostics {
        let mut found = source.fixes(diagnostic);
        found.sort_by_key(|fix| !fix.preferred);
        fixes.extend(found);
    }
    fixes
}

/// Applies non-overlapping edits to `text`; the edits may come in any order.
///
/// # Panics
/// If an edit's span leaves the text or splits a character; [`fixes`] never makes one.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| edit.span.start);

    let mut result = String::with_capacity(text.len());
    let mut at = 0;
    for edit in sorted {
        result.push_str(&text[at..edit.span.start]);
        result.push_str(&edit.text);
        at = edit.span.end;
    }
    result.push_str(&text[at..]);
    result
}

/// The text, its tree and what fixes need to know about both.
struct Source<'t> {
    text: &'t str,
    format: Format,
    /// The whole schema of `format`, which `$ref`s point into.
    schema: &'static Value,
    tree: &'t Tree,
    root: Option<NodeId>,
    index: &'t Index,
    /// The environments the file declares, read at the first need.
    environments: OnceCell<Vec<String>>,
    line_break: &'static str,
    /// How many spaces one level of nesting adds in this file.
    indent_unit: usize,
}

impl<'t> Source<'t> {
    fn new(text: &'t str, tree: &'t Tree, index: &'t Index, format: Format) -> Source<'t> {
        let root = tree.documents.first().and_then(|document| document.root);
        Source {
            text,
            format,
            schema: schema::schema_for(format),
            tree,
            root,
            index,
            environments: OnceCell::new(),
            line_break: line_break(text),
            indent_unit: indent_unit(text),
        }
    }

    fn fixes(&self, diagnostic: &Diagnostic) -> Vec<Fix> {
        let fix = |title: String, edits: Vec<Edit>, preferred: bool| Fix {
            title,
            code: diagnostic.code,
            span: diagnostic.span,
            edits,
            preferred,
        };
        let mut found = match diagnostic.code {
            Code::UnknownKey => self.unknown_key(diagnostic.span),
            Code::UnknownEnvironment => self.unknown_name(diagnostic.span, self.environments()),
            Code::UnknownContext => self.unknown_name(diagnostic.span, &self.contexts()),
            Code::WrongType => self.yaml11_boolean(diagnostic.span),
            Code::InvalidValue => self.allowed_value(diagnostic.span),
            Code::UndefinedAlias => self.quoted_alias(diagnostic.span),
            Code::MissingKey => self.missing_keys(diagnostic.span),
            Code::DuplicateKey => self.duplicate_key(diagnostic.span),
            Code::ApprovalConflict => self.approval_conflict(diagnostic.span),
            Code::VersionPlaceholder => self.version_placeholder(diagnostic.span),
            _ => Vec::new(),
        };
        found.retain(|(_, edits, _)| {
            !edits.iter().any(|edit| self.is_shared(edit.span, diagnostic))
        });
        found.into_iter().map(|(title, edits, preferred)| fix(title, edits, preferred)).collect()
    }

    /// Rename to the closest allowed key that the mapping does not have yet, and removal.
    fn unknown_key(&self, span: Span) -> Vec<Found> {
        let Some((mapping, entry)) = self.entry_with_key(span) else {
            return Vec::new();
        };
        let Some(key) = self.tree.key_text(entry.key) else {
            return Vec::new();
        };

        let mut found = Vec::new();
        if let Some(path) = self.path(mapping) {
            let written = self.written_keys(mapping);
            let allowed = schema::allowed_keys_for(self.format, &path);
            let free = allowed.iter().map(String::as_str).filter(|key| !written.contains(key));
            if let Some(suggestion) = suggest::closest(key, free) {
                let edit = Edit { span, text: suggestion.to_owned() };
                found.push((format!("Change to `{suggestion}`"), vec![edit], true));
            }
        }
        if let Some(removed) = self.entry_removal(mapping, entry) {
            let edit = Edit { span: removed, text: String::new() };
            found.push((format!("Remove `{key}`"), vec![edit], false));
        }
        found
    }

    /// A change to each close name in `declared`, closest first, in the value's quoting.
    fn unknown_name(&self, span: Span, declared: &[String]) -> Vec<Found> {
        let Some(value) = self.scalar_at(span) else {
            return Vec::new();
        };
        if self.is_block_scalar(span) {
            return Vec::new();
        }
        let ranked = suggest::ranked(value, declared.iter().map(String::as_str));

        let inner = navigate::unquoted(self.text, span);
        ranked
            .into_iter()
            .filter(|name| *name != value)
            .take(MAX_SUGGESTIONS)
            .enumerate()
            .map(|(index, name)| {
                let edit = Edit { span: inner, text: navigate::written(self.text, span, name) };
                (format!("Change to `{name}`"), vec![edit], index == 0)
            })
            .collect()
    }

    /// The environments `auto_promote.environments` declares, in order, each once.
    fn environments(&self) -> &[String] {
        self.environments.get_or_init(|| {
            let Some(root) = self.root else {
                return Vec::new();
            };
            let config = model::config(self.tree, root);
            let mut names: Vec<String> = Vec::new();
            for environment in config.auto_promote.iter().flat_map(|auto| &auto.environments) {
                if !names.contains(&environment.name.value) {
                    names.push(environment.name.value.clone());
                }
            }
            names
        })
    }

    /// The names `contexts` declares in the global config.
    fn contexts(&self) -> Vec<String> {
        let Some(contexts) = self.root.and_then(|root| self.field(root, "contexts")) else {
            return Vec::new();
        };
        resolve::entries(self.tree, contexts, true)
            .into_iter()
            .filter_map(|entry| self.tree.key_text(self.tree.deref(entry.key)).map(str::to_owned))
            .collect()
    }

    /// `true` or `false` for a YAML 1.1 boolean word where the schema wants a boolean.
    fn yaml11_boolean(&self, span: Span) -> Vec<Found> {
        let Some(node) = self.node_at(span) else {
            return Vec::new();
        };
        let Some(scalar) = self.tree.scalar(node) else {
            return Vec::new();
        };
        let Some(meant) = schema::yaml11_bool(&scalar.value) else {
            return Vec::new();
        };
        if scalar.style != ScalarStyle::Plain || self.tree.tag(node).is_some() {
            return Vec::new();
        }
        let Some(path) = self.path(node) else {
            return Vec::new();
        };
        let wants_boolean = schema::subschema_for(self.format, &path)
            .and_then(|subschema| subschema.get("type"))
            .is_some_and(|json_type| json_type == "boolean");
        if !wants_boolean {
            return Vec::new();
        }

        let edit = Edit { span: navigate::value_text(self.text, span), text: meant.to_string() };
        vec![(format!("Change to `{meant}`"), vec![edit], true)]
    }

    /// A change to each close value the schema allows, where it lists them (`enum`).
    fn allowed_value(&self, span: Span) -> Vec<Found> {
        let Some(node) = self.node_at(span) else {
            return Vec::new();
        };
        let Some(path) = self.path(node) else {
            return Vec::new();
        };
        let options = schema::subschema_for(self.format, &path)
            .and_then(|subschema| subschema.get("enum"))
            .and_then(Value::as_array);
        let Some(options) = options else {
            return Vec::new();
        };
        let options: Vec<String> =
            options.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        self.unknown_name(span, &options)
    }

    /// Quotes the whole plain scalar an undefined alias starts, so it reads as text.
    fn quoted_alias(&self, span: Span) -> Vec<Found> {
        if self.text.as_bytes().get(span.start) != Some(&b'*') {
            return Vec::new();
        }
        let end = plain_scalar_end(self.text, span.start, self.in_flow(span.start));
        let scalar = &self.text[span.start..end];

        let name = &scalar[1..];
        let looks_like_glob = name.is_empty() || name.contains(['.', '/', '*', '?', '-']);
        let edit = Edit { span: Span::new(span.start, end), text: quoted(scalar) };
        vec![(format!("Quote `{scalar}`"), vec![edit], looks_like_glob)]
    }

    /// Whether `offset` lies inside a flow collection that was still open when parsing
    /// stopped there.
    fn in_flow(&self, offset: usize) -> bool {
        let bytes = self.text.as_bytes();
        self.tree.nodes.iter().any(|node| {
            let opener = bytes.get(node.span.start).copied();
            let collection = matches!(node.kind, NodeKind::Sequence(_) | NodeKind::Mapping(_));
            let last = match opener {
                Some(b'[') => b']',
                Some(b'{') => b'}',
                _ => return false,
            };
            let is_closed = node.span.len() >= 2 && bytes.get(node.span.end - 1) == Some(&last);
            collection && node.span.start < offset && !is_closed
        })
    }

    /// The required keys a mapping lacks, added after its last entry.
    fn missing_keys(&self, span: Span) -> Vec<Found> {
        let Some((mapping, path)) = self.missing_key_mapping(span) else {
            return Vec::new();
        };
        let Some(subschema) = schema::subschema_for(self.format, &path) else {
            return Vec::new();
        };
        let written: Vec<String> = match mapping {
            Some(mapping) => resolve::entries(self.tree, mapping, true)
                .into_iter()
                .filter_map(|entry| self.tree.key_text(self.tree.deref(entry.key)))
                .map(str::to_owned)
                .collect(),
            None => Vec::new(),
        };
        let missing: Vec<&str> = required(subschema)
            .into_iter()
            .filter(|key| !written.iter().any(|written| written == key))
            .collect();
        if missing.is_empty() {
            return Vec::new();
        }

        let known = self.known_value(&path);
        let missing = Missing { schema: subschema, keys: &missing, known: known.as_ref() };
        let edit = match mapping {
            Some(mapping) if self.is_flow(mapping) => self.flow_insertion(mapping, &missing),
            Some(mapping) => self.block_insertion(mapping, &missing),
            None => Some(self.document_insertion(&missing)),
        };
        let Some(edit) = edit else {
            return Vec::new();
        };
        let listed: Vec<String> = missing.keys.iter().map(|key| format!("`{key}`")).collect();
        let title = match listed.as_slice() {
            [one] => format!("Add {one}"),
            [rest @ .., last] => format!("Add {} and {last}", rest.join(", ")),
            [] => return Vec::new(),
        };
        let misspelt =
            mapping.is_some_and(|mapping| self.misspells_one_of(mapping, &path, missing.keys));
        vec![(title, vec![edit], !misspelt)]
    }

    /// Whether an unknown key written in `mapping` (at `path`) would be renamed to one of
    /// `missing` by its own fix: then renaming it is the fix, and adding the key is not
    /// preferred (applying both would write the key twice).
    fn misspells_one_of(&self, mapping: NodeId, path: &[Segment], missing: &[&str]) -> bool {
        let written = self.written_keys(mapping);
        let allowed = schema::allowed_keys_for(self.format, path);
        written.iter().filter(|key| !allowed.iter().any(|allowed| allowed == *key)).any(|key| {
            let free = allowed.iter().map(String::as_str).filter(|key| !written.contains(key));
            suggest::closest(key, free).is_some_and(|suggestion| missing.contains(&suggestion))
        })
    }

    /// The mapping a `missing-key` diagnostic at `span` is about, with its path: the value
    /// of the key at `span`, the list item whose `-` is at `span`, or the document (`None`
    /// when the document is empty).
    fn missing_key_mapping(&self, span: Span) -> Option<(Option<NodeId>, Vec<Segment>)> {
        let mapping = if let Some((_, entry)) = self.entry_with_key(span) {
            entry.value
        } else if let Some(item) = self.item_at_marker(span) {
            item
        } else if let Some(flow) = self.flow_mapping_at(span) {
            flow
        } else {
            let root_mapping =
                self.root.filter(|&root| matches!(self.tree.node(root).kind, NodeKind::Mapping(_)));
            match root_mapping {
                Some(root) if self.tree.node(root).span.start == span.start => root,
                // A document with nothing in it: the keys go at its end.
                None if span.is_empty() && self.is_blank_before(span.start) => {
                    return Some((None, Vec::new()));
                }
                _ => return None,
            }
        };
        // A mapping written elsewhere (an alias) is not edited here: others may use it.
        if !matches!(self.tree.node(mapping).kind, NodeKind::Mapping(_)) {
            return None;
        }
        Some((Some(mapping), self.path(mapping)?))
    }

    /// Whether the text before `offset` holds only comments, blank lines and `---`.
    fn is_blank_before(&self, offset: usize) -> bool {
        let Some(before) = self.text.get(..offset) else {
            return false;
        };
        before.lines().all(|line| {
            let line = line.trim();
            line.is_empty() || line.starts_with('#') || line == "---"
        })
    }

    /// The list item whose block `-` is at `span`.
    fn item_at_marker(&self, span: Span) -> Option<NodeId> {
        if span.len() != 1 {
            return None;
        }
        self.index.items.get(&span.start).copied()
    }

    /// The flow mapping whose `{` is at `span` (a flow list item).
    fn flow_mapping_at(&self, span: Span) -> Option<NodeId> {
        if self.text.as_bytes().get(span.start) != Some(&b'{') {
            return None;
        }
        self.index.mappings.get(&span.start).copied()
    }

    fn is_flow(&self, collection: NodeId) -> bool {
        matches!(self.text.as_bytes().get(self.tree.node(collection).span.start), Some(b'[' | b'{'))
    }

    /// New lines after the last entry of a block mapping, at the indentation of its keys.
    fn block_insertion(&self, mapping: NodeId, missing: &Missing<'_>) -> Option<Edit> {
        let NodeKind::Mapping(entries) = &self.tree.node(mapping).kind else {
            return None;
        };
        let first = entries.first()?;
        let last = entries.last()?;
        let key_start = self.tree.node(first.key).span.start;
        let indent = self.text[line_start(self.text, key_start)..key_start].chars().count();

        let end = self.entry_end(*last);
        let line_end = line_end(self.text, end);
        let mut inserted = String::new();
        let at = if line_end == self.text.len() && !self.text.ends_with(['\n', '\r']) {
            inserted.push_str(self.line_break);
            line_end
        } else {
            after_line_break(self.text, line_end)
        };
        // The blank lines a `|+` or `>+` block keeps are its value: the keys go after them.
        let at = match self.kept_block_end(last.value) {
            Some(kept_end) if inserted.is_empty() => at.max(kept_end),
            _ => at,
        };
        for key in missing.keys {
            inserted.push_str(&self.top_entry(missing, key, indent));
        }
        Some(Edit { span: Span::empty(at), text: inserted })
    }

    /// The required keys of an empty document, at its end.
    fn document_insertion(&self, missing: &Missing<'_>) -> Edit {
        let at = self.text.len();
        let mut inserted = String::new();
        if !self.text.is_empty() && !self.text.ends_with(['\n', '\r']) {
            inserted.push_str(self.line_break);
        }
        for key in missing.keys {
            inserted.push_str(&self.top_entry(missing, key, 0));
        }
        Edit { span: Span::empty(at), text: inserted }
    }

    /// `, key: value` before the closing brace of a flow mapping.
    fn flow_insertion(&self, mapping: NodeId, missing: &Missing<'_>) -> Option<Edit> {
        let NodeKind::Mapping(entries) = &self.tree.node(mapping).kind else {
            return None;
        };
        let span = self.tree.node(mapping).span;
        if !self.text[..span.end].ends_with('}') {
            return None;
        }
        let written: Vec<String> = missing
            .keys
            .iter()
            .map(|key| {
                let placeholder = match missing.known {
                    Some((known, value)) if known == key => value.clone(),
                    _ => {
                        flow_placeholder(self.schema, property(self.schema, missing.schema, key), 0)
                    }
                };
                format!("{key}: {placeholder}")
            })
            .collect();
        match entries.last() {
            Some(last) => Some(Edit {
                span: Span::empty(self.entry_end(*last)),
                text: format!(", {}", written.join(", ")),
            }),
            None => Some(Edit { span: Span::empty(span.end - 1), text: written.join(", ") }),
        }
    }

    /// A value the file itself suggests for a missing key: a branch rule's `environment`
    /// is the first environment the file declares.
    fn known_value(&self, path: &[Segment]) -> Option<(&'static str, String)> {
        let is_branch_rule = self.format == Format::Stella
            && matches!(path, [Segment::Key(branches), Segment::Key(_)] if branches == "branches");
        if !is_branch_rule {
            return None;
        }
        let first = self.environments().first()?;
        Some(("environment", scalar(&Value::String(first.clone()))))
    }

    /// The lines of one missing key of the mapping itself.
    fn top_entry(&self, missing: &Missing<'_>, key: &str, indent: usize) -> String {
        match missing.known {
            Some((known, value)) if *known == key => {
                format!("{}{key}: {value}{}", " ".repeat(indent), self.line_break)
            }
            _ => self.block_entry(missing.schema, key, indent, 0),
        }
    }

    /// The lines of one block entry `key: placeholder` at `indent` spaces, each ending in
    /// the file's line break.
    fn block_entry(
        &self,
        parent: &'static Value,
        key: &str,
        indent: usize,
        depth: usize,
    ) -> String {
        let subschema = property(self.schema, parent, key);
        let padding = " ".repeat(indent);
        let line_break = self.line_break;
        let nested = depth < MAX_PLACEHOLDER_DEPTH;

        if let Some(object) =
            subschema.filter(|_| nested).and_then(|schema| required_object(schema))
        {
            let mut lines = format!("{padding}{key}:{line_break}");
            for child in required(object) {
                lines.push_str(&self.block_entry(
                    object,
                    child,
                    indent + self.indent_unit,
                    depth + 1,
                ));
            }
            return lines;
        }
        if let Some(item) =
            subschema.filter(|_| nested).and_then(|schema| required_item(self.schema, schema))
        {
            let item_indent = indent + self.indent_unit;
            let mut lines = format!("{padding}{key}:{line_break}");
            for (index, child) in required(item).into_iter().enumerate() {
                let entry = self.block_entry(item, child, item_indent + 2, depth + 1);
                if index == 0 {
                    lines.push_str(&" ".repeat(item_indent));
                    lines.push_str("- ");
                    lines.push_str(&entry[item_indent + 2..]);
                } else {
                    lines.push_str(&entry);
                }
            }
            return lines;
        }
        format!("{padding}{key}: {}{line_break}", flow_placeholder(self.schema, subschema, depth))
    }

    /// The entry whose key node is written exactly at `span`, with its mapping.
    fn entry_with_key(&self, span: Span) -> Option<(NodeId, Entry)> {
        self.index.keys.get(&span).copied()
    }

    /// The scalar node written exactly at `span`.
    fn node_at(&self, span: Span) -> Option<NodeId> {
        self.index.scalars.get(&span).copied()
    }

    /// The text of the scalar written exactly at `span`.
    fn scalar_at(&self, span: Span) -> Option<&str> {
        self.tree.scalar(self.node_at(span)?).map(|scalar| &*scalar.value)
    }

    /// The keys written in `mapping` itself.
    fn written_keys(&self, mapping: NodeId) -> Vec<&str> {
        match &self.tree.node(mapping).kind {
            NodeKind::Mapping(entries) => {
                entries.iter().filter_map(|entry| self.tree.key_text(entry.key)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The value of `key` in `mapping`, merge keys applied.
    fn field(&self, mapping: NodeId, key: &str) -> Option<NodeId> {
        resolve::entries(self.tree, mapping, true)
            .into_iter()
            .find(|entry| self.tree.key_text(self.tree.deref(entry.key)) == Some(key))
            .map(|entry| entry.value)
    }

    /// Where `node` sits in the document, as the schema sees it; `None` when a step is not
    /// text or the node is not under the root.
    fn path(&self, node: NodeId) -> Option<Vec<Segment>> {
        let root = self.root?;
        let mut path = Vec::new();
        let mut current = node;
        while current != root {
            let (parent, segment) = self.index.parents.get(&current)?;
            path.push(segment.clone());
            current = *parent;
        }
        path.reverse();
        Some(path)
    }

    /// Where an entry's written text ends (its value's last character, or the key's when
    /// the value is empty).
    fn entry_end(&self, entry: Entry) -> usize {
        let key = self.tree.node(entry.key).span;
        let value = navigate::trimmed(self.text, self.tree.node(entry.value).span);
        key.end.max(value.end)
    }

    /// The text to remove to take `entry` out of `mapping`: its whole lines in a block
    /// mapping (nested lines and line break included), or the entry and one comma in a
    /// flow mapping. `None` for the first entry of a block list item, which carries the `-`.
    fn entry_removal(&self, mapping: NodeId, entry: Entry) -> Option<Span> {
        let key = self.tree.node(entry.key).span;
        let end = self.entry_end(entry);

        if self.is_flow(mapping) {
            let before = self.text[..key.start].trim_end();
            if let Some(comma) = before.strip_suffix(',') {
                return Some(Span::new(comma.len(), end));
            }
            let after = &self.text[end..];
            let rest = after.trim_start();
            let comma = rest.strip_prefix(',')?;
            let next = comma.len() - comma.trim_start().len();
            return Some(Span::new(key.start, self.text.len() - comma.len() + next));
        }

        let start = line_start(self.text, key.start);
        if !self.text[start..key.start].chars().all(|character| character == ' ') {
            return None;
        }
        Some(Span::new(start, after_line_break(self.text, line_end(self.text, end))))
    }

    /// The second of two equal keys, removed with its value.
    fn duplicate_key(&self, span: Span) -> Vec<Found> {
        let Some((mapping, entry)) = self.entry_with_key(span) else {
            return Vec::new();
        };
        let Some(removed) = self.entry_removal(mapping, entry) else {
            return Vec::new();
        };
        let key = &self.text[span.range()];
        let edit = Edit { span: removed, text: String::new() };
        vec![(format!("Remove the second `{key}`"), vec![edit], true)]
    }

    /// `auto_approve: false`: review wins, the safer side.
    fn approval_conflict(&self, span: Span) -> Vec<Found> {
        if self.node_at(span).is_none() {
            return Vec::new();
        }
        let edit = Edit { span: navigate::value_text(self.text, span), text: "false".to_owned() };
        vec![("Set `auto_approve: false`".to_owned(), vec![edit], true)]
    }

    /// `{version}` appended to a `version_pattern` that has none.
    fn version_placeholder(&self, span: Span) -> Vec<Found> {
        let Some(value) = self.scalar_at(span) else {
            return Vec::new();
        };
        if value.contains("{version}") {
            return Vec::new();
        }
        let edit = if self.is_block_scalar(span) {
            // Inside a `|` or `>` block the text is the value: `{version}` goes at the end
            // of its last line, which keeps the block's line breaks and chomping.
            let Some(end) = block_content_end(self.text, span) else {
                return Vec::new();
            };
            Edit { span: Span::new(end, end), text: "{version}".to_owned() }
        } else {
            let appended = format!("{value}{{version}}");
            Edit {
                span: navigate::unquoted(self.text, span),
                text: navigate::written(self.text, span, &appended),
            }
        };
        vec![("Append `{version}`".to_owned(), vec![edit], true)]
    }

    /// Where the block scalar `value` ends, blank lines included, when its header keeps
    /// them (`|+`, `>+`); at a line start.
    fn kept_block_end(&self, value: NodeId) -> Option<usize> {
        let node = self.tree.node(value);
        let style = self.tree.scalar(value)?.style;
        if !matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            return None;
        }
        let header_start = self.text[..node.span.start].rfind(['|', '>'])?;
        let header = &self.text[header_start..line_end(self.text, header_start)];
        let header = header.split(" #").next().unwrap_or(header);
        if !header.contains('+') {
            return None;
        }
        // The span may end in the indentation of the next line.
        let end = node.span.end;
        let start = line_start(self.text, end);
        Some(if self.text[start..end].trim().is_empty() {
            start
        } else {
            after_line_break(self.text, line_end(self.text, end))
        })
    }

    /// Whether the scalar written at `span` is a `|` or `>` block scalar.
    fn is_block_scalar(&self, span: Span) -> bool {
        let style = self.node_at(span).and_then(|node| self.tree.scalar(node)).map(|s| s.style);
        matches!(style, Some(ScalarStyle::Literal | ScalarStyle::Folded))
    }

    /// Whether an edit at `edit` would change text that other parts of the document read
    /// too: text inside a merge source (`<<: …`), or inside an anchored node that an alias
    /// names. The scalar a diagnostic is on, written with an anchor, is the one exception
    /// for a name fix: every alias repeats the same misspelt value, so the fix is right for
    /// all of them.
    fn is_shared(&self, edit: Span, diagnostic: &Diagnostic) -> bool {
        if !self.tree.has_anchors {
            return false;
        }
        let inside = |node: NodeId| {
            let span = self.tree.node(node).span;
            span.start <= edit.start && edit.end <= span.end
        };
        let own_scalar = self.node_at(diagnostic.span);
        let name_fix = !matches!(diagnostic.code, Code::ApprovalConflict);

        let through_alias = self
            .index
            .aliased
            .iter()
            .copied()
            .filter(|&target| !(name_fix && Some(target) == own_scalar))
            .any(&inside);
        through_alias || self.index.merge_sources.iter().any(|&source| inside(source))
    }
}

/// A fix before it is tied to its diagnostic: title, edits, whether preferred.
type Found = (String, Vec<Edit>, bool);

/// The keys a mapping lacks, with its schema and a value the file suggests for one of them.
struct Missing<'a> {
    schema: &'static Value,
    keys: &'a [&'a str],
    known: Option<&'a (&'static str, String)>,
}

/// Nodes of a tree found by where they are written, built in one pass so that fixing many
/// diagnostics of a large file stays linear; one text's index serves every request on it.
#[derive(Debug, Default)]
pub struct Index {
    /// Each node's collection, and the step from it to the node (keys are not listed).
    parents: FastMap<NodeId, (NodeId, Segment)>,
    /// Scalars by their span (the first of equal spans).
    scalars: FastMap<Span, NodeId>,
    /// Mapping entries by their key's span, with their mapping.
    keys: FastMap<Span, (NodeId, Entry)>,
    /// Block list items by the offset of their `-`.
    items: FastMap<usize, NodeId>,
    /// Mappings by the offset they start at.
    mappings: FastMap<usize, NodeId>,
    /// The values of merge keys (`<<`) as written, and the items of those that are lists.
    merge_sources: Vec<NodeId>,
    /// The nodes aliases name, each once.
    aliased: Vec<NodeId>,
}

impl Index {
    /// The index of `tree`, parsed from `text`.
    pub fn new(tree: &Tree, text: &str) -> Index {
        let mut index = Index::default();
        for (position, node) in tree.nodes.iter().enumerate() {
            let Ok(id) = u32::try_from(position).map(NodeId) else {
                break;
            };
            match &node.kind {
                NodeKind::Scalar(_) => {
                    index.scalars.entry(node.span).or_insert(id);
                }
                NodeKind::Mapping(entries) => {
                    index.mappings.entry(node.span.start).or_insert(id);
                    for entry in entries {
                        if tree.is_merge_key(entry.key) {
                            index.merge_sources.push(entry.value);
                            if let NodeKind::Sequence(items) = &tree.node(entry.value).kind {
                                index.merge_sources.extend(items);
                            }
                        }
                        index.keys.entry(tree.node(entry.key).span).or_insert((id, *entry));
                        if let Some(key) = tree.key_text(tree.deref(entry.key)) {
                            index.parents.insert(entry.value, (id, Segment::Key(key.to_owned())));
                        }
                    }
                }
                NodeKind::Sequence(items) => {
                    for (item_index, &item) in items.iter().enumerate() {
                        index.parents.insert(item, (id, Segment::Index(item_index)));
                        let before =
                            text[..tree.node(item).span.start].trim_end_matches([' ', '\t']);
                        if before.ends_with('-') {
                            index.items.insert(before.len() - 1, item);
                        }
                    }
                }
                NodeKind::Alias(target) => index.aliased.push(*target),
            }
        }
        index.aliased.sort_unstable();
        index.aliased.dedup();
        index
    }
}

/// The schema's `required` keys of an object schema, in order.
fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The schema of property `key` of `parent`, following local `$ref`s into `root`.
fn property(root: &'static Value, parent: &'static Value, key: &str) -> Option<&'static Value> {
    let property = parent.get("properties")?.get(key)?;
    Some(dereference(root, property))
}

fn dereference(root: &'static Value, value: &'static Value) -> &'static Value {
    let reference = value.get("$ref").and_then(Value::as_str);
    let Some(pointer) = reference.and_then(|reference| reference.strip_prefix('#')) else {
        return value;
    };
    root.pointer(pointer).unwrap_or(value)
}

/// An object schema with required keys, which a placeholder writes out.
fn required_object(schema: &'static Value) -> Option<&'static Value> {
    let is_object = schema.get("type").is_some_and(|json_type| json_type == "object");
    (is_object && !required(schema).is_empty()).then_some(schema)
}

/// The item schema of a list that needs at least one item, when the items are objects
/// with required keys: a placeholder writes one.
fn required_item(root: &'static Value, schema: &'static Value) -> Option<&'static Value> {
    let is_array = schema.get("type").is_some_and(|json_type| json_type == "array");
    let min_items = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
    if !is_array || min_items == 0 {
        return None;
    }
    required_object(dereference(root, schema.get("items")?))
}

/// A value for a missing key in flow style: the default, the first allowed value, `false`
/// for a boolean (a fix never switches an option on), the first example, or an empty value
/// of the right type; objects and lists with required parts are written out.
fn flow_placeholder(root: &'static Value, schema: Option<&'static Value>, depth: usize) -> String {
    let Some(schema) = schema else {
        return "\"\"".to_owned();
    };
    if depth < MAX_PLACEHOLDER_DEPTH {
        if let Some(object) = required_object(schema) {
            let entries: Vec<String> = required(object)
                .into_iter()
                .map(|key| {
                    format!(
                        "{key}: {}",
                        flow_placeholder(root, property(root, object, key), depth + 1)
                    )
                })
                .collect();
            return format!("{{{}}}", entries.join(", "));
        }
        if let Some(item) = required_item(root, schema) {
            return format!("[{}]", flow_placeholder(root, Some(item), depth + 1));
        }
    }

    let json_type = schema.get("type").and_then(Value::as_str).unwrap_or("string");
    let first_enum = schema.get("enum").and_then(Value::as_array).and_then(|values| values.first());
    let first_example =
        schema.get("examples").and_then(Value::as_array).and_then(|values| values.first());
    let value = schema
        .get("default")
        .or(first_enum)
        .or_else(|| (json_type == "boolean").then_some(&FALSE))
        .or(first_example);
    match (value, json_type) {
        (Some(value), _) => scalar(value),
        (None, "object") => "{}".to_owned(),
        (None, "array") => "[]".to_owned(),
        (None, "integer" | "number") => "0".to_owned(),
        (None, _) => "\"\"".to_owned(),
    }
}

/// A JSON value written as a YAML scalar that reads back as the same value.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) if !text.is_empty() && navigate::is_plain_text(text) => text.clone(),
        Value::String(text) => quoted(text),
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Object(entries) if entries.is_empty() => "{}".to_owned(),
        Value::Array(_) | Value::Object(_) => "{}".to_owned(),
        other => other.to_string(),
    }
}

/// `text` in quotes that need no escaping when possible: double, else single, else double
/// with escapes.
fn quoted(text: &str) -> String {
    if !text.contains(['"', '\\']) {
        return format!("\"{text}\"");
    }
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Where a plain scalar that starts at `start` ends: before a comment, a `: ` that makes it
/// a key, the line's end or, inside a flow collection, a flow indicator; trailing blanks
/// left out.
fn plain_scalar_end(text: &str, start: usize, in_flow: bool) -> usize {
    let line = &text[start..line_end(text, start)];
    let mut end = line.len();
    let mut previous = ' ';
    let mut characters = line.char_indices().peekable();
    while let Some((index, character)) = characters.next() {
        let next = characters.peek().map_or(' ', |&(_, next)| next);
        let comment = character == '#' && previous.is_whitespace() && index > 0;
        let indicator =
            character == ':' && (next.is_whitespace() || (in_flow && ",[]{}".contains(next)));
        let flow_end = in_flow && ",[]{}".contains(character) && index > 0;
        if comment || indicator || flow_end {
            end = index;
            break;
        }
        previous = character;
    }
    start + line[..end].trim_end().len()
}

/// Where `{version}` goes in the block scalar whose content is written at `span`: after
/// the last character of its last line that is not blank, when that line comes after the
/// header (`|`, `>-`, …); `None` for an empty block.
fn block_content_end(text: &str, span: Span) -> Option<usize> {
    let written = &text[span.range()];
    let header = if written.starts_with(['|', '>']) {
        span.start
    } else {
        text[..span.start].rfind(['|', '>'])?
    };
    let content = written.trim_end();
    let end = span.start + content.len();
    let after_header = text[header..end].contains(['\n', '\r']) && !content.is_empty();
    after_header.then_some(end)
}

/// The file's line break: that of its first line, `\n` when it has one line.
fn line_break(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(index) if text[index..].starts_with("\r\n") => "\r\n",
        Some(index) if text[index..].starts_with('\r') => "\r",
        _ => "\n",
    }
}

/// How many spaces one level of nesting adds: the indentation of the first indented key
/// or item line, else two.
fn indent_unit(text: &str) -> usize {
    text.lines()
        .map(|line| (line.len() - line.trim_start_matches(' ').len(), line.trim_start()))
        .find(|&(indent, rest)| indent > 0 && !rest.is_empty() && !rest.starts_with('#'))
        .map_or(2, |(indent, _)| indent)
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind(['\n', '\r']).map_or(0, |index| index + 1)
}

/// The offset of the line break that ends the line holding `offset` (or the text's end).
fn line_end(text: &str, offset: usize) -> usize {
    text[offset..].find(['\n', '\r']).map_or(text.len(), |index| offset + index)
}

/// Just past the line break at `offset` (`\r\n` counts as one).
fn after_line_break(text: &str, offset: usize) -> usize {
    let rest = &text[offset..];
    if rest.starts_with("\r\n") {
        offset + 2
    } else if rest.starts_with(['\n', '\r']) {
        offset + 1
    } else {
        offset
    }
}
