//! What the coordinator plans with: the token ring and which nodes are up,
//! as one immutable snapshot ([`ClusterView`]) that membership replaces as
//! a whole when something changes ([`Topology::set`]).

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::RwLock;

use super::plan::Replica;
use crate::ring::{HostId, NodeInfo, TokenRing, natural_replicas};
use crate::schema::Replication;

/// The ring and liveness at one moment.
#[derive(Debug, Clone)]
pub struct ClusterView {
    /// Every node with tokens.
    pub ring: TokenRing,
    /// This node.
    pub local: HostId,
    /// This node's data center.
    pub local_dc: String,
    /// Nodes the failure detector has convicted.
    pub down: HashSet<HostId>,
}

impl ClusterView {
    /// A one-node cluster: this node owns every token.
    pub fn single(local: HostId, address: IpAddr, dc: &str, rack: &str, tokens: &[i64]) -> Self {
        let nodes = BTreeMap::from([(
            local,
            NodeInfo {
                address,
                dc: dc.to_owned(),
                rack: rack.to_owned(),
            },
        )]);
        let ring = TokenRing::new(nodes, tokens.iter().map(|t| (*t, local))).unwrap_or_default();
        Self {
            ring,
            local,
            local_dc: dc.to_owned(),
            down: HashSet::new(),
        }
    }

    /// True when this node is the whole cluster.
    pub fn is_single(&self) -> bool {
        self.ring.nodes().len() <= 1
    }

    /// The natural replicas of `token`, primary first.
    pub fn replicas(&self, replication: &Replication, token: i64) -> Vec<Replica> {
        natural_replicas(&self.ring, replication, token, self.local)
            .into_iter()
            .filter_map(|host| {
                let info = self.ring.node(&host)?;
                Some(Replica {
                    host,
                    address: info.address,
                    dc: info.dc.clone(),
                    alive: host == self.local || !self.down.contains(&host),
                    is_local: host == self.local,
                })
            })
            .collect()
    }

    /// Nodes in the ring.
    pub fn node_count(&self) -> usize {
        self.ring.nodes().len()
    }

    /// Every node but this one, with its address and liveness.
    pub fn peers(&self) -> Vec<(HostId, IpAddr, bool)> {
        self.ring
            .nodes()
            .iter()
            .filter(|(h, _)| **h != self.local)
            .map(|(h, info)| (*h, info.address, !self.down.contains(h)))
            .collect()
    }
}

/// The current [`ClusterView`], replaced atomically.
#[derive(Debug)]
pub struct Topology {
    view: RwLock<Arc<ClusterView>>,
}

impl Topology {
    /// Starts from `view`.
    pub fn new(view: ClusterView) -> Self {
        Self {
            view: RwLock::new(Arc::new(view)),
        }
    }

    /// The current view.
    pub fn current(&self) -> Arc<ClusterView> {
        Arc::clone(&self.view.read())
    }

    /// Publishes a new view.
    pub fn set(&self, view: ClusterView) {
        *self.view.write() = Arc::new(view);
    }
}
