//! Starting the cluster services: messaging, gossip, the replica service,
//! hint replay, and the coordinator over them.

use std::net::SocketAddr;
use std::sync::Arc;

use super::{Identity, NodeError};
use crate::clock::{Clock, SystemClock};
use crate::config::NodeConfig;
use crate::coordinator::replica::ReplicaService;
use crate::coordinator::{ClusterView, Coordinator, HintSink, Topology};
use crate::dispatch::Dispatcher;
use crate::hints::{HintStore, replay_loop};
use crate::membership::{self, LocalIdentity, Membership, MembershipDeps};
use crate::metrics::Metrics;
use crate::net::{MessageFilter, Messaging};
use crate::paxos::{BallotClock, Paxos, PaxosStore};
use crate::schema::store::SchemaStore;
use crate::shutdown::ShutdownSignal;
use crate::storage::LocalStore;
use crate::transport::EventSender;

/// The node's cluster services, started before the client port opens.
pub struct ClusterServices {
    /// Routes reads and writes to replicas.
    pub coordinator: Arc<Coordinator>,
    /// Lightweight transactions.
    pub paxos: Arc<Paxos>,
    /// Internode messaging.
    pub messaging: Arc<Messaging>,
    /// The fault filter (`/admin/faults`).
    pub filter: Arc<MessageFilter>,
    /// The node's metrics (`/metrics`).
    pub metrics: Arc<Metrics>,
    /// Hinted handoff, when enabled.
    pub hints: Option<Arc<HintStore>>,
    /// Gossip: peers, liveness, schema agreement.
    pub membership: Arc<Membership>,
}

/// Starts internode messaging, the replica service and hint replay, and
/// builds the coordinator over them.
pub(super) async fn start_cluster(
    config: &NodeConfig,
    identity: &Identity,
    store: &Arc<LocalStore>,
    schema: &Arc<SchemaStore>,
    events: &EventSender,
    generation: i32,
    shutdown: &ShutdownSignal,
) -> Result<ClusterServices, NodeError> {
    let storage = SocketAddr::new(config.listen_address, config.storage_port);
    let filter = Arc::new(MessageFilter::default());
    let metrics = Arc::new(Metrics::new());
    let messaging = Messaging::start(
        config.listen_address,
        config.storage_port,
        Arc::clone(&filter),
        Arc::clone(&metrics),
        shutdown.clone(),
    )
    .await
    .map_err(|source| NodeError::Bind {
        what: "the internode port",
        address: storage,
        source,
    })?;
    let topology = Arc::new(Topology::new(ClusterView::single(
        identity.host_id,
        config.listen_address,
        &config.dc,
        &config.rack,
        &identity.tokens,
    )));
    let (membership, inbox) = membership::start(
        local_identity(config, identity, generation),
        MembershipDeps {
            messaging: Arc::clone(&messaging),
            topology: Arc::clone(&topology),
            schema: Arc::clone(schema),
            store: Arc::clone(store),
            events: events.clone(),
        },
        shutdown.clone(),
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let paxos_store = Arc::new(PaxosStore::new(Arc::clone(store), Arc::clone(&clock)));
    let replica = Arc::new(ReplicaService::new(
        Arc::clone(store),
        Arc::clone(&paxos_store),
        config.commitlog_sync == crate::config::CommitlogSync::Periodic,
    ));
    messaging.set_handler(Arc::new(Dispatcher::new(replica, Some(inbox))));
    let hints = start_hints(config, &topology, &messaging, shutdown)?;
    let coordinator = Arc::new(Coordinator::new(
        Arc::clone(store),
        Arc::clone(schema),
        topology,
        Some(Arc::clone(&messaging)),
        hints.clone().map(|h| h as Arc<dyn HintSink>),
    ));
    let paxos = Arc::new(Paxos::new(
        Arc::clone(&coordinator),
        paxos_store,
        BallotClock::new(clock, identity.host_id.as_u64_pair().1),
    ));
    let serial: Arc<dyn crate::coordinator::SerialReads> = paxos.clone();
    coordinator.set_serial_reads(Arc::downgrade(&serial));
    Ok(ClusterServices {
        paxos,
        coordinator,
        messaging,
        filter,
        metrics,
        hints,
        membership,
    })
}

fn local_identity(config: &NodeConfig, identity: &Identity, generation: i32) -> LocalIdentity {
    LocalIdentity {
        cluster_name: config.cluster_name.clone(),
        address: config.listen_address,
        host_id: identity.host_id,
        dc: config.dc.clone(),
        rack: config.rack.clone(),
        tokens: identity.tokens.clone(),
        native_port: config.native_transport_port,
        generation,
        seeds: config.effective_seeds(),
        phi_convict_threshold: config.phi_convict_threshold,
    }
}

/// Opens the hint store and starts its replay, when hinted handoff is on.
fn start_hints(
    config: &NodeConfig,
    topology: &Arc<Topology>,
    messaging: &Arc<Messaging>,
    shutdown: &ShutdownSignal,
) -> Result<Option<Arc<HintStore>>, NodeError> {
    if !config.hinted_handoff_enabled {
        return Ok(None);
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let hints =
        HintStore::open(&config.data_dir, clock, config.max_hint_window_ms).map_err(|source| {
            NodeError::DataDir {
                path: config.data_dir.join("hints"),
                source,
            }
        })?;
    let hints = Arc::new(hints);
    tokio::spawn(replay_loop(
        Arc::clone(&hints),
        Arc::clone(topology),
        Arc::clone(messaging),
        shutdown.clone(),
    ));
    Ok(Some(hints))
}
