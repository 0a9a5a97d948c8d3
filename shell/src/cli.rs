//! Command line (cqlsh-compatible) and `~/.sibylshrc` (cqlsh's cqlshrc
//! sections where they apply), merged into one [`Settings`]. Precedence:
//! command line, then environment (`SIBYLSH_HOST`, `SIBYLSH_PORT`), then the
//! rc file, then defaults.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
pub use sibyl_protocol::client::TlsOptions;

/// Default port of the native protocol.
pub const PORT_DEFAULT: u16 = 9042;
/// Default request timeout (cqlsh: 10 s).
pub const REQUEST_TIMEOUT_S_DEFAULT: f64 = 10.0;
/// Default connect timeout (cqlsh: 5 s).
pub const CONNECT_TIMEOUT_S_DEFAULT: f64 = 5.0;

/// `sibylsh [host [port]] [options]`.
#[derive(Debug, Clone, PartialEq, Parser)]
#[command(
    name = "sibylsh",
    version,
    about = "The Sibyl CQL shell (cqlsh-compatible)"
)]
pub struct Args {
    /// Host to connect to (default 127.0.0.1).
    pub host: Option<String>,
    /// Native protocol port (default 9042).
    pub port: Option<u16>,
    /// User name.
    #[arg(short = 'u', long = "username")]
    pub username: Option<String>,
    /// Password.
    #[arg(short = 'p', long = "password")]
    pub password: Option<String>,
    /// Keyspace to USE after connecting.
    #[arg(short = 'k', long = "keyspace")]
    pub keyspace: Option<String>,
    /// Execute the statements and exit.
    #[arg(short = 'e', long = "execute")]
    pub execute: Option<String>,
    /// Execute the statements of a file and exit.
    #[arg(short = 'f', long = "file")]
    pub file: Option<String>,
    /// Use TLS: `[ssl]` in the rc file, `SSL_CERTFILE` and `SSL_VALIDATE` say how.
    #[arg(long)]
    pub ssl: bool,
    /// Connect timeout in seconds.
    #[arg(long = "connect-timeout")]
    pub connect_timeout: Option<f64>,
    /// Request timeout in seconds.
    #[arg(long = "request-timeout")]
    pub request_timeout: Option<f64>,
    /// Native protocol version (3, 4 or 5).
    #[arg(long = "protocol-version")]
    pub protocol_version: Option<u8>,
    /// Always colour output.
    #[arg(short = 'C', long = "color", conflicts_with = "no_color")]
    pub color: bool,
    /// Never colour output.
    #[arg(long = "no-color")]
    pub no_color: bool,
    /// Debug logging.
    #[arg(long)]
    pub debug: bool,
    /// Alternative rc file (default ~/.sibylshrc).
    #[arg(long = "sibylshrc")]
    pub rc_file: Option<String>,
}

/// Errors of argument and rc-file handling.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum CliError {
    /// `--ssl` with validation on but no certificate file to validate against.
    #[error(
        "Validation is enabled; SSL transport factory requires a valid certfile to be specified. Please provide path to the certfile in [ssl] section as 'certfile' option in ~/.sibylshrc (or use [certfiles] section) or set SSL_CERTFILE environment variable."
    )]
    SslNoCertfile,
    /// A value in the rc file or environment does not parse.
    #[error("invalid {what}: {value:?}")]
    Invalid {
        /// The setting.
        what: &'static str,
        /// Its text.
        value: String,
    },
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    /// Colour when stdout is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Everything the shell needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Credentials.
    pub credentials: Option<(String, String)>,
    /// Keyspace to use.
    pub keyspace: Option<String>,
    /// Statements from `-e`.
    pub execute: Option<String>,
    /// File from `-f`.
    pub file: Option<String>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Fixed protocol version.
    pub protocol_version: Option<u8>,
    /// Colour mode.
    pub color: ColorMode,
    /// float_precision.
    pub float_precision: usize,
    /// double_precision.
    pub double_precision: usize,
    /// Debug logging.
    pub debug: bool,
    /// TLS (`--ssl`), as cqlsh's `[ssl]` section and `SSL_*` variables say.
    pub ssl: Option<TlsOptions>,
}

/// A parsed ini file: section -> key -> value (keys lower-cased).
pub type Ini = HashMap<String, HashMap<String, String>>;

/// Parses the cqlshrc ini dialect (`[section]`, `key = value`, `;`/`#` comments).
pub fn parse_ini(text: &str) -> Ini {
    let mut ini = Ini::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        if let Some((k, v)) = line.split_once('=').or_else(|| line.split_once(':')) {
            ini.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    ini
}

fn get<'a>(ini: &'a Ini, section: &str, key: &str) -> Option<&'a str> {
    ini.get(section)
        .and_then(|s| s.get(key))
        .map(String::as_str)
}

fn parse_num<T: std::str::FromStr>(what: &'static str, v: &str) -> Result<T, CliError> {
    v.trim().parse().map_err(|_| CliError::Invalid {
        what,
        value: v.to_owned(),
    })
}

fn seconds(what: &'static str, s: f64) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(s).map_err(|_| CliError::Invalid {
        what,
        value: s.to_string(),
    })
}

/// `--color`, `--no-color`, then `[ui] color`.
fn color_mode(args: &Args, ini: &Ini) -> ColorMode {
    let ui = get(ini, "ui", "color")
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "on" | "true" | "yes" | "1"));
    match (args.color, args.no_color, ui) {
        (true, _, _) => ColorMode::Always,
        (_, true, _) | (_, _, Some(false)) => ColorMode::Never,
        _ => ColorMode::Auto,
    }
}

/// `[ui] float_precision` / `double_precision`.
fn precision(ini: &Ini, key: &'static str, default: usize) -> Result<usize, CliError> {
    get(ini, "ui", key).map_or(Ok(default), |v| parse_num(key, v))
}

/// Merges arguments, environment (`env` lookup) and the rc file.
///
/// # Errors
/// `--ssl`, or a setting that does not parse.
pub fn settings(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
    ini: &Ini,
) -> Result<Settings, CliError> {
    let host = args
        .host
        .clone()
        .or_else(|| env("SIBYLSH_HOST"))
        .or_else(|| get(ini, "connection", "hostname").map(str::to_owned))
        .unwrap_or_else(|| "127.0.0.1".to_owned());
    let port = match (
        args.port,
        env("SIBYLSH_PORT"),
        get(ini, "connection", "port"),
    ) {
        (Some(p), _, _) => p,
        (None, Some(p), _) => parse_num("SIBYLSH_PORT", &p)?,
        (None, None, Some(p)) => parse_num("[connection] port", p)?,
        _ => PORT_DEFAULT,
    };
    let user = args
        .username
        .clone()
        .or_else(|| get(ini, "authentication", "username").map(str::to_owned));
    let pass = args
        .password
        .clone()
        .or_else(|| get(ini, "authentication", "password").map(str::to_owned));
    let connect_s = match (args.connect_timeout, get(ini, "connection", "timeout")) {
        (Some(s), _) => s,
        (None, Some(v)) => parse_num("[connection] timeout", v)?,
        _ => CONNECT_TIMEOUT_S_DEFAULT,
    };
    let request_s = match (
        args.request_timeout,
        get(ini, "connection", "request_timeout"),
    ) {
        (Some(s), _) => s,
        (None, Some(v)) => parse_num("[connection] request_timeout", v)?,
        _ => REQUEST_TIMEOUT_S_DEFAULT,
    };
    let color = color_mode(args, ini);
    let ssl = ssl_options(args, env, ini, &host)?;
    Ok(Settings {
        host,
        port,
        credentials: user.map(|u| (u, pass.unwrap_or_default())),
        keyspace: args
            .keyspace
            .clone()
            .or_else(|| get(ini, "authentication", "keyspace").map(str::to_owned)),
        execute: args.execute.clone(),
        file: args.file.clone(),
        connect_timeout: seconds("connect timeout", connect_s)?,
        request_timeout: seconds("request timeout", request_s)?,
        protocol_version: args.protocol_version,
        color,
        float_precision: precision(ini, "float_precision", 5)?,
        double_precision: precision(ini, "double_precision", 12)?,
        debug: args.debug,
        ssl,
    })
}

/// cqlsh's sslhandling: `SSL_VALIDATE` over `[ssl] validate` (on unless
/// "false"); `SSL_CERTFILE` over `[certfiles] <host>` over `[ssl] certfile`;
/// validation without a certificate file is an error.
fn ssl_options(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
    ini: &Ini,
    host: &str,
) -> Result<Option<TlsOptions>, CliError> {
    let wanted =
        args.ssl || get(ini, "connection", "ssl").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !wanted {
        return Ok(None);
    }
    let validate = env("SSL_VALIDATE")
        .or_else(|| get(ini, "ssl", "validate").map(str::to_owned))
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    let certfile = env("SSL_CERTFILE")
        .or_else(|| get(ini, "certfiles", host).map(str::to_owned))
        .or_else(|| get(ini, "ssl", "certfile").map(str::to_owned));
    if validate && certfile.is_none() {
        return Err(CliError::SslNoCertfile);
    }
    let ca_file = certfile.map(|path| match (path.strip_prefix("~/"), env("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    });
    Ok(Some(TlsOptions { ca_file, validate }))
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
