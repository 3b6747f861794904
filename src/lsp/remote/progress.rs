//! Work-done progress for command flows, for clients that announced
//! `window.workDoneProgress`; others get at most one `window/logMessage` per step and never
//! a `create` or `$/progress`.
//!
//! Any answer to `window/workDoneProgress/create` that is not an error counts as success
//! (some clients answer `{}`); after an error, or no answer within 5 s (or the prompt
//! timeout when that is shorter), no `$/progress` is sent for that token and the flow goes
//! on with log lines. Every `begin` gets exactly one `end`, from the flow or from
//! `shutdown`; a token is known to `shutdown` only once its `begin` is due.

use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::ls_types::{self, notification, request};
use tower_lsp_server::Client;

use crate::lsp::remote::state::Cancel;
use crate::lsp::remote::Remote;

/// The longest wait for the answer to `window/workDoneProgress/create`, which clients send
/// without asking the user.
const CREATE_ANSWER: Duration = Duration::from_secs(5);

/// `window/workDoneProgress/create` with any result accepted, where tower-lsp-server's own
/// method insists on `null`.
enum CreateProgress {}

impl request::Request for CreateProgress {
    type Params = ls_types::WorkDoneProgressCreateParams;
    type Result = serde_json::Value;
    const METHOD: &'static str = "window/workDoneProgress/create";
}

/// One flow's progress.
pub struct Progress {
    remote: Remote,
    /// The token, when the client shows our progress.
    token: Option<String>,
    cancel: Arc<Cancel>,
}

impl Progress {
    /// Starts a progress titled `title`.
    pub async fn begin(remote: &Remote, title: &str) -> Progress {
        let mut progress = Progress { remote: remote.clone(), token: None, cancel: Arc::default() };
        if !remote.capabilities().work_done_progress {
            remote.lsp().log_message(ls_types::MessageType::INFO, title).await;
            return progress;
        }

        let token = remote.next_token();
        let params = ls_types::WorkDoneProgressCreateParams {
            token: ls_types::NumberOrString::String(token.clone()),
        };
        let created = remote.lsp().send_request::<CreateProgress>(params);
        match tokio::time::timeout(CREATE_ANSWER.min(remote.timings().prompt), created).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                tracing::debug!(%error, "the client refused a progress token; continuing without");
                return progress;
            }
            Err(_) => {
                tracing::info!(token, "no answer to a progress token; continuing without");
                return progress;
            }
        }
        if remote.is_shutting_down() {
            return progress;
        }

        progress.cancel = remote.open_progress(&token);
        let begin = ls_types::WorkDoneProgressBegin {
            title: title.to_owned(),
            cancellable: Some(true),
            message: None,
            percentage: None,
        };
        send(remote.lsp(), &token, ls_types::WorkDoneProgress::Begin(begin)).await;
        progress.token = Some(token);
        progress
    }

    /// One step.
    pub async fn report(&self, message: &str) {
        match &self.token {
            Some(token) => {
                let report = ls_types::WorkDoneProgressReport {
                    cancellable: Some(true),
                    message: Some(message.to_owned()),
                    percentage: None,
                };
                send(self.remote.lsp(), token, ls_types::WorkDoneProgress::Report(report)).await;
            }
            None => self.remote.lsp().log_message(ls_types::MessageType::INFO, message).await,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Resolves when the user cancels (never, for clients without progress).
    pub async fn cancelled(&self) {
        if self.token.is_none() {
            std::future::pending::<()>().await;
        }
        self.cancel.cancelled().await;
    }

    /// Ends the progress with `message`, unless `shutdown` already ended it.
    pub async fn end(mut self, message: &str) {
        let Some(token) = self.token.take() else {
            return;
        };
        if self.remote.close_progress(&token) {
            send_end(self.remote.lsp(), &token, message).await;
        }
    }
}

/// A progress dropped without [`Progress::end`] (its flow panicked) still ends, so no
/// spinner is left behind. During `shutdown`, which ends every open progress itself before
/// it answers, nothing is sent from here.
impl Drop for Progress {
    fn drop(&mut self) {
        let Some(token) = self.token.take() else {
            return;
        };
        if self.remote.is_shutting_down() || !self.remote.close_progress(&token) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.remote.lsp().clone();
        runtime.spawn(async move { send_end(&client, &token, "Stopped").await });
    }
}

/// Sends the `end` of `token`.
pub async fn send_end(client: &Client, token: &str, message: &str) {
    let end = ls_types::WorkDoneProgressEnd { message: Some(message.to_owned()) };
    send(client, token, ls_types::WorkDoneProgress::End(end)).await;
}

async fn send(client: &Client, token: &str, value: ls_types::WorkDoneProgress) {
    let params = ls_types::ProgressParams {
        token: ls_types::NumberOrString::String(token.to_owned()),
        value: ls_types::ProgressParamsValue::WorkDone(value),
    };
    client.send_notification::<notification::Progress>(params).await;
}
