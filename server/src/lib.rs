//! `sibyl-server`: the `sibyld` node.
//!
//! The crate follows the data path of DESIGN §3; today it holds:
//! - [`config`]: the node configuration (TOML keys following `cassandra.yaml`,
//!   overridden by flags), validated at start-up.
//! - [`schema`]: keyspaces, tables, columns and types as immutable snapshots.
#![deny(missing_docs)]

pub mod config;
pub mod schema;
