//! Real editors for the editor tests: whether one is there, the environment it runs in, and
//! a run with a deadline.
//!
//! `.ci/run` installs Neovim and Emacs and sets `STELLA_EDITOR_TESTS=1`, which makes a
//! missing editor a failure. Without it, a test whose editor is missing says it was skipped
//! and passes, as on a machine without them.
#![allow(clippy::print_stderr, reason = "a skipped editor test says so on stderr")]

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long an editor may run before it is killed and the test fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Whether `program` runs (`program --version`). When it does not: a failure under
/// `STELLA_EDITOR_TESTS=1`, else a note on stderr and `false`.
pub fn available(program: &str, test: &str) -> bool {
    let runs = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if runs {
        return true;
    }

    let required = std::env::var_os("STELLA_EDITOR_TESTS").is_some_and(|value| value == "1");
    assert!(!required, "STELLA_EDITOR_TESTS=1 but `{program} --version` does not run");
    eprintln!(
        "{test}: skipped, `{program}` is not installed (set STELLA_EDITOR_TESTS=1 to require it)"
    );
    false
}

/// `command` with a clean environment for an editor and the server it starts: no
/// `STELLA_…` variables but the orchestrator's address and token, `HOME` in `home`, and the
/// built `stella-lsp` first on `PATH`, so the editor configs run it by name as a user's would.
pub fn environment(command: &mut Command, home: &Path, server: &str, token: &str) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("STELLA_") || name.starts_with("XDG_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }

    let binary = Path::new(env!("CARGO_BIN_EXE_stella-lsp"));
    let mut path = OsString::from(binary.parent().unwrap());
    if let Some(inherited) = std::env::var_os("PATH") {
        path.push(":");
        path.push(inherited);
    }
    command
        .env("PATH", path)
        .env("HOME", home)
        .env("STELLA_SERVER", server)
        .env("STELLA_TOKEN", token)
        .env("STELLA_REQUEST_TIMEOUT", "5s");
}

/// Runs `command` with its output in files under `home`, killing it after [`DEADLINE`];
/// returns what it wrote to stdout and stderr. A failure to end in time, or an exit status
/// other than 0, fails the test with that output.
pub fn run(command: &mut Command, home: &Path, what: &str) -> (String, String) {
    let stdout_path = home.join(format!("{what}.stdout"));
    let stderr_path = home.join(format!("{what}.stderr"));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap_or_else(|error| panic!("{what} does not start: {error}"));

    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };

    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    match status {
        None => {
            panic!("{what} did not end within {DEADLINE:?}; stdout:\n{stdout}\nstderr:\n{stderr}")
        }
        Some(status) if !status.success() => {
            panic!("{what} ended with {status}; stdout:\n{stdout}\nstderr:\n{stderr}")
        }
        Some(_) => (stdout, stderr),
    }
}

/// The file the editor tests open: it parses, so it has lenses, and it has mistakes on
/// lines with characters outside ASCII, so columns are converted on the way.
pub const BROKEN: &str = include_str!("../editors/broken.stella.yaml");

/// What every editor must show for [`BROKEN`]: 0-based lines and columns in characters.
pub fn broken_diagnostics() -> serde_json::Value {
    let diagnostic = |start: (u32, u32), end: (u32, u32), code: &str, message: &str| {
        serde_json::json!({
            "line": start.0, "column": start.1, "end_line": end.0, "end_column": end.1,
            "severity": 1, "code": code, "source": "stella", "message": message,
        })
    };
    serde_json::json!([
        diagnostic(
            (4, 2),
            (4, 12),
            "unknown-key",
            "unknown property `tag_patern` (did you mean `tag_pattern`?)"
        ),
        diagnostic(
            (6, 11),
            (6, 16),
            "invalid-value",
            "`name` `ünï` does not match the required pattern `^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`"
        ),
        diagnostic(
            (6, 89),
            (6, 93),
            "unknown-key",
            "unknown property `port`; expected one of: build_context, dockerfile, image, name"
        ),
        diagnostic(
            (10, 4),
            (10, 5),
            "missing-key",
            "environment is missing required property `require_tests`"
        ),
    ])
}
