//! The spanned YAML tree: an arena of nodes, each with the byte span it was written at.

use std::collections::HashMap;

use crate::core::span::Span;

/// An index into [`Tree::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A scalar's text after YAML's escapes and folding, with how it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub value: Box<str>,
    pub style: ScalarStyle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: NodeId,
    pub value: NodeId,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Sequence(Vec<NodeId>),
    Mapping(Vec<Entry>),
    /// An alias, pointing at the anchored node it names.
    Alias(NodeId),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

/// One YAML document of the stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The `---` marker, or an empty span where the document starts without one.
    pub start: Span,
    pub explicit_start: bool,
    pub root: Option<NodeId>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub documents: Vec<Document>,
    /// Tags written on nodes, in full form (`tag:yaml.org,2002:str`, `!local`). Kept aside
    /// because few nodes have one.
    pub tags: HashMap<NodeId, Box<str>>,
    /// Whether any node has an anchor (aliases need one, so this covers them too).
    pub has_anchors: bool,
}

impl Tree {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    pub fn tag(&self, id: NodeId) -> Option<&str> {
        self.tags.get(&id).map(|tag| &**tag)
    }

    /// How many collections deep the tree under `root` goes (a scalar is 0), without
    /// recursion.
    pub fn depth(&self, root: NodeId) -> usize {
        let mut deepest = 0;
        let mut pending = vec![(root, 0)];
        while let Some((id, depth)) = pending.pop() {
            let children: Vec<NodeId> = match &self.node(id).kind {
                NodeKind::Sequence(items) => items.clone(),
                NodeKind::Mapping(entries) => {
                    entries.iter().flat_map(|entry| [entry.key, entry.value]).collect()
                }
                NodeKind::Scalar(_) | NodeKind::Alias(_) => continue,
            };
            deepest = deepest.max(depth + 1);
            pending.extend(children.into_iter().map(|child| (child, depth + 1)));
        }
        deepest
    }

    /// Follows aliases to the node they name.
    pub fn deref(&self, mut id: NodeId) -> NodeId {
        // Aliases can only name nodes that were complete before them, so this ends.
        while let NodeKind::Alias(target) = self.node(id).kind {
            id = target;
        }
        id
    }

    pub fn scalar(&self, id: NodeId) -> Option<&Scalar> {
        match &self.node(id).kind {
            NodeKind::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The text of a scalar key, or `None` for a collection or alias key.
    pub fn key_text(&self, key: NodeId) -> Option<&str> {
        self.scalar(key).map(|scalar| &*scalar.value)
    }

    /// Whether `key` is the merge key `<<` (plain, or tagged `!!merge`).
    pub fn is_merge_key(&self, key: NodeId) -> bool {
        let Some(scalar) = self.scalar(key) else {
            return false;
        };
        let tag = self.tag(key);
        &*scalar.value == "<<"
            && ((scalar.style == ScalarStyle::Plain && tag.is_none())
                || tag == Some("tag:yaml.org,2002:merge"))
    }
}
