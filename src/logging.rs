//! Logs go to stderr through `tracing`; stdout belongs to the protocol.
//!
//! The filter comes from `STELLA_LSP_LOG` (for example `debug` or `stella_lsp=trace`),
//! and defaults to `warn`.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter =
        EnvFilter::try_from_env("STELLA_LSP_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
