//! Membership: gossip state and failure detection.
//!
//! Everything here is pure (STYLE §2): time comes in as a parameter, messages
//! go out as values; the node's async wiring owns sockets and timers.

pub mod failure_detector;

pub use failure_detector::{FailureDetector, PHI_CONVICT_THRESHOLD_DEFAULT};
