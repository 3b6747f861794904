//! Code lenses and the code actions that mirror them (for Helix, which has no lenses).
//!
//! Lenses come from the text alone ([`core::actions`]); orchestrator state only colours
//! their titles, read from the cache in `codeLens/resolve` and never waited for. While the
//! text does not parse, the last good lenses are served, moved through the edits since.
//! A lens names its environment, never a line, so an old lens still acts on the current text.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_lsp_server::ls_types;

use crate::core::actions::{Action, Document};
use crate::core::{LineIndex, Span};
use crate::lsp::remote::Remote;
use crate::lsp::store::Snapshot;
use crate::lsp::{commands, to_proto};

/// What a lens carries from `textDocument/codeLens` to `codeLens/resolve`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LensData {
    v: u32,
    uri: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    env: Option<String>,
    #[serde(rename = "docVersion")]
    doc_version: i32,
}

/// The lens sites of the current text of `uri`, with the snapshot they belong to: those
/// remembered for this version, else computed afresh when the text parses (and
/// remembered), else the last good ones, moved.
pub async fn sites(remote: &Remote, uri: &str) -> Option<(Snapshot, Vec<(Span, Action)>)> {
    let (snapshot, remembered) = remote.store().lens_snapshot(uri)?;
    let remembered = match remembered {
        Some((version, sites)) if version == snapshot.version => return Some((snapshot, sites)),
        Some((_, sites)) => Some(sites),
        None => None,
    };

    // The parse other requests share, when it is of the same version; else a parse of
    // this snapshot's own text.
    let parsed =
        remote.store().parsed(uri).filter(|parsed| parsed.snapshot.version == snapshot.version);
    let text = if parsed.is_some() { String::new() } else { snapshot.text.clone() };
    let read = tokio::task::spawn_blocking(move || {
        let sites = |document: &Document| {
            document.sites().into_iter().map(|site| (site.span, site.action)).collect::<Vec<_>>()
        };
        match &parsed {
            Some(parsed) => parsed.document().ok().map(sites),
            None => Document::read(&text).ok().as_ref().map(sites),
        }
    })
    .await
    .ok()
    .flatten();

    match read {
        Some(sites) => {
            remote.store().set_lenses(uri, snapshot.version, sites.clone());
            Some((snapshot, sites))
        }
        None => Some((snapshot, remembered.unwrap_or_default())),
    }
}

/// `textDocument/codeLens`. Commands are filled in at once for clients that cannot resolve
/// them; others get them from [`resolve`].
pub async fn code_lenses(remote: &Remote, uri: &str) -> Vec<ls_types::CodeLens> {
    let Some((snapshot, sites)) = sites(remote, uri).await else {
        return Vec::new();
    };
    let resolves = remote.capabilities().resolve_lens_command;
    let line_index = LineIndex::new(&snapshot.text);

    sites
        .into_iter()
        .map(|(span, action)| {
            let data = LensData {
                v: 1,
                uri: uri.to_owned(),
                kind: kind(&action).to_owned(),
                env: environment(&action).map(str::to_owned),
                doc_version: snapshot.version,
            };
            ls_types::CodeLens {
                range: to_proto::range(&line_index, &snapshot.text, span, snapshot.encoding),
                command: (!resolves).then(|| command(remote, uri, &action)),
                data: serde_json::to_value(data).ok(),
            }
        })
        .collect()
}

/// `codeLens/resolve`: reads only the cache and never fails. A lens that already has a
/// command comes back as it is; `data` is always kept, so any later resolve still works.
pub fn resolve(remote: &Remote, mut lens: ls_types::CodeLens) -> ls_types::CodeLens {
    if lens.command.is_some() {
        return lens;
    }
    let data = lens.data.clone().and_then(|data| serde_json::from_value::<LensData>(data).ok());
    let Some(data) = data else {
        lens.command = Some(noop("Stella"));
        return lens;
    };

    let action = match (data.kind.as_str(), data.env) {
        ("createRelease", _) => Action::CreateRelease,
        ("validate", _) => Action::Validate,
        ("diff", _) => Action::Diff,
        ("promote", Some(environment)) => Action::Promote { environment },
        _ => {
            lens.command = Some(noop("Stella"));
            return lens;
        }
    };

    if let Action::Promote { environment } = &action {
        if !remote.store().names_environment(&data.uri, environment) {
            lens.command = Some(noop(&format!("{environment} (no longer in file)")));
            return lens;
        }
    }
    lens.command = Some(command(remote, &data.uri, &action));
    lens
}

/// `textDocument/codeAction`: every lens whose line meets `range`, the file-wide ones
/// anywhere, and the actions that have no lens (deploy, apply).
pub async fn code_actions(
    remote: &Remote,
    uri: &str,
    range: ls_types::Range,
) -> Vec<ls_types::CodeActionOrCommand> {
    let Some((snapshot, sites)) = sites(remote, uri).await else {
        return Vec::new();
    };
    let line_index = LineIndex::new(&snapshot.text);
    let mut actions = Vec::new();

    for (span, action) in sites {
        let lens_range = to_proto::range(&line_index, &snapshot.text, span, snapshot.encoding);
        let on_line =
            lens_range.start.line <= range.end.line && range.start.line <= lens_range.end.line;
        match &action {
            Action::Promote { environment } if on_line => {
                actions.push(code_action(command(remote, uri, &action)));
                actions.push(code_action(ls_types::Command {
                    title: format!("Deploy to {environment}"),
                    command: commands::DEPLOY.to_owned(),
                    arguments: Some(vec![json!({ "uri": uri, "env": environment })]),
                }));
            }
            Action::Promote { .. } => {}
            file_wide => actions.push(code_action(command(remote, uri, file_wide))),
        }
    }

    if actions.iter().any(|action| title(action).starts_with("Create release")) {
        for (title, dry_run) in [("Apply to server (dry run)", true), ("Apply to server", false)] {
            actions.push(code_action(ls_types::Command {
                title: title.to_owned(),
                command: commands::APPLY.to_owned(),
                arguments: Some(vec![json!({ "uri": uri, "dryRun": dry_run })]),
            }));
        }
    }
    actions.dedup_by(|a, b| title(a) == title(b));
    actions
}

/// The command a lens runs, titled with what the cache knows.
pub fn command(remote: &Remote, uri: &str, action: &Action) -> ls_types::Command {
    let (title, name, arguments) = match action {
        Action::CreateRelease => {
            ("Create release".to_owned(), commands::CREATE_RELEASE, json!({ "uri": uri }))
        }
        Action::Validate => {
            ("Validate with server".to_owned(), commands::VALIDATE, json!({ "uri": uri }))
        }
        Action::Diff => ("Diff with server".to_owned(), commands::DIFF, json!({ "uri": uri })),
        Action::Promote { environment } => (
            format!("Promote to {environment}{}", state(remote, environment)),
            commands::PROMOTE,
            json!({ "uri": uri, "env": environment }),
        ),
    };
    ls_types::Command { title, command: name.to_owned(), arguments: Some(vec![arguments]) }
}

/// What the cache knows of an environment, as a title suffix: ` (rel-abc123 running,
/// frozen until 18:00 UTC)`, ` (not on Stella)`, or nothing.
fn state(remote: &Remote, environment: &str) -> String {
    let Some(known) = remote.cached_environment(environment) else {
        return if remote.knows_environments() {
            " (not on Stella)".to_owned()
        } else {
            String::new()
        };
    };

    let mut parts = Vec::new();
    if let Some(release) = &known.current_release_id {
        parts.push(format!("{release} running"));
    }
    if known.status == "frozen" {
        parts.push(match &known.frozen_until {
            Some(until) => format!("frozen until {}", commands::until(until)),
            None => "frozen".to_owned(),
        });
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn kind(action: &Action) -> &'static str {
    match action {
        Action::CreateRelease => "createRelease",
        Action::Validate => "validate",
        Action::Diff => "diff",
        Action::Promote { .. } => "promote",
    }
}

fn environment(action: &Action) -> Option<&str> {
    match action {
        Action::Promote { environment } => Some(environment),
        _ => None,
    }
}

fn noop(title: &str) -> ls_types::Command {
    ls_types::Command {
        title: title.to_owned(),
        command: commands::NOOP.to_owned(),
        arguments: None,
    }
}

fn code_action(command: ls_types::Command) -> ls_types::CodeActionOrCommand {
    ls_types::CodeActionOrCommand::CodeAction(ls_types::CodeAction {
        title: command.title.clone(),
        command: Some(command),
        ..ls_types::CodeAction::default()
    })
}

fn title(action: &ls_types::CodeActionOrCommand) -> &str {
    match action {
        ls_types::CodeActionOrCommand::CodeAction(action) => &action.title,
        ls_types::CodeActionOrCommand::Command(command) => &command.title,
    }
}
