//! Analysis off the read loop: one worker task takes jobs in wire order, analyses the
//! newest text of each dirty document on the blocking pool and is the only publisher of
//! diagnostics, so publishes for a uri never overtake each other.
//!
//! Coalescing: the worker drains every queued job before starting, keeps one analysis per
//! uri and always analyses the text current at that moment, so a burst of edits costs one
//! analysis of the newest text. Results for a version that is no longer current are dropped
//! by [`DocumentStore::accept`].

use tokio::sync::mpsc;
use tower_lsp_server::{ls_types, Client};
use tracing::Instrument;

use crate::core;
use crate::files::DiskFiles;
use crate::lsp::remote::{notes, Remote};
use crate::lsp::store::{DocumentKind, DocumentStore, Snapshot, Verdict};
use crate::lsp::to_proto;

#[derive(Debug)]
enum Job {
    /// The text of this uri changed (or it was opened).
    Analyze(String),
    /// What the orchestrator says of this uri changed: publish again, without analysing.
    Republish(String),
    /// This uri was closed: clear its diagnostics once.
    Closed(ls_types::Uri),
}

/// The sending side of the worker's queue. Sending never blocks, so it is safe in
/// [`tower::Service::call`].
#[derive(Clone, Debug)]
pub struct Scheduler {
    sender: mpsc::UnboundedSender<Job>,
}

impl Scheduler {
    pub fn analyze(&self, uri: &str) {
        self.send(Job::Analyze(uri.to_owned()));
    }

    pub fn republish(&self, uri: &str) {
        self.send(Job::Republish(uri.to_owned()));
    }

    pub fn closed(&self, uri: ls_types::Uri) {
        self.send(Job::Closed(uri));
    }

    fn send(&self, job: Job) {
        if self.sender.send(job).is_err() {
            tracing::debug!("analysis worker has stopped");
        }
    }
}

/// The receiving side of the worker's queue, handed to [`start`].
#[derive(Debug)]
pub struct Jobs {
    receiver: mpsc::UnboundedReceiver<Job>,
}

/// A new, empty queue.
pub fn queue() -> (Scheduler, Jobs) {
    let (sender, receiver) = mpsc::unbounded_channel();
    (Scheduler { sender }, Jobs { receiver })
}

/// Starts the worker on the current tokio runtime. It stops when every [`Scheduler`] is
/// dropped.
pub fn start(jobs: Jobs, store: DocumentStore, client: Client, remote: Remote) {
    tokio::spawn(run(jobs.receiver, store, client, remote));
}

async fn run(
    mut receiver: mpsc::UnboundedReceiver<Job>,
    store: DocumentStore,
    client: Client,
    remote: Remote,
) {
    while let Some(first) = receiver.recv().await {
        let mut jobs = vec![first];
        while let Ok(job) = receiver.try_recv() {
            jobs.push(job);
        }

        for job in coalesce(jobs) {
            match job {
                Job::Analyze(uri) => analyze_and_publish(&store, &client, &remote, &uri).await,
                Job::Republish(uri) => republish(&store, &client, &remote, &uri).await,
                Job::Closed(uri) => clear(&store, &client, uri).await,
            }
        }
    }
}

/// Keeps the jobs in order but only the last `Analyze` of each uri, and a `Republish` only
/// when no `Analyze` or `Republish` of its uri follows (an analysis publishes anyway).
fn coalesce(jobs: Vec<Job>) -> Vec<Job> {
    let mut kept: Vec<Job> = Vec::with_capacity(jobs.len());
    for job in jobs.into_iter().rev() {
        let repeated = match &job {
            Job::Analyze(uri) => {
                kept.iter().any(|later| matches!(later, Job::Analyze(other) if other == uri))
            }
            Job::Republish(uri) => kept.iter().any(|later| {
                matches!(later, Job::Analyze(other) | Job::Republish(other) if other == uri)
            }),
            Job::Closed(_) => false,
        };
        if !repeated {
            kept.push(job);
        }
    }
    kept.reverse();
    kept
}

async fn analyze_and_publish(store: &DocumentStore, client: &Client, remote: &Remote, uri: &str) {
    let Some(snapshot) = store.snapshot(uri) else {
        return;
    };
    if store.published_version(uri) == Some(snapshot.version) {
        return;
    }

    let version = snapshot.version;
    let span = tracing::info_span!("analysis", uri, version);
    async move {
        let publish_uri = snapshot.uri.clone();
        let Some((snapshot, diagnostics)) = diagnostics_off_thread(store, snapshot).await else {
            return;
        };

        let Verdict::Publish(diagnostics) = store.accept(uri, version, diagnostics) else {
            tracing::debug!("analysis result is stale; dropped");
            return;
        };
        if snapshot.kind == DocumentKind::Stella {
            remote.schedule_validation(uri);
        }

        if store.session().push_diagnostics && !store.is_shut_down() {
            let diagnostics = with_remote_notes(remote, &snapshot, diagnostics);
            client.publish_diagnostics(publish_uri, diagnostics, Some(version)).await;
        }
    }
    .instrument(span)
    .await;
}

/// Publishes the last analysis of `uri` again with the orchestrator's current notes, when
/// that analysis is for the current version (else the pending analysis will publish).
async fn republish(store: &DocumentStore, client: &Client, remote: &Remote, uri: &str) {
    if !store.session().push_diagnostics || store.is_shut_down() {
        return;
    }
    let Some(snapshot) = store.snapshot(uri) else {
        return;
    };
    let Some(analysis) = store.current_analysis(uri) else {
        return;
    };
    if analysis.version != snapshot.version
        || store.published_version(uri) != Some(snapshot.version)
    {
        return;
    }

    let version = snapshot.version;
    let publish_uri = snapshot.uri.clone();
    let diagnostics = with_remote_notes(remote, &snapshot, analysis.diagnostics.clone());
    client.publish_diagnostics(publish_uri, diagnostics, Some(version)).await;
}

/// The local diagnostics of `snapshot` followed by the orchestrator's notes on the same
/// text.
pub fn with_remote_notes(
    remote: &Remote,
    snapshot: &Snapshot,
    mut diagnostics: Vec<ls_types::Diagnostic>,
) -> Vec<ls_types::Diagnostic> {
    if snapshot.kind != DocumentKind::Stella {
        return diagnostics;
    }
    diagnostics.extend(notes::diagnostics(
        remote,
        snapshot.uri.as_str(),
        &snapshot.text,
        snapshot.encoding,
    ));
    diagnostics
}

async fn clear(store: &DocumentStore, client: &Client, uri: ls_types::Uri) {
    if store.session().push_diagnostics && !store.is_shut_down() {
        client.publish_diagnostics(uri, Vec::new(), None).await;
    }
}

/// Analyses `snapshot` on the blocking pool, with the document's incremental analyzer
/// (which it takes from the store and gives back), and hands the snapshot back with the
/// result so callers need not copy the text. `None` when the analysis panicked (logged);
/// the analyzer is then dropped and the next analysis starts afresh.
pub async fn diagnostics_off_thread(
    store: &DocumentStore,
    snapshot: Snapshot,
) -> Option<(Snapshot, Vec<ls_types::Diagnostic>)> {
    let uri = snapshot.uri.as_str().to_owned();
    let mut analyzer = store.take_analyzer(&uri);

    let analysed = tokio::task::spawn_blocking(move || {
        let diagnostics = diagnostics(&snapshot, &mut analyzer);
        (analyzer, snapshot, diagnostics)
    })
    .await;

    match analysed {
        Ok((analyzer, snapshot, diagnostics)) => {
            store.give_back_analyzer(&uri, analyzer);
            Some((snapshot, diagnostics))
        }
        Err(error) => {
            tracing::error!(uri, %error, "analysis failed");
            None
        }
    }
}

/// Analyses one snapshot and converts the result on the same text.
pub fn diagnostics(
    snapshot: &Snapshot,
    analyzer: &mut core::Analyzer,
) -> Vec<ls_types::Diagnostic> {
    let analysis = match snapshot.kind {
        DocumentKind::Stella => stella_analysis(snapshot, analyzer),
        // The global config is small enough to analyse whole, and names no paths to check.
        DocumentKind::GlobalConfig => core::global::analyze(&snapshot.text),
        DocumentKind::Other => core::Analysis::default(),
    };

    to_proto::diagnostics(&snapshot.uri, &snapshot.text, &analysis.diagnostics, snapshot.encoding)
}

fn stella_analysis(snapshot: &Snapshot, analyzer: &mut core::Analyzer) -> core::Analysis {
    let files = snapshot.path.as_deref().and_then(DiskFiles::around);
    let context =
        core::Context { files: files.as_ref().map(|files| files as &dyn core::FileSystem) };

    analyzer.analyze(&snapshot.text, &context)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(jobs: &[Job]) -> Vec<String> {
        jobs.iter()
            .map(|job| match job {
                Job::Analyze(uri) => format!("analyze {uri}"),
                Job::Republish(uri) => format!("republish {uri}"),
                Job::Closed(uri) => format!("closed {}", uri.as_str()),
            })
            .collect()
    }

    #[test]
    fn coalescing_keeps_the_last_analysis_of_each_uri_in_order() {
        let closed: ls_types::Uri = "file:///b".parse().unwrap();
        let jobs = vec![
            Job::Analyze("a".to_owned()),
            Job::Analyze("b".to_owned()),
            Job::Analyze("a".to_owned()),
            Job::Closed(closed),
            Job::Analyze("b".to_owned()),
        ];

        assert_eq!(names(&coalesce(jobs)), ["analyze a", "closed file:///b", "analyze b"]);
    }

    #[test]
    fn a_republish_is_dropped_when_an_analysis_or_republish_of_its_uri_follows() {
        let jobs = vec![
            Job::Republish("a".to_owned()),
            Job::Republish("b".to_owned()),
            Job::Analyze("a".to_owned()),
            Job::Republish("b".to_owned()),
            Job::Republish("c".to_owned()),
        ];

        assert_eq!(names(&coalesce(jobs)), ["analyze a", "republish b", "republish c"]);
    }
}
