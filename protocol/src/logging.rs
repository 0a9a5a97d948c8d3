//! The one `tracing-subscriber` setup shared by every Sibyl binary.
//!
//! Filter directives come from `SIBYL_LOG`, else `RUST_LOG`, else `info`.
//! `SIBYL_LOG_FORMAT=json` switches to one JSON object per line; anything
//! else (or unset) is the human-readable format. Logs go to standard error so
//! that standard output stays free for a tool's results.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

/// Environment variable with Sibyl's own filter directives (takes precedence).
pub const FILTER_ENV: &str = "SIBYL_LOG";
/// The conventional filter variable, used when `SIBYL_LOG` is unset.
pub const FALLBACK_FILTER_ENV: &str = "RUST_LOG";
/// Environment variable choosing the output format (`text` or `json`).
pub const FORMAT_ENV: &str = "SIBYL_LOG_FORMAT";
/// Filter used when neither variable is set.
pub const DEFAULT_FILTER: &str = "info";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogFormat {
    /// Reads a format name as given in `SIBYL_LOG_FORMAT`.
    ///
    /// # Errors
    /// [`LogInitError::UnknownFormat`] for anything but `text` or `json`
    /// (case-insensitive); unset or empty means `text`.
    pub fn parse(value: Option<&str>) -> Result<Self, LogInitError> {
        match value.map(str::trim) {
            None | Some("") => Ok(Self::Text),
            Some(v) if v.eq_ignore_ascii_case("text") => Ok(Self::Text),
            Some(v) if v.eq_ignore_ascii_case("json") => Ok(Self::Json),
            Some(v) => Err(LogInitError::UnknownFormat(v.to_owned())),
        }
    }
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogInitError {
    /// `SIBYL_LOG_FORMAT` named a format we do not write.
    #[error("unknown log format {0:?} in {FORMAT_ENV}; expected `text` or `json`")]
    UnknownFormat(String),
    /// The filter directives did not parse.
    #[error("bad log filter {directives:?}: {reason}")]
    BadFilter {
        /// The directives as given.
        directives: String,
        /// The parser's explanation.
        reason: String,
    },
    /// A global subscriber was already installed in this process.
    #[error("logging was already initialised: {0}")]
    AlreadyInitialised(String),
}

/// Chooses the filter directives: `SIBYL_LOG` wins over `RUST_LOG`; blank
/// values count as unset; the default is [`DEFAULT_FILTER`].
pub fn choose_filter(sibyl_log: Option<&str>, rust_log: Option<&str>) -> String {
    [sibyl_log, rust_log]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or(DEFAULT_FILTER)
        .to_owned()
}

/// Builds the filter from directives, reporting bad ones instead of ignoring them.
///
/// # Errors
/// [`LogInitError::BadFilter`] when a directive does not parse.
pub fn build_filter(directives: &str) -> Result<EnvFilter, LogInitError> {
    EnvFilter::builder()
        .parse(directives)
        .map_err(|e| LogInitError::BadFilter {
            directives: directives.to_owned(),
            reason: e.to_string(),
        })
}

/// Installs the global subscriber from the environment (see module docs).
///
/// # Errors
/// A bad format name or filter, or a subscriber already installed.
pub fn init() -> Result<(), LogInitError> {
    let sibyl = std::env::var(FILTER_ENV).ok();
    let rust = std::env::var(FALLBACK_FILTER_ENV).ok();
    let format = LogFormat::parse(std::env::var(FORMAT_ENV).ok().as_deref())?;
    let filter = build_filter(&choose_filter(sibyl.as_deref(), rust.as_deref()))?;
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal()),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init(),
    };
    result.map_err(|e| LogInitError::AlreadyInitialised(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibyl_log_wins_over_rust_log() {
        assert_eq!(choose_filter(Some("debug"), Some("warn")), "debug");
        assert_eq!(choose_filter(None, Some("warn")), "warn");
        assert_eq!(choose_filter(Some("  "), Some("warn")), "warn");
        assert_eq!(choose_filter(None, None), DEFAULT_FILTER);
    }

    #[test]
    fn format_names_are_checked() {
        assert_eq!(LogFormat::parse(None).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("JSON")).unwrap(), LogFormat::Json);
        assert_eq!(LogFormat::parse(Some("text")).unwrap(), LogFormat::Text);
        let err = LogFormat::parse(Some("xml")).unwrap_err();
        assert!(err.to_string().contains("xml"), "{err}");
    }

    #[test]
    fn bad_filters_are_reported_not_ignored() {
        assert!(build_filter("info,sibyl_server=debug").is_ok());
        let err = build_filter("sibyl=notalevel").unwrap_err();
        assert!(matches!(err, LogInitError::BadFilter { .. }), "{err}");
    }

    #[test]
    fn init_twice_is_an_error_not_a_panic() {
        // The first call may fail if another test installed a subscriber; the
        // second must fail either way, and neither may panic.
        let _ = init();
        assert!(matches!(init(), Err(LogInitError::AlreadyInitialised(_))));
    }
}
