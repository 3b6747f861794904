//! The command line: `serve`, `check` and `schema`.
