//! `sibyl-server`: the `sibyld` node.
//!
//! The crate follows the data path of DESIGN §3; today it holds:
//! - [`admin`]: the admin HTTP port (fault rules, status, Prometheus metrics).
//! - [`auth`]: roles, password logins and role statements (PasswordAuthenticator).
//! - [`clock`]: the time seam and write timestamp generation.
//! - [`config`]: the node configuration (TOML keys following `cassandra.yaml`,
//!   overridden by flags), validated at start-up.
//! - [`coordinator`]: consistency levels, replica plans, read repair, the replica verbs.
//! - [`cql`]: the CQL layer; today the CQL-value <-> storage-bytes mapping.
//! - [`dispatch`]: routes internode messages by verb to their service.
//! - [`durable_file`]: small files replaced atomically and durably.
//! - [`error`]: the request error taxonomy and its mapping to protocol errors.
//! - [`gossip`]: the pure gossip state machine and phi-accrual failure detection.
//! - [`hints`]: hinted handoff: hints on disk, replayed when the node is back.
//! - [`membership`]: the gossip task: ring, liveness, schema sync, client events.
//! - [`metrics`]: named atomic counters rendered for Prometheus.
//! - [`net`]: internode messaging: verbs, frames, connections, the fault filter.
//! - [`node`]: wiring of one node and its start-up.
//! - [`paxos`]: lightweight transactions: ballots, replica state, the proposer.
//! - [`ring`]: the token ring and replica placement per replication strategy.
//! - [`schema`]: keyspaces, tables, columns and types as immutable snapshots.
//! - [`shutdown`]: the signal long-running tasks watch.
//! - [`storage`]: the local table store over the storage engine.
//! - [`traces`]: query tracing: traced requests' sessions and events (`system_traces`).
//! - [`transport`]: the native protocol server (connections, handshake, limits).
#![deny(missing_docs)]

pub mod admin;
pub mod auth;
pub mod clock;
pub mod config;
pub mod coordinator;
pub mod cql;
pub mod dispatch;
pub mod durable_file;
pub mod error;
pub mod gossip;
pub mod hints;
pub mod membership;
pub mod metrics;
pub mod net;
pub mod node;
pub mod paxos;
pub mod ring;
pub mod schema;
pub mod shutdown;
pub mod storage;
pub mod traces;
pub mod transport;
