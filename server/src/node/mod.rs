//! Wiring one node: identity, schema, storage, the cluster services
//! (messaging, gossip, coordinator, hints), the CQL processor and the native
//! transport, owned together and shut down together.
//!
//! Start-up order: data directory, identity (host id and tokens, chosen on
//! first start and kept), schema, storage, cluster services, processor, then
//! the client port; the line
//! `sibyld ready: native=IP:PORT storage=IP:PORT admin=IP:PORT` is logged once
//! clients are served. The admin HTTP port is bound before the client port.

mod cluster;
mod identity;
mod settings;

use std::net::SocketAddr;
use std::path::PathBuf;

use std::sync::Arc;

pub use self::cluster::ClusterServices;
use self::cluster::start_cluster;
pub use self::identity::Identity;
use self::settings::{open_auth, prepared_cache_bytes, thresholds, timeouts, transport_config};
use crate::admin;
use crate::clock::{Clock, SystemClock};
use crate::config::NodeConfig;
use crate::cql::processor::{ProcessorContext, QueryProcessor};
use crate::cql::system_views::LocalNode;
use crate::schema::store::{SchemaStore, SchemaStoreError};
use crate::shutdown::ShutdownSignal;
use crate::storage::LocalStore;
use crate::transport::Listener;
use crate::transport::tls::NativeTls;

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
    /// The roles could not be loaded or the default role created.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// The native port's TLS certificate or key is unusable.
    #[error(transparent)]
    Tls(#[from] crate::transport::tls::TlsSetupError),
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
            NodeError::Tls(_) => {
                "client_encryption_options needs a readable PEM certificate chain and its matching PEM private key"
            }
            NodeError::Identity { .. }
            | NodeError::Schema(_)
            | NodeError::Storage(_)
            | NodeError::Auth(_) => {
                "the data directory is damaged; restore it from a backup or start with an empty one"
            }
        }
    }
}

/// Opens the data directory: identity, schema, and the tables on disk.
fn open_data(
    config: &NodeConfig,
) -> Result<(Identity, Arc<SchemaStore>, Arc<LocalStore>), NodeError> {
    let data_dir = config.data_dir.clone();
    std::fs::create_dir_all(&data_dir).map_err(|source| NodeError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let identity = Identity::load_or_create(&data_dir, config.num_tokens)?;
    let schema = Arc::new(SchemaStore::open(&data_dir)?);
    let store = Arc::new(
        LocalStore::open(&data_dir, config).map_err(|e| NodeError::Storage(e.to_string()))?,
    );
    store
        .sync_with(&schema.current())
        .map_err(|e| NodeError::Storage(e.to_string()))?;
    Ok((identity, schema, store))
}

/// The native port's TLS, when client encryption is enabled; the PEM files are
/// read now so that a bad one stops start-up.
fn native_tls(config: &NodeConfig) -> Result<Option<NativeTls>, NodeError> {
    let options = &config.client_encryption_options;
    match (&options.certificate, &options.private_key) {
        (Some(certificate), Some(key)) if options.enabled => {
            let tls = NativeTls::from_pem_files(certificate, key, options.optional)?;
            tracing::info!(
                optional = options.optional,
                "native transport: client encryption (TLS) enabled"
            );
            Ok(Some(tls))
        }
        _ => Ok(None),
    }
}

/// What system.local says about this node.
fn local_node(config: &NodeConfig, identity: &Identity, clock: &dyn Clock) -> LocalNode {
    LocalNode {
        cluster_name: config.cluster_name.clone(),
        dc: config.dc.clone(),
        rack: config.rack.clone(),
        host_id: identity.host_id,
        listen_address: config.listen_address,
        native_port: config.native_transport_port,
        storage_port: config.storage_port,
        tokens: identity.tokens.clone(),
        gossip_generation: i32::try_from(clock.now_seconds()).unwrap_or(i32::MAX),
    }
}

/// Runs a node until `shutdown` fires.
///
/// # Errors
/// Start-up failures ([`NodeError`]); once serving, the node stops only on shutdown.
pub async fn run(config: NodeConfig, shutdown: ShutdownSignal) -> Result<(), NodeError> {
    let tls = native_tls(&config)?;
    let (identity, schema, store) = open_data(&config)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let local = local_node(&config, &identity, clock.as_ref());
    let auth = open_auth(&config)?;
    let (events, _) = tokio::sync::broadcast::channel(1024);
    let cluster = start_cluster(
        &config,
        &identity,
        &store,
        &schema,
        &events,
        local.gossip_generation,
        &shutdown,
    )
    .await?;
    let processor = Arc::new(QueryProcessor::new(ProcessorContext {
        schema: Arc::clone(&schema),
        local,
        events: events.clone(),
        clock,
        prepared_cache_bytes: prepared_cache_bytes(&config),
        store: Arc::clone(&store),
        thresholds: thresholds(&config),
        timeouts: timeouts(&config),
        coordinator: Arc::clone(&cluster.coordinator),
        membership: Arc::clone(&cluster.membership),
        metrics: Arc::clone(&cluster.metrics),
        paxos: Arc::clone(&cluster.paxos),
        auth,
        inline_local_requests: config.commitlog_sync == crate::config::CommitlogSync::Periodic,
    }));
    let admin = admin::serve_node(&config, &cluster, shutdown.clone()).await?;
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
    let listener = match tls {
        Some(tls) => listener.with_tls(tls),
        None => listener,
    };
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
