//! The diagnostics that come from the orchestrator's side, merged into each publish:
//! its own validation findings (source `stella-server`, JSON pointers mapped to spans in the
//! current text), one information notice on `release:` while it cannot be reached or the
//! user is not signed in, and a note on any comment that asks for another server.

use tower_lsp_server::ls_types;

use crate::core::actions::{self, Document};
use crate::core::{LineIndex, Span};
use crate::lsp::encoding::PositionEncoding;
use crate::lsp::remote::Remote;
use crate::lsp::to_proto;

/// The `source` of what the orchestrator reports.
pub const SOURCE: &str = "stella-server";

/// The orchestrator-side diagnostics of one text, in protocol form.
pub fn diagnostics(
    remote: &Remote,
    uri: &str,
    text: &str,
    encoding: PositionEncoding,
) -> Vec<ls_types::Diagnostic> {
    let line_index = std::cell::OnceCell::new();
    let range = |span: Span| {
        let line_index = line_index.get_or_init(|| LineIndex::new(text));
        to_proto::range(line_index, text, span, encoding)
    };
    let mut diagnostics = Vec::new();

    if let Some((code, sentence)) = remote.connection().notice() {
        let span = release_key(text);
        diagnostics.push(diagnostic(
            range(span),
            ls_types::DiagnosticSeverity::INFORMATION,
            code,
            SOURCE,
            sentence,
        ));
    }

    for (span, url) in actions::server_requests(text) {
        let message = match remote.server() {
            Some(server) => format!(
                "This file asks for server {url}; Stella uses your ~/.stella context ({server})"
            ),
            None => format!(
                "This file asks for server {url}; Stella takes the server only from your ~/.stella/config.yaml or STELLA_SERVER"
            ),
        };
        diagnostics.push(diagnostic(
            range(span),
            ls_types::DiagnosticSeverity::INFORMATION,
            "workspace-server-ignored",
            to_proto::SOURCE,
            &message,
        ));
    }

    let findings = remote.findings(uri);
    if !findings.is_empty() {
        let document = Document::read(text).ok();
        for finding in findings {
            let span = document
                .as_ref()
                .and_then(|document| document.pointer_span(&finding.pointer))
                .unwrap_or_else(|| release_key(text));
            let severity = match finding.severity.as_deref() {
                Some("warning") => ls_types::DiagnosticSeverity::WARNING,
                Some("info") => ls_types::DiagnosticSeverity::INFORMATION,
                _ => ls_types::DiagnosticSeverity::ERROR,
            };
            diagnostics.push(diagnostic(
                range(span),
                severity,
                "server-validation",
                SOURCE,
                &finding.message,
            ));
        }
    }

    diagnostics
}

/// The top-level `release` key, found by its line when it is written at the start of one
/// (as always in block style), else through a parse; the file's start when there is none.
pub fn release_key(text: &str) -> Span {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let key = line.strip_prefix("release").filter(|rest| rest.trim_start().starts_with(':'));
        if key.is_some() {
            return Span::new(offset, offset + "release".len());
        }
        offset += line.len();
    }

    Document::read(text).ok().and_then(|document| document.release_key()).unwrap_or_default()
}

fn diagnostic(
    range: ls_types::Range,
    severity: ls_types::DiagnosticSeverity,
    code: &str,
    source: &str,
    message: &str,
) -> ls_types::Diagnostic {
    ls_types::Diagnostic {
        range,
        severity: Some(severity),
        code: Some(ls_types::NumberOrString::String(code.to_owned())),
        source: Some(source.to_owned()),
        message: message.to_owned(),
        ..ls_types::Diagnostic::default()
    }
}
