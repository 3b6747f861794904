//! [`Remote`]: one handle, shared by every handler and task, to the orchestrator client,
//! the cache of what it said, what the editor can do (prompts, progress, refresh), and the
//! spawned tasks that `shutdown` stops.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tower_lsp_server::{ls_types, Client};

use crate::lsp::analysis::Scheduler;
use crate::lsp::store::DocumentStore;
use crate::orchestrator::{self, api, ApiError, Settings};

/// Whether the orchestrator can be used, as last seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// No server in the user's settings (or settings that cannot be read): the sentence
    /// says which. Everything local still works; no notice is shown in files.
    NotConfigured(String),
    /// Configured, not asked yet.
    Unknown,
    Online,
    /// Reachable, but the token is missing or refused: the sentence says how to sign in.
    SignedOut(String),
    /// Unreachable or not answering: the sentence names the URL.
    Offline(String),
}

impl Connection {
    /// The sentence to show in files, when there is one to show.
    pub fn notice(&self) -> Option<(&'static str, &str)> {
        match self {
            Connection::SignedOut(sentence) => Some(("not-signed-in", sentence)),
            Connection::Offline(sentence) => Some(("server-unreachable", sentence)),
            Connection::NotConfigured(_) | Connection::Unknown | Connection::Online => None,
        }
    }

    pub fn reachable(&self) -> Option<bool> {
        match self {
            Connection::Online | Connection::SignedOut(_) => Some(true),
            Connection::Offline(_) => Some(false),
            Connection::NotConfigured(_) | Connection::Unknown => None,
        }
    }
}

/// What the client said it can do, at `initialize`.
#[derive(Clone, Debug, Default)]
#[allow(clippy::struct_excessive_bools, reason = "independent capabilities, each a yes or no")]
pub struct Capabilities {
    /// `codeLens/resolve` may fill in a lens's `command`.
    pub resolve_lens_command: bool,
    pub lens_refresh: bool,
    pub work_done_progress: bool,
    pub show_message_request: bool,
    pub show_document: bool,
}

impl Capabilities {
    /// `resolve_lens_command` is read from the raw message by [`crate::lsp::ordered`].
    pub fn of(
        capabilities: &ls_types::ClientCapabilities,
        resolve_lens_command: bool,
    ) -> Capabilities {
        let window = capabilities.window.as_ref();
        let lens_refresh = capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.code_lens.as_ref())
            .and_then(|code_lens| code_lens.refresh_support)
            .unwrap_or(false);

        Capabilities {
            resolve_lens_command,
            lens_refresh,
            work_done_progress: window
                .and_then(|window| window.work_done_progress)
                .unwrap_or(false),
            show_message_request: window.is_some_and(|window| window.show_message.is_some()),
            show_document: window
                .and_then(|window| window.show_document.as_ref())
                .is_some_and(|show_document| show_document.support),
        }
    }
}

/// Findings of the orchestrator's own validation for one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub pointer: String,
    pub message: String,
    pub severity: Option<String>,
}

impl From<api::ValidationError> for Finding {
    fn from(error: api::ValidationError) -> Finding {
        Finding { pointer: error.path, message: error.message, severity: error.severity }
    }
}

/// What the orchestrator last said.
#[derive(Debug)]
pub struct Cache {
    pub connection: Connection,
    pub version: Option<api::Version>,
    pub whoami: Option<api::WhoAmI>,
    pub environments: Option<Vec<api::Environment>>,
    /// Server-side validation results by uri.
    pub findings: HashMap<String, Vec<Finding>>,
    /// No GET of the environments before this instant (a `Retry-After`).
    pub environments_not_before: Option<Instant>,
}

/// Timings, from the user's environment (tests shorten them).
#[derive(Clone, Debug)]
pub struct Timings {
    pub poll: Duration,
    pub validate_delay: Duration,
    pub prompt: Duration,
    pub log_poll: Duration,
    pub refresh_merge: Duration,
}

impl Timings {
    /// The timings from the environment, and a warning for each value that cannot be used
    /// (its default is used instead), as for the orchestrator client's own timeouts.
    fn from_env() -> (Timings, Vec<String>) {
        let env = |name: &str| std::env::var(name).ok();
        let mut warnings = Vec::new();
        let mut read = |name: &str, default: Duration| {
            let (duration, warning) = orchestrator::settings::duration_setting(&env, name, default);
            warnings.extend(warning);
            duration
        };
        let timings = Timings {
            poll: read("STELLA_POLL_INTERVAL", Duration::from_secs(10)),
            validate_delay: read("STELLA_VALIDATE_DELAY", Duration::from_millis(800)),
            prompt: read("STELLA_PROMPT_TIMEOUT", Duration::from_secs(120)),
            log_poll: read("STELLA_LOG_POLL_INTERVAL", Duration::from_secs(1)),
            refresh_merge: Duration::from_secs(1),
        };
        (timings, warnings)
    }
}

/// The user's settings, as read once: the client (or why there is none), the context, and
/// what to warn about.
struct Setup {
    api: Result<orchestrator::Client, String>,
    context: Option<String>,
    warnings: Vec<String>,
    /// The settings files' sizes and times when read, to notice a change.
    fingerprint: Fingerprint,
}

type Fingerprint = Vec<Option<(u64, Option<std::time::SystemTime>)>>;

impl Setup {
    fn read() -> Setup {
        let fingerprint = Setup::fingerprint();

        // Settings that name a server but cannot be used are worth a message; having no
        // server at all is a normal way to work (local checks only).
        let (api, context, warnings) = match Settings::from_process() {
            Ok(settings) => {
                let mut warnings = settings.warnings.clone();
                let api = orchestrator::Client::new(&settings);
                if let Err(error) = &api {
                    if !matches!(error, ApiError::NotConfigured) {
                        warnings.push(error.to_string());
                    }
                }
                (api.map_err(|error| error.to_string()), settings.context, warnings)
            }
            Err(error) => (Err(error.to_string()), None, vec![error.to_string()]),
        };
        Setup { api, context, warnings, fingerprint }
    }

    fn server(&self) -> Option<&str> {
        self.api.as_ref().ok().map(orchestrator::Client::server)
    }

    fn connection(&self) -> Connection {
        match &self.api {
            Ok(_) => Connection::Unknown,
            Err(sentence) => Connection::NotConfigured(sentence.clone()),
        }
    }

    /// Size and modification time of the config and credentials files.
    fn fingerprint() -> Fingerprint {
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let config = std::env::var_os("STELLA_CONFIG")
            .filter(|path| !path.is_empty())
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|home| home.join(orchestrator::settings::CONFIG_FILE)));
        let credentials = home.map(|home| home.join(orchestrator::settings::CREDENTIALS_FILE));

        [config, credentials]
            .into_iter()
            .map(|path| {
                let metadata = std::fs::metadata(path?).ok()?;
                Some((metadata.len(), metadata.modified().ok()))
            })
            .collect()
    }
}

/// How many custom requests may wait on the orchestrator at once (of the server's 16
/// request slots).
pub const WAITING_REQUESTS: usize = 4;

/// A cheap, cloneable handle; see the module doc.
#[derive(Clone)]
pub struct Remote {
    inner: Arc<Inner>,
}

struct Inner {
    lsp: Client,
    store: DocumentStore,
    scheduler: Scheduler,
    /// The user's settings as last read; replaced when their files change.
    setup: std::sync::RwLock<Arc<Setup>>,
    timings: Timings,
    /// Timings from the environment that could not be used.
    timing_warnings: Vec<String>,
    capabilities: Mutex<Capabilities>,
    cache: Mutex<Cache>,
    /// Wakes the poller before its time (`stella.refresh`, a refused promotion).
    wake: Notify,
    /// One poll at a time, so no GET of the same URL is ever in flight twice.
    polling: tokio::sync::Mutex<()>,
    tasks: Mutex<Vec<AbortHandle>>,
    shutting_down: AtomicBool,
    /// Command flows running, by their key, with what they are doing.
    in_flight: Mutex<HashMap<String, String>>,
    next_token: AtomicU64,
    /// Open progress tokens and whether the user cancelled each.
    progress: Mutex<HashMap<String, Arc<Cancel>>>,
    /// A lens refresh is waiting to be sent.
    refresh_pending: AtomicBool,
    /// Whether the poller runs (it is started once, however often `initialized` comes).
    polling_started: AtomicBool,
    /// Custom requests waiting on the orchestrator at once; more are refused at once, so
    /// they can never fill the server's request slots and stall text sync.
    waiting_requests: Arc<tokio::sync::Semaphore>,
    /// Documents whose server-side validation is scheduled, with the generation to run.
    validation_generation: Mutex<HashMap<String, u64>>,
}

/// A cancellation flag that can be awaited.
#[derive(Debug, Default)]
pub struct Cancel {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Cancel {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Remote {
    /// Reads the user's settings (environment and home directory only) and builds the
    /// client. Never fails: what is missing becomes [`Connection::NotConfigured`].
    pub fn new(lsp: Client, store: DocumentStore, scheduler: Scheduler) -> Remote {
        let setup = Setup::read();
        let (timings, timing_warnings) = Timings::from_env();
        for warning in setup.warnings.iter().chain(&timing_warnings) {
            tracing::warn!("{warning}");
        }
        let cache = Cache {
            connection: setup.connection(),
            version: None,
            whoami: None,
            environments: None,
            findings: HashMap::new(),
            environments_not_before: None,
        };
        Remote {
            inner: Arc::new(Inner {
                lsp,
                store,
                scheduler,
                setup: std::sync::RwLock::new(Arc::new(setup)),
                timings,
                timing_warnings,
                capabilities: Mutex::default(),
                cache: Mutex::new(cache),
                wake: Notify::new(),
                polling: tokio::sync::Mutex::new(()),
                tasks: Mutex::default(),
                shutting_down: AtomicBool::new(false),
                in_flight: Mutex::default(),
                next_token: AtomicU64::new(1),
                progress: Mutex::default(),
                refresh_pending: AtomicBool::new(false),
                polling_started: AtomicBool::new(false),
                waiting_requests: Arc::new(tokio::sync::Semaphore::new(WAITING_REQUESTS)),
                validation_generation: Mutex::default(),
            }),
        }
    }

    pub fn lsp(&self) -> &Client {
        &self.inner.lsp
    }

    pub fn store(&self) -> &DocumentStore {
        &self.inner.store
    }

    /// The orchestrator client, or the sentence saying why there is none.
    fn setup(&self) -> Arc<Setup> {
        Arc::clone(&self.inner.setup.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn api(&self) -> Result<orchestrator::Client, String> {
        self.setup().api.clone()
    }

    /// The configured server URL, if any.
    pub fn server(&self) -> Option<String> {
        self.setup().api.as_ref().ok().map(|api| api.server().to_owned())
    }

    pub fn context(&self) -> Option<String> {
        self.setup().context.clone()
    }

    /// Warnings about the user's settings (a credentials file readable by others, a config
    /// file that cannot be read, a server that cannot be used).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = self.setup().warnings.clone();
        warnings.extend(self.inner.timing_warnings.iter().cloned());
        warnings
    }

    /// Reads the settings again when their files changed, so a `stella auth login` or an
    /// edited `~/.stella/config.yaml` takes effect without a restart. Returns the new
    /// warnings, to show, when the settings were read again. What the cache holds is kept
    /// while the server stays the same; only who is signed in is asked again.
    pub fn reload_settings(&self) -> Option<Vec<String>> {
        let current = self.setup();
        if current.fingerprint == Setup::fingerprint() {
            return None;
        }

        let setup = Setup::read();
        let warnings = setup.warnings.clone();
        let same_server = setup.server() == current.server();
        let connection = match self.connection() {
            Connection::Online if same_server => Connection::Online,
            _ => setup.connection(),
        };
        tracing::info!(server = ?setup.server(), "settings read again");
        *self.inner.setup.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(setup);
        self.with_cache(|cache| {
            cache.whoami = None;
            if !same_server {
                cache.version = None;
                cache.environments = None;
                cache.environments_not_before = None;
            }
        });
        self.set_connection(connection);
        Some(warnings)
    }

    pub fn timings(&self) -> &Timings {
        &self.inner.timings
    }

    pub fn capabilities(&self) -> Capabilities {
        lock(&self.inner.capabilities).clone()
    }

    pub fn set_capabilities(&self, capabilities: Capabilities) {
        *lock(&self.inner.capabilities) = capabilities;
    }

    /// Runs `f` on the cache, under its lock (briefly; never across an `.await`).
    pub fn with_cache<T>(&self, f: impl FnOnce(&mut Cache) -> T) -> T {
        f(&mut lock(&self.inner.cache))
    }

    pub fn connection(&self) -> Connection {
        self.with_cache(|cache| cache.connection.clone())
    }

    /// Records how the last call went. A change of what files show (the notice) republishes
    /// every document; coming back online re-runs server-side validation.
    #[allow(clippy::needless_pass_by_value, reason = "callers build the value for this call")]
    pub fn set_connection(&self, connection: Connection) {
        let previous = self.with_cache(|cache| {
            let previous = std::mem::replace(&mut cache.connection, connection.clone());
            if connection != Connection::Online {
                cache.findings.clear();
            }
            previous
        });
        if previous == connection {
            return;
        }

        tracing::info!(?connection, "orchestrator connection changed");
        for uri in self.inner.store.stella_uris() {
            self.inner.scheduler.republish(&uri);
            if connection == Connection::Online {
                self.schedule_validation(&uri);
            }
        }
    }

    /// Records the outcome of a call: offline and signed-out errors change the connection;
    /// any answer at all means the server is reachable, and a success of a call that
    /// carried the token means the user is signed in. Only the poller's version probe goes
    /// without the token, and it runs only while offline or not yet asked.
    pub fn note_outcome<T>(&self, result: &Result<T, ApiError>) {
        match result {
            Err(error) if error.is_offline() => {
                self.set_connection(Connection::Offline(error.to_string()));
            }
            Err(error @ ApiError::NotSignedIn { .. }) => {
                self.set_connection(Connection::SignedOut(error.to_string()));
            }
            Ok(_) => {
                let connection = self.connection();
                if matches!(
                    connection,
                    Connection::Offline(_) | Connection::Unknown | Connection::SignedOut(_)
                ) {
                    self.set_connection(Connection::Online);
                }
            }
            Err(_) => {}
        }
    }

    /// Whether this is the first call: the poller is started once.
    pub fn start_polling(&self) -> bool {
        !self.inner.polling_started.swap(true, Ordering::SeqCst)
    }

    /// A place for one custom request to wait on the orchestrator, or `None` when
    /// [`WAITING_REQUESTS`] already wait.
    pub fn waiting_request(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        Arc::clone(&self.inner.waiting_requests).try_acquire_owned().ok()
    }

    pub fn wake_poller(&self) {
        self.inner.wake.notify_one();
    }

    pub async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    pub async fn poll_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.polling.lock().await
    }

    /// Spawns a task that `shutdown` aborts. After `shutdown` nothing new is spawned.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        if self.is_shutting_down() {
            return;
        }
        let handle = tokio::spawn(task).abort_handle();
        let mut tasks = lock(&self.inner.tasks);
        tasks.retain(|task| !task.is_finished());
        tasks.push(handle);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::SeqCst)
    }

    /// Stops every background task and command flow, then ends every open progress, so the
    /// client is left with no spinner. Called by `shutdown` before it answers.
    pub async fn shut_down(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        for task in lock(&self.inner.tasks).drain(..) {
            task.abort();
        }

        let open: Vec<String> =
            lock(&self.inner.progress).drain().map(|(token, _)| token).collect();
        if open.is_empty() {
            return;
        }
        for token in open {
            crate::lsp::remote::progress::send_end(
                &self.inner.lsp,
                &token,
                "Stopped: the language server is shutting down",
            )
            .await;
        }
        // tower-lsp-server writes notifications and responses from two queues and picks at
        // random when both hold a message. Waiting a moment lets its writer take the `end`s
        // first, so that they reach the client before the answer to `shutdown`.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    /// Claims `key` for a command flow described by `doing`; `Err` with the description of
    /// the flow already running under that key.
    pub fn claim(&self, key: &str, doing: &str) -> Result<(), String> {
        let mut in_flight = lock(&self.inner.in_flight);
        if let Some(running) = in_flight.get(key) {
            return Err(running.clone());
        }
        in_flight.insert(key.to_owned(), doing.to_owned());
        Ok(())
    }

    /// Updates what the flow under `key` is doing (once its release is known).
    pub fn describe(&self, key: &str, doing: &str) {
        if let Some(running) = lock(&self.inner.in_flight).get_mut(key) {
            doing.clone_into(running);
        }
    }

    pub fn release(&self, key: &str) {
        lock(&self.inner.in_flight).remove(key);
    }

    pub fn next_token(&self) -> String {
        format!("stella-{}", self.inner.next_token.fetch_add(1, Ordering::SeqCst))
    }

    pub fn open_progress(&self, token: &str) -> Arc<Cancel> {
        let cancel = Arc::new(Cancel::default());
        lock(&self.inner.progress).insert(token.to_owned(), Arc::clone(&cancel));
        cancel
    }

    /// Forgets a token; false when `shutdown` already ended it.
    pub fn close_progress(&self, token: &str) -> bool {
        lock(&self.inner.progress).remove(token).is_some()
    }

    /// `window/workDoneProgress/cancel`: for any token we created, cancellable or not.
    pub fn cancel_progress(&self, token: &str) {
        let cancel = lock(&self.inner.progress).get(token).cloned();
        if let Some(cancel) = cancel {
            cancel.cancel();
        } else {
            tracing::debug!(token, "cancel for a progress that is not open");
        }
    }

    /// Asks for one lens refresh, merged with any other within a second; only clients that
    /// support it get one, and the answer is never awaited by anyone else.
    pub fn request_lens_refresh(&self) {
        if !self.capabilities().lens_refresh || self.is_shutting_down() {
            return;
        }
        if self.inner.refresh_pending.swap(true, Ordering::SeqCst) {
            return;
        }

        let remote = self.clone();
        self.spawn(async move {
            tokio::time::sleep(remote.timings().refresh_merge).await;
            remote.inner.refresh_pending.store(false, Ordering::SeqCst);
            if remote.is_shutting_down() {
                return;
            }
            if let Err(error) = remote.lsp().code_lens_refresh().await {
                tracing::debug!(%error, "the client refused workspace/codeLens/refresh");
            }
        });
    }

    /// Schedules server-side validation of `uri` after the debounce delay; a later call
    /// for the same uri replaces an earlier one that has not run yet.
    pub fn schedule_validation(&self, uri: &str) {
        if self.api().is_err() {
            return;
        }
        let generation = {
            let mut generations = lock(&self.inner.validation_generation);
            let generation = generations.entry(uri.to_owned()).or_insert(0);
            *generation += 1;
            *generation
        };

        let remote = self.clone();
        let uri = uri.to_owned();
        self.spawn(async move {
            tokio::time::sleep(remote.timings().validate_delay).await;
            let current = lock(&remote.inner.validation_generation).get(&uri).copied();
            if current == Some(generation) {
                crate::lsp::remote::validation::run(&remote, &uri).await;
            }
        });
    }

    /// Stores the orchestrator's findings for `uri` and republishes it when they changed.
    pub fn set_findings(&self, uri: &str, findings: Vec<Finding>) {
        let changed = self.with_cache(|cache| {
            let previous = cache.findings.get(uri);
            let changed = previous != Some(&findings);
            cache.findings.insert(uri.to_owned(), findings);
            changed
        });
        if changed {
            self.inner.scheduler.republish(uri);
        }
    }

    pub fn findings(&self, uri: &str) -> Vec<Finding> {
        self.with_cache(|cache| cache.findings.get(uri).cloned().unwrap_or_default())
    }

    /// Forgets what belongs to a closed document.
    pub fn closed(&self, uri: &str) {
        self.with_cache(|cache| cache.findings.remove(uri));
        lock(&self.inner.validation_generation).remove(uri);
    }

    /// The environment of that name, from the cache.
    pub fn cached_environment(&self, name: &str) -> Option<api::Environment> {
        self.with_cache(|cache| {
            cache
                .environments
                .as_ref()?
                .iter()
                .find(|environment| environment.name == name)
                .cloned()
        })
    }

    /// Whether the cache holds the environments at all.
    pub fn knows_environments(&self) -> bool {
        self.with_cache(|cache| cache.environments.is_some())
    }

    /// The ids of the environments the lens titles show, to tell when a refresh is due.
    pub fn visible_state(environments: &[api::Environment]) -> HashSet<String> {
        environments
            .iter()
            .map(|environment| {
                format!(
                    "{}|{}|{:?}|{:?}|{:?}",
                    environment.name,
                    environment.status,
                    environment.frozen_until,
                    environment.freeze_reason,
                    environment.current_release_id
                )
            })
            .collect()
    }
}
