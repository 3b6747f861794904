//! The command line: `serve`, `check` and `schema`.
//!
//! `check` prints `path:line:col: severity[code]: message` (1-based line, 1-based column in
//! code points), related information indented below as `  path:line:col: note: message`,
//! and a summary on stderr; or, with `--format json`, one JSON document on stdout: an array
//! of `{path, diagnostics}`, each diagnostic `{severity, code, message, range, location,
//! related}` where `range` is LSP-style (0-based line, UTF-16 `character`) and `location`
//! is as printed (1-based `line` and code-point `column`); `related` items carry `message`,
//! `range` and `location` in the same file. With `--format sarif`, one SARIF 2.1.0 log on
//! stdout (see [`sarif`]); with `--format github`, one GitHub workflow annotation per
//! diagnostic (see [`github_line`]). It exits
//! 0 when no diagnostic is an error, 1 when one is, and 2 on usage or I/O errors (those win
//! over 1). A file that is not valid UTF-8 is an I/O error: its content cannot be a YAML
//! text, and a diagnostic would need a position in text that does not exist.
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "this module is the command line")]

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::core;
use crate::files::DiskFiles;

#[derive(Debug, Parser)]
#[command(name = "stella-lsp", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the language server protocol over stdio (the default).
    Serve,
    /// Check files and report diagnostics; exit 1 on errors, 2 on usage or I/O errors.
    Check(CheckArgs),
    /// Print the JSON schema of `.stella.yaml` (or, with `--global`, of the global config).
    Schema(SchemaArgs),
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Files or directories to check; default: every `.stella.yaml` and `.stella.yml` below
    /// the current directory.
    paths: Vec<PathBuf>,
    /// How to print the diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct SchemaArgs {
    /// Print the schema of the global config, `~/.stella/config.yaml`, instead.
    #[arg(long)]
    global: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning tools.
    Sarif,
    /// GitHub Actions workflow annotations (`::error file=…::message`).
    Github,
}

const EXIT_ERRORS: u8 = 1;
const EXIT_FAILURE: u8 = 2;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::logging::init();

    let result = match cli.command {
        None | Some(Command::Serve) => serve(),
        Some(Command::Check(args)) => check(&args),
        Some(Command::Schema(args)) => schema(&args),
    };

    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("stella-lsp: {error:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn serve() -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;

    // The protocol: exit code 0 after `shutdown`, 1 when the client left without it.
    let shut_down = runtime.block_on(crate::lsp::serve_stdio());
    // The task reading stdin may still wait for input that never comes; do not wait for it.
    runtime.shutdown_background();
    Ok(if shut_down { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn schema(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    let format = if args.global { core::Format::GlobalConfig } else { core::Format::Stella };
    let schema = format.schema();

    let mut stdout = io::stdout().lock();
    stdout.write_all(schema.as_bytes()).context("cannot write to stdout")?;
    if !schema.ends_with('\n') {
        writeln!(stdout).context("cannot write to stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One checked file: its path as shown, its text and the analysis of it.
struct Checked {
    path: PathBuf,
    text: String,
    diagnostics: Vec<core::Diagnostic>,
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        let found = find_stella_files(Path::new("."));
        if found.is_empty() {
            anyhow::bail!("no .stella.yaml or .stella.yml file found below the current directory");
        }
        found
    } else {
        expand_paths(&args.paths)?
    };

    let mut checked = Vec::new();
    let mut failures = 0_usize;
    for path in paths {
        match check_file(&path) {
            Ok(file) => checked.push(file),
            Err(error) => {
                eprintln!("stella-lsp: {error:#}");
                failures += 1;
            }
        }
    }

    match args.format {
        Format::Human => print_human(&checked).context("cannot write to stdout")?,
        Format::Json => print_json(&checked).context("cannot write to stdout")?,
        Format::Sarif => print_sarif(&checked).context("cannot write to stdout")?,
        Format::Github => print_github(&checked).context("cannot write to stdout")?,
    }
    print_summary(&checked, failures);

    let any_error = checked
        .iter()
        .flat_map(|file| &file.diagnostics)
        .any(|diagnostic| diagnostic.severity == core::Severity::Error);
    Ok(if failures > 0 {
        ExitCode::from(EXIT_FAILURE)
    } else if any_error {
        ExitCode::from(EXIT_ERRORS)
    } else {
        ExitCode::SUCCESS
    })
}

fn check_file(path: &Path) -> anyhow::Result<Checked> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|error| {
        anyhow::format_err!(
            "{} is not valid UTF-8 (at byte {})",
            path.display(),
            error.utf8_error().valid_up_to()
        )
    })?;

    let analysis = match format_of(path) {
        core::Format::GlobalConfig => core::global::analyze(&text),
        core::Format::Stella => {
            let files = DiskFiles::around(path);
            let context =
                core::Context { files: files.as_ref().map(|files| files as &dyn core::FileSystem) };
            core::analyze(&text, &context)
        }
    };

    Ok(Checked { path: path.to_path_buf(), text, diagnostics: analysis.diagnostics })
}

/// The global config's format for a `config.yaml` or `config.yml` in a `.stella` folder
/// (also when named from inside that folder), else `.stella.yaml`.
fn format_of(path: &Path) -> core::Format {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if core::global::is_config_path(&absolute.to_string_lossy()) {
        core::Format::GlobalConfig
    } else {
        core::Format::Stella
    }
}

/// Files named on the command line are checked whatever their name (a global config, a
/// `config.yaml` or `config.yml` in a `.stella` folder, with its own schema; anything else
/// as a `.stella.yaml`); directories are searched like the current directory is by default,
/// for `.stella.yaml` files only.
fn expand_paths(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut expanded = Vec::new();
    for path in paths {
        let metadata =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if metadata.is_dir() {
            let found = find_stella_files(path);
            if found.is_empty() {
                // A mistyped folder in CI must not pass as "nothing wrong".
                anyhow::bail!("no .stella.yaml or .stella.yml file found below {}", path.display());
            }
            expanded.extend(found);
        } else {
            expanded.push(path.clone());
        }
    }
    Ok(expanded)
}

/// Every `.stella.yaml` and `.stella.yml` below `root`, sorted, skipping `.git`, `target`,
/// `node_modules` and what `.gitignore` files exclude. Hidden files are included, since the
/// usual name `.stella.yaml` is one.
pub fn find_stella_files(root: &Path) -> Vec<PathBuf> {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .filter_entry(|entry| {
            let skipped =
                matches!(entry.file_name().to_str(), Some(".git" | "target" | "node_modules"));
            !(skipped && entry.file_type().is_some_and(|kind| kind.is_dir()))
        })
        .build();

    let mut found: Vec<PathBuf> = walker
        .filter_map(|entry| match entry {
            Ok(entry) => Some(entry),
            Err(error) => {
                tracing::warn!(%error, "skipped while searching for files");
                None
            }
        })
        .filter(|entry| entry.file_type().is_some_and(|kind| kind.is_file()))
        .filter(|entry| is_stella_name(entry.path()))
        .map(|entry| {
            let path = entry.path();
            path.strip_prefix(".").unwrap_or(path).to_path_buf()
        })
        .collect();
    found.sort();
    found
}

fn is_stella_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.ends_with(".stella.yaml") || name.ends_with(".stella.yml"))
}

/// A 1-based line and column in code points, as editors and compilers print them.
fn human_position(line_index: &core::LineIndex, text: &str, offset: usize) -> (u32, u32) {
    let line_col = line_index.line_col(text, offset, core::Encoding::Utf32);
    (line_col.line + 1, line_col.col + 1)
}

fn print_human(checked: &[Checked]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for file in checked {
        let line_index = core::LineIndex::new(&file.text);
        let path = file.path.display();
        for diagnostic in &file.diagnostics {
            let (line, column) = human_position(&line_index, &file.text, diagnostic.span.start);
            writeln!(
                stdout,
                "{path}:{line}:{column}: {}[{}]: {}",
                diagnostic.severity, diagnostic.code, diagnostic.message
            )?;
            for related in &diagnostic.related {
                let (line, column) = human_position(&line_index, &file.text, related.span.start);
                writeln!(stdout, "  {path}:{line}:{column}: note: {}", related.message)?;
            }
        }
    }
    stdout.flush()
}

fn print_summary(checked: &[Checked], failures: usize) {
    let count = |severity: core::Severity| {
        checked
            .iter()
            .flat_map(|file| &file.diagnostics)
            .filter(|diagnostic| diagnostic.severity == severity)
            .count()
    };
    let errors = count(core::Severity::Error);
    let warnings = count(core::Severity::Warning);

    let mut summary = format!(
        "checked {} {}: {errors} {}, {warnings} {}",
        checked.len(),
        plural(checked.len(), "file", "files"),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
    );
    if failures > 0 {
        let _ = write!(summary, ", {failures} {} not read", plural(failures, "file", "files"));
    }
    eprintln!("{summary}");
}

fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 {
        one
    } else {
        many
    }
}

/// `check --format json`: an array with one object per file.
#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    /// 0-based line and UTF-16 character, as in LSP.
    range: JsonRange,
    /// 1-based line and code-point column, as in the human format.
    location: JsonLocation,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    range: JsonRange,
    location: JsonLocation,
}

#[derive(Serialize)]
struct JsonRange {
    start: JsonPosition,
    end: JsonPosition,
}

#[derive(Serialize)]
struct JsonPosition {
    line: u32,
    character: u32,
}

#[derive(Serialize)]
struct JsonLocation {
    start: JsonLineColumn,
    end: JsonLineColumn,
}

#[derive(Serialize)]
struct JsonLineColumn {
    line: u32,
    column: u32,
}

fn json_range(line_index: &core::LineIndex, text: &str, span: core::Span) -> JsonRange {
    let position = |offset| {
        let line_col = line_index.line_col(text, offset, core::Encoding::Utf16);
        JsonPosition { line: line_col.line, character: line_col.col }
    };
    JsonRange { start: position(span.start), end: position(span.end) }
}

fn json_location(line_index: &core::LineIndex, text: &str, span: core::Span) -> JsonLocation {
    let line_column = |offset| {
        let (line, column) = human_position(line_index, text, offset);
        JsonLineColumn { line, column }
    };
    JsonLocation { start: line_column(span.start), end: line_column(span.end) }
}

fn json_file(file: &Checked) -> JsonFile<'_> {
    let line_index = core::LineIndex::new(&file.text);
    let text = file.text.as_str();

    let diagnostics = file
        .diagnostics
        .iter()
        .map(|diagnostic| JsonDiagnostic {
            severity: diagnostic.severity.as_str(),
            code: diagnostic.code.as_str(),
            message: &diagnostic.message,
            range: json_range(&line_index, text, diagnostic.span),
            location: json_location(&line_index, text, diagnostic.span),
            related: diagnostic
                .related
                .iter()
                .map(|related| JsonRelated {
                    message: &related.message,
                    range: json_range(&line_index, text, related.span),
                    location: json_location(&line_index, text, related.span),
                })
                .collect(),
        })
        .collect();

    JsonFile { path: file.path.display().to_string(), diagnostics }
}

fn print_json(checked: &[Checked]) -> io::Result<()> {
    let files: Vec<JsonFile<'_>> = checked.iter().map(json_file).collect();

    let mut stdout = io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &files)?;
    writeln!(stdout)?;
    stdout.flush()
}

/// `check --format sarif`: a SARIF 2.1.0 log with one run. Regions are 1-based lines and
/// columns in UTF-16 code units, SARIF's default (`columnKind: utf16CodeUnits`, stated
/// anyway), so viewers that index JavaScript-style strings place them right; `uri` is the
/// path relative to the current directory (an absolute path outside it stays absolute), with `/`
/// separators and percent-encoding. `rules` lists the codes the results use, in code order.
fn sarif(checked: &[Checked]) -> serde_json::Value {
    let mut codes: Vec<core::Code> = checked
        .iter()
        .flat_map(|file| &file.diagnostics)
        .map(|diagnostic| diagnostic.code)
        .collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<serde_json::Value> = codes
        .iter()
        .map(|code| {
            serde_json::json!({
                "id": code.as_str(),
                "shortDescription": { "text": code.summary() },
                "defaultConfiguration": { "level": sarif_level(code.severity()) },
            })
        })
        .collect();

    let mut results = Vec::new();
    for file in checked {
        let line_index = core::LineIndex::new(&file.text);
        let uri = sarif_uri(&file.path);
        let location = |span: core::Span| {
            serde_json::json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": sarif_region(&line_index, &file.text, span),
                }
            })
        };

        for diagnostic in &file.diagnostics {
            let mut result = serde_json::json!({
                "ruleId": diagnostic.code.as_str(),
                "level": sarif_level(diagnostic.severity),
                "message": { "text": diagnostic.message },
                "locations": [location(diagnostic.span)],
            });
            if !diagnostic.related.is_empty() {
                let related: Vec<serde_json::Value> = diagnostic
                    .related
                    .iter()
                    .enumerate()
                    .map(|(id, related)| {
                        let mut related_location = location(related.span);
                        related_location["id"] = id.into();
                        related_location["message"] =
                            serde_json::json!({ "text": related.message });
                        related_location
                    })
                    .collect();
                result["relatedLocations"] = related.into();
            }
            results.push(result);
        }
    }

    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "stella-lsp",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "utf16CodeUnits",
            "results": results,
        }]
    })
}

const fn sarif_level(severity: core::Severity) -> &'static str {
    match severity {
        core::Severity::Error => "error",
        core::Severity::Warning => "warning",
        core::Severity::Information | core::Severity::Hint => "note",
    }
}

fn sarif_region(line_index: &core::LineIndex, text: &str, span: core::Span) -> serde_json::Value {
    let start = line_index.line_col(text, span.start, core::Encoding::Utf16);
    let end = line_index.line_col(text, span.end, core::Encoding::Utf16);
    serde_json::json!({
        "startLine": start.line + 1,
        "startColumn": start.col + 1,
        "endLine": end.line + 1,
        "endColumn": end.col + 1,
    })
}

/// A relative URI reference for a path: `/` separators, and every byte outside the
/// unreserved set and `/` percent-encoded.
fn sarif_uri(path: &Path) -> String {
    let current = std::env::current_dir().ok();
    let relative = current.as_deref().and_then(|current| path.strip_prefix(current).ok());
    let shown = relative.unwrap_or(path).to_string_lossy().replace('\\', "/");
    let mut uri = String::with_capacity(shown.len());
    for byte in shown.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            uri.push(char::from(byte));
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    uri
}

fn print_sarif(checked: &[Checked]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &sarif(checked))?;
    writeln!(stdout)?;
    stdout.flush()
}

/// One GitHub workflow annotation: `::error file=…,line=…,col=…,endLine=…,endColumn=…,
/// title=<code>::<message>` (`::warning` for warnings, `::notice` for the rest), 1-based
/// lines and code-point columns as in the human format. Related information follows the
/// message on lines of its own (`path:line:col: message`). The message escapes `%`, `\r`
/// and `\n`; properties also escape `:` and `,`, as the runner reads them.
fn github_line(
    path: &str,
    line_index: &core::LineIndex,
    text: &str,
    diagnostic: &core::Diagnostic,
) -> String {
    let command = match diagnostic.severity {
        core::Severity::Error => "error",
        core::Severity::Warning => "warning",
        core::Severity::Information | core::Severity::Hint => "notice",
    };
    let (line, column) = human_position(line_index, text, diagnostic.span.start);
    let (end_line, end_column) = human_position(line_index, text, diagnostic.span.end);

    let mut message = diagnostic.message.clone();
    for related in &diagnostic.related {
        let (related_line, related_column) = human_position(line_index, text, related.span.start);
        let _ = write!(message, "\n{path}:{related_line}:{related_column}: {}", related.message);
    }

    format!(
        "::{command} file={},line={line},col={column},endLine={end_line},endColumn={end_column},title={}::{}",
        github_property(path),
        github_property(diagnostic.code.as_str()),
        github_data(&message)
    )
}

fn github_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn print_github(checked: &[Checked]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for file in checked {
        let line_index = core::LineIndex::new(&file.text);
        let path = file.path.display().to_string();
        for diagnostic in &file.diagnostics {
            writeln!(stdout, "{}", github_line(&path, &line_index, &file.text, diagnostic))?;
        }
    }
    stdout.flush()
}
