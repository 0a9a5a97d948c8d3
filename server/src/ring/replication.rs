//! Natural replicas of a token under a keyspace's replication strategy.
//!
//! - SimpleStrategy: the owner, then the next distinct nodes clockwise.
//! - NetworkTopologyStrategy, per data center (Cassandra's walk): going
//!   clockwise, take a node from a rack not used yet in that DC; nodes on used
//!   racks wait in a queue; once every rack of the DC is used, the queue and
//!   then the following nodes fill the remaining replicas. A DC never gets more
//!   replicas than it has nodes.
//! - LocalStrategy: this node only (the caller passes it); Everywhere: all nodes.

use std::collections::{BTreeMap, BTreeSet};

use crate::schema::Replication;

use super::token_ring::{HostId, TokenRing};

/// The replicas of `token`, primary first. `local` is this node, the only
/// replica of node-local (`LocalStrategy`) data.
pub fn natural_replicas(
    ring: &TokenRing,
    replication: &Replication,
    token: i64,
    local: HostId,
) -> Vec<HostId> {
    match replication {
        Replication::Local => vec![local],
        Replication::Everywhere => distinct_walk(ring, token, usize::MAX),
        Replication::Simple { replication_factor } => {
            let factor = usize::try_from(*replication_factor).unwrap_or(usize::MAX);
            distinct_walk(ring, token, factor)
        }
        Replication::NetworkTopology { data_centers } => {
            network_topology(ring, data_centers, token)
        }
    }
}

fn distinct_walk(ring: &TokenRing, token: i64, count: usize) -> Vec<HostId> {
    let mut replicas = Vec::new();
    for host in ring.walk_from(token) {
        if replicas.len() >= count {
            break;
        }
        if !replicas.contains(&host) {
            replicas.push(host);
        }
    }
    replicas
}

/// Per-DC progress of the NetworkTopologyStrategy walk.
struct DcPlacement {
    wanted: usize,
    racks_total: usize,
    racks_seen: BTreeSet<String>,
    skipped: Vec<HostId>,
    chosen: Vec<HostId>,
}

impl DcPlacement {
    fn done(&self) -> bool {
        self.chosen.len() >= self.wanted
    }

    fn offer(&mut self, host: HostId, rack: &str) {
        if self.done() || self.chosen.contains(&host) {
            return;
        }
        if self.racks_seen.len() >= self.racks_total {
            self.chosen.push(host);
            return;
        }
        if self.racks_seen.contains(rack) {
            if !self.skipped.contains(&host) {
                self.skipped.push(host);
            }
            return;
        }
        self.racks_seen.insert(rack.to_owned());
        self.chosen.push(host);
        if self.racks_seen.len() >= self.racks_total {
            // Every rack is used: nodes skipped for rack diversity come next, in ring order.
            for waiting in std::mem::take(&mut self.skipped) {
                if self.done() {
                    break;
                }
                if !self.chosen.contains(&waiting) {
                    self.chosen.push(waiting);
                }
            }
        }
    }
}

fn network_topology(
    ring: &TokenRing,
    data_centers: &BTreeMap<String, u32>,
    token: i64,
) -> Vec<HostId> {
    let mut placements: BTreeMap<&str, DcPlacement> = data_centers
        .iter()
        .map(|(dc, factor)| {
            let nodes = ring.nodes_in_dc(dc);
            let wanted = usize::try_from(*factor).unwrap_or(usize::MAX).min(nodes);
            let placement = DcPlacement {
                wanted,
                racks_total: ring.racks_in_dc(dc),
                racks_seen: BTreeSet::new(),
                skipped: Vec::new(),
                chosen: Vec::new(),
            };
            (dc.as_str(), placement)
        })
        .collect();
    let mut replicas = Vec::new();
    for host in ring.walk_from(token) {
        if placements.values().all(DcPlacement::done) {
            break;
        }
        let Some(info) = ring.node(&host) else {
            continue;
        };
        let Some(placement) = placements.get_mut(info.dc.as_str()) else {
            continue;
        };
        let before = placement.chosen.len();
        placement.offer(host, &info.rack);
        replicas.extend(placement.chosen.iter().skip(before).copied());
    }
    replicas
}

#[cfg(test)]
#[path = "replication_tests.rs"]
mod tests;
