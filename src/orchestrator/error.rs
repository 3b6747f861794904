//! What can go wrong talking to Stella, each as one sentence a person can act on.
//!
//! The sentences are shown to the user as they are (in a `showMessage` or a diagnostic), so
//! they start with a capital, have no final period, and say what to do where there is
//! something to do. Any text in them that came from the server has already been through
//! `server_text`: the token is replaced by `***`, and the text is one short line.

use std::fmt;
use std::time::Duration;

use crate::orchestrator::client::MAX_ANSWER_BYTES;
use crate::orchestrator::settings::Token;

#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiError {
    /// No server at all: neither `STELLA_SERVER` nor `server` in the global config.
    #[error(
        "No Stella server is configured: set `server` in ~/.stella/config.yaml or STELLA_SERVER"
    )]
    NotConfigured,

    /// The configured address cannot be used (not a URL, a scheme other than http and https,
    /// a user name in it…).
    #[error("The Stella server address {url} is not usable: {reason}")]
    InvalidServer { url: String, reason: String },

    /// `http://` to a host that is not loopback: refused before any connection, so the token
    /// never crosses a network in clear text.
    #[error(
        "Refusing plain http to {url}: use https (plain http is allowed only to 127.0.0.1, ::1 and localhost)"
    )]
    InsecureServer { url: String },

    /// No token (no request was sent), or the server answered 401.
    #[error(
        "Not signed in to Stella at {server}: run `stella auth login` or set STELLA_TOKEN{}",
        ServerSaid(message.as_deref())
    )]
    NotSignedIn { server: String, message: Option<String> },

    /// 403: signed in, but this user may not do this.
    #[error("Stella refused: {message} (your account may not do this)")]
    Forbidden { server: String, message: String },

    /// 404.
    #[error("Not found on Stella: {message}")]
    NotFound { message: String },

    /// 409, for example `environment_frozen`.
    #[error("Stella refused: {message}")]
    Conflict { code: String, message: String },

    /// Any other 4xx (400, 422…).
    #[error("Stella rejected the request ({status}): {message}")]
    Rejected { status: u16, code: String, message: String },

    /// 429; the caller backs off for `retry_after` (from `Retry-After`) when it is known.
    #[error("Stella is receiving too many requests ({message}); {}", TryAgain(*retry_after))]
    RateLimited { retry_after: Option<Duration>, message: String },

    /// 5xx.
    #[error("Stella at {server} failed ({status}): {message}")]
    Server { server: String, status: u16, message: String },

    /// No connection within the connect timeout, or no complete answer within the request
    /// timeout (for a log page: no byte within the read-idle timeout, or no complete page
    /// within ten times that).
    #[error(
        "Stella at {server} did not answer within {} s; local checks still run",
        Seconds(*after)
    )]
    Timeout { server: String, after: Duration },

    /// No connection could be made: refused, unknown host, or a TLS certificate that is not
    /// trusted (the reason says which). Nothing was sent.
    #[error("Cannot reach {server} ({reason}); local checks still run")]
    Unreachable { server: String, reason: String },

    /// A request other than a GET went out but the connection dropped before an answer came
    /// back: a POST may have been carried out, so it is never sent again on its own. A GET
    /// in the same case is [`ApiError::Incomplete`].
    #[error(
        "The request was sent to {server} but no answer came back; it may have been carried out"
    )]
    NoAnswer { server: String },

    /// A GET whose connection ended before a whole answer came back. Reading changes
    /// nothing, so trying again is safe.
    #[error("Stella at {server} closed the connection before a complete answer; try again")]
    Incomplete { server: String },

    /// Every connection this client may open was busy for as long as the request may take,
    /// so it was never sent.
    #[error("Too many requests to Stella at {server} are waiting; try again")]
    Busy { server: String },

    /// A success status with a body that is not the JSON the contract promises.
    #[error("Stella at {server} sent an answer that is not valid JSON ({detail})")]
    Malformed { server: String, detail: String },

    /// An answer bigger than the client reads (8 MiB); what was read is dropped.
    #[error("Stella at {server} sent an answer larger than {} MiB", MAX_ANSWER_BYTES >> 20)]
    TooLarge { server: String },

    /// A status the contract does not use for this call: 1xx, a 2xx other than 200 and
    /// 201, a 3xx that is not a redirect with a `Location` (304…), or 600 and above.
    #[error("Stella at {server} answered with an unexpected status {status}")]
    UnexpectedStatus { server: String, status: u16 },

    /// A redirect (301, 302, 303, 307 or 308 with a `Location`); redirects are never
    /// followed, so the token stays with the configured server.
    #[error(
        "Stella at {server} answered with a redirect to {location}; redirects are not followed"
    )]
    Redirected { server: String, location: String },
}

impl ApiError {
    /// True when Stella could not be reached at all: local checks go on, and the caller
    /// reports the outage once rather than per call.
    pub fn is_offline(&self) -> bool {
        matches!(self, ApiError::Timeout { .. } | ApiError::Unreachable { .. })
    }

    /// The server's error code (`environment_frozen`, `invalid_config`…), when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Conflict { code, .. } | ApiError::Rejected { code, .. }
                if !code.is_empty() =>
            {
                Some(code)
            }
            _ => None,
        }
    }
}

/// The longest piece of server text an error keeps, in characters.
const MAX_SERVER_TEXT: usize = 300;

/// Server text made fit for an error sentence and for the log: every occurrence of the
/// token replaced by `***`, control characters and line breaks turned into spaces, runs of
/// spaces collapsed, and cut to [`MAX_SERVER_TEXT`] characters.
pub(crate) fn server_text(text: &str, token: Option<&Token>) -> String {
    let scrubbed = match token {
        Some(token) if !token.expose().is_empty() => text.replace(token.expose(), "***"),
        _ => text.to_owned(),
    };

    let printable: String =
        scrubbed.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let line = printable.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX_SERVER_TEXT) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// ` (server said: …)` after the sign-in sentence, when the server sent a message.
struct ServerSaid<'a>(Option<&'a str>);

impl fmt::Display for ServerSaid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(message) if !message.is_empty() => write!(f, " (server said: {message})"),
            _ => Ok(()),
        }
    }
}

struct TryAgain(Option<Duration>);

impl fmt::Display for TryAgain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(after) => write!(f, "try again in {} s", Seconds(after)),
            None => f.write_str("try again later"),
        }
    }
}

/// A duration in seconds: whole seconds as `30`, shorter ones as `0.5` or `1.25`.
pub(crate) struct Seconds(pub(crate) Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis % 1000 == 0 && self.0.subsec_nanos() % 1_000_000 == 0 {
            return write!(f, "{}", millis / 1000);
        }

        // Round up so that a sub-millisecond timeout never reads as `0 s`.
        let millis = self.0.as_micros().div_ceil(1000);
        let fraction = format!("{:03}", millis % 1000);
        write!(f, "{}.{}", millis / 1000, fraction.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "https://127.0.0.1:8443";

    #[test]
    fn timeouts_print_whole_or_fractional_seconds() {
        let sentence = |after| ApiError::Timeout { server: SERVER.into(), after }.to_string();
        assert_eq!(
            sentence(Duration::from_secs(30)),
            "Stella at https://127.0.0.1:8443 did not answer within 30 s; local checks still run"
        );
        assert!(sentence(Duration::from_millis(500)).contains("within 0.5 s;"));
        assert!(sentence(Duration::from_millis(1250)).contains("within 1.25 s;"));
        assert!(sentence(Duration::from_micros(10)).contains("within 0.001 s;"));
    }

    #[test]
    fn sentences_have_the_documented_forms() {
        let cases = [
            (
                ApiError::Unreachable { server: SERVER.into(), reason: "connection refused".into() },
                "Cannot reach https://127.0.0.1:8443 (connection refused); local checks still run",
            ),
            (
                ApiError::NotSignedIn { server: SERVER.into(), message: None },
                "Not signed in to Stella at https://127.0.0.1:8443: run `stella auth login` or set STELLA_TOKEN",
            ),
            (
                ApiError::NotSignedIn { server: SERVER.into(), message: Some("token expired".into()) },
                "Not signed in to Stella at https://127.0.0.1:8443: run `stella auth login` or set STELLA_TOKEN (server said: token expired)",
            ),
            (
                ApiError::RateLimited { retry_after: Some(Duration::from_secs(30)), message: "slow down".into() },
                "Stella is receiving too many requests (slow down); try again in 30 s",
            ),
            (
                ApiError::RateLimited { retry_after: None, message: "slow down".into() },
                "Stella is receiving too many requests (slow down); try again later",
            ),
            (
                ApiError::NotConfigured,
                "No Stella server is configured: set `server` in ~/.stella/config.yaml or STELLA_SERVER",
            ),
            (
                ApiError::Incomplete { server: SERVER.into() },
                "Stella at https://127.0.0.1:8443 closed the connection before a complete answer; try again",
            ),
            (
                ApiError::Busy { server: SERVER.into() },
                "Too many requests to Stella at https://127.0.0.1:8443 are waiting; try again",
            ),
            (
                ApiError::TooLarge { server: SERVER.into() },
                "Stella at https://127.0.0.1:8443 sent an answer larger than 8 MiB",
            ),
            (
                ApiError::UnexpectedStatus { server: SERVER.into(), status: 304 },
                "Stella at https://127.0.0.1:8443 answered with an unexpected status 304",
            ),
        ];
        for (error, sentence) in cases {
            assert_eq!(error.to_string(), sentence);
        }
    }

    #[test]
    fn only_timeouts_and_unreachable_servers_are_offline() {
        let server = || SERVER.to_owned();
        let offline = [
            ApiError::Timeout { server: server(), after: Duration::from_secs(1) },
            ApiError::Unreachable { server: server(), reason: "connection refused".into() },
        ];
        let online = [
            ApiError::NotConfigured,
            ApiError::InvalidServer { url: server(), reason: "x".into() },
            ApiError::InsecureServer { url: server() },
            ApiError::NotSignedIn { server: server(), message: None },
            ApiError::Forbidden { server: server(), message: "x".into() },
            ApiError::NotFound { message: "x".into() },
            ApiError::Conflict { code: String::new(), message: "x".into() },
            ApiError::Rejected { status: 400, code: String::new(), message: "x".into() },
            ApiError::RateLimited { retry_after: None, message: "x".into() },
            ApiError::Server { server: server(), status: 500, message: "x".into() },
            ApiError::NoAnswer { server: server() },
            ApiError::Incomplete { server: server() },
            ApiError::Busy { server: server() },
            ApiError::Malformed { server: server(), detail: "x".into() },
            ApiError::TooLarge { server: server() },
            ApiError::UnexpectedStatus { server: server(), status: 204 },
            ApiError::Redirected { server: server(), location: "x".into() },
        ];
        assert_eq!(offline.map(|error| error.is_offline()), [true, true]);
        assert_eq!(online.map(|error| error.is_offline()), [false; 17]);
    }

    #[test]
    fn code_is_the_servers_when_it_sent_one() {
        let conflict =
            ApiError::Conflict { code: "environment_frozen".into(), message: "frozen".into() };
        assert_eq!(conflict.code(), Some("environment_frozen"));
        let without = ApiError::Rejected { status: 400, code: String::new(), message: "x".into() };
        assert_eq!(without.code(), None);
        assert_eq!(ApiError::NotConfigured.code(), None);
    }

    #[test]
    fn server_text_scrubs_the_token_and_keeps_one_short_line() {
        let token = Token::new("stl_secret".into());
        assert_eq!(
            server_text("token stl_secret revoked;\n\tsee stl_secret\u{7}", Some(&token)),
            "token *** revoked; see ***"
        );
        let long = "x".repeat(1000);
        assert_eq!(server_text(&long, None).chars().count(), MAX_SERVER_TEXT + 1);
    }
}
