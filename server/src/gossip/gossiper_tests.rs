//! Gossipers exchanging messages in memory under a fake clock and a seeded RNG.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::PHI_CONVICT_THRESHOLD_DEFAULT;
use super::gossiper::{Gossiper, MembershipEvent};
use super::state::{
    AppStateKey, EndpointState, GossipMessage, MESSAGE_ENDPOINTS_MAX, STATE_VALUE_BYTES_MAX,
    VersionedValue, encode_tokens,
};
use super::view::EndpointView;

pub(super) const SECOND: u64 = 1_000_000_000;
pub(super) const CLUSTER: &str = "Test Cluster";

pub(super) fn ip(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

pub(super) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed.max(1);
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

pub(super) fn schema_uuid(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(0x5c4e_0000 + n)
}

/// A node at 127.0.0.`n` with host id `n`, tokens `n*100, n*100+1`, dc `dc{n%2}`.
pub(super) fn node(n: u8, seeds: &[u8], generation: i32) -> Gossiper {
    let mut g = Gossiper::new(
        ip(n),
        CLUSTER.into(),
        seeds.iter().map(|s| ip(*s)).collect(),
        generation,
        PHI_CONVICT_THRESHOLD_DEFAULT,
    );
    let base = i64::from(n) * 100;
    let states = [
        (
            AppStateKey::HostId,
            uuid::Uuid::from_u128(u128::from(n)).to_string(),
        ),
        (AppStateKey::Tokens, encode_tokens(&[base, base + 1])),
        (AppStateKey::Dc, format!("dc{}", n % 2)),
        (AppStateKey::Rack, "rack1".into()),
        (AppStateKey::SchemaVersion, schema_uuid(1).to_string()),
        (AppStateKey::NativeAddress, ip(n).to_string()),
        (AppStateKey::NativePort, "9042".into()),
        (AppStateKey::ReleaseVersion, "5.0.0".into()),
        (AppStateKey::Status, "NORMAL".into()),
    ];
    for (key, value) in states {
        g.set_local(key, value);
    }
    g
}

/// An in-memory cluster: every tick's SYNs are delivered at once and their ACKs too,
/// except between addresses in `down` (messages to or from them are dropped).
pub(super) struct Net {
    pub(super) nodes: BTreeMap<IpAddr, Gossiper>,
    pub(super) events: BTreeMap<IpAddr, Vec<MembershipEvent>>,
    pub(super) now_ns: u64,
    pub(super) rng: Box<dyn FnMut() -> u64>,
    pub(super) down: Vec<IpAddr>,
    /// Chance in percent that any one message (SYN or ACK) is lost.
    pub(super) drop_percent: u64,
}

impl Net {
    pub(super) fn new(nodes: Vec<Gossiper>, seed: u64) -> Self {
        Self {
            nodes: nodes.into_iter().map(|g| (g.local_address(), g)).collect(),
            events: BTreeMap::new(),
            now_ns: 0,
            rng: Box::new(xorshift(seed)),
            down: Vec::new(),
            drop_percent: 0,
        }
    }

    pub(super) fn round(&mut self) {
        self.now_ns += SECOND;
        let now = self.now_ns;
        let addresses: Vec<IpAddr> = self.nodes.keys().copied().collect();
        for from in addresses {
            if self.down.contains(&from) {
                continue;
            }
            let gossiper = self.nodes.get_mut(&from).unwrap();
            let (syns, events) = gossiper.tick(now, &mut self.rng);
            self.events.entry(from).or_default().extend(events);
            for (to, syn) in syns {
                if self.down.contains(&to) || !self.nodes.contains_key(&to) || self.lost() {
                    continue;
                }
                let (ack, events) = self.nodes.get_mut(&to).unwrap().on_syn(syn, now);
                self.events.entry(to).or_default().extend(events);
                if self.lost() {
                    continue;
                }
                let events = self.nodes.get_mut(&from).unwrap().on_ack(ack, now);
                self.events.entry(from).or_default().extend(events);
            }
        }
    }

    fn lost(&mut self) -> bool {
        self.drop_percent > 0 && (self.rng)() % 100 < self.drop_percent
    }

    pub(super) fn rounds(&mut self, n: usize) {
        for _ in 0..n {
            self.round();
        }
    }

    pub(super) fn view(&self, at: u8, of: u8) -> Option<EndpointView> {
        self.nodes[&ip(at)]
            .endpoints(self.now_ns)
            .into_iter()
            .find(|v| v.address == ip(of))
    }

    pub(super) fn take_events(&mut self, at: u8) -> Vec<MembershipEvent> {
        self.events.remove(&ip(at)).unwrap_or_default()
    }
}

pub(super) fn assert_knows(net: &Net, at: u8, of: u8) {
    let view = net
        .view(at, of)
        .unwrap_or_else(|| panic!("{at} does not know {of}"));
    let base = i64::from(of) * 100;
    assert_eq!(view.tokens, vec![base, base + 1], "{at} about {of}");
    assert_eq!(view.dc, Some(format!("dc{}", of % 2)));
    assert_eq!(view.rack.as_deref(), Some("rack1"));
    assert_eq!(view.host_id, Some(uuid::Uuid::from_u128(u128::from(of))));
    assert_eq!(view.schema_version, Some(schema_uuid(1)));
    assert_eq!(view.native_port, Some(9042));
    assert_eq!(view.status.as_deref(), Some("NORMAL"));
    assert!(view.alive, "{at} sees {of} alive");
    assert_eq!(view.is_local, at == of);
}

#[test]
fn two_and_three_nodes_converge() {
    for (size, seed) in [(2u8, 1u64), (3, 7), (3, 99), (5, 3)] {
        let nodes = (1..=size).map(|n| node(n, &[1], 100)).collect();
        let mut net = Net::new(nodes, seed);
        net.rounds(10);
        for at in 1..=size {
            assert_eq!(
                net.nodes[&ip(at)].endpoints(net.now_ns).len(),
                usize::from(size)
            );
            for of in 1..=size {
                assert_knows(&net, at, of);
            }
            let events = net.take_events(at);
            for of in (1..=size).filter(|of| *of != at) {
                let first = |e: MembershipEvent| events.iter().position(|x| *x == e);
                let new = first(MembershipEvent::NewNode(ip(of))).expect("NewNode");
                let up = first(MembershipEvent::Up(ip(of))).expect("Up");
                assert!(new < up, "NewNode comes before Up");
                let announced = MembershipEvent::SchemaVersion {
                    address: ip(of),
                    version: schema_uuid(1),
                };
                assert!(events.contains(&announced));
            }
            assert!(!events.iter().any(|e| matches!(e, MembershipEvent::Down(_))));
        }
    }
}

#[test]
fn a_state_change_spreads_and_a_schema_change_is_an_event() {
    let nodes = (1..=3).map(|n| node(n, &[1], 100)).collect();
    let mut net = Net::new(nodes, 5);
    net.rounds(10);
    net.events.clear();
    let g3 = net.nodes.get_mut(&ip(3)).unwrap();
    g3.set_local(AppStateKey::SchemaVersion, schema_uuid(2).to_string());
    g3.set_local(AppStateKey::Rack, "rack9".into());
    net.rounds(10);
    for at in [1, 2] {
        let view = net.view(at, 3).unwrap();
        assert_eq!(view.schema_version, Some(schema_uuid(2)));
        assert_eq!(view.rack.as_deref(), Some("rack9"));
        let schema_events: Vec<_> = net
            .take_events(at)
            .into_iter()
            .filter(|e| matches!(e, MembershipEvent::SchemaVersion { .. }))
            .collect();
        let expected = MembershipEvent::SchemaVersion {
            address: ip(3),
            version: schema_uuid(2),
        };
        assert_eq!(schema_events, vec![expected], "exactly once at {at}");
    }
}

#[test]
fn a_higher_generation_replaces_the_whole_state() {
    let mut net = Net::new(vec![node(1, &[1], 100), node(2, &[1], 100)], 11);
    net.rounds(5);
    net.events.clear();
    // Node 2 restarts: new generation, new tokens, no rack state any more.
    let mut restarted = node(2, &[1], 200);
    restarted.set_local(AppStateKey::Tokens, encode_tokens(&[42]));
    let mut bare = EndpointState::new(200);
    bare.states = restarted.local_state().states.clone();
    bare.states.remove(&AppStateKey::Rack);
    let syn = GossipMessage {
        from: ip(2),
        cluster_name: CLUSTER.into(),
        endpoints: BTreeMap::from([(ip(2), bare)]),
    };
    let g1 = net.nodes.get_mut(&ip(1)).unwrap();
    let (_, events) = g1.on_syn(syn, net.now_ns + 1);
    assert_eq!(
        events,
        vec![MembershipEvent::Down(ip(2)), MembershipEvent::Up(ip(2))],
        "a restart resets connections: down then up, no NewNode"
    );
    let view = net.view(1, 2).unwrap();
    assert_eq!(view.generation, 200);
    assert_eq!(view.tokens, vec![42]);
    assert_eq!(view.rack, None, "states of the old generation are gone");
    // Gossip about the old generation no longer applies.
    let mut old = node(2, &[1], 100).local_state().clone();
    old.heartbeat = 1_000;
    let stale = GossipMessage {
        from: ip(3),
        cluster_name: CLUSTER.into(),
        endpoints: BTreeMap::from([(ip(2), old)]),
    };
    let g1 = net.nodes.get_mut(&ip(1)).unwrap();
    assert!(g1.on_ack(stale, net.now_ns + 2).is_empty());
    assert_eq!(net.view(1, 2).unwrap().tokens, vec![42]);
}

#[test]
fn a_silent_peer_is_convicted_and_comes_back_up() {
    let mut net = Net::new(vec![node(1, &[1], 100), node(2, &[1], 100)], 21);
    net.rounds(30);
    net.events.clear();
    net.down.push(ip(2));
    let mut convicted_after = None;
    for second in 1..=60 {
        net.round();
        if net.take_events(1).contains(&MembershipEvent::Down(ip(2))) {
            convicted_after = Some(second);
            break;
        }
        assert!(net.nodes[&ip(1)].is_alive(ip(2), net.now_ns));
    }
    // phi 8 with a 1 s rhythm: about 18 s of silence.
    let after = convicted_after.expect("convicted within a minute");
    assert!((15..=25).contains(&after), "convicted after {after} s");
    assert!(!net.nodes[&ip(1)].is_alive(ip(2), net.now_ns));
    assert!(!net.view(1, 2).unwrap().alive);
    assert!(
        net.nodes[&ip(1)].is_alive(ip(1), net.now_ns),
        "local is alive"
    );
    net.rounds(20);
    assert!(net.take_events(1).is_empty(), "Down is reported once");
    net.down.clear();
    net.rounds(5);
    assert_eq!(net.take_events(1), vec![MembershipEvent::Up(ip(2))]);
    assert!(net.nodes[&ip(1)].is_alive(ip(2), net.now_ns));
}

#[test]
fn a_relayed_peer_is_up_once_its_heartbeat_advances() {
    let mut g1 = node(1, &[1], 100);
    let g3 = node(3, &[3], 100);
    let from = |hb: u64| {
        let mut state = g3.local_state().clone();
        state.heartbeat = hb;
        GossipMessage {
            from: ip(2),
            cluster_name: CLUSTER.into(),
            endpoints: BTreeMap::from([(ip(3), state)]),
        }
    };
    let events = g1.on_ack(from(5), SECOND);
    assert!(events.contains(&MembershipEvent::NewNode(ip(3))));
    assert!(!events.contains(&MembershipEvent::Up(ip(3))), "{events:?}");
    assert!(!g1.is_alive(ip(3), SECOND));
    assert!(g1.on_ack(from(5), 2 * SECOND).is_empty(), "nothing moved");
    assert_eq!(
        g1.on_ack(from(6), 3 * SECOND),
        vec![MembershipEvent::Up(ip(3))]
    );
    assert!(g1.is_alive(ip(3), 3 * SECOND));
}

#[test]
fn cross_cluster_messages_are_ignored() {
    let mut g1 = node(1, &[1], 100);
    let mut other = Gossiper::new(ip(2), "Other".into(), vec![ip(1)], 100, 8.0);
    other.set_local(AppStateKey::Status, "NORMAL".into());
    let mut rng = xorshift(3);
    let (syns, _) = other.tick(SECOND, &mut rng);
    assert_eq!(syns.len(), 1);
    let (ack, events) = g1.on_syn(syns[0].1.clone(), SECOND);
    assert!(ack.is_empty() && events.is_empty());
    assert_eq!(g1.endpoints(SECOND).len(), 1, "nothing learned");
    let foreign = GossipMessage {
        from: ip(3),
        cluster_name: "Other".into(),
        endpoints: BTreeMap::from([(ip(3), node(3, &[1], 100).local_state().clone())]),
    };
    assert!(g1.on_ack(foreign, SECOND).is_empty());
    assert_eq!(g1.endpoints(SECOND).len(), 1);
}

#[test]
fn a_host_id_moving_address_removes_the_old_one() {
    let mut net = Net::new(vec![node(1, &[1], 100), node(2, &[1], 100)], 8);
    net.rounds(5);
    net.events.clear();
    // The node with host id 2 comes back at 127.0.0.5 (a newer generation).
    let mut moved = node(2, &[1], 300);
    let g1 = net.nodes.get_mut(&ip(1)).unwrap();
    let mut rng = xorshift(4);
    let (syns, _) = moved.tick(net.now_ns, &mut rng);
    let mut syn = syns.into_iter().next().unwrap().1;
    let state = syn.endpoints.remove(&ip(2)).unwrap();
    syn.endpoints.insert(ip(5), state);
    syn.from = ip(5);
    let (_, events) = g1.on_syn(syn, net.now_ns);
    assert!(
        events.contains(&MembershipEvent::Removed(ip(2))),
        "{events:?}"
    );
    assert!(events.contains(&MembershipEvent::Up(ip(5))));
    let addresses: Vec<IpAddr> = g1.endpoints(net.now_ns).iter().map(|v| v.address).collect();
    assert_eq!(addresses, vec![ip(1), ip(5)]);
    // Stale gossip about the old address (its old generation) stays quarantined.
    let stale = node(2, &[1], 100).local_state().clone();
    let relay = GossipMessage {
        from: ip(3),
        cluster_name: CLUSTER.into(),
        endpoints: BTreeMap::from([(ip(2), stale)]),
    };
    assert!(g1.on_ack(relay, net.now_ns).is_empty());
    assert_eq!(g1.endpoints(net.now_ns).len(), 2);
    // An old address gossiped with this node's own host id is removed too.
    let mut me_elsewhere = node(1, &[1], 50).local_state().clone();
    me_elsewhere.heartbeat = 9;
    let relay = GossipMessage {
        from: ip(5),
        cluster_name: CLUSTER.into(),
        endpoints: BTreeMap::from([(ip(9), me_elsewhere)]),
    };
    assert_eq!(
        g1.on_ack(relay, net.now_ns),
        vec![MembershipEvent::Removed(ip(9))]
    );
    assert_eq!(g1.endpoints(net.now_ns).len(), 2);
}

#[test]
fn local_state_is_never_overwritten() {
    let mut g1 = node(1, &[1], 100);
    let before = g1.local_state().clone();
    let mut impostor = node(1, &[1], 999).local_state().clone();
    impostor.heartbeat = 1_000_000;
    impostor.states.insert(
        AppStateKey::Tokens,
        VersionedValue {
            version: u64::MAX,
            value: "7".into(),
        },
    );
    let syn = GossipMessage {
        from: ip(2),
        cluster_name: CLUSTER.into(),
        endpoints: BTreeMap::from([(ip(1), impostor)]),
    };
    let (ack, events) = g1.on_syn(syn.clone(), SECOND);
    assert!(events.is_empty());
    assert_eq!(g1.local_state(), &before);
    assert_eq!(ack.endpoints[&ip(1)], before);
    assert!(g1.on_ack(syn, SECOND).is_empty());
    assert_eq!(g1.local_state(), &before);
}

#[test]
fn seeds_are_contacted_when_alone() {
    let cases: &[(&[u8], u8, &[u8])] = &[
        // (seeds, local, possible targets)
        (&[1], 2, &[1]),
        (&[1, 3], 2, &[1, 3]),
        (&[1, 2], 2, &[1]),
        (&[2], 2, &[]),
        (&[], 2, &[]),
    ];
    for (seeds, local, allowed) in cases {
        let mut g = node(*local, seeds, 100);
        let mut rng = xorshift(17);
        for round in 1..=20 {
            let (syns, events) = g.tick(round * SECOND, &mut rng);
            assert!(events.is_empty());
            let targets: Vec<IpAddr> = syns.iter().map(|(t, _)| *t).collect();
            let expected = usize::from(!allowed.is_empty());
            assert_eq!(targets.len(), expected, "seeds {seeds:?}");
            assert!(targets.iter().all(|t| allowed.iter().any(|a| ip(*a) == *t)));
            assert_eq!(
                syns.iter().map(|(_, m)| m.endpoints.len()).sum::<usize>(),
                expected
            );
        }
        assert_eq!(g.local_state().heartbeat, 20);
    }
}

#[test]
fn a_shutdown_announcement_marks_the_node_down_at_once() {
    let mut net = Net::new(vec![node(1, &[1], 100), node(2, &[1], 100)], 13);
    net.rounds(5);
    net.events.clear();
    let syns = net.nodes.get_mut(&ip(2)).unwrap().announce_shutdown();
    assert_eq!(syns.len(), 1);
    let (to, syn) = syns.into_iter().next().unwrap();
    assert_eq!(to, ip(1));
    let g1 = net.nodes.get_mut(&ip(1)).unwrap();
    let (_, events) = g1.on_syn(syn, net.now_ns);
    assert_eq!(events, vec![MembershipEvent::Down(ip(2))]);
    assert!(!g1.is_alive(ip(2), net.now_ns));
    let view = net.view(1, 2).unwrap();
    assert_eq!(view.status.as_deref(), Some("shutdown"));
    assert!(view.in_ring(), "a node shut down still owns its tokens");
    // It restarts: a new generation with STATUS NORMAL brings it back.
    net.nodes.insert(ip(2), node(2, &[1], 101));
    net.rounds(5);
    let events = net.take_events(1);
    assert!(events.contains(&MembershipEvent::Up(ip(2))), "{events:?}");
    assert!(!events.contains(&MembershipEvent::NewNode(ip(2))));
}

#[test]
fn a_node_leaving_is_removed_and_no_longer_in_the_ring() {
    let mut net = Net::new(vec![node(1, &[1], 100), node(2, &[1], 100)], 15);
    net.rounds(5);
    net.events.clear();
    let g2 = net.nodes.get_mut(&ip(2)).unwrap();
    g2.set_local(AppStateKey::Status, "LEFT,200,300".into());
    net.rounds(3);
    let events = net.take_events(1);
    assert_eq!(
        events,
        vec![
            MembershipEvent::Removed(ip(2)),
            MembershipEvent::Down(ip(2))
        ]
    );
    assert!(!net.view(1, 2).unwrap().in_ring());
}

#[test]
fn oversized_values_and_overfull_messages_are_refused() {
    let mut g1 = node(1, &[1], 100);
    let mut big = node(2, &[1], 100).local_state().clone();
    big.states.insert(
        AppStateKey::ReleaseVersion,
        VersionedValue {
            version: 99,
            value: "x".repeat(STATE_VALUE_BYTES_MAX + 1),
        },
    );
    let small = node(3, &[1], 100).local_state().clone();
    let syn = GossipMessage {
        from: ip(2),
        cluster_name: CLUSTER.into(),
        endpoints: BTreeMap::from([(ip(2), big), (ip(3), small.clone())]),
    };
    g1.on_syn(syn, SECOND);
    let known: Vec<IpAddr> = g1.endpoints(SECOND).iter().map(|v| v.address).collect();
    assert_eq!(
        known,
        vec![ip(1), ip(3)],
        "only the oversized endpoint is dropped"
    );
    let crowd = GossipMessage {
        from: ip(4),
        cluster_name: CLUSTER.into(),
        endpoints: (0..=MESSAGE_ENDPOINTS_MAX)
            .map(|i| {
                let address = std::net::Ipv4Addr::from(0x0a01_0000 + u32::try_from(i).unwrap());
                (IpAddr::from(address), small.clone())
            })
            .collect(),
    };
    let (ack, events) = g1.on_syn(crowd, SECOND);
    assert!(ack.is_empty() && events.is_empty());
    assert_eq!(g1.endpoints(SECOND).len(), 2);
}

#[test]
fn a_shadow_round_learns_the_cluster_without_telling_it_anything() {
    let mut net = Net::new(vec![node(1, &[1], 100), node(2, &[1], 100)], 31);
    net.rounds(5);
    let newcomer = node(3, &[1, 2, 3], 100);
    let syns = newcomer.shadow_syns();
    let targets: Vec<IpAddr> = syns.iter().map(|(t, _)| *t).collect();
    assert_eq!(targets, vec![ip(1), ip(2)], "every seed but itself");
    let mut newcomer = newcomer;
    for (to, syn) in syns {
        assert!(syn.is_empty());
        let (ack, events) = net.nodes.get_mut(&to).unwrap().on_syn(syn, net.now_ns);
        assert!(
            events.is_empty(),
            "the seed learns nothing from a shadow SYN"
        );
        newcomer.on_ack(ack, net.now_ns);
    }
    for seed in [1, 2] {
        assert_eq!(net.nodes[&ip(seed)].endpoints(net.now_ns).len(), 2);
        let view = newcomer.endpoints(net.now_ns);
        let seen = view.iter().find(|v| v.address == ip(seed)).unwrap();
        assert_eq!(seen.host_id, Some(uuid::Uuid::from_u128(u128::from(seed))));
        assert!(seen.alive, "a seed answered directly");
    }
}

#[test]
fn an_assassinated_node_is_removed_everywhere_and_cannot_come_back_as_is() {
    let nodes = (1..=3).map(|n| node(n, &[1], 100)).collect();
    let mut net = Net::new(nodes, 41);
    net.rounds(10);
    net.events.clear();
    net.down.push(ip(3));
    let g1 = net.nodes.get_mut(&ip(1)).unwrap();
    assert!(g1.assassinate(ip(1)).is_empty(), "not the local node");
    assert!(g1.assassinate(ip(9)).is_empty(), "not an unknown one");
    assert_eq!(
        g1.assassinate(ip(3)),
        vec![
            MembershipEvent::Removed(ip(3)),
            MembershipEvent::Down(ip(3))
        ]
    );
    net.rounds(5);
    let events = net.take_events(2);
    assert!(
        events.contains(&MembershipEvent::Removed(ip(3))),
        "{events:?}"
    );
    // Node 3 was only partitioned: its own (older) generation no longer applies.
    net.down.clear();
    net.rounds(10);
    for at in [1, 2] {
        let view = net.view(at, 3).unwrap();
        assert_eq!(view.status.as_deref(), Some("LEFT"));
        assert!(!view.in_ring() && !view.alive);
        assert_eq!(view.generation, 101);
    }
}
