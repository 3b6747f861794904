//! The document store: for each open uri its text (a rope), version, kind, the last version
//! whose diagnostics were published, the cached result of the last analysis and the parse
//! of the current version that requests share ([`Parsed`]).
//!
//! Text sync is applied here, synchronously, by [`crate::lsp::ordered`] in wire order. The
//! lock is a `std::sync::Mutex` held for microseconds and never across an `.await`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use ropey::Rope;
use tower_lsp_server::ls_types;

use crate::core;
use crate::core::actions::{self, Action};
use crate::lsp::encoding::PositionEncoding;
use crate::lsp::from_proto;

/// What the server does with a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// A `.stella.yaml` or `.stella.yml`: analysed, gets diagnostics.
    Stella,
    /// The global config, `…/.stella/config.yaml` or `config.yml`: analysed with its own
    /// schema and rules, gets diagnostics.
    GlobalConfig,
    /// Anything else the client opened: kept in sync, never analysed.
    Other,
}

impl DocumentKind {
    pub fn of(uri: &ls_types::Uri) -> DocumentKind {
        let uri = uri.as_str();
        let path = uri.split(['?', '#']).next().unwrap_or(uri);
        if path.ends_with(".stella.yaml") || path.ends_with(".stella.yml") {
            DocumentKind::Stella
        } else if core::global::is_config_path(path) {
            DocumentKind::GlobalConfig
        } else {
            DocumentKind::Other
        }
    }

    /// Whether documents of this kind are analysed and get diagnostics.
    pub fn is_analysed(self) -> bool {
        self != DocumentKind::Other
    }
}

/// Diagnostics computed for one version of a document, already in protocol form.
#[derive(Clone, Debug)]
pub struct CachedAnalysis {
    pub version: i32,
    pub diagnostics: Vec<ls_types::Diagnostic>,
}

#[derive(Debug)]
struct Document {
    uri: ls_types::Uri,
    rope: Rope,
    version: i32,
    language_id: String,
    kind: DocumentKind,
    published_version: Option<i32>,
    analysis: Option<Arc<CachedAnalysis>>,
    /// What earlier analyses learnt; out of the store while an analysis uses it.
    analyzer: Option<Box<core::Analyzer>>,
    /// The last lens sites computed from a text that parsed, moved through every edit since.
    lenses: Option<Lenses>,
    /// The current version's parse, once a request asked for it; dropped by every change.
    parsed: Option<Arc<Parsed>>,
}

/// One version of a document, read into a [`actions::Document`] at most once however many
/// requests (outline, folding, hover, lenses, …) ask for it. The reading is lazy and
/// blocks, so it belongs on the blocking pool; requests that come while it runs wait for
/// it instead of parsing again.
#[derive(Debug)]
pub struct Parsed {
    pub snapshot: Snapshot,
    read: OnceLock<Read>,
    fix_index: OnceLock<core::fix::Index>,
}

#[derive(Debug)]
struct Read {
    line_index: core::LineIndex,
    document: Result<actions::Document, actions::Unreadable>,
}

impl Parsed {
    fn new(snapshot: Snapshot) -> Parsed {
        Parsed { snapshot, read: OnceLock::new(), fix_index: OnceLock::new() }
    }

    fn read(&self) -> &Read {
        self.read.get_or_init(|| Read {
            line_index: core::LineIndex::new(&self.snapshot.text),
            document: actions::Document::read(&self.snapshot.text),
        })
    }

    /// The text read, or why it does not parse. Blocks on the first call.
    pub fn document(&self) -> Result<&actions::Document, &actions::Unreadable> {
        self.read().document.as_ref()
    }

    /// The line index of the text. Blocks on the first call.
    pub fn line_index(&self) -> &core::LineIndex {
        &self.read().line_index
    }

    /// The quick fixes' index of the tree, when the text reads. Blocks on the first call.
    pub fn fix_index(&self) -> Option<&core::fix::Index> {
        let document = self.document().ok()?;
        let text = &self.snapshot.text;
        Some(self.fix_index.get_or_init(|| core::fix::Index::new(document.tree(), text)))
    }
}

/// Lens sites: each action and where it is offered, in byte offsets of the text.
pub type Sites = Vec<(core::Span, Action)>;

/// Lens sites in byte offsets of the current text.
#[derive(Clone, Debug)]
struct Lenses {
    /// The version they were computed for; older when they were moved through edits.
    version: i32,
    sites: Sites,
}

/// What the session agreed on at `initialize`.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub encoding: PositionEncoding,
    /// Whether the server pushes `publishDiagnostics`; false for clients that pull.
    pub push_diagnostics: bool,
    /// Whether workspace edits go as versioned `documentChanges` (the client announced
    /// `workspace.workspaceEdit.documentChanges`) rather than `changes`.
    pub versioned_edits: bool,
    /// Whether completion items may be snippets (`completionItem.snippetSupport`).
    pub snippets: bool,
}

impl Default for Session {
    fn default() -> Session {
        Session {
            encoding: PositionEncoding::Utf16,
            push_diagnostics: true,
            versioned_edits: false,
            snippets: false,
        }
    }
}

#[derive(Debug, Default)]
struct Documents {
    by_uri: HashMap<String, Document>,
    session: Session,
    /// Whether the client sent `shutdown`, which makes a following `exit` a clean one.
    shut_down: bool,
    /// Whether `initialize` listed `command` in `textDocument.codeLens.resolveSupport`,
    /// which the protocol types do not carry, so it is read from the raw message.
    resolves_lens_command: bool,
}

/// A copy of one version of a document, cheap to take and safe to analyse off the lock.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub uri: ls_types::Uri,
    pub version: i32,
    pub text: String,
    pub encoding: PositionEncoding,
    /// The file on disk, for `file:` uris.
    pub path: Option<PathBuf>,
    /// Which analysis the text gets; never [`DocumentKind::Other`].
    pub kind: DocumentKind,
}

/// What to do with an analysis result.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// The result is for the current version and newer than anything published.
    Publish(Vec<ls_types::Diagnostic>),
    /// The result is stale, the document is closed, or its version was already published.
    Drop,
}

/// A cheap, cloneable handle to the documents of one server.
#[derive(Clone, Debug, Default)]
pub struct DocumentStore {
    inner: Arc<Mutex<Documents>>,
}

impl DocumentStore {
    fn lock(&self) -> MutexGuard<'_, Documents> {
        // A panic while the lock was held cannot leave a document half edited (edits are
        // whole rope operations), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn session(&self) -> Session {
        self.lock().session
    }

    pub fn set_session(&self, session: Session) {
        self.lock().session = session;
    }

    pub fn set_shut_down(&self) {
        self.lock().shut_down = true;
    }

    pub fn is_shut_down(&self) -> bool {
        self.lock().shut_down
    }

    pub fn set_resolves_lens_command(&self, resolves: bool) {
        self.lock().resolves_lens_command = resolves;
    }

    pub fn resolves_lens_command(&self) -> bool {
        self.lock().resolves_lens_command
    }

    /// The current text of `uri`, if it is open.
    pub fn text(&self, uri: &str) -> Option<String> {
        self.lock().by_uri.get(uri).map(|document| document.rope.to_string())
    }

    /// The current version of `uri`, if it is open.
    pub fn version(&self, uri: &str) -> Option<i32> {
        self.lock().by_uri.get(uri).map(|document| document.version)
    }

    /// The language id the client gave when opening `uri`.
    pub fn language_id(&self, uri: &str) -> Option<String> {
        self.lock().by_uri.get(uri).map(|document| document.language_id.clone())
    }

    pub fn kind(&self, uri: &str) -> Option<DocumentKind> {
        self.lock().by_uri.get(uri).map(|document| document.kind)
    }

    /// The last version whose diagnostics were published for `uri`.
    pub fn published_version(&self, uri: &str) -> Option<i32> {
        self.lock().by_uri.get(uri).and_then(|document| document.published_version)
    }

    /// Opens (or reopens, replacing) a document.
    pub fn open(&self, item: ls_types::TextDocumentItem) {
        let kind = DocumentKind::of(&item.uri);
        let document = Document {
            rope: Rope::from_str(&item.text),
            version: item.version,
            language_id: item.language_id,
            kind,
            published_version: None,
            analysis: None,
            analyzer: None,
            lenses: None,
            parsed: None,
            uri: item.uri,
        };

        self.lock().by_uri.insert(document.uri.as_str().to_owned(), document);
    }

    /// Applies the changes of one `didChange`, one after another, each on the result of the
    /// one before. Returns false when the document is not open (the change is ignored).
    pub fn change(
        &self,
        document: &ls_types::VersionedTextDocumentIdentifier,
        changes: &[ls_types::TextDocumentContentChangeEvent],
    ) -> bool {
        let mut documents = self.lock();
        let encoding = documents.session.encoding;
        let Some(stored) = documents.by_uri.get_mut(document.uri.as_str()) else {
            tracing::warn!(uri = %document.uri.as_str(), "change for a document that is not open");
            return false;
        };

        if document.version <= stored.version {
            tracing::warn!(
                uri = %document.uri.as_str(),
                old = stored.version,
                new = document.version,
                "document version did not increase"
            );
        }

        for change in changes {
            apply_change(&mut stored.rope, stored.lenses.as_mut(), change, encoding);
        }
        stored.version = document.version;
        stored.parsed = None;
        true
    }

    /// Closes a document. Returns whether it was open.
    pub fn close(&self, uri: &str) -> bool {
        self.lock().by_uri.remove(uri).is_some()
    }

    /// A copy of the current text of an open document that is analysed (a `.stella.yaml`
    /// or the global config), ready to analyse.
    pub fn snapshot(&self, uri: &str) -> Option<Snapshot> {
        let documents = self.lock();
        let document = documents.by_uri.get(uri)?;
        if !document.kind.is_analysed() {
            return None;
        }
        let kind = document.kind;

        let rope = document.rope.clone();
        let snapshot_uri = document.uri.clone();
        let version = document.version;
        let encoding = documents.session.encoding;
        drop(documents);

        let path = file_path(&snapshot_uri);
        Some(Snapshot { uri: snapshot_uri, version, text: rope.to_string(), encoding, path, kind })
    }

    /// The shared parse of the current version of an open `.stella.yaml` or global config
    /// (see [`Parsed`]); made on the first call for a version, the same one after that.
    pub fn parsed(&self, uri: &str) -> Option<Arc<Parsed>> {
        if let Some(parsed) = self.current_parsed(uri) {
            return Some(parsed);
        }

        let snapshot = self.snapshot(uri)?;

        let mut documents = self.lock();
        let document = documents.by_uri.get_mut(uri)?;
        match &document.parsed {
            Some(parsed) if parsed.snapshot.version == document.version => Some(parsed.clone()),
            _ if snapshot.version != document.version => Some(Arc::new(Parsed::new(snapshot))),
            _ => Some(document.parsed.insert(Arc::new(Parsed::new(snapshot))).clone()),
        }
    }

    fn current_parsed(&self, uri: &str) -> Option<Arc<Parsed>> {
        let documents = self.lock();
        let document = documents.by_uri.get(uri)?;
        document.parsed.clone().filter(|parsed| parsed.snapshot.version == document.version)
    }

    /// The document's incremental analyzer, taken out for one analysis; a fresh one when
    /// another analysis has it (or the document is not open).
    pub fn take_analyzer(&self, uri: &str) -> core::Analyzer {
        let mut documents = self.lock();
        let analyzer = documents.by_uri.get_mut(uri).and_then(|document| document.analyzer.take());
        analyzer.map_or_else(core::Analyzer::default, |analyzer| *analyzer)
    }

    /// Puts an analyzer back after an analysis, if the document is still open.
    pub fn give_back_analyzer(&self, uri: &str, analyzer: core::Analyzer) {
        let mut documents = self.lock();
        if let Some(document) = documents.by_uri.get_mut(uri) {
            document.analyzer = Some(Box::new(analyzer));
        }
    }

    /// The uris of the open `.stella.yaml` documents.
    pub fn stella_uris(&self) -> Vec<String> {
        let documents = self.lock();
        documents
            .by_uri
            .values()
            .filter(|document| document.kind == DocumentKind::Stella)
            .map(|document| document.uri.as_str().to_owned())
            .collect()
    }

    /// A snapshot of `uri` together with its remembered lens sites and the version they
    /// were computed for, taken at the same moment so the sites' offsets fit the text.
    pub fn lens_snapshot(&self, uri: &str) -> Option<(Snapshot, Option<(i32, Sites)>)> {
        let documents = self.lock();
        let document = documents.by_uri.get(uri)?;
        if document.kind != DocumentKind::Stella {
            return None;
        }
        let rope = document.rope.clone();
        let sites = document.lenses.as_ref().map(|lenses| (lenses.version, lenses.sites.clone()));
        let snapshot_uri = document.uri.clone();
        let version = document.version;
        let encoding = documents.session.encoding;
        drop(documents);

        let path = file_path(&snapshot_uri);
        let text = rope.to_string();
        let snapshot = Snapshot {
            uri: snapshot_uri,
            version,
            text,
            encoding,
            path,
            kind: DocumentKind::Stella,
        };
        Some((snapshot, sites))
    }

    /// Remembers the lens sites computed for `version`, if it is still current.
    pub fn set_lenses(&self, uri: &str, version: i32, sites: Sites) {
        let mut documents = self.lock();
        if let Some(document) = documents.by_uri.get_mut(uri) {
            if document.version == version {
                document.lenses = Some(Lenses { version, sites });
            }
        }
    }

    /// Whether the current text of `uri` still names `environment` (an `auto_promote`
    /// entry or a branch target). True when `uri` is not open: the command checks again.
    pub fn names_environment(&self, uri: &str, environment: &str) -> bool {
        let wanted = Action::Promote { environment: environment.to_owned() };
        let current = {
            let documents = self.lock();
            let Some(document) = documents.by_uri.get(uri) else {
                return true;
            };
            match &document.lenses {
                Some(lenses) if lenses.version == document.version => {
                    return lenses.sites.iter().any(|(_, action)| *action == wanted);
                }
                _ => (document.version, document.rope.to_string()),
            }
        };

        let (version, text) = current;
        if let Ok(document) = actions::Document::read(&text) {
            let sites: Sites =
                document.sites().into_iter().map(|site| (site.span, site.action)).collect();
            let named = sites.iter().any(|(_, action)| *action == wanted);
            self.set_lenses(uri, version, sites);
            return named;
        }

        // The text does not parse: the remembered sites are the best knowledge there is.
        let documents = self.lock();
        let lenses = documents.by_uri.get(uri).and_then(|document| document.lenses.as_ref());
        lenses.is_none_or(|lenses| lenses.sites.iter().any(|(_, action)| *action == wanted))
    }

    /// The cached analysis of `uri`, if it is for the current version.
    pub fn current_analysis(&self, uri: &str) -> Option<Arc<CachedAnalysis>> {
        let documents = self.lock();
        let document = documents.by_uri.get(uri)?;
        document.analysis.clone().filter(|analysis| analysis.version == document.version)
    }

    /// Records the result of analysing `version` of `uri` and says whether to publish it:
    /// only a result for the current version, newer than the last one published.
    pub fn accept(
        &self,
        uri: &str,
        version: i32,
        diagnostics: Vec<ls_types::Diagnostic>,
    ) -> Verdict {
        let mut documents = self.lock();
        let Some(document) = documents.by_uri.get_mut(uri) else {
            return Verdict::Drop;
        };
        if document.version != version {
            return Verdict::Drop;
        }

        document.analysis =
            Some(Arc::new(CachedAnalysis { version, diagnostics: diagnostics.clone() }));
        if document.published_version.is_some_and(|published| published >= version) {
            return Verdict::Drop;
        }
        document.published_version = Some(version);
        Verdict::Publish(diagnostics)
    }
}

/// Applies one content change, moving the lens sites with the text. A change without a
/// range replaces the whole text; the sites then move as if only the part between the
/// common prefix and suffix had changed.
fn apply_change(
    rope: &mut Rope,
    lenses: Option<&mut Lenses>,
    change: &ls_types::TextDocumentContentChangeEvent,
    encoding: PositionEncoding,
) {
    let Some(range) = change.range else {
        if let Some(lenses) = lenses {
            move_sites_by_lines(lenses, &rope.to_string(), &change.text);
        }
        *rope = Rope::from_str(&change.text);
        return;
    };

    let (start, end) = from_proto::char_range(rope, range, encoding);
    if start.snapped || end.snapped {
        tracing::warn!(?range, "change range falls inside a character; snapped to its start");
    }

    if let Some(lenses) = lenses {
        let start_byte = rope.char_to_byte(start.char_index);
        let end_byte = rope.char_to_byte(end.char_index);
        move_sites(lenses, start_byte, end_byte, change.text.len());
    }
    rope.remove(start.char_index..end.char_index);
    rope.insert(start.char_index, &change.text);
}

/// Moves lens sites from `old` to `new` through a line diff: a site on a line that is
/// still there keeps its column on that line; a site on a line that was replaced or
/// removed goes to the start of what replaced it. The diff gives up refining after a few
/// milliseconds on huge rewrites, which only makes the placement coarser.
fn move_sites_by_lines(lenses: &mut Lenses, old: &str, new: &str) {
    const DIFF_TIME: std::time::Duration = std::time::Duration::from_millis(20);

    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let starts = |lines: &[&str]| {
        let mut offset = 0;
        let mut starts: Vec<usize> = lines
            .iter()
            .map(|line| {
                let start = offset;
                offset += line.len();
                start
            })
            .collect();
        starts.push(offset);
        starts
    };
    let (old_starts, new_starts) = (starts(&old_lines), starts(&new_lines));
    let deadline = std::time::Instant::now() + DIFF_TIME;
    let ops = similar::capture_diff_slices_deadline(
        similar::Algorithm::Myers,
        &old_lines,
        &new_lines,
        Some(deadline),
    );

    let moved = |offset: usize| {
        let line = old_starts.partition_point(|&start| start <= offset).saturating_sub(1);
        let column = offset - old_starts[line];
        for op in &ops {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            if !old_range.contains(&line) {
                continue;
            }
            if tag == similar::DiffTag::Equal {
                let new_line = new_range.start + (line - old_range.start);
                return (new_starts[new_line] + column).min(new_starts[new_line + 1]);
            }
            return new_starts[new_range.start];
        }
        new.len().min(offset)
    };
    for (span, _) in &mut lenses.sites {
        let start = moved(span.start);
        *span = core::Span::new(start, (start + span.len()).min(new.len()));
    }
}

/// Moves lens sites through the replacement of `start..end` by `inserted` bytes: sites
/// after it shift, sites inside it collapse to its start.
fn move_sites(lenses: &mut Lenses, start: usize, end: usize, inserted: usize) {
    let moved = |offset: usize| {
        if offset < start {
            offset
        } else if offset >= end {
            offset - (end - start) + inserted
        } else {
            start
        }
    };
    for (span, _) in &mut lenses.sites {
        *span = core::Span::new(moved(span.start), moved(span.end).max(moved(span.start)));
    }
}

fn file_path(uri: &ls_types::Uri) -> Option<PathBuf> {
    if !uri.as_str().starts_with("file:") {
        return None;
    }
    uri.to_file_path().map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri() -> ls_types::Uri {
        "file:///w/.stella.yaml".parse().unwrap()
    }

    fn store_with(text: &str) -> DocumentStore {
        let store = DocumentStore::default();
        store.open(ls_types::TextDocumentItem {
            uri: uri(),
            language_id: "yaml".to_owned(),
            version: 1,
            text: text.to_owned(),
        });
        store
    }

    #[test]
    fn only_stella_files_and_the_global_config_are_analysed() {
        let kind = |text: &str| DocumentKind::of(&text.parse().unwrap());

        assert_eq!(kind("file:///w/.stella.yaml"), DocumentKind::Stella);
        assert_eq!(kind("file:///w/app.stella.yml"), DocumentKind::Stella);
        assert_eq!(kind("file:///w/stella.yaml"), DocumentKind::Other);
        assert_eq!(kind("file:///w/.stella.yaml.bak"), DocumentKind::Other);
        assert_eq!(kind("file:///home/u/.stella/config.yaml"), DocumentKind::GlobalConfig);
        assert_eq!(kind("file:///home/u/.stella/config.yml?x=1"), DocumentKind::GlobalConfig);
        assert_eq!(kind("file:///w/config.yaml"), DocumentKind::Other);
        assert_eq!(kind("file:///home/u/.stella/credentials.yaml"), DocumentKind::Other);
    }

    #[test]
    fn an_older_result_is_never_published_after_a_newer_one() {
        let store = store_with("a: 1\n");
        let identifier = ls_types::VersionedTextDocumentIdentifier { uri: uri(), version: 2 };
        store.change(&identifier, &[]);

        assert_eq!(store.accept(uri().as_str(), 1, Vec::new()), Verdict::Drop);
        assert_eq!(store.accept(uri().as_str(), 2, Vec::new()), Verdict::Publish(Vec::new()));
        assert_eq!(store.accept(uri().as_str(), 2, Vec::new()), Verdict::Drop);
        assert_eq!(store.published_version(uri().as_str()), Some(2));
    }

    #[test]
    fn results_for_a_closed_document_are_dropped() {
        let store = store_with("a: 1\n");
        store.close(uri().as_str());

        assert_eq!(store.accept(uri().as_str(), 1, Vec::new()), Verdict::Drop);
    }

    #[test]
    fn a_whole_text_change_moves_lens_sites_by_lines() {
        let old = "release:\n  name: a\nenvs:\n  - name: staging\nend: 1\n";
        let new = "# one\n# two\nrelease:\n  name: a\nenvs:\n  - name: staging\nend: [\n";
        let staging = old.find("staging").unwrap();
        let mut lenses = Lenses {
            version: 1,
            sites: vec![
                (core::Span::new(0, 7), Action::CreateRelease),
                (
                    core::Span::new(staging, staging + 7),
                    Action::Promote { environment: "staging".to_owned() },
                ),
                (core::Span::new(old.find("end").unwrap(), old.len()), Action::Diff),
            ],
        };

        move_sites_by_lines(&mut lenses, old, new);

        let texts: Vec<&str> = lenses.sites.iter().map(|(span, _)| &new[span.range()]).collect();
        assert_eq!(texts, ["release", "staging", "end: [\n"]);
    }
}
