//! Server-side validation (`POST /api/v1/config/validate`): run a moment after the last
//! edit of a document whose local checks pass, only while the orchestrator is reachable and
//! the user signed in. Its findings join the document's diagnostics through
//! [`crate::lsp::remote::notes`].

use std::path::{Path, PathBuf};

use tower_lsp_server::ls_types;

use crate::lsp::remote::state::Finding;
use crate::lsp::remote::{Connection, Remote};
use crate::lsp::store::DocumentKind;
use crate::orchestrator::api;

/// Validates the current text of `uri` on the orchestrator and stores the findings.
pub async fn run(remote: &Remote, uri: &str) {
    if remote.connection() != Connection::Online {
        return;
    }
    let Ok(api) = remote.api() else {
        return;
    };
    let Some(snapshot) = remote.store().snapshot(uri) else {
        return;
    };
    // Only a `.stella.yaml` goes to the orchestrator; never the global config, which may
    // hold secrets of its own.
    if snapshot.kind != DocumentKind::Stella {
        return;
    }
    let local_errors = remote.store().current_analysis(uri).is_some_and(|analysis| {
        analysis.version == snapshot.version
            && analysis
                .diagnostics
                .iter()
                .any(|diagnostic| diagnostic.severity == Some(ls_types::DiagnosticSeverity::ERROR))
    });
    if local_errors {
        remote.set_findings(uri, Vec::new());
        return;
    }

    let document = api::ConfigDocument {
        content: snapshot.text,
        path: snapshot.path.as_deref().map(repository_path),
    };
    let validated = api.validate(&document).await;
    remote.note_outcome(&validated);
    match validated {
        Ok(validation) => {
            let findings = validation.errors.into_iter().map(Finding::from).collect();
            remote.set_findings(uri, findings);
        }
        Err(error) => tracing::debug!(uri, %error, "server-side validation failed"),
    }
}

/// The path of `file` relative to the root of its git repository (the folder holding
/// `.git`), or its bare name outside one.
pub fn repository_path(file: &Path) -> String {
    let root = file.ancestors().skip(1).find(|folder| folder.join(".git").exists());
    let relative = root
        .and_then(|root| file.strip_prefix(root).ok())
        .map(Path::to_path_buf)
        .or_else(|| file.file_name().map(PathBuf::from))
        .unwrap_or_default();
    relative.to_string_lossy().replace('\\', "/")
}
