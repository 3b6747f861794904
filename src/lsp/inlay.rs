//! `textDocument/inlayHint`: the hints of [`core::inlay`], with the repository's tags and
//! branches read once per request.
//!
//! The text is parsed on the blocking pool; git runs off the async thread within
//! [`help::GIT_BOUND`], and only for what the requested range needs. A text that does not
//! parse, or a file outside a git repository, gets no hints (never an error).

use tower_lsp_server::ls_types;

use crate::core::actions::Document;
use crate::core::inlay;
use crate::core::{LineCol, LineIndex, Span};
use crate::git;
use crate::lsp::help;
use crate::lsp::store::{DocumentKind, DocumentStore};
use crate::lsp::to_proto;

/// The hints of an open `.stella.yaml` in `range`; `None` for other documents.
pub async fn inlay_hint(
    store: &DocumentStore,
    uri: &str,
    range: ls_types::Range,
) -> Option<Vec<ls_types::InlayHint>> {
    let snapshot = store.snapshot(uri)?;
    if snapshot.kind != DocumentKind::Stella {
        return None;
    }
    let Some(directory) = help::repository(snapshot.path.as_deref()) else {
        return Some(Vec::new());
    };

    let text = snapshot.text.clone();
    let encoding = snapshot.encoding.core();
    let read = tokio::task::spawn_blocking(move || {
        let line_index = LineIndex::new(&text);
        let offset = |position: ls_types::Position| {
            line_index.offset(
                &text,
                LineCol { line: position.line, col: position.character },
                encoding,
            )
        };
        let (start, end) = (offset(range.start), offset(range.end));
        let within = Span { start: start.min(end), end: start.max(end) };
        let sites = Document::read(&text)
            .map(|document| inlay::sites(&document, &text, within))
            .unwrap_or_default();
        (line_index, sites)
    });
    let (line_index, sites) = read.await.ok()?;

    let tags = async {
        if !sites.needs_tags() {
            return None;
        }
        let directory = directory.clone();
        help::off_thread(move || git::tags(&directory)).await
    };
    let branches = async {
        if !sites.needs_branches() {
            return None;
        }
        let directory = directory.clone();
        help::off_thread(move || git::branches(&directory)).await
    };
    let (tags, branches) = tokio::join!(tags, branches);

    let hints = inlay::hints(&sites, tags.as_deref(), branches.as_deref());

    let hints = hints
        .into_iter()
        .map(|hint| to_proto::inlay_hint(&line_index, &snapshot.text, hint, snapshot.encoding))
        .collect();
    Some(hints)
}
