//! Membership: gossip state, the gossiper and failure detection.
//!
//! Everything here is pure (STYLE §2): time comes in as `now_ns`, randomness
//! as a closure, messages go out as values; the node's async wiring owns
//! sockets and timers and turns [`MembershipEvent`]s into client EVENTs,
//! hint replays and schema pulls.
//!
//! - [`state`]: what gossip carries (endpoint states, the message, limits).
//! - [`gossiper`]: the state machine (rounds, merge, liveness, events).
//! - [`view`]: the typed reading of an endpoint for the ring and system tables.
//! - [`failure_detector`]: phi-accrual suspicion from heartbeat arrivals.

pub mod failure_detector;
pub mod gossiper;
pub mod state;
pub mod view;

#[cfg(test)]
mod gossiper_sim_tests;
#[cfg(test)]
mod gossiper_tests;

pub use failure_detector::{FailureDetector, PHI_CONVICT_THRESHOLD_DEFAULT};
pub use gossiper::{ENDPOINTS_MAX, Gossiper, MembershipEvent};
pub use state::{
    AppStateKey, EndpointState, GossipMessage, GossipMessageError, STATUS_LEFT, STATUS_NORMAL,
    STATUS_SHUTDOWN, VersionedValue, decode_tokens, encode_tokens,
};
pub use view::EndpointView;
