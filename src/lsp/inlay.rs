//! `textDocument/inlayHint`: the hints of [`core::inlay`], with the repository's tags and
//! branches read once per request.
//!
//! The text is parsed on the blocking pool; git runs off the async thread within
//! [`help::GIT_BOUND`], and only for what the requested range needs. A text that does not
//! parse, or a file outside a git repository, gets no hints (never an error).

use tower_lsp_server::ls_types;

use crate::core::inlay;
use crate::core::{LineCol, Span};
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
    let parsed = store.parsed(uri)?;
    if parsed.snapshot.kind != DocumentKind::Stella {
        return None;
    }
    let Some(directory) = help::repository(parsed.snapshot.path.as_deref()) else {
        return Some(Vec::new());
    };

    // The parse that other requests of this version share, made on the blocking pool.
    let read = tokio::task::spawn_blocking({
        let parsed = parsed.clone();
        move || {
            let (snapshot, line_index) = (&parsed.snapshot, parsed.line_index());
            let offset = |position: ls_types::Position| {
                let line_col = LineCol { line: position.line, col: position.character };
                line_index.offset(&snapshot.text, line_col, snapshot.encoding.core())
            };
            let (start, end) = (offset(range.start), offset(range.end));
            let within = Span { start: start.min(end), end: start.max(end) };
            parsed
                .document()
                .map(|document| inlay::sites(document, &snapshot.text, within))
                .unwrap_or_default()
        }
    });
    let sites = read.await.ok()?;
    let (snapshot, line_index) = (&parsed.snapshot, parsed.line_index());

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
        .map(|hint| to_proto::inlay_hint(line_index, &snapshot.text, hint, snapshot.encoding))
        .collect();
    Some(hints)
}
