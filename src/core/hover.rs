//! What hovering a place of a `.stella.yaml` shows: which thing is under a byte offset
//! ([`target`]) and the markdown that explains it.
//!
//! The core only finds the thing and renders what it is given: the git tags and branches
//! and the orchestrator's state are looked up by the caller and passed in, so nothing here
//! does IO or waits.

use std::fmt::Write as _;

use serde_json::Value;

use crate::core::actions::Document;
use crate::core::model;
use crate::core::schema;
use crate::core::semantic;
use crate::core::span::Span;
use crate::core::version;
use crate::core::yaml::resolve::Segment;
use crate::core::yaml::{NodeId, NodeKind, Tree, MAX_DEPTH};

/// How many matching tags and branches a hover lists.
pub const LISTED: usize = 5;

/// What is under the cursor, with the span the hover covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A key the schema describes; `path` ends with the key.
    Key { path: Vec<Segment> },
    /// An environment's name, where it is declared or where a branch sends to it.
    Environment { name: String },
    /// The value of `release.tag_pattern`.
    TagPattern { pattern: String },
    /// A key of `branches`: a branch name or glob.
    BranchPattern { pattern: String },
    /// One glob of `ignore_paths`.
    IgnorePath { pattern: String },
}

/// What the orchestrator's cache says of an environment, already worded for people.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvironmentState {
    pub status: String,
    /// When a freeze ends, as people read it (`18:00 UTC`).
    pub frozen_until: Option<String>,
    pub running_release: Option<String>,
}

/// The thing under `offset` (a byte offset; the end of a word still counts as on it), or
/// `None` when the hover has nothing to say there.
pub fn target(document: &Document, offset: usize) -> Option<(Span, Target)> {
    let tree = document.tree();
    let mut node = document.root()?;
    let mut path = Vec::new();

    // The walk follows the nodes as written, never an alias to its anchor (which may hold
    // the alias itself), so each step goes one level deeper and the walk ends.
    for _ in 0..=MAX_DEPTH {
        match &tree.node(node).kind {
            NodeKind::Mapping(entries) => {
                let mut next = None;
                for entry in entries {
                    let key = tree.node(entry.key);
                    if key.span.start <= offset && offset <= key.span.end {
                        let text = tree.key_text(entry.key)?;
                        path.push(Segment::Key(text.to_owned()));
                        return key_target(path, key.span);
                    }
                    if contains(tree, entry.value, offset) {
                        let text = tree.key_text(entry.key)?;
                        path.push(Segment::Key(text.to_owned()));
                        next = Some(entry.value);
                        break;
                    }
                }
                node = next?;
            }
            NodeKind::Sequence(items) => {
                let (index, item) =
                    items.iter().enumerate().find(|(_, &item)| contains(tree, item, offset))?;
                path.push(Segment::Index(index));
                node = *item;
            }
            NodeKind::Scalar(scalar) => {
                let span = tree.node(node).span;
                return value_target(&path, scalar.value.to_string(), span);
            }
            // An alias of a scalar reads as that scalar, on the alias's own text.
            NodeKind::Alias(_) => {
                let NodeKind::Scalar(scalar) = &tree.node(tree.deref(node)).kind else {
                    return None;
                };
                let span = tree.node(node).span;
                return value_target(&path, scalar.value.to_string(), span);
            }
        }
    }
    None
}

fn contains(tree: &Tree, id: NodeId, offset: usize) -> bool {
    let span = tree.node(id).span;
    span.start <= offset && offset <= span.end
}

fn key_target(path: Vec<Segment>, span: Span) -> Option<(Span, Target)> {
    if let [Segment::Key(branches), Segment::Key(pattern)] = path.as_slice() {
        if branches == "branches" {
            return Some((span, Target::BranchPattern { pattern: pattern.clone() }));
        }
    }
    schema::subschema(&path)?.get("description")?;
    Some((span, Target::Key { path }))
}

fn value_target(path: &[Segment], value: String, span: Span) -> Option<(Span, Target)> {
    let key = |text: &str| Segment::Key(text.to_owned());
    let target = match path {
        [first, second] if *first == key("release") && *second == key("tag_pattern") => {
            Target::TagPattern { pattern: value }
        }
        [first, Segment::Key(_), last]
            if *first == key("branches") && *last == key("environment") =>
        {
            Target::Environment { name: value }
        }
        [first, second, Segment::Index(_), last]
            if *first == key("auto_promote")
                && *second == key("environments")
                && *last == key("name") =>
        {
            Target::Environment { name: value }
        }
        [first, Segment::Index(_)] if *first == key("ignore_paths") => {
            Target::IgnorePath { pattern: value }
        }
        _ => return None,
    };
    Some((span, target))
}

/// The schema's description of the key at `path`, its default and first example (when a
/// scalar).
pub fn key_markdown(path: &[Segment]) -> Option<String> {
    let subschema = schema::subschema(path)?;
    let Some(Segment::Key(name)) = path.last() else {
        return None;
    };

    let mut markdown = format!("**{name}**");
    if let Some(description) = subschema.get("description").and_then(Value::as_str) {
        let _ = write!(markdown, "\n\n{description}");
    }
    if let Some(default) = subschema.get("default") {
        let _ = write!(markdown, "\n\nDefault: `{}`", plain(default));
    }
    // Examples of whole mappings and lists read badly on one line; only scalars are shown.
    let example = subschema
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|all| all.first())
        .filter(|example| !example.is_object() && !example.is_array());
    if let Some(example) = example {
        let _ = write!(markdown, "\n\nExample: `{}`", plain(example));
    }
    Some(markdown)
}

/// What the file and the orchestrator's cache (`state`, `None` when unknown) say of the
/// environment `name`.
pub fn environment_markdown(
    document: &Document,
    name: &str,
    state: Option<&EnvironmentState>,
) -> String {
    let mut markdown = format!("**environment `{name}`**");

    let declared = document
        .config
        .auto_promote
        .iter()
        .flat_map(|auto| &auto.environments)
        .find(|environment| environment.name.value == name);
    match declared {
        Some(environment) => {
            markdown.push_str("\n\nDeclared in `auto_promote.environments`");
            let _ = write!(
                markdown,
                "\n\n- auto_approve: `{}`\n- require_tests: `{}`",
                flag(environment.auto_approve.as_ref()),
                flag(environment.require_tests.as_ref()),
            );
        }
        None => markdown.push_str("\n\nNot declared in `auto_promote.environments`"),
    }

    if let Some(state) = state {
        let _ = write!(markdown, "\n\nOn Stella: {}", state.status);
        if let Some(until) = &state.frozen_until {
            let _ = write!(markdown, ", frozen until {until}");
        }
        if let Some(release) = &state.running_release {
            let _ = write!(markdown, ", running `{release}`");
        }
    }
    markdown
}

/// The tags `pattern` selects among `tags`, newest first (versions read with
/// `version_pattern`, as releases read them), at most [`LISTED`].
pub fn tags_markdown(pattern: &str, version_pattern: &str, tags: &[String]) -> String {
    let Ok(glob) = semantic::glob(pattern) else {
        return format!("`{pattern}` is not a valid glob");
    };
    let matcher = glob.compile_matcher();

    let mut matching: Vec<(String, &str)> = tags
        .iter()
        .filter(|tag| matcher.is_match(tag.as_str()))
        .map(|tag| {
            let version = version::version_from_tag(version_pattern, tag);
            (version.unwrap_or_else(|| tag.clone()), tag.as_str())
        })
        .collect();
    matching.sort_by(|a, b| version::compare(&b.0, &a.0).then_with(|| b.1.cmp(a.1)));

    let tags: Vec<&str> = matching.iter().map(|(_, tag)| *tag).collect();
    listing(&format!("`{pattern}` matches"), "tag", &tags)
}

/// The branches `pattern` matches among `branches`, by name, at most [`LISTED`].
pub fn branches_markdown(pattern: &str, branches: &[String]) -> String {
    let Ok(glob) = semantic::glob(pattern) else {
        return format!("`{pattern}` is not a valid glob");
    };
    let matcher = glob.compile_matcher();

    let mut matching: Vec<&str> =
        branches.iter().map(String::as_str).filter(|branch| matcher.is_match(branch)).collect();
    matching.sort_unstable();
    listing(&format!("Branch pattern `{pattern}` matches"), "local branch", &matching)
}

/// How many of `paths` (relative to the repository root, `/`-separated) the
/// `ignore_paths` glob `pattern` matches; `complete` is false when the walk that listed
/// them stopped at its cap, so the count is a lower bound.
pub fn files_markdown(pattern: &str, paths: &[String], complete: bool) -> String {
    let Ok(glob) = semantic::glob(pattern) else {
        return format!("`{pattern}` is not a valid glob");
    };
    let matcher = glob.compile_matcher();

    let count = paths.iter().filter(|path| matcher.is_match(path.as_str())).count();
    let plural = if count == 1 { "" } else { "s" };
    let bound = if complete { "" } else { "at least " };
    format!("`{pattern}` matches {bound}{count} file{plural} of the repository")
}

fn listing(heading: &str, noun: &str, names: &[&str]) -> String {
    let count = names.len();
    let plural = match (count, noun.ends_with('h')) {
        (1, _) => "",
        (_, true) => "es",
        (_, false) => "s",
    };
    let mut markdown = format!("{heading} {count} {noun}{plural}");
    for name in names.iter().take(LISTED) {
        let _ = write!(markdown, "\n- `{name}`");
    }
    if count > LISTED {
        let _ = write!(markdown, "\n- … and {} more", count - LISTED);
    }
    markdown
}

fn flag(value: Option<&model::Spanned<bool>>) -> String {
    value.map_or_else(|| "not set".to_owned(), |value| value.value.to_string())
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_of_a_scalar_reads_as_it_and_an_alias_into_its_own_anchor_as_nothing() {
        let text = "branches:\n  main:\n    environment: &e staging\n  dev:\n    environment: *e\nrelease: &r\n  <<: *r\n";
        let document = Document::read(text).unwrap();
        let alias = text.find("*e").unwrap();
        let looping = text.find("*r").unwrap();

        let found = target(&document, alias + 1);

        let span = Span::new(alias, alias + 2);
        assert_eq!(found, Some((span, Target::Environment { name: "staging".to_owned() })));
        assert_eq!(target(&document, looping + 1), None);
    }
}
