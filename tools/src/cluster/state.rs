//! The cluster's state file, `<cluster dir>/cluster.json`: its nodes (name,
//! address, dc, rack, seed, pid of the running process), the config
//! overrides and the `sibyld` binary, so that every later command (another
//! CLI run, another test step) finds the same cluster.
//!
//! The file is written to a temporary name and renamed, so a crash never
//! leaves half a file.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::error::ClusterError;

/// The state file's name inside the cluster directory.
pub const STATE_FILE: &str = "cluster.json";

/// One node as the cluster knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeInfo {
    /// `node1`, `node2`, ...
    pub name: String,
    /// Its listen address (all its ports).
    pub address: IpAddr,
    /// Data center.
    pub dc: String,
    /// Rack.
    pub rack: String,
    /// True for the first node of each data center.
    pub seed: bool,
    /// The process id while it runs (as last started by this tool).
    #[serde(default)]
    pub pid: Option<u32>,
}

/// Everything `cluster.json` holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClusterState {
    /// The cluster name (every node's `--cluster-name`).
    pub name: String,
    /// The `sibyld` binary nodes run.
    pub sibyld: PathBuf,
    /// Virtual nodes per node.
    pub num_tokens: u32,
    /// `KEY=VALUE` config overrides passed to every node with `--set`.
    #[serde(default)]
    pub overrides: Vec<String>,
    /// The admin HTTP port of every node.
    pub admin_port: u16,
    /// The native protocol port of every node.
    pub native_port: u16,
    /// The nodes, in order.
    pub nodes: Vec<NodeInfo>,
}

impl ClusterState {
    /// Reads `dir/cluster.json`.
    ///
    /// # Errors
    /// [`ClusterError::NotFound`] when there is no such file,
    /// [`ClusterError::BadFile`] when it is not a state file.
    pub fn load(dir: &Path) -> Result<Self, ClusterError> {
        let path = dir.join(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ClusterError::NotFound(dir.to_path_buf()));
            }
            Err(source) => {
                return Err(ClusterError::Io {
                    what: "reading",
                    path,
                    source,
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| ClusterError::BadFile {
            path,
            reason: e.to_string(),
        })
    }

    /// Writes `dir/cluster.json` atomically.
    ///
    /// # Errors
    /// [`ClusterError::Io`] when it cannot be written.
    pub fn save(&self, dir: &Path) -> Result<(), ClusterError> {
        let path = dir.join(STATE_FILE);
        let tmp = dir.join(format!("{STATE_FILE}.tmp"));
        let text = serde_json::to_string_pretty(self).map_err(|e| ClusterError::BadFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        std::fs::write(&tmp, text).map_err(|source| ClusterError::Io {
            what: "writing",
            path: tmp.clone(),
            source,
        })?;
        std::fs::rename(&tmp, &path).map_err(|source| ClusterError::Io {
            what: "renaming into",
            path,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_missing_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            ClusterState::load(dir.path()),
            Err(ClusterError::NotFound(_))
        ));
        let state = ClusterState {
            name: "c".into(),
            sibyld: "sibyld".into(),
            num_tokens: 16,
            overrides: vec!["a=1".into()],
            admin_port: 9180,
            native_port: 9042,
            nodes: vec![NodeInfo {
                name: "node1".into(),
                address: "127.0.0.1".parse().unwrap(),
                dc: "dc1".into(),
                rack: "rack1".into(),
                seed: true,
                pid: Some(42),
            }],
        };
        state.save(dir.path()).unwrap();
        assert_eq!(ClusterState::load(dir.path()).unwrap(), state);
        std::fs::write(dir.path().join(STATE_FILE), "{").unwrap();
        assert!(matches!(
            ClusterState::load(dir.path()),
            Err(ClusterError::BadFile { .. })
        ));
    }
}
