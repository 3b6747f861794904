//! Release versions read from git tags: which tags `release.tag_pattern` selects, the version
//! `release.version_pattern` reads out of a tag, and which of them is the newest.
//!
//! Versions are ordered the way semantic versioning orders them, loosened so that any
//! version string has a place:
//! - A version that does not start with a digit (`next`, `latest`) sorts before every one
//!   that does: a tag like `vnext` is not a newer release than `v1.10.0`.
//! - Build metadata (from the first `+`) does not count.
//! - The part before the first `-` is compared first, one dot-separated component at a
//!   time; a version with fewer components sorts first when the shared ones are equal
//!   (`1.2` before `1.2.0`).
//! - Then a version without a `-` part sorts after one with it (`1.10.0-rc.1` before
//!   `1.10.0`), and two `-` parts are compared component by component in the same way.
//! - Components are compared by runs: runs of digits by their number (`10` after `9`, with
//!   no limit on length), other runs as text, and a digit run before a text run (`1` before
//!   `rc`, as semantic versioning puts numeric identifiers first). So `v10` is after `v9`
//!   and `2024.01.15` after `2023.12.31`.
//! - Versions still equal after that (`1.0.0+a` and `1.0.0+b`, or the same version from
//!   two tags) are ordered by their text, and then by tag name, so the result never depends
//!   on the order git lists the tags in.

use std::cmp::Ordering;

use crate::core::semantic;

/// The `{version}` placeholder of `release.version_pattern`.
pub const PLACEHOLDER: &str = "{version}";

/// The version `version_pattern` reads out of `tag`: the text between the pattern's literal
/// prefix and suffix, which must match exactly and leave a non-empty version. `None` when
/// they do not, or when the pattern does not hold the placeholder exactly once.
pub fn version_from_tag(version_pattern: &str, tag: &str) -> Option<String> {
    let (prefix, suffix) = version_pattern.split_once(PLACEHOLDER)?;
    if suffix.contains(PLACEHOLDER) {
        return None;
    }

    let version = tag.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!version.is_empty()).then(|| version.to_owned())
}

/// Whether `tag_pattern` (a glob, read the way the `invalid-glob` rule reads it) selects
/// `tag`. An invalid glob selects nothing.
pub fn tag_matches(tag_pattern: &str, tag: &str) -> bool {
    semantic::glob(tag_pattern).is_ok_and(|glob| glob.compile_matcher().is_match(tag))
}

/// The newest release among `tags`: the tag and its version, for the tags `tag_pattern`
/// selects and `version_pattern` reads a version from, highest version first (see the
/// module documentation for the order). `None` when no tag qualifies.
pub fn newest<'a>(
    tags: impl Iterator<Item = &'a str>,
    tag_pattern: &str,
    version_pattern: &str,
) -> Option<(String, String)> {
    let Ok(glob) = semantic::glob(tag_pattern) else {
        return None;
    };
    let matcher = glob.compile_matcher();

    tags.filter(|tag| matcher.is_match(tag))
        .filter_map(|tag| Some((tag, version_from_tag(version_pattern, tag)?)))
        .max_by(|(tag_a, version_a), (tag_b, version_b)| {
            compare(version_a, version_b).then_with(|| tag_a.cmp(tag_b))
        })
        .map(|(tag, version)| (tag.to_owned(), version))
}

/// The order of two versions, as the module documentation describes it.
pub fn compare(a: &str, b: &str) -> Ordering {
    let numbered = |version: &str| version.starts_with(|c: char| c.is_ascii_digit());
    let (release_a, pre_a) = parts(a);
    let (release_b, pre_b) = parts(b);

    let pre_release = match (pre_a, pre_b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(pre_a), Some(pre_b)) => dotted(pre_a, pre_b),
    };
    numbered(a)
        .cmp(&numbered(b))
        .then_with(|| dotted(release_a, release_b))
        .then(pre_release)
        .then_with(|| a.cmp(b))
}

/// The release part and the pre-release part (after the first `-`) of a version, build
/// metadata dropped.
fn parts(version: &str) -> (&str, Option<&str>) {
    let version = version.split_once('+').map_or(version, |(version, _)| version);
    match version.split_once('-') {
        Some((release, pre_release)) => (release, Some(pre_release)),
        None => (version, None),
    }
}

fn dotted(a: &str, b: &str) -> Ordering {
    let mut components_a = a.split('.');
    let mut components_b = b.split('.');
    loop {
        match (components_a.next(), components_b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(a), Some(b)) => match component(a, b) {
                Ordering::Equal => {}
                unequal => return unequal,
            },
        }
    }
}

/// Two components compared run by run: digits by number, text as text, digits first.
fn component(a: &str, b: &str) -> Ordering {
    let mut runs_a = runs(a);
    let mut runs_b = runs(b);
    loop {
        let order = match (runs_a.next(), runs_b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => match (is_digits(a), is_digits(b)) {
                (true, true) => number(a, b),
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => a.cmp(b),
            },
        };
        if order != Ordering::Equal {
            return order;
        }
    }
}

/// The maximal runs of ASCII digits and of other characters in `text`.
fn runs(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let digits = first.is_ascii_digit();
        let end = rest.find(|c: char| c.is_ascii_digit() != digits).unwrap_or(rest.len());
        let (run, after) = rest.split_at(end);
        rest = after;
        Some(run)
    })
}

fn is_digits(run: &str) -> bool {
    run.bytes().all(|byte| byte.is_ascii_digit())
}

/// Two runs of digits by the number they write, however long.
fn number(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::{compare, newest, tag_matches, version_from_tag};

    #[test]
    fn the_placeholder_takes_what_the_literal_prefix_and_suffix_leave() {
        assert_eq!(version_from_tag("v{version}", "v1.2.0"), Some("1.2.0".to_owned()));
        assert_eq!(version_from_tag("{version}", "v1.2.0"), Some("v1.2.0".to_owned()));
        assert_eq!(
            version_from_tag("release-{version}-final", "release-2.0-final"),
            Some("2.0".to_owned())
        );
        assert_eq!(version_from_tag("v{version}", "1.2.0"), None);
        assert_eq!(version_from_tag("v{version}", "v"), None);
        assert_eq!(version_from_tag("release-{version}-final", "release-2.0"), None);
        assert_eq!(version_from_tag("v{version}v", "vv"), None);
        assert_eq!(version_from_tag("v", "v1"), None);
        assert_eq!(version_from_tag("{version}-{version}", "1-2"), None);
    }

    #[test]
    fn tag_patterns_are_globs_whose_star_does_not_cross_a_slash() {
        assert!(tag_matches("v*", "v1.2.0"));
        assert!(tag_matches("release-[0-9]*", "release-3"));
        assert!(!tag_matches("v*", "other-3.0"));
        assert!(!tag_matches("v*", "v1/hotfix"));
        assert!(!tag_matches("v[", "v["));
    }

    #[test]
    fn versions_order_numerically_with_pre_releases_first() {
        let ordered = [
            "latest",
            "next",
            "0.9",
            "1.2",
            "1.2.0",
            "1.9.0",
            "1.10.0-alpha",
            "1.10.0-rc.1",
            "1.10.0-rc.2",
            "1.10.0-rc.10",
            "1.10.0",
            "1.10.0+build.1",
            "2.0.0-beta",
            "2.0.0",
            "10.0.0",
            "99999999999999999999999.0",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(compare(pair[0], pair[1]), Ordering::Less, "{} < {}", pair[0], pair[1]);
            assert_eq!(compare(pair[1], pair[0]), Ordering::Greater, "{} > {}", pair[1], pair[0]);
        }
        assert_eq!(compare("1.10.0", "1.10.0"), Ordering::Equal);
        assert_eq!(compare("v9", "v10"), Ordering::Less);
        assert_eq!(compare("rc.1", "rc.beta"), Ordering::Less);
    }

    #[test]
    fn newest_picks_the_highest_version_among_the_selected_tags() {
        let tags = ["v1.9.0", "v1.10.0-rc.1", "other-3.0", "v1.10.0", "v1.2.0", "vnext"];

        assert_eq!(
            newest(tags.iter().copied(), "v*", "v{version}"),
            Some(("v1.10.0".to_owned(), "1.10.0".to_owned()))
        );
        assert_eq!(
            newest(tags.iter().copied(), "v1.10.0-*", "v{version}"),
            Some(("v1.10.0-rc.1".to_owned(), "1.10.0-rc.1".to_owned()))
        );
        assert_eq!(
            newest(tags.iter().copied(), "other-*", "other-{version}"),
            Some(("other-3.0".to_owned(), "3.0".to_owned()))
        );
    }

    #[test]
    fn a_tag_the_version_pattern_cannot_read_is_skipped() {
        let tags = ["v1.0.0", "v2.0.0"];

        assert_eq!(newest(tags.iter().copied(), "*", "release-{version}"), None);
        assert_eq!(
            newest(["v1.0.0", "w9.0.0"].iter().copied(), "*", "v{version}"),
            Some(("v1.0.0".to_owned(), "1.0.0".to_owned()))
        );
    }

    #[test]
    fn equal_versions_resolve_by_tag_name_whatever_the_listing_order() {
        let forward = newest(["v1.0", "v01.0"].iter().copied(), "v*", "v{version}");
        let backward = newest(["v01.0", "v1.0"].iter().copied(), "v*", "v{version}");

        assert_eq!(forward, Some(("v1.0".to_owned(), "1.0".to_owned())));
        assert_eq!(backward, forward);
    }

    #[test]
    fn nothing_selected_or_an_invalid_glob_gives_none() {
        assert_eq!(newest(["v1.0.0"].iter().copied(), "release-*", "{version}"), None);
        assert_eq!(newest(["v1.0.0"].iter().copied(), "v[", "v{version}"), None);
        assert_eq!(newest(std::iter::empty(), "v*", "v{version}"), None);
    }
}
