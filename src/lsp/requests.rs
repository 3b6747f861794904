//! The custom requests the thin editor clients use to draw the orchestrator's state:
//! `stella/status`, `stella/releases`, `stella/environments`, `stella/deployments` and
//! `stella/deploymentLogs`. Their shapes are documented in the README.
//!
//! `stella/status` answers from the cache and never opens a connection. The others ask
//! the orchestrator (bounded by the request timeout) and fail with its one-sentence error.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc;

use crate::lsp::remote::state::WAITING_REQUESTS;
use crate::lsp::remote::Remote;
use crate::orchestrator::api;

pub const STATUS: &str = "stella/status";
pub const RELEASES: &str = "stella/releases";
pub const ENVIRONMENTS: &str = "stella/environments";
pub const DEPLOYMENTS: &str = "stella/deployments";
pub const DEPLOYMENT_LOGS: &str = "stella/deploymentLogs";

/// Every custom request the server handles.
pub const ALL: [&str; 5] = [STATUS, RELEASES, ENVIRONMENTS, DEPLOYMENTS, DEPLOYMENT_LOGS];

/// The most items a list request asks for (the contract's maximum); larger limits are
/// lowered to it, and 0 is raised to 1.
const MAX_LIMIT: u32 = 100;

/// The LSP error code for a request that failed for a reason the client can show.
const REQUEST_FAILED: i64 = -32803;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ReleasesParams {
    pub name: Option<String>,
    pub env: Option<String>,
    pub status: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeploymentsParams {
    pub env: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LogsParams {
    pub id: String,
    pub after: Option<u64>,
}

/// `stella/status`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub context: Option<String>,
    pub server: Option<String>,
    pub signed_in_as: Option<String>,
    pub organization: Option<String>,
    /// `null` until the first answer or failure.
    pub reachable: Option<bool>,
    pub api_version: Option<String>,
    pub server_version: Option<String>,
    pub last_error: Option<String>,
    pub warnings: Vec<String>,
}

pub fn status(remote: &Remote) -> Status {
    let connection = remote.connection();
    let (whoami, version) =
        remote.with_cache(|cache| (cache.whoami.clone(), cache.version.clone()));
    let last_error = match &connection {
        crate::lsp::remote::Connection::NotConfigured(sentence)
        | crate::lsp::remote::Connection::SignedOut(sentence)
        | crate::lsp::remote::Connection::Offline(sentence) => Some(sentence.clone()),
        crate::lsp::remote::Connection::Unknown | crate::lsp::remote::Connection::Online => None,
    };

    Status {
        context: remote.context(),
        server: remote.server(),
        signed_in_as: whoami.as_ref().map(|whoami| whoami.user.clone()),
        organization: whoami.map(|whoami| whoami.organization),
        reachable: connection.reachable(),
        api_version: version.as_ref().map(|version| version.api_version.clone()),
        server_version: version.map(|version| version.server_version),
        last_error,
        warnings: remote.warnings(),
    }
}

pub async fn releases(remote: &Remote, params: ReleasesParams) -> jsonrpc::Result<Value> {
    let api = api_of(remote)?;
    let _waiting = waiting(remote)?;
    let query = api::ReleaseQuery {
        name: params.name,
        env: params.env,
        status: params.status,
        limit: params.limit.map(|limit| limit.clamp(1, MAX_LIMIT)),
    };
    let releases = api.releases(&query).await;
    remote.note_outcome(&releases);
    answer(releases)
}

/// From the cache when it holds them, else asked for.
pub async fn environments(remote: &Remote) -> jsonrpc::Result<Value> {
    if let Some(environments) = remote.with_cache(|cache| cache.environments.clone()) {
        return answer(Ok(environments));
    }
    let api = api_of(remote)?;
    let _waiting = waiting(remote)?;
    let environments = api.environments().await;
    remote.note_outcome(&environments);
    if let Ok(environments) = &environments {
        remote.with_cache(|cache| cache.environments = Some(environments.clone()));
    }
    answer(environments)
}

pub async fn deployments(remote: &Remote, params: DeploymentsParams) -> jsonrpc::Result<Value> {
    let api = api_of(remote)?;
    let _waiting = waiting(remote)?;
    let query = api::DeploymentQuery {
        env: params.env,
        limit: params.limit.map(|limit| limit.clamp(1, MAX_LIMIT)),
    };
    let deployments = api.deployments(&query).await;
    remote.note_outcome(&deployments);
    answer(deployments)
}

/// One page of a deployment's log, with `after` for the next page.
pub async fn deployment_logs(remote: &Remote, params: LogsParams) -> jsonrpc::Result<Value> {
    let api = api_of(remote)?;
    let _waiting = waiting(remote)?;
    let page = api.deployment_logs(&params.id, params.after).await;
    remote.note_outcome(&page);
    let page = page.map_err(|error| failed(&error.to_string()))?;

    let after = page.lines.iter().map(|line| line.seq).max().or(params.after);
    Ok(json!({ "lines": page.lines, "complete": page.complete, "after": after }))
}

fn api_of(remote: &Remote) -> jsonrpc::Result<crate::orchestrator::Client> {
    remote.api().map_err(|sentence| failed(&sentence))
}

/// A place to wait on the orchestrator; refused at once when too many requests wait.
fn waiting(remote: &Remote) -> jsonrpc::Result<tokio::sync::OwnedSemaphorePermit> {
    remote.waiting_request().ok_or_else(|| {
        failed(&format!(
            "{WAITING_REQUESTS} requests to Stella from this editor are still waiting; try again when they finish"
        ))
    })
}

fn answer<T: Serialize>(
    result: Result<T, crate::orchestrator::ApiError>,
) -> jsonrpc::Result<Value> {
    let value = result.map_err(|error| failed(&error.to_string()))?;
    serde_json::to_value(value).map_err(|error| failed(&error.to_string()))
}

fn failed(sentence: &str) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::ServerError(REQUEST_FAILED),
        message: sentence.to_owned().into(),
        data: None,
    }
}
