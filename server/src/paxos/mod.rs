//! Lightweight transactions: Paxos per partition (DESIGN §6; the protocol
//! and its safety argument are in `docs/paxos.md`).
//!
//! - [`ballot`]: ballots from a hybrid clock that never goes backwards.
//! - [`state`]: a replica's promise/accept/commit state and its bytes.
//! - [`store`]: the replica side, durable in an internal engine table.
//! - [`messages`]: the Paxos verbs' bodies.
//! - [`coordinator`]: the proposer: compare-and-set and SERIAL reads.
//! - `accept` (private): the proposer's phase 2 and commit, learning the
//!   choice on accept when it is itself a participant.
//! - `exchange` (private): one message exchange with the participants.

mod accept;
pub mod ballot;
pub mod coordinator;
mod exchange;
pub mod messages;
pub mod state;
pub mod store;

pub use ballot::{Ballot, BallotClock};
pub use coordinator::{CasOutcome, Paxos};
pub use store::PaxosStore;
