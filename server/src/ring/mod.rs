//! The token ring: which node owns which tokens, and which nodes replicate a
//! token under a keyspace's replication strategy.
//!
//! A [`TokenRing`] is an immutable snapshot (membership changes build a new
//! one); replica planning is a pure function of the ring, the strategy and the
//! token, so it is table-tested without any node running.

pub mod replication;
pub mod token_ring;

pub use replication::natural_replicas;
pub use token_ring::{HostId, NodeInfo, RingError, TokenRing, random_tokens};
