//! Quick fixes as code actions: the core's fixes ([`core::fix`]) for the diagnostics that
//! meet the requested range, with their edits in the session's position encoding.
//!
//! The diagnostics are computed again from the text the store holds, so a fix always fits
//! the current version, whatever the client sends in `context.diagnostics`; each action
//! carries the diagnostic it repairs, as the server publishes it, so clients can link them.

use std::collections::HashMap;

use tower_lsp_server::ls_types;

use crate::core::{self, fix, Format, LineCol, LineIndex, Span};
use crate::lsp::store::{DocumentKind, DocumentStore, Snapshot};
use crate::lsp::to_proto;

/// `textDocument/codeAction`, the quick fixes: none when `context.only` asks for other
/// kinds, for a document that is not analysed, or where no diagnostic has a fix.
pub fn code_actions(
    store: &DocumentStore,
    params: &ls_types::CodeActionParams,
) -> Vec<ls_types::CodeActionOrCommand> {
    if !wants(params.context.only.as_deref(), &ls_types::CodeActionKind::QUICKFIX) {
        return Vec::new();
    }
    let uri = params.text_document.uri.as_str();
    if !may_have_fixes(store, uri, params.range) {
        return Vec::new();
    }
    // The parse other requests of this version share: its text, line index and (when the
    // text reads) its tree.
    let Some(parsed) = store.parsed(uri) else {
        return Vec::new();
    };
    let (snapshot, line_index) = (&parsed.snapshot, parsed.line_index());
    let format = match snapshot.kind {
        DocumentKind::Stella => Format::Stella,
        DocumentKind::GlobalConfig => Format::GlobalConfig,
        DocumentKind::Other => return Vec::new(),
    };

    let requested = span(line_index, snapshot, params.range);
    let published = store.current_analysis(uri).filter(|cached| cached.version == snapshot.version);
    // Each diagnostic in the core's terms, beside the form the client was sent.
    let pairs: Vec<(core::Diagnostic, ls_types::Diagnostic)> = match published {
        Some(cached) => cached
            .diagnostics
            .iter()
            .filter_map(|sent| Some((ours(line_index, snapshot, sent)?, sent.clone())))
            .filter(|(diagnostic, _)| meets(diagnostic.span, requested))
            .collect(),
        None => analysis(snapshot, format)
            .diagnostics
            .into_iter()
            .filter(|diagnostic| meets(diagnostic.span, requested))
            .map(|diagnostic| {
                let sent = to_proto::diagnostic(
                    &snapshot.uri,
                    line_index,
                    &snapshot.text,
                    &diagnostic,
                    snapshot.encoding,
                );
                (diagnostic, sent)
            })
            .collect(),
    };
    let diagnostics: Vec<core::Diagnostic> =
        pairs.iter().map(|(diagnostic, _)| diagnostic.clone()).collect();

    let fixes = match (parsed.document(), parsed.fix_index()) {
        (Ok(document), Some(index)) => {
            fix::fixes_in(&snapshot.text, document.tree(), index, format, &diagnostics)
        }
        _ => fix::fixes(&snapshot.text, format, &diagnostics),
    };

    let versioned = store.session().versioned_edits;
    fixes
        .iter()
        .map(|fix| {
            let repaired = pairs
                .iter()
                .filter(|(diagnostic, _)| {
                    diagnostic.code == fix.code && diagnostic.span == fix.span
                })
                .map(|(_, sent)| sent.clone())
                .collect();
            ls_types::CodeActionOrCommand::CodeAction(ls_types::CodeAction {
                title: fix.title.clone(),
                kind: Some(ls_types::CodeActionKind::QUICKFIX),
                diagnostics: Some(repaired),
                edit: Some(workspace_edit(line_index, snapshot, fix, versioned)),
                is_preferred: Some(fix.preferred),
                ..ls_types::CodeAction::default()
            })
        })
        .collect()
}

/// The text analysed again, for when no analysis of this version is published yet. The
/// disk is left out: `missing-path`, the only rule that reads it, has no fix.
fn analysis(snapshot: &Snapshot, format: Format) -> core::Analysis {
    match format {
        Format::Stella => core::analyze(&snapshot.text, &core::Context::default()),
        Format::GlobalConfig => core::global::analyze(&snapshot.text),
    }
}

/// A published diagnostic of this server read back into the core's terms (code and span
/// are all fixes look at); `None` for the orchestrator's findings and unknown codes.
fn ours(
    line_index: &LineIndex,
    snapshot: &Snapshot,
    diagnostic: &ls_types::Diagnostic,
) -> Option<core::Diagnostic> {
    if diagnostic.source.as_deref() != Some(to_proto::SOURCE) {
        return None;
    }
    let Some(ls_types::NumberOrString::String(code)) = &diagnostic.code else {
        return None;
    };
    let code = core::Code::from_name(code)?;
    let span = span(line_index, snapshot, diagnostic.range);
    Some(core::Diagnostic::new(code, span, diagnostic.message.clone()))
}

/// Whether a diagnostic of the current version may meet `range`. Clients ask for code
/// actions at every move of the cursor, so when the published diagnostics of this version
/// are known and none meets the range, the text is not analysed again. Without them (an
/// analysis is under way) the answer is yes.
fn may_have_fixes(store: &DocumentStore, uri: &str, range: ls_types::Range) -> bool {
    let Some(analysis) = store.current_analysis(uri) else {
        return true;
    };
    let key = |position: ls_types::Position| (position.line, position.character);
    let (start, end) = (key(range.start), key(range.end));
    let (start, end) = (start.min(end), start.max(end));
    analysis
        .diagnostics
        .iter()
        .any(|diagnostic| key(diagnostic.range.start) <= end && start <= key(diagnostic.range.end))
}

/// Whether the actions that have no kind (the orchestrator's commands, see
/// [`crate::lsp::lenses::code_actions`]) are wanted: only when the client does not narrow
/// the request with `context.only`.
pub fn wants_commands(context: &ls_types::CodeActionContext) -> bool {
    context.only.is_none()
}

/// Whether `kind` is among the kinds `only` asks for (a kind includes its sub-kinds).
fn wants(only: Option<&[ls_types::CodeActionKind]>, kind: &ls_types::CodeActionKind) -> bool {
    let Some(only) = only else {
        return true;
    };
    only.iter().any(|wanted| {
        let wanted = wanted.as_str();
        let kind = kind.as_str();
        wanted.is_empty()
            || kind == wanted
            || kind.strip_prefix(wanted).is_some_and(|rest| rest.starts_with('.'))
    })
}

/// The requested range in bytes, clamped to the text, start before end.
fn span(line_index: &LineIndex, snapshot: &Snapshot, range: ls_types::Range) -> Span {
    let offset = |position: ls_types::Position| {
        let line_col = LineCol { line: position.line, col: position.character };
        line_index.offset(&snapshot.text, line_col, snapshot.encoding.core())
    };
    let (start, end) = (offset(range.start), offset(range.end));
    Span::new(start.min(end), start.max(end))
}

/// Whether a diagnostic meets the requested range; touching counts, so a cursor just after
/// a key still gets its fixes.
fn meets(diagnostic: Span, requested: Span) -> bool {
    diagnostic.start <= requested.end && requested.start <= diagnostic.end
}

/// The fix's edits on the snapshot's document: `documentChanges` with the version for
/// clients that announce them, else `changes`.
fn workspace_edit(
    line_index: &LineIndex,
    snapshot: &Snapshot,
    fix: &fix::Fix,
    versioned: bool,
) -> ls_types::WorkspaceEdit {
    let edits: Vec<ls_types::TextEdit> = fix
        .edits
        .iter()
        .map(|edit| to_proto::text_edit(line_index, &snapshot.text, edit, snapshot.encoding))
        .collect();

    if !versioned {
        let changes = HashMap::from([(snapshot.uri.clone(), edits)]);
        return ls_types::WorkspaceEdit {
            changes: Some(changes),
            ..ls_types::WorkspaceEdit::default()
        };
    }
    let document = ls_types::TextDocumentEdit {
        text_document: ls_types::OptionalVersionedTextDocumentIdentifier {
            uri: snapshot.uri.clone(),
            version: Some(snapshot.version),
        },
        edits: edits.into_iter().map(ls_types::OneOf::Left).collect(),
    };
    ls_types::WorkspaceEdit {
        document_changes: Some(ls_types::DocumentChanges::Edits(vec![document])),
        ..ls_types::WorkspaceEdit::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Before an analysis of the version is published the text is analysed again; after,
    /// the published diagnostics are read back. Both give the same actions, carrying the
    /// diagnostic as published (with its related information).
    #[test]
    fn fixes_are_the_same_from_a_fresh_analysis_and_from_the_published_one() {
        let store = DocumentStore::default();
        let uri: ls_types::Uri = "file:///w/.stella.yaml".parse().unwrap();
        let text = "release:\r\n  name: app\r\n  name: again\r\ncomponents:\r\n  - name: 🚀\r\n    imgae: x\r\n";
        store.open(ls_types::TextDocumentItem {
            uri: uri.clone(),
            language_id: "yaml".to_owned(),
            version: 3,
            text: text.to_owned(),
        });
        let params = ls_types::CodeActionParams {
            text_document: ls_types::TextDocumentIdentifier { uri: uri.clone() },
            range: ls_types::Range {
                start: ls_types::Position { line: 2, character: 0 },
                end: ls_types::Position { line: 5, character: 0 },
            },
            context: ls_types::CodeActionContext::default(),
            work_done_progress_params: ls_types::WorkDoneProgressParams::default(),
            partial_result_params: ls_types::PartialResultParams::default(),
        };
        let titles = |actions: &[ls_types::CodeActionOrCommand]| -> Vec<(String, usize)> {
            actions
                .iter()
                .map(|action| match action {
                    ls_types::CodeActionOrCommand::CodeAction(action) => {
                        let diagnostics = action.diagnostics.as_deref().unwrap_or_default();
                        let related = diagnostics
                            .iter()
                            .map(|diagnostic| {
                                diagnostic.related_information.iter().flatten().count()
                            })
                            .sum();
                        (action.title.clone(), related)
                    }
                    ls_types::CodeActionOrCommand::Command(command) => (command.title.clone(), 0),
                })
                .collect()
        };

        let fresh = code_actions(&store, &params);
        let snapshot = store.snapshot(uri.as_str()).unwrap();
        let published = analysis(&snapshot, Format::Stella);
        let line_index = LineIndex::new(text);
        let sent = published
            .diagnostics
            .iter()
            .map(|diagnostic| {
                to_proto::diagnostic(&uri, &line_index, text, diagnostic, snapshot.encoding)
            })
            .collect();
        let _ = store.accept(uri.as_str(), 3, sent);
        let read_back = code_actions(&store, &params);

        assert_eq!(titles(&fresh), [("Remove the second `name`".to_owned(), 1)]);
        assert_eq!(read_back, fresh);
    }

    #[test]
    fn only_narrows_to_a_kind_and_its_sub_kinds() {
        let quickfix = ls_types::CodeActionKind::QUICKFIX;
        let asked = |kinds: &[&str]| -> Vec<ls_types::CodeActionKind> {
            kinds.iter().map(|kind| ls_types::CodeActionKind::from((*kind).to_owned())).collect()
        };

        let answers: Vec<bool> = [
            asked(&["quickfix"]),
            asked(&["refactor", "source"]),
            asked(&["quickfix.stella"]),
            asked(&["quick"]),
            asked(&[""]),
        ]
        .iter()
        .map(|only| wants(Some(only), &quickfix))
        .collect();

        assert_eq!(answers, [true, false, false, false, true]);
        assert!(wants(None, &quickfix));
    }
}
