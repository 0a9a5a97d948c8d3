//! The admin HTTP port (DESIGN §1, default 9180 on the listen address):
//! fault injection (`GET`/`POST /admin/faults`), node status
//! (`GET /admin/status`) and Prometheus metrics (`GET /metrics`).
//!
//! The JSON bodies are the contract with `sibyl-cluster` and the tests, which
//! do not link this crate: `/admin/faults` speaks [`FilterRules`]
//! (`{"rules": [...]}`, see [`crate::net::filter`]); `/admin/status` answers
//! `{"local": IP, "nodes": [{"address", "dc", "rack", "host_id", "tokens",
//! "state", "load_bytes"}]}` from the status provider the node passes in.
//! The server owns one task that stops when the shutdown signal fires;
//! [`AdminServer::join`] waits for it.

mod routes;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::config::NodeConfig;
use crate::membership::Membership;
use crate::metrics::Metrics;
use crate::net::{FilterRules, MessageFilter};
use crate::node::{ClusterServices, Identity, NodeError};
use crate::shutdown::ShutdownSignal;

pub use routes::router;

/// Longest wait for open admin connections once shutdown has fired.
pub const JOIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Produces the `/admin/status` JSON (called on a blocking thread per request).
pub type StatusProvider = Arc<dyn Fn() -> serde_json::Value + Send + Sync>;

/// What the admin routes read and change.
#[derive(Clone)]
pub struct AdminState {
    /// The node's internode message filter (`/admin/faults`).
    pub filter: Arc<MessageFilter>,
    /// The node's metrics (`/metrics`).
    pub metrics: Arc<Metrics>,
    /// The node's view of the cluster (`/admin/status`).
    pub status: StatusProvider,
}

impl std::fmt::Debug for AdminState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminState")
            .field("filter", &self.filter)
            .field("metrics", &"Metrics")
            .finish_non_exhaustive()
    }
}

/// The running admin HTTP server.
#[derive(Debug)]
pub struct AdminServer {
    local_addr: SocketAddr,
    state: AdminState,
    task: JoinHandle<()>,
}

impl AdminServer {
    /// The filter, metrics and status the server serves (shared, not copied:
    /// clone the `Arc`s to hand them to messaging and transport).
    pub fn state(&self) -> &AdminState {
        &self.state
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits until the server has stopped (after the shutdown signal fired):
    /// in-flight requests get [`JOIN_TIMEOUT`] to finish, then the server
    /// task is aborted (a stalled client never holds a node's shutdown).
    pub async fn join(mut self) {
        match tokio::time::timeout(JOIN_TIMEOUT, &mut self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "the admin HTTP task failed"),
            Err(_) => {
                tracing::warn!("admin HTTP connections still open at shutdown; closing them");
                self.task.abort();
            }
        }
    }
}

/// Binds `address` and serves the admin routes until `shutdown` fires.
///
/// # Errors
/// The address cannot be bound.
pub async fn serve(
    address: SocketAddr,
    state: AdminState,
    shutdown: ShutdownSignal,
) -> std::io::Result<AdminServer> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let local_addr = listener.local_addr()?;
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        let mut shutdown = shutdown;
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.fired().await })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "the admin HTTP server stopped");
        }
    });
    Ok(AdminServer {
        local_addr,
        state,
        task,
    })
}

/// Starts the admin port of a node on its listen address and `admin_port`,
/// serving the cluster services' filter and metrics, and gossip's view of
/// the cluster as its status.
///
/// # Errors
/// [`NodeError::Bind`] when the port cannot be bound.
pub async fn serve_node(
    config: &NodeConfig,
    cluster: &ClusterServices,
    shutdown: ShutdownSignal,
) -> Result<AdminServer, NodeError> {
    let address = SocketAddr::new(config.listen_address, config.admin_port);
    let state = AdminState {
        filter: Arc::clone(&cluster.filter),
        metrics: Arc::clone(&cluster.metrics),
        status: cluster_status(config, Arc::clone(&cluster.membership)),
    };
    serve(address, state, shutdown)
        .await
        .map_err(|source| NodeError::Bind {
            what: "the admin port",
            address,
            source,
        })
}

/// `/admin/status` from gossip: every known node, `UN` when up, `DN` when down.
fn cluster_status(config: &NodeConfig, membership: Arc<Membership>) -> StatusProvider {
    let local = config.listen_address;
    let data_dir = config.data_dir.clone();
    Arc::new(move || {
        let nodes: Vec<serde_json::Value> = membership
            .endpoints()
            .iter()
            .map(|e| {
                serde_json::json!({
                    "address": e.address.to_string(),
                    "dc": e.dc.clone().unwrap_or_default(),
                    "rack": e.rack.clone().unwrap_or_default(),
                    "host_id": e.host_id.map(|h| h.to_string()).unwrap_or_default(),
                    "tokens": e.tokens.len(),
                    "state": if e.is_local || e.alive { "UN" } else { "DN" },
                    "load_bytes": if e.is_local { directory_bytes(&data_dir) } else { 0 },
                })
            })
            .collect();
        serde_json::json!({"local": local.to_string(), "nodes": nodes})
    })
}

/// What the local node says about itself in `/admin/status` until gossip
/// knows the rest of the cluster.
#[derive(Debug, Clone)]
pub struct LocalStatus {
    /// The listen address.
    pub address: std::net::IpAddr,
    /// Data center.
    pub dc: String,
    /// Rack.
    pub rack: String,
    /// Host id.
    pub host_id: uuid::Uuid,
    /// Number of tokens owned.
    pub tokens: usize,
    /// The data directory, whose size is reported as the load.
    pub data_dir: PathBuf,
}

impl LocalStatus {
    /// The local node as configured, with its identity.
    pub fn of(config: &NodeConfig, identity: &Identity) -> Self {
        LocalStatus {
            address: config.listen_address,
            dc: config.dc.clone(),
            rack: config.rack.clone(),
            host_id: identity.host_id,
            tokens: identity.tokens.len(),
            data_dir: config.data_dir.clone(),
        }
    }

    /// This node's status entry (state `UN`: it answers, so it is up and normal).
    pub fn entry(&self) -> serde_json::Value {
        serde_json::json!({
            "address": self.address.to_string(),
            "dc": self.dc,
            "rack": self.rack,
            "host_id": self.host_id.to_string(),
            "tokens": self.tokens,
            "state": "UN",
            "load_bytes": directory_bytes(&self.data_dir),
        })
    }

    /// A status provider listing only this node.
    pub fn provider(self) -> StatusProvider {
        Arc::new(move || {
            serde_json::json!({
                "local": self.address.to_string(),
                "nodes": [self.entry()],
            })
        })
    }
}

/// Total size of the regular files under `dir` (0 for what cannot be read).
pub fn directory_bytes(dir: &Path) -> u64 {
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(entry.path()),
                Ok(kind) if kind.is_file() => {
                    total = total.saturating_add(entry.metadata().map_or(0, |m| m.len()));
                }
                _ => {}
            }
        }
    }
    total
}

/// Parses an `/admin/faults` body.
///
/// # Errors
/// The body is not the [`FilterRules`] JSON; the message says where.
pub fn parse_rules(body: &[u8]) -> Result<FilterRules, String> {
    serde_json::from_slice(body).map_err(|e| format!("bad fault rules: {e}"))
}
