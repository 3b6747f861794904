//! The server's side of the orchestrator: what it last said, whether it can be reached, and
//! the work that talks to it (polling, server-side validation, command flows).
//!
//! Nothing on a request path waits on the network: lenses, hovers, diagnostics and
//! `stella/status` read [`Remote`]'s cache, and everything that calls the orchestrator runs
//! in a spawned task tracked here, so `shutdown` can stop it.
//!
//! The orchestrator's address and token come only from the user's own settings
//! ([`crate::orchestrator::Settings`]); nothing in the workspace can change them.

pub mod notes;
pub mod poller;
pub mod progress;
pub mod state;
pub mod validation;

pub use state::{Capabilities, Connection, Remote};
