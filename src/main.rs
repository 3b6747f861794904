//! The `stella-lsp` executable: see [`stella_lsp::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    stella_lsp::cli::main()
}
