//! Inlay hints of a `.stella.yaml`: after `release.tag_pattern`, the newest tag it selects
//! and the version `version_pattern` reads from it (`→ v1.4.2 (1.4.2)`, or
//! `→ no matching tag`, or `→ no tag version_pattern can read` when the glob selects tags
//! but none holds a version); after the colon of each branch glob under `branches`, how many
//! local branches it matches (`3 branches`). A branch key without glob characters names
//! one branch and gets no hint.
//!
//! Finding the places ([`sites`]) comes first, so the caller asks git only for what those
//! places need, once for the whole file; [`hints`] then renders them. Nothing here does IO.

use crate::core::actions::Document;
use crate::core::navigate;
use crate::core::semantic;
use crate::core::span::Span;
use crate::core::version;

/// One hint: text shown at a byte offset, set apart from what comes before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub offset: usize,
    pub label: String,
}

/// The places of a file that get hints, within the range asked about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sites {
    /// The end of the `tag_pattern` value, the glob and the `version_pattern` in effect.
    pub tag_pattern: Option<TagSite>,
    /// For each branch glob: where its hint goes (after the colon that ends the key) and
    /// the glob.
    pub branch_globs: Vec<(usize, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagSite {
    pub offset: usize,
    pub pattern: String,
    pub version_pattern: String,
}

impl Sites {
    pub fn needs_tags(&self) -> bool {
        self.tag_pattern.is_some()
    }

    pub fn needs_branches(&self) -> bool {
        !self.branch_globs.is_empty()
    }
}

/// The places in `within` (byte offsets of `text`, ends included) that get a hint. A
/// `tag_pattern` that is not a valid glob, or a `version_pattern` without exactly one
/// `{version}`, gets none: the diagnostics already say what is wrong.
pub fn sites(document: &Document, text: &str, within: Span) -> Sites {
    let inside = |offset: usize| within.start <= offset && offset <= within.end;
    let release = &document.config.release;

    let version_pattern =
        release.version_pattern.as_ref().map_or(version::PLACEHOLDER, |spanned| &spanned.value);
    let placeholders = version_pattern.matches(version::PLACEHOLDER).count();
    // The hint goes right after the value, before a comment that may follow it.
    let value_end = |span: Span| navigate::value_text(text, span).end;
    let tag_pattern = release
        .tag_pattern
        .as_ref()
        .filter(|pattern| inside(value_end(pattern.span)))
        .filter(|pattern| semantic::glob(&pattern.value).is_ok() && placeholders == 1)
        .map(|pattern| TagSite {
            offset: value_end(pattern.span),
            pattern: pattern.value.clone(),
            version_pattern: version_pattern.to_owned(),
        });

    let branch_globs = document
        .config
        .branches
        .iter()
        .filter(|branch| is_glob(&branch.pattern.value))
        .filter(|branch| semantic::glob(&branch.pattern.value).is_ok())
        .map(|branch| (after_colon(text, branch.pattern.span.end), branch.pattern.value.clone()))
        .filter(|(offset, _)| inside(*offset))
        .collect();

    Sites { tag_pattern, branch_globs }
}

/// The hints at `sites`, given the repository's tags and local branches (`None` when they
/// could not be read, which leaves those hints out). In the order of `sites`: the tag
/// first, then the branches.
pub fn hints(sites: &Sites, tags: Option<&[String]>, branches: Option<&[String]>) -> Vec<Hint> {
    let mut hints = Vec::new();

    if let (Some(site), Some(tags)) = (&sites.tag_pattern, tags) {
        let newest =
            version::newest(tags.iter().map(String::as_str), &site.pattern, &site.version_pattern);
        let label = match newest {
            // With the default `{version}`, the version is the whole tag: said once.
            Some((tag, version)) if tag == version => format!("→ {tag}"),
            Some((tag, version)) => format!("→ {tag} ({version})"),
            // Tags the glob selects but the version pattern cannot read: hover counts them,
            // so the hint must not say that none match.
            None if any_match(tags, &site.pattern) => {
                "→ no tag version_pattern can read".to_owned()
            }
            None => "→ no matching tag".to_owned(),
        };
        hints.push(Hint { offset: site.offset, label });
    }

    if let Some(branches) = branches {
        // One set of every glob, so each branch is matched once against all of them.
        let mut set = globset::GlobSetBuilder::new();
        for (_, pattern) in &sites.branch_globs {
            if let Ok(glob) = semantic::glob(pattern) {
                set.add(glob);
            }
        }
        let Ok(set) = set.build() else {
            return hints;
        };
        let mut counts = vec![0_usize; sites.branch_globs.len()];
        for branch in branches {
            for index in set.matches(branch.as_str()) {
                counts[index] += 1;
            }
        }

        for ((offset, _), count) in sites.branch_globs.iter().zip(counts) {
            let label =
                if count == 1 { "1 branch".to_owned() } else { format!("{count} branches") };
            hints.push(Hint { offset: *offset, label });
        }
    }
    hints
}

/// Whether the glob `pattern` selects any of `tags`.
fn any_match(tags: &[String], pattern: &str) -> bool {
    let Ok(glob) = semantic::glob(pattern) else {
        return false;
    };
    let matcher = glob.compile_matcher();
    tags.iter().any(|tag| matcher.is_match(tag))
}

/// Whether a branch key is a pattern rather than one branch's name.
fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

/// Just past the `:` that follows a key ending at `key_end` (spaces between allowed), or
/// `key_end` itself when no colon follows (a key read through a merge or an alias).
fn after_colon(text: &str, key_end: usize) -> usize {
    let rest = text.get(key_end..).unwrap_or_default();
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    if rest[spaces..].starts_with(':') {
        key_end + spaces + 1
    } else {
        key_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colon_after_a_quoted_key_is_found_past_spaces() {
        let text = "branches:\n  \"release/*\" :\n    environment: x\n";
        let key_end = text.find(" :").unwrap();

        assert_eq!(after_colon(text, key_end), key_end + 2);
        assert_eq!(after_colon(text, 0), 0);
    }
}
