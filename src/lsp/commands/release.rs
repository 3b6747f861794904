//! `stella.createRelease`: a release of the file's name and components, at a version given
//! or read from the newest git tag that `tag_pattern` selects.

use std::path::PathBuf;

use crate::lsp::commands::{open_external, unanswered, Flow, Outcome, CREATE_RELEASE};
use crate::lsp::remote::progress::Progress;
use crate::lsp::remote::Remote;
use crate::orchestrator::api;

/// `stella.createRelease`.
pub(super) async fn create(remote: &Remote, flow: &Flow) -> Outcome {
    let api = &flow.api;
    let name = flow.release_name();

    let (version, source_ref) = match &flow.arguments.version {
        Some(version) => (version.clone(), None),
        None => match newest_tag(flow).await {
            Ok((tag, version)) => (version, Some(tag)),
            Err(outcome) => return outcome,
        },
    };

    let mut components = Vec::new();
    for component in &flow.document.config.components {
        let Some(image) = &component.image else {
            return Outcome::warning(format!(
                "Component \"{}\" has no image",
                component.name.value
            ));
        };
        components.push(api::ReleaseComponent {
            name: component.name.value.clone(),
            image: image.value.clone(),
            tag: Some(version.clone()),
            digest: None,
        });
    }
    if components.is_empty() {
        return Outcome::warning(format!("{} has no components to release", flow.file));
    }

    let progress = Progress::begin(remote, &format!("Creating release {name} {version}")).await;
    let body = api::CreateRelease {
        name: name.clone(),
        version: version.clone(),
        source_ref,
        labels: None,
        components,
    };
    if progress.is_cancelled() || remote.is_shutting_down() {
        progress.end("Cancelled; nothing was sent").await;
        return Outcome::warning("Release creation cancelled; nothing was sent");
    }
    let created = api.create_release(&body).await;
    remote.note_outcome(&created);

    let outcome = match created {
        Ok(created) => {
            let url = format!("{}/releases/{}", api.server(), created.id);
            let message = format!("Created release {} ({name} {version})", created.id);
            if remote.capabilities().show_document {
                open_external(remote, &url);
                Outcome::info(message)
            } else {
                Outcome::info(format!("{message}: {url}"))
            }
        }
        Err(error) => unanswered(&error, "release", "created", "creating it again")
            .unwrap_or_else(|| Outcome::error(error.to_string())),
    };
    progress.end(&outcome.message).await;
    outcome
}

/// The newest git tag that `tag_pattern` selects, and the version `version_pattern` reads
/// from it.
async fn newest_tag(flow: &Flow) -> Result<(String, String), Outcome> {
    let release = &flow.document.config.release;
    let tag_pattern = release.tag_pattern.as_ref().map(|pattern| pattern.value.clone());
    let version_pattern = release
        .version_pattern
        .as_ref()
        .map_or_else(|| "{version}".to_owned(), |pattern| pattern.value.clone());
    let folder = flow.path.as_ref().and_then(|path| path.parent()).map(PathBuf::from);
    let (Some(tag_pattern), Some(folder)) = (tag_pattern, folder) else {
        return Err(Outcome::warning(format!(
            "{} has no tag_pattern on disk to read a version from; run {CREATE_RELEASE} with \"version\"",
            flow.file
        )));
    };

    let found = tokio::task::spawn_blocking(move || {
        crate::git::newest_release_tag(&folder, &tag_pattern, &version_pattern)
    })
    .await;
    match found {
        Ok(Ok(Some(found))) => Ok(found),
        Ok(Ok(None)) => Err(Outcome::warning(format!(
            "No git tag matches \"{}\"; tag a commit or run {CREATE_RELEASE} with \"version\"",
            flow.document
                .config
                .release
                .tag_pattern
                .as_ref()
                .map(|pattern| pattern.value.as_str())
                .unwrap_or_default()
        ))),
        Ok(Err(error)) => Err(Outcome::warning(format!(
            "Cannot read the git tags ({error}); run {CREATE_RELEASE} with \"version\""
        ))),
        Err(error) => Err(Outcome::error(format!("reading the git tags failed: {error}"))),
    }
}
