//! The orchestrator's own rules, on a model that passed the schema: names that must be
//! unique, references that must resolve, globs, version patterns, image references and
//! paths.

use std::collections::{HashMap, HashSet};

use globset::{Glob, GlobBuilder};

use crate::core::diagnostic::{Code, Diagnostic};
use crate::core::image;
use crate::core::model::{Config, Spanned};
use crate::core::suggest;
use crate::core::{Context, FileKind, FileSystem};

/// Versions tried when checking that `version_pattern` can read the tags `tag_pattern`
/// selects: the shapes release versions commonly take.
const SAMPLE_VERSIONS: &[&str] = &["1.2.3", "1.2", "1", "1.2.3-rc.1", "2024.01.15", "20240115"];

pub fn diagnostics(config: &Config, context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();

    duplicates(
        &mut diagnostics,
        Code::DuplicateComponent,
        "component",
        config.components.iter().map(|c| &c.name),
    );
    if let Some(auto_promote) = &config.auto_promote {
        let names = auto_promote.environments.iter().map(|environment| &environment.name);
        duplicates(&mut diagnostics, Code::DuplicateEnvironment, "environment", names);
    }
    globs(&mut diagnostics, config);
    version_pattern(&mut diagnostics, config);
    environment_references(&mut diagnostics, config);
    approval_conflicts(&mut diagnostics, config);
    images(&mut diagnostics, config);
    if let Some(files) = context.files {
        paths(&mut diagnostics, config, files);
    }

    diagnostics.sort_by_key(|diagnostic| (diagnostic.span, diagnostic.code));
    diagnostics
}

/// How every glob of the format is read (`tag_pattern`, branch patterns, ignore paths): as
/// globset does, except that `*` and `?` never match a `/`.
pub fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

fn duplicates<'a>(
    diagnostics: &mut Vec<Diagnostic>,
    code: Code,
    noun: &str,
    names: impl Iterator<Item = &'a Spanned<String>>,
) {
    let mut first_seen: HashMap<&str, &Spanned<String>> = HashMap::new();
    for name in names {
        match first_seen.get(name.value.as_str()) {
            Some(first) => diagnostics.push(
                Diagnostic::new(code, name.span, format!("duplicate {noun} name `{}`", name.value))
                    .with_related(first.span, format!("`{}` is first named here", name.value)),
            ),
            None => {
                first_seen.insert(&name.value, name);
            }
        }
    }
}

fn globs(diagnostics: &mut Vec<Diagnostic>, config: &Config) {
    let tag_pattern = config.release.tag_pattern.iter().map(|pattern| (pattern, "`tag_pattern`"));
    let branches = config.branches.iter().map(|branch| (&branch.pattern, "the branch pattern"));
    let ignore_paths = config.ignore_paths.iter().map(|path| (path, "the ignore path"));

    for (pattern, what) in tag_pattern.chain(branches).chain(ignore_paths) {
        if let Err(error) = glob(&pattern.value) {
            let reason = error.kind().to_string();
            diagnostics.push(Diagnostic::new(
                Code::InvalidGlob,
                pattern.span,
                format!(
                    "{what} `{}` is not a valid glob: {}",
                    pattern.value,
                    reason.to_lowercase()
                ),
            ));
        }
    }
}

fn version_pattern(diagnostics: &mut Vec<Diagnostic>, config: &Config) {
    let Some(version_pattern) = &config.release.version_pattern else {
        return;
    };
    let placeholders = version_pattern.value.matches("{version}").count();
    if placeholders != 1 {
        let found = if placeholders == 0 { "none".to_owned() } else { placeholders.to_string() };
        diagnostics.push(Diagnostic::new(
            Code::VersionPlaceholder,
            version_pattern.span,
            format!("`version_pattern` must hold `{{version}}` exactly once (found {found})"),
        ));
        return;
    }

    let Some(tag_pattern) = &config.release.tag_pattern else {
        return;
    };
    let Ok(tag_glob) = glob(&tag_pattern.value) else {
        return;
    };
    let matcher = tag_glob.compile_matcher();
    let example = version_pattern.value.replace("{version}", SAMPLE_VERSIONS[0]);
    let readable = SAMPLE_VERSIONS
        .iter()
        .any(|version| matcher.is_match(version_pattern.value.replace("{version}", version)));
    if !readable {
        diagnostics.push(
            Diagnostic::new(
                Code::VersionMismatch,
                version_pattern.span,
                format!(
                    "`version_pattern` `{}` reads tags like `{example}`, but `tag_pattern` `{}` selects none of them",
                    version_pattern.value, tag_pattern.value
                ),
            )
            .with_related(tag_pattern.span, "the tags are selected here"),
        );
    }
}

fn environment_references(diagnostics: &mut Vec<Diagnostic>, config: &Config) {
    let Some(auto_promote) = &config.auto_promote else {
        return;
    };
    let mut declared: Vec<&str> = auto_promote
        .environments
        .iter()
        .map(|environment| environment.name.value.as_str())
        .collect();
    let known: HashSet<&str> = declared.iter().copied().collect();
    // Listed once each, in the order they are declared.
    let mut listed = HashSet::new();
    declared.retain(|name| listed.insert(*name));

    for branch in &config.branches {
        let Some(environment) = &branch.environment else {
            continue;
        };
        if known.contains(environment.value.as_str()) {
            continue;
        }
        let message = match suggest::closest(&environment.value, declared.iter().copied()) {
            Some(suggestion) => format!(
                "unknown environment `{}` (did you mean `{suggestion}`?)",
                environment.value
            ),
            None => format!(
                "unknown environment `{}`; `auto_promote.environments` declares: {}",
                environment.value,
                declared.join(", ")
            ),
        };
        diagnostics.push(Diagnostic::new(Code::UnknownEnvironment, environment.span, message));
    }
}

fn approval_conflicts(diagnostics: &mut Vec<Diagnostic>, config: &Config) {
    let Some(auto_promote) = &config.auto_promote else {
        return;
    };
    for environment in &auto_promote.environments {
        let (Some(auto_approve), Some(require_review)) =
            (&environment.auto_approve, &environment.require_review)
        else {
            continue;
        };
        if auto_approve.value && require_review.value {
            diagnostics.push(
                Diagnostic::new(
                    Code::ApprovalConflict,
                    auto_approve.span,
                    format!(
                        "environment `{}` has `auto_approve: true` and `require_review: true`; a reviewed promotion cannot be approved automatically",
                        environment.name.value
                    ),
                )
                .with_related(require_review.span, "review is required here"),
            );
        }
    }
}

fn images(diagnostics: &mut Vec<Diagnostic>, config: &Config) {
    for image in config.components.iter().filter_map(|component| component.image.as_ref()) {
        if let Some(problem) = image::problem(&image.value) {
            diagnostics.push(Diagnostic::new(
                Code::InvalidImage,
                image.span,
                format!("`{}` is not a valid image reference: {problem}", image.value),
            ));
        }
    }
}

fn paths(diagnostics: &mut Vec<Diagnostic>, config: &Config, files: &dyn FileSystem) {
    let component_paths = config.components.iter().flat_map(|component| {
        [
            component.dockerfile.as_ref().map(|path| (path, "dockerfile", FileKind::File)),
            component
                .build_context
                .as_ref()
                .map(|path| (path, "build_context", FileKind::Directory)),
        ]
    });
    let workflows = config
        .auto_promote
        .iter()
        .flat_map(|auto_promote| &auto_promote.environments)
        .map(|environment| {
            environment.test_workflow.as_ref().map(|path| (path, "test_workflow", FileKind::File))
        });

    for (path, key, expected) in component_paths.chain(workflows).flatten() {
        let message = match files.kind(&path.value) {
            Some(kind) if kind == expected => continue,
            Some(FileKind::Directory) => {
                format!("`{key}` names `{}`, which is a directory, not a file", path.value)
            }
            Some(FileKind::File) => {
                format!("`{key}` names `{}`, which is a file, not a directory", path.value)
            }
            None => {
                format!("`{key}` names `{}`, which does not exist next to this file", path.value)
            }
        };
        diagnostics.push(Diagnostic::new(Code::MissingPath, path.span, message));
    }
}
