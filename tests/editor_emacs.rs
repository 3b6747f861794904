//! Emacs with eglot (Debian's `elpa-eglot`) and `editors/emacs/stella.el`, in batch mode,
//! against the built server and a fake orchestrator on 127.0.0.1: the diagnostics flymake
//! shows for a broken `.stella.yaml` are exactly the server's, as in Neovim.
//!
//! The Lisp side is `tests/editors/emacs_driver.el`. Without `emacs` (and without
//! `STELLA_EDITOR_TESTS=1`) the test says it was skipped and passes.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use support::editor::{self, BROKEN};
use support::fake::{Fake, TOKEN};
use tempfile::TempDir;

#[test]
fn eglot_shows_the_servers_diagnostics() {
    if !editor::available("emacs", "eglot_shows_the_servers_diagnostics") {
        return;
    }
    let fake = Fake::start();
    let home = TempDir::new().unwrap();
    let workspace = TempDir::new().unwrap();
    let file = workspace.path().join(".stella.yaml");
    std::fs::write(&file, BROKEN).unwrap();
    let out = home.path().join("emacs.json");

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new("emacs");
    editor::environment(&mut command, home.path(), &fake.url, TOKEN);
    command
        .env("EDITOR_TEST_FILE", &file)
        .env("EDITOR_TEST_CONFIG", root.join("editors/emacs/stella.el"))
        .env("EDITOR_TEST_OUT", &out)
        .current_dir(workspace.path())
        .args(["--batch", "-Q", "-l"])
        .arg(root.join("tests/editors/emacs_driver.el"));
    let (_, stderr) = editor::run(&mut command, home.path(), "emacs");

    let seen: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap_or_else(|error| {
            panic!("the driver's JSON does not read: {error}; stderr:\n{stderr}")
        });
    assert_eq!(seen.get("error"), None, "the driver stopped: {seen:#}; stderr:\n{stderr}");
    assert_eq!(seen["mode"], "stella-yaml-mode");

    // eglot shows each as "source [code]: message".
    let mut expected = editor::broken_diagnostics();
    for diagnostic in expected.as_array_mut().unwrap() {
        let shown = format!(
            "{} [{}]: {}",
            diagnostic["source"].as_str().unwrap(),
            diagnostic["code"].as_str().unwrap(),
            diagnostic["message"].as_str().unwrap()
        );
        diagnostic["shown"] = json!(shown);
    }
    assert_eq!(seen["diagnostics"], expected);
}
