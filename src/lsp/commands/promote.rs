//! `stella.promote` and `stella.deploy`: find the environment and the release, confirm
//! where the file asks for a person's approval, send the one request, and for a deployment
//! follow its log until it completes or the user stops watching.

use std::collections::HashSet;

use crate::lsp::commands::{ask, flow_key, label, unanswered, until, Flow, Kind, Outcome};
use crate::lsp::remote::progress::Progress;
use crate::lsp::remote::Remote;
use crate::orchestrator::{api, ApiError};

/// `stella.promote` and `stella.deploy`.
pub(super) async fn promote_or_deploy(remote: &Remote, flow: &Flow) -> Outcome {
    let environment = flow.arguments.env.clone().unwrap_or_default();
    let name = flow.release_name();
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
            let target = environment_id(remote, flow, &environment).await?;
            let release = choose_release(remote, flow, &name, &environment).await?;
            let doing = label(flow, Some(&release));
            remote.describe(&flow.key, &doing);
            // The same release may have been asked for under another key (by id, or
            // without one): the release actually chosen is claimed too.
            let chosen = flow_key(flow.kind, &flow.identity, &environment, &release);
            let claim = if chosen == flow.key {
                None
            } else {
                match remote.claim(&chosen, &doing) {
                    Ok(()) => Some(Claim { remote: remote.clone(), key: chosen }),
                    Err(running) => {
                        return Err(Outcome::info(format!("{running} is already in progress")))
                    }
                }
            };

            if flow.confirm {
                let yes = if promoting { "Promote" } else { "Deploy" };
                let question = format!("{yes} {release} to {environment}?");
                if ask(remote, &question, &[yes, "Cancel"]).await.as_deref() != Some(yes) {
                    return Err(Outcome::warning(format!(
                        "{noun} to {environment} not confirmed; nothing was sent"
                    )));
                }
            }
            Ok((target, release, claim))
        };
        // A cancel before the mutating request stops the flow at once, not when a slow
        // answer it waits on comes back.
        let chosen = tokio::select! {
            () = progress.cancelled() => Err(cancelled()),
            chosen = before_the_request => chosen,
        };
        let (target, release, _claim) = match chosen {
            Ok(chosen) => chosen,
            Err(outcome) => return outcome,
        };
        if progress.is_cancelled() {
            return cancelled();
        }
        if remote.is_shutting_down() {
            return Outcome::warning(format!("{noun} stopped; nothing was sent"));
        }

        let target = Target { release, environment_id: target, environment: environment.clone() };
        if promoting {
            promote(remote, flow, &target).await
        } else {
            deploy(remote, flow, &progress, &target).await
        }
    }
    .await;

    progress.end(&outcome.message).await;
    outcome
}

/// A key claimed for the rest of a flow, released when dropped.
struct Claim {
    remote: Remote,
    key: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.remote.release(&self.key);
    }
}

/// What a promotion or deployment goes to: the release, and the environment by id and name.
struct Target {
    release: String,
    environment_id: String,
    environment: String,
}

async fn promote(remote: &Remote, flow: &Flow, target: &Target) -> Outcome {
    let Target { release, environment_id, environment } = target;
    let api = &flow.api;
    let body = api::PromotionRequest {
        release_id: release.clone(),
        target_environment_id: environment_id.clone(),
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
        Err(error) => {
            let Some(outcome) = unanswered(&error, "promotion", "created", "promoting again")
            else {
                return refused(remote, environment, &error, "promoted");
            };
            // It may exist now: read the release's state once, for the lenses.
            let query = api::ReleaseQuery {
                name: Some(flow.release_name()),
                env: Some(environment.to_owned()),
                ..api::ReleaseQuery::default()
            };
            let checked = api.releases(&query).await;
            remote.note_outcome(&checked);
            outcome
        }
    }
}

async fn deploy(remote: &Remote, flow: &Flow, progress: &Progress, target: &Target) -> Outcome {
    let Target { release, environment_id, environment } = target;
    let api = &flow.api;
    let body = api::DeployRequest {
        release_id: release.clone(),
        environment_id: environment_id.clone(),
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
    let mut steps_logged = HashSet::new();
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
            return finished(remote, flow, &deployment.id, release, environment).await;
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

/// The outcome of a deployment whose log is complete, by the status the orchestrator gives
/// it: a log can end on a failure as well as on a success.
async fn finished(
    remote: &Remote,
    flow: &Flow,
    id: &str,
    release: &str,
    environment: &str,
) -> Outcome {
    let query = api::DeploymentQuery { env: Some(environment.to_owned()), limit: Some(20) };
    let deployments = flow.api.deployments(&query).await;
    remote.note_outcome(&deployments);

    let status = match &deployments {
        Ok(deployments) => deployments
            .iter()
            .find(|deployment| deployment.id == id)
            .map(|deployment| deployment.status.as_str()),
        Err(_) => None,
    };
    match status {
        Some("succeeded") => Outcome::info(format!("Deployed {release} to {environment}")),
        Some("failed") => Outcome::error(format!("Deployment {id} of {release} to {environment} failed; its log is complete")),
        Some("rolled_back") => Outcome::error(format!("Deployment {id} of {release} to {environment} was rolled back")),
        Some(other) => Outcome::warning(format!("Deployment {id} of {release} to {environment} ended its log while {}", other.replace('_', " "))),
        None => Outcome::warning(match deployments {
            Err(error) => format!("Deployment {id} of {release} to {environment} finished its log, but its status could not be read: {error}"),
            Ok(_) => format!("Deployment {id} of {release} to {environment} finished its log; Stella does not list it, so its status is unknown"),
        }),
    }
}

/// The sentence for a refused promotion or deployment; a frozen environment says until
/// when and why, from the cache.
fn refused(remote: &Remote, environment: &str, error: &ApiError, done: &str) -> Outcome {
    if error.code() == Some("environment_frozen") {
        remote.wake_poller();
        if let Some(known) = remote.cached_environment(environment) {
            let frozen_until = known
                .frozen_until
                .as_deref()
                .map(|instant| format!(" until {}", until(instant)))
                .unwrap_or_default();
            let why =
                known.freeze_reason.as_deref().map(|why| format!(" ({why})")).unwrap_or_default();
            return Outcome::warning(format!(
                "{environment} is frozen{frozen_until}{why}; nothing was {done}"
            ));
        }
    }
    Outcome::error(error.to_string())
}

/// The id of the environment named `name`, from the cache or asked for once.
async fn environment_id(remote: &Remote, flow: &Flow, name: &str) -> Result<String, Outcome> {
    if let Some(known) = remote.cached_environment(name) {
        return Ok(known.id);
    }
    let api = &flow.api;

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
    let api = &flow.api;

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
