//! Why a cluster operation failed: each variant names the node, file or
//! address involved, so the CLI prints it as one line.

use std::path::PathBuf;
use std::time::Duration;

/// A failure of a [`super::Cluster`] operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// A file or directory operation.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The state or topology file is malformed.
    #[error("{}: {reason}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The requested shape is impossible (no nodes, too many, bad names).
    #[error("bad topology: {0}")]
    Topology(String),
    /// A cluster of that name already exists.
    #[error("cluster {} already exists", .0.display())]
    Exists(PathBuf),
    /// No cluster there.
    #[error("no cluster at {}", .0.display())]
    NotFound(PathBuf),
    /// No node of that name.
    #[error("no node named {name} (nodes: {known})")]
    UnknownNode {
        /// The name asked for.
        name: String,
        /// The cluster's node names.
        known: String,
    },
    /// `sibyld` could not be started.
    #[error("starting {node} ({}): {source}", binary.display())]
    Spawn {
        /// The node.
        node: String,
        /// The binary.
        binary: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The node exited before it was ready.
    #[error("{node} exited before it was ready; its log ends with:\n{log_tail}")]
    Exited {
        /// The node.
        node: String,
        /// The last lines of its log.
        log_tail: String,
    },
    /// The node was not ready in time.
    #[error("{node} was not ready within {waited:?}; its log ends with:\n{log_tail}")]
    NotReady {
        /// The node.
        node: String,
        /// How long we waited.
        waited: Duration,
        /// The last lines of its log.
        log_tail: String,
    },
    /// The node's process could not be signalled or did not stop.
    #[error("{node}: {reason}")]
    Process {
        /// The node.
        node: String,
        /// What went wrong.
        reason: String,
    },
    /// The node's admin port refused or failed a request.
    #[error("{node} admin port {address}: {reason}")]
    Admin {
        /// The node.
        node: String,
        /// The admin address.
        address: std::net::SocketAddr,
        /// What went wrong.
        reason: String,
    },
    /// A condition polled for did not hold in time.
    #[error("{what}: not within {waited:?}; last seen: {last}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        waited: Duration,
        /// The last observation.
        last: String,
    },
    /// No block of free loopback addresses was found.
    #[error("no {count} free loopback addresses (ports 9042, 7000, 9180) in 127.0.10-250.x")]
    NoFreeAddresses {
        /// How many addresses were needed.
        count: usize,
    },
}

impl ClusterError {
    /// A one-line hint for the operator.
    pub fn hint(&self) -> &'static str {
        match self {
            ClusterError::NotFound(_) => "create one with `sibyl-cluster create NAME --nodes 3`",
            ClusterError::Exists(_) => "pick another name, or `sibyl-cluster remove` it first",
            ClusterError::UnknownNode { .. } => "nodes are named node1, node2, ...",
            ClusterError::Spawn { .. } => {
                "build it with `cargo build --bin sibyld`, or pass --sibyld PATH"
            }
            ClusterError::Exited { .. } | ClusterError::NotReady { .. } => {
                "see the whole log with `sibyl-cluster logs NODE`"
            }
            ClusterError::Admin { .. } => "is the node running (`sibyl-cluster status`)?",
            _ => "see docs/sibyl-cluster.md",
        }
    }
}
