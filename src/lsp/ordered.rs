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
//! still forwarded so the inner service forgets the request. `shutdown` likewise cancels
//! every request still in flight (one waiting on the orchestrator, say), so that it never
//! waits behind busy handler slots.
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
            "initialize" => {
                let properties =
                    params.pointer("/capabilities/textDocument/codeLens/resolveSupport/properties");
                let resolves = properties
                    .and_then(serde_json::Value::as_array)
                    .is_some_and(|properties| properties.iter().any(|name| name == "command"));
                self.store.set_resolves_lens_command(resolves);
            }
            "textDocument/didOpen" => {
                let Some(params) = parse::<ls_types::DidOpenTextDocumentParams>(request, params)
                else {
                    return;
                };
                let uri = params.text_document.uri.as_str().to_owned();
                let kind = DocumentKind::of(&params.text_document.uri);
                self.store.open(params.text_document);
                if kind.is_analysed() {
                    self.scheduler.analyze(&uri);
                }
            }
            "textDocument/didChange" => {
                let Some(params) = parse::<ls_types::DidChangeTextDocumentParams>(request, params)
                else {
                    return;
                };
                let changed = self.store.change(&params.text_document, &params.content_changes);
                if changed && DocumentKind::of(&params.text_document.uri).is_analysed() {
                    self.scheduler.analyze(params.text_document.uri.as_str());
                }
            }
            "textDocument/didClose" => {
                let Some(params) = parse::<ls_types::DidCloseTextDocumentParams>(request, params)
                else {
                    return;
                };
                let uri = params.text_document.uri;
                if self.store.close(uri.as_str()) && DocumentKind::of(&uri).is_analysed() {
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

/// Our custom requests (`stella/…`) take one object; a client that sends no params or
/// `null` gets the same answer as for `{}`, as clients differ here.
fn with_object_params(request: Request) -> Request {
    if !request.method().starts_with("stella/")
        || request.params().is_some_and(|params| !params.is_null())
    {
        return request;
    }

    let (method, id, _) = request.into_parts();
    let builder = Request::build(method).params(serde_json::json!({}));
    match id {
        Some(id) => builder.id(id).finish(),
        None => builder.finish(),
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
        let request = with_object_params(request);
        if request.method() == "shutdown" {
            let in_flight: Vec<(Id, AbortHandle)> =
                self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).drain().collect();
            for (id, handle) in in_flight {
                tracing::debug!(?id, "request cancelled by shutdown");
                handle.abort();
            }
        }
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

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;

    use serde_json::json;
    use tower_lsp_server::jsonrpc::ErrorCode;

    use super::*;
    use crate::lsp::analysis;

    /// Answers `test/slow` never and everything else at once with `null`.
    struct Stub;

    impl Service<Request> for Stub {
        type Response = Option<Response>;
        type Error = ExitedError;
        type Future = Pin<Box<dyn Future<Output = Result<Option<Response>, ExitedError>> + Send>>;

        fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request) -> Self::Future {
            let slow = request.method() == "test/slow";
            let id = request.id().cloned();
            Box::pin(async move {
                if slow {
                    std::future::pending::<()>().await;
                }
                Ok(id.map(|id| Response::from_ok(id, serde_json::Value::Null)))
            })
        }
    }

    fn ordered() -> (Ordered<Stub>, DocumentStore) {
        let store = DocumentStore::default();
        let (scheduler, _jobs) = analysis::queue();
        (Ordered::new(Stub, store.clone(), scheduler), store)
    }

    #[tokio::test]
    async fn a_cancelled_request_is_answered_with_request_cancelled() {
        let (mut service, _store) = ordered();

        let slow = service.call(Request::build("test/slow").id(7).finish());
        let cancel =
            service.call(Request::build("$/cancelRequest").params(json!({"id": 7})).finish());
        let cancel_response = cancel.await.unwrap();
        let response = tokio::time::timeout(std::time::Duration::from_secs(5), slow)
            .await
            .expect("the cancelled request finishes")
            .unwrap()
            .unwrap();

        assert_eq!(cancel_response, None);
        assert_eq!(response.id(), &Id::Number(7));
        assert_eq!(response.error().map(|error| error.code), Some(ErrorCode::RequestCancelled));
    }

    #[tokio::test]
    async fn text_sync_is_applied_in_call_before_any_future_runs() {
        let (mut service, store) = ordered();
        let uri = "file:///w/.stella.yaml";

        let opened = service.call(
            Request::build("textDocument/didOpen")
                .params(json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": "ab"}}))
                .finish(),
        );
        let changed = service.call(
            Request::build("textDocument/didChange")
                .params(json!({
                    "textDocument": {"uri": uri, "version": 2},
                    "contentChanges": [{"range": {"start": {"line": 0, "character": 1}, "end": {"line": 0, "character": 1}}, "text": "x"}]
                }))
                .finish(),
        );

        assert_eq!(store.text(uri).as_deref(), Some("axb"));
        assert_eq!(store.version(uri), Some(2));
        drop((opened, changed));
    }

    #[tokio::test]
    async fn invalid_params_are_logged_not_applied() {
        let (mut service, store) = ordered();

        let response = service
            .call(
                Request::build("textDocument/didChange").params(json!({"nonsense": true})).finish(),
            )
            .await;

        assert!(response.is_ok());
        assert_eq!(store.text("file:///w/.stella.yaml"), None);
    }
}
