//! Reading a real git repository made in a temporary folder: its tags, its `HEAD` and the
//! newest release tag; and the errors for a folder that is not a repository.

mod support;

use stella_lsp::git::{self, GitError};
use support::git::run_git;

/// A repository with one commit and these tags on it.
fn repository(tags: &[&str]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    run_git(directory.path(), &["init", "--quiet"]);
    run_git(directory.path(), &["commit", "--quiet", "--allow-empty", "-m", "first"]);
    for tag in tags {
        run_git(directory.path(), &["tag", tag]);
    }
    directory
}

#[test]
fn tags_are_listed_by_name() {
    let repository = repository(&["v1.2.0", "v1.10.0", "v1.10.0-rc.1", "other-3.0"]);

    let tags = git::tags(repository.path()).unwrap();

    assert_eq!(tags, ["other-3.0", "v1.10.0", "v1.10.0-rc.1", "v1.2.0"]);
}

#[test]
fn the_newest_release_tag_orders_versions_numerically_and_skips_other_tags() {
    let repository =
        repository(&["v1.2.0", "v1.10.0", "v1.10.0-rc.1", "v1.9.0", "other-3.0", "v2.0.0-beta"]);

    let newest = git::newest_release_tag(repository.path(), "v*", "v{version}").unwrap();
    let first_major = git::newest_release_tag(repository.path(), "v1.*", "v{version}").unwrap();
    let other = git::newest_release_tag(repository.path(), "other-*", "other-{version}").unwrap();
    let none = git::newest_release_tag(repository.path(), "release-*", "{version}").unwrap();

    assert_eq!(newest, Some(("v2.0.0-beta".to_owned(), "2.0.0-beta".to_owned())));
    assert_eq!(first_major, Some(("v1.10.0".to_owned(), "1.10.0".to_owned())));
    assert_eq!(other, Some(("other-3.0".to_owned(), "3.0".to_owned())));
    assert_eq!(none, None);
}

#[test]
fn a_release_comes_after_its_release_candidate() {
    let repository = repository(&["v1.10.0-rc.1", "v1.10.0", "v1.10.0-rc.2"]);

    let newest = git::newest_release_tag(repository.path(), "v*", "v{version}").unwrap();

    assert_eq!(newest, Some(("v1.10.0".to_owned(), "1.10.0".to_owned())));
}

#[test]
fn head_is_the_commit_or_none_before_the_first_commit() {
    let repository = repository(&[]);
    let empty = tempfile::tempdir().unwrap();
    run_git(empty.path(), &["init", "--quiet"]);

    let head = git::head_commit(repository.path()).unwrap();

    assert_eq!(head, Some(run_git(repository.path(), &["rev-parse", "HEAD"])));
    assert_eq!(head.as_deref().map(str::len), Some(40));
    assert_eq!(git::head_commit(empty.path()).unwrap(), None);
    assert_eq!(git::tags(empty.path()).unwrap(), Vec::<String>::new());
}

#[test]
fn a_folder_outside_any_repository_is_not_a_git_repository() {
    // The temporary folder is not inside a repository, so git finds none above it either.
    let directory = tempfile::tempdir().unwrap();
    let folder = directory.path().join("plain");
    std::fs::create_dir(&folder).unwrap();

    let tags = git::tags(&folder).unwrap_err();
    let head = git::head_commit(&folder).unwrap_err();
    let newest = git::newest_release_tag(&folder, "v*", "v{version}").unwrap_err();

    let expected = format!("{} is not a git repository", folder.display());
    for error in [tags, head, newest] {
        assert!(matches!(&error, GitError::NotARepository(path) if path == &folder), "{error:?}");
        assert_eq!(error.to_string(), expected);
    }
}
