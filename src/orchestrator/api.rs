//! Request and answer types of the orchestrator's REST API, field for field as
//! `shared/api/stella-api.yaml` names them.
//!
//! Answers ignore fields they do not know, so a newer server does not break an older
//! client. Optional fields are `Option`s (lists the contract may leave out default to
//! empty), and requests leave out the optional fields that are not set rather than sending
//! `null`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /api/v1/cli/version`: the only call that needs no token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub server_version: String,
    pub api_version: String,
}

/// `GET /api/v1/auth/whoami`: who the token belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    pub user: String,
    pub organization: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<String>,
}

/// One environment of `GET /api/v1/environments`, which lists them in promotion order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub id: String,
    pub name: String,
    pub promotion_order: i64,
    /// `active` or `frozen`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_release_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseComponent {
    pub name: String,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub id: String,
    pub name: String,
    pub version: String,
    /// `draft`, `ready`, `deploying`, `deployed`, `failed` or `archived`.
    pub status: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    /// Names of the environments the release is deployed to.
    #[serde(default)]
    pub environments: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    pub components: Vec<ReleaseComponent>,
}

/// The query of `GET /api/v1/releases`; only the fields that are set are sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReleaseQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// 1 to 100; the server's default is 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The body of `POST /api/v1/releases`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRelease {
    pub name: String,
    pub version: String,
    /// The git commit or tag the release is built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    pub components: Vec<ReleaseComponent>,
}

/// The body of `POST /api/v1/promotions`; every field is always sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionRequest {
    pub release_id: String,
    pub target_environment_id: String,
    pub auto_approve: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    pub id: String,
    pub release_id: String,
    pub target_environment_id: String,
    /// `pending_approval`, `approved`, `rejected`, `in_progress`, `succeeded` or `failed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// The query of `GET /api/v1/deployments`; only the fields that are set are sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeploymentQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The body of `POST /api/v1/deployments`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRequest {
    pub release_id: String,
    pub environment_id: String,
    /// `rolling` (the server's default), `canary`, `blue_green` or `recreate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: String,
    pub release_id: String,
    pub environment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// `queued`, `running`, `succeeded`, `failed` or `rolled_back`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

/// One page of `GET /api/v1/deployments/{id}/logs`, oldest line first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    /// True once the deployment has finished and no more lines will come.
    pub complete: bool,
    pub lines: Vec<LogLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Pass the last one seen as `after` to get the next page.
    pub seq: u64,
    pub timestamp: String,
    /// `debug`, `info`, `warn` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    pub message: String,
}

/// A `.stella.yaml` as the editor holds it: the body of validate, diff and apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigDocument {
    pub content: String,
    /// Its path relative to the repository root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// `POST /api/v1/config/validate`: the checks that need the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    pub valid: bool,
    pub errors: Vec<ValidationError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    /// A JSON pointer into the document, e.g. `/auto_promote/environments/2/name`.
    pub path: String,
    pub message: String,
    /// `error` (the default when absent), `warning` or `info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
}

/// What applying a configuration would change on the server; every list may be absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigDiff {
    pub added_components: Vec<String>,
    pub removed_components: Vec<String>,
    pub modified_components: Vec<Modified>,
    pub added_environments: Vec<String>,
    pub removed_environments: Vec<String>,
    pub added_workflows: Vec<String>,
    pub removed_workflows: Vec<String>,
    pub modified_workflows: Vec<Modified>,
}

/// A component or workflow that changes, with one line per change
/// (`image: registry.example.com/a -> registry.example.com/b`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modified {
    pub name: String,
    pub changes: Vec<String>,
}

/// `POST /api/v1/config/apply`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyResult {
    /// False on a dry run.
    pub applied: bool,
    pub diff: ConfigDiff,
}

/// The body of `POST /api/v1/config/apply`: the document's fields and `dry_run`.
#[derive(Serialize)]
pub(crate) struct ApplyRequest<'a> {
    #[serde(flatten)]
    pub document: &'a ConfigDocument,
    pub dry_run: bool,
}

/// The body of every answer with a status of 400 or more.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Deserialize)]
pub(crate) struct ErrorDetail {
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn requests_leave_out_unset_optional_fields() {
        let release = CreateRelease {
            name: "app".into(),
            version: "1.0.0".into(),
            source_ref: None,
            labels: None,
            components: vec![ReleaseComponent {
                name: "api".into(),
                image: "registry.example.com/api".into(),
                tag: Some("1.0.0".into()),
                digest: None,
            }],
        };
        assert_eq!(
            serde_json::to_value(&release).unwrap(),
            json!({"name": "app", "version": "1.0.0",
                   "components": [{"name": "api", "image": "registry.example.com/api", "tag": "1.0.0"}]})
        );

        let deploy = DeployRequest {
            release_id: "rel-1".into(),
            environment_id: "env-stg".into(),
            strategy: None,
        };
        assert_eq!(
            serde_json::to_string(&deploy).unwrap(),
            r#"{"release_id":"rel-1","environment_id":"env-stg"}"#
        );
    }

    #[test]
    fn promotion_request_always_sends_every_field_in_order() {
        let request = PromotionRequest {
            release_id: "rel-1".into(),
            target_environment_id: "env-prd".into(),
            auto_approve: false,
        };
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            r#"{"release_id":"rel-1","target_environment_id":"env-prd","auto_approve":false}"#
        );
    }

    #[test]
    fn apply_request_is_the_document_plus_dry_run() {
        let document = ConfigDocument { content: "release: {}\n".into(), path: None };
        let body = ApplyRequest { document: &document, dry_run: true };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"content":"release: {}\n","dry_run":true}"#
        );
    }

    #[test]
    fn answers_ignore_unknown_fields_and_default_missing_lists() {
        let release: Release = serde_json::from_value(json!({
            "id": "rel-1", "name": "app", "version": "1.0.0", "status": "ready",
            "created_at": "2026-12-01T10:00:00Z", "components": [], "shiny_new_field": 3
        }))
        .unwrap();
        assert_eq!(release.environments, Vec::<String>::new());
        assert_eq!(release.labels, None);

        let diff: ConfigDiff =
            serde_json::from_value(json!({"added_components": ["worker"]})).unwrap();
        assert_eq!(
            diff,
            ConfigDiff { added_components: vec!["worker".into()], ..ConfigDiff::default() }
        );
    }

    #[test]
    fn queries_serialize_only_what_is_set() {
        let query = ReleaseQuery { name: Some("app".into()), limit: Some(5), ..Default::default() };
        assert_eq!(serde_json::to_value(&query).unwrap(), json!({"name": "app", "limit": 5}));
    }
}
