//! The background poller: keeps the cache of environments and the signed-in user current,
//! and finds out when the orchestrator goes away and comes back.
//!
//! Online, it reads `GET /api/v1/environments` every poll interval (10 s unless
//! `STELLA_POLL_INTERVAL` says otherwise), honouring `Retry-After`. Offline, it probes the
//! cheap `GET /api/v1/cli/version` with backoff (5 s, 10 s, 20 s … at most 5 min). One poller
//! serves every open document; a lens refresh is asked for only when what the lens titles
//! show has changed, compared by content. The first fill of an empty cache asks for none:
//! a client shows the titles when it next asks for lenses, and a refresh right after
//! opening would only repeat the request the client just made.

use std::time::{Duration, Instant};

use crate::lsp::remote::{Connection, Remote};
use crate::orchestrator::ApiError;

const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Starts the poller. Each round first reads the user's settings again if their files
/// changed, so signing in or switching context needs no restart.
pub fn start(remote: &Remote) {
    if !remote.start_polling() {
        return;
    }
    let task = remote.clone();
    remote.spawn(async move {
        let mut backoff = first_backoff(&task);
        loop {
            if let Some(warnings) = task.reload_settings() {
                show(&task, &warnings).await;
            }
            let wait = match poll(&task).await {
                Polled::Fine(wait) => {
                    backoff = first_backoff(&task);
                    wait
                }
                Polled::Offline => {
                    let wait = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    wait
                }
            };

            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = task.woken() => {}
            }
        }
    });
}

/// Shows what is wrong with freshly read settings.
pub async fn show(remote: &Remote, warnings: &[String]) {
    for warning in warnings {
        remote.lsp().show_message(tower_lsp_server::ls_types::MessageType::WARNING, warning).await;
    }
}

/// The first probe delay after an outage: 5 s, or the poll interval when that is shorter.
fn first_backoff(remote: &Remote) -> Duration {
    remote.timings().poll.min(Duration::from_secs(5))
}

pub enum Polled {
    /// Reached the server; poll again after this long.
    Fine(Duration),
    Offline,
}

/// One round: who am I (once), then the environments. Also run by `stella.refresh`.
pub async fn poll(remote: &Remote) -> Polled {
    let Ok(api) = remote.api() else {
        return Polled::Fine(remote.timings().poll);
    };
    let _one_at_a_time = remote.poll_lock().await;
    let interval = remote.timings().poll;

    if matches!(remote.connection(), Connection::Offline(_) | Connection::Unknown) {
        let version = api.version().await;
        remote.note_outcome(&version);
        match version {
            Ok(version) => remote.with_cache(|cache| cache.version = Some(version)),
            Err(error) if error.is_offline() => return Polled::Offline,
            Err(error) => tracing::debug!(%error, "version probe failed"),
        }
    }

    if remote.with_cache(|cache| cache.whoami.is_none()) {
        let whoami = api.whoami().await;
        remote.note_outcome(&whoami);
        match whoami {
            Ok(whoami) => {
                remote.with_cache(|cache| cache.whoami = Some(whoami));
                if matches!(remote.connection(), Connection::SignedOut(_)) {
                    remote.set_connection(Connection::Online);
                }
            }
            Err(error) if error.is_offline() => return Polled::Offline,
            Err(ApiError::NotSignedIn { .. }) => return Polled::Fine(interval),
            Err(error) => tracing::debug!(%error, "whoami failed"),
        }
    }

    let not_before = remote.with_cache(|cache| cache.environments_not_before);
    if let Some(not_before) = not_before {
        let now = Instant::now();
        if now < not_before {
            return Polled::Fine((not_before - now).max(interval));
        }
    }

    let environments = api.environments().await;
    remote.note_outcome(&environments);
    match environments {
        Ok(environments) => {
            let visible = Remote::visible_state(&environments);
            let changed = remote.with_cache(|cache| {
                let before = cache.environments.as_deref().map(Remote::visible_state);
                cache.environments = Some(environments);
                cache.environments_not_before = None;
                before.is_some_and(|before| before != visible)
            });
            if changed {
                remote.request_lens_refresh();
            }
            Polled::Fine(interval)
        }
        Err(ApiError::RateLimited { retry_after, .. }) => {
            let wait = retry_after.unwrap_or(interval * 2).max(interval);
            remote.with_cache(|cache| cache.environments_not_before = Some(Instant::now() + wait));
            Polled::Fine(wait)
        }
        Err(error) if error.is_offline() => Polled::Offline,
        Err(ApiError::NotSignedIn { .. }) => {
            remote.with_cache(|cache| cache.whoami = None);
            Polled::Fine(interval)
        }
        Err(error) => {
            tracing::debug!(%error, "reading the environments failed");
            Polled::Fine(interval)
        }
    }
}
