//! Internode messaging (DESIGN §6): verbs, the framed TCP protocol between
//! nodes behind a [`Transport`] seam (TCP, or in memory for tests), and the
//! message filter used for fault injection.

pub mod filter;
pub mod frame;
pub mod messaging;
pub mod tcp;
pub mod transport;
pub mod verb;

pub use filter::{Direction, FilterAction, FilterRule, FilterRules, MessageFilter, Verdict};
pub use messaging::{MessageHandler, Messaging, NetError, ResponseCallback};
pub use transport::{MemoryNetwork, Transport};
pub use verb::Verb;
