//! Editing help: `textDocument/hover`, explained by [`core::hover`], and
//! `textDocument/completion`, offered by [`core::complete`] (with snippets for clients that
//! take them, and paths listed from the disk).
//!
//! The hover never waits on the network: the orchestrator's state comes from the cache
//! only. git and the file walk run off the async thread and are given [`GIT_BOUND`]; a git that is slower,
//! missing, or a file outside a repository just leaves the list out.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tower_lsp_server::ls_types;

use crate::core::complete::{self, Known};
use crate::core::hover::{self, EnvironmentState, Target};
use crate::core::{LineCol, LineIndex};
use crate::git;
use crate::lsp::remote::Remote;
use crate::lsp::store::{DocumentKind, Snapshot};
use crate::lsp::{commands, to_proto};

/// How long a hover waits for git before answering without it.
pub const GIT_BOUND: Duration = Duration::from_secs(2);

/// How many files the walk for an `ignore_paths` hover looks at, at most.
pub const WALK_CAP: usize = 50_000;

/// A snapshot of an open `.stella.yaml`, its line index, and the byte offset of `position`.
fn at(
    remote: &Remote,
    uri: &str,
    position: ls_types::Position,
) -> Option<(Snapshot, LineIndex, usize)> {
    let snapshot = remote.store().snapshot(uri)?;
    if snapshot.kind != DocumentKind::Stella {
        return None;
    }
    let line_index = LineIndex::new(&snapshot.text);
    let line_col = LineCol { line: position.line, col: position.character };
    let offset = line_index.offset(&snapshot.text, line_col, snapshot.encoding.core());
    Some((snapshot, line_index, offset))
}

/// `textDocument/hover`: `None` where there is nothing to explain, while the text does not
/// parse, and in the global config (which has its own schema).
pub async fn hover(
    remote: &Remote,
    uri: &str,
    position: ls_types::Position,
) -> Option<ls_types::Hover> {
    let parsed = remote.store().parsed(uri)?;
    if parsed.snapshot.kind != DocumentKind::Stella {
        return None;
    }

    // The text is parsed on the blocking pool, once per version for every request.
    let read = tokio::task::spawn_blocking({
        let parsed = parsed.clone();
        move || {
            let document = parsed.document().ok()?;
            let snapshot = &parsed.snapshot;
            let line_col = LineCol { line: position.line, col: position.character };
            let offset =
                parsed.line_index().offset(&snapshot.text, line_col, snapshot.encoding.core());
            hover::target(document, offset)
        }
    });
    let (span, target) = read.await.ok()??;
    let (snapshot, line_index) = (&parsed.snapshot, parsed.line_index());
    let document = parsed.document().ok()?;

    let markdown = match target {
        Target::Key { path } => hover::key_markdown(&path)?,
        Target::Environment { name } => {
            let state = remote.cached_environment(&name).map(|known| EnvironmentState {
                status: known.status,
                frozen_until: known.frozen_until.as_deref().map(commands::until),
                running_release: known.current_release_id,
            });
            hover::environment_markdown(document, &name, state.as_ref())
        }
        Target::TagPattern { pattern } => {
            let directory = repository(snapshot.path.as_deref())?;
            let tags = off_thread(move || git::tags(&directory)).await?;
            let version_pattern = document.config.release.version_pattern.as_ref();
            let version_pattern = version_pattern.map_or("{version}", |spanned| &spanned.value);
            hover::tags_markdown(&pattern, version_pattern, &tags)
        }
        Target::IgnorePath { pattern } => {
            let directory = repository(snapshot.path.as_deref())?;
            let task = tokio::task::spawn_blocking(move || files(&directory));
            let (paths, complete) = tokio::time::timeout(GIT_BOUND, task).await.ok()?.ok()?;
            hover::files_markdown(&pattern, &paths, complete)
        }
        Target::BranchPattern { pattern } => {
            let directory = repository(snapshot.path.as_deref())?;
            let branches = off_thread(move || git::branches(&directory)).await?;
            hover::branches_markdown(&pattern, &branches)
        }
    };

    Some(ls_types::Hover {
        contents: ls_types::HoverContents::Markup(ls_types::MarkupContent {
            kind: ls_types::MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(to_proto::range(line_index, &snapshot.text, span, snapshot.encoding)),
    })
}

/// `textDocument/completion`: works on a text that does not parse (see
/// [`core::complete`]), read on the blocking pool. Environment names come from the file and
/// the orchestrator's cache; branch names from git, asked only where a branch name is typed,
/// off the async thread and within [`GIT_BOUND`]; paths from the folder of a `file:`
/// document, listed on the blocking pool.
pub async fn completion(
    remote: &Remote,
    uri: &str,
    position: ls_types::Position,
) -> Option<ls_types::CompletionResponse> {
    let (snapshot, line_index, offset) = at(remote, uri, position)?;
    let snippets = remote.store().session().snippets;

    let text = snapshot.text.clone();
    let (query, wants_branches) = tokio::task::spawn_blocking(move || {
        (complete::path_query(&text, offset), complete::wants_branches(&text, offset))
    })
    .await
    .ok()?;

    let items = if let Some(query) = query {
        // Only a `file:` document has a folder to list.
        let folder = snapshot.path.as_deref().and_then(Path::parent);
        let entries = match folder.map(|folder| folder.join(&query.folder)) {
            Some(folder) => tokio::task::spawn_blocking(move || entries(&folder)).await.ok()?,
            None => Vec::new(),
        };
        complete::path_items(&query, &entries)
    } else {
        let branches = match repository(snapshot.path.as_deref()) {
            Some(directory) if wants_branches => {
                off_thread(move || git::branches(&directory)).await
            }
            _ => None,
        };
        let known = Known {
            branches: branches.unwrap_or_default(),
            environments: remote.with_cache(|cache| {
                cache
                    .environments
                    .iter()
                    .flatten()
                    .map(|environment| environment.name.clone())
                    .collect()
            }),
        };
        let text = snapshot.text.clone();
        tokio::task::spawn_blocking(move || complete::items(&text, offset, &known)).await.ok()?
    };

    let items = items
        .into_iter()
        .map(|item| {
            let range =
                to_proto::range(&line_index, &snapshot.text, item.replace, snapshot.encoding);
            to_proto::completion_item(item, range, snippets)
        })
        .collect();
    Some(ls_types::CompletionResponse::Array(items))
}

/// How many entries of a folder path completion lists, at most.
pub const LISTING_CAP: usize = 500;

/// The entries of `folder` (`.git` left out), at most [`LISTING_CAP`], by name; empty when
/// it cannot be read. A link counts as what it points to.
fn entries(folder: &Path) -> Vec<complete::Entry> {
    let Ok(read) = std::fs::read_dir(folder) else {
        return Vec::new();
    };

    let mut entries: Vec<complete::Entry> = read
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name() != ".git")
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let kind = entry.file_type().ok()?;
            let is_folder = if kind.is_symlink() {
                std::fs::metadata(entry.path()).is_ok_and(|metadata| metadata.is_dir())
            } else {
                kind.is_dir()
            };
            Some(complete::Entry { name, is_folder })
        })
        .take(LISTING_CAP)
        .collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

/// The directory git is asked about: the one holding the file.
pub fn repository(path: Option<&Path>) -> Option<PathBuf> {
    path?.parent().map(Path::to_path_buf)
}

/// The files under `directory` (relative, `/`-separated), skipping what git ignores and
/// the `.git` folder, at most [`WALK_CAP`]; `false` when the cap cut the walk short.
fn files(directory: &Path) -> (Vec<String>, bool) {
    let walk = ignore::WalkBuilder::new(directory)
        .hidden(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();

    let mut paths = Vec::new();
    for entry in walk.filter_map(Result::ok) {
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        if paths.len() == WALK_CAP {
            return (paths, false);
        }
        let Ok(relative) = entry.path().strip_prefix(directory) else {
            continue;
        };
        let parts: Vec<_> =
            relative.components().map(|part| part.as_os_str().to_string_lossy()).collect();
        paths.push(parts.join("/"));
    }
    (paths, true)
}

/// Runs a git query on the blocking pool, giving up after [`GIT_BOUND`].
pub async fn off_thread(
    query: impl FnOnce() -> Result<Vec<String>, git::GitError> + Send + 'static,
) -> Option<Vec<String>> {
    let task = tokio::task::spawn_blocking(query);
    match tokio::time::timeout(GIT_BOUND, task).await {
        Ok(Ok(Ok(names))) => Some(names),
        Ok(Ok(Err(error))) => {
            tracing::debug!(%error, "answering without git");
            None
        }
        Ok(Err(_)) | Err(_) => {
            tracing::debug!("answering without git: no answer in time");
            None
        }
    }
}
