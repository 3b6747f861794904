//! The resolved view of a YAML tree: scalars read with the YAML 1.2 core schema, aliases
//! followed, merge keys (`<<`) applied.
//!
//! Two ways in: [`to_json`] builds a `serde_json::Value` for schema validation, expanding
//! aliases under a budget; [`entries`] and [`locate`] walk the tree itself, so every value
//! they return still has the span where it was written (a merged value is found at its
//! anchored source, with the `<<` that brought it in).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::{Map, Number, Value};

use crate::core::diagnostic::{Code, Diagnostic};
use crate::core::span::Span;
use crate::core::yaml::parse::MAX_DEPTH;
use crate::core::yaml::tree::{NodeId, NodeKind, Scalar, ScalarStyle, Tree};

/// How deep merge sources may chain before [`entries`] stops looking.
const MAX_MERGE_CHAIN: usize = 64;

#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Apply YAML 1.1 merge keys (`<<`), as `.stella.yaml` does. The YAML 1.2 test suite
    /// reads `<<` as an ordinary key.
    pub merge_keys: bool,
}

/// How many nodes alias and merge expansion may produce for a text of `len` bytes: enough
/// for any honest use (each alias copies what it names), far below what a bomb asks for.
pub fn expansion_budget(len: usize) -> usize {
    100_000usize.max(len.saturating_mul(10))
}

/// The JSON value of `root`, or the one diagnostic that stopped the expansion.
pub fn to_json(
    tree: &Tree,
    root: NodeId,
    budget: usize,
    options: Options,
) -> Result<Value, Diagnostic> {
    let mut expander = Expander { tree, options, budget, outermost_alias: None, open: Vec::new() };
    expander.value(root, 0)
}

struct Expander<'a> {
    tree: &'a Tree,
    options: Options,
    /// Nodes still allowed to be produced by alias and merge expansion.
    budget: usize,
    /// The alias being expanded at the outermost level: where a limit is reported.
    outermost_alias: Option<Span>,
    /// Collections being built, to catch an alias inside the node it names.
    open: Vec<NodeId>,
}

impl Expander<'_> {
    fn value(&mut self, id: NodeId, depth: usize) -> Result<Value, Diagnostic> {
        let node = self.tree.node(id);

        if depth > MAX_DEPTH * 2 {
            let span = self.outermost_alias.unwrap_or(node.span);
            return Err(Diagnostic::new(
                Code::NestingLimit,
                span,
                format!("aliases nest this value deeper than {} levels", MAX_DEPTH * 2),
            ));
        }
        if self.outermost_alias.is_some() {
            self.spend(node.span)?;
        }

        match &node.kind {
            NodeKind::Scalar(scalar) => Ok(scalar_value(scalar, self.tree.tag(id))),
            NodeKind::Alias(target) => self.alias(node.span, *target, depth),
            NodeKind::Sequence(items) => {
                self.open.push(id);
                let mut values = Vec::with_capacity(items.len());
                for &item in items {
                    values.push(self.value(item, depth + 1)?);
                }
                self.open.pop();
                Ok(Value::Array(values))
            }
            NodeKind::Mapping(_) => {
                self.open.push(id);
                let map = self.mapping(id, depth)?;
                self.open.pop();
                Ok(Value::Object(map))
            }
        }
    }

    fn alias(&mut self, span: Span, target: NodeId, depth: usize) -> Result<Value, Diagnostic> {
        if self.open.contains(&target) {
            return Err(Diagnostic::new(
                Code::AliasLimit,
                span,
                "this alias names a node that contains it, so it never ends",
            ));
        }

        let outermost = self.outermost_alias.is_none();
        if outermost {
            self.outermost_alias = Some(span);
        }
        let value = self.value(target, depth);
        if outermost {
            self.outermost_alias = None;
        }
        value
    }

    fn spend(&mut self, span: Span) -> Result<(), Diagnostic> {
        if self.budget == 0 {
            let span = self.outermost_alias.unwrap_or(span);
            return Err(Diagnostic::new(
                Code::AliasLimit,
                span,
                "alias expansion limit exceeded: the aliases here expand to more nodes than a file of this size may hold",
            ));
        }
        self.budget -= 1;
        Ok(())
    }

    fn mapping(&mut self, id: NodeId, depth: usize) -> Result<Map<String, Value>, Diagnostic> {
        let NodeKind::Mapping(entries) = &self.tree.node(id).kind else {
            return Ok(Map::new());
        };
        let mut map = Map::new();
        let mut merges = Vec::new();

        for entry in entries {
            if self.options.merge_keys && self.tree.is_merge_key(entry.key) {
                merges.push(entry.value);
                continue;
            }
            let key = self.key(entry.key)?;
            let value = self.value(entry.value, depth + 1)?;
            map.entry(key).or_insert(value);
        }

        for merge in merges {
            for source in merge_sources(self.tree, merge)? {
                if self.open.contains(&source) {
                    return Err(Diagnostic::new(
                        Code::AliasLimit,
                        self.tree.node(merge).span,
                        "this merge names a mapping that contains it, so it never ends",
                    ));
                }
                let outermost = self.outermost_alias.is_none();
                if outermost {
                    self.outermost_alias = Some(self.tree.node(merge).span);
                }
                let source_value = self.value(source, depth + 1);
                if outermost {
                    self.outermost_alias = None;
                }
                if let Value::Object(source_map) = source_value? {
                    for (key, value) in source_map {
                        map.entry(key).or_insert(value);
                    }
                }
            }
        }
        Ok(map)
    }

    fn key(&self, key: NodeId) -> Result<String, Diagnostic> {
        let target = self.tree.deref(key);
        match self.tree.scalar(target) {
            Some(scalar) => Ok(scalar.value.to_string()),
            None => Err(Diagnostic::new(
                Code::InvalidKey,
                self.tree.node(key).span,
                "a key must be text, not a list or a mapping",
            )),
        }
    }
}

/// The mappings a merge value names: one mapping, or a list of them, each possibly through
/// an alias.
pub fn merge_sources(tree: &Tree, merge: NodeId) -> Result<Vec<NodeId>, Diagnostic> {
    let invalid = |span| {
        Diagnostic::new(
            Code::InvalidMerge,
            span,
            "a merge key `<<` takes a mapping or a list of mappings",
        )
    };
    let target = tree.deref(merge);
    match &tree.node(target).kind {
        NodeKind::Mapping(_) => Ok(vec![target]),
        NodeKind::Sequence(items) => items
            .iter()
            .map(|&item| {
                let source = tree.deref(item);
                match tree.node(source).kind {
                    NodeKind::Mapping(_) => Ok(source),
                    _ => Err(invalid(tree.node(item).span)),
                }
            })
            .collect(),
        _ => Err(invalid(tree.node(merge).span)),
    }
}

/// A mapping entry as the resolved view sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedEntry {
    pub key: NodeId,
    pub value: NodeId,
    /// The `<<` keys this entry was merged through, outermost first; empty when the entry
    /// is written in the mapping itself.
    pub via: Vec<Span>,
}

/// The entries of a mapping with merges applied: written keys first, in order, then merged
/// keys not already present, earlier sources first. Invalid merges are skipped (they are
/// reported by [`to_json`]).
pub fn entries(tree: &Tree, mapping: NodeId, merge_keys: bool) -> Vec<ResolvedEntry> {
    let mut walk = Walk { seen: HashSet::new(), visited: HashMap::new(), resolved: Vec::new() };
    collect_entries(tree, tree.deref(mapping), merge_keys, &mut Vec::new(), &mut walk, 0);
    walk.resolved
}

/// What one [`entries`] walk has found so far.
struct Walk<'t> {
    /// The keys already resolved; an earlier one wins.
    seen: HashSet<&'t str>,
    /// Each mapping already walked, with the merge depth it was walked at. Walking it again
    /// from as deep or deeper finds only keys already seen, so it is skipped: this keeps a
    /// mapping that merges itself, or the same source twice per level, from walking the
    /// same mappings an exponential number of times.
    visited: HashMap<NodeId, usize>,
    resolved: Vec<ResolvedEntry>,
}

fn collect_entries<'t>(
    tree: &'t Tree,
    mapping: NodeId,
    merge_keys: bool,
    via: &mut Vec<Span>,
    walk: &mut Walk<'t>,
    chain: usize,
) {
    let NodeKind::Mapping(written) = &tree.node(mapping).kind else {
        return;
    };
    if walk.visited.get(&mapping).is_some_and(|&depth| depth <= chain) {
        return;
    }
    walk.visited.insert(mapping, chain);
    let mut merges = Vec::new();

    for entry in written {
        if merge_keys && tree.is_merge_key(entry.key) {
            merges.push(*entry);
            continue;
        }
        let Some(text) = tree.key_text(tree.deref(entry.key)) else {
            continue;
        };
        if walk.seen.insert(text) {
            walk.resolved.push(ResolvedEntry {
                key: entry.key,
                value: entry.value,
                via: via.clone(),
            });
        }
    }

    if chain >= MAX_MERGE_CHAIN {
        return;
    }
    for merge in merges {
        let Ok(sources) = merge_sources(tree, merge.value) else {
            continue;
        };
        via.push(tree.node(merge.key).span);
        for source in sources {
            collect_entries(tree, source, merge_keys, via, walk, chain + 1);
        }
        via.pop();
    }
}

/// One step of a JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Where a JSON pointer into the resolved view lands in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The node, after following aliases.
    pub node: NodeId,
    /// The node as written at its place (an alias stays an alias here).
    pub written: NodeId,
    /// The key whose value this is, when the last step was a key.
    pub key: Option<NodeId>,
    /// The `<<` keys and aliases passed through on the way, outermost first.
    pub via: Vec<Span>,
}

/// Finds the node a JSON pointer names. `None` when the path leaves the tree.
pub fn locate(tree: &Tree, root: NodeId, path: &[Segment], merge_keys: bool) -> Option<Located> {
    Locator::new(tree, merge_keys).locate(root, path)
}

/// Finds nodes by JSON pointer, keeping the resolved entries of each mapping it has looked
/// into, so that placing many errors in one large mapping stays linear.
pub struct Locator<'t> {
    tree: &'t Tree,
    merge_keys: bool,
    mappings: RefCell<HashMap<NodeId, Rc<HashMap<&'t str, ResolvedEntry>>>>,
}

impl<'t> Locator<'t> {
    pub fn new(tree: &'t Tree, merge_keys: bool) -> Locator<'t> {
        Locator { tree, merge_keys, mappings: RefCell::new(HashMap::new()) }
    }

    /// Finds the node at `path` below `root`. `None` when the path leaves the tree.
    pub fn locate(&self, root: NodeId, path: &[Segment]) -> Option<Located> {
        let tree = self.tree;
        let mut located =
            Located { node: tree.deref(root), written: root, key: None, via: Vec::new() };
        if let NodeKind::Alias(_) = tree.node(root).kind {
            located.via.push(tree.node(root).span);
        }

        for segment in path {
            let (key, value, via) = match (&tree.node(located.node).kind, segment) {
                (NodeKind::Sequence(items), Segment::Index(index)) => {
                    (None, *items.get(*index)?, Vec::new())
                }
                (NodeKind::Mapping(_), segment) => {
                    let wanted = match segment {
                        Segment::Key(key) => key.clone(),
                        Segment::Index(index) => index.to_string(),
                    };
                    let entry = self.entries(located.node).get(wanted.as_str())?.clone();
                    (Some(entry.key), entry.value, entry.via)
                }
                _ => return None,
            };

            located.via.extend(via);
            if let NodeKind::Alias(_) = tree.node(value).kind {
                located.via.push(tree.node(value).span);
            }
            located = Located { node: tree.deref(value), written: value, key, via: located.via };
        }
        Some(located)
    }

    /// The resolved entries of `mapping` by key text (the first of equal keys).
    fn entries(&self, mapping: NodeId) -> Rc<HashMap<&'t str, ResolvedEntry>> {
        if let Some(found) = self.mappings.borrow().get(&mapping) {
            return Rc::clone(found);
        }
        let mut by_key = HashMap::new();
        for entry in entries(self.tree, mapping, self.merge_keys) {
            if let Some(text) = self.tree.key_text(self.tree.deref(entry.key)) {
                by_key.entry(text).or_insert(entry);
            }
        }
        let by_key = Rc::new(by_key);
        self.mappings.borrow_mut().insert(mapping, Rc::clone(&by_key));
        by_key
    }
}

/// A scalar's value under the YAML 1.2 core schema (a core tag, when present, decides).
pub fn scalar_value(scalar: &Scalar, tag: Option<&str>) -> Value {
    let text = &*scalar.value;
    match tag.and_then(|tag| tag.strip_prefix("tag:yaml.org,2002:")) {
        Some("str") => return Value::String(text.to_owned()),
        Some("null") => return Value::Null,
        Some("bool") => {
            return bool_value(text).map_or_else(|| Value::String(text.to_owned()), Value::Bool)
        }
        Some("int") => return int_value(text).unwrap_or_else(|| Value::String(text.to_owned())),
        Some("float") => {
            return int_value(text)
                .and_then(|value| value.as_f64())
                .or_else(|| float_value(text))
                .and_then(Number::from_f64)
                .map_or_else(|| Value::String(text.to_owned()), Value::Number);
        }
        _ => {}
    }
    if tag == Some("!") || scalar.style != ScalarStyle::Plain {
        return Value::String(text.to_owned());
    }
    plain_value(text)
}

/// A plain, untagged scalar under the core schema.
pub fn plain_value(text: &str) -> Value {
    if is_null(text) {
        return Value::Null;
    }
    if let Some(value) = bool_value(text) {
        return Value::Bool(value);
    }
    if let Some(value) = int_value(text) {
        return value;
    }
    if let Some(value) = float_value(text).and_then(Number::from_f64) {
        return Value::Number(value);
    }
    Value::String(text.to_owned())
}

pub fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn bool_value(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn int_value(text: &str) -> Option<Value> {
    let (digits, radix) = if let Some(octal) = text.strip_prefix("0o") {
        (octal, 8)
    } else if let Some(hex) = text.strip_prefix("0x") {
        (hex, 16)
    } else {
        let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
        if unsigned.is_empty() || !unsigned.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        return match text.parse::<i64>() {
            Ok(value) => Some(Value::from(value)),
            Err(_) => match text.trim_start_matches('+').parse::<u64>() {
                Ok(value) => Some(Value::from(value)),
                Err(_) => text.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number),
            },
        };
    };
    if digits.is_empty() || !digits.chars().all(|character| character.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok().map(Value::from)
}

fn float_value(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }

    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let bytes = unsigned.as_bytes();
    let mut index = 0;
    let integer_digits = bytes.iter().take_while(|byte| byte.is_ascii_digit()).count();
    index += integer_digits;
    let mut fraction_digits = 0;
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        fraction_digits = bytes[index..].iter().take_while(|byte| byte.is_ascii_digit()).count();
        index += fraction_digits;
    }
    if integer_digits == 0 && fraction_digits == 0 {
        return None;
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'-' | b'+')) {
            index += 1;
        }
        let exponent_digits =
            bytes[index..].iter().take_while(|byte| byte.is_ascii_digit()).count();
        if exponent_digits == 0 {
            return None;
        }
        index += exponent_digits;
    }
    if index != bytes.len() {
        return None;
    }
    text.parse::<f64>().ok()
}
