//! The `tower::Service` in front of the `LspService` that keeps text sync in wire order.
//!
//! tower-lsp-server calls `call` once per message, in the order the messages arrive, from
//! its single read loop, and only then runs the returned futures concurrently. So
//! `didOpen`, `didChange` and `didClose` are applied to the store here, synchronously,
//! before forwarding; any later request sees every earlier edit. The same place queues the
//! analysis, so jobs are queued in wire order too.
//!
//! It also handles `$/cancelRequest` itself: each request future is abortable, and a cancel
//! aborts it at once instead of waiting for a free slot behind busy handlers. The cancel is
//! still forwarded so the inner service forgets the request.
//!
//! Nothing here may panic or block: a panic would end the read loop and the session.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_util::future::{AbortHandle, Abortable, BoxFuture};
use futures_util::FutureExt;
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, Id, Request, Response};
use tower_lsp_server::ls_types;
use tower_lsp_server::ExitedError;

use crate::lsp::analysis::Scheduler;
use crate::lsp::store::{DocumentKind, DocumentStore};

pub struct Ordered<S> {
    inner: S,
    store: DocumentStore,
    scheduler: Scheduler,
    in_flight: Arc<Mutex<HashMap<Id, AbortHandle>>>,
}

impl<S> Ordered<S> {
    pub fn new(inner: S, store: DocumentStore, scheduler: Scheduler) -> Ordered<S> {
        Ordered { inner, store, scheduler, in_flight: Arc::default() }
    }

    /// Applies a text-sync notification (or a cancel) to the server's state, in wire order.
    fn apply(&self, request: &Request) {
        let Some(params) = request.params() else {
            return;
        };

        match request.method() {
            "textDocument/didOpen" => {
                let Some(params) = parse::<ls_types::DidOpenTextDocumentParams>(request, params)
                else {
                    return;
                };
                let uri = params.text_document.uri.as_str().to_owned();
                let kind = DocumentKind::of(&params.text_document.uri);
                self.store.open(params.text_document);
                if kind == DocumentKind::Stella {
                    self.scheduler.analyze(&uri);
                }
            }
            "textDocument/didChange" => {
                let Some(params) = parse::<ls_types::DidChangeTextDocumentParams>(request, params)
                else {
                    return;
                };
                let changed = self.store.change(&params.text_document, &params.content_changes);
                if changed && DocumentKind::of(&params.text_document.uri) == DocumentKind::Stella {
                    self.scheduler.analyze(params.text_document.uri.as_str());
                }
            }
            "textDocument/didClose" => {
                let Some(params) = parse::<ls_types::DidCloseTextDocumentParams>(request, params)
                else {
                    return;
                };
                let uri = params.text_document.uri;
                if self.store.close(uri.as_str()) && DocumentKind::of(&uri) == DocumentKind::Stella
                {
                    self.scheduler.closed(uri);
                }
            }
            "$/cancelRequest" => {
                let Some(params) = parse::<ls_types::CancelParams>(request, params) else {
                    return;
                };
                let id = match params.id {
                    ls_types::NumberOrString::Number(number) => Id::Number(i64::from(number)),
                    ls_types::NumberOrString::String(string) => Id::String(string),
                };
                let handle =
                    self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
                if let Some(handle) = handle {
                    tracing::debug!(?id, "request cancelled");
                    handle.abort();
                }
            }
            _ => {}
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    request: &Request,
    params: &serde_json::Value,
) -> Option<T> {
    match T::deserialize(params) {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            tracing::warn!(method = request.method(), %error, "invalid params; not applied");
            None
        }
    }
}

impl<S> Service<Request> for Ordered<S>
where
    S: Service<Request, Response = Option<Response>, Error = ExitedError>,
    S::Future: Send + 'static,
{
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = BoxFuture<'static, Result<Option<Response>, ExitedError>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let applied = std::panic::catch_unwind(AssertUnwindSafe(|| self.apply(&request)));
        if applied.is_err() {
            tracing::error!(method = request.method(), "applying a message panicked");
        }

        let id = request.id().cloned();
        let response = self.inner.call(request);

        let Some(id) = id else {
            return response.boxed();
        };

        let (abort_handle, abort_registration) = AbortHandle::new_pair();
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.clone(), abort_handle);
        let in_flight = Arc::clone(&self.in_flight);

        Box::pin(async move {
            let result = Abortable::new(response, abort_registration).await;
            in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);

            match result {
                Ok(response) => response,
                Err(_aborted) => Ok(Some(Response::from_error(id, Error::request_cancelled()))),
            }
        })
    }
}
