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

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{self, MessageType};

use crate::core::actions::Document;
use crate::core::LineIndex;
use crate::lsp::remote::progress::Progress;
use crate::lsp::remote::state::Finding;
use crate::lsp::remote::{poller, validation, Connection, Remote};
use crate::orchestrator::{api, ApiError};

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
    key: String,
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
        let task = remote.clone();
        remote.spawn(async move {
            let outcome = refresh(&task).await;
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
            jsonrpc::Error::invalid_params(format!("{command} takes one object {{uri, env, release, version, confirm, dryRun}}: {error}"))
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
    let file = file_name(&uri);
    let path = uri_path(&uri);
    let text = remote
        .store()
        .text(&uri)
        .or_else(|| path.as_ref().and_then(|path| std::fs::read_to_string(path).ok()))
        .ok_or_else(|| {
            Outcome::error(format!("Cannot read {file}: it is neither open nor on disk"))
        })?;

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

    let key = format!(
        "{}|{uri}|{}|{}",
        kind.name(),
        arguments.env.as_deref().unwrap_or_default(),
        arguments.release.as_deref().unwrap_or_default()
    );
    Ok(Flow { kind, key, uri, file, path, text, document, arguments, confirm })
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
        Kind::CreateRelease => create_release(remote, &flow).await,
        Kind::Promote | Kind::Deploy => promote_or_deploy(remote, &flow).await,
        Kind::Validate => validate(remote, &flow).await,
        Kind::Diff => diff(remote, &flow).await,
        Kind::Apply => apply(remote, &flow).await,
    }
}

async fn create_release(remote: &Remote, flow: &Flow) -> Outcome {
    let Ok(api) = remote.api() else { return Outcome::error("no orchestrator") };
    let release = &flow.document.config.release;
    let name = release.name.as_ref().map(|name| name.value.clone()).unwrap_or_default();

    let (version, source_ref) = match &flow.arguments.version {
        Some(version) => (version.clone(), None),
        None => match newest_tag(flow).await {
            Ok((tag, version)) => (version, Some(tag)),
            Err(outcome) => return outcome,
        },
    };

    let mut components = Vec::new();
    for component in &flow.document.config.components {
        let Some(image) = &component.image else {
            return Outcome::warning(format!(
                "Component \"{}\" has no image",
                component.name.value
            ));
        };
        components.push(api::ReleaseComponent {
            name: component.name.value.clone(),
            image: image.value.clone(),
            tag: Some(version.clone()),
            digest: None,
        });
    }
    if components.is_empty() {
        return Outcome::warning(format!("{} has no components to release", flow.file));
    }

    let progress = Progress::begin(remote, &format!("Creating release {name} {version}")).await;
    let body = api::CreateRelease {
        name: name.clone(),
        version: version.clone(),
        source_ref,
        labels: None,
        components,
    };
    if progress.is_cancelled() || remote.is_shutting_down() {
        progress.end("Cancelled; nothing was sent").await;
        return Outcome::warning("Release creation cancelled; nothing was sent");
    }
    let created = api.create_release(&body).await;
    remote.note_outcome(&created);

    let outcome = match created {
        Ok(created) => {
            let url = format!("{}/releases/{}", api.server(), created.id);
            let message = format!("Created release {} ({name} {version})", created.id);
            if remote.capabilities().show_document {
                open_external(remote, &url);
                Outcome::info(message)
            } else {
                Outcome::info(format!("{message}: {url}"))
            }
        }
        Err(error) => unanswered(&error, "release", "created", "creating it again")
            .unwrap_or_else(|| Outcome::error(error.to_string())),
    };
    progress.end(&outcome.message).await;
    outcome
}

/// The newest git tag that `tag_pattern` selects, and the version `version_pattern` reads
/// from it.
async fn newest_tag(flow: &Flow) -> Result<(String, String), Outcome> {
    let release = &flow.document.config.release;
    let tag_pattern = release.tag_pattern.as_ref().map(|pattern| pattern.value.clone());
    let version_pattern = release
        .version_pattern
        .as_ref()
        .map_or_else(|| "{version}".to_owned(), |pattern| pattern.value.clone());
    let folder = flow.path.as_ref().and_then(|path| path.parent()).map(PathBuf::from);
    let (Some(tag_pattern), Some(folder)) = (tag_pattern, folder) else {
        return Err(Outcome::warning(format!(
            "{} has no tag_pattern on disk to read a version from; run {CREATE_RELEASE} with \"version\"",
            flow.file
        )));
    };

    let found = tokio::task::spawn_blocking(move || {
        crate::git::newest_release_tag(&folder, &tag_pattern, &version_pattern)
    })
    .await;
    match found {
        Ok(Ok(Some(found))) => Ok(found),
        Ok(Ok(None)) => Err(Outcome::warning(format!(
            "No git tag matches \"{}\"; tag a commit or run {CREATE_RELEASE} with \"version\"",
            flow.document
                .config
                .release
                .tag_pattern
                .as_ref()
                .map(|pattern| pattern.value.as_str())
                .unwrap_or_default()
        ))),
        Ok(Err(error)) => Err(Outcome::warning(format!(
            "Cannot read the git tags ({error}); run {CREATE_RELEASE} with \"version\""
        ))),
        Err(error) => Err(Outcome::error(format!("reading the git tags failed: {error}"))),
    }
}

async fn promote_or_deploy(remote: &Remote, flow: &Flow) -> Outcome {
    let environment = flow.arguments.env.clone().unwrap_or_default();
    let name = flow
        .document
        .config
        .release
        .name
        .as_ref()
        .map(|name| name.value.clone())
        .unwrap_or_default();
    let promoting = flow.kind == Kind::Promote;
    let (noun, verb) =
        if promoting { ("Promotion", "Promoting") } else { ("Deployment", "Deploying") };

    let progress = Progress::begin(remote, &format!("{verb} {name} to {environment}")).await;
    let cancelled = || {
        Outcome::warning(format!(
            "{} cancelled; nothing was sent",
            if promoting { "Promotion" } else { "Deploy" }
        ))
    };
    let outcome = async {
        let before_the_request = async {
            let target = environment_id(remote, &environment).await?;
            let release = choose_release(remote, flow, &name, &environment).await?;
            remote.describe(&flow.key, &label(flow, Some(&release)));

            if flow.confirm {
                let yes = if promoting { "Promote" } else { "Deploy" };
                let question = format!("{yes} {release} to {environment}?");
                if ask(remote, &question, &[yes, "Cancel"]).await.as_deref() != Some(yes) {
                    return Err(Outcome::warning(format!(
                        "{noun} to {environment} not confirmed; nothing was sent"
                    )));
                }
            }
            Ok((target, release))
        };
        // A cancel before the mutating request stops the flow at once, not when a slow
        // answer it waits on comes back.
        let chosen = tokio::select! {
            () = progress.cancelled() => Err(cancelled()),
            chosen = before_the_request => chosen,
        };
        let (target, release) = match chosen {
            Ok(chosen) => chosen,
            Err(outcome) => return outcome,
        };
        if progress.is_cancelled() {
            return cancelled();
        }
        if remote.is_shutting_down() {
            return Outcome::warning(format!("{noun} stopped; nothing was sent"));
        }

        if promoting {
            promote(remote, &progress, &release, &target, &environment, flow).await
        } else {
            deploy(remote, &progress, &release, &target, &environment, flow).await
        }
    }
    .await;

    progress.end(&outcome.message).await;
    outcome
}

async fn promote(
    remote: &Remote,
    _progress: &Progress,
    release: &str,
    target: &str,
    environment: &str,
    flow: &Flow,
) -> Outcome {
    let Ok(api) = remote.api() else { return Outcome::error("no orchestrator") };
    let body = api::PromotionRequest {
        release_id: release.to_owned(),
        target_environment_id: target.to_owned(),
        auto_approve: flow.arguments.auto_approve,
    };
    let promoted = api.promote(&body).await;
    remote.note_outcome(&promoted);

    match promoted {
        Ok(promotion) => {
            remote.wake_poller();
            Outcome::info(format!(
                "Promotion {} of {release} to {environment} created ({})",
                promotion.id,
                promotion.status.replace('_', " ")
            ))
        }
        Err(error @ (ApiError::NoAnswer { .. } | ApiError::Timeout { .. })) => {
            let name = flow.document.config.release.name.as_ref().map(|name| name.value.clone());
            let query = api::ReleaseQuery {
                name,
                env: Some(environment.to_owned()),
                ..api::ReleaseQuery::default()
            };
            let checked = api.releases(&query).await;
            remote.note_outcome(&checked);
            unanswered(&error, "promotion", "created", "promoting again")
                .unwrap_or_else(|| Outcome::error(error.to_string()))
        }
        Err(error) => refused(remote, environment, &error, "promoted"),
    }
}

async fn deploy(
    remote: &Remote,
    progress: &Progress,
    release: &str,
    target: &str,
    environment: &str,
    flow: &Flow,
) -> Outcome {
    let Ok(api) = remote.api() else { return Outcome::error("no orchestrator") };
    let body = api::DeployRequest {
        release_id: release.to_owned(),
        environment_id: target.to_owned(),
        strategy: flow.arguments.strategy.clone(),
    };
    let deployed = api.deploy(&body).await;
    remote.note_outcome(&deployed);
    let deployment = match deployed {
        Ok(deployment) => deployment,
        Err(error) => {
            return unanswered(&error, "deployment", "started", "deploying again")
                .unwrap_or_else(|| refused(remote, environment, &error, "deployed"));
        }
    };
    progress.report(&format!("Deployment {} started", deployment.id)).await;

    let mut after = None;
    let mut steps_logged = std::collections::HashSet::new();
    loop {
        let page = tokio::select! {
            () = progress.cancelled() => {
                return Outcome::info(format!(
                    "Stopped watching; deployment {} continues on the server",
                    deployment.id
                ));
            }
            page = api.deployment_logs(&deployment.id, after) => page,
        };
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                return Outcome::warning(format!(
                    "Deployment {} of {release} to {environment} started, but following its logs failed: {error}",
                    deployment.id
                ));
            }
        };

        for line in &page.lines {
            after = Some(after.map_or(line.seq, |after: u64| after.max(line.seq)));
            let step = line.step.clone().unwrap_or_default();
            if steps_logged.insert(step) {
                progress.report(&line.message).await;
            }
        }
        if page.complete {
            remote.wake_poller();
            return Outcome::info(format!("Deployed {release} to {environment}"));
        }

        tokio::select! {
            () = progress.cancelled() => {
                return Outcome::info(format!(
                    "Stopped watching; deployment {} continues on the server",
                    deployment.id
                ));
            }
            () = tokio::time::sleep(remote.timings().log_poll) => {}
        }
    }
}

/// The sentence for a request that changes something and may have reached the
/// orchestrator without an answer coming back (a dropped connection, or no answer within
/// the timeout): it must not be sent again blindly. `None` for any other error.
fn unanswered(error: &ApiError, noun: &str, done: &str, again: &str) -> Option<Outcome> {
    let when = match error {
        ApiError::NoAnswer { .. } => String::new(),
        ApiError::Timeout { after, .. } => format!(" within {} s", after.as_secs_f64()),
        _ => return None,
    };
    let check = match noun {
        "apply" => "\"Diff with server\"",
        "deployment" => "\"Stella: Show Deployments\"",
        _ => "\"Stella: Show Releases\"",
    };
    Some(Outcome::warning(format!(
        "The {noun} request was sent but no answer came back{when}; it may have been {done}. Check with {check} before {again}"
    )))
}

/// The sentence for a refused promotion or deployment; a frozen environment says until
/// when and why, from the cache.
fn refused(remote: &Remote, environment: &str, error: &ApiError, done: &str) -> Outcome {
    if error.code() == Some("environment_frozen") {
        remote.wake_poller();
        if let Some(known) = remote.cached_environment(environment) {
            let until = known
                .frozen_until
                .as_deref()
                .map(|until| format!(" until {}", until_text(until)))
                .unwrap_or_default();
            let why =
                known.freeze_reason.as_deref().map(|why| format!(" ({why})")).unwrap_or_default();
            return Outcome::warning(format!(
                "{environment} is frozen{until}{why}; nothing was {done}"
            ));
        }
    }
    Outcome::error(error.to_string())
}

/// The id of the environment named `name`, from the cache or asked for once.
async fn environment_id(remote: &Remote, name: &str) -> Result<String, Outcome> {
    if let Some(known) = remote.cached_environment(name) {
        return Ok(known.id);
    }
    let Ok(api) = remote.api() else { return Err(Outcome::error("no orchestrator")) };

    let environments = api.environments().await;
    remote.note_outcome(&environments);
    let environments = environments.map_err(|error| Outcome::error(error.to_string()))?;
    let found = environments
        .iter()
        .find(|environment| environment.name == name)
        .map(|environment| environment.id.clone());
    remote.with_cache(|cache| cache.environments = Some(environments));
    found.ok_or_else(|| {
        Outcome::warning(format!("Stella at {} has no environment \"{name}\"", api.server()))
    })
}

/// The release to act on: the one named, else the only release of this name, else the one
/// the user picks.
async fn choose_release(
    remote: &Remote,
    flow: &Flow,
    name: &str,
    environment: &str,
) -> Result<String, Outcome> {
    if let Some(release) = &flow.arguments.release {
        return Ok(release.clone());
    }
    let Ok(api) = remote.api() else { return Err(Outcome::error("no orchestrator")) };

    let query = api::ReleaseQuery {
        name: Some(name.to_owned()),
        limit: Some(5),
        ..api::ReleaseQuery::default()
    };
    let releases = api.releases(&query).await;
    remote.note_outcome(&releases);
    let releases = releases.map_err(|error| Outcome::error(error.to_string()))?;

    match releases.as_slice() {
        [] => Err(Outcome::warning(format!(
            "No release of {name} exists on Stella yet; create one first"
        ))),
        [only] => Ok(only.id.clone()),
        several if remote.capabilities().show_message_request => {
            let titles: Vec<String> = several
                .iter()
                .map(|release| format!("{} ({})", release.version, release.id))
                .collect();
            let mut actions: Vec<&str> = titles.iter().map(String::as_str).collect();
            actions.push("Cancel");
            let verb = if flow.kind == Kind::Promote { "Promote" } else { "Deploy" };
            let question = format!("{verb} which release of {name} to {environment}?");
            let picked = ask(remote, &question, &actions).await;
            several
                .iter()
                .zip(&titles)
                .find(|(_, title)| picked.as_deref() == Some(title.as_str()))
                .map(|(release, _)| release.id.clone())
                .ok_or_else(|| {
                    Outcome::warning(format!(
                        "No release chosen for {environment}; nothing was sent"
                    ))
                })
        }
        _ => Err(Outcome::warning(format!(
            "Several releases of {name} exist; run {} with \"release\": \"<id>\"",
            flow.kind.name()
        ))),
    }
}

async fn validate(remote: &Remote, flow: &Flow) -> Outcome {
    let Ok(api) = remote.api() else { return Outcome::error("no orchestrator") };
    let progress = Progress::begin(remote, &format!("Validating {} with Stella", flow.file)).await;
    let validated = api.validate(&config_document(flow)).await;
    remote.note_outcome(&validated);

    let outcome = match validated {
        Ok(validation) => {
            let count = validation.errors.len();
            let findings = validation
                .errors
                .into_iter()
                .map(|error| Finding {
                    pointer: error.path,
                    message: error.message,
                    severity: error.severity,
                })
                .collect();
            remote.set_findings(&flow.uri, findings);
            if validation.valid && count == 0 {
                Outcome::info(format!("Stella accepts {}", flow.file))
            } else {
                let problems =
                    if count == 1 { "1 problem".to_owned() } else { format!("{count} problems") };
                Outcome::warning(format!(
                    "Stella found {problems} in {}; see the diagnostics",
                    flow.file
                ))
            }
        }
        Err(error) => Outcome::error(error.to_string()),
    };
    progress.end(&outcome.message).await;
    outcome
}

async fn diff(remote: &Remote, flow: &Flow) -> Outcome {
    let Ok(api) = remote.api() else { return Outcome::error("no orchestrator") };
    let progress = Progress::begin(remote, &format!("Comparing {} with Stella", flow.file)).await;
    let compared = api.diff(&config_document(flow)).await;
    remote.note_outcome(&compared);

    let outcome = match compared {
        Ok(diff) => {
            log_changes(remote, &diff).await;
            match summary(&diff) {
                Some(summary) => {
                    Outcome::info(format!("Compared with Stella, {} would {summary}", flow.file))
                }
                None => Outcome::info(format!("No differences between {} and Stella", flow.file)),
            }
        }
        Err(error) => Outcome::error(error.to_string()),
    };
    progress.end(&outcome.message).await;
    outcome
}

async fn apply(remote: &Remote, flow: &Flow) -> Outcome {
    let Ok(api) = remote.api() else { return Outcome::error("no orchestrator") };
    let dry_run = flow.arguments.dry_run;

    if flow.confirm {
        let question = format!("Apply {} to Stella at {}?", flow.file, api.server());
        if ask(remote, &question, &["Apply", "Cancel"]).await.as_deref() != Some("Apply") {
            return Outcome::warning(format!(
                "Applying {} not confirmed; nothing was sent",
                flow.file
            ));
        }
    }
    if remote.is_shutting_down() {
        return Outcome::warning("Apply stopped; nothing was sent");
    }

    let title = if dry_run {
        format!("Dry run of applying {}", flow.file)
    } else {
        format!("Applying {}", flow.file)
    };
    let progress = Progress::begin(remote, &title).await;
    let applied = api.apply(&config_document(flow), dry_run).await;
    remote.note_outcome(&applied);

    let outcome = match applied {
        Ok(result) => {
            log_changes(remote, &result.diff).await;
            let summary = summary(&result.diff);
            match (dry_run, summary) {
                (true, Some(summary)) => {
                    Outcome::info(format!("Dry run: applying {} would {summary}", flow.file))
                }
                (true, None) => {
                    Outcome::info(format!("Dry run: applying {} would change nothing", flow.file))
                }
                (false, Some(summary)) if result.applied => {
                    Outcome::info(format!("Applied {}: {summary}", flow.file))
                }
                (false, None) if result.applied => {
                    Outcome::info(format!("Applied {}; nothing changed", flow.file))
                }
                (false, _) => Outcome::warning(format!("Stella did not apply {}", flow.file)),
            }
        }
        Err(error) if !dry_run => unanswered(&error, "apply", "applied", "applying again")
            .unwrap_or_else(|| Outcome::error(error.to_string())),
        Err(error) => Outcome::error(error.to_string()),
    };
    progress.end(&outcome.message).await;
    outcome
}

/// `stella.refresh`: the settings read again if they changed, and one poll now.
async fn refresh(remote: &Remote) -> Outcome {
    if let Some(warnings) = remote.reload_settings() {
        poller::show(remote, &warnings).await;
    }
    let Ok(api) = remote.api() else {
        return Outcome::error(remote.api().err().unwrap_or_default());
    };
    poller::poll(remote).await;
    let waiting = remote
        .with_cache(|cache| cache.environments_not_before)
        .and_then(|not_before| not_before.checked_duration_since(std::time::Instant::now()));
    match remote.connection() {
        Connection::Online if waiting.is_some() => Outcome::warning(format!(
            "Stella at {} asked to be read again in {} s; the lenses show what it said before",
            api.server(),
            waiting.unwrap_or_default().as_secs().max(1)
        )),
        Connection::Online => Outcome::info(format!("Refreshed from Stella at {}", api.server())),
        Connection::Offline(sentence)
        | Connection::SignedOut(sentence)
        | Connection::NotConfigured(sentence) => Outcome::warning(sentence),
        Connection::Unknown => {
            Outcome::warning(format!("Stella at {} has not answered yet", api.server()))
        }
    }
}

fn config_document(flow: &Flow) -> api::ConfigDocument {
    api::ConfigDocument {
        content: flow.text.clone(),
        path: flow.path.as_deref().map(validation::repository_path),
    }
}

/// A one-line summary of a diff: "add component worker; remove environment qa".
fn summary(diff: &api::ConfigDiff) -> Option<String> {
    let named = |names: &[String], verb: &str, noun: &str| {
        (!names.is_empty()).then(|| {
            let plural = if names.len() == 1 { "" } else { "s" };
            format!("{verb} {noun}{plural} {}", names.join(", "))
        })
    };
    let modified = |items: &[api::Modified], noun: &str| {
        let changed: Vec<String> = items.iter().map(|item| item.name.clone()).collect();
        named(&changed, "change", noun)
    };
    let parts: Vec<String> = [
        named(&diff.added_components, "add", "component"),
        named(&diff.removed_components, "remove", "component"),
        modified(&diff.modified_components, "component"),
        named(&diff.added_environments, "add", "environment"),
        named(&diff.removed_environments, "remove", "environment"),
        named(&diff.added_workflows, "add", "workflow"),
        named(&diff.removed_workflows, "remove", "workflow"),
        modified(&diff.modified_workflows, "workflow"),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Each change of a diff on its own log line, for the output panel.
async fn log_changes(remote: &Remote, diff: &api::ConfigDiff) {
    for modified in diff.modified_components.iter().chain(&diff.modified_workflows) {
        for change in &modified.changes {
            let line = format!("{}: {change}", modified.name);
            remote.lsp().log_message(MessageType::INFO, line).await;
        }
    }
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
    until_text(instant)
}

fn until_text(instant: &str) -> String {
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
