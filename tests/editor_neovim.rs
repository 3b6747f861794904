//! Neovim's own LSP client (Debian's 0.7) with `editors/neovim/stella-0.7.lua`, headless,
//! against the built server and a fake orchestrator on 127.0.0.1: the diagnostics and code
//! lenses it shows for a broken `.stella.yaml`, and a lens run as a user would run it, down
//! to the request the orchestrator receives.
//!
//! The Lua side is `tests/editors/neovim_driver.lua`. Without `nvim` (and without
//! `STELLA_EDITOR_TESTS=1`) the test says it was skipped and passes.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use support::editor::{self, BROKEN};
use support::fake::{Fake, Reply, TOKEN};
use support::orchestrated::file_uri;
use support::range;
use tempfile::TempDir;

fn lens(start: (u32, u32), end: (u32, u32), title: &str, command: &str, argument: &Value) -> Value {
    json!({"range": range(start, end), "title": title, "command": command, "arguments": [argument]})
}

#[test]
fn neovim_shows_diagnostics_and_lenses_and_runs_a_lens_against_the_orchestrator() {
    if !editor::available("nvim", "neovim_shows_diagnostics_and_lenses") {
        return;
    }
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/config/validate",
        Reply::Json(200, json!({"valid": false, "errors": [
            {"path": "/auto_promote/environments/0/name", "message": "environment staging requires 2 approvers"},
        ]})),
    );
    let home = TempDir::new().unwrap();
    let workspace = TempDir::new().unwrap();
    let file = workspace.path().join(".stella.yaml");
    std::fs::write(&file, BROKEN).unwrap();
    let out = home.path().join("neovim.json");

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let driver = root.join("tests/editors/neovim_driver.lua");
    let mut command = Command::new("nvim");
    editor::environment(&mut command, home.path(), &fake.url, TOKEN);
    command
        .env("EDITOR_TEST_FILE", &file)
        .env("EDITOR_TEST_CONFIG", root.join("editors/neovim/stella-0.7.lua"))
        .env("EDITOR_TEST_OUT", &out)
        .current_dir(workspace.path())
        .args(["--headless", "--clean", "-u", "NONE", "-c"])
        .arg(format!(
            "lua local ok, error = pcall(dofile, '{}') if not ok then io.stderr:write(tostring(error)) vim.cmd('cquit 2') end",
            driver.display()
        ));
    let (_, stderr) = editor::run(&mut command, home.path(), "nvim");

    let seen: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap_or_else(|error| {
            panic!("the driver's JSON does not read: {error}; stderr:\n{stderr}")
        });
    assert_eq!(seen.get("error"), None, "the driver stopped: {seen:#}");
    assert_eq!(seen["client_name"], "stella");
    assert_eq!(seen["notifications"], json!([]));
    assert_eq!(seen["diagnostics"], editor::broken_diagnostics());

    // Neovim 0.7 cannot resolve lenses, so their commands come at once, titled from the
    // orchestrator's state after the refresh.
    let uri = json!({"uri": file_uri(&file)});
    let staging = json!({"uri": file_uri(&file), "env": "staging"});
    assert_eq!(
        seen["lenses"],
        json!([
            lens((1, 0), (1, 7), "Create release", "stella.createRelease", &uri),
            lens((1, 0), (1, 7), "Validate with server", "stella.validate", &uri),
            lens((1, 0), (1, 7), "Diff with server", "stella.diff", &uri),
            lens(
                (10, 12),
                (10, 19),
                "Promote to staging (rel-abc123 running)",
                "stella.promote",
                &staging
            ),
        ])
    );
    assert_eq!(
        seen["picked_from"],
        json!(["Create release", "Validate with server", "Diff with server"])
    );
    assert_eq!(
        seen["messages"],
        json!([
            {"type": 3, "message": format!("Refreshed from Stella at {}", fake.url)},
            {"type": 2, "message": "Stella found 1 problem in .stella.yaml; see the diagnostics"},
        ])
    );

    let mut after = editor::broken_diagnostics();
    after.as_array_mut().unwrap().push(json!({
        "line": 10, "column": 12, "end_line": 10, "end_column": 19, "severity": 1,
        "code": "server-validation", "source": "stella-server",
        "message": "environment staging requires 2 approvers",
    }));
    assert_eq!(seen["diagnostics_after"], after);

    let sent: Vec<_> =
        fake.requests().into_iter().filter(|request| request.method != "GET").collect();
    assert_eq!(sent.len(), 1, "one request changes anything: {sent:?}");
    assert_eq!(sent[0].path, "/api/v1/config/validate");
    assert_eq!(sent[0].json(), json!({"content": BROKEN, "path": ".stella.yaml"}));
    assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
}

/// Neovim 0.11 is not in Debian 12: `stella.lua` is loaded with stand-ins for the calls it
/// makes, which shows it parses and runs, and what it would configure.
#[test]
fn the_config_for_neovim_0_11_asks_for_the_same_server_and_files() {
    if !editor::available("nvim", "the_config_for_neovim_0_11") {
        return;
    }
    let home = TempDir::new().unwrap();
    let out = home.path().join("neovim-0.11.json");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let check = root.join("tests/editors/neovim_0_11_check.lua");
    let mut command = Command::new("nvim");
    editor::environment(&mut command, home.path(), "http://127.0.0.1:9", TOKEN);
    command
        .env("EDITOR_TEST_CONFIG", root.join("editors/neovim/stella.lua"))
        .env("EDITOR_TEST_OUT", &out)
        .args(["--headless", "--clean", "-u", "NONE", "-c"])
        .arg(format!(
            "lua local ok, error = pcall(dofile, '{}') if not ok then io.stderr:write(tostring(error)) vim.cmd('cquit 2') end",
            check.display()
        ));
    editor::run(&mut command, home.path(), "nvim");

    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        recorded,
        json!({
            "configs": {"stella": {
                "cmd": ["stella-lsp", "serve"],
                "filetypes": ["yaml.stella"],
                "root_markers": [".stella.yaml", ".stella.yml", ".git"],
                "on_attach": "<function>",
            }},
            "enabled": ["stella"],
            "filetypes": {
                "/work/app/.stella.yaml": "yaml.stella",
                "/work/app/.stella.yml": "yaml.stella",
                "/work/app/deploy.stella.yaml": "yaml.stella",
                "/home/jane/.stella/config.yaml": "yaml.stella",
                "/home/jane/.stella/config.yml": "yaml.stella",
                "/work/app/stella.yaml": null,
                "/work/app/config.yaml": null,
                "/work/app/.stella.yaml.orig": null,
            },
        })
    );
}
