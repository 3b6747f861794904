//! `workspace/executeCommand`: the actions a user runs from a lens, a code action or a
//! command palette, carried out against the orchestrator.
//!
//! Every command takes one JSON object: the document's `uri` plus names (`env`, `release`,
//! `version`), never line numbers. The handler checks what it can without the network on
//! the text current at the moment of the click (does it parse, does it still name the
//! environment), then runs the rest in a spawned task and answers at once. The outcome is
//! one `window/showMessage` line. The same flow under the same key (command, document,
//! environment, release) runs once at a time; a second click is told it is in progress.
//! A mutating request is never retried once it may have been sent.

mod config;
mod promote;
mod release;

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{self, MessageType};

use crate::core::actions::Document;
use crate::core::LineIndex;
use crate::lsp::remote::Remote;
use crate::lsp::store::DocumentKind;
use crate::orchestrator::{self, ApiError};

pub const CREATE_RELEASE: &str = "stella.createRelease";
pub const PROMOTE: &str = "stella.promote";
pub const DEPLOY: &str = "stella.deploy";
pub const VALIDATE: &str = "stella.validate";
pub const DIFF: &str = "stella.diff";
pub const APPLY: &str = "stella.apply";
pub const REFRESH: &str = "stella.refresh";
/// Does nothing: the command of a lens whose environment left the file.
pub const NOOP: &str = "stella.noop";

/// Every command the server advertises.
pub const ALL: [&str; 8] = [CREATE_RELEASE, PROMOTE, DEPLOY, VALIDATE, DIFF, APPLY, REFRESH, NOOP];

/// The one argument of every command.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Arguments {
    pub uri: Option<String>,
    pub env: Option<String>,
    /// A release id; when absent, the orchestrator's releases of this file's name are used.
    pub release: Option<String>,
    /// The version of a new release; when absent, read from the newest matching git tag.
    pub version: Option<String>,
    /// Skips the confirmation (for clients that cannot ask, like Helix).
    #[serde(default)]
    pub confirm: bool,
    #[serde(default)]
    pub dry_run: bool,
    pub strategy: Option<String>,
    /// Asks the orchestrator to approve the promotion at once; never set by the server.
    #[serde(default)]
    pub auto_approve: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    CreateRelease,
    Promote,
    Deploy,
    Validate,
    Diff,
    Apply,
}

impl Kind {
    fn of(command: &str) -> Option<Kind> {
        Some(match command {
            CREATE_RELEASE => Kind::CreateRelease,
            PROMOTE => Kind::Promote,
            DEPLOY => Kind::Deploy,
            VALIDATE => Kind::Validate,
            DIFF => Kind::Diff,
            APPLY => Kind::Apply,
            _ => return None,
        })
    }

    /// The gerund after "fix it before".
    fn doing(self) -> &'static str {
        match self {
            Kind::CreateRelease => "creating a release",
            Kind::Promote => "promoting",
            Kind::Deploy => "deploying",
            Kind::Validate => "validating",
            Kind::Diff => "comparing",
            Kind::Apply => "applying",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::CreateRelease => CREATE_RELEASE,
            Kind::Promote => PROMOTE,
            Kind::Deploy => DEPLOY,
            Kind::Validate => VALIDATE,
            Kind::Diff => DIFF,
            Kind::Apply => APPLY,
        }
    }
}

/// A command that passed the local checks, ready to run.
struct Flow {
    kind: Kind,
    api: orchestrator::Client,
    key: String,
    /// The file's real path (or its uri when it has none), for [`flow_key`].
    identity: String,
    uri: String,
    /// The file's name, for messages.
    file: String,
    path: Option<PathBuf>,
    text: String,
    document: Document,
    arguments: Arguments,
    /// Whether the user must confirm before the mutating request.
    confirm: bool,
}

impl Flow {
    /// The file's `release.name` (commands that need it refuse a file without one).
    fn release_name(&self) -> String {
        let name = self.document.config.release.name.as_ref();
        name.map(|name| name.value.clone()).unwrap_or_default()
    }
}

/// An outcome: the one line shown, and how.
struct Outcome {
    kind: MessageType,
    message: String,
}

impl Outcome {
    fn info(message: impl Into<String>) -> Outcome {
        Outcome { kind: MessageType::INFO, message: message.into() }
    }

    fn warning(message: impl Into<String>) -> Outcome {
        Outcome { kind: MessageType::WARNING, message: message.into() }
    }

    fn error(message: impl Into<String>) -> Outcome {
        Outcome { kind: MessageType::ERROR, message: message.into() }
    }
}

/// `workspace/executeCommand`. Answers at once: the outcome's line when the command was
/// refused before any request, `null` when a flow was started.
pub async fn execute(
    remote: &Remote,
    params: ls_types::ExecuteCommandParams,
) -> jsonrpc::Result<Option<Value>> {
    let command = params.command.as_str();
    if command == NOOP {
        return Ok(None);
    }
    if command == REFRESH {
        // One refresh at a time: clicks while one runs are told so and send nothing.
        if let Err(running) = remote.claim(REFRESH, "A refresh from Stella") {
            let outcome = Outcome::info(format!("{running} is already in progress"));
            return Ok(Some(Value::String(outcome.message)));
        }
        let task = remote.clone();
        remote.spawn(async move {
            let outcome = config::refresh(&task).await;
            task.release(REFRESH);
            show(&task, &outcome).await;
        });
        return Ok(None);
    }
    let Some(kind) = Kind::of(command) else {
        return Err(jsonrpc::Error::invalid_params(format!("unknown command {command}")));
    };

    let arguments = match params.arguments.into_iter().next() {
        None => Arguments::default(),
        Some(argument) => serde_json::from_value::<Arguments>(argument).map_err(|error| {
            jsonrpc::Error::invalid_params(format!("{command} takes one object {{uri, env, release, version, strategy, confirm, dryRun, autoApprove}}: {error}"))
        })?,
    };

    let flow = match prepare(remote, kind, arguments) {
        Ok(flow) => flow,
        Err(outcome) => {
            show(remote, &outcome).await;
            return Ok(Some(Value::String(outcome.message)));
        }
    };

    if let Err(running) = remote.claim(&flow.key, &label(&flow, None)) {
        let outcome = Outcome::info(format!("{running} is already in progress"));
        show(remote, &outcome).await;
        return Ok(Some(Value::String(outcome.message)));
    }

    let task = remote.clone();
    remote.spawn(async move {
        let key = flow.key.clone();
        let outcome = run(&task, flow).await;
        task.release(&key);
        show(&task, &outcome).await;
    });
    Ok(None)
}

/// The local checks, on the text current now. Refusals are final outcomes.
fn prepare(remote: &Remote, kind: Kind, arguments: Arguments) -> Result<Flow, Outcome> {
    let Some(uri) = arguments.uri.clone() else {
        return Err(Outcome::error(format!("{} needs the document's \"uri\"", kind.name())));
    };
    let file = shown(&file_name(&uri));
    // By the file's decoded name when it has one, so `%2Estella.yaml` counts too.
    let is_stella = match uri_path(&uri) {
        Some(path) => path.file_name().is_some_and(|name| {
            let name = name.to_string_lossy();
            name.ends_with(".stella.yaml") || name.ends_with(".stella.yml")
        }),
        None => uri
            .parse::<ls_types::Uri>()
            .is_ok_and(|parsed| DocumentKind::of(&parsed) == DocumentKind::Stella),
    };
    if !is_stella {
        return Err(Outcome::error(format!(
            "{} acts on .stella.yaml and .stella.yml files; {file} is neither",
            kind.name()
        )));
    }
    for (name, value) in
        [("env", &arguments.env), ("release", &arguments.release), ("version", &arguments.version)]
    {
        let length = value.as_deref().map_or(0, |value| value.chars().count());
        if length > MAX_NAME_CHARS {
            return Err(Outcome::error(format!(
                "\"{name}\" of {} is not a name: it is {length} characters long",
                kind.name()
            )));
        }
    }
    let path = uri_path(&uri);
    let text = match remote.store().text(&uri) {
        Some(text) => text,
        None => read_from_disk(path.as_deref(), &file)?,
    };

    let document = Document::read(&text).map_err(|unreadable| {
        let line = LineIndex::new(&text)
            .line_col(&text, unreadable.span.start, crate::core::Encoding::Utf8)
            .line
            + 1;
        Outcome::warning(format!(
            "{file} does not parse (line {line}); fix it before {}",
            kind.doing()
        ))
    })?;

    let api = remote.api().map_err(Outcome::error)?;

    let mut confirm = false;
    if matches!(kind, Kind::Promote | Kind::Deploy) {
        let Some(environment) = arguments.env.as_deref() else {
            return Err(Outcome::error(format!(
                "{} needs \"env\", the environment's name",
                kind.name()
            )));
        };
        let named = document.environment(environment);
        if named.is_absent() {
            return Err(Outcome::warning(format!(
                "Environment \"{environment}\" is no longer in {file}"
            )));
        }
        confirm = !named.auto_approves() && !arguments.confirm;
    }
    if kind == Kind::Apply {
        confirm = !arguments.dry_run && !arguments.confirm;
    }
    if matches!(kind, Kind::Promote | Kind::Deploy | Kind::CreateRelease)
        && document.config.release.name.is_none()
    {
        return Err(Outcome::warning(format!("{file} has no release name")));
    }
    if confirm && !remote.capabilities().show_message_request {
        let what = match kind {
            Kind::Promote => {
                format!("Promotion to {}", arguments.env.as_deref().unwrap_or_default())
            }
            Kind::Deploy => {
                format!("Deployment to {}", arguments.env.as_deref().unwrap_or_default())
            }
            _ => format!("Applying {file} to {}", api.server()),
        };
        return Err(Outcome::warning(format!(
            "{what} needs confirmation; run {} with \"confirm\": true",
            kind.name()
        )));
    }

    let identity = path
        .as_deref()
        .and_then(|path| std::fs::canonicalize(path).ok())
        .map_or_else(|| uri.clone(), |path| path.display().to_string());
    let environment = arguments.env.as_deref().unwrap_or_default();
    let key =
        flow_key(kind, &identity, environment, arguments.release.as_deref().unwrap_or_default());
    Ok(Flow { kind, api, key, identity, uri, file, path, text, document, arguments, confirm })
}

/// The longest environment name, release id or version a command takes.
const MAX_NAME_CHARS: usize = 128;

/// What makes two command runs the same: the command, the file (by its real path, however
/// the uri spells it), the environment and the release.
fn flow_key(kind: Kind, identity: &str, environment: &str, release: &str) -> String {
    format!("{}|{identity}|{environment}|{release}", kind.name())
}

/// The text of a `.stella.yaml` that is not open: only a regular file, and not a large one,
/// so a command can never block on a pipe or read a device.
fn read_from_disk(path: Option<&std::path::Path>, file: &str) -> Result<String, Outcome> {
    const MAX_BYTES: u64 = 8 << 20;

    let unreadable = |why: &str| Outcome::error(format!("Cannot read {file}: {why}"));
    let Some(path) = path else {
        return Err(unreadable("it is not open in the editor"));
    };
    let metadata =
        std::fs::metadata(path).map_err(|_| unreadable("it is neither open nor on disk"))?;
    if !metadata.is_file() {
        return Err(unreadable("it is not a regular file"));
    }
    if metadata.len() > MAX_BYTES {
        return Err(unreadable("it is larger than 8 MiB"));
    }
    std::fs::read_to_string(path).map_err(|error| unreadable(&error.to_string()))
}

/// A name from the arguments, as it may appear in a message: at most 64 characters.
fn shown(name: &str) -> String {
    const MAX_CHARS: usize = 64;

    match name.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_owned(),
    }
}

/// What a flow is doing, for a second click: "A promotion of rel-abc123 to staging".
fn label(flow: &Flow, release: Option<&str>) -> String {
    let environment = flow.arguments.env.as_deref().unwrap_or_default();
    let of = release.map(|release| format!(" of {release}")).unwrap_or_default();
    match flow.kind {
        Kind::Promote => format!("A promotion{of} to {environment}"),
        Kind::Deploy => format!("A deployment{of} to {environment}"),
        Kind::CreateRelease => format!("Creating a release from {}", flow.file),
        Kind::Validate => format!("Validating {}", flow.file),
        Kind::Diff => format!("Comparing {} with Stella", flow.file),
        Kind::Apply => format!("Applying {}", flow.file),
    }
}

async fn run(remote: &Remote, flow: Flow) -> Outcome {
    match flow.kind {
        Kind::CreateRelease => release::create(remote, &flow).await,
        Kind::Promote | Kind::Deploy => promote::promote_or_deploy(remote, &flow).await,
        Kind::Validate => config::validate(remote, &flow).await,
        Kind::Diff => config::diff(remote, &flow).await,
        Kind::Apply => config::apply(remote, &flow).await,
    }
}

/// The sentence for a request that changes something and may have reached the
/// orchestrator without an answer coming back (a dropped connection, or no answer within
/// the timeout): it must not be sent again blindly. `None` for any other error.
fn unanswered(error: &ApiError, noun: &str, done: &str, again: &str) -> Option<Outcome> {
    let when = match error {
        ApiError::NoAnswer { .. } => " but no answer came back".to_owned(),
        ApiError::Timeout { after, .. } => {
            format!(" but no answer came back within {} s", after.as_secs_f64())
        }
        // A success other than the one the contract promises: something was accepted.
        ApiError::UnexpectedStatus { status: code @ 200..=299, .. } => {
            format!(" and accepted with an unexpected answer (status {code})")
        }
        _ => return None,
    };
    let check = match noun {
        "apply" => "Check with \"Diff with server\"",
        "deployment" => "Check the orchestrator's deployments",
        _ => "Check the orchestrator's releases",
    };
    Some(Outcome::warning(format!(
        "The {noun} request was sent{when}; it may have been {done}. {check} before {again}"
    )))
}

/// Asks the user; `None` when they dismiss it, answer anything else, or do not answer
/// within the prompt timeout (120 s). Never taken as a yes.
async fn ask(remote: &Remote, question: &str, actions: &[&str]) -> Option<String> {
    let items = actions
        .iter()
        .map(|title| ls_types::MessageActionItem {
            title: (*title).to_owned(),
            properties: std::collections::HashMap::new(),
        })
        .collect();
    let asked = remote.lsp().show_message_request(MessageType::WARNING, question, Some(items));
    match tokio::time::timeout(remote.timings().prompt, asked).await {
        Ok(Ok(Some(item))) => Some(item.title),
        Ok(Ok(None)) => None,
        Ok(Err(error)) => {
            tracing::debug!(%error, "the client could not ask");
            None
        }
        Err(_) => {
            tracing::info!(question, "no answer to the question; dropped");
            None
        }
    }
}

/// Opens `url` in the user's browser, without waiting on the answer.
fn open_external(remote: &Remote, url: &str) {
    let Ok(uri) = url.parse::<ls_types::Uri>() else { return };
    let task = remote.clone();
    remote.spawn(async move {
        let params = ls_types::ShowDocumentParams {
            uri,
            external: Some(true),
            take_focus: None,
            selection: None,
        };
        if let Err(error) = task.lsp().show_document(params).await {
            tracing::debug!(%error, "the client could not open the page");
        }
    });
}

async fn show(remote: &Remote, outcome: &Outcome) {
    if remote.is_shutting_down() {
        return;
    }
    remote.lsp().show_message(outcome.kind, &outcome.message).await;
}

/// An RFC 3339 instant as people read it: `18:00 UTC` today, else `2026-12-05 18:00 UTC`.
pub fn until(instant: &str) -> String {
    let Ok(timestamp) = instant.parse::<jiff::Timestamp>() else {
        return instant.to_owned();
    };
    let at = timestamp.to_zoned(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    if at.date() == today {
        at.strftime("%H:%M UTC").to_string()
    } else {
        at.strftime("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// The file's name, for messages.
fn file_name(uri: &str) -> String {
    if let Some(name) = uri_path(uri).as_deref().and_then(std::path::Path::file_name) {
        return name.to_string_lossy().into_owned();
    }
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    path.rsplit('/').next().unwrap_or(path).to_owned()
}

fn uri_path(uri: &str) -> Option<PathBuf> {
    if !uri.starts_with("file:") {
        return None;
    }
    let parsed = uri.parse::<ls_types::Uri>().ok()?;
    parsed.to_file_path().map(std::borrow::Cow::into_owned)
}
