//! [`TokenRing`]: tokens sorted around the ring, each owned by one node.
//!
//! A node owns the range `(previous token, its token]`, wrapping at the end, so
//! token `t` belongs to the first ring token `>= t` (or to the first token of
//! the ring when `t` is past the last). This is what drivers assume when they
//! route by token (COMPAT §2.6).

use std::collections::BTreeMap;
use std::net::IpAddr;

/// A node's identity: its host id, stable across restarts and address changes.
pub type HostId = uuid::Uuid;

/// What the ring knows about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node's address (all its ports bind it).
    pub address: IpAddr,
    /// Data center.
    pub dc: String,
    /// Rack within the data center.
    pub rack: String,
}

/// Why a ring could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RingError {
    /// Two nodes claim the same token.
    #[error("token {token} is owned by both {first} and {second}")]
    DuplicateToken {
        /// The token.
        token: i64,
        /// One owner.
        first: HostId,
        /// The other owner.
        second: HostId,
    },
    /// A token names a node the ring has no information about.
    #[error("token {token} belongs to unknown node {host}")]
    UnknownNode {
        /// The token.
        token: i64,
        /// The node.
        host: HostId,
    },
}

/// An immutable ring snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRing {
    /// Ring tokens in ascending order with their owners.
    tokens: Vec<(i64, HostId)>,
    /// Every node with tokens.
    nodes: BTreeMap<HostId, NodeInfo>,
}

impl TokenRing {
    /// Builds a ring from each node's tokens.
    ///
    /// # Errors
    /// A token claimed twice, or a token of a node missing from `nodes`.
    pub fn new(
        nodes: BTreeMap<HostId, NodeInfo>,
        tokens: impl IntoIterator<Item = (i64, HostId)>,
    ) -> Result<Self, RingError> {
        let mut by_token: BTreeMap<i64, HostId> = BTreeMap::new();
        for (token, host) in tokens {
            if !nodes.contains_key(&host) {
                return Err(RingError::UnknownNode { token, host });
            }
            if let Some(first) = by_token.insert(token, host)
                && first != host
            {
                return Err(RingError::DuplicateToken {
                    token,
                    first,
                    second: host,
                });
            }
        }
        Ok(Self {
            tokens: by_token.into_iter().collect(),
            nodes,
        })
    }

    /// True when no node has tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// All ring tokens in order with their owners.
    pub fn tokens(&self) -> &[(i64, HostId)] {
        &self.tokens
    }

    /// The nodes of the ring.
    pub fn nodes(&self) -> &BTreeMap<HostId, NodeInfo> {
        &self.nodes
    }

    /// A node's information.
    pub fn node(&self, host: &HostId) -> Option<&NodeInfo> {
        self.nodes.get(host)
    }

    /// The tokens one node owns, ascending.
    pub fn tokens_of(&self, host: &HostId) -> Vec<i64> {
        self.tokens
            .iter()
            .filter(|(_, h)| h == host)
            .map(|(t, _)| *t)
            .collect()
    }

    /// Index into [`Self::tokens`] of the ring token owning `token`.
    pub fn owner_index(&self, token: i64) -> Option<usize> {
        if self.tokens.is_empty() {
            return None;
        }
        let index = self.tokens.partition_point(|(t, _)| *t < token);
        Some(if index == self.tokens.len() { 0 } else { index })
    }

    /// The node owning `token` (its primary replica).
    pub fn owner(&self, token: i64) -> Option<HostId> {
        self.owner_index(token)
            .and_then(|i| self.tokens.get(i))
            .map(|(_, h)| *h)
    }

    /// Ring owners starting at the owner of `token`, walking clockwise once round.
    pub fn walk_from(&self, token: i64) -> impl Iterator<Item = HostId> + '_ {
        let start = self.owner_index(token).unwrap_or(0);
        let (before, after) = self.tokens.split_at(start.min(self.tokens.len()));
        after.iter().chain(before.iter()).map(|(_, h)| *h)
    }

    /// Nodes per data center.
    pub fn nodes_in_dc(&self, dc: &str) -> usize {
        self.nodes.values().filter(|n| n.dc == dc).count()
    }

    /// Distinct racks per data center.
    pub fn racks_in_dc(&self, dc: &str) -> usize {
        let racks: std::collections::BTreeSet<&str> = self
            .nodes
            .values()
            .filter(|n| n.dc == dc)
            .map(|n| n.rack.as_str())
            .collect();
        racks.len()
    }

    /// Data centers with at least one node, sorted.
    pub fn data_centers(&self) -> Vec<String> {
        let dcs: std::collections::BTreeSet<&String> = self.nodes.values().map(|n| &n.dc).collect();
        dcs.into_iter().cloned().collect()
    }
}

/// `count` distinct random tokens for a new node, from a caller-seeded source
/// of 64-bit values (DESIGN §7: randomness through a seam).
pub fn random_tokens(count: usize, mut next_u64: impl FnMut() -> u64) -> Vec<i64> {
    let mut tokens = std::collections::BTreeSet::new();
    while tokens.len() < count {
        let token = i64::from_ne_bytes(next_u64().to_ne_bytes());
        // i64::MIN is the partitioner's minimum token, never a node's token.
        if token != i64::MIN {
            tokens.insert(token);
        }
    }
    tokens.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn host(n: u128) -> HostId {
        uuid::Uuid::from_u128(n)
    }

    fn node(last_octet: u8, dc: &str, rack: &str) -> NodeInfo {
        NodeInfo {
            address: IpAddr::from([127, 0, 0, last_octet]),
            dc: dc.into(),
            rack: rack.into(),
        }
    }

    fn three_nodes() -> TokenRing {
        let nodes = (1..=3)
            .map(|i| (host(i), node(u8::try_from(i).unwrap(), "dc1", "r1")))
            .collect();
        TokenRing::new(nodes, [(-100, host(1)), (0, host(2)), (100, host(3))]).unwrap()
    }

    #[test]
    fn a_token_belongs_to_the_first_ring_token_at_or_after_it() {
        let ring = three_nodes();
        let cases = [
            (-101, 1),
            (-100, 1),
            (-99, 2),
            (0, 2),
            (1, 3),
            (100, 3),
            (101, 1),
            (i64::MAX, 1),
            (i64::MIN, 1),
        ];
        for (token, owner) in cases {
            assert_eq!(ring.owner(token), Some(host(owner)), "token {token}");
        }
        let walk: Vec<_> = ring.walk_from(50).collect();
        assert_eq!(walk, [host(3), host(1), host(2)]);
    }

    #[test]
    fn bad_rings_are_refused() {
        let nodes: BTreeMap<_, _> = [
            (host(1), node(1, "dc1", "r1")),
            (host(2), node(2, "dc1", "r1")),
        ]
        .into();
        let duplicate = TokenRing::new(nodes.clone(), [(5, host(1)), (5, host(2))]);
        assert!(matches!(
            duplicate,
            Err(RingError::DuplicateToken { token: 5, .. })
        ));
        let unknown = TokenRing::new(nodes, [(5, host(9))]);
        assert!(matches!(unknown, Err(RingError::UnknownNode { .. })));
        assert_eq!(TokenRing::default().owner(0), None);
    }

    #[test]
    fn random_tokens_are_distinct_and_never_the_minimum() {
        let mut values = [u64::from_ne_bytes(i64::MIN.to_ne_bytes()), 7, 7, 3, 9]
            .into_iter()
            .cycle();
        let tokens = random_tokens(3, || values.next().unwrap_or(1));
        assert_eq!(tokens, [3, 7, 9]);
    }
}
