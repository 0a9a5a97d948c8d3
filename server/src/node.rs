//! Wiring one node: identity, schema, CQL processor and native transport,
//! owned together and shut down together.
//!
//! Start-up order: data directory, identity (host id and tokens, chosen on
//! first start and kept), schema, processor, then the client port; the line
//! `sibyld ready: native=IP:PORT storage=IP:PORT admin=IP:PORT` is logged once
//! clients are served. The admin HTTP port is bound before the client port;
//! internode messaging is not served by this build yet (its address is
//! reported as configured).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::admin;
use crate::clock::{Clock, SystemClock};
use crate::config::NodeConfig;
use crate::cql::processor::{ProcessorContext, QueryProcessor, Thresholds, Timeouts};
use crate::cql::system_views::LocalNode;
use crate::ring::random_tokens;
use crate::schema::store::{SchemaStore, SchemaStoreError};
use crate::shutdown::ShutdownSignal;
use crate::storage::LocalStore;
use crate::transport::{Listener, TransportConfig};

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The data directory is unusable.
    #[error("data directory {}: {source}", path.display())]
    DataDir {
        /// The directory or file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The identity file is damaged.
    #[error("identity file {} is unreadable: {reason}", path.display())]
    Identity {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The schema could not be loaded.
    #[error(transparent)]
    Schema(#[from] SchemaStoreError),
    /// The storage engine could not open.
    #[error("storage engine: {0}")]
    Storage(String),
    /// A port could not be bound.
    #[error("cannot bind {what} to {address}: {source}")]
    Bind {
        /// Which port.
        what: &'static str,
        /// The address.
        address: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

impl NodeError {
    /// A one-line hint for the operator.
    pub fn hint(&self) -> &'static str {
        match self {
            NodeError::Bind { .. } => {
                "another process (maybe another node) uses that port; pick another with --native-port, --admin-port or --listen-address"
            }
            NodeError::DataDir { .. } => "check that --data-dir exists and is writable",
            NodeError::Identity { .. } | NodeError::Schema(_) | NodeError::Storage(_) => {
                "the data directory is damaged; restore it from a backup or start with an empty one"
            }
        }
    }
}

/// Host id and tokens, chosen once and kept across restarts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// The node's host id.
    pub host_id: uuid::Uuid,
    /// The node's tokens.
    pub tokens: Vec<i64>,
}

impl Identity {
    /// Loads the identity under `data_dir`, creating it on first start.
    ///
    /// # Errors
    /// The file cannot be read, written or parsed.
    pub fn load_or_create(data_dir: &Path, num_tokens: u32) -> Result<Self, NodeError> {
        let path = data_dir.join("identity.json");
        let io = |source| NodeError::DataDir {
            path: path.clone(),
            source,
        };
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io)?;
            return serde_json::from_str(&text).map_err(|e| NodeError::Identity {
                path: path.clone(),
                reason: e.to_string(),
            });
        }
        let count = usize::try_from(num_tokens).unwrap_or(1);
        let identity = Identity {
            host_id: uuid::Uuid::new_v4(),
            tokens: random_tokens(count, || uuid::Uuid::new_v4().as_u64_pair().0),
        };
        let text = serde_json::to_vec_pretty(&identity).map_err(|e| NodeError::Identity {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(identity)
    }
}

/// Runs a node until `shutdown` fires.
///
/// # Errors
/// Start-up failures ([`NodeError`]); once serving, the node stops only on shutdown.
pub async fn run(config: NodeConfig, shutdown: ShutdownSignal) -> Result<(), NodeError> {
    let data_dir = config.data_dir.clone();
    std::fs::create_dir_all(&data_dir).map_err(|source| NodeError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let identity = Identity::load_or_create(&data_dir, config.num_tokens)?;
    let schema = Arc::new(SchemaStore::open(&data_dir)?);
    let store = Arc::new(
        LocalStore::open(&data_dir, &config).map_err(|e| NodeError::Storage(e.to_string()))?,
    );
    store
        .sync_with(&schema.current())
        .map_err(|e| NodeError::Storage(e.to_string()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let local = LocalNode {
        cluster_name: config.cluster_name.clone(),
        dc: config.dc.clone(),
        rack: config.rack.clone(),
        host_id: identity.host_id,
        listen_address: config.listen_address,
        native_port: config.native_transport_port,
        storage_port: config.storage_port,
        tokens: identity.tokens.clone(),
        gossip_generation: i32::try_from(clock.now_seconds()).unwrap_or(i32::MAX),
    };
    let (events, _) = tokio::sync::broadcast::channel(1024);
    let processor = Arc::new(QueryProcessor::new(ProcessorContext {
        schema,
        local,
        events: events.clone(),
        clock,
        prepared_cache_bytes: usize::try_from(config.prepared_statements_cache_size_mb)
            .unwrap_or(10)
            * 1024
            * 1024,
        store: Arc::clone(&store),
        thresholds: thresholds(&config),
        timeouts: timeouts(&config),
    }));
    let admin = admin::serve_node(&config, &identity, shutdown.clone()).await?;
    let native = SocketAddr::new(config.listen_address, config.native_transport_port);
    let listener = Listener::bind(
        native,
        processor,
        transport_config(&config),
        events,
        shutdown,
    )
    .await
    .map_err(|source| NodeError::Bind {
        what: "the native transport",
        address: native,
        source,
    })?;
    let native = listener.local_addr().unwrap_or(native);
    tracing::info!(
        "sibyld ready: native={native} storage={} admin={}",
        SocketAddr::new(config.listen_address, config.storage_port),
        admin.local_addr()
    );
    listener.run().await;
    admin.join().await;
    if let Err(e) = store.close() {
        tracing::error!(error = %e, "flushing the storage engine at shutdown failed");
    }
    tracing::info!("sibyld stopped");
    Ok(())
}

fn timeouts(config: &NodeConfig) -> Timeouts {
    Timeouts {
        read: Duration::from_millis(config.read_request_timeout_ms),
        range: Duration::from_millis(config.range_request_timeout_ms),
        write: Duration::from_millis(config.write_request_timeout_ms),
        truncate: Duration::from_millis(config.truncate_request_timeout_ms),
    }
}

fn thresholds(config: &NodeConfig) -> Thresholds {
    Thresholds {
        tombstone_warn: u64::from(config.tombstone_warn_threshold),
        tombstone_fail: u64::from(config.tombstone_failure_threshold),
        batch_warn_bytes: usize::try_from(config.batch_size_warn_threshold_kb).unwrap_or(5) * 1024,
        batch_fail_bytes: usize::try_from(config.batch_size_fail_threshold_kb).unwrap_or(50) * 1024,
    }
}

fn transport_config(config: &NodeConfig) -> TransportConfig {
    let mut transport = TransportConfig::default();
    transport.limits.frame_body_bytes_max = config
        .native_transport_max_frame_size_mb
        .saturating_mul(1024 * 1024);
    transport.connections_max =
        usize::try_from(config.native_transport_max_concurrent_connections).unwrap_or(1024);
    transport.requests_per_connection_max =
        usize::try_from(config.native_transport_max_requests_per_connection).unwrap_or(1024);
    transport.requests_max =
        usize::try_from(config.native_transport_max_concurrent_requests).unwrap_or(4096);
    if config.authenticator == crate::config::Authenticator::PasswordAuthenticator {
        transport.authenticator =
            Some("org.apache.cassandra.auth.PasswordAuthenticator".to_owned());
    }
    transport
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load_or_create(dir.path(), 16).unwrap();
        assert_eq!(first.tokens.len(), 16);
        let again = Identity::load_or_create(dir.path(), 8).unwrap();
        assert_eq!(again, first, "tokens are chosen at first start and kept");
        std::fs::write(dir.path().join("identity.json"), "{").unwrap();
        assert!(matches!(
            Identity::load_or_create(dir.path(), 16),
            Err(NodeError::Identity { .. })
        ));
    }
}
