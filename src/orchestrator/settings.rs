//! Where Stella is, how long to wait for it, and the token to sign in with: read from the
//! user's environment and home directory only.
//!
//! Nothing in the workspace is consulted (no repository file, no editor setting), so
//! opening a cloned repository can never send the token to a host the repository chose.
//!
//! Sources, first match wins:
//! - config file: `STELLA_CONFIG`, else `~/.stella/config.yaml` (a missing file is fine);
//! - context: `STELLA_CONTEXT` (must name a context of the config file), else the file's
//!   `current_context` (when it names no context, the top-level `server` is used, with a
//!   warning);
//! - server: `STELLA_SERVER`, else the context's `server`, else the top-level `server`;
//! - token: `STELLA_TOKEN`, else `~/.stella/credentials.yaml` (format on
//!   [`CREDENTIALS_FILE`]);
//! - timeouts: `STELLA_CONNECT_TIMEOUT`, `STELLA_REQUEST_TIMEOUT` and
//!   `STELLA_LOG_IDLE_TIMEOUT`, written like `500ms`, `30s`, `2m` or `1h` (a bare number
//!   is seconds). A value that is not a duration, is zero or negative, or is over 24 h is a
//!   warning, and the default is used ([`duration_setting`], which the server's other
//!   timings use too).
//!
//! An environment variable that is empty counts as unset. The files are read only when
//! they are regular files (after following symbolic links) of at most 1 MiB, so a FIFO or
//! a device named in their place cannot block or exhaust the server.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::core::yaml;
use crate::core::Diagnostic;
use crate::orchestrator::error::Seconds;

/// The token that signs requests in. Prints as `***` in `Debug` and `Display`, so it cannot
/// reach a log line by accident; [`Token::expose`] is the only way to the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: String) -> Token {
        Token(token)
    }

    /// The token itself, for the `Authorization` header and for scrubbing server text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Until the TCP (and TLS) connection is made; 5 s unless `STELLA_CONNECT_TIMEOUT`.
    pub connect: Duration,
    /// Until the whole answer has arrived; 30 s unless `STELLA_REQUEST_TIMEOUT`.
    pub request: Duration,
    /// For one page of deployment logs; 30 s unless `STELLA_LOG_IDLE_TIMEOUT`.
    pub log_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
            log_idle: Duration::from_secs(30),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// The base URL, without a trailing slash; `None` when nothing names a server.
    pub server: Option<String>,
    /// The context in use (`STELLA_CONTEXT`, else `current_context`), if any.
    pub context: Option<String>,
    pub token: Option<Token>,
    pub timeouts: Timeouts,
    /// Sentences for the user (a credentials file others can read…). They never quote what
    /// a file holds.
    pub warnings: Vec<String>,
    /// The global config file consulted, even when it does not exist.
    pub config_path: PathBuf,
}

/// Where the token is kept, under the home directory:
///
/// ```yaml
/// contexts:
///   production:
///     token: stl_...
///   default:          # used when no context is selected
///     token: stl_...
/// ```
///
/// The file should be readable by its owner only (`chmod 600`). When the group or others
/// may read it (any of the bits `0o044`), [`Settings::warnings`] says so; the token is
/// still used. Write bits of others are not checked: the file only matters for what it
/// gives away.
pub const CREDENTIALS_FILE: &str = ".stella/credentials.yaml";

/// The global config file under the home directory, unless `STELLA_CONFIG` names another.
pub const CONFIG_FILE: &str = ".stella/config.yaml";

/// The context whose token is used when no context is selected.
pub const DEFAULT_CONTEXT: &str = "default";

/// The largest settings file read, in bytes (1 MiB).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// The longest duration a setting may give.
const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// Why the settings cannot be used. Each is a sentence for the user that names the file or
/// variable to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("Cannot read {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },

    /// The file is not YAML. `message` is left out for the credentials file, whose text
    /// must never be shown.
    #[error(
        "{} is not valid YAML (line {line}{}); fix it or remove it",
        path.display(),
        message.as_deref().map(|message| format!(": {message}")).unwrap_or_default()
    )]
    Unparsable { path: PathBuf, line: usize, message: Option<String> },

    /// A key holds the wrong kind of value; `key` is dotted (`contexts.production.server`).
    #[error("`{key}` in {} should be {expected}", path.display())]
    Invalid { path: PathBuf, key: String, expected: &'static str },

    #[error(
        "STELLA_CONTEXT names the context `{name}`, which {} does not define ({known})",
        path.display()
    )]
    UnknownContext { name: String, path: PathBuf, known: String },

    /// The token has characters an HTTP header cannot carry; `origin` is `STELLA_TOKEN` or
    /// the credentials file. The token itself is never shown.
    #[error(
        "The token in {origin} has characters that cannot be sent (spaces, line breaks or non-ASCII); copy it again"
    )]
    BadToken { origin: String },
}

impl Settings {
    /// `env` looks up an environment variable; `home` is the home directory (None =
    /// unknown, in which case no file under it is read).
    pub fn load(
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> Result<Settings, SettingsError> {
        let env =
            |name: &str| env(name).map(|value| value.trim().to_owned()).filter(|v| !v.is_empty());
        let mut warnings = Vec::new();

        let config_path = match env("STELLA_CONFIG") {
            Some(path) => Some(PathBuf::from(path)),
            None => home.map(|home| home.join(CONFIG_FILE)),
        };
        let config = match &config_path {
            Some(path) => GlobalConfig::read(path)?,
            None => None,
        };

        let context = select_context(
            env("STELLA_CONTEXT"),
            config.as_ref(),
            config_path.as_deref(),
            &mut warnings,
        )?;

        let context_server =
            context.as_ref().and_then(|name| config.as_ref()?.contexts.get(name)?.clone());
        let top_server = config.as_ref().and_then(|config| config.server.clone());
        let server = env("STELLA_SERVER")
            .or(context_server)
            .or(top_server)
            .map(|server| server.trim_end_matches('/').to_owned())
            .filter(|server| !server.is_empty());

        let credentials_path = home.map(|home| home.join(CREDENTIALS_FILE));
        if let Some(path) = &credentials_path {
            if let Some(warning) = exposure_warning(path) {
                warnings.push(warning);
            }
        }
        let token = match (env("STELLA_TOKEN"), &credentials_path) {
            (Some(token), _) => Some(checked_token(token, || "STELLA_TOKEN".to_owned())?),
            (None, Some(path)) => {
                credentials_token(path, context.as_deref().unwrap_or(DEFAULT_CONTEXT))?
            }
            (None, None) => None,
        };

        let defaults = Timeouts::default();
        let mut timeout = |name: &str, default: Duration| {
            let (duration, warning) = duration_setting(&env, name, default);
            warnings.extend(warning);
            duration
        };
        let timeouts = Timeouts {
            connect: timeout("STELLA_CONNECT_TIMEOUT", defaults.connect),
            request: timeout("STELLA_REQUEST_TIMEOUT", defaults.request),
            log_idle: timeout("STELLA_LOG_IDLE_TIMEOUT", defaults.log_idle),
        };

        Ok(Settings {
            server,
            context,
            token,
            timeouts,
            warnings,
            config_path: config_path.unwrap_or_else(|| Path::new("~").join(CONFIG_FILE)),
        })
    }

    /// [`Settings::load`] with this process's environment and `HOME` (`USERPROFILE` on
    /// Windows).
    pub fn from_process() -> Result<Settings, SettingsError> {
        let env = |name: &str| std::env::var(name).ok();
        let home_variable = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        let home =
            std::env::var_os(home_variable).filter(|home| !home.is_empty()).map(PathBuf::from);
        Settings::load(&env, home.as_deref())
    }
}

/// What this module reads of the global config; other keys are for the `stella` CLI.
struct GlobalConfig {
    path: PathBuf,
    server: Option<String>,
    current_context: Option<String>,
    /// Each context with its `server`, if it names one.
    contexts: BTreeMap<String, Option<String>>,
}

impl GlobalConfig {
    /// `None` when the file does not exist.
    fn read(path: &Path) -> Result<Option<GlobalConfig>, SettingsError> {
        let Some(text) = read_optional(path)? else {
            return Ok(None);
        };
        let root = yaml_mapping(path, &text, true)?;

        let server = string_at(path, &root, "server", "server")?;
        let current_context = string_at(path, &root, "current_context", "current_context")?;

        let mut contexts = BTreeMap::new();
        for (name, context) in mapping_at(path, &root, "contexts", "contexts")? {
            let key = format!("contexts.{name}");
            let context = match context {
                Value::Null => Map::new(),
                Value::Object(context) => context,
                _ => return Err(invalid(path, key, "a mapping")),
            };
            let server = string_at(path, &context, "server", &format!("{key}.server"))?;
            contexts.insert(name, server);
        }

        Ok(Some(GlobalConfig { path: path.to_owned(), server, current_context, contexts }))
    }
}

fn select_context(
    from_env: Option<String>,
    config: Option<&GlobalConfig>,
    config_path: Option<&Path>,
    warnings: &mut Vec<String>,
) -> Result<Option<String>, SettingsError> {
    if let Some(name) = from_env {
        if config.is_some_and(|config| config.contexts.contains_key(&name)) {
            return Ok(Some(name));
        }
        let known = match config {
            None => "the file does not exist".to_owned(),
            Some(config) if config.contexts.is_empty() => "it defines none".to_owned(),
            Some(config) => {
                let names: Vec<&str> = config.contexts.keys().map(String::as_str).collect();
                format!("it defines {}", names.join(", "))
            }
        };
        let path = config_path.map_or_else(|| Path::new("~").join(CONFIG_FILE), Path::to_owned);
        return Err(SettingsError::UnknownContext { name, path, known });
    }

    let Some(config) = config else {
        return Ok(None);
    };
    let Some(name) = &config.current_context else {
        return Ok(None);
    };
    if config.contexts.contains_key(name) {
        return Ok(Some(name.clone()));
    }

    warnings.push(format!(
        "current_context `{name}` in {} names no context under `contexts`; using the top-level `server`",
        config.path.display()
    ));
    Ok(None)
}

/// The token of `context` in the credentials file; `None` when the file or the entry is
/// missing. Errors never quote the file.
fn credentials_token(path: &Path, context: &str) -> Result<Option<Token>, SettingsError> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    let root = yaml_mapping(path, &text, false)?;

    let contexts = mapping_at(path, &root, "contexts", "contexts")?;
    let Some(entry) = contexts.get(context) else {
        return Ok(None);
    };
    let key = format!("contexts.{context}");
    let entry = match entry {
        Value::Null => return Ok(None),
        Value::Object(entry) => entry,
        _ => return Err(invalid(path, key, "a mapping")),
    };

    let Some(token) = string_at(path, entry, "token", &format!("{key}.token"))? else {
        return Ok(None);
    };
    let token = token.trim();
    if token.is_empty() {
        return Ok(None);
    }
    checked_token(token.to_owned(), || path.display().to_string()).map(Some)
}

/// `token` when a header can carry it: printable ASCII without spaces.
fn checked_token(token: String, origin: impl Fn() -> String) -> Result<Token, SettingsError> {
    if token.bytes().all(|byte| byte.is_ascii_graphic()) {
        Ok(Token::new(token))
    } else {
        Err(SettingsError::BadToken { origin: origin() })
    }
}

/// The sentence to show when group or others may read the credentials file.
#[cfg(unix)]
fn exposure_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;

    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o044 != 0)
        .then(|| format!("{} is readable by other users; run chmod 600 on it", path.display()))
}

#[cfg(not(unix))]
fn exposure_warning(_path: &Path) -> Option<String> {
    None
}

/// The duration in the environment variable `name`, and the warning to show when it is
/// set but not usable (not a duration, zero or negative, or over 24 h), in which case
/// `default` is used. Unset or empty (after trimming) is `default` without a warning.
pub fn duration_setting(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
    default: Duration,
) -> (Duration, Option<String>) {
    let Some(value) = env(name).map(|value| value.trim().to_owned()).filter(|v| !v.is_empty())
    else {
        return (default, None);
    };

    let problem = match checked_duration(&value) {
        Ok(duration) => return (duration, None),
        Err(DurationProblem::NotADuration) => "is not a duration like 30s or 2m",
        Err(DurationProblem::NotPositive) => "must be more than 0 s",
        Err(DurationProblem::TooLong) => "must be at most 24 h",
    };
    (default, Some(format!("{name}={value} {problem}; using {} s", Seconds(default))))
}

/// `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds; `None` for anything else, and
/// for zero or more than 24 h.
pub fn parse_duration(text: &str) -> Option<Duration> {
    checked_duration(text).ok()
}

/// Why a setting's text is not a usable duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DurationProblem {
    NotADuration,
    /// Zero, or a duration with a minus sign.
    NotPositive,
    /// Over [`MAX_DURATION`], including numbers too large to hold.
    TooLong,
}

fn checked_duration(text: &str) -> Result<Duration, DurationProblem> {
    let text = text.trim();
    if let Some(magnitude) = text.strip_prefix('-') {
        return match checked_duration(magnitude) {
            Err(DurationProblem::NotADuration) => Err(DurationProblem::NotADuration),
            _ => Err(DurationProblem::NotPositive),
        };
    }

    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(DurationProblem::NotADuration);
    }
    let unit_millis: u64 = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(DurationProblem::NotADuration),
    };

    // Digits too many for a u64 still spell a duration, only a far too long one.
    let millis = digits.parse::<u64>().ok().and_then(|number| number.checked_mul(unit_millis));
    let Some(millis) = millis else {
        return Err(DurationProblem::TooLong);
    };
    let duration = Duration::from_millis(millis);
    if duration.is_zero() {
        return Err(DurationProblem::NotPositive);
    }
    if duration > MAX_DURATION {
        return Err(DurationProblem::TooLong);
    }
    Ok(duration)
}

/// The text of `path`, or `None` when it does not exist. Only a regular file (symbolic
/// links followed) of at most [`MAX_FILE_BYTES`] is read.
fn read_optional(path: &Path) -> Result<Option<String>, SettingsError> {
    let unreadable = |reason: &str| SettingsError::Unreadable {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let io_error = |error: &std::io::Error| unreadable(&error.kind().to_string());

    // The type is checked before opening, since opening a FIFO for reading blocks until
    // something writes to it.
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(&error)),
    };
    if let Some(reason) = file_problem(&metadata) {
        return Err(unreadable(reason));
    }

    let file = match open_without_blocking(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(&error)),
    };

    // Checked again on what was opened, in case the path changed in between.
    let metadata = file.metadata().map_err(|error| io_error(&error))?;
    if let Some(reason) = file_problem(&metadata) {
        return Err(unreadable(reason));
    }

    // One byte more than allowed tells a file that grew after the check.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|error| io_error(&error))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(unreadable("is larger than 1 MiB"));
    }

    String::from_utf8(bytes).map(Some).map_err(|_| unreadable("is not UTF-8 text"))
}

/// Why a file with this metadata is not read, if it is not.
fn file_problem(metadata: &std::fs::Metadata) -> Option<&'static str> {
    if !metadata.is_file() {
        return Some("is not a regular file");
    }
    (metadata.len() > MAX_FILE_BYTES).then_some("is larger than 1 MiB")
}

/// Opens `path` for reading. On unix with `O_NONBLOCK`, so that even a FIFO put in place
/// after the check cannot block the open; reads of a regular file are not affected.
#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;

    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// The top-level mapping of a YAML file (empty for an empty file). With `quote_messages`
/// false the parser's message is left out of the error, since it may quote the text.
fn yaml_mapping(
    path: &Path,
    text: &str,
    quote_messages: bool,
) -> Result<Map<String, Value>, SettingsError> {
    let parsed = yaml::parse(text);
    if let Some(diagnostic) = parsed.diagnostics.first() {
        return Err(unparsable(path, text, diagnostic, quote_messages));
    }

    let Some(root) = parsed.tree.documents.first().and_then(|document| document.root) else {
        return Ok(Map::new());
    };
    let options = yaml::resolve::Options { merge_keys: true };
    let value = yaml::resolve::to_json(
        &parsed.tree,
        root,
        yaml::resolve::expansion_budget(text.len()),
        options,
    )
    .map_err(|diagnostic| unparsable(path, text, &diagnostic, quote_messages))?;

    match value {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map),
        _ => Err(invalid(path, "(top level)".to_owned(), "a mapping")),
    }
}

fn unparsable(
    path: &Path,
    text: &str,
    diagnostic: &Diagnostic,
    quote_messages: bool,
) -> SettingsError {
    let start = diagnostic.span.start.min(text.len());
    let line = memchr::memchr_iter(b'\n', &text.as_bytes()[..start]).count() + 1;
    SettingsError::Unparsable {
        path: path.to_owned(),
        line,
        message: quote_messages.then(|| diagnostic.message.clone()),
    }
}

fn string_at(
    path: &Path,
    map: &Map<String, Value>,
    name: &str,
    key: &str,
) -> Result<Option<String>, SettingsError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid(path, key.to_owned(), "a string")),
    }
}

fn mapping_at(
    path: &Path,
    map: &Map<String, Value>,
    name: &str,
    key: &str,
) -> Result<Map<String, Value>, SettingsError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(inner)) => Ok(inner.clone()),
        Some(_) => Err(invalid(path, key.to_owned(), "a mapping")),
    }
}

fn invalid(path: &Path, key: String, expected: &'static str) -> SettingsError {
    SettingsError::Invalid { path: path.to_owned(), key, expected }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const CONFIG: &str = "\
server: https://top.example.com/
current_context: production
contexts:
  production:
    server: https://prod.example.com
    organization: acme-corp
  staging:
    server: https://staging.example.com
  bare:
    organization: acme-corp
defaults:
  timeout: 5m
";

    const CREDENTIALS: &str = "\
contexts:
  production:
    token: stl_PROD
  staging:
    token: stl_STAGING
  default:
    token: stl_DEFAULT
";

    /// A home directory with `~/.stella/config.yaml` and `credentials.yaml` as given.
    struct Home {
        directory: tempfile::TempDir,
    }

    impl Home {
        fn new(config: Option<&str>, credentials: Option<&str>) -> Home {
            let directory = tempfile::tempdir().unwrap();
            std::fs::create_dir(directory.path().join(".stella")).unwrap();
            let home = Home { directory };
            if let Some(config) = config {
                std::fs::write(home.path().join(CONFIG_FILE), config).unwrap();
            }
            if let Some(credentials) = credentials {
                std::fs::write(home.credentials(), credentials).unwrap();
                home.chmod(0o600);
            }
            home
        }

        fn path(&self) -> &Path {
            self.directory.path()
        }

        fn credentials(&self) -> PathBuf {
            self.path().join(CREDENTIALS_FILE)
        }

        #[cfg(unix)]
        fn chmod(&self, mode: u32) {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(self.credentials(), std::fs::Permissions::from_mode(mode))
                .unwrap();
        }

        #[cfg(not(unix))]
        fn chmod(&self, _mode: u32) {}

        fn load(&self, variables: &[(&str, &str)]) -> Result<Settings, SettingsError> {
            let variables: HashMap<String, String> = variables
                .iter()
                .map(|&(name, value)| (name.to_owned(), value.to_owned()))
                .collect();
            Settings::load(&|name| variables.get(name).cloned(), Some(self.path()))
        }
    }

    #[test]
    fn server_comes_from_the_environment_then_the_context_then_the_top_level() {
        let home = Home::new(Some(CONFIG), None);

        let settings = home.load(&[("STELLA_SERVER", "https://env.example.com/")]).unwrap();
        assert_eq!(settings.server.as_deref(), Some("https://env.example.com"));
        assert_eq!(settings.context.as_deref(), Some("production"));

        let settings = home.load(&[]).unwrap();
        assert_eq!(settings.server.as_deref(), Some("https://prod.example.com"));

        let settings = home.load(&[("STELLA_CONTEXT", "staging")]).unwrap();
        assert_eq!(settings.server.as_deref(), Some("https://staging.example.com"));
        assert_eq!(settings.context.as_deref(), Some("staging"));

        let settings = home.load(&[("STELLA_CONTEXT", "bare")]).unwrap();
        assert_eq!(settings.server.as_deref(), Some("https://top.example.com"));

        let settings = home.load(&[("STELLA_SERVER", "")]).unwrap();
        assert_eq!(settings.server.as_deref(), Some("https://prod.example.com"));
        assert_eq!(settings.warnings, Vec::<String>::new());
        assert_eq!(settings.config_path, home.path().join(".stella/config.yaml"));
    }

    #[test]
    fn stella_context_naming_an_unknown_context_is_an_error() {
        let home = Home::new(Some(CONFIG), None);
        let error = home.load(&[("STELLA_CONTEXT", "prod")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "STELLA_CONTEXT names the context `prod`, which {} does not define (it defines bare, production, staging)",
                home.path().join(".stella/config.yaml").display()
            )
        );

        let without_file = Home::new(None, None);
        let error = without_file.load(&[("STELLA_CONTEXT", "prod")]).unwrap_err();
        assert!(
            error.to_string().ends_with("does not define (the file does not exist)"),
            "{error}"
        );
    }

    #[test]
    fn current_context_naming_an_unknown_context_falls_back_with_a_warning() {
        let config = "server: https://top.example.com\ncurrent_context: gone\ncontexts:\n  production:\n    server: https://prod.example.com\n";
        let home = Home::new(Some(config), Some(CREDENTIALS));
        let settings = home.load(&[]).unwrap();
        assert_eq!(settings.server.as_deref(), Some("https://top.example.com"));
        assert_eq!(settings.context, None);
        assert_eq!(settings.token.as_ref().map(Token::expose), Some("stl_DEFAULT"));
        assert_eq!(
            settings.warnings,
            [format!(
                "current_context `gone` in {} names no context under `contexts`; using the top-level `server`",
                home.path().join(".stella/config.yaml").display()
            )]
        );
    }

    #[test]
    fn token_comes_from_stella_token_then_the_contexts_credentials() {
        let home = Home::new(Some(CONFIG), Some(CREDENTIALS));
        let token = |variables: &[(&str, &str)]| {
            home.load(variables).unwrap().token.map(|token| token.expose().to_owned())
        };

        assert_eq!(token(&[]).as_deref(), Some("stl_PROD"));
        assert_eq!(token(&[("STELLA_CONTEXT", "staging")]).as_deref(), Some("stl_STAGING"));
        assert_eq!(token(&[("STELLA_CONTEXT", "bare")]), None);
        assert_eq!(token(&[("STELLA_TOKEN", "stl_ENV")]).as_deref(), Some("stl_ENV"));
        assert_eq!(token(&[("STELLA_TOKEN", "  ")]).as_deref(), Some("stl_PROD"));
    }

    #[test]
    fn the_default_context_is_used_when_none_is_selected() {
        let home = Home::new(Some("server: https://top.example.com\n"), Some(CREDENTIALS));
        let settings = home.load(&[]).unwrap();
        assert_eq!(settings.context, None);
        assert_eq!(settings.token.as_ref().map(Token::expose), Some("stl_DEFAULT"));

        let without_config = Home::new(None, Some(CREDENTIALS));
        let settings =
            without_config.load(&[("STELLA_SERVER", "https://env.example.com")]).unwrap();
        assert_eq!(settings.token.as_ref().map(Token::expose), Some("stl_DEFAULT"));
    }

    #[cfg(unix)]
    #[test]
    fn credentials_readable_by_others_give_one_warning_without_the_content() {
        let home = Home::new(Some(CONFIG), Some(CREDENTIALS));
        home.chmod(0o644);
        let settings = home.load(&[]).unwrap();
        assert_eq!(
            settings.warnings,
            [format!(
                "{} is readable by other users; run chmod 600 on it",
                home.credentials().display()
            )]
        );
        assert!(!settings.warnings[0].contains("stl_"));

        home.chmod(0o640);
        assert_eq!(home.load(&[]).unwrap().warnings.len(), 1);

        // The file still exposes a token when STELLA_TOKEN wins.
        home.chmod(0o604);
        assert_eq!(home.load(&[("STELLA_TOKEN", "stl_ENV")]).unwrap().warnings.len(), 1);

        home.chmod(0o600);
        assert_eq!(home.load(&[]).unwrap().warnings, Vec::<String>::new());
    }

    #[test]
    fn missing_files_give_no_server_and_no_token() {
        let home = Home::new(None, None);
        let settings = home.load(&[]).unwrap();
        assert_eq!(settings.server, None);
        assert_eq!(settings.context, None);
        assert!(settings.token.is_none());
        assert_eq!(settings.warnings, Vec::<String>::new());
        assert_eq!(settings.timeouts, Timeouts::default());

        let unknown_home = Settings::load(&|_| None, None).unwrap();
        assert_eq!(unknown_home.server, None);
        assert_eq!(unknown_home.config_path, Path::new("~/.stella/config.yaml"));
    }

    #[test]
    fn stella_config_names_another_config_file() {
        let home = Home::new(Some(CONFIG), None);
        let other = home.path().join("other.yaml");
        std::fs::write(&other, "server: https://other.example.com\n").unwrap();
        let settings = home.load(&[("STELLA_CONFIG", other.to_str().unwrap())]).unwrap();
        assert_eq!(settings.server.as_deref(), Some("https://other.example.com"));
        assert_eq!(settings.config_path, other);
    }

    #[test]
    fn timeouts_come_from_the_environment() {
        let home = Home::new(None, None);
        let settings = home
            .load(&[
                ("STELLA_CONNECT_TIMEOUT", "500ms"),
                ("STELLA_REQUEST_TIMEOUT", "2m"),
                ("STELLA_LOG_IDLE_TIMEOUT", "7"),
            ])
            .unwrap();
        assert_eq!(
            settings.timeouts,
            Timeouts {
                connect: Duration::from_millis(500),
                request: Duration::from_secs(120),
                log_idle: Duration::from_secs(7),
            }
        );
        assert_eq!(settings.warnings, Vec::<String>::new());
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration(" 250ms "), Some(Duration::from_millis(250)));
    }

    #[test]
    fn unusable_timeouts_warn_and_keep_the_default() {
        let home = Home::new(None, None);
        let cases = [
            ("abc", "STELLA_REQUEST_TIMEOUT=abc is not a duration like 30s or 2m; using 30 s"),
            (
                "5 minutes",
                "STELLA_REQUEST_TIMEOUT=5 minutes is not a duration like 30s or 2m; using 30 s",
            ),
            ("1.5s", "STELLA_REQUEST_TIMEOUT=1.5s is not a duration like 30s or 2m; using 30 s"),
            ("-abc", "STELLA_REQUEST_TIMEOUT=-abc is not a duration like 30s or 2m; using 30 s"),
            ("0s", "STELLA_REQUEST_TIMEOUT=0s must be more than 0 s; using 30 s"),
            ("0", "STELLA_REQUEST_TIMEOUT=0 must be more than 0 s; using 30 s"),
            ("-1s", "STELLA_REQUEST_TIMEOUT=-1s must be more than 0 s; using 30 s"),
            ("25h", "STELLA_REQUEST_TIMEOUT=25h must be at most 24 h; using 30 s"),
            ("999999999h", "STELLA_REQUEST_TIMEOUT=999999999h must be at most 24 h; using 30 s"),
            (
                "99999999999999999999h",
                "STELLA_REQUEST_TIMEOUT=99999999999999999999h must be at most 24 h; using 30 s",
            ),
        ];
        for (value, warning) in cases {
            let settings = home.load(&[("STELLA_REQUEST_TIMEOUT", value)]).unwrap();
            assert_eq!(settings.warnings, [warning], "{value}");
            assert_eq!(settings.timeouts, Timeouts::default(), "{value}");
            assert_eq!(parse_duration(value), None, "{value}");
        }

        let settings = home
            .load(&[
                ("STELLA_CONNECT_TIMEOUT", "0ms"),
                ("STELLA_REQUEST_TIMEOUT", "45s"),
                ("STELLA_LOG_IDLE_TIMEOUT", "2d"),
            ])
            .unwrap();
        assert_eq!(
            settings.warnings,
            [
                "STELLA_CONNECT_TIMEOUT=0ms must be more than 0 s; using 5 s",
                "STELLA_LOG_IDLE_TIMEOUT=2d is not a duration like 30s or 2m; using 30 s",
            ]
        );
        assert_eq!(
            settings.timeouts,
            Timeouts {
                connect: Duration::from_secs(5),
                request: Duration::from_secs(45),
                log_idle: Duration::from_secs(30),
            }
        );
    }

    #[test]
    fn duration_setting_reads_one_variable_for_any_caller() {
        let env = |name: &str| match name {
            "STELLA_POLL_INTERVAL" => Some(" 2m ".to_owned()),
            "STELLA_VALIDATE_DELAY" => Some("soon".to_owned()),
            "STELLA_PROMPT_TIMEOUT" => Some("  ".to_owned()),
            _ => None,
        };
        let default = Duration::from_millis(800);

        assert_eq!(
            duration_setting(&env, "STELLA_POLL_INTERVAL", default),
            (Duration::from_secs(120), None)
        );
        assert_eq!(
            duration_setting(&env, "STELLA_VALIDATE_DELAY", default),
            (
                default,
                Some(
                    "STELLA_VALIDATE_DELAY=soon is not a duration like 30s or 2m; using 0.8 s"
                        .to_owned()
                )
            )
        );
        assert_eq!(duration_setting(&env, "STELLA_PROMPT_TIMEOUT", default), (default, None));
        assert_eq!(duration_setting(&env, "STELLA_LOG_POLL_INTERVAL", default), (default, None));
    }

    /// `Settings::load` on another thread, so that a read that blocks fails the test
    /// instead of hanging it.
    fn load_within_5_s(home: &Home, variables: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let variables: HashMap<String, String> =
            variables.iter().map(|&(name, value)| (name.to_owned(), value.to_owned())).collect();
        let home = home.path().to_owned();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(Settings::load(&|name| variables.get(name).cloned(), Some(&home)));
        });
        receiver
            .recv_timeout(Duration::from_secs(5))
            .expect("reading the settings blocked for more than 5 s")
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_not_opened() {
        let home = Home::new(None, None);
        let fifo = home.path().join("config-fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: `c_path` is a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);

        let error =
            load_within_5_s(&home, &[("STELLA_CONFIG", fifo.to_str().unwrap())]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("Cannot read {}: is not a regular file", fifo.display())
        );

        std::fs::rename(&fifo, home.credentials()).unwrap();
        let error = load_within_5_s(&home, &[]).unwrap_err();
        assert_eq!(
            error,
            SettingsError::Unreadable {
                path: home.credentials(),
                reason: "is not a regular file".to_owned()
            }
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_to_a_device_is_not_read() {
        let home = Home::new(None, None);
        std::os::unix::fs::symlink("/dev/zero", home.path().join(CONFIG_FILE)).unwrap();

        let error = load_within_5_s(&home, &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "Cannot read {}: is not a regular file",
                home.path().join(CONFIG_FILE).display()
            )
        );

        let error = load_within_5_s(&home, &[("STELLA_CONFIG", "/dev/zero")]).unwrap_err();
        assert_eq!(error.to_string(), "Cannot read /dev/zero: is not a regular file");
    }

    #[test]
    fn files_over_1_mib_are_not_read() {
        let mut big = "server: https://big.example.com\n".to_owned();
        big.push_str(&"#".repeat(2 << 20));
        let home = Home::new(Some(&big), Some(&big));
        let error = home.load(&[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "Cannot read {}: is larger than 1 MiB",
                home.path().join(CONFIG_FILE).display()
            )
        );

        // A symbolic link is followed to what it names.
        #[cfg(unix)]
        {
            std::fs::remove_file(home.path().join(CONFIG_FILE)).unwrap();
            std::os::unix::fs::symlink(home.credentials(), home.path().join(CONFIG_FILE)).unwrap();
            let error = home.load(&[]).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "Cannot read {}: is larger than 1 MiB",
                    home.path().join(CONFIG_FILE).display()
                )
            );
        }

        // The credentials file has the same limit.
        std::fs::remove_file(home.path().join(CONFIG_FILE)).unwrap();
        let error = home.load(&[]).unwrap_err();
        assert_eq!(
            error,
            SettingsError::Unreadable {
                path: home.credentials(),
                reason: "is larger than 1 MiB".to_owned()
            }
        );

        // Exactly 1 MiB is still read.
        let mut exact = "server: https://exact.example.com\n".to_owned();
        exact.push_str(&"#".repeat((1 << 20) - exact.len()));
        std::fs::write(home.path().join(CONFIG_FILE), &exact).unwrap();
        std::fs::remove_file(home.credentials()).unwrap();
        let settings = home.load(&[]).unwrap();
        assert_eq!(settings.server.as_deref(), Some("https://exact.example.com"));
    }

    #[test]
    fn unparsable_files_name_the_file_and_line() {
        let home = Home::new(Some("server: https://a.example.com\ncontexts: [\n"), None);
        let error = home.load(&[]).unwrap_err();
        let SettingsError::Unparsable { path, line, message } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(path, &home.path().join(".stella/config.yaml"));
        assert!(*line >= 2, "{line}");
        assert!(message.is_some());

        let secret = "contexts:\n  default:\n    token: stl_SECRET\n  x: [\n";
        let home = Home::new(None, Some(secret));
        let error = home.load(&[]).unwrap_err().to_string();
        assert!(error.starts_with(&home.credentials().display().to_string()), "{error}");
        assert!(!error.contains("stl_SECRET"), "{error}");
        assert!(error.ends_with("); fix it or remove it"), "{error}");
    }

    #[test]
    fn wrong_types_name_the_key() {
        let home = Home::new(Some("contexts:\n  production:\n    server: [a]\n"), None);
        assert_eq!(
            home.load(&[]).unwrap_err().to_string(),
            format!(
                "`contexts.production.server` in {} should be a string",
                home.path().join(".stella/config.yaml").display()
            )
        );
        let home = Home::new(Some("- a list\n"), None);
        assert!(matches!(home.load(&[]).unwrap_err(), SettingsError::Invalid { .. }));
    }

    #[test]
    fn tokens_that_a_header_cannot_carry_are_refused_without_showing_them() {
        let home = Home::new(None, Some("contexts:\n  default:\n    token: \"stl_A B\"\n"));
        let error = home.load(&[]).unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "The token in {} has characters that cannot be sent (spaces, line breaks or non-ASCII); copy it again",
                home.credentials().display()
            )
        );
        let error = home.load(&[("STELLA_TOKEN", "stl_é")]).unwrap_err();
        assert_eq!(error, SettingsError::BadToken { origin: "STELLA_TOKEN".into() });
    }

    #[test]
    fn the_token_prints_as_stars() {
        let home = Home::new(None, Some(CREDENTIALS));
        let settings = home.load(&[]).unwrap();
        let token = settings.token.clone().unwrap();
        assert_eq!(format!("{token} {token:?}"), "*** ***");
        assert!(!format!("{settings:?}").contains("stl_"));
    }
}
