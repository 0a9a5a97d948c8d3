//! `sibyld`'s command-line flags (DESIGN §1) and how they become config overrides.

use std::path::PathBuf;

use clap::Parser;

use super::ConfigSources;

/// The flags every script and test may rely on; each named flag overrides the
/// config key of the same meaning, `--set` overrides any key.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "sibyld",
    version,
    about = "Sibyl database node (Cassandra-compatible)"
)]
pub struct Flags {
    /// TOML configuration file; keys follow cassandra.yaml names.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Root directory of this node's files (key `data_dir`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address for all three ports (key `listen_address`).
    #[arg(long, value_name = "IP")]
    pub listen_address: Option<String>,
    /// CQL native protocol port (key `native_transport_port`).
    #[arg(long, value_name = "N")]
    pub native_port: Option<u16>,
    /// Internode port (key `storage_port`).
    #[arg(long, value_name = "N")]
    pub storage_port: Option<u16>,
    /// Admin and metrics HTTP port (key `admin_port`).
    #[arg(long, value_name = "N")]
    pub admin_port: Option<u16>,
    /// Cluster name (key `cluster_name`).
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,
    /// Comma-separated seed addresses (key `seeds`).
    #[arg(long, value_name = "IP[,IP...]")]
    pub seeds: Option<String>,
    /// Data center (key `dc`).
    #[arg(long, value_name = "NAME")]
    pub dc: Option<String>,
    /// Rack (key `rack`).
    #[arg(long, value_name = "NAME")]
    pub rack: Option<String>,
    /// Virtual nodes per node (key `num_tokens`).
    #[arg(long, value_name = "N")]
    pub num_tokens: Option<u32>,
    /// periodic, batch or group (key `commitlog_sync`).
    #[arg(long, value_name = "MODE")]
    pub commitlog_sync: Option<String>,
    /// Any config key: `--set KEY=VALUE` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

impl Flags {
    /// The configuration sources these flags describe.
    pub fn sources(&self) -> ConfigSources {
        use toml::Value::{Integer, String as Text};
        let text = |v: &Option<String>| v.clone().map(Text);
        let int = |v: Option<i64>| v.map(Integer);
        let path = |v: &Option<PathBuf>| v.as_ref().map(|p| Text(p.display().to_string()));
        let candidates = [
            ("data-dir", "data_dir", path(&self.data_dir)),
            (
                "listen-address",
                "listen_address",
                text(&self.listen_address),
            ),
            (
                "native-port",
                "native_transport_port",
                int(self.native_port.map(i64::from)),
            ),
            (
                "storage-port",
                "storage_port",
                int(self.storage_port.map(i64::from)),
            ),
            (
                "admin-port",
                "admin_port",
                int(self.admin_port.map(i64::from)),
            ),
            ("cluster-name", "cluster_name", text(&self.cluster_name)),
            ("seeds", "seeds", text(&self.seeds)),
            ("dc", "dc", text(&self.dc)),
            ("rack", "rack", text(&self.rack)),
            (
                "num-tokens",
                "num_tokens",
                int(self.num_tokens.map(i64::from)),
            ),
            (
                "commitlog-sync",
                "commitlog_sync",
                text(&self.commitlog_sync),
            ),
        ];
        ConfigSources {
            file: self.config.clone(),
            sets: self.sets.clone(),
            flags: candidates
                .into_iter()
                .filter_map(|(flag, key, value)| value.map(|v| (flag, key, v)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CommitlogSync, ConfigError, load};

    #[test]
    fn flags_override_keys() {
        let flags = Flags::try_parse_from([
            "sibyld",
            "--listen-address",
            "127.0.0.3",
            "--native-port",
            "19042",
            "--seeds",
            "127.0.0.1,127.0.0.2",
            "--commitlog-sync",
            "group",
            "--set",
            "tombstone_warn_threshold=10",
        ])
        .unwrap();
        let config = load(&flags.sources()).unwrap();
        assert_eq!(config.listen_address.to_string(), "127.0.0.3");
        assert_eq!(config.native_transport_port, 19042);
        assert_eq!(config.seeds.len(), 2);
        assert_eq!(config.commitlog_sync, CommitlogSync::Group);
        assert_eq!(config.tombstone_warn_threshold, 10);
    }

    #[test]
    fn a_bad_flag_value_names_the_flag() {
        let flags = Flags::try_parse_from(["sibyld", "--commitlog-sync", "never"]).unwrap();
        let err = load(&flags.sources()).unwrap_err();
        assert!(matches!(err, ConfigError::BadValue { .. }), "{err}");
        assert!(err.to_string().contains("--commitlog-sync"), "{err}");
    }

    #[test]
    fn unknown_flags_are_refused_by_the_parser() {
        assert!(Flags::try_parse_from(["sibyld", "--no-such-flag"]).is_err());
    }
}
