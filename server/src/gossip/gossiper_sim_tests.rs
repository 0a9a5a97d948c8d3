//! A seeded simulation: six gossipers under message loss, crashes and restarts.
//! Whatever happens, each observer's Up/Down events alternate per peer, and once
//! the network heals every node knows every other's latest state and sees it up.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::gossiper::MembershipEvent;
use super::gossiper_tests::{Net, assert_knows, ip, node, xorshift};

const NODES: u8 = 6;

/// Checks that one observer's Up and Down events alternate per peer, starting with Up.
fn check_alternation(observer: IpAddr, events: &[MembershipEvent], seed: u64) -> usize {
    let mut downs = 0;
    let mut up: BTreeMap<IpAddr, bool> = BTreeMap::new();
    for event in events {
        let (peer, now_up) = match event {
            MembershipEvent::Up(p) => (p, true),
            MembershipEvent::Down(p) => (p, false),
            _ => continue,
        };
        assert_ne!(*peer, observer, "seed {seed}: an event about itself");
        let was_up = up.insert(*peer, now_up).unwrap_or(false);
        assert_ne!(
            was_up, now_up,
            "seed {seed}: {observer} got {event:?} twice"
        );
        downs += usize::from(!now_up);
    }
    downs
}

/// Replaces node `n` by a fresh process at `generation`, checking the events of the
/// old one (a new process starts with every peer down).
fn restart(net: &mut Net, n: u8, generation: i32, seed: u64) -> usize {
    let events = net.events.remove(&ip(n)).unwrap_or_default();
    let downs = check_alternation(ip(n), &events, seed);
    net.nodes.insert(ip(n), node(n, &[1, 2], generation));
    downs
}

/// Runs one seed; returns how many Down events were seen.
fn simulate(seed: u64) -> usize {
    let mut downs = 0;
    let nodes = (1..=NODES).map(|n| node(n, &[1, 2], 100)).collect();
    let mut net = Net::new(nodes, seed);
    let mut chaos = xorshift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut generation = [100i32; NODES as usize + 1];
    // Rounds until a crashed node restarts, per node.
    let mut restart_in = [0u32; NODES as usize + 1];
    net.drop_percent = 20;
    for _ in 0..200 {
        for n in 1..=NODES {
            let i = usize::from(n);
            if restart_in[i] > 0 {
                restart_in[i] -= 1;
                if restart_in[i] == 0 {
                    generation[i] += 1;
                    downs += restart(&mut net, n, generation[i], seed);
                    net.down.retain(|a| *a != ip(n));
                }
            } else if chaos() % 100 < 2 {
                restart_in[i] = u32::try_from(5 + chaos() % 40).unwrap();
                net.down.push(ip(n));
            }
        }
        net.round();
    }
    for n in 1..=NODES {
        let i = usize::from(n);
        if restart_in[i] > 0 {
            generation[i] += 1;
            downs += restart(&mut net, n, generation[i], seed);
        }
    }
    net.down.clear();
    net.drop_percent = 0;
    net.rounds(40);
    for (observer, events) in &net.events {
        downs += check_alternation(*observer, events, seed);
    }
    for at in 1..=NODES {
        for of in 1..=NODES {
            assert_knows(&net, at, of);
            let view = net.view(at, of).unwrap();
            assert_eq!(view.generation, generation[usize::from(of)], "seed {seed}");
        }
        assert_eq!(
            net.nodes[&ip(at)].endpoints(net.now_ns).len(),
            usize::from(NODES)
        );
    }
    downs
}

#[test]
fn gossip_converges_after_loss_crashes_and_restarts() {
    let downs: usize = (1..=30).map(simulate).sum();
    assert!(downs > 100, "crashes were detected ({downs} Down events)");
}

#[test]
fn a_healthy_twelve_node_cluster_convicts_nobody() {
    for seed in [5, 6] {
        let nodes = (1..=12).map(|n| node(n, &[1, 2, 3], 100)).collect();
        let mut net = Net::new(nodes, seed);
        net.drop_percent = 5;
        net.rounds(300);
        for (observer, events) in &net.events {
            let downs: Vec<_> = events
                .iter()
                .filter(|e| matches!(e, MembershipEvent::Down(_)))
                .collect();
            assert!(
                downs.is_empty(),
                "seed {seed}: {observer} convicted {downs:?}"
            );
        }
        for at in 1..=12 {
            for of in 1..=12 {
                assert_knows(&net, at, of);
            }
        }
    }
}
