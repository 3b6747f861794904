//! Conversions from the core's values to protocol values: byte spans to LSP ranges, core
//! diagnostics to LSP diagnostics, completion items and inlay hints.

use tower_lsp_server::ls_types;

use crate::core;
use crate::lsp::encoding::PositionEncoding;

/// The `source` of every diagnostic the server sends.
pub const SOURCE: &str = "stella";

pub fn position(
    line_index: &core::LineIndex,
    text: &str,
    offset: usize,
    encoding: PositionEncoding,
) -> ls_types::Position {
    let line_col = line_index.line_col(text, offset, encoding.core());
    ls_types::Position { line: line_col.line, character: line_col.col }
}

pub fn range(
    line_index: &core::LineIndex,
    text: &str,
    span: core::Span,
    encoding: PositionEncoding,
) -> ls_types::Range {
    ls_types::Range {
        start: position(line_index, text, span.start, encoding),
        end: position(line_index, text, span.end, encoding),
    }
}

/// One replacement in the text.
pub fn text_edit(
    line_index: &core::LineIndex,
    text: &str,
    edit: &core::navigate::Edit,
    encoding: PositionEncoding,
) -> ls_types::TextEdit {
    ls_types::TextEdit {
        range: range(line_index, text, edit.span, encoding),
        new_text: edit.text.clone(),
    }
}

pub fn severity(severity: core::Severity) -> ls_types::DiagnosticSeverity {
    match severity {
        core::Severity::Error => ls_types::DiagnosticSeverity::ERROR,
        core::Severity::Warning => ls_types::DiagnosticSeverity::WARNING,
        core::Severity::Information => ls_types::DiagnosticSeverity::INFORMATION,
        core::Severity::Hint => ls_types::DiagnosticSeverity::HINT,
    }
}

/// One core diagnostic; `text` must be the exact text the core analysed, and related
/// information points into the same document.
pub fn diagnostic(
    uri: &ls_types::Uri,
    line_index: &core::LineIndex,
    text: &str,
    diagnostic: &core::Diagnostic,
    encoding: PositionEncoding,
) -> ls_types::Diagnostic {
    let related_information = diagnostic
        .related
        .iter()
        .map(|related| ls_types::DiagnosticRelatedInformation {
            location: ls_types::Location {
                uri: uri.clone(),
                range: range(line_index, text, related.span, encoding),
            },
            message: related.message.clone(),
        })
        .collect::<Vec<_>>();

    ls_types::Diagnostic {
        range: range(line_index, text, diagnostic.span, encoding),
        severity: Some(severity(diagnostic.severity)),
        code: Some(ls_types::NumberOrString::String(diagnostic.code.as_str().to_owned())),
        source: Some(SOURCE.to_owned()),
        message: diagnostic.message.clone(),
        related_information: (!related_information.is_empty()).then_some(related_information),
        ..ls_types::Diagnostic::default()
    }
}

pub fn symbol_kind(kind: core::navigate::SymbolKind) -> ls_types::SymbolKind {
    match kind {
        core::navigate::SymbolKind::Section => ls_types::SymbolKind::MODULE,
        core::navigate::SymbolKind::List => ls_types::SymbolKind::ARRAY,
        core::navigate::SymbolKind::Item => ls_types::SymbolKind::OBJECT,
        core::navigate::SymbolKind::Text => ls_types::SymbolKind::STRING,
    }
}

pub fn folding_range_kind(kind: core::navigate::FoldKind) -> ls_types::FoldingRangeKind {
    match kind {
        core::navigate::FoldKind::Block => ls_types::FoldingRangeKind::Region,
        core::navigate::FoldKind::Comment => ls_types::FoldingRangeKind::Comment,
    }
}

/// All diagnostics of one analysis of `text`, in the core's order.
pub fn diagnostics(
    uri: &ls_types::Uri,
    text: &str,
    diagnostics: &[core::Diagnostic],
    encoding: PositionEncoding,
) -> Vec<ls_types::Diagnostic> {
    let line_index = core::LineIndex::new(text);
    diagnostics.iter().map(|item| diagnostic(uri, &line_index, text, item, encoding)).collect()
}

pub fn completion_item_kind(kind: core::complete::Kind) -> ls_types::CompletionItemKind {
    match kind {
        core::complete::Kind::Snippet => ls_types::CompletionItemKind::SNIPPET,
        core::complete::Kind::File => ls_types::CompletionItemKind::FILE,
        core::complete::Kind::Folder => ls_types::CompletionItemKind::FOLDER,
    }
}

/// One completion item replacing `range`: its snippet when the client takes snippets, else
/// its plain text.
pub fn completion_item(
    item: core::complete::Item,
    range: ls_types::Range,
    snippets: bool,
) -> ls_types::CompletionItem {
    let (new_text, format) = match item.snippet {
        Some(snippet) if snippets => (snippet, Some(ls_types::InsertTextFormat::SNIPPET)),
        Some(_) => (item.insert, Some(ls_types::InsertTextFormat::PLAIN_TEXT)),
        None => (item.insert, None),
    };

    ls_types::CompletionItem {
        label: item.label,
        kind: item.kind.map(completion_item_kind),
        detail: item.detail,
        sort_text: Some(item.sort),
        insert_text_format: format,
        text_edit: Some(ls_types::CompletionTextEdit::Edit(ls_types::TextEdit { range, new_text })),
        ..ls_types::CompletionItem::default()
    }
}

pub fn inlay_hint(
    line_index: &core::LineIndex,
    text: &str,
    hint: core::inlay::Hint,
    encoding: PositionEncoding,
) -> ls_types::InlayHint {
    ls_types::InlayHint {
        position: position(line_index, text, hint.offset, encoding),
        label: ls_types::InlayHintLabel::String(hint.label),
        kind: None,
        text_edits: None,
        tooltip: None,
        padding_left: Some(true),
        padding_right: None,
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_after_an_astral_character_is_two_units_further_in_utf16() {
        // `a: "🚀"\nb: x`: the `x` is at byte 13; on line 1 it is column 3 in any encoding.
        // The closing quote on line 0 is at byte 8: UTF-16 column 6, UTF-8 column 8.
        let text = "a: \"🚀\"\nb: x";
        let line_index = core::LineIndex::new(text);

        let utf16 = range(&line_index, text, core::Span::new(8, 9), PositionEncoding::Utf16);
        let utf8 = range(&line_index, text, core::Span::new(8, 9), PositionEncoding::Utf8);
        let next_line = position(&line_index, text, 13, PositionEncoding::Utf16);

        assert_eq!((utf16.start.character, utf16.end.character), (6, 7));
        assert_eq!((utf8.start.character, utf8.end.character), (8, 9));
        assert_eq!((next_line.line, next_line.character), (1, 3));
    }

    #[test]
    fn a_diagnostic_keeps_code_source_and_related_information() {
        let uri: ls_types::Uri = "file:///w/.stella.yaml".parse().unwrap();
        let text = "a: 1\na: 2\n";
        let core_diagnostic = core::Diagnostic::new(
            core::Code::DuplicateKey,
            core::Span::new(5, 6),
            "duplicate key `a`",
        )
        .with_related(core::Span::new(0, 1), "first defined here");

        let converted = diagnostics(&uri, text, &[core_diagnostic], PositionEncoding::Utf16);

        let expected = serde_json::json!([{
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 1}},
            "severity": 1,
            "code": "duplicate-key",
            "source": "stella",
            "message": "duplicate key `a`",
            "relatedInformation": [{
                "location": {
                    "uri": "file:///w/.stella.yaml",
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}
                },
                "message": "first defined here"
            }]
        }]);
        assert_eq!(serde_json::to_value(converted).unwrap(), expected);
    }
}
