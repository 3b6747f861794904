//! A small LSP client for tests: Content-Length framing over any async pipe, either to the
//! built binary (`stella-lsp serve` over stdio) or to the server built in-process over
//! `tokio::io::duplex`.
//!
//! A reader task answers every server-to-client request with `null` and queues everything
//! else. Every wait has a timeout, so no test hangs.
#![allow(dead_code, reason = "each test file uses a different part of the harness")]
#![allow(clippy::needless_pass_by_value, reason = "`json!` arguments read better by value")]

pub mod editor;
pub mod fake;
pub mod git;
pub mod orchestrated;

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{json, Value};
use stella_lsp::lsp::store::DocumentStore;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(20);

pub const URI: &str = "file:///nonexistent-stella-test/w/.stella.yaml";

/// B01-2: `REL` + `COMP` with the `image` key repeated.
pub const DUPLICATE_IMAGE: &str = "release:
  name: app
  tag_pattern: \"v*\"
  version_pattern: \"v{version}\"
components:
  - name: api
    image: registry.example/api
    image: registry.example/api2
    dockerfile: Dockerfile
    build_context: .
";

/// `REL` + `COMP` from the cases README: a complete valid `.stella.yaml` (9 lines).
pub const REL_COMP: &str = "release:
  name: app
  tag_pattern: \"v*\"
  version_pattern: \"v{version}\"
components:
  - name: api
    image: registry.example/api
    dockerfile: Dockerfile
    build_context: .
";

/// How the test client answers a request from the server: `Some(result)` answers with
/// that result (`{"error": …}` objects answer with an error), `None` never answers.
pub type Answer = Box<dyn Fn(&Value) -> Option<Value> + Send + Sync>;

pub struct TestClient {
    outgoing: mpsc::UnboundedSender<Vec<u8>>,
    answer: std::sync::Arc<std::sync::Mutex<Answer>>,
    incoming: mpsc::UnboundedReceiver<Value>,
    /// Every message read from the server, in order, consumed or not.
    transcript: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    /// Messages read but not yet consumed by a wait.
    buffered: VecDeque<Value>,
    next_id: i64,
    /// The server process, when testing the binary; killed when the client is dropped.
    child: Option<tokio::process::Child>,
}

impl TestClient {
    /// Starts the built binary as `stella-lsp serve`.
    pub fn binary() -> TestClient {
        TestClient::launch(&Launch::default())
    }

    /// Starts the built binary with its environment cleared of every `STELLA_…` variable
    /// and `HOME`, then set as `launch` says.
    pub fn launch(launch: &Launch) -> TestClient {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_stella-lsp"));
        for (name, _) in std::env::vars() {
            if name.starts_with("STELLA_") || name == "HOME" || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        for (name, value) in &launch.env {
            command.env(name, value);
        }
        if let Some(directory) = &launch.cwd {
            command.current_dir(directory);
        }
        let stderr = match &launch.stderr {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("the log file opens")),
            None => Stdio::inherit(),
        };
        let mut child = command
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .expect("the server binary starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();

        let mut client = TestClient::over(stdout, stdin);
        client.child = Some(child);
        client
    }

    /// Builds the server in this process (on the current multi-thread runtime) and returns
    /// a client for it and a handle to its documents.
    pub fn in_process() -> (TestClient, DocumentStore) {
        let (service, socket, store) = stella_lsp::lsp::build();
        let (client_io, server_io) = tokio::io::duplex(1 << 16);
        let (server_read, server_write) = tokio::io::split(server_io);
        tokio::spawn(
            tower_lsp_server::Server::new(server_read, server_write, socket).serve(service),
        );

        let (client_read, client_write) = tokio::io::split(client_io);
        (TestClient::over(client_read, client_write), store)
    }

    fn over<R, W>(reader: R, writer: W) -> TestClient
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let (incoming_tx, incoming) = mpsc::unbounded_channel();
        let answer: std::sync::Arc<std::sync::Mutex<Answer>> =
            std::sync::Arc::new(std::sync::Mutex::new(Box::new(|_| Some(Value::Null))));
        let transcript = std::sync::Arc::default();
        tokio::spawn(write_loop(writer, outgoing_rx));
        tokio::spawn(read_loop(
            reader,
            incoming_tx,
            outgoing.clone(),
            answer.clone(),
            std::sync::Arc::clone(&transcript),
        ));

        TestClient {
            outgoing,
            answer,
            incoming,
            transcript,
            buffered: VecDeque::new(),
            next_id: 0,
            child: None,
        }
    }

    /// Sets how requests from the server are answered from now on (by default: `null`).
    pub fn answer_with(&self, answer: impl Fn(&Value) -> Option<Value> + Send + Sync + 'static) {
        *self.answer.lock().unwrap() = Box::new(answer);
    }

    /// Every message read from the server so far, consumed by a wait or not, in order.
    pub fn transcript(&self) -> Vec<Value> {
        self.transcript.lock().unwrap().clone()
    }

    /// Every message read so far and not consumed, without waiting.
    pub fn drain(&mut self) -> Vec<Value> {
        while let Ok(message) = self.incoming.try_recv() {
            self.buffered.push_back(message);
        }
        self.buffered.drain(..).collect()
    }

    /// Every message that arrives within `quiet` of the one before (or of now).
    pub async fn collect_for(&mut self, quiet: Duration) -> Vec<Value> {
        let mut messages: Vec<Value> = self.buffered.drain(..).collect();
        while let Ok(Some(message)) = timeout(quiet, self.incoming.recv()).await {
            messages.push(message);
        }
        messages
    }

    /// The pid of the server process, when testing the binary.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(tokio::process::Child::id)
    }

    /// Sends bytes as they are, framing and all (for malformed input).
    pub fn send_raw(&self, bytes: &[u8]) {
        assert!(!bytes.is_empty(), "an empty write closes the input; see `close_input`");
        self.outgoing.send(bytes.to_vec()).expect("the writer is running");
    }

    /// Closes the server's input, as happens when the editor dies: nothing can be sent
    /// after this.
    pub fn close_input(&self) {
        self.outgoing.send(Vec::new()).expect("the writer is running");
    }

    pub fn notify(&self, method: &str, params: Value) {
        let message = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.outgoing.send(frame(&message)).expect("the writer is running");
    }

    /// Sends a request without waiting; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let message =
            json!({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params});
        self.outgoing.send(frame(&message)).expect("the writer is running");
        self.next_id
    }

    /// Sends a request and returns its whole response (with `result` or `error`).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.wait_for(&format!("response {id}"), |message| {
            message.get("method").is_none() && message["id"] == json!(id)
        })
        .await
    }

    /// `initialize` (offering `encodings` in `general.positionEncodings` when given, and
    /// `extra` capabilities merged in), then `initialized`. Returns the `InitializeResult`.
    pub async fn initialize_with(&mut self, encodings: Option<&[&str]>, extra: Value) -> Value {
        let mut capabilities = json!({});
        if let Some(encodings) = encodings {
            capabilities["general"] = json!({"positionEncodings": encodings});
        }
        if let (Some(capabilities), Some(extra)) = (capabilities.as_object_mut(), extra.as_object())
        {
            capabilities.extend(extra.clone());
        }

        let response = self
            .request(
                "initialize",
                json!({"processId": null, "rootUri": null, "capabilities": capabilities}),
            )
            .await;
        self.notify("initialized", json!({}));
        response["result"].clone()
    }

    pub async fn initialize(&mut self) -> Value {
        self.initialize_with(None, json!({})).await
    }

    pub fn did_open(&self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": version, "text": text}}),
        );
    }

    /// One `didChange` with the given content changes (each `[range or null, text]`).
    pub fn did_change(&self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    pub fn did_close(&self, uri: &str) {
        self.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    }

    /// A round trip through the server's read loop: once answered, every message sent
    /// before it has been applied to the store.
    pub async fn sync(&mut self, uri: &str) {
        let _ = uri;
        let response = self.request("stella/status", json!({})).await;
        assert!(response["result"].is_object(), "stella/status answers: {response}");
    }

    /// Waits for `publishDiagnostics` for `uri` with exactly `version` (`None`: no version)
    /// and returns its params. Earlier publishes for other versions are consumed.
    pub async fn published(&mut self, uri: &str, version: Option<i32>) -> Value {
        let version = version.map_or(Value::Null, |version| json!(version));
        let message = self
            .wait_for(&format!("publishDiagnostics {uri} version {version}"), |message| {
                is_publish_for(message, uri)
                    && message["params"].get("version").cloned().unwrap_or(Value::Null) == version
            })
            .await;
        message["params"].clone()
    }

    /// Every `publishDiagnostics` for `uri`, in arrival order, up to and including the first
    /// one with `version`.
    pub async fn publishes_until(&mut self, uri: &str, version: i32) -> Vec<Value> {
        let mut publishes = Vec::new();
        loop {
            let message = self
                .wait_for(&format!("publishDiagnostics {uri} up to version {version}"), |message| {
                    is_publish_for(message, uri)
                })
                .await;
            let params = message["params"].clone();
            let done = params["version"] == json!(version);
            publishes.push(params);
            if done {
                return publishes;
            }
        }
    }

    /// Every `publishDiagnostics` for `uri` that arrives within `quiet` (plus any already
    /// buffered), in arrival order.
    pub async fn publishes_within(&mut self, uri: &str, quiet: Duration) -> Vec<Value> {
        let deadline = Instant::now() + quiet;
        while let Ok(Some(message)) = timeout(deadline - Instant::now(), self.incoming.recv()).await
        {
            self.buffered.push_back(message);
        }

        let (publishes, others): (Vec<Value>, Vec<Value>) =
            self.buffered.drain(..).partition(|message| is_publish_for(message, uri));
        self.buffered.extend(others);
        publishes.into_iter().map(|message| message["params"].clone()).collect()
    }

    /// Whether a `publishDiagnostics` for `uri` has been read and not yet consumed.
    pub fn has_received_publish(&self, uri: &str) -> bool {
        self.buffered.iter().any(|message| is_publish_for(message, uri))
    }

    /// Every message, in arrival order, up to and including the first that matches; all of
    /// them are consumed.
    pub async fn take_until(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut taken = Vec::new();
        while let Some(message) = self.buffered.pop_front() {
            let done = matches(&message);
            taken.push(message);
            if done {
                return taken;
            }
        }

        let deadline = Instant::now() + TIMEOUT;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let received = timeout(remaining, self.incoming.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; taken: {taken:?}"));
            let Some(message) = received else {
                panic!(
                    "the server closed the connection while waiting for {what}; taken: {taken:?}"
                );
            };
            let done = matches(&message);
            taken.push(message);
            if done {
                return taken;
            }
        }
    }

    /// Waits for the first message that matches, keeping the others for later waits.
    pub async fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.buffered.iter().position(&matches) {
            return self.buffered.remove(index).unwrap();
        }

        let deadline = Instant::now() + TIMEOUT;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let received = timeout(remaining, self.incoming.recv()).await.unwrap_or_else(|_| {
                panic!("timed out waiting for {what}; unconsumed: {:?}", self.buffered)
            });
            let Some(message) = received else {
                panic!("the server closed the connection while waiting for {what}");
            };
            if matches(&message) {
                return message;
            }
            self.buffered.push_back(message);
        }
    }

    /// Waits for the server process to end and returns its exit code.
    pub async fn exit_code(&mut self) -> Option<i32> {
        let child = self.child.as_mut().expect("only the binary exits");
        let status = timeout(TIMEOUT, child.wait()).await.expect("the server exits in time");
        status.unwrap().code()
    }

    /// `shutdown` then `exit`.
    pub async fn shutdown(&mut self) {
        let response = self.request("shutdown", Value::Null).await;
        assert_eq!(response["result"], Value::Null);
        self.notify("exit", Value::Null);
    }
}

/// How to start the binary: its environment, working directory and where its stderr goes.
#[derive(Clone, Debug, Default)]
pub struct Launch {
    pub env: Vec<(String, String)>,
    pub stderr: Option<std::path::PathBuf>,
    /// The working directory; the test's own when `None`.
    pub cwd: Option<std::path::PathBuf>,
}

pub fn is_publish_for(message: &Value, uri: &str) -> bool {
    message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri
}

/// A message with its `Content-Length` header.
fn frame(message: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(message).unwrap();
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend(body);
    framed
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    while let Some(bytes) = outgoing.recv().await {
        // An empty write is `close_input`: dropping the writer closes the pipe.
        if bytes.is_empty() {
            return;
        }
        if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
            return;
        }
    }
}

async fn read_loop<R: AsyncRead + Unpin>(
    reader: R,
    incoming: mpsc::UnboundedSender<Value>,
    outgoing: mpsc::UnboundedSender<Vec<u8>>,
    answer: std::sync::Arc<std::sync::Mutex<Answer>>,
    transcript: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
) {
    let mut reader = BufReader::new(reader);
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length:") {
                length = value.trim().parse::<usize>().ok();
            }
        }

        let Some(length) = length else {
            panic!("a message without Content-Length");
        };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let message: Value = serde_json::from_slice(&body).expect("the server sends JSON");
        transcript.lock().unwrap().push(message.clone());

        // Server-to-client requests (they have both a method and an id) are answered as
        // the test says, at once, and also queued for the test to see.
        if message.get("method").is_some() && message.get("id").is_some() {
            let answered = (answer.lock().unwrap())(&message);
            match answered {
                Some(Value::Object(error)) if error.contains_key("error") => {
                    let _ = outgoing.send(frame(
                        &json!({"jsonrpc": "2.0", "id": message["id"], "error": error["error"]}),
                    ));
                }
                Some(result) => {
                    let _ = outgoing.send(frame(
                        &json!({"jsonrpc": "2.0", "id": message["id"], "result": result}),
                    ));
                }
                None => {}
            }
        }
        if incoming.send(message).is_err() {
            return;
        }
    }
}

/// An LSP range as JSON.
pub fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({
        "start": {"line": start.0, "character": start.1},
        "end": {"line": end.0, "character": end.1},
    })
}

/// What the server must publish for `text`: the core's own analysis (without files around
/// it), converted to LSP the way the server does.
pub fn expected_diagnostics(uri: &str, text: &str, utf8: bool) -> Value {
    use stella_lsp::lsp::encoding::PositionEncoding;

    let analysis = stella_lsp::core::analyze(text, &stella_lsp::core::Context::default());
    let encoding = if utf8 { PositionEncoding::Utf8 } else { PositionEncoding::Utf16 };
    let uri = uri.parse().unwrap();
    let diagnostics =
        stella_lsp::lsp::to_proto::diagnostics(&uri, text, &analysis.diagnostics, encoding);
    serde_json::to_value(diagnostics).unwrap()
}

/// Runs the built binary in `directory` with `args`, logs off, and waits for it.
pub fn run_cli(directory: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stella-lsp"))
        .args(args)
        .current_dir(directory)
        .env_remove("STELLA_LSP_LOG")
        .output()
        .expect("the binary runs")
}
