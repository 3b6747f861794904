//! A fake Stella orchestrator on 127.0.0.1 for tests: a small HTTP/1.1 server on std
//! threads that follows `shared/api/stella-api.yaml`, records every request, and can be
//! told to answer any route differently (an error, a delay, silence, a dropped connection,
//! a body that drips or stalls). It also counts the requests it is answering at once.
//!
//! Every route but `GET /api/v1/cli/version` wants `Authorization: Bearer` [`TOKEN`] and
//! answers 401 without it. Routes set with [`Fake::on`] answer as told, token or not.
//! Connections are kept alive (several requests each, bodies by `Content-Length`) unless the
//! client sends `Connection: close`. The server stops accepting when the `Fake` is dropped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The token the fake accepts.
pub const TOKEN: &str = "stl_TESTTOKEN_0123456789";

/// How long a connection may sit idle before the fake closes it, so that no thread lingers.
const IDLE: Duration = Duration::from_secs(60);

pub struct Fake {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    state: Arc<State>,
    stopped: Arc<AtomicBool>,
    port: u16,
}

/// One request as the fake read it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Without the query.
    pub path: String,
    pub query: Option<String>,
    /// Names in lower case, in the order they came.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// When the fake had read the whole request.
    pub at: Instant,
}

impl Recorded {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(key, _)| *key == name).map(|(_, value)| value.as_str())
    }

    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| {
            panic!("the body of {} {} is not JSON: {error}", self.method, self.path)
        })
    }
}

/// How the fake answers.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A JSON body with this status.
    Json(u16, Value),
    /// Exactly this; `Content-Length` is added.
    Raw { status: u16, headers: Vec<(String, String)>, body: String },
    /// Waits, then answers.
    Delay(Duration, Box<Reply>),
    /// Reads the request and never answers, keeping the connection open.
    Blackhole,
    /// Reads the whole request, then closes the connection without answering.
    ResetAfterBody,
    /// One reply per call of the route; the last repeats.
    Sequence(Vec<Reply>),
    /// Sends the head (with a `Content-Length` for all of `body`) and `body` but its last
    /// `dripped` bytes at once, then those bytes one at a time, `every` apart.
    Drip { status: u16, body: String, every: Duration, dripped: usize },
    /// Sends the head (with a `Content-Length` for all of `body`) and the first `sent` bytes
    /// of `body`, then nothing more, keeping the connection open until the client closes it.
    Stall { status: u16, body: String, sent: usize },
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    /// Signalled on every new request.
    arrived: Condvar,
    routes: Mutex<HashMap<(String, String), Route>>,
    /// Requests read and not yet answered in full.
    in_flight: AtomicUsize,
    /// The most there ever were in flight at once.
    most_in_flight: AtomicUsize,
}

struct Route {
    reply: Reply,
    calls: usize,
}

/// What to do with the connection after a reply.
enum After {
    KeepOpen,
    Close,
}

impl Fake {
    /// A fake on a free port with the default routes.
    pub fn start() -> Fake {
        Fake::listen(TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1"))
    }

    /// A fake on `port` of 127.0.0.1 (for a port a test knew to be closed until now).
    pub fn start_on(port: u16) -> Fake {
        Fake::listen(TcpListener::bind(("127.0.0.1", port)).expect("the port is free"))
    }

    fn listen(listener: TcpListener) -> Fake {
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let stopped = Arc::new(AtomicBool::new(false));

        let accept_state = Arc::clone(&state);
        let accept_stopped = Arc::clone(&stopped);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else {
                    continue;
                };
                let state = Arc::clone(&accept_state);
                thread::spawn(move || serve(stream, &state));
            }
        });

        Fake { url: format!("http://127.0.0.1:{port}"), state, stopped, port }
    }

    /// Answers `method path` (exact path, any query) with `reply` from now on.
    pub fn on(&self, method: &str, path: &str, reply: Reply) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert((method.to_owned(), path.to_owned()), Route { reply, calls: 0 });
    }

    /// Every request so far, in the order they were read.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The most requests the fake was answering at once (from the end of reading one to
    /// the end of its reply) since it started.
    pub fn most_in_flight(&self) -> usize {
        self.state.most_in_flight.load(Ordering::SeqCst)
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        let requests = self.state.requests.lock().unwrap();
        requests.iter().filter(|request| request.method == method && request.path == path).count()
    }

    /// Waits until `n` requests to `method path` have arrived; false after `timeout`.
    pub fn wait_for(&self, method: &str, path: &str, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut requests = self.state.requests.lock().unwrap();
        loop {
            let seen = requests
                .iter()
                .filter(|request| request.method == method && request.path == path)
                .count();
            if seen >= n {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            requests = self.state.arrived.wait_timeout(requests, deadline - now).unwrap().0;
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// `http://127.0.0.1:P` where nothing listens: a port that was free a moment ago.
pub fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Reads requests off one connection and answers them until it closes.
fn serve(stream: TcpStream, state: &State) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;

    while let Some(request) = read_request(&mut reader) {
        let close =
            request.header("connection").is_some_and(|value| value.eq_ignore_ascii_case("close"));
        let reply = state.reply_for(&request);
        let in_flight = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.most_in_flight.fetch_max(in_flight, Ordering::SeqCst);
        state.record(request);

        let after = answer(&mut writer, &mut reader, &reply);
        state.in_flight.fetch_sub(1, Ordering::SeqCst);
        match after {
            After::KeepOpen if !close => {}
            _ => break,
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
}

impl State {
    fn record(&self, request: Recorded) {
        self.requests.lock().unwrap().push(request);
        self.arrived.notify_all();
    }

    fn reply_for(&self, request: &Recorded) -> Reply {
        let mut routes = self.routes.lock().unwrap();
        let Some(route) = routes.get_mut(&(request.method.clone(), request.path.clone())) else {
            return default_reply(request);
        };
        let call = route.calls;
        route.calls += 1;
        match &route.reply {
            Reply::Sequence(replies) if !replies.is_empty() => {
                replies[call.min(replies.len() - 1)].clone()
            }
            reply => reply.clone(),
        }
    }
}

/// One request, or `None` at the end of the connection (or on anything unreadable).
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Recorded> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();

    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }

    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map_or(Some(0), |(_, value)| value.parse::<usize>().ok())?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;

    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (target, None),
    };
    Some(Recorded {
        method,
        path,
        query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    })
}

fn answer(writer: &mut TcpStream, reader: &mut BufReader<TcpStream>, reply: &Reply) -> After {
    match reply {
        Reply::Json(status, body) => {
            let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
            write_reply(writer, *status, &headers, &body.to_string())
        }
        Reply::Raw { status, headers, body } => write_reply(writer, *status, headers, body),
        Reply::Delay(delay, reply) => {
            thread::sleep(*delay);
            answer(writer, reader, reply)
        }
        Reply::Blackhole => {
            // Keeps the connection open, saying nothing, until the client gives up.
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
            After::Close
        }
        Reply::ResetAfterBody => After::Close,
        Reply::Sequence(replies) => match replies.first() {
            Some(first) => answer(writer, reader, first),
            None => After::Close,
        },
        Reply::Drip { status, body, every, dripped } => {
            let (at_once, drops) = body.as_bytes().split_at(body.len() - dripped);
            let mut bytes = head(*status, &[], body.len()).into_bytes();
            bytes.extend_from_slice(at_once);
            if writer.write_all(&bytes).is_err() {
                return After::Close;
            }
            for byte in drops {
                thread::sleep(*every);
                if writer.write_all(&[*byte]).and_then(|()| writer.flush()).is_err() {
                    return After::Close;
                }
            }
            After::KeepOpen
        }
        Reply::Stall { status, body, sent } => {
            let mut bytes = head(*status, &[], body.len()).into_bytes();
            bytes.extend_from_slice(&body.as_bytes()[..*sent]);
            let _ = writer.write_all(&bytes);
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
            After::Close
        }
    }
}

/// The status line and headers, with a `Content-Length` of `length`, and the blank line.
fn head(status: u16, headers: &[(String, String)], length: usize) -> String {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "Content-Length: {length}\r\n\r\n");
    head
}

fn write_reply(
    writer: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> After {
    let mut head = head(status, headers, body.len());
    head.push_str(body);

    // One write, so that Nagle's algorithm does not hold the body back.
    if writer.write_all(head.as_bytes()).and_then(|()| writer.flush()).is_ok() {
        After::KeepOpen
    } else {
        After::Close
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::Json(status, json!({"error": {"code": code, "message": message}}))
}

/// The release every default route knows.
pub fn release() -> Value {
    json!({
        "id": "rel-abc123",
        "name": "my-service",
        "version": "1.2.0",
        "status": "ready",
        "created_at": "2026-12-01T10:00:00Z",
        "environments": ["development", "staging"],
        "components": [
            {"name": "api", "image": "registry.example.com/my-service/api", "tag": "1.2.0"}
        ]
    })
}

fn empty_diff() -> Value {
    json!({
        "added_components": [],
        "removed_components": [],
        "modified_components": [],
        "added_environments": [],
        "removed_environments": []
    })
}

/// The one deployment the fake knows, finished.
pub fn deployment() -> Value {
    json!({
        "id": "dep-1",
        "release_id": "rel-abc123",
        "environment_id": "env-stg",
        "strategy": "rolling",
        "status": "succeeded",
        "started_at": "2026-12-04T10:00:00Z"
    })
}

/// The answers of the contract, for a server with one release in development and staging.
fn default_reply(request: &Recorded) -> Reply {
    let method = request.method.as_str();
    let path = request.path.as_str();

    if (method, path) == ("GET", "/api/v1/cli/version") {
        return Reply::Json(200, json!({"server_version": "2.4.1", "api_version": "1.0"}));
    }
    if request.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return error(401, "unauthorized", "missing or invalid token");
    }

    let body = || serde_json::from_str::<Value>(&request.body).unwrap_or(Value::Null);
    match (method, path) {
        ("GET", "/api/v1/auth/whoami") => {
            Reply::Json(200, json!({"user": "jane@example.com", "organization": "acme-corp"}))
        }
        ("GET", "/api/v1/environments") => Reply::Json(
            200,
            json!([
                {"id": "env-dev", "name": "development", "promotion_order": 1, "status": "active", "current_release_id": "rel-abc123"},
                {"id": "env-stg", "name": "staging", "promotion_order": 2, "status": "active", "current_release_id": "rel-abc123"},
                {"id": "env-prd", "name": "production", "promotion_order": 3, "status": "active", "current_release_id": null}
            ]),
        ),
        ("GET", "/api/v1/releases") => Reply::Json(200, json!([release()])),
        ("GET", "/api/v1/releases/rel-abc123") => Reply::Json(200, release()),
        ("GET", _) if path.starts_with("/api/v1/releases/") => {
            let id = &path["/api/v1/releases/".len()..];
            error(404, "not_found", &format!("release {id} not found"))
        }
        ("POST", "/api/v1/releases") => {
            let body = body();
            Reply::Json(
                201,
                json!({
                    "id": "rel-new001",
                    "name": body["name"],
                    "version": body["version"],
                    "status": "draft",
                    "created_at": "2026-12-04T10:00:00Z",
                    "components": body["components"]
                }),
            )
        }
        ("POST", "/api/v1/promotions") => {
            let body = body();
            Reply::Json(
                201,
                json!({
                    "id": "pro-1",
                    "release_id": body["release_id"],
                    "target_environment_id": body["target_environment_id"],
                    "status": "pending_approval"
                }),
            )
        }
        ("GET", "/api/v1/deployments") => Reply::Json(200, json!([deployment()])),
        ("POST", "/api/v1/deployments") => {
            let body = body();
            let strategy = body.get("strategy").cloned().unwrap_or_else(|| json!("rolling"));
            Reply::Json(
                201,
                json!({
                    "id": "dep-1",
                    "release_id": body["release_id"],
                    "environment_id": body["environment_id"],
                    "strategy": strategy,
                    "status": "queued"
                }),
            )
        }
        ("GET", "/api/v1/deployments/dep-1/logs") => {
            let after = request
                .query
                .as_deref()
                .unwrap_or("")
                .split('&')
                .find_map(|pair| pair.strip_prefix("after="))
                .and_then(|after| after.parse::<u64>().ok())
                .unwrap_or(0);
            let lines: Vec<Value> = [
                json!({"seq": 1, "timestamp": "2026-12-04T10:00:00Z", "level": "info", "step": "pull", "message": "pulling images"}),
                json!({"seq": 2, "timestamp": "2026-12-04T10:00:05Z", "level": "info", "step": "rollout", "message": "rollout complete"}),
            ]
            .into_iter()
            .filter(|line| line["seq"].as_u64().unwrap() > after)
            .collect();
            Reply::Json(200, json!({"complete": true, "lines": lines}))
        }
        ("POST", "/api/v1/config/validate") => {
            Reply::Json(200, json!({"valid": true, "errors": []}))
        }
        ("POST", "/api/v1/config/diff") => Reply::Json(200, empty_diff()),
        ("POST", "/api/v1/config/apply") => {
            let dry_run = body()["dry_run"].as_bool().unwrap_or(false);
            Reply::Json(200, json!({"applied": !dry_run, "diff": empty_diff()}))
        }
        _ => error(404, "not_found", &format!("no route for {method} {path}")),
    }
}
