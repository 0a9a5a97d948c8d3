//! Internode messaging (DESIGN §6): verbs, the framed TCP protocol between
//! nodes, and the message filter used for fault injection.

pub mod filter;
pub mod frame;
pub mod messaging;
pub mod verb;

pub use filter::{Direction, FilterAction, FilterRule, FilterRules, MessageFilter, Verdict};
pub use messaging::{MessageHandler, Messaging, NetError, ResponseCallback};
pub use verb::Verb;
