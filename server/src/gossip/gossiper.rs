//! The gossiper: push-pull full-state gossip as a pure state machine.
//!
//! Every second the node calls [`Gossiper::tick`], which bumps the local
//! heartbeat, convicts silent peers and names the peers to send a SYN to
//! (Cassandra's rules, simplified: one random live peer, maybe one unreachable
//! peer, and a seed when the live peer was not one or none is live). A SYN and
//! its ACK both carry the sender's whole view; the receiver merges it with
//! [`Gossiper::on_syn`] / [`Gossiper::on_ack`]. Clusters are small (≤ 12 nodes),
//! so full state per round is cheap and needs no digest round trip.
//!
//! Merge rules (Cassandra's `applyStateLocally`): per endpoint, a higher
//! generation replaces the whole state (the node restarted); within one
//! generation the higher heartbeat and each application state with a higher
//! version win. Invariants:
//! - the local endpoint's state is written only by this node ([`Gossiper::set_local`]);
//! - messages naming another cluster are ignored;
//! - a host id lives at one address: when it shows up at a second one, the
//!   address with the older generation is removed and quarantined until a
//!   newer generation is gossiped for it;
//! - at most [`ENDPOINTS_MAX`] endpoints are held.
//!
//! Liveness: the failure detector is told whenever an endpoint's heartbeat or
//! generation advances, whoever relayed it. A new endpoint is up at once when
//! it told us itself, otherwise once its heartbeat advances again; a node in a
//! dead state (`shutdown`, `LEFT`, ...) is down whatever its heartbeat does.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::failure_detector::FailureDetector;
use super::state::{
    AppStateKey, EndpointState, GossipMessage, STATE_VALUE_BYTES_MAX, STATUS_LEFT, STATUS_NORMAL,
    STATUS_SHUTDOWN, VersionedValue,
};
use super::view::EndpointView;

/// Most endpoints held (peers plus quarantined addresses each).
pub const ENDPOINTS_MAX: usize = 1_000;
/// A generation this far (seconds) ahead of the one known is refused as corrupt
/// (Cassandra's `MAX_GENERATION_DIFFERENCE`, one year).
pub const GENERATION_DIFFERENCE_MAX: i32 = 86_400 * 365;

/// A change in membership the node reacts to (client EVENTs, hints, schema pulls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MembershipEvent {
    /// An endpoint reached STATUS NORMAL for the first time.
    NewNode(IpAddr),
    /// An endpoint is considered alive (new, back after a conviction, or restarted).
    Up(IpAddr),
    /// An endpoint is considered down (convicted, shut down, or restarting).
    Down(IpAddr),
    /// An endpoint left the cluster, or its host id moved to another address.
    Removed(IpAddr),
    /// A peer announced a schema version (first seen or changed).
    SchemaVersion {
        /// The peer.
        address: IpAddr,
        /// Its new schema version.
        version: uuid::Uuid,
    },
}

/// What this node remembers about one peer besides its gossiped state.
#[derive(Clone, Debug)]
struct Peer {
    state: EndpointState,
    alive: bool,
    /// NewNode was already announced for this endpoint.
    announced_normal: bool,
}

/// The gossip state machine of one node.
#[derive(Debug)]
pub struct Gossiper {
    local: IpAddr,
    cluster_name: String,
    seeds: Vec<IpAddr>,
    local_state: EndpointState,
    /// Next version handed to a local application state.
    next_version: u64,
    peers: BTreeMap<IpAddr, Peer>,
    /// Removed addresses and the generation they were removed at.
    quarantine: BTreeMap<IpAddr, i32>,
    detector: FailureDetector<IpAddr>,
}

impl Gossiper {
    /// A gossiper for the node at `local`, started at `generation` (seconds since the epoch).
    pub fn new(
        local: IpAddr,
        cluster_name: String,
        seeds: Vec<IpAddr>,
        generation: i32,
        phi_convict_threshold: f64,
    ) -> Self {
        Self {
            local,
            cluster_name,
            seeds,
            local_state: EndpointState::new(generation),
            next_version: 1,
            peers: BTreeMap::new(),
            quarantine: BTreeMap::new(),
            detector: FailureDetector::new(phi_convict_threshold),
        }
    }

    /// This node's address.
    pub fn local_address(&self) -> IpAddr {
        self.local
    }

    /// This node's gossiped state.
    pub fn local_state(&self) -> &EndpointState {
        &self.local_state
    }

    /// Sets (or changes) one of this node's states; bumps its version so peers take it.
    ///
    /// # Panics
    /// When `value` exceeds [`STATE_VALUE_BYTES_MAX`]: local values are built by the
    /// node from validated configuration, and peers would refuse them.
    pub fn set_local(&mut self, key: AppStateKey, value: String) {
        assert!(
            value.len() <= STATE_VALUE_BYTES_MAX,
            "local gossip state {key:?} of {} bytes exceeds the limit",
            value.len()
        );
        let version = self.next_version;
        self.next_version += 1;
        self.local_state
            .states
            .insert(key, VersionedValue { version, value });
    }

    /// One gossip round (called every second): bumps the local heartbeat, convicts peers
    /// whose phi passes the threshold (-> Down events), and returns the SYN messages to
    /// send: to one random live peer, with some probability to one unreachable peer, and
    /// to a random seed when the live peer chosen was not a seed or no peer is live.
    pub fn tick(
        &mut self,
        now_ns: u64,
        rng: &mut impl FnMut() -> u64,
    ) -> (Vec<(IpAddr, GossipMessage)>, Vec<MembershipEvent>) {
        self.local_state.heartbeat += 1;
        let mut events = Vec::new();
        for (address, peer) in &mut self.peers {
            if peer.alive && !self.detector.is_alive(address, now_ns) {
                tracing::info!(%address, phi = self.detector.phi(address, now_ns), "peer convicted: down");
                peer.alive = false;
                events.push(MembershipEvent::Down(*address));
            }
        }
        let message = self.message();
        let targets = self.gossip_targets(rng);
        let out = targets.into_iter().map(|t| (t, message.clone())).collect();
        (out, events)
    }

    /// A SYN carrying this node's full view, for sending outside a round
    /// (e.g. to tell a peer at once that our schema version changed).
    pub fn syn(&self) -> GossipMessage {
        self.message()
    }

    /// Announces a graceful stop: sets STATUS `shutdown` and returns a SYN for every
    /// live peer, which marks this node down at once (Cassandra's GOSSIP_SHUTDOWN).
    pub fn announce_shutdown(&mut self) -> Vec<(IpAddr, GossipMessage)> {
        self.set_local(AppStateKey::Status, STATUS_SHUTDOWN.to_owned());
        let message = self.message();
        self.peers
            .iter()
            .filter(|(_, p)| p.alive)
            .map(|(a, _)| (*a, message.clone()))
            .collect()
    }

    /// Forcibly removes a peer (Cassandra's `assassinate`, for a node that is gone for
    /// good): gossips for it a newer generation with STATUS `LEFT`, which every node
    /// takes over the peer's own state and reads as removed. Returns the Removed (and
    /// Down) events, nothing for the local node or an unknown address.
    pub fn assassinate(&mut self, address: IpAddr) -> Vec<MembershipEvent> {
        let Some(peer) = self.peers.get(&address) else {
            return Vec::new();
        };
        let old = peer.state.clone();
        let mut state = old.clone();
        state.generation = old.generation.saturating_add(1);
        let version = old.max_version() + 1;
        let host_id = old.get(AppStateKey::HostId).unwrap_or_default();
        state.states.insert(
            AppStateKey::Status,
            VersionedValue {
                version,
                value: format!("{STATUS_LEFT},{host_id}"),
            },
        );
        tracing::warn!(%address, "assassinating endpoint");
        if let Some(peer) = self.peers.get_mut(&address) {
            peer.state = state;
        }
        let mut events = Vec::new();
        self.after_change(address, Some(&old), false, &mut events);
        events
    }

    /// Cassandra's shadow round, for start-up: a SYN carrying no endpoint (so peers
    /// merge nothing of ours) to every seed but this node. Their ACKs, merged with
    /// [`Gossiper::on_ack`], fill this node's view before it announces itself
    /// (host ids and tokens already taken, the cluster's schema version).
    pub fn shadow_syns(&self) -> Vec<(IpAddr, GossipMessage)> {
        let empty = GossipMessage {
            from: self.local,
            cluster_name: self.cluster_name.clone(),
            endpoints: BTreeMap::new(),
        };
        self.seeds
            .iter()
            .filter(|s| **s != self.local)
            .map(|s| (*s, empty.clone()))
            .collect()
    }

    /// A SYN arrived: merge it and return the ACK to send back (our full state) plus
    /// events. A SYN from another cluster (or one breaking the message limits) is not
    /// merged and gets an empty ACK ([`GossipMessage::is_empty`]), which the caller
    /// may skip sending.
    pub fn on_syn(
        &mut self,
        message: GossipMessage,
        now_ns: u64,
    ) -> (GossipMessage, Vec<MembershipEvent>) {
        if !self.accepts(&message) {
            let refusal = GossipMessage {
                from: self.local,
                cluster_name: self.cluster_name.clone(),
                endpoints: BTreeMap::new(),
            };
            return (refusal, Vec::new());
        }
        let events = self.merge(message, now_ns);
        (self.message(), events)
    }

    /// An ACK arrived: merge it.
    pub fn on_ack(&mut self, message: GossipMessage, now_ns: u64) -> Vec<MembershipEvent> {
        if !self.accepts(&message) {
            return Vec::new();
        }
        self.merge(message, now_ns)
    }

    /// True when `message` is from this cluster and within the limits; logs why not.
    pub fn accepts(&self, message: &GossipMessage) -> bool {
        if message.cluster_name != self.cluster_name {
            tracing::warn!(
                from = %message.from,
                theirs = %message.cluster_name,
                ours = %self.cluster_name,
                "ignoring gossip from another cluster"
            );
            return false;
        }
        if let Err(error) = message.validate() {
            tracing::warn!(from = %message.from, %error, "ignoring gossip message");
            return false;
        }
        true
    }

    /// Every known endpoint (the local one included, flagged), for the ring,
    /// system.peers and status; ordered by address.
    pub fn endpoints(&self, now_ns: u64) -> Vec<EndpointView> {
        let mut views: Vec<EndpointView> = self
            .peers
            .iter()
            .map(|(address, peer)| {
                let alive = self.peer_alive(address, peer, now_ns);
                EndpointView::from_state(*address, &peer.state, false, alive)
            })
            .collect();
        let local = EndpointView::from_state(self.local, &self.local_state, true, true);
        let at = views.partition_point(|v| v.address < self.local);
        views.insert(at, local);
        views
    }

    /// True for the local node, and for a peer that is up and not yet suspected.
    pub fn is_alive(&self, address: IpAddr, now_ns: u64) -> bool {
        if address == self.local {
            return true;
        }
        self.peers
            .get(&address)
            .is_some_and(|peer| self.peer_alive(&address, peer, now_ns))
    }

    /// The gossiped state of one endpoint (the local one included).
    pub fn state(&self, address: IpAddr) -> Option<&EndpointState> {
        if address == self.local {
            return Some(&self.local_state);
        }
        self.peers.get(&address).map(|p| &p.state)
    }

    fn peer_alive(&self, address: &IpAddr, peer: &Peer, now_ns: u64) -> bool {
        peer.alive && !peer.state.is_dead_state() && self.detector.is_alive(address, now_ns)
    }

    /// Our full view, as a SYN or an ACK.
    fn message(&self) -> GossipMessage {
        let mut endpoints: BTreeMap<IpAddr, EndpointState> = self
            .peers
            .iter()
            .map(|(a, p)| (*a, p.state.clone()))
            .collect();
        endpoints.insert(self.local, self.local_state.clone());
        GossipMessage {
            from: self.local,
            cluster_name: self.cluster_name.clone(),
            endpoints,
        }
    }

    fn gossip_targets(&self, rng: &mut impl FnMut() -> u64) -> Vec<IpAddr> {
        let live: Vec<IpAddr> = self
            .peers
            .iter()
            .filter(|(_, p)| p.alive)
            .map(|(a, _)| *a)
            .collect();
        let unreachable: Vec<IpAddr> = self
            .peers
            .iter()
            .filter(|(_, p)| !p.alive && !p.state.has_left())
            .map(|(a, _)| *a)
            .collect();
        let mut targets = Vec::new();
        let live_target = pick(&live, rng);
        targets.extend(live_target);
        // Cassandra: probability unreachable / (live + 1) of also trying one unreachable peer.
        if !unreachable.is_empty() {
            let chance = unreachable.len() as f64 / (live.len() as f64 + 1.0);
            if unit(rng) < chance {
                targets.extend(pick(&unreachable, rng));
            }
        }
        let seeds: Vec<IpAddr> = self
            .seeds
            .iter()
            .copied()
            .filter(|s| *s != self.local)
            .collect();
        let gossiped_to_seed = live_target.is_some_and(|t| seeds.contains(&t));
        if !gossiped_to_seed && let Some(seed) = pick(&seeds, rng).filter(|s| !targets.contains(s))
        {
            targets.push(seed);
        }
        targets
    }

    /// Merges every endpoint of an accepted message.
    fn merge(&mut self, message: GossipMessage, now_ns: u64) -> Vec<MembershipEvent> {
        let mut events = Vec::new();
        let from = message.from;
        for (address, remote) in message.endpoints {
            if address == self.local {
                if remote.generation > self.local_state.generation {
                    tracing::warn!(%from, generation = remote.generation, "ignoring a newer generation gossiped for this node");
                }
                continue;
            }
            if let Some(key) = remote.oversized_value() {
                tracing::warn!(%from, %address, ?key, "ignoring an endpoint state with an oversized value");
                continue;
            }
            if self
                .quarantine
                .get(&address)
                .is_some_and(|g| remote.generation <= *g)
            {
                continue;
            }
            self.merge_endpoint(address, remote, from == address, now_ns, &mut events);
        }
        events
    }

    fn merge_endpoint(
        &mut self,
        address: IpAddr,
        remote: EndpointState,
        direct: bool,
        now_ns: u64,
        events: &mut Vec<MembershipEvent>,
    ) {
        let Some(peer) = self.peers.get_mut(&address) else {
            self.add_peer(address, remote, direct, now_ns, events);
            return;
        };
        let known = peer.state.generation;
        if remote.generation > known.saturating_add(GENERATION_DIFFERENCE_MAX) {
            tracing::warn!(%address, known, remote = remote.generation, "ignoring an implausible generation jump");
            return;
        }
        let old = peer.state.clone();
        let was_alive = peer.alive;
        let advanced = if remote.generation > known {
            // Restarted: the whole state is replaced and its heartbeat rhythm restarts.
            tracing::info!(%address, generation = remote.generation, "peer restarted");
            peer.state = remote;
            self.detector.forget(&address);
            if was_alive {
                peer.alive = false;
                events.push(MembershipEvent::Down(address));
            }
            true
        } else if remote.generation == known {
            merge_same_generation(&mut peer.state, remote)
        } else {
            false
        };
        // A message from the peer itself proves it is up even when its heartbeat did not
        // move (an ACK right after a relayed copy); the detector hears of it only then, so
        // that two messages of one round do not halve the measured rhythm.
        let revived = direct && !advanced && !peer.alive;
        if !advanced && !revived && peer.state == old {
            return;
        }
        if advanced || revived {
            self.detector.report(&address, now_ns);
        }
        self.after_change(address, Some(&old), advanced || direct, events);
    }

    fn add_peer(
        &mut self,
        address: IpAddr,
        remote: EndpointState,
        direct: bool,
        now_ns: u64,
        events: &mut Vec<MembershipEvent>,
    ) {
        if self.peers.len() >= ENDPOINTS_MAX {
            tracing::warn!(%address, "ignoring a new endpoint: too many endpoints known");
            return;
        }
        self.quarantine.remove(&address);
        tracing::info!(%address, generation = remote.generation, "new endpoint");
        let peer = Peer {
            state: remote,
            alive: false,
            announced_normal: false,
        };
        self.peers.insert(address, peer);
        self.detector.report(&address, now_ns);
        // Heard from itself: alive now. Relayed by a third node: once its heartbeat moves.
        self.after_change(address, None, direct, events);
    }

    /// Reacts to a merged change of `address` (`old` is its previous state, if any):
    /// host-id moves, NewNode, schema versions, then liveness.
    fn after_change(
        &mut self,
        address: IpAddr,
        old: Option<&EndpointState>,
        alive_evidence: bool,
        events: &mut Vec<MembershipEvent>,
    ) {
        if self.resolve_host_id(address, events) {
            return;
        }
        let Some(peer) = self.peers.get_mut(&address) else {
            return;
        };
        let state = &peer.state;
        if state.has_left() && old.is_some_and(|o| !o.has_left()) {
            tracing::info!(%address, "peer left the ring");
            events.push(MembershipEvent::Removed(address));
        }
        if !peer.announced_normal && state.status() == Some(STATUS_NORMAL) {
            peer.announced_normal = true;
            events.push(MembershipEvent::NewNode(address));
        }
        let schema = |s: &EndpointState| {
            s.get(AppStateKey::SchemaVersion)
                .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok())
        };
        if let Some(version) = schema(state)
            && old.and_then(schema) != Some(version)
        {
            events.push(MembershipEvent::SchemaVersion { address, version });
        }
        let dead = state.is_dead_state();
        if peer.alive && dead {
            tracing::info!(%address, status = ?state.status(), "peer announced a dead state: down");
            peer.alive = false;
            events.push(MembershipEvent::Down(address));
        } else if !peer.alive && !dead && alive_evidence {
            tracing::info!(%address, "peer up");
            peer.alive = true;
            events.push(MembershipEvent::Up(address));
        }
    }

    /// When `address` carries a host id another address (or this node) has, removes
    /// the one with the older generation. Returns true when `address` itself went.
    fn resolve_host_id(&mut self, address: IpAddr, events: &mut Vec<MembershipEvent>) -> bool {
        let Some(peer) = self.peers.get(&address) else {
            return true;
        };
        let Some(host_id) = peer.state.get(AppStateKey::HostId) else {
            return false;
        };
        let generation = peer.state.generation;
        if self.local_state.get(AppStateKey::HostId) == Some(host_id) {
            tracing::warn!(%address, "an old address of this node is gossiped: removing it");
            self.remove(address, events);
            return true;
        }
        let other = self
            .peers
            .iter()
            .find(|(a, p)| **a != address && p.state.get(AppStateKey::HostId) == Some(host_id))
            .map(|(a, p)| (*a, p.state.generation));
        let Some((other, other_generation)) = other else {
            return false;
        };
        if other_generation < generation {
            tracing::info!(%address, old = %other, "host id moved address: removing the old one");
            self.remove(other, events);
            false
        } else {
            tracing::info!(%address, current = %other, "stale address of a known host id: removing it");
            self.remove(address, events);
            true
        }
    }

    fn remove(&mut self, address: IpAddr, events: &mut Vec<MembershipEvent>) {
        let Some(peer) = self.peers.remove(&address) else {
            return;
        };
        self.detector.forget(&address);
        if self.quarantine.len() >= ENDPOINTS_MAX
            && let Some(oldest) = self
                .quarantine
                .iter()
                .min_by_key(|(_, g)| **g)
                .map(|(a, _)| *a)
        {
            self.quarantine.remove(&oldest);
        }
        self.quarantine.insert(address, peer.state.generation);
        events.push(MembershipEvent::Removed(address));
    }
}

/// Takes the newer heartbeat and every application state with a higher version.
/// Returns true when the heartbeat advanced.
fn merge_same_generation(local: &mut EndpointState, remote: EndpointState) -> bool {
    let advanced = remote.heartbeat > local.heartbeat;
    local.heartbeat = local.heartbeat.max(remote.heartbeat);
    for (key, value) in remote.states {
        match local.states.get(&key) {
            Some(known) if known.version >= value.version => {}
            _ => {
                local.states.insert(key, value);
            }
        }
    }
    advanced
}

/// A uniformly chosen element (bias from the modulo is irrelevant for ≤ 1,000 items).
fn pick<T: Copy>(items: &[T], rng: &mut impl FnMut() -> u64) -> Option<T> {
    if items.is_empty() {
        return None;
    }
    let len = u64::try_from(items.len()).unwrap_or(u64::MAX);
    let index = usize::try_from(rng() % len).unwrap_or(0);
    items.get(index).copied()
}

/// A number in [0, 1).
fn unit(rng: &mut impl FnMut() -> u64) -> f64 {
    (rng() >> 11) as f64 / (1u64 << 53) as f64
}
