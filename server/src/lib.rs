//! `sibyl-server`: the `sibyld` node.
//!
//! The crate follows the data path of DESIGN §3; today it holds:
//! - [`admin`]: the admin HTTP port (fault rules, status, Prometheus metrics).
//! - [`clock`]: the time seam and write timestamp generation.
//! - [`config`]: the node configuration (TOML keys following `cassandra.yaml`,
//!   overridden by flags), validated at start-up.
//! - [`cql`]: the CQL layer; today the CQL-value <-> storage-bytes mapping.
//! - [`error`]: the request error taxonomy and its mapping to protocol errors.
//! - [`gossip`]: membership; today the phi-accrual failure detector.
//! - [`metrics`]: named atomic counters rendered for Prometheus.
//! - [`net`]: internode messaging: verbs, frames, connections, the fault filter.
//! - [`node`]: wiring of one node and its start-up.
//! - [`ring`]: the token ring and replica placement per replication strategy.
//! - [`schema`]: keyspaces, tables, columns and types as immutable snapshots.
//! - [`shutdown`]: the signal long-running tasks watch.
//! - [`storage`]: the local table store over the storage engine.
//! - [`transport`]: the native protocol server (connections, handshake, limits).
#![deny(missing_docs)]

pub mod admin;
pub mod clock;
pub mod config;
pub mod cql;
pub mod error;
pub mod gossip;
pub mod metrics;
pub mod net;
pub mod node;
pub mod ring;
pub mod schema;
pub mod shutdown;
pub mod storage;
pub mod transport;
