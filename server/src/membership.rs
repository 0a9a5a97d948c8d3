//! Membership wiring (DESIGN §6): the async shell around the pure
//! [`Gossiper`]. One task owns it and does, in turn:
//!
//! - at start, a shadow round (empty SYNs to the seeds, bounded wait for an
//!   ACK) so the node knows the cluster before its first round;
//! - a gossip round every second (SYNs out, convictions in);
//! - gossip and schema messages from peers (GOSSIP_SYN/ACK, SCHEMA_PUSH,
//!   SCHEMA_PULL_REQ/RSP), answered one-way;
//! - local schema changes: our SCHEMA state is bumped and the schema pushed
//!   to every live peer; a peer announcing another schema version is asked
//!   for its schema (pull), and the newer one wins ([`SchemaStore::adopt`]).
//!
//! After every change it publishes a new [`ClusterView`] for the
//! coordinator, the endpoint list for `system.peers`, and protocol EVENTs
//! (UP/DOWN, NEW_NODE/REMOVED_NODE, SCHEMA_CHANGE) for registered clients.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use sibyl_protocol::response::{Event, StatusChange, TopologyChange};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use crate::coordinator::{ClusterView, Topology};
use crate::gossip::{
    AppStateKey, EndpointView, GossipMessage, Gossiper, MembershipEvent, encode_tokens,
};
use crate::net::frame::Frame;
use crate::net::{Messaging, Verb};
use crate::ring::{NodeInfo, TokenRing};
use crate::schema::store::SchemaStore;
use crate::schema::sync::{SchemaSnapshot, changes};
use crate::shutdown::ShutdownSignal;
use crate::storage::LocalStore;
use crate::transport::EventSender;

/// How often a gossip round runs.
pub const GOSSIP_INTERVAL: Duration = Duration::from_secs(1);
/// Membership messages queued before new ones are dropped.
pub const INBOX_MAX: usize = 4096;
/// Longest wait for a seed's answer to the start-up shadow round.
const SHADOW_ROUND_MAX: Duration = Duration::from_secs(2);
/// Shortest pause between two schema pulls from one peer.
const SCHEMA_PULL_INTERVAL: Duration = Duration::from_millis(500);

/// Who this node is, for gossip.
#[derive(Debug, Clone)]
pub struct LocalIdentity {
    /// Cluster name (messages from other clusters are ignored).
    pub cluster_name: String,
    /// Listen address.
    pub address: IpAddr,
    /// Host id.
    pub host_id: uuid::Uuid,
    /// Data center.
    pub dc: String,
    /// Rack.
    pub rack: String,
    /// Tokens.
    pub tokens: Vec<i64>,
    /// Native transport port.
    pub native_port: u16,
    /// Gossip generation (start time in seconds).
    pub generation: i32,
    /// Seeds.
    pub seeds: Vec<IpAddr>,
    /// Failure detector threshold.
    pub phi_convict_threshold: f64,
}

/// What the rest of the node reads from membership.
#[derive(Default)]
pub struct Membership {
    endpoints: RwLock<Arc<Vec<EndpointView>>>,
    schema_changed: Notify,
}

impl Membership {
    /// Every known endpoint (this node included).
    pub fn endpoints(&self) -> Arc<Vec<EndpointView>> {
        Arc::clone(&self.endpoints.read())
    }

    /// Tells membership the local schema changed (push it, bump our version).
    pub fn schema_changed(&self) {
        self.schema_changed.notify_one();
    }
}

/// The services membership drives.
pub struct MembershipDeps {
    /// Internode messaging.
    pub messaging: Arc<Messaging>,
    /// The coordinator's topology.
    pub topology: Arc<Topology>,
    /// The schema.
    pub schema: Arc<SchemaStore>,
    /// The local tables (created/dropped with adopted schemas).
    pub store: Arc<LocalStore>,
    /// Client events.
    pub events: EventSender,
}

/// Starts the membership task; returns the handle the node reads and the
/// inbox the dispatcher feeds.
pub fn start(
    local: LocalIdentity,
    deps: MembershipDeps,
    shutdown: ShutdownSignal,
) -> (Arc<Membership>, mpsc::Sender<(IpAddr, Frame)>) {
    let membership = Arc::new(Membership::default());
    let (inbox, rx) = mpsc::channel(INBOX_MAX);
    let task = Task {
        gossiper: Gossiper::new(
            local.address,
            local.cluster_name.clone(),
            local.seeds.clone(),
            local.generation,
            local.phi_convict_threshold,
        ),
        started: Instant::now(),
        rng: xorshift_seed(&local),
        pulled: HashMap::new(),
        known_up: HashSet::new(),
        membership: Arc::clone(&membership),
        local,
        deps,
    };
    tokio::spawn(task.run(rx, shutdown));
    (membership, inbox)
}

fn xorshift_seed(local: &LocalIdentity) -> u64 {
    let (a, b) = local.host_id.as_u64_pair();
    (a ^ b ^ u64::from(local.generation.unsigned_abs())) | 1
}

struct Task {
    gossiper: Gossiper,
    started: Instant,
    rng: u64,
    pulled: HashMap<IpAddr, Instant>,
    known_up: HashSet<IpAddr>,
    membership: Arc<Membership>,
    local: LocalIdentity,
    deps: MembershipDeps,
}

impl Task {
    fn now_ns(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn set_local_states(&mut self) {
        let l = self.local.clone();
        let tokens = encode_tokens(&l.tokens);
        let version = self.deps.schema.current().version();
        for (key, value) in [
            (AppStateKey::HostId, l.host_id.to_string()),
            (AppStateKey::Dc, l.dc),
            (AppStateKey::Rack, l.rack),
            (AppStateKey::Tokens, tokens),
            (AppStateKey::NativeAddress, l.address.to_string()),
            (AppStateKey::NativePort, l.native_port.to_string()),
            (
                AppStateKey::ReleaseVersion,
                crate::cql::system_views::RELEASE_VERSION.to_owned(),
            ),
            (AppStateKey::SchemaVersion, version.to_string()),
            (AppStateKey::Status, "NORMAL".to_owned()),
        ] {
            self.gossiper.set_local(key, value);
        }
    }

    async fn run(
        mut self,
        mut inbox: mpsc::Receiver<(IpAddr, Frame)>,
        mut shutdown: ShutdownSignal,
    ) {
        self.set_local_states();
        // This node is visible (system tables, admin status) from the start;
        // the shadow round then fills in the cluster.
        self.publish(Vec::new());
        self.shadow_round(&mut inbox).await;
        self.publish(Vec::new());
        let mut ticker = tokio::time::interval(GOSSIP_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let membership = Arc::clone(&self.membership);
        loop {
            tokio::select! {
                () = shutdown.fired() => {
                    self.announce_shutdown();
                    return;
                }
                _ = ticker.tick() => self.round(),
                message = inbox.recv() => match message {
                    Some((from, frame)) => self.on_message(from, frame),
                    None => return,
                },
                () = membership.schema_changed.notified() => self.on_local_schema_change(),
            }
        }
    }

    /// Cassandra's shadow round: empty SYNs to the seeds, then up to
    /// [`SHADOW_ROUND_MAX`] for an ACK, so the node knows the cluster (ring,
    /// schema version) before its first round. Alone (no other seed
    /// answers) it goes on at once after the wait.
    async fn shadow_round(&mut self, inbox: &mut mpsc::Receiver<(IpAddr, Frame)>) {
        let syns = self.gossiper.shadow_syns();
        if syns.is_empty() {
            return;
        }
        for (seed, message) in &syns {
            self.send_gossip(*seed, Verb::GossipSyn, message);
        }
        let deadline = Instant::now() + SHADOW_ROUND_MAX;
        while let Ok(Some((from, frame))) = tokio::time::timeout_at(deadline, inbox.recv()).await {
            let is_ack = frame.verb == Verb::GossipAck;
            self.on_message(from, frame);
            if is_ack {
                tracing::info!(%from, "shadow round answered");
                return;
            }
        }
    }

    fn round(&mut self) {
        let now = self.now_ns();
        let mut rng = self.rng;
        let (messages, events) = self.gossiper.tick(now, &mut || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        });
        self.rng = rng;
        for (peer, message) in messages {
            self.send_gossip(peer, Verb::GossipSyn, &message);
        }
        self.publish(events);
        self.pull_differing_schemas();
    }

    fn send_gossip(&self, peer: IpAddr, verb: Verb, message: &GossipMessage) {
        self.deps
            .messaging
            .send_one_way(peer, verb, message.encode().into());
    }

    fn on_message(&mut self, from: IpAddr, frame: Frame) {
        match frame.verb {
            Verb::GossipSyn | Verb::GossipAck => {
                let message = match GossipMessage::decode(&frame.body) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::debug!(%from, error = %e, "malformed gossip message");
                        return;
                    }
                };
                let now = self.now_ns();
                let events = if frame.verb == Verb::GossipSyn {
                    let (ack, events) = self.gossiper.on_syn(message, now);
                    if !ack.is_empty() {
                        self.send_gossip(from, Verb::GossipAck, &ack);
                    }
                    events
                } else {
                    self.gossiper.on_ack(message, now)
                };
                self.publish(events);
            }
            Verb::SchemaPush | Verb::SchemaPullRsp => self.on_schema(from, &frame.body),
            Verb::SchemaPullReq => {
                let snapshot = SchemaSnapshot::of(&self.deps.schema.current());
                self.deps
                    .messaging
                    .send_one_way(from, Verb::SchemaPullRsp, snapshot.encode());
            }
            _ => {}
        }
    }

    fn on_local_schema_change(&mut self) {
        let schema = self.deps.schema.current();
        self.gossiper
            .set_local(AppStateKey::SchemaVersion, schema.version().to_string());
        let body = SchemaSnapshot::of(&schema).encode();
        let now = self.now_ns();
        for view in self.gossiper.endpoints(now) {
            if !view.is_local && view.alive {
                self.deps
                    .messaging
                    .send_one_way(view.address, Verb::SchemaPush, body.clone());
            }
        }
    }

    fn on_schema(&mut self, from: IpAddr, body: &[u8]) {
        let snapshot = match SchemaSnapshot::decode(body) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(%from, error = %e, "schema from a peer refused");
                return;
            }
        };
        let adopted = match self.deps.schema.adopt(snapshot) {
            Ok(Some(adopted)) => adopted,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "adopting a peer's schema failed");
                return;
            }
        };
        let (old, new) = adopted;
        if let Err(e) = self
            .deps
            .store
            .sync_with(&new)
            .and_then(|()| self.deps.store.drop_missing(&new))
        {
            tracing::error!(error = %e, "creating tables of an adopted schema failed");
        }
        for change in changes(&old, &new) {
            let _ = self.deps.events.send(Event::SchemaChange(change));
        }
        self.gossiper
            .set_local(AppStateKey::SchemaVersion, new.version().to_string());
        // Tell the sender at once, so its clients' schema agreement completes
        // without waiting for a gossip round.
        let syn = self.gossiper.syn();
        self.send_gossip(from, Verb::GossipSyn, &syn);
        tracing::info!(%from, version = %new.version(), "adopted a peer's schema");
    }

    /// Asks live peers whose schema version differs from ours for theirs.
    fn pull_differing_schemas(&mut self) {
        let ours = self.deps.schema.current().version();
        let now = self.now_ns();
        for view in self.gossiper.endpoints(now) {
            if view.is_local || !view.alive {
                continue;
            }
            let Some(theirs) = view.schema_version else {
                continue;
            };
            if theirs == ours {
                continue;
            }
            let recent = self
                .pulled
                .get(&view.address)
                .is_some_and(|t| t.elapsed() < SCHEMA_PULL_INTERVAL);
            if !recent {
                self.pulled.insert(view.address, Instant::now());
                self.deps.messaging.send_one_way(
                    view.address,
                    Verb::SchemaPullReq,
                    bytes::Bytes::new(),
                );
            }
        }
    }

    fn announce_shutdown(&mut self) {
        for (peer, message) in self.gossiper.announce_shutdown() {
            self.send_gossip(peer, Verb::GossipSyn, &message);
        }
    }

    /// Publishes the view, the endpoint list and client events.
    fn publish(&mut self, events: Vec<MembershipEvent>) {
        let now = self.now_ns();
        let endpoints = self.gossiper.endpoints(now);
        if let Some(view) = cluster_view(&self.local, &endpoints) {
            self.deps.topology.set(view);
        }
        for event in events {
            self.client_event(&endpoints, event);
        }
        *self.membership.endpoints.write() = Arc::new(endpoints);
    }

    fn client_event(&mut self, endpoints: &[EndpointView], event: MembershipEvent) {
        let native = |address: IpAddr| {
            let view = endpoints.iter().find(|v| v.address == address);
            SocketAddr::new(
                view.and_then(|v| v.native_address).unwrap_or(address),
                view.and_then(|v| v.native_port)
                    .unwrap_or(self.local.native_port),
            )
        };
        let event = match event {
            MembershipEvent::Up(a) => {
                if !self.known_up.insert(a) {
                    return;
                }
                tracing::info!(peer = %a, "node is UP");
                Event::StatusChange {
                    change: StatusChange::Up,
                    address: native(a),
                }
            }
            MembershipEvent::Down(a) => {
                self.known_up.remove(&a);
                tracing::info!(peer = %a, "node is DOWN");
                Event::StatusChange {
                    change: StatusChange::Down,
                    address: native(a),
                }
            }
            MembershipEvent::NewNode(a) => {
                self.known_up.insert(a);
                tracing::info!(peer = %a, "new node joined");
                Event::TopologyChange {
                    change: TopologyChange::NewNode,
                    address: native(a),
                }
            }
            MembershipEvent::Removed(a) => Event::TopologyChange {
                change: TopologyChange::RemovedNode,
                address: native(a),
            },
            MembershipEvent::SchemaVersion { .. } => return,
        };
        let _ = self.deps.events.send(event);
    }
}

/// The ring and liveness from gossip (`None` when the ring is inconsistent).
fn cluster_view(local: &LocalIdentity, endpoints: &[EndpointView]) -> Option<ClusterView> {
    let mut nodes = BTreeMap::new();
    let mut tokens = Vec::new();
    let mut down = HashSet::new();
    for view in endpoints {
        let host = if view.is_local {
            Some(local.host_id)
        } else {
            view.host_id
        };
        let (Some(host), Some(dc), Some(rack)) = (host, view.dc.clone(), view.rack.clone()) else {
            continue;
        };
        if !view.is_local && !view.in_ring() {
            continue;
        }
        if view.tokens.is_empty() {
            continue;
        }
        nodes.insert(
            host,
            NodeInfo {
                address: view.address,
                dc,
                rack,
            },
        );
        tokens.extend(view.tokens.iter().map(|t| (*t, host)));
        if !view.is_local && !view.alive {
            down.insert(host);
        }
    }
    match TokenRing::new(nodes, tokens) {
        Ok(ring) => Some(ClusterView {
            ring,
            local: local.host_id,
            local_dc: local.dc.clone(),
            down,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "gossip gives an inconsistent ring; keeping the previous one");
            None
        }
    }
}
