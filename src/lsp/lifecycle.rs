//! The end of the server's life when the editor is gone without saying so: a watch on the
//! `processId` the client gave at `initialize`. (Stdin reaching its end, and `exit`, end
//! the session in [`crate::lsp::serve_stdio`].)

use std::time::Duration;

use crate::lsp::store::DocumentStore;

/// How often the editor's process is looked for.
const PARENT_POLL: Duration = Duration::from_secs(5);

/// Exits the process once `process_id` no longer runs: code 0 after `shutdown`, else 1.
/// The watch goes on after `shutdown`, which stops every other task: an editor may die
/// between `shutdown` and `exit`.
pub fn watch_parent(store: DocumentStore, process_id: u32) {
    if !process_exists(process_id) {
        tracing::warn!(process_id, "the editor's process id names no running process; not watched");
        return;
    }

    tokio::spawn(async move {
        loop {
            tokio::time::sleep(PARENT_POLL).await;
            if !process_exists(process_id) {
                tracing::info!(process_id, "the editor's process is gone; exiting");
                std::process::exit(i32::from(!store.is_shut_down()));
            }
        }
    });
}

#[cfg(unix)]
fn process_exists(process_id: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(process_id) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_exists(_process_id: u32) -> bool {
    // FIXME(parent-watch): no check off unix; the server still ends on stdin's end.
    true
}
