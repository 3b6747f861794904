//! The Stella orchestrator seen from the language server: where it is, how to sign in, and
//! a typed HTTP client for the part of its REST API that the editor actions use
//! (`shared/api/stella-api.yaml`).
//!
//! - [`settings`] reads the user's own configuration: environment variables and the files
//!   under `~/.stella`. Nothing from the workspace is read, so a cloned repository can never
//!   choose the server or the token.
//! - [`client`] sends the requests: bearer token on every call but the version probe, plain
//!   http only to loopback, redirects never followed, a connect and a total timeout on every
//!   call, and at most one retry, only when no connection was ever made.
//! - [`api`] holds the request and answer types, field for field as the contract has them.
//! - [`error`] turns every failure into one sentence the user can act on. Text that came
//!   from the server is scrubbed of the token before it is kept.
//!
//! The token is a [`Token`], which prints as `***`; only [`Token::expose`] gives the text,
//! and only the client calls it, to build the `Authorization` header.

pub mod api;
pub mod client;
pub mod error;
pub mod settings;

pub use client::Client;
pub use error::ApiError;
pub use settings::{Settings, SettingsError, Timeouts, Token};
