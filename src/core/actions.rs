//! What a `.stella.yaml` offers to do on the orchestrator, read from the text alone: where
//! its code lenses go, what a command needs from it, and where the orchestrator's own
//! findings (JSON pointers) land in the text.
//!
//! A lens names an environment, never a line, so a command can always be checked against
//! the text current when it runs.

use crate::core::model::{self, Config};
use crate::core::span::Span;
use crate::core::yaml::resolve::{self, Segment};
use crate::core::yaml::{self, NodeId, NodeKind, Tree};
use crate::core::Severity;

/// An action the file offers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    CreateRelease,
    Validate,
    Diff,
    Promote { environment: String },
}

/// Where an action is offered: a lens above `span`'s line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub span: Span,
    pub action: Action,
}

/// Why a text cannot be read: its first YAML syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub span: Span,
    pub message: String,
}

/// A `.stella.yaml` that parsed: its tree and model, whatever the schema says of them.
#[derive(Debug)]
pub struct Document {
    text: String,
    tree: Tree,
    root: Option<NodeId>,
    pub config: Config,
}

impl Document {
    /// Reads a text. Fails only on a YAML syntax error; a schema error still reads, with
    /// the values of the wrong type left out of the model.
    pub fn read(text: &str) -> Result<Document, Unreadable> {
        let parsed = yaml::parse(text);
        if let Some(error) =
            parsed.diagnostics.iter().find(|diagnostic| diagnostic.severity == Severity::Error)
        {
            return Err(Unreadable { span: error.span, message: error.message.clone() });
        }

        let tree = parsed.tree;
        let root = tree.documents.first().and_then(|document| document.root);
        let config = root.map(|root| model::config(&tree, root)).unwrap_or_default();
        Ok(Document { text: text.to_owned(), tree, root, config })
    }

    /// The YAML tree the document was read from.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The root node of the document, `None` when it is empty.
    pub fn root(&self) -> Option<NodeId> {
        self.root
    }

    /// The top-level `release` key, where the file-wide lenses go.
    pub fn release_key(&self) -> Option<Span> {
        let root = self.tree.deref(self.root?);
        let NodeKind::Mapping(entries) = &self.tree.node(root).kind else {
            return None;
        };
        entries
            .iter()
            .find(|entry| self.tree.key_text(entry.key) == Some("release"))
            .map(|entry| self.tree.node(entry.key).span)
    }

    /// The lens sites, in text order: create, validate and diff on `release`, and a
    /// promotion on each `auto_promote` environment name and each branch's `environment`.
    pub fn sites(&self) -> Vec<Site> {
        let mut sites = Vec::new();
        if let Some(span) = self.release_key() {
            for action in [Action::CreateRelease, Action::Validate, Action::Diff] {
                sites.push(Site { span, action });
            }
        }

        let environments = self.config.auto_promote.iter().flat_map(|auto| &auto.environments);
        for environment in environments {
            sites.push(promote(&environment.name));
        }
        for branch in &self.config.branches {
            if let Some(environment) = &branch.environment {
                sites.push(promote(environment));
            }
        }

        sites.sort_by_key(|site| site.span.start);
        sites
    }

    /// How the file names `environment`: in `auto_promote.environments`, as a branch
    /// target, or not at all.
    pub fn environment(&self, name: &str) -> Named<'_> {
        let declared = self
            .config
            .auto_promote
            .iter()
            .flat_map(|auto| &auto.environments)
            .find(|environment| environment.name.value == name);
        if let Some(declared) = declared {
            return Named::Declared(declared);
        }

        let targeted = self.config.branches.iter().any(|branch| {
            branch.environment.as_ref().is_some_and(|environment| environment.value == name)
        });
        if targeted {
            Named::BranchTarget
        } else {
            Named::Absent
        }
    }

    /// Where a JSON pointer (`/auto_promote/environments/2/name`) lands: a scalar's value,
    /// else the key of the collection. A pointer that leaves the tree lands on its deepest
    /// part that exists; `None` only when not even the root exists.
    pub fn pointer_span(&self, pointer: &str) -> Option<Span> {
        let root = self.root?;
        let mut path = segments(pointer);
        let locator = resolve::Locator::new(&self.tree, true);

        loop {
            if let Some(located) = locator.locate(root, &path) {
                let node = self.tree.node(located.node);
                let span = match (&node.kind, located.key) {
                    (NodeKind::Scalar(_), _) => self.tree.node(located.written).span,
                    (_, Some(key)) => self.tree.node(key).span,
                    (_, None) => first_line(&self.text, self.tree.node(located.written).span),
                };
                return Some(span);
            }
            path.pop()?;
        }
    }
}

/// How a file names an environment.
#[derive(Clone, Copy, Debug)]
pub enum Named<'a> {
    Declared(&'a model::Environment),
    BranchTarget,
    Absent,
}

impl Named<'_> {
    pub fn is_absent(self) -> bool {
        matches!(self, Named::Absent)
    }

    /// Whether the file lets the orchestrator approve promotions here without a person:
    /// only an `auto_promote` entry with `auto_approve: true`.
    pub fn auto_approves(self) -> bool {
        match self {
            Named::Declared(environment) => {
                environment.auto_approve.as_ref().is_some_and(|auto_approve| auto_approve.value)
            }
            Named::BranchTarget | Named::Absent => false,
        }
    }
}

/// Comments that ask for another orchestrator (`# stella: server=https://…`). The server is
/// never taken from the workspace; these are reported so the user knows it was ignored.
pub fn server_requests(text: &str) -> Vec<(Span, String)> {
    let mut requests = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();

        let indent = line.len() - line.trim_start().len();
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let Some(rest) = comment.trim_start().strip_prefix("stella:") else {
            continue;
        };
        let Some(url) = rest.trim_start().strip_prefix("server") else {
            continue;
        };
        let Some(url) = url.trim_start().strip_prefix(['=', ':']) else {
            continue;
        };
        let url = url.split_whitespace().next().unwrap_or_default();
        let end = start + line.trim_end().len();
        requests.push((Span::new(start + indent, end), url.to_owned()));
    }
    requests
}

fn promote(name: &model::Spanned<String>) -> Site {
    Site { span: name.span, action: Action::Promote { environment: name.value.clone() } }
}

/// The steps of a JSON pointer (RFC 6901), with all-digit steps as indices.
fn segments(pointer: &str) -> Vec<Segment> {
    pointer
        .split('/')
        .skip(1)
        .map(|step| {
            let step = step.replace("~1", "/").replace("~0", "~");
            match step.parse::<usize>() {
                Ok(index) if !step.starts_with('+') => Segment::Index(index),
                _ => Segment::Key(step),
            }
        })
        .collect()
}

/// A collection's span shortened to the end of its first line, so a finding on a list
/// item or the whole file underlines one line, not all of it.
fn first_line(text: &str, span: Span) -> Span {
    let line_end = text[span.range()].find(['\n', '\r']).map_or(span.end, |end| span.start + end);
    Span::new(span.start, line_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "release:
  name: app
  tag_pattern: \"v*\"
auto_promote:
  environments:
    - name: staging
      auto_approve: true
    - name: production
branches:
  main:
    environment: staging
";

    fn slice(span: Span) -> &'static str {
        &TEXT[span.range()]
    }

    #[test]
    fn sites_are_on_release_and_on_each_environment_use() {
        let document = Document::read(TEXT).unwrap();
        let sites: Vec<(&str, Action)> =
            document.sites().into_iter().map(|site| (slice(site.span), site.action)).collect();

        let promote = |name: &str| Action::Promote { environment: name.to_owned() };
        assert_eq!(
            sites,
            [
                ("release", Action::CreateRelease),
                ("release", Action::Validate),
                ("release", Action::Diff),
                ("staging", promote("staging")),
                ("production", promote("production")),
                ("staging", promote("staging")),
            ]
        );
        assert_eq!(TEXT[..document.sites()[5].span.start].lines().count(), 11);
    }

    #[test]
    fn environments_are_named_declared_as_targets_or_not_at_all() {
        let document = Document::read(TEXT).unwrap();

        assert!(document.environment("staging").auto_approves());
        assert!(!document.environment("production").auto_approves());
        assert!(!document.environment("production").is_absent());
        assert!(document.environment("qa").is_absent());
    }

    #[test]
    fn a_syntax_error_makes_the_text_unreadable() {
        let error = Document::read("release:\n  name: [app\n").unwrap_err();

        assert_eq!(error.span.start, 22);
    }

    #[test]
    fn pointers_land_on_the_value_or_on_the_deepest_part_that_exists() {
        let document = Document::read(TEXT).unwrap();
        let at = |pointer: &str| document.pointer_span(pointer).map(slice);

        assert_eq!(at("/auto_promote/environments/1/name"), Some("production"));
        assert_eq!(at("/auto_promote/environments/1/auto_approve"), Some("name: production"));
        assert_eq!(at("/branches/main/environment"), Some("staging"));
        assert_eq!(at("/release"), Some("release"));
        assert_eq!(at("/nothing/here"), Some("release:"));
    }

    #[test]
    fn server_requests_are_found_in_comments_only() {
        let text = "# stella: server=https://evil.example\nrelease: # stella: server=x\n  # stella: server: https://b.example more\n";

        let requests: Vec<(&str, String)> = server_requests(text)
            .into_iter()
            .map(|(span, url)| (&text[span.range()], url))
            .collect();

        assert_eq!(
            requests,
            [
                ("# stella: server=https://evil.example", "https://evil.example".to_owned()),
                ("# stella: server: https://b.example more", "https://b.example".to_owned()),
            ]
        );
    }
}
