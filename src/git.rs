//! The local git repository, through the `git` binary: its tags and branches, its `HEAD` commit, and the
//! newest release tag (chosen by [`crate::core::version`]).
//!
//! Every call runs `git -C <dir> …` to completion with stdin closed, prompts off
//! (`GIT_TERMINAL_PROMPT=0`), no pager and messages in English (`LC_ALL=C`, so failures can
//! be told apart). The variables that point git at another repository (`GIT_DIR` and the
//! like, set when running inside a git hook) are removed, so `dir` is always the repository
//! asked about.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::core::version;

/// Why git could not answer.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed (no `git` program on the PATH)")]
    NotInstalled,
    #[error("{} is not a git repository", .0.display())]
    NotARepository(PathBuf),
    #[error("cannot run git")]
    Run(#[source] io::Error),
    #[error("`git {command}` failed: {message}")]
    Failed { command: String, message: String },
}

/// Variables that would make git read another repository than the one `-C` names.
const REPOSITORY_VARIABLES: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
];

/// Every tag of the repository at `repo_dir`, in the order git lists them (by name). Tags
/// whose names are not UTF-8 are left out.
pub fn tags(repo_dir: &Path) -> Result<Vec<String>, GitError> {
    let output = git(OsStr::new("git"), repo_dir, &["tag", "--list"])?;
    let output = succeeded(repo_dir, "tag --list", output)?;
    Ok(lines(&output.stdout))
}

/// Every local branch of the repository at `repo_dir` (`refs/heads`), by name. Branches
/// whose names are not UTF-8 are left out.
pub fn branches(repo_dir: &Path) -> Result<Vec<String>, GitError> {
    let arguments = ["for-each-ref", "--format=%(refname:short)", "refs/heads"];
    let output = git(OsStr::new("git"), repo_dir, &arguments)?;
    let output = succeeded(repo_dir, "for-each-ref refs/heads", output)?;
    Ok(lines(&output.stdout))
}

/// The non-empty UTF-8 lines of what git printed.
fn lines(stdout: &[u8]) -> Vec<String> {
    stdout
        .split(|&byte| byte == b'\n')
        .filter_map(|line| std::str::from_utf8(line).ok())
        .map(str::trim_end)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The commit `HEAD` points at, or `None` in a repository without commits yet.
pub fn head_commit(repo_dir: &Path) -> Result<Option<String>, GitError> {
    let arguments = ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"];
    let output = git(OsStr::new("git"), repo_dir, &arguments)?;

    // With `--verify --quiet`, a `HEAD` that names no commit yet exits 1 and says nothing.
    if output.status.code() == Some(1) && output.stderr.is_empty() {
        return Ok(None);
    }
    let output = succeeded(repo_dir, "rev-parse HEAD", output)?;
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Ok(Some(commit))
}

/// The newest tag of the repository that `tag_pattern` selects and `version_pattern` reads
/// a version from, with that version; see [`version::newest`] for the order.
pub fn newest_release_tag(
    repo_dir: &Path,
    tag_pattern: &str,
    version_pattern: &str,
) -> Result<Option<(String, String)>, GitError> {
    let tags = tags(repo_dir)?;
    Ok(version::newest(tags.iter().map(String::as_str), tag_pattern, version_pattern))
}

/// Runs `program -C repo_dir arguments…` to completion and returns what it printed.
fn git(program: &OsStr, repo_dir: &Path, arguments: &[&str]) -> Result<Output, GitError> {
    tracing::debug!(directory = %repo_dir.display(), ?arguments, "running git");

    let mut command = Command::new(program);
    command
        .arg("--no-pager")
        .arg("-C")
        .arg(repo_dir)
        .args(arguments)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for variable in REPOSITORY_VARIABLES {
        command.env_remove(variable);
    }

    command.output().map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => GitError::NotInstalled,
        _ => GitError::Run(error),
    })
}

/// The output of a command that exited 0, or the error its failure means.
fn succeeded(repo_dir: &Path, command: &str, output: Output) -> Result<Output, GitError> {
    if output.status.success() {
        return Ok(output);
    }

    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("not a git repository") {
        return Err(GitError::NotARepository(repo_dir.to_path_buf()));
    }
    let message = stderr.trim().trim_start_matches("fatal: ").trim_end_matches('.').to_owned();
    let message = if message.is_empty() { output.status.to_string() } else { message };
    Err(GitError::Failed { command: command.to_owned(), message })
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::path::Path;

    use super::{git, GitError};

    #[test]
    fn a_missing_git_program_is_not_installed() {
        let result = git(OsStr::new("stella-lsp-no-such-git"), Path::new("."), &["tag"]);

        let error = result.unwrap_err();
        assert!(matches!(error, GitError::NotInstalled), "{error:?}");
        assert_eq!(error.to_string(), "git is not installed (no `git` program on the PATH)");
    }
}
