//! The `LanguageServer` implementation: thin, every method delegates.
//!
//! Text sync is not done here but in [`crate::lsp::ordered`], before these handlers run;
//! the sync handlers only log. No handler awaits a request to the client: with four busy
//! handler slots that deadlocks the read loop (see the tower-lsp ordering notes).

use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types;
use tower_lsp_server::{Client, LanguageServer};
use tracing::Instrument;

use crate::lsp::encoding::PositionEncoding;
use crate::lsp::remote::{poller, Capabilities, Remote};
use crate::lsp::store::{DocumentStore, Session};
use crate::lsp::{
    analysis, commands, help, inlay, lenses, lifecycle, navigation, quickfix, requests,
};

pub struct Backend {
    client: Client,
    store: DocumentStore,
    remote: Remote,
}

impl Backend {
    pub fn new(client: Client, store: DocumentStore, remote: Remote) -> Backend {
        Backend { client, store, remote }
    }

    #[allow(clippy::unused_async, reason = "custom methods are async functions")]
    pub async fn status(&self, _params: serde_json::Value) -> jsonrpc::Result<requests::Status> {
        Ok(requests::status(&self.remote))
    }

    pub async fn releases(
        &self,
        params: requests::ReleasesParams,
    ) -> jsonrpc::Result<serde_json::Value> {
        requests::releases(&self.remote, params).await
    }

    pub async fn environments(
        &self,
        _params: serde_json::Value,
    ) -> jsonrpc::Result<serde_json::Value> {
        requests::environments(&self.remote).await
    }

    pub async fn deployments(
        &self,
        params: requests::DeploymentsParams,
    ) -> jsonrpc::Result<serde_json::Value> {
        requests::deployments(&self.remote, params).await
    }

    pub async fn deployment_logs(
        &self,
        params: requests::LogsParams,
    ) -> jsonrpc::Result<serde_json::Value> {
        requests::deployment_logs(&self.remote, params).await
    }

    /// `window/workDoneProgress/cancel`, which tower-lsp-server does not route itself.
    #[allow(clippy::unused_async, reason = "custom methods are async functions")]
    pub async fn cancel_progress(&self, params: ls_types::WorkDoneProgressCancelParams) {
        let token = match params.token {
            ls_types::NumberOrString::String(token) => token,
            ls_types::NumberOrString::Number(number) => number.to_string(),
        };
        self.remote.cancel_progress(&token);
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
        let versioned_edits = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.workspace_edit.as_ref())
            .and_then(|workspace_edit| workspace_edit.document_changes)
            .unwrap_or(false);
        let snippets = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|text_document| text_document.completion.as_ref()?.completion_item.as_ref())
            .and_then(|completion_item| completion_item.snippet_support)
            .unwrap_or(false);
        self.store.set_session(Session {
            encoding,
            push_diagnostics: !pulls,
            versioned_edits,
            snippets,
        });
        let resolves = self.store.resolves_lens_command();
        self.remote.set_capabilities(Capabilities::of(&params.capabilities, resolves));
        if let Some(process_id) = params.process_id {
            lifecycle::watch_parent(self.store.clone(), process_id);
        }

        tracing::info!(?encoding, push_diagnostics = !pulls, "initialize");
        Ok(initialize_result(encoding))
    }

    async fn initialized(&self, _params: ls_types::InitializedParams) {
        tracing::info!("initialized");
        poller::start(&self.remote);
        for warning in self.remote.warnings() {
            self.client.show_message(ls_types::MessageType::WARNING, warning).await;
        }
    }

    async fn shutdown(&self) -> jsonrpc::Result<()> {
        tracing::info!("shutdown");
        self.store.set_shut_down();
        self.remote.shut_down().await;
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
        let uri = params.text_document.uri.as_str();
        let _span = tracing::info_span!("did_close", uri).entered();
        self.remote.closed(uri);
        tracing::debug!("closed");
    }

    async fn code_lens(
        &self,
        params: ls_types::CodeLensParams,
    ) -> jsonrpc::Result<Option<Vec<ls_types::CodeLens>>> {
        let uri = params.text_document.uri.as_str();
        let span = tracing::info_span!("code_lens", uri, version = self.store.version(uri));

        Ok(Some(lenses::code_lenses(&self.remote, uri).instrument(span).await))
    }

    async fn code_lens_resolve(
        &self,
        lens: ls_types::CodeLens,
    ) -> jsonrpc::Result<ls_types::CodeLens> {
        Ok(lenses::resolve(&self.remote, lens))
    }

    async fn code_action(
        &self,
        params: ls_types::CodeActionParams,
    ) -> jsonrpc::Result<Option<ls_types::CodeActionResponse>> {
        let uri = params.text_document.uri.as_str();
        let span = tracing::info_span!("code_action", uri, version = self.store.version(uri));
        let (uri, range) = (uri.to_owned(), params.range);
        let wants_commands = quickfix::wants_commands(&params.context);

        // Quick fixes first, then the orchestrator's commands. Should the fixes fail (the
        // failure is logged), the commands are still offered.
        let mut actions = blocking(&self.store, params, quickfix::code_actions)
            .instrument(span.clone())
            .await
            .unwrap_or_default();
        if wants_commands {
            actions.extend(lenses::code_actions(&self.remote, &uri, range).instrument(span).await);
        }
        Ok(Some(actions))
    }

    async fn hover(
        &self,
        params: ls_types::HoverParams,
    ) -> jsonrpc::Result<Option<ls_types::Hover>> {
        let document = params.text_document_position_params;
        let uri = document.text_document.uri.as_str();
        let span = tracing::info_span!("hover", uri, version = self.store.version(uri));

        Ok(help::hover(&self.remote, uri, document.position).instrument(span).await)
    }

    async fn completion(
        &self,
        params: ls_types::CompletionParams,
    ) -> jsonrpc::Result<Option<ls_types::CompletionResponse>> {
        let document = params.text_document_position;
        let uri = document.text_document.uri.as_str();
        let span = tracing::info_span!("completion", uri, version = self.store.version(uri));

        Ok(help::completion(&self.remote, uri, document.position).instrument(span).await)
    }

    async fn inlay_hint(
        &self,
        params: ls_types::InlayHintParams,
    ) -> jsonrpc::Result<Option<Vec<ls_types::InlayHint>>> {
        let uri = params.text_document.uri.as_str();
        let span = tracing::info_span!("inlay_hint", uri, version = self.store.version(uri));

        Ok(inlay::inlay_hint(&self.store, uri, params.range).instrument(span).await)
    }

    async fn execute_command(
        &self,
        params: ls_types::ExecuteCommandParams,
    ) -> jsonrpc::Result<Option<serde_json::Value>> {
        let span = tracing::info_span!("execute_command", command = params.command.as_str());
        commands::execute(&self.remote, params).instrument(span).await
    }

    async fn diagnostic(
        &self,
        params: ls_types::DocumentDiagnosticParams,
    ) -> jsonrpc::Result<ls_types::DocumentDiagnosticReportResult> {
        let uri = params.text_document.uri.as_str().to_owned();
        let span = tracing::info_span!("diagnostic", uri, version = self.store.version(&uri));

        let items = pull_diagnostics(&self.store, &self.remote, &uri).instrument(span).await;

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

    async fn document_symbol(
        &self,
        params: ls_types::DocumentSymbolParams,
    ) -> jsonrpc::Result<Option<ls_types::DocumentSymbolResponse>> {
        let uri = params.text_document.uri.as_str();
        let span = tracing::info_span!("document_symbol", uri, version = self.store.version(uri));
        blocking(&self.store, params, navigation::document_symbol).instrument(span).await
    }

    async fn folding_range(
        &self,
        params: ls_types::FoldingRangeParams,
    ) -> jsonrpc::Result<Option<Vec<ls_types::FoldingRange>>> {
        let uri = params.text_document.uri.as_str();
        let span = tracing::info_span!("folding_range", uri, version = self.store.version(uri));
        blocking(&self.store, params, navigation::folding_range).instrument(span).await
    }

    async fn selection_range(
        &self,
        params: ls_types::SelectionRangeParams,
    ) -> jsonrpc::Result<Option<Vec<ls_types::SelectionRange>>> {
        let uri = params.text_document.uri.as_str();
        let span = tracing::info_span!("selection_range", uri, version = self.store.version(uri));
        blocking(&self.store, params, navigation::selection_range).instrument(span).await
    }

    async fn goto_definition(
        &self,
        params: ls_types::GotoDefinitionParams,
    ) -> jsonrpc::Result<Option<ls_types::GotoDefinitionResponse>> {
        let uri = params.text_document_position_params.text_document.uri.as_str();
        let span = tracing::info_span!("goto_definition", uri, version = self.store.version(uri));
        blocking(&self.store, params, navigation::goto_definition).instrument(span).await
    }

    async fn references(
        &self,
        params: ls_types::ReferenceParams,
    ) -> jsonrpc::Result<Option<Vec<ls_types::Location>>> {
        let uri = params.text_document_position.text_document.uri.as_str();
        let span = tracing::info_span!("references", uri, version = self.store.version(uri));
        blocking(&self.store, params, navigation::references).instrument(span).await
    }

    async fn prepare_rename(
        &self,
        params: ls_types::TextDocumentPositionParams,
    ) -> jsonrpc::Result<Option<ls_types::PrepareRenameResponse>> {
        let uri = params.text_document.uri.as_str();
        let span = tracing::info_span!("prepare_rename", uri, version = self.store.version(uri));
        blocking(&self.store, params, navigation::prepare_rename).instrument(span).await
    }

    async fn rename(
        &self,
        params: ls_types::RenameParams,
    ) -> jsonrpc::Result<Option<ls_types::WorkspaceEdit>> {
        let uri = params.text_document_position.text_document.uri.as_str();
        let span = tracing::info_span!("rename", uri, version = self.store.version(uri));
        blocking(&self.store, params, navigation::rename).instrument(span).await?
    }

    async fn document_link(
        &self,
        params: ls_types::DocumentLinkParams,
    ) -> jsonrpc::Result<Option<Vec<ls_types::DocumentLink>>> {
        let uri = params.text_document.uri.as_str();
        let span = tracing::info_span!("document_link", uri, version = self.store.version(uri));
        blocking(&self.store, params, navigation::document_link).instrument(span).await
    }
}

/// The diagnostics of the current version of `uri`: from the cache when the worker already
/// analysed it, else computed now on a snapshot. Empty for documents that are not open or
/// not `.stella.yaml`.
async fn pull_diagnostics(
    store: &DocumentStore,
    remote: &Remote,
    uri: &str,
) -> Vec<ls_types::Diagnostic> {
    let Some(snapshot) = store.snapshot(uri) else {
        return Vec::new();
    };

    match store.current_analysis(uri) {
        Some(analysis) if analysis.version == snapshot.version => {
            analysis::with_remote_notes(remote, &snapshot, analysis.diagnostics.clone())
        }
        _ => match analysis::diagnostics_off_thread(store, snapshot).await {
            Some((snapshot, local)) => analysis::with_remote_notes(remote, &snapshot, local),
            None => Vec::new(),
        },
    }
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
            code_lens_provider: Some(ls_types::CodeLensOptions { resolve_provider: Some(true) }),
            hover_provider: Some(ls_types::HoverProviderCapability::Simple(true)),
            // `/` goes on into the folder just chosen in a path value.
            completion_provider: Some(ls_types::CompletionOptions {
                trigger_characters: Some(vec!["/".to_owned()]),
                ..ls_types::CompletionOptions::default()
            }),
            code_action_provider: Some(ls_types::CodeActionProviderCapability::Simple(true)),
            execute_command_provider: Some(ls_types::ExecuteCommandOptions {
                commands: commands::ALL.iter().map(|&command| command.to_owned()).collect(),
                work_done_progress_options: ls_types::WorkDoneProgressOptions::default(),
            }),
            diagnostic_provider: Some(ls_types::DiagnosticServerCapabilities::Options(
                diagnostic_provider,
            )),
            document_symbol_provider: Some(ls_types::OneOf::Left(true)),
            folding_range_provider: Some(ls_types::FoldingRangeProviderCapability::Simple(true)),
            selection_range_provider: Some(ls_types::SelectionRangeProviderCapability::Simple(
                true,
            )),
            definition_provider: Some(ls_types::OneOf::Left(true)),
            references_provider: Some(ls_types::OneOf::Left(true)),
            rename_provider: Some(ls_types::OneOf::Right(ls_types::RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: ls_types::WorkDoneProgressOptions::default(),
            })),
            document_link_provider: Some(ls_types::DocumentLinkOptions {
                resolve_provider: Some(false),
                work_done_progress_options: ls_types::WorkDoneProgressOptions::default(),
            }),
            inlay_hint_provider: Some(ls_types::OneOf::Left(true)),
            ..ls_types::ServerCapabilities::default()
        },
        server_info: Some(ls_types::ServerInfo {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
        offset_encoding: None,
    }
}

/// Runs a handler that parses the whole text on the blocking pool, so a large file never
/// holds up the runtime's threads.
async fn blocking<P, T>(
    store: &DocumentStore,
    params: P,
    handler: fn(&DocumentStore, &P) -> T,
) -> jsonrpc::Result<T>
where
    P: Send + 'static,
    T: Send + 'static,
{
    let store = store.clone();
    tokio::task::spawn_blocking(move || handler(&store, &params)).await.map_err(|error| {
        tracing::error!(%error, "a request handler failed");
        jsonrpc::Error::internal_error()
    })
}
