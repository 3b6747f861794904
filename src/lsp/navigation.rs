//! Outline, folding, selection ranges, environment definitions, references and renames,
//! and document links: thin handlers over [`core::navigate`] on a snapshot of the text.
//!
//! A text that does not parse gets no answer (`null`), except rename, which says why.

use std::collections::HashMap;
use std::sync::Arc;

use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types;

use crate::core::actions::Document;
use crate::core::navigate::{self, Symbol};
use crate::core::{LineCol, Span};
use crate::lsp::store::{DocumentStore, Parsed, Snapshot};
use crate::lsp::to_proto;

/// An open `.stella.yaml` whose text parses, read once for its version (see [`Parsed`]).
struct Read {
    parsed: Arc<Parsed>,
}

impl Read {
    fn of(store: &DocumentStore, uri: &ls_types::Uri) -> Option<Read> {
        let parsed = store.parsed(uri.as_str())?;
        if parsed.document().is_err() {
            return None;
        }
        Some(Read { parsed })
    }

    fn document(&self) -> &Document {
        self.parsed.document().expect("checked to parse when read")
    }

    fn snapshot(&self) -> &Snapshot {
        &self.parsed.snapshot
    }

    fn range(&self, span: Span) -> ls_types::Range {
        let snapshot = self.snapshot();
        to_proto::range(self.parsed.line_index(), &snapshot.text, span, snapshot.encoding)
    }

    fn offset(&self, position: ls_types::Position) -> usize {
        let snapshot = self.snapshot();
        let line_col = LineCol { line: position.line, col: position.character };
        self.parsed.line_index().offset(&snapshot.text, line_col, snapshot.encoding.core())
    }

    fn location(&self, span: Span) -> ls_types::Location {
        ls_types::Location { uri: self.snapshot().uri.clone(), range: self.range(span) }
    }
}

/// `textDocument/documentSymbol`: the outline, nested.
pub fn document_symbol(
    store: &DocumentStore,
    params: &ls_types::DocumentSymbolParams,
) -> Option<ls_types::DocumentSymbolResponse> {
    let read = Read::of(store, &params.text_document.uri)?;

    let symbols = navigate::symbols(read.document());

    let symbols = symbols.iter().map(|symbol| document_symbol_of(&read, symbol)).collect();
    Some(ls_types::DocumentSymbolResponse::Nested(symbols))
}

#[allow(deprecated, reason = "`deprecated` is a required field of the struct")]
fn document_symbol_of(read: &Read, symbol: &Symbol) -> ls_types::DocumentSymbol {
    let children: Vec<_> =
        symbol.children.iter().map(|child| document_symbol_of(read, child)).collect();
    ls_types::DocumentSymbol {
        name: symbol.name.clone(),
        detail: None,
        kind: to_proto::symbol_kind(symbol.kind),
        tags: None,
        deprecated: None,
        range: read.range(symbol.span),
        selection_range: read.range(symbol.selection),
        children: (!children.is_empty()).then_some(children),
    }
}

/// `textDocument/foldingRange`: whole lines, block collections and comment runs.
pub fn folding_range(
    store: &DocumentStore,
    params: &ls_types::FoldingRangeParams,
) -> Option<Vec<ls_types::FoldingRange>> {
    let read = Read::of(store, &params.text_document.uri)?;

    let folds = navigate::folds(read.document());

    let ranges = folds
        .iter()
        .map(|fold| {
            let range = read.range(fold.span);
            ls_types::FoldingRange {
                start_line: range.start.line,
                end_line: range.end.line,
                kind: Some(to_proto::folding_range_kind(fold.kind)),
                ..ls_types::FoldingRange::default()
            }
        })
        .collect();
    Some(ranges)
}

/// `textDocument/selectionRange`: one chain per position, innermost first.
pub fn selection_range(
    store: &DocumentStore,
    params: &ls_types::SelectionRangeParams,
) -> Option<Vec<ls_types::SelectionRange>> {
    let read = Read::of(store, &params.text_document.uri)?;

    let chains = params
        .positions
        .iter()
        .map(|&position| {
            let spans = navigate::selection(read.document(), read.offset(position));
            let mut chain: Option<ls_types::SelectionRange> = None;
            for span in spans.into_iter().rev() {
                chain = Some(ls_types::SelectionRange {
                    range: read.range(span),
                    parent: chain.map(Box::new),
                });
            }
            chain.unwrap_or(ls_types::SelectionRange {
                range: ls_types::Range { start: position, end: position },
                parent: None,
            })
        })
        .collect();
    Some(chains)
}

/// `textDocument/definition`: from an environment name to its declaration.
pub fn goto_definition(
    store: &DocumentStore,
    params: &ls_types::GotoDefinitionParams,
) -> Option<ls_types::GotoDefinitionResponse> {
    let position = &params.text_document_position_params;
    let read = Read::of(store, &position.text_document.uri)?;

    let occurrences = navigate::occurrences(read.document(), read.offset(position.position))?;

    let declaration = occurrences.declaration?;
    Some(ls_types::GotoDefinitionResponse::Scalar(read.location(declaration)))
}

/// `textDocument/references`: every use of an environment name, and its declaration when
/// the client asks for it; in text order.
pub fn references(
    store: &DocumentStore,
    params: &ls_types::ReferenceParams,
) -> Option<Vec<ls_types::Location>> {
    let position = &params.text_document_position;
    let read = Read::of(store, &position.text_document.uri)?;

    let occurrences = navigate::occurrences(read.document(), read.offset(position.position))?;

    let declaration =
        occurrences.declaration.filter(|_| params.context.include_declaration).into_iter();
    let mut spans: Vec<Span> = declaration.chain(occurrences.uses).collect();
    spans.sort_by_key(|span| span.start);
    Some(spans.into_iter().map(|span| read.location(span)).collect())
}

/// `textDocument/prepareRename`: the environment name under the cursor, without quotes.
pub fn prepare_rename(
    store: &DocumentStore,
    params: &ls_types::TextDocumentPositionParams,
) -> Option<ls_types::PrepareRenameResponse> {
    let read = Read::of(store, &params.text_document.uri)?;

    let occurrences = navigate::occurrences(read.document(), read.offset(params.position))?;

    Some(ls_types::PrepareRenameResponse::Range(read.range(occurrences.at)))
}

/// `textDocument/rename`: edits at the declaration and every use. Fails with a message
/// for the user when the text does not parse or the new name is empty, taken or not a
/// valid environment name.
pub fn rename(
    store: &DocumentStore,
    params: &ls_types::RenameParams,
) -> jsonrpc::Result<Option<ls_types::WorkspaceEdit>> {
    let position = &params.text_document_position;
    let Some(read) = Read::of(store, &position.text_document.uri) else {
        return Err(jsonrpc::Error::invalid_params(
            "the file cannot be read: fix its syntax first",
        ));
    };

    let edits = navigate::rename(read.document(), read.offset(position.position), &params.new_name)
        .map_err(|error| jsonrpc::Error::invalid_params(error.to_string()))?;

    let edits = edits
        .into_iter()
        .map(|edit| ls_types::TextEdit { range: read.range(edit.span), new_text: edit.text })
        .collect();
    let changes = HashMap::from([(read.snapshot().uri.clone(), edits)]);
    Ok(Some(ls_types::WorkspaceEdit {
        changes: Some(changes),
        ..ls_types::WorkspaceEdit::default()
    }))
}

/// `textDocument/documentLink`: `dockerfile`, `build_context` and `test_workflow` values,
/// resolved against the directory of the `.stella.yaml`. Only a document saved as a file
/// gets links, and only to paths that exist, so a link never leads nowhere.
pub fn document_link(
    store: &DocumentStore,
    params: &ls_types::DocumentLinkParams,
) -> Option<Vec<ls_types::DocumentLink>> {
    let read = Read::of(store, &params.text_document.uri)?;
    let directory = read.snapshot().path.as_ref()?.parent()?.to_owned();

    let links = navigate::path_links(read.document());

    let links = links
        .into_iter()
        .filter_map(|link| {
            let path = directory.join(&link.path);
            if !path.exists() {
                return None;
            }
            Some(ls_types::DocumentLink {
                range: read.range(link.span),
                target: Some(ls_types::Uri::from_file_path(&path)?),
                tooltip: None,
                data: None,
            })
        })
        .collect();
    Some(links)
}
