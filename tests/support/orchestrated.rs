//! A server over stdio wired to a fake orchestrator: the user's `~/.stella/config.yaml` in
//! a temporary home names the fake, `STELLA_TOKEN` holds the test token, logs go at trace
//! level to a file, the server runs in the workspace, and timings are short so tests stay
//! quick.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use tempfile::TempDir;

use super::fake::{Fake, TOKEN};
use super::{Launch, TestClient};

/// The design document's example, as a user would open it.
pub const EXAMPLE: &str = include_str!("../fixtures/example/.stella.yaml");

/// Client capabilities of a full editor (VS Code-like): prompts, progress, documents,
/// lens refresh, lazy lens commands.
pub fn full_capabilities() -> Value {
    json!({
        "window": {"workDoneProgress": true, "showMessage": {}, "showDocument": {"support": true}},
        "workspace": {"codeLens": {"refreshSupport": true}},
        "textDocument": {"codeLens": {"resolveSupport": {"properties": ["command"]}}},
    })
}

pub struct Orchestrated {
    pub client: TestClient,
    pub fake: Fake,
    pub home: TempDir,
    pub workspace: TempDir,
    pub uri: String,
    pub log: PathBuf,
}

/// What to change from the defaults.
#[derive(Default)]
pub struct Options {
    /// Extra environment for the server.
    pub env: Vec<(&'static str, String)>,
    /// The server URL in `~/.stella/config.yaml`; the fake's by default.
    pub server: Option<String>,
    /// No `STELLA_TOKEN`.
    pub no_token: bool,
    /// Files written into the workspace (path relative to it, content) before the server
    /// starts there.
    pub files: Vec<(&'static str, String)>,
    /// `~/.stella/credentials.yaml` with this content and mode, written before the server
    /// starts.
    pub credentials: Option<(String, u32)>,
}

impl Orchestrated {
    pub fn start(fake: Fake, options: Options) -> Orchestrated {
        let home = TempDir::new().unwrap();
        let server = options.server.clone().unwrap_or_else(|| fake.url.clone());
        std::fs::create_dir_all(home.path().join(".stella")).unwrap();
        std::fs::write(
            home.path().join(".stella/config.yaml"),
            format!("server: {server}\ncurrent_context: test\ncontexts:\n  test:\n    server: {server}\n"),
        )
        .unwrap();
        if let Some((content, mode)) = &options.credentials {
            let path = home.path().join(".stella/credentials.yaml");
            std::fs::write(&path, content).unwrap();
            set_mode(&path, *mode);
        }

        let workspace = TempDir::new().unwrap();
        let file = workspace.path().join(".stella.yaml");
        std::fs::write(&file, EXAMPLE).unwrap();
        for path in
            ["api/Dockerfile", "worker/Dockerfile", ".github/workflows/integration-tests.yml"]
        {
            let path = workspace.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        for (path, content) in &options.files {
            let path = workspace.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        let uri = file_uri(&file);
        let log = home.path().join("server.log");

        let mut env = vec![
            ("HOME".to_owned(), home.path().display().to_string()),
            ("STELLA_LSP_LOG".to_owned(), "trace".to_owned()),
            ("STELLA_POLL_INTERVAL".to_owned(), "200ms".to_owned()),
            ("STELLA_VALIDATE_DELAY".to_owned(), "50ms".to_owned()),
            ("STELLA_REQUEST_TIMEOUT".to_owned(), "3s".to_owned()),
        ];
        if !options.no_token {
            env.push(("STELLA_TOKEN".to_owned(), TOKEN.to_owned()));
        }
        for (name, value) in options.env {
            env.retain(|(existing, _)| existing != name);
            env.push((name.to_owned(), value));
        }

        let client = TestClient::launch(&Launch {
            env,
            stderr: Some(log.clone()),
            cwd: Some(workspace.path().to_path_buf()),
        });
        Orchestrated { client, fake, home, workspace, uri, log }
    }

    /// `initialize` with `capabilities`, opens the example, and waits until the poller has
    /// read the environments.
    pub async fn open(&mut self, capabilities: Value) {
        self.client.initialize_with(None, capabilities).await;
        self.client.did_open(&self.uri, 1, EXAMPLE);
        self.wait_online().await;
    }

    /// Waits until `stella/status` says the orchestrator is reachable and the environments
    /// are known.
    pub async fn wait_online(&mut self) {
        for _ in 0..100 {
            let status = self.client.request("stella/status", json!({})).await;
            if status["result"]["reachable"] == true
                && self.fake.count("GET", "/api/v1/environments") > 0
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server never reached the fake orchestrator");
    }

    /// Runs a command and returns its immediate result.
    pub async fn execute(&mut self, command: &str, argument: Value) -> Value {
        let response = self
            .client
            .request(
                "workspace/executeCommand",
                json!({"command": command, "arguments": [argument]}),
            )
            .await;
        assert!(response.get("error").is_none(), "{command} failed: {response}");
        response["result"].clone()
    }

    /// Waits for the next `window/showMessage` and returns its type and text.
    pub async fn message(&mut self) -> (i64, String) {
        let message = self
            .client
            .wait_for("window/showMessage", |message| message["method"] == "window/showMessage")
            .await;
        (
            message["params"]["type"].as_i64().unwrap(),
            message["params"]["message"].as_str().unwrap().to_owned(),
        )
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}
