//! The pure analysis core: `.stella.yaml` text in, diagnostics out.
//!
//! Nothing here knows about LSP, async runtimes or the disk. The analysis runs in stages:
//! YAML syntax (with anchors, aliases and merge keys resolved under a budget), then the
//! JSON schema, then the orchestrator's own rules. A stage runs only when the stages before
//! it found no error, so one mistake never shows up as a cascade of others.

pub mod actions;
pub mod complete;
pub mod diagnostic;
pub mod fix;
pub mod global;
pub mod hover;
pub mod image;
pub mod incremental;
pub mod inlay;
pub mod line_index;
pub mod model;
pub mod navigate;
pub mod schema;
pub mod semantic;
pub mod span;
pub mod suggest;
pub mod suppress;
pub mod version;
pub mod yaml;

pub use diagnostic::{Code, Diagnostic, Related, Severity, Stage};
pub use incremental::Analyzer;
pub use line_index::{Encoding, LineCol, LineIndex};
pub use span::Span;

/// What a path in the file names on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    File,
    Directory,
}

/// The file system as the analysis sees it: paths relative to the directory of the
/// `.stella.yaml`. Implemented on the disk by [`crate::files::DiskFiles`] and in memory by
/// tests.
pub trait FileSystem: Send + Sync {
    /// What `relative` names, or `None` when nothing is there.
    fn kind(&self, relative: &str) -> Option<FileKind>;
}

/// What the analysis may know beyond the text.
#[derive(Clone, Copy, Default)]
pub struct Context<'a> {
    /// The directory around the file; `None` skips the rules that look at paths (an
    /// unsaved buffer, or a file whose directory does not exist).
    pub files: Option<&'a dyn FileSystem>,
}

/// The result of analysing one text. Never fails: every problem is a diagnostic.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// The JSON schema of `.stella.yaml`, as shipped in `schemas/stella.schema.json`.
pub const SCHEMA: &str = include_str!("../../schemas/stella.schema.json");

/// Which file a text is analysed as; each has its own schema and rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// A repository's `.stella.yaml`: [`analyze`] or [`Analyzer`].
    Stella,
    /// The user's `~/.stella/config.yaml`: [`global::analyze`].
    GlobalConfig,
}

impl Format {
    /// The format's JSON schema, as shipped in `schemas/`.
    pub const fn schema(self) -> &'static str {
        match self {
            Format::Stella => SCHEMA,
            Format::GlobalConfig => global::SCHEMA,
        }
    }

    /// How messages name a file of this format.
    const fn file_name(self) -> &'static str {
        match self {
            Format::Stella => "a `.stella.yaml`",
            Format::GlobalConfig => "the global config",
        }
    }
}

/// Analyse one `.stella.yaml` text; its `# stella-ignore` comments apply
/// ([`suppress::apply`]).
pub fn analyze(text: &str, context: &Context<'_>) -> Analysis {
    Analysis { diagnostics: suppress::apply(text, sort(stages(text, context))) }
}

/// Diagnostics in the order every analysis returns them: by position, then code; each
/// only once (a value read through several aliases is checked once per use, but is
/// written, and reported, in one place).
fn sort(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by_key(|diagnostic| (diagnostic.span, diagnostic.code));

    let mut kept: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    for diagnostic in diagnostics {
        let key = (diagnostic.span, diagnostic.code);
        let mut same_place = kept.iter().rev().take_while(|kept| (kept.span, kept.code) == key);
        if !same_place.any(|kept| *kept == diagnostic) {
            kept.push(diagnostic);
        }
    }
    kept
}

fn stages(text: &str, context: &Context<'_>) -> Vec<Diagnostic> {
    let document = match syntax(text, Format::Stella) {
        Ok(document) => document,
        Err(diagnostics) => return diagnostics,
    };

    let Document { tree, root, value } = document;
    let schema_diagnostics =
        schema::diagnostics(&schema::Instance::document(&tree, root, &value, text));
    if !schema_diagnostics.is_empty() {
        return schema_diagnostics;
    }
    drop(value);

    let Some(root) = root else {
        return Vec::new();
    };
    semantic::diagnostics(&model::config(&tree, root), context)
}

/// A text that passed the syntax stage: its tree, the root of its one document (`None` when
/// the document is empty) and the resolved value the schema validates (an empty mapping for
/// an empty document).
struct Document {
    tree: yaml::Tree,
    root: Option<yaml::NodeId>,
    value: serde_json::Value,
}

/// The syntax stage, shared by every format: YAML, one document, aliases and merge keys
/// resolved under the budget. `Err` holds the syntax diagnostics.
fn syntax(text: &str, format: Format) -> Result<Document, Vec<Diagnostic>> {
    let parsed = yaml::parse(text);
    if !parsed.diagnostics.is_empty() {
        return Err(parsed.diagnostics);
    }

    let tree = parsed.tree;
    if let Some(second) = tree.documents.get(1) {
        let message = format!(
            "{} holds a single YAML document; remove this document marker and what follows, or move it to its own file",
            format.file_name()
        );
        return Err(vec![Diagnostic::new(Code::MultipleDocuments, second.start, message)]);
    }

    let root = tree
        .documents
        .first()
        .and_then(|document| document.root)
        .filter(|&root| !is_empty_document(&tree, root));
    let value = match root {
        Some(root) => yaml::resolve::to_json(
            &tree,
            root,
            yaml::resolve::expansion_budget(text.len()),
            MERGE_KEYS,
        )
        .map_err(|diagnostic| vec![diagnostic])?,
        None => serde_json::Value::Object(serde_json::Map::new()),
    };
    Ok(Document { tree, root, value })
}

const MERGE_KEYS: yaml::resolve::Options = yaml::resolve::Options { merge_keys: true };

/// A document with nothing in it (only comments, or an empty `---`) reads as null.
fn is_empty_document(tree: &yaml::Tree, root: yaml::NodeId) -> bool {
    let node = tree.node(root);
    node.span.is_empty()
        && tree.tag(root).is_none()
        && tree.scalar(root).is_some_and(|scalar| scalar.value.is_empty())
}
