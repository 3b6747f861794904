//! The typed configuration, read from a tree that passed the schema, with the span of every
//! value kept so later rules can point at it.

use crate::core::span::Span;
use crate::core::yaml::resolve::{self, ResolvedEntry};
use crate::core::yaml::{NodeId, NodeKind, Tree};

/// A value and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    /// The same value with its span moved by `map` (from a part of the text to the whole).
    #[must_use]
    pub fn mapped(mut self, map: &impl Fn(Span) -> Span) -> Spanned<T> {
        self.span = map(self.span);
        self
    }
}

/// Moves every span of a model piece, when a piece read from part of a text joins the model
/// of the whole.
pub trait MapSpans: Sized {
    #[must_use]
    fn map_spans(self, map: &impl Fn(Span) -> Span) -> Self;
}

impl<T> MapSpans for Option<Spanned<T>> {
    fn map_spans(self, map: &impl Fn(Span) -> Span) -> Self {
        self.map(|spanned| spanned.mapped(map))
    }
}

impl MapSpans for Release {
    fn map_spans(self, map: &impl Fn(Span) -> Span) -> Self {
        Release {
            name: self.name.map_spans(map),
            tag_pattern: self.tag_pattern.map_spans(map),
            version_pattern: self.version_pattern.map_spans(map),
        }
    }
}

impl MapSpans for Config {
    fn map_spans(self, map: &impl Fn(Span) -> Span) -> Self {
        Config {
            release: self.release.map_spans(map),
            components: self
                .components
                .into_iter()
                .map(|component| component.map_spans(map))
                .collect(),
            auto_promote: self.auto_promote.map(|auto_promote| AutoPromote {
                enabled: auto_promote.enabled.map_spans(map),
                environments: auto_promote
                    .environments
                    .into_iter()
                    .map(|environment| environment.map_spans(map))
                    .collect(),
            }),
            branches: self.branches.into_iter().map(|branch| branch.map_spans(map)).collect(),
            ignore_paths: self.ignore_paths.into_iter().map(|path| path.mapped(map)).collect(),
        }
    }
}

impl MapSpans for Component {
    fn map_spans(self, map: &impl Fn(Span) -> Span) -> Self {
        Component {
            name: self.name.mapped(map),
            image: self.image.map_spans(map),
            dockerfile: self.dockerfile.map_spans(map),
            build_context: self.build_context.map_spans(map),
        }
    }
}

impl MapSpans for Environment {
    fn map_spans(self, map: &impl Fn(Span) -> Span) -> Self {
        Environment {
            name: self.name.mapped(map),
            auto_approve: self.auto_approve.map_spans(map),
            require_tests: self.require_tests.map_spans(map),
            require_review: self.require_review.map_spans(map),
            test_workflow: self.test_workflow.map_spans(map),
        }
    }
}

impl MapSpans for Branch {
    fn map_spans(self, map: &impl Fn(Span) -> Span) -> Self {
        Branch {
            pattern: self.pattern.mapped(map),
            environment: self.environment.map_spans(map),
            auto_deploy: self.auto_deploy.map_spans(map),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub release: Release,
    pub components: Vec<Component>,
    pub auto_promote: Option<AutoPromote>,
    pub branches: Vec<Branch>,
    pub ignore_paths: Vec<Spanned<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Release {
    pub name: Option<Spanned<String>>,
    pub tag_pattern: Option<Spanned<String>>,
    pub version_pattern: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    pub name: Spanned<String>,
    pub image: Option<Spanned<String>>,
    pub dockerfile: Option<Spanned<String>>,
    pub build_context: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoPromote {
    pub enabled: Option<Spanned<bool>>,
    pub environments: Vec<Environment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    pub name: Spanned<String>,
    pub auto_approve: Option<Spanned<bool>>,
    pub require_tests: Option<Spanned<bool>>,
    pub require_review: Option<Spanned<bool>>,
    pub test_workflow: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// The branch name or glob: the key.
    pub pattern: Spanned<String>,
    pub environment: Option<Spanned<String>>,
    pub auto_deploy: Option<Spanned<bool>>,
}

/// Reads the model. Values of the wrong type read as absent, so this never fails; on a tree
/// that passed the schema nothing is lost.
pub fn config(tree: &Tree, root: NodeId) -> Config {
    let reader = Reader { tree };
    let fields = reader.fields(root);

    Config {
        release: fields.get("release").map(|release| reader.release(release)).unwrap_or_default(),
        components: reader
            .items(fields.get("components"))
            .filter_map(|item| reader.component(item))
            .collect(),
        auto_promote: fields
            .get("auto_promote")
            .map(|auto_promote| reader.auto_promote(auto_promote)),
        branches: fields
            .get("branches")
            .map(|branches| reader.branches(branches))
            .unwrap_or_default(),
        ignore_paths: reader
            .items(fields.get("ignore_paths"))
            .filter_map(|item| reader.string(item))
            .collect(),
    }
}

/// One component list item, or `None` when it has no text `name`.
pub fn component(tree: &Tree, item: NodeId) -> Option<Component> {
    Reader { tree }.component(item)
}

/// One environment list item, or `None` when it has no text `name`.
pub fn environment(tree: &Tree, item: NodeId) -> Option<Environment> {
    Reader { tree }.environment(item)
}

/// The branch rules of a `branches` mapping.
pub fn branches(tree: &Tree, mapping: NodeId) -> Vec<Branch> {
    Reader { tree }.branches(mapping)
}

/// A text scalar, or `None` for anything else.
pub fn string(tree: &Tree, id: NodeId) -> Option<Spanned<String>> {
    Reader { tree }.string(id)
}

struct Reader<'a> {
    tree: &'a Tree,
}

/// The resolved entries of one mapping, looked up by key text.
struct Fields<'a> {
    tree: &'a Tree,
    entries: Vec<ResolvedEntry>,
}

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<NodeId> {
        self.entries
            .iter()
            .find(|entry| self.tree.key_text(self.tree.deref(entry.key)) == Some(key))
            .map(|entry| entry.value)
    }
}

impl<'a> Reader<'a> {
    fn fields(&self, mapping: NodeId) -> Fields<'a> {
        Fields { tree: self.tree, entries: resolve::entries(self.tree, mapping, true) }
    }

    fn items(&self, list: Option<NodeId>) -> impl Iterator<Item = NodeId> + 'a {
        let items = list.map(|list| self.tree.deref(list)).and_then(|list| {
            match &self.tree.node(list).kind {
                NodeKind::Sequence(items) => Some(items.clone()),
                _ => None,
            }
        });
        items.unwrap_or_default().into_iter()
    }

    fn string(&self, id: NodeId) -> Option<Spanned<String>> {
        let target = self.tree.deref(id);
        let node = self.tree.node(target);
        let NodeKind::Scalar(scalar) = &node.kind else {
            return None;
        };
        match resolve::scalar_value(scalar, self.tree.tag(target)) {
            serde_json::Value::String(value) => Some(Spanned { value, span: node.span }),
            _ => None,
        }
    }

    fn boolean(&self, id: NodeId) -> Option<Spanned<bool>> {
        let target = self.tree.deref(id);
        let node = self.tree.node(target);
        let NodeKind::Scalar(scalar) = &node.kind else {
            return None;
        };
        resolve::scalar_value(scalar, self.tree.tag(target))
            .as_bool()
            .map(|value| Spanned { value, span: node.span })
    }

    fn release(&self, release: NodeId) -> Release {
        let fields = self.fields(release);
        Release {
            name: fields.get("name").and_then(|id| self.string(id)),
            tag_pattern: fields.get("tag_pattern").and_then(|id| self.string(id)),
            version_pattern: fields.get("version_pattern").and_then(|id| self.string(id)),
        }
    }

    fn component(&self, item: NodeId) -> Option<Component> {
        let fields = self.fields(item);
        Some(Component {
            name: self.string(fields.get("name")?)?,
            image: fields.get("image").and_then(|id| self.string(id)),
            dockerfile: fields.get("dockerfile").and_then(|id| self.string(id)),
            build_context: fields.get("build_context").and_then(|id| self.string(id)),
        })
    }

    fn auto_promote(&self, auto_promote: NodeId) -> AutoPromote {
        let fields = self.fields(auto_promote);
        AutoPromote {
            enabled: fields.get("enabled").and_then(|id| self.boolean(id)),
            environments: self
                .items(fields.get("environments"))
                .filter_map(|item| self.environment(item))
                .collect(),
        }
    }

    fn environment(&self, item: NodeId) -> Option<Environment> {
        let fields = self.fields(item);
        Some(Environment {
            name: self.string(fields.get("name")?)?,
            auto_approve: fields.get("auto_approve").and_then(|id| self.boolean(id)),
            require_tests: fields.get("require_tests").and_then(|id| self.boolean(id)),
            require_review: fields.get("require_review").and_then(|id| self.boolean(id)),
            test_workflow: fields.get("test_workflow").and_then(|id| self.string(id)),
        })
    }

    fn branches(&self, branches: NodeId) -> Vec<Branch> {
        self.fields(branches)
            .entries
            .iter()
            .filter_map(|entry| {
                let pattern = self.tree.deref(entry.key);
                let pattern = Spanned {
                    value: self.tree.key_text(pattern)?.to_owned(),
                    span: self.tree.node(pattern).span,
                };
                let fields = self.fields(entry.value);
                Some(Branch {
                    pattern,
                    environment: fields.get("environment").and_then(|id| self.string(id)),
                    auto_deploy: fields.get("auto_deploy").and_then(|id| self.boolean(id)),
                })
            })
            .collect()
    }
}
