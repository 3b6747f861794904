//! The `LanguageServer` implementation: thin, every method delegates.
//!
//! Text sync is not done here but in [`crate::lsp::ordered`], before these handlers run;
//! the sync handlers only log. No handler awaits a request to the client: with four busy
//! handler slots that deadlocks the read loop (see the tower-lsp ordering notes).

use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types;
use tower_lsp_server::{Client, LanguageServer};
use tracing::Instrument;

use crate::lsp::analysis;
use crate::lsp::encoding::PositionEncoding;
use crate::lsp::store::{DocumentStore, Session};

pub struct Backend {
    #[allow(dead_code, reason = "kept for server-to-client notifications of later features")]
    client: Client,
    store: DocumentStore,
}

impl Backend {
    pub fn new(client: Client, store: DocumentStore) -> Backend {
        Backend { client, store }
    }
}

impl LanguageServer for Backend {
    async fn initialize(
        &self,
        params: ls_types::InitializeParams,
    ) -> jsonrpc::Result<ls_types::InitializeResult> {
        let encoding = PositionEncoding::negotiate(&params.capabilities);
        let pulls = params
            .capabilities
            .text_document
            .as_ref()
            .is_some_and(|text_document| text_document.diagnostic.is_some());
        self.store.set_session(Session { encoding, push_diagnostics: !pulls });

        tracing::info!(?encoding, push_diagnostics = !pulls, "initialize");
        Ok(initialize_result(encoding))
    }

    async fn initialized(&self, _params: ls_types::InitializedParams) {
        tracing::info!("initialized");
    }

    async fn shutdown(&self) -> jsonrpc::Result<()> {
        tracing::info!("shutdown");
        self.store.set_shut_down();
        Ok(())
    }

    async fn did_open(&self, params: ls_types::DidOpenTextDocumentParams) {
        let document = &params.text_document;
        let _span = tracing::info_span!(
            "did_open",
            uri = document.uri.as_str(),
            version = document.version
        )
        .entered();
        tracing::debug!("opened");
    }

    async fn did_change(&self, params: ls_types::DidChangeTextDocumentParams) {
        let document = &params.text_document;
        let _span = tracing::info_span!(
            "did_change",
            uri = document.uri.as_str(),
            version = document.version
        )
        .entered();
        tracing::debug!(changes = params.content_changes.len(), "changed");
    }

    async fn did_close(&self, params: ls_types::DidCloseTextDocumentParams) {
        let _span =
            tracing::info_span!("did_close", uri = params.text_document.uri.as_str()).entered();
        tracing::debug!("closed");
    }

    async fn code_lens(
        &self,
        params: ls_types::CodeLensParams,
    ) -> jsonrpc::Result<Option<Vec<ls_types::CodeLens>>> {
        let uri = params.text_document.uri.as_str();
        let _span =
            tracing::info_span!("code_lens", uri, version = self.store.version(uri)).entered();

        // FIXME(lenses): the core does not compute lenses yet; answer at once with none.
        Ok(Some(Vec::new()))
    }

    async fn diagnostic(
        &self,
        params: ls_types::DocumentDiagnosticParams,
    ) -> jsonrpc::Result<ls_types::DocumentDiagnosticReportResult> {
        let uri = params.text_document.uri.as_str().to_owned();
        let span = tracing::info_span!("diagnostic", uri, version = self.store.version(&uri));

        let items = pull_diagnostics(&self.store, &uri).instrument(span).await;

        Ok(ls_types::DocumentDiagnosticReportResult::Report(
            ls_types::DocumentDiagnosticReport::Full(
                ls_types::RelatedFullDocumentDiagnosticReport {
                    related_documents: None,
                    full_document_diagnostic_report: ls_types::FullDocumentDiagnosticReport {
                        result_id: None,
                        items,
                    },
                },
            ),
        ))
    }
}

/// The diagnostics of the current version of `uri`: from the cache when the worker already
/// analysed it, else computed now on a snapshot. Empty for documents that are not open or
/// not `.stella.yaml`.
async fn pull_diagnostics(store: &DocumentStore, uri: &str) -> Vec<ls_types::Diagnostic> {
    if let Some(analysis) = store.current_analysis(uri) {
        return analysis.diagnostics.clone();
    }

    let Some(snapshot) = store.snapshot(uri) else {
        return Vec::new();
    };

    analysis::diagnostics_off_thread(store, snapshot).await.unwrap_or_default()
}

fn initialize_result(encoding: PositionEncoding) -> ls_types::InitializeResult {
    let text_document_sync = ls_types::TextDocumentSyncOptions {
        open_close: Some(true),
        change: Some(ls_types::TextDocumentSyncKind::INCREMENTAL),
        ..ls_types::TextDocumentSyncOptions::default()
    };
    let diagnostic_provider = ls_types::DiagnosticOptions {
        identifier: Some("stella".to_owned()),
        inter_file_dependencies: false,
        workspace_diagnostics: false,
        work_done_progress_options: ls_types::WorkDoneProgressOptions::default(),
    };

    ls_types::InitializeResult {
        capabilities: ls_types::ServerCapabilities {
            position_encoding: Some(encoding.kind()),
            text_document_sync: Some(ls_types::TextDocumentSyncCapability::Options(
                text_document_sync,
            )),
            code_lens_provider: Some(ls_types::CodeLensOptions { resolve_provider: Some(false) }),
            diagnostic_provider: Some(ls_types::DiagnosticServerCapabilities::Options(
                diagnostic_provider,
            )),
            ..ls_types::ServerCapabilities::default()
        },
        server_info: Some(ls_types::ServerInfo {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
        offset_encoding: None,
    }
}
