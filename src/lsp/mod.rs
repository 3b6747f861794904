//! The language server: document store, position encodings and the protocol.
//!
//! Messages pass through [`ordered::Ordered`], which applies text sync in wire order, then
//! reach the `LspService` around [`server::Backend`]. Analysis runs on a worker
//! ([`analysis`]) that is the only publisher of diagnostics.

pub mod analysis;
pub mod commands;
pub mod encoding;
pub mod framing;
pub mod from_proto;
pub mod help;
pub mod inlay;
pub mod lenses;
pub mod lifecycle;
pub mod navigation;
pub mod ordered;
pub mod quickfix;
pub mod remote;
pub mod requests;
pub mod server;
pub mod store;
pub mod to_proto;

use std::time::Duration;

use tower_lsp_server::{ClientSocket, LspService, Server};

use crate::lsp::ordered::Ordered;
use crate::lsp::remote::Remote;
use crate::lsp::server::Backend;
use crate::lsp::store::DocumentStore;

/// The whole server as one `tower::Service`, ready for [`Server::serve`].
pub type Service = Ordered<LspService<Backend>>;

/// Builds the server: the service, the socket for its messages to the client, and a handle
/// to its documents (for in-process tests). Must run inside a tokio runtime, because it
/// starts the analysis worker.
pub fn build() -> (Service, ClientSocket, DocumentStore) {
    let store = DocumentStore::default();
    let (scheduler, jobs) = analysis::queue();

    let (service, socket) = LspService::build(|client| {
        let remote = Remote::new(client.clone(), store.clone(), scheduler.clone());
        analysis::start(jobs, store.clone(), client.clone(), remote.clone());
        Backend::new(client, store.clone(), remote)
    })
    .custom_method(requests::STATUS, Backend::status)
    .custom_method(requests::RELEASES, Backend::releases)
    .custom_method(requests::ENVIRONMENTS, Backend::environments)
    .custom_method(requests::DEPLOYMENTS, Backend::deployments)
    .custom_method(requests::DEPLOYMENT_LOGS, Backend::deployment_logs)
    .custom_method("window/workDoneProgress/cancel", Backend::cancel_progress)
    .finish();

    (Ordered::new(service, store.clone(), scheduler), socket, store)
}

/// How many requests run at once. Custom requests wait on the orchestrator (up to the
/// request timeout); with tower-lsp-server's default of 4, four of them would hold up every
/// other request.
const CONCURRENT_REQUESTS: usize = 16;

/// How long requests still in flight at the end of the input may take to finish.
const END_OF_INPUT_GRACE: Duration = Duration::from_millis(500);

/// Serves LSP over stdin and stdout until `exit` or the end of input. Returns whether the
/// client asked for `shutdown` first, as the protocol wants for a clean exit.
///
/// `exit` ends the session even when the client keeps stdin open. At the end of the input
/// no one is left to read an answer, so requests still in flight (one waiting on the
/// orchestrator, say) get [`END_OF_INPUT_GRACE`], not the request timeout.
pub async fn serve_stdio() -> bool {
    let (service, socket, store) = build();
    let (filtered, server_input) = tokio::io::duplex(1 << 16);
    let input = tokio::spawn(framing::filter(tokio::io::stdin(), filtered));

    let served = Server::new(server_input, tokio::io::stdout(), socket)
        .concurrency_level(CONCURRENT_REQUESTS)
        .serve(service);
    let input_ended = async {
        let _ = input.await;
        tokio::time::sleep(END_OF_INPUT_GRACE).await;
    };
    tokio::select! {
        () = served => {}
        () = input_ended => tracing::info!("the input ended; requests in flight are dropped"),
    }
    store.is_shut_down()
}
