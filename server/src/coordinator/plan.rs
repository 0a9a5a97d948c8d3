//! Consistency maths, pure (Cassandra's `ConsistencyLevel` and `ReplicaPlans`):
//! how many replicas a level needs, whether enough are alive, which replicas
//! a read contacts, and when a set of answers satisfies the level.
//!
//! Block-for counts follow the keyspace's replication factor, not the number
//! of nodes: QUORUM of RF 3 needs 2 answers even on a one-node cluster (so it
//! is Unavailable there, as in Cassandra).

use std::collections::BTreeMap;
use std::net::IpAddr;

use sibyl_protocol::types::Consistency;

use crate::error::RequestError;
use crate::ring::HostId;
use crate::schema::Replication;

/// One natural replica of a token, as the coordinator sees it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica {
    /// The node.
    pub host: HostId,
    /// Its address.
    pub address: IpAddr,
    /// Its data center.
    pub dc: String,
    /// Whether the failure detector thinks it is up.
    pub alive: bool,
    /// Whether it is this node.
    pub is_local: bool,
}

/// Which answers count, and how many are needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// Answers from any replica.
    Total(usize),
    /// Answers from replicas in the coordinator's data center.
    LocalDc(usize),
    /// A quorum in every data center.
    EachDc(BTreeMap<String, usize>),
}

impl Requirement {
    /// The block-for figure error responses carry.
    pub fn block_for(&self) -> usize {
        match self {
            Requirement::Total(n) | Requirement::LocalDc(n) => *n,
            Requirement::EachDc(per_dc) => per_dc.values().sum(),
        }
    }

    fn counts(&self, replica: &Replica, local_dc: &str) -> bool {
        match self {
            Requirement::Total(_) => true,
            Requirement::LocalDc(_) => replica.dc == local_dc,
            Requirement::EachDc(per_dc) => per_dc.contains_key(&replica.dc),
        }
    }
}

fn quorum(rf: usize) -> usize {
    rf / 2 + 1
}

fn total_rf(replication: &Replication, nodes: usize) -> usize {
    match replication {
        Replication::Local => 1,
        Replication::Everywhere => nodes,
        Replication::Simple { replication_factor } => {
            usize::try_from(*replication_factor).unwrap_or(usize::MAX)
        }
        Replication::NetworkTopology { data_centers } => data_centers
            .values()
            .map(|rf| usize::try_from(*rf).unwrap_or(0))
            .sum(),
    }
}

fn dc_rf(replication: &Replication, dc: &str, nodes: usize) -> usize {
    match replication {
        Replication::NetworkTopology { data_centers } => data_centers
            .get(dc)
            .map_or(0, |rf| usize::try_from(*rf).unwrap_or(0)),
        other => total_rf(other, nodes),
    }
}

/// What `consistency` requires for a keyspace replicated by `replication`
/// (`nodes`: nodes in the ring, for `Everywhere`), seen from `local_dc`.
///
/// # Errors
/// SERIAL levels for writes (they need a conditional statement).
pub fn requirement(
    consistency: Consistency,
    replication: &Replication,
    local_dc: &str,
    nodes: usize,
    for_write: bool,
) -> Result<Requirement, RequestError> {
    let total = total_rf(replication, nodes);
    Ok(match consistency {
        Consistency::Any | Consistency::One => Requirement::Total(1),
        Consistency::Two => Requirement::Total(2),
        Consistency::Three => Requirement::Total(3),
        Consistency::Quorum => Requirement::Total(quorum(total)),
        Consistency::All => Requirement::Total(total),
        Consistency::LocalOne => Requirement::LocalDc(1),
        Consistency::LocalQuorum => {
            Requirement::LocalDc(quorum(dc_rf(replication, local_dc, nodes)))
        }
        Consistency::EachQuorum => match replication {
            Replication::NetworkTopology { data_centers } => Requirement::EachDc(
                data_centers
                    .iter()
                    .filter(|(_, rf)| **rf > 0)
                    .map(|(dc, rf)| (dc.clone(), quorum(usize::try_from(*rf).unwrap_or(0))))
                    .collect(),
            ),
            _ => Requirement::Total(quorum(total)),
        },
        Consistency::Serial | Consistency::LocalSerial if for_write => {
            return Err(RequestError::invalid(
                "You must use conditional updates for serializable writes",
            ));
        }
        Consistency::Serial => Requirement::Total(quorum(total)),
        Consistency::LocalSerial => {
            Requirement::LocalDc(quorum(dc_rf(replication, local_dc, nodes)))
        }
    })
}

/// Why a request cannot start: `(required, alive)` as Unavailable reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unavailable {
    /// Replicas needed.
    pub required: usize,
    /// Replicas alive (among those that count).
    pub alive: usize,
}

/// Checks that enough replicas that count are alive.
///
/// # Errors
/// [`Unavailable`] with the figures of the first shortfall.
pub fn check_alive(
    requirement: &Requirement,
    replicas: &[Replica],
    local_dc: &str,
) -> Result<(), Unavailable> {
    let alive_where =
        |pred: &dyn Fn(&Replica) -> bool| replicas.iter().filter(|r| r.alive && pred(r)).count();
    match requirement {
        Requirement::Total(n) => {
            let alive = alive_where(&|_| true);
            if alive < *n {
                return Err(Unavailable {
                    required: *n,
                    alive,
                });
            }
        }
        Requirement::LocalDc(n) => {
            let alive = alive_where(&|r| r.dc == local_dc);
            if alive < *n {
                return Err(Unavailable {
                    required: *n,
                    alive,
                });
            }
        }
        Requirement::EachDc(per_dc) => {
            for (dc, n) in per_dc {
                let alive = alive_where(&|r| r.dc == *dc);
                if alive < *n {
                    return Err(Unavailable {
                        required: *n,
                        alive,
                    });
                }
            }
        }
    }
    Ok(())
}

/// The replicas a read asks: live ones that count, closest first (this node,
/// then its data center), exactly as many as the level needs.
pub fn read_targets(
    requirement: &Requirement,
    replicas: &[Replica],
    local_dc: &str,
) -> Vec<Replica> {
    let mut live: Vec<&Replica> = replicas
        .iter()
        .filter(|r| r.alive && requirement.counts(r, local_dc))
        .collect();
    // Ties by address, so neighbouring token ranges pick the same replicas
    // (a scan then asks them for one long range instead of many short ones).
    live.sort_by_key(|r| (!r.is_local, r.dc != local_dc, r.address));
    match requirement {
        Requirement::Total(n) | Requirement::LocalDc(n) => {
            live.into_iter().take(*n).cloned().collect()
        }
        Requirement::EachDc(per_dc) => {
            let mut taken: BTreeMap<&str, usize> = BTreeMap::new();
            live.into_iter()
                .filter(|r| {
                    let have = taken.entry(r.dc.as_str()).or_default();
                    let want = per_dc.get(&r.dc).copied().unwrap_or(0);
                    *have += 1;
                    *have <= want
                })
                .cloned()
                .collect()
        }
    }
}

/// Counts answers against a requirement.
#[derive(Clone, Debug)]
pub struct AckTracker {
    requirement: Requirement,
    local_dc: String,
    received: usize,
    per_dc: BTreeMap<String, usize>,
}

impl AckTracker {
    /// A tracker with no answers yet.
    pub fn new(requirement: Requirement, local_dc: &str) -> Self {
        Self {
            requirement,
            local_dc: local_dc.to_owned(),
            received: 0,
            per_dc: BTreeMap::new(),
        }
    }

    /// Records an answer from `replica`.
    pub fn ack(&mut self, replica: &Replica) {
        if self.requirement.counts(replica, &self.local_dc) {
            self.received += 1;
            *self.per_dc.entry(replica.dc.clone()).or_default() += 1;
        }
    }

    /// Answers that counted so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// The block-for figure.
    pub fn block_for(&self) -> usize {
        self.requirement.block_for()
    }

    /// True once the level is met.
    pub fn satisfied(&self) -> bool {
        match &self.requirement {
            Requirement::Total(n) | Requirement::LocalDc(n) => self.received >= *n,
            Requirement::EachDc(per_dc) => per_dc
                .iter()
                .all(|(dc, n)| self.per_dc.get(dc).copied().unwrap_or(0) >= *n),
        }
    }

    /// True when the level can still be met if every one of `outstanding`
    /// replicas answers.
    pub fn reachable(&self, outstanding: &[&Replica]) -> bool {
        let mut probe = self.clone();
        for r in outstanding {
            probe.ack(r);
        }
        probe.satisfied()
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
