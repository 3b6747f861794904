//! stella-lsp: checks `.stella.yaml`, the GitOps file of the Stella release orchestrator.
//!
//! The crate has three layers, each in its own folder:
//! - [`core`] is pure: text in, diagnostics out. It knows nothing of LSP, async or I/O
//!   (the file system is reached only through the [`core::FileSystem`] trait).
//! - [`lsp`] is the language server: document store, position encodings, the protocol.
//! - [`cli`] is the command line: `serve`, `check` and `schema`.
//!
//! Beside them, [`orchestrator`] talks to the Stella server over HTTP for the editor's
//! actions (the core never waits on it), and [`git`] reads the local repository through
//! the `git` binary (tags, `HEAD`).

pub mod cli;
pub mod core;
pub mod files;
pub mod git;
pub mod logging;
pub mod lsp;
pub mod orchestrator;
