//! Merging configuration sources (defaults, file, `--set`, flags) into a
//! [`NodeConfig`], with one-line errors that name the key and where it came from.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use super::{InvalidValue, NodeConfig};

/// Largest configuration file we read.
pub const CONFIG_FILE_BYTES_MAX: u64 = 1024 * 1024;

/// Where a configuration value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The TOML file at this path.
    File(PathBuf),
    /// A `--set KEY=VALUE` argument.
    Set,
    /// A named flag such as `--native-port`.
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Set => f.write_str("--set"),
            Origin::Flag(flag) => write!(f, "--{flag}"),
        }
    }
}

/// What a node's configuration is built from, lowest precedence first.
#[derive(Debug, Clone, Default)]
pub struct ConfigSources {
    /// `--config FILE`.
    pub file: Option<PathBuf>,
    /// `--set KEY=VALUE` arguments in order; the value is TOML, or a bare string.
    pub sets: Vec<String>,
    /// Named flags as (flag name, key, value).
    pub flags: Vec<(&'static str, &'static str, toml::Value)>,
}

/// Why the configuration could not be loaded. Each renders as one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is larger than [`CONFIG_FILE_BYTES_MAX`].
    #[error("config file {} is larger than {CONFIG_FILE_BYTES_MAX} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// The TOML parser's explanation.
        message: String,
    },
    /// `--set` without `=`.
    #[error("--set expects KEY=VALUE, got {0:?}")]
    BadSet(String),
    /// A key no version of Sibyl knows.
    #[error("unknown config key `{key}` (from {origin})")]
    UnknownKey {
        /// The key.
        key: String,
        /// Where it was given.
        origin: Origin,
    },
    /// A key whose value has the wrong type or form.
    #[error("bad value for `{key}` (from {origin}): {message}")]
    BadValue {
        /// The key.
        key: String,
        /// Where it was given.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// Values that parse but do not work together.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

/// Builds and validates the node configuration from its sources.
///
/// # Errors
/// The first [`ConfigError`] found: unreadable or malformed file, unknown key,
/// wrongly typed value, or an invalid combination.
pub fn load(sources: &ConfigSources) -> Result<NodeConfig, ConfigError> {
    let mut merged: BTreeMap<String, (toml::Value, Origin)> = BTreeMap::new();
    if let Some(path) = &sources.file {
        for (key, value) in read_file(path)? {
            merged.insert(key, (value, Origin::File(path.clone())));
        }
    }
    for set in &sources.sets {
        let (key, raw) = set
            .split_once('=')
            .ok_or_else(|| ConfigError::BadSet(set.clone()))?;
        merged.insert(
            key.trim().to_owned(),
            (parse_set_value(raw.trim()), Origin::Set),
        );
    }
    for (flag, key, value) in &sources.flags {
        merged.insert((*key).to_owned(), (value.clone(), Origin::Flag(flag)));
    }
    let known = known_keys();
    let mut table = toml::Table::new();
    for (key, (value, origin)) in merged {
        if !known.contains(&key) {
            return Err(ConfigError::UnknownKey { key, origin });
        }
        let value = normalise(&key, value);
        check_one(&key, &value).map_err(|message| ConfigError::BadValue {
            key: key.clone(),
            origin,
            message,
        })?;
        table.insert(key, value);
    }
    let config: NodeConfig =
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::BadValue {
                key: "<config>".to_owned(),
                origin: Origin::Set,
                message: e.message().to_owned(),
            })?;
    config.validate()?;
    Ok(config)
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let read_err = |source| ConfigError::Read {
        path: path.to_owned(),
        source,
    };
    let len = std::fs::metadata(path).map_err(read_err)?.len();
    if len > CONFIG_FILE_BYTES_MAX {
        return Err(ConfigError::TooLarge {
            path: path.to_owned(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    toml::from_str::<toml::Table>(&text).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start);
        let line = text
            .get(..offset)
            .map_or(1, |before| before.lines().count().max(1));
        ConfigError::Syntax {
            path: path.to_owned(),
            line,
            message: e.message().to_owned(),
        }
    })
}

/// A `--set` value is TOML when it parses as TOML (`8`, `true`, `["a"]`,
/// `"quoted"`), otherwise the raw text as a string (`--set dc=east`).
fn parse_set_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

/// Accepts Cassandra's comma-separated seed string as well as a TOML array.
fn normalise(key: &str, value: toml::Value) -> toml::Value {
    match (key, value) {
        ("seeds", toml::Value::String(list)) => toml::Value::Array(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
        (_, value) => value,
    }
}

/// Deserialises one key on top of the defaults, so a type error names its key.
fn check_one(key: &str, value: &toml::Value) -> Result<(), String> {
    let mut single = toml::Table::new();
    single.insert(key.to_owned(), value.clone());
    toml::Value::Table(single)
        .try_into::<NodeConfig>()
        .map(|_| ())
        .map_err(|e| e.message().to_owned())
}

/// Every key [`NodeConfig`] has, read off its serialised defaults.
fn known_keys() -> BTreeSet<String> {
    match toml::Value::try_from(NodeConfig::default()) {
        Ok(toml::Value::Table(table)) => table.keys().cloned().collect(),
        // Serialising a plain struct of scalars cannot fail; an empty set would
        // report every key as unknown, which tests would catch at once.
        _ => BTreeSet::new(),
    }
}
