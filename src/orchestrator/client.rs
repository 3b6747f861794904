//! The HTTP client for the orchestrator: one typed method per call of the contract.
//!
//! Rules every call follows:
//! - The server is checked before any connection: `https://`, or plain `http://` only to
//!   loopback (127.0.0.0/8, `::1`, and the name `localhost` exactly: `localhost.` goes
//!   through DNS like any other name). TLS certificates are always verified (the platform
//!   verifier, with the system's roots).
//! - Every call but `GET /api/v1/cli/version` carries `Authorization: Bearer <token>`,
//!   marked sensitive; without a token it fails with [`ApiError::NotSignedIn`] and sends
//!   nothing.
//! - Redirects are never followed, so the token goes nowhere but the configured server.
//! - A proxy from `HTTPS_PROXY`, `ALL_PROXY` and the like (with `NO_PROXY`) is used for
//!   https, never for loopback; TLS runs through it end to end.
//! - Connect timeout [`Timeouts::connect`], total timeout [`Timeouts::request`]. A log page
//!   instead fails when no byte arrives for [`Timeouts::log_idle`], or when the whole page
//!   takes more than ten times that (so a server that drips cannot hold it for ever).
//! - At most [`MAX_IN_FLIGHT`] requests of one client (and its clones) are in flight; the
//!   others wait for a turn at most as long as their own timeout, then fail with
//!   [`ApiError::Busy`] without being sent. A request's timeout starts once it has a turn.
//! - At most one retry, and only when no connection was made (refused, or the host name
//!   not found): then the request provably never left. Once a request may have been sent it
//!   is never sent again here; a POST whose connection drops before the answer ends in
//!   [`ApiError::NoAnswer`], a GET in [`ApiError::Incomplete`]. A 429 ends in
//!   [`ApiError::RateLimited`]; backing off is the caller's job, but a GET answered 429
//!   with `Retry-After` is not sent to that path again until that time has passed: it fails
//!   at once with [`ApiError::RateLimited`] and the time left.
//! - Statuses other than 200, 201, the 4xx and 5xx errors, and redirects with a `Location`
//!   end in [`ApiError::UnexpectedStatus`]; an answer over 8 MiB in [`ApiError::TooLarge`].
//! - At most one GET of a URL is in flight: a second caller waits for the answer to the
//!   first and shares it.
//! - Logging through `tracing`: one debug line per request (method, path, status, elapsed
//!   ms); at trace, the request headers with the authorization shown as `Bearer ***`.
//!   Server text is scrubbed of the token before it is logged or kept in an error.
//! - Every answer body, success or error, has each occurrence of the token replaced by
//!   `***` before it is parsed, and every string of a JSON answer once more after parsing
//!   (for a token written with JSON escapes), so no value handed on can carry it.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, Shared};
use futures_util::FutureExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::orchestrator::api;
use crate::orchestrator::error::{server_text, ApiError};
use crate::orchestrator::settings::{Settings, Timeouts, Token};

/// How long to wait before the one retry of a connection that was never made.
const RETRY_DELAY: Duration = Duration::from_millis(250);

/// How long an unused connection is kept. Shorter than the idle limit of common servers
/// and load balancers (60 s and more), so that a request is not written to a connection
/// the server is closing: for a POST that would end in [`ApiError::NoAnswer`].
const POOL_IDLE: Duration = Duration::from_secs(20);

/// The longest `Retry-After` honoured. A longer one (a server's mistake, or a number so
/// large that no clock can add it) would stop a background read for good.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// The largest answer read; a bigger one is [`ApiError::TooLarge`].
pub(crate) const MAX_ANSWER_BYTES: usize = 8 << 20;

/// The most requests of one client in flight at once; others wait for a turn.
pub const MAX_IN_FLIGHT: usize = 8;

/// A log page may take this many read-idle timeouts in all.
const LOG_PAGE_CAP: u32 = 10;

/// A client for one server with one token. Cheap to clone: clones share the connection
/// pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// For every call but log pages: a total timeout per request.
    http: reqwest::Client,
    /// For log pages: a read-idle timeout instead of a total one. Its own connection pool.
    logs: reqwest::Client,
    /// One permit per request in flight, [`MAX_IN_FLIGHT`] in all.
    permits: Semaphore,
    /// As configured, for messages: `https://stella.example.com`.
    server: String,
    /// The same, parsed; every request URL is built from it.
    base: Url,
    token: Option<Token>,
    authorization: Option<HeaderValue>,
    timeouts: Timeouts,
    /// GETs in flight, by URL, for callers that ask for the same one meanwhile.
    /// The count of the `Arc` is one more than the callers waiting.
    flights: Mutex<HashMap<String, (Flight, Arc<()>)>>,
    /// Paths answered 429 with `Retry-After`: no GET to them before the instant; the
    /// server's message is kept for the sentence.
    rate_limits: Mutex<HashMap<String, (Instant, String)>>,
}

/// One GET on its way, shared by every caller of the same URL.
type Flight = Shared<BoxFuture<'static, Result<Arc<Answer>, Failure>>>;

/// One caller's share of a [`Flight`]. The last one to go before the answer came takes the
/// flight out of [`Inner::flights`], which drops the request: its turn, its connection,
/// and the client it holds (which would otherwise keep itself alive through the map).
struct Waiting {
    client: Client,
    key: String,
    /// The flight's count of callers, as in [`Inner::flights`].
    token: Arc<()>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let abandoned = {
            let mut flights = lock(&self.client.inner.flights);
            let last = flights.get(&self.key).is_some_and(|(_, waiting)| {
                Arc::ptr_eq(waiting, &self.token) && Arc::strong_count(waiting) == 2
            });
            if last {
                flights.remove(&self.key)
            } else {
                None
            }
        };

        // Dropped once the lock is released: dropping the request takes no lock, but
        // nothing it owns should run while the map is held.
        drop(abandoned);
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.inner.server)
            .field("token", &self.inner.token)
            .field("timeouts", &self.inner.timeouts)
            .finish_non_exhaustive()
    }
}

/// Whether a request needs the bearer token.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    Token,
    None,
}

/// One request, kept so that it can be sent a second time when no connection was made.
#[derive(Clone)]
struct Request {
    method: Method,
    url: Url,
    body: Option<Vec<u8>>,
    auth: Auth,
    budget: Budget,
}

/// How long a request may take.
#[derive(Clone, Copy, Debug)]
enum Budget {
    /// The whole answer within this time.
    Total(Duration),
    /// Each byte within `idle` of the one before (the first within `idle` of sending), and
    /// the whole answer within `cap`.
    Idle { idle: Duration, cap: Duration },
}

impl Budget {
    /// The time whose passing without progress fails the request; also the longest wait
    /// for a turn to send.
    fn limit(self) -> Duration {
        match self {
            Budget::Total(limit) | Budget::Idle { idle: limit, .. } => limit,
        }
    }
}

/// What came back, before the status is looked at.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Why an attempt got no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Failure {
    /// No connection was made and nothing was sent (refused, host not found): the one case
    /// that may be retried.
    NeverConnected(String),
    /// No connection, for a reason a retry will not fix (a TLS failure…).
    NotConnected(String),
    ConnectTimeout,
    /// No (complete) answer within this time.
    Timeout(Duration),
    /// The request may have been sent; the connection ended before a whole answer.
    NoAnswer,
    TooLarge,
    /// No turn to send within the request's limit; nothing was sent.
    Busy,
}

impl Client {
    /// A client for `settings.server`. Fails without connecting when no server is set, the
    /// address is not usable, or it is plain http to a host that is not loopback.
    pub fn new(settings: &Settings) -> Result<Client, ApiError> {
        let Some(server) = settings.server.as_deref() else {
            return Err(ApiError::NotConfigured);
        };
        let server = server.trim_end_matches('/').to_owned();
        let base = checked_base(&server)?;
        let plain = base.scheme() == "http";
        let local = base.host().is_some_and(|host| is_loopback(&host));

        install_crypto_provider();
        let builder = || {
            let mut builder = reqwest::Client::builder()
                .connect_timeout(settings.timeouts.connect)
                .redirect(reqwest::redirect::Policy::none())
                .retry(reqwest::retry::never())
                .user_agent(concat!("stella-lsp/", env!("CARGO_PKG_VERSION")))
                .pool_idle_timeout(POOL_IDLE)
                .http1_only();
            if local {
                // A proxy cannot reach this machine's loopback; `HTTPS_PROXY` and the like
                // are honoured only for other hosts.
                builder = builder.no_proxy();
            }
            if plain {
                // No TLS at all, so the system's certificates need not even be there.
                builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
            }
            builder
        };
        let built = |result: reqwest::Result<reqwest::Client>| {
            result.map_err(|error| ApiError::Unreachable {
                server: server.clone(),
                reason: format!("TLS cannot be set up on this machine: {}", innermost(&error)),
            })
        };
        let http = built(builder().timeout(settings.timeouts.request).build())?;
        let logs = built(builder().read_timeout(settings.timeouts.log_idle).build())?;

        let authorization = settings.token.as_ref().and_then(|token| {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).ok()?;
            value.set_sensitive(true);
            Some(value)
        });

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                logs,
                permits: Semaphore::new(MAX_IN_FLIGHT),
                server,
                base,
                token: settings.token.clone(),
                authorization,
                timeouts: settings.timeouts.clone(),
                flights: Mutex::default(),
                rate_limits: Mutex::default(),
            }),
        })
    }

    /// The server as configured, without a trailing slash.
    pub fn server(&self) -> &str {
        &self.inner.server
    }

    pub fn has_token(&self) -> bool {
        self.inner.token.is_some()
    }

    /// `GET /api/v1/cli/version`, without the token: a cheap reachability probe.
    pub async fn version(&self) -> Result<api::Version, ApiError> {
        let url = self.url(&["cli", "version"], &[]);
        let budget = Budget::Total(self.inner.timeouts.request);
        self.call(Method::GET, url, None, Auth::None, budget).await
    }

    pub async fn whoami(&self) -> Result<api::WhoAmI, ApiError> {
        self.get(&["auth", "whoami"], &[]).await
    }

    /// All environments, in promotion order.
    pub async fn environments(&self) -> Result<Vec<api::Environment>, ApiError> {
        self.get(&["environments"], &[]).await
    }

    /// Releases, newest first; only the fields of `query` that are set are sent.
    pub async fn releases(&self, query: &api::ReleaseQuery) -> Result<Vec<api::Release>, ApiError> {
        let limit = query.limit.map(|limit| limit.to_string());
        let pairs = [
            ("name", query.name.as_deref()),
            ("env", query.env.as_deref()),
            ("status", query.status.as_deref()),
            ("limit", limit.as_deref()),
        ];
        self.get(&["releases"], &pairs).await
    }

    pub async fn release(&self, id: &str) -> Result<api::Release, ApiError> {
        check_id("release", id)?;
        self.get(&["releases", id], &[]).await
    }

    pub async fn create_release(
        &self,
        body: &api::CreateRelease,
    ) -> Result<api::Release, ApiError> {
        self.post(&["releases"], body).await
    }

    pub async fn promote(&self, body: &api::PromotionRequest) -> Result<api::Promotion, ApiError> {
        self.post(&["promotions"], body).await
    }

    /// Recent deployments, newest first; only the fields of `query` that are set are sent.
    pub async fn deployments(
        &self,
        query: &api::DeploymentQuery,
    ) -> Result<Vec<api::Deployment>, ApiError> {
        let limit = query.limit.map(|limit| limit.to_string());
        let pairs = [("env", query.env.as_deref()), ("limit", limit.as_deref())];
        self.get(&["deployments"], &pairs).await
    }

    pub async fn deploy(&self, body: &api::DeployRequest) -> Result<api::Deployment, ApiError> {
        self.post(&["deployments"], body).await
    }

    /// One page of a deployment's log, the lines after sequence number `after`. Fails when
    /// no byte comes for [`Timeouts::log_idle`], or the page takes ten times that in all.
    pub async fn deployment_logs(
        &self,
        id: &str,
        after: Option<u64>,
    ) -> Result<api::LogPage, ApiError> {
        check_id("deployment", id)?;
        let after = after.map(|after| after.to_string());
        let url = self.url(&["deployments", id, "logs"], &[("after", after.as_deref())]);
        let idle = self.inner.timeouts.log_idle;
        let budget = Budget::Idle { idle, cap: idle.saturating_mul(LOG_PAGE_CAP) };
        self.call(Method::GET, url, None, Auth::Token, budget).await
    }

    pub async fn validate(&self, doc: &api::ConfigDocument) -> Result<api::Validation, ApiError> {
        self.post(&["config", "validate"], doc).await
    }

    pub async fn diff(&self, doc: &api::ConfigDocument) -> Result<api::ConfigDiff, ApiError> {
        self.post(&["config", "diff"], doc).await
    }

    /// Applies `doc`, or with `dry_run` only reports what would change.
    pub async fn apply(
        &self,
        doc: &api::ConfigDocument,
        dry_run: bool,
    ) -> Result<api::ApplyResult, ApiError> {
        self.post(&["config", "apply"], &api::ApplyRequest { document: doc, dry_run }).await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, Option<&str>)],
    ) -> Result<T, ApiError> {
        let url = self.url(segments, query);
        let budget = Budget::Total(self.inner.timeouts.request);
        self.call(Method::GET, url, None, Auth::Token, budget).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &B,
    ) -> Result<T, ApiError> {
        let url = self.url(segments, &[]);
        let body = serde_json::to_vec(body).unwrap_or_default();
        let budget = Budget::Total(self.inner.timeouts.request);
        self.call(Method::POST, url, Some(body), Auth::Token, budget).await
    }

    /// `<server>/api/v1/<segments>?<query>`, each segment percent-encoded on its own and
    /// only the query pairs that are set.
    fn url(&self, segments: &[&str], query: &[(&str, Option<&str>)]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["api", "v1"]).extend(segments);
        }

        let pairs: Vec<(&str, &str)> =
            query.iter().filter_map(|&(name, value)| Some((name, value?))).collect();
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        url
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        auth: Auth,
        budget: Budget,
    ) -> Result<T, ApiError> {
        if auth == Auth::Token && self.inner.authorization.is_none() {
            return Err(ApiError::NotSignedIn { server: self.inner.server.clone(), message: None });
        }
        let request = Request { method, url, body, auth, budget };

        if request.method == Method::GET {
            if let Some(error) = self.rate_limited(&request) {
                return Err(error);
            }
        }

        let answer = if request.method == Method::GET {
            self.shared_get(request.clone()).await
        } else {
            self.send(&request).await.map(Arc::new)
        };

        let answer = answer.map_err(|failure| self.failure_error(failure, &request))?;
        if request.method == Method::GET && answer.status == StatusCode::TOO_MANY_REQUESTS {
            self.note_rate_limit(&request, &answer);
        }
        self.decode(&answer)
    }

    /// The answer to a GET of `request.url`: the one already on its way when there is one,
    /// else a new request that later callers of the same URL share. When every caller has
    /// given up (a cancelled flow), the request is dropped at once, with its turn and its
    /// connection, rather than kept for a caller that may never come.
    async fn shared_get(&self, request: Request) -> Result<Arc<Answer>, Failure> {
        let key = request.url.as_str().to_owned();
        let (flight, _waiting) = {
            let mut flights = lock(&self.inner.flights);
            match flights.get(&key) {
                Some((flight, waiting)) if Arc::strong_count(waiting) > 1 => {
                    tracing::debug!(path = request.url.path(), "joining the same GET in flight");
                    let waiting = Waiting {
                        client: self.clone(),
                        key: key.clone(),
                        token: Arc::clone(waiting),
                    };
                    (flight.clone(), waiting)
                }
                _ => {
                    let client = self.clone();
                    let finished_key = key.clone();
                    let waiting = Arc::new(());
                    let finished_waiting = Arc::downgrade(&waiting);
                    let flight = async move {
                        let answer = client.send(&request).await.map(Arc::new);
                        let mut flights = lock(&client.inner.flights);
                        let this_one = flights.get(&finished_key).is_some_and(|(_, waiting)| {
                            finished_waiting
                                .upgrade()
                                .is_some_and(|ours| Arc::ptr_eq(&ours, waiting))
                        });
                        if this_one {
                            flights.remove(&finished_key);
                        }
                        answer
                    }
                    .boxed()
                    .shared();
                    flights.insert(key.clone(), (flight.clone(), Arc::clone(&waiting)));
                    (flight, Waiting { client: self.clone(), key, token: waiting })
                }
            }
        };
        flight.await
    }

    /// Sends `request` once it has a turn, and once more when no connection was made.
    async fn send(&self, request: &Request) -> Result<Answer, Failure> {
        let turn = tokio::time::timeout(request.budget.limit(), self.inner.permits.acquire());
        let Ok(Ok(_permit)) = turn.await else {
            tracing::debug!(
                method = %request.method,
                path = request.url.path(),
                "not sent: no turn among the requests in flight"
            );
            return Err(Failure::Busy);
        };

        match self.attempt(request).await {
            Err(Failure::NeverConnected(reason)) => {
                tracing::debug!(
                    method = %request.method,
                    path = request.url.path(),
                    reason,
                    "no connection was made; trying once more"
                );
                tokio::time::sleep(RETRY_DELAY).await;
                self.attempt(request).await
            }
            other => other,
        }
    }

    /// [`ApiError::RateLimited`] with the time left, while the server's `Retry-After` for
    /// this path has not passed.
    fn rate_limited(&self, request: &Request) -> Option<ApiError> {
        let mut rate_limits = lock(&self.inner.rate_limits);
        let (until, message) = rate_limits.get(request.url.path())?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            rate_limits.remove(request.url.path());
            return None;
        }

        tracing::debug!(path = request.url.path(), ?left, "not sent: the server asked to wait");
        let whole_seconds =
            Duration::from_secs(left.as_secs() + u64::from(left.subsec_nanos() > 0));
        Some(ApiError::RateLimited { retry_after: Some(whole_seconds), message: message.clone() })
    }

    /// Remembers a 429 with `Retry-After`, so that no GET goes to this path before then.
    fn note_rate_limit(&self, request: &Request, answer: &Answer) {
        let Some(after) = retry_after(&answer.headers) else {
            return;
        };
        let (_, message) = self.error_body(answer);
        let message = or_reason(message, answer.status);
        lock(&self.inner.rate_limits)
            .insert(request.url.path().to_owned(), (Instant::now() + after, message));
    }

    /// Sends `request` once and reads the whole answer.
    async fn attempt(&self, request: &Request) -> Result<Answer, Failure> {
        let started = Instant::now();
        let method = &request.method;
        let path = request.url.path();

        let result = match request.budget {
            Budget::Total(_) => self.exchange(request).await,
            Budget::Idle { cap, .. } => tokio::time::timeout(cap, self.exchange(request))
                .await
                .unwrap_or(Err(Failure::Timeout(cap))),
        };

        let elapsed_ms = started.elapsed().as_millis();
        match &result {
            Ok(answer) => {
                let status = answer.status.as_u16();
                tracing::debug!(%method, path, status, elapsed_ms, "stella request");
            }
            Err(failure) => {
                tracing::debug!(%method, path, ?failure, elapsed_ms, "stella request failed");
            }
        }
        result
    }

    /// Sends `request` and reads the whole answer, with the token scrubbed from its body.
    async fn exchange(&self, request: &Request) -> Result<Answer, Failure> {
        let http = match request.budget {
            Budget::Total(_) => &self.inner.http,
            Budget::Idle { .. } => &self.inner.logs,
        };
        let mut builder = http
            .request(request.method.clone(), request.url.clone())
            .header(header::ACCEPT, "application/json");
        if let Budget::Total(limit) = request.budget {
            builder = builder.timeout(limit);
        }
        if request.auth == Auth::Token {
            if let Some(authorization) = &self.inner.authorization {
                builder = builder.header(header::AUTHORIZATION, authorization.clone());
            }
        }
        if let Some(body) = &request.body {
            builder = builder.header(header::CONTENT_TYPE, "application/json").body(body.clone());
        }
        let http_request =
            builder.build().map_err(|error| Failure::NotConnected(innermost(&error)))?;
        tracing::trace!(headers = %self.redacted(http_request.headers()), "stella request headers");

        let limit = request.budget.limit();
        let mut response =
            http.execute(http_request).await.map_err(|error| send_failure(&error, limit))?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let shown = self.redacted(&headers);
        tracing::trace!(status = status.as_u16(), headers = %shown, "stella answer headers");

        let announced = response.content_length().map(usize::try_from);
        if announced.is_some_and(|length| length.map_or(true, |length| length > MAX_ANSWER_BYTES)) {
            return Err(Failure::TooLarge);
        }

        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                        return Err(Failure::TooLarge);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) if error.is_timeout() => return Err(Failure::Timeout(limit)),
                Err(_) => return Err(Failure::NoAnswer),
            }
        }

        let body = scrubbed_body(body, self.inner.token.as_ref());
        Ok(Answer { status, headers, body })
    }

    fn failure_error(&self, failure: Failure, request: &Request) -> ApiError {
        let server = self.inner.server.clone();
        match failure {
            Failure::NeverConnected(reason) | Failure::NotConnected(reason) => {
                ApiError::Unreachable { server, reason: self.scrub(&reason) }
            }
            Failure::ConnectTimeout => ApiError::Timeout {
                server,
                after: self.inner.timeouts.connect.min(request.budget.limit()),
            },
            Failure::Timeout(after) => ApiError::Timeout { server, after },
            Failure::NoAnswer if request.method == Method::GET => ApiError::Incomplete { server },
            Failure::NoAnswer => ApiError::NoAnswer { server },
            Failure::TooLarge => ApiError::TooLarge { server },
            Failure::Busy => ApiError::Busy { server },
        }
    }

    /// The answer as `T`, or the error its status stands for.
    fn decode<T: DeserializeOwned>(&self, answer: &Answer) -> Result<T, ApiError> {
        let server = self.inner.server.clone();
        let status = answer.status;

        // The contract answers 200, or 201 for what a POST creates.
        if matches!(status.as_u16(), 200 | 201) {
            return self.parsed(&answer.body);
        }

        if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
            let location = answer.headers.get(header::LOCATION).filter(|value| !value.is_empty());
            if let Some(location) = location {
                let location = self.scrub(&String::from_utf8_lossy(location.as_bytes()));
                return Err(ApiError::Redirected { server, location });
            }
        }

        let (code, message) = self.error_body(answer);
        let error = match status.as_u16() {
            401 => {
                ApiError::NotSignedIn { server, message: (!message.is_empty()).then_some(message) }
            }
            403 => ApiError::Forbidden { server, message: or_reason(message, status) },
            404 => ApiError::NotFound { message: or_reason(message, status) },
            409 => ApiError::Conflict { code, message: or_reason(message, status) },
            429 => ApiError::RateLimited {
                retry_after: retry_after(&answer.headers),
                message: or_reason(message, status),
            },
            400..=499 => ApiError::Rejected {
                status: status.as_u16(),
                code,
                message: or_reason(message, status),
            },
            500..=599 => ApiError::Server {
                server,
                status: status.as_u16(),
                message: or_reason(message, status),
            },
            other => ApiError::UnexpectedStatus { server, status: other },
        };
        Err(error)
    }

    /// A success body as `T`. Every string in it (keys too) is scrubbed of the token once
    /// more, in case the server wrote it with JSON escapes.
    fn parsed<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, ApiError> {
        let malformed = |error: serde_json::Error| ApiError::Malformed {
            server: self.inner.server.clone(),
            detail: self.scrub(&error.to_string()),
        };

        let mut value: Value = serde_json::from_slice(body).map_err(malformed)?;
        if let Some(token) = self.inner.token.as_ref().map(Token::expose) {
            if !token.is_empty() {
                scrub_value(&mut value, token);
            }
        }

        T::deserialize(value).map_err(malformed)
    }

    /// The `code` and `message` of a contract error body, scrubbed; empty strings when the
    /// body is not one.
    fn error_body(&self, answer: &Answer) -> (String, String) {
        match serde_json::from_slice::<api::ErrorBody>(&answer.body) {
            Ok(body) => (self.scrub(&body.error.code), self.scrub(&body.error.message)),
            Err(_) => (String::new(), String::new()),
        }
    }

    fn scrub(&self, text: &str) -> String {
        server_text(text, self.inner.token.as_ref())
    }

    fn redacted<'a>(&'a self, headers: &'a HeaderMap) -> Redacted<'a> {
        Redacted { headers, token: self.inner.token.as_ref() }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The server's message, or the reason phrase of the status when it sent none.
fn or_reason(message: String, status: StatusCode) -> String {
    if !message.is_empty() {
        return message;
    }
    status.canonical_reason().map_or_else(|| format!("HTTP {}", status.as_u16()), str::to_owned)
}

/// `Retry-After` in seconds, at most [`MAX_RETRY_AFTER`]; the HTTP-date form is not used by
/// Stella and reads as unknown.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse().ok().map(|seconds| Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// The server as a base URL, or why it cannot be used. Plain http is accepted only to
/// loopback, so the token never crosses a network in clear text.
fn checked_base(server: &str) -> Result<Url, ApiError> {
    let invalid = |url: &str, reason: &str| ApiError::InvalidServer {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };

    let url = match Url::parse(server) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            return Err(invalid(server, "it does not start with https://"));
        }
        Err(error) => return Err(invalid(server, &error.to_string())),
    };
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(invalid(
            shown.as_str(),
            "a user name or password does not belong in the address; set STELLA_TOKEN instead",
        ));
    }
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid(server, "it does not start with https://"));
    }
    let Some(host) = url.host() else {
        return Err(invalid(server, "it names no host"));
    };
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(server, "a server address has no query (`?`) or fragment (`#`)"));
    }

    if url.scheme() == "http" && !is_loopback(&host) {
        return Err(ApiError::InsecureServer { url: server.to_owned() });
    }
    Ok(url)
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        // Only the name itself: `localhost.` is a fully qualified name that resolvers send
        // to DNS, which may answer with any address.
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(address) => address.is_loopback(),
        url::Host::Ipv6(address) => address.is_loopback(),
    }
}

/// Ids go into the path as one segment; `.` and `..` would move up the path instead, and
/// an empty one would name the collection.
fn check_id(kind: &str, id: &str) -> Result<(), ApiError> {
    if matches!(id, "" | "." | "..") {
        return Err(ApiError::NotFound { message: format!("`{id}` is not a {kind} id") });
    }
    Ok(())
}

/// rustls needs one crypto provider per process; this crate uses ring. A provider that
/// something else installed first is kept.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `body` with every occurrence of the token replaced by `***`.
fn scrubbed_body(body: Vec<u8>, token: Option<&Token>) -> Vec<u8> {
    let Some(token) = token.map(Token::expose).filter(|token| !token.is_empty()) else {
        return body;
    };
    let finder = memchr::memmem::Finder::new(token.as_bytes());
    if finder.find(&body).is_none() {
        return body;
    }

    let mut scrubbed = Vec::with_capacity(body.len());
    let mut start = 0;
    for found in finder.find_iter(&body) {
        scrubbed.extend_from_slice(&body[start..found]);
        scrubbed.extend_from_slice(b"***");
        start = found + token.len();
    }
    scrubbed.extend_from_slice(&body[start..]);
    scrubbed
}

/// Replaces `token` by `***` in every string and key of `value`.
fn scrub_value(value: &mut Value, token: &str) {
    match value {
        Value::String(text) if text.contains(token) => *text = text.replace(token, "***"),
        Value::Array(items) => items.iter_mut().for_each(|item| scrub_value(item, token)),
        Value::Object(map) => {
            if map.keys().any(|key| key.contains(token)) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(key, item)| (key.replace(token, "***"), item))
                    .collect();
            }
            map.values_mut().for_each(|item| scrub_value(item, token));
        }
        _ => {}
    }
}

/// What stopped a request that got no answer; `limit` is the time it was given.
fn send_failure(error: &reqwest::Error, limit: Duration) -> Failure {
    if error.is_timeout() {
        return if error.is_connect() { Failure::ConnectTimeout } else { Failure::Timeout(limit) };
    }
    if error.is_connect() {
        return connect_failure(error, error.is_dns());
    }
    Failure::NoAnswer
}

/// Why a connection could not be made, from the chain of causes: refused and host not
/// found may be retried, since nothing was sent; TLS failures say what failed.
fn connect_failure(error: &(dyn std::error::Error + 'static), dns: bool) -> Failure {
    if dns {
        return Failure::NeverConnected("host name not found".to_owned());
    }

    for cause in causes(error) {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Failure::NotConnected(match tls {
                rustls::Error::InvalidCertificate(_) => {
                    format!("its TLS certificate is not trusted: {tls}")
                }
                _ => format!("TLS handshake failed: {tls}"),
            });
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return Failure::NeverConnected("connection refused".to_owned());
                }
                std::io::ErrorKind::ConnectionReset => {
                    return Failure::NotConnected("the connection was reset".to_owned());
                }
                // Only TLS reads during a connect: the server closed it mid-handshake.
                std::io::ErrorKind::UnexpectedEof => {
                    return Failure::NotConnected(
                        "TLS handshake failed: the server closed the connection".to_owned(),
                    );
                }
                _ => {}
            }
        }
    }
    Failure::NotConnected(innermost(error))
}

/// `error` and its causes, outermost first. An `io::Error` wrapping another error counts
/// the wrapped one as its cause (`io::Error::source` skips it).
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |&cause| {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                return Some(inner as &(dyn std::error::Error + 'static));
            }
        }
        cause.source()
    })
}

/// The innermost cause's text: the one that says what happened (`Network is
/// unreachable`), not the wrapper's (`error sending request`).
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    causes(error).last().map(ToString::to_string).unwrap_or_default()
}

/// Headers for a trace line: sensitive values (the authorization above all) hidden, and
/// the token scrubbed from the others (a server may echo it in a `Location`).
struct Redacted<'a> {
    headers: &'a HeaderMap,
    token: Option<&'a Token>,
}

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (name, value)) in self.headers.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            if name == header::AUTHORIZATION {
                write!(f, "{name}: Bearer ***")?;
            } else if value.is_sensitive()
                || name == header::PROXY_AUTHORIZATION
                || name == header::COOKIE
                || name == header::SET_COOKIE
            {
                write!(f, "{name}: ***")?;
            } else {
                write!(
                    f,
                    "{name}: {}",
                    server_text(&String::from_utf8_lossy(value.as_bytes()), self.token)
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    /// An error with a cause, like the wrappers of hyper and reqwest.
    #[derive(Debug)]
    struct Wrapper(Box<dyn std::error::Error + Send + Sync + 'static>);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("error sending request")
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&*self.0)
        }
    }

    #[test]
    fn only_refused_and_unknown_hosts_may_be_retried() {
        let refused = Wrapper(Box::new(io::Error::from(io::ErrorKind::ConnectionRefused)));
        assert_eq!(
            connect_failure(&refused, false),
            Failure::NeverConnected("connection refused".into())
        );
        let unknown = Wrapper(Box::new(io::Error::other("failed to lookup address")));
        assert_eq!(
            connect_failure(&unknown, true),
            Failure::NeverConnected("host name not found".into())
        );

        let reset = Wrapper(Box::new(io::Error::from(io::ErrorKind::ConnectionReset)));
        assert_eq!(
            connect_failure(&reset, false),
            Failure::NotConnected("the connection was reset".into())
        );
        let unreachable = Wrapper(Box::new(io::Error::other("Network is unreachable")));
        assert_eq!(
            connect_failure(&unreachable, false),
            Failure::NotConnected("Network is unreachable".into())
        );
    }

    #[test]
    fn tls_failures_say_what_failed() {
        let untrusted = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let error = Wrapper(Box::new(io::Error::new(io::ErrorKind::InvalidData, untrusted)));
        let Failure::NotConnected(reason) = connect_failure(&error, false) else {
            panic!("a TLS failure is not retried");
        };
        assert!(reason.starts_with("its TLS certificate is not trusted: "), "{reason}");

        let handshake = rustls::Error::General("bad".into());
        let error = Wrapper(Box::new(io::Error::new(io::ErrorKind::InvalidData, handshake)));
        let Failure::NotConnected(reason) = connect_failure(&error, false) else {
            panic!("a TLS failure is not retried");
        };
        assert!(reason.starts_with("TLS handshake failed: "), "{reason}");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for server in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:9000",
            "http://localhost:1",
            "http://LOCALHOST/",
            "https://stella.example.com",
            "https://stella.example.com/prefix",
        ] {
            assert!(checked_base(server).is_ok(), "{server}");
        }

        for server in [
            "http://stella.invalid",
            "http://10.0.0.1",
            "http://[::ffff:127.0.0.1]",
            "http://localhost.example",
            "http://localhost.:8080",
            "http://LOCALHOST./",
        ] {
            let error = checked_base(server).unwrap_err();
            assert!(matches!(error, ApiError::InsecureServer { .. }), "{server}: {error}");
        }
    }

    #[test]
    fn unusable_addresses_say_why_without_showing_a_password() {
        let sentence = |server| checked_base(server).unwrap_err().to_string();
        assert_eq!(
            sentence("stella.example.com"),
            "The Stella server address stella.example.com is not usable: it does not start with https://"
        );
        assert_eq!(
            sentence("ftp://stella.example.com"),
            "The Stella server address ftp://stella.example.com is not usable: it does not start with https://"
        );
        let with_password = sentence("https://jane:hunter2@stella.example.com");
        assert!(!with_password.contains("hunter2"), "{with_password}");
        assert!(with_password.contains("https://stella.example.com/"), "{with_password}");
    }

    #[test]
    fn urls_encode_each_segment_and_set_query_pairs_only() {
        let settings = Settings {
            server: Some("https://stella.example.com/base/".into()),
            context: None,
            token: None,
            timeouts: Timeouts::default(),
            warnings: Vec::new(),
            config_path: "config.yaml".into(),
        };
        let client = Client::new(&settings).unwrap();
        assert_eq!(client.server(), "https://stella.example.com/base");
        assert_eq!(
            client.url(&["releases", "a/b c"], &[("name", Some("my app")), ("env", None)]).as_str(),
            "https://stella.example.com/base/api/v1/releases/a%2Fb%20c?name=my+app"
        );
    }

    #[test]
    fn headers_in_traces_hide_the_token() {
        let mut headers = HeaderMap::new();
        let mut value = HeaderValue::from_static("Bearer stl_secret");
        value.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, value);
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        headers
            .insert(header::LOCATION, HeaderValue::from_static("https://a.example/?t=stl_secret"));
        let token = Token::new("stl_secret".into());
        assert_eq!(
            Redacted { headers: &headers, token: Some(&token) }.to_string(),
            "authorization: Bearer ***, accept: application/json, location: https://a.example/?t=***"
        );
    }
}
