//! A local Sibyl cluster on loopback addresses, as `ccm` does for Cassandra:
//! the library under `sibyl-cluster` and the multi-node tests (DESIGN §8).
//!
//! A cluster lives in one directory (`clusters/NAME/` for the CLI, a
//! temporary directory for tests): `cluster.json` (see [`state`]) and one
//! directory per node holding its `data/` and `sibyld.log`. Every node runs
//! `sibyld` on its own address with the default ports, detached from the
//! caller; the pid is kept in the state file so a later command finds it.
//! Faults go through each node's admin HTTP port (`/admin/faults`), status
//! comes from `/admin/status`: that JSON is the contract with the server,
//! which this crate does not link. Every wait is bounded
//! ([`Cluster::ready_timeout`], [`Cluster::stop_timeout`]).
//! A cluster made by [`Cluster::for_tests`] kills its processes on drop.

pub mod address;
mod control;
pub mod error;
mod faults;
pub mod http;
pub mod process;
pub mod state;
mod status;
#[cfg(test)]
mod tests;
pub mod topology;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

pub use error::ClusterError;
pub use state::{ClusterState, NodeInfo};
pub use status::{NodeStatus, format_status};
pub use topology::{DcSpec, Topology};

/// Default longest wait for a node's `sibyld ready:` line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Default longest wait for a graceful stop before SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// Default time the admin port has to answer before a node counts as down.
pub const ADMIN_TIMEOUT: Duration = Duration::from_millis(1500);
/// Default virtual nodes per node.
pub const NUM_TOKENS: u32 = 16;

/// How to create a cluster.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// The cluster name (directory name and every node's `--cluster-name`).
    pub name: String,
    /// The directory holding clusters (the cluster goes to `parent/name`).
    pub parent: PathBuf,
    /// Data centers, racks, nodes, config overrides.
    pub topology: Topology,
    /// The first node's address; the others follow (127.0.0.1 by default).
    pub base_address: Ipv4Addr,
    /// The `sibyld` binary.
    pub sibyld: PathBuf,
    /// Virtual nodes per node.
    pub num_tokens: u32,
    /// `KEY=VALUE` config overrides for every node, after the topology's.
    pub overrides: Vec<String>,
}

impl CreateOptions {
    /// Options for `name` under `parent` with defaults: 127.0.0.1, 16 tokens,
    /// no overrides.
    pub fn new(name: &str, parent: &Path, topology: Topology, sibyld: &Path) -> Self {
        CreateOptions {
            name: name.to_owned(),
            parent: parent.to_path_buf(),
            topology,
            base_address: Ipv4Addr::new(127, 0, 0, 1),
            sibyld: sibyld.to_path_buf(),
            num_tokens: NUM_TOKENS,
            overrides: Vec::new(),
        }
    }
}

/// A local cluster: its directory, its state and the processes it started.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    state: ClusterState,
    /// Processes started by this value (reaped here, so they never linger
    /// as zombies of a long-lived caller such as a test).
    children: HashMap<String, Child>,
    kill_on_drop: bool,
    _temp: Option<tempfile::TempDir>,
    /// Longest wait for a node to become ready.
    pub ready_timeout: Duration,
    /// Longest wait for a graceful stop before SIGKILL.
    pub stop_timeout: Duration,
    /// Time the admin port has to answer.
    pub admin_timeout: Duration,
}

impl Cluster {
    /// Creates the cluster's directory and state file (nodes not started).
    ///
    /// # Errors
    /// A bad name or topology, an existing cluster, or file errors.
    pub fn create(options: CreateOptions) -> Result<Self, ClusterError> {
        check_name(&options.name)?;
        std::fs::create_dir_all(&options.parent).map_err(|source| ClusterError::Io {
            what: "creating",
            path: options.parent.clone(),
            source,
        })?;
        let parent = canonical(&options.parent)?;
        let dir = parent.join(&options.name);
        if dir.join(state::STATE_FILE).exists() {
            return Err(ClusterError::Exists(dir));
        }
        let nodes = options.topology.layout(options.base_address)?;
        let mut overrides = options.topology.overrides();
        overrides.extend(options.overrides.iter().cloned());
        let port = |key: &str, default: u16| {
            overrides
                .iter()
                .rev()
                .find_map(|o| o.strip_prefix(key)?.strip_prefix('=')?.trim().parse().ok())
                .unwrap_or(default)
        };
        let state = ClusterState {
            name: options.name.clone(),
            // A bare name (`sibyld`) is looked up on PATH; a path is made absolute.
            sibyld: if options.sibyld.components().count() > 1 {
                absolute(&options.sibyld)?
            } else {
                options.sibyld.clone()
            },
            num_tokens: options.num_tokens,
            admin_port: port("admin_port", 9180),
            native_port: port("native_transport_port", 9042),
            overrides,
            nodes,
        };
        for node in &state.nodes {
            let data = dir.join(&node.name).join("data");
            std::fs::create_dir_all(&data).map_err(|source| ClusterError::Io {
                what: "creating",
                path: data,
                source,
            })?;
        }
        state.save(&dir)?;
        Ok(Self::with_state(dir, state))
    }

    /// Opens the cluster in `dir` (the directory holding `cluster.json`).
    ///
    /// # Errors
    /// No cluster there, or a damaged state file.
    pub fn open(dir: &Path) -> Result<Self, ClusterError> {
        if !dir.join(state::STATE_FILE).exists() {
            return Err(ClusterError::NotFound(dir.to_path_buf()));
        }
        let dir = canonical(dir)?;
        let state = ClusterState::load(&dir)?;
        Ok(Self::with_state(dir, state))
    }

    /// A cluster for a test: `topology` on a free loopback block, in a
    /// temporary directory, killed (SIGKILL) and deleted on drop. Not started.
    ///
    /// # Errors
    /// No free addresses, or file errors.
    pub fn for_tests(topology: Topology, sibyld: &Path) -> Result<Self, ClusterError> {
        let temp = tempfile::Builder::new()
            .prefix("sibyl-cluster-")
            .tempdir()
            .map_err(|source| ClusterError::Io {
                what: "creating a temporary directory in",
                path: std::env::temp_dir(),
                source,
            })?;
        let base = address::free_block(topology.node_count(), &address::DEFAULT_PORTS)?;
        let mut options = CreateOptions::new("test", temp.path(), topology, sibyld);
        options.base_address = base;
        let mut cluster = Self::create(options)?;
        cluster.kill_on_drop = true;
        cluster._temp = Some(temp);
        Ok(cluster)
    }

    fn with_state(dir: PathBuf, state: ClusterState) -> Self {
        Cluster {
            dir,
            state,
            children: HashMap::new(),
            kill_on_drop: false,
            _temp: None,
            ready_timeout: READY_TIMEOUT,
            stop_timeout: STOP_TIMEOUT,
            admin_timeout: ADMIN_TIMEOUT,
        }
    }

    /// Whether dropping this value kills every node (SIGKILL).
    pub fn set_kill_on_drop(&mut self, kill: bool) {
        self.kill_on_drop = kill;
    }

    /// The cluster's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cluster name.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// The nodes, in order (node1 first).
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.state.nodes
    }

    /// The node names, in order.
    pub fn node_names(&self) -> Vec<String> {
        self.state.nodes.iter().map(|n| n.name.clone()).collect()
    }

    /// The node called `name`.
    ///
    /// # Errors
    /// [`ClusterError::UnknownNode`].
    pub fn node(&self, name: &str) -> Result<&NodeInfo, ClusterError> {
        self.state
            .nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| ClusterError::UnknownNode {
                name: name.to_owned(),
                known: self.node_names().join(", "),
            })
    }

    /// The node's native protocol address (for drivers).
    ///
    /// # Errors
    /// [`ClusterError::UnknownNode`].
    pub fn native_address(&self, name: &str) -> Result<SocketAddr, ClusterError> {
        Ok(SocketAddr::new(
            self.node(name)?.address,
            self.state.native_port,
        ))
    }

    /// Every node's native protocol address, in node order (driver contact points).
    pub fn native_addresses(&self) -> Vec<SocketAddr> {
        self.state
            .nodes
            .iter()
            .map(|n| SocketAddr::new(n.address, self.state.native_port))
            .collect()
    }

    /// The names of the nodes of data center `dc`, in order.
    pub fn nodes_in_dc(&self, dc: &str) -> Vec<String> {
        self.state
            .nodes
            .iter()
            .filter(|n| n.dc == dc)
            .map(|n| n.name.clone())
            .collect()
    }

    /// The node's admin HTTP address.
    ///
    /// # Errors
    /// [`ClusterError::UnknownNode`].
    pub fn admin_address(&self, name: &str) -> Result<SocketAddr, ClusterError> {
        Ok(SocketAddr::new(
            self.node(name)?.address,
            self.state.admin_port,
        ))
    }

    /// The node's data directory.
    pub fn data_dir(&self, name: &str) -> PathBuf {
        self.dir.join(name).join("data")
    }

    /// The node's log file.
    pub fn log_path(&self, name: &str) -> PathBuf {
        self.dir.join(name).join("sibyld.log")
    }

    /// The node's whole log so far (empty if none).
    pub fn log_text(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_path(name)).unwrap_or_default()
    }

    /// Re-reads the pids of the nodes this value did not start itself from
    /// the state file (another `sibyl-cluster` run may have started them).
    pub fn reload_pids(&mut self) {
        let Ok(on_disk) = ClusterState::load(&self.dir) else {
            return;
        };
        for node in &mut self.state.nodes {
            if self.children.contains_key(&node.name) {
                continue;
            }
            if let Some(disk) = on_disk.nodes.iter().find(|d| d.name == node.name) {
                node.pid = disk.pid;
            }
        }
    }

    /// Kills every node (SIGKILL) and deletes the cluster's directory.
    ///
    /// # Errors
    /// A node could not be killed or the directory not deleted.
    pub fn remove(mut self) -> Result<(), ClusterError> {
        for name in self.node_names() {
            self.kill(&name)?;
        }
        std::fs::remove_dir_all(&self.dir).map_err(|source| ClusterError::Io {
            what: "removing",
            path: self.dir.clone(),
            source,
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.kill_on_drop {
            // Another program (the CLI) may have restarted nodes since.
            self.reload_pids();
            for name in self.node_names() {
                let _ = self.kill(&name);
            }
        }
    }
}

/// Cluster names become directory names and `--cluster-name` values.
fn check_name(name: &str) -> Result<(), ClusterError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ClusterError::Topology(format!(
            "cluster name {name:?}: use 1 to 64 letters, digits, - and _"
        )))
    }
}

/// The one spelling of a directory (symlinks resolved), so the data
/// directory on a node's command line matches however the cluster is named.
fn canonical(path: &Path) -> Result<PathBuf, ClusterError> {
    std::fs::canonicalize(path).map_err(|source| ClusterError::Io {
        what: "resolving",
        path: path.to_path_buf(),
        source,
    })
}

fn absolute(path: &Path) -> Result<PathBuf, ClusterError> {
    std::path::absolute(path).map_err(|source| ClusterError::Io {
        what: "resolving",
        path: path.to_path_buf(),
        source,
    })
}
