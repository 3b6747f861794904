//! The commands on the whole file and the connection: `stella.validate`, `stella.diff`,
//! `stella.apply` (with a dry run) and `stella.refresh`.

use tower_lsp_server::ls_types::MessageType;

use crate::lsp::commands::{ask, unanswered, Flow, Outcome};
use crate::lsp::remote::progress::Progress;
use crate::lsp::remote::state::Finding;
use crate::lsp::remote::{poller, validation, Connection, Remote};
use crate::orchestrator::api;

pub(super) async fn validate(remote: &Remote, flow: &Flow) -> Outcome {
    let api = &flow.api;
    let progress = Progress::begin(remote, &format!("Validating {} with Stella", flow.file)).await;
    let validated = api.validate(&config_document(flow)).await;
    remote.note_outcome(&validated);

    let outcome = match validated {
        Ok(validation) => {
            let count = validation.errors.len();
            let findings = validation.errors.into_iter().map(Finding::from).collect();
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

pub(super) async fn diff(remote: &Remote, flow: &Flow) -> Outcome {
    let api = &flow.api;
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

pub(super) async fn apply(remote: &Remote, flow: &Flow) -> Outcome {
    let api = &flow.api;
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
pub(super) async fn refresh(remote: &Remote) -> Outcome {
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
