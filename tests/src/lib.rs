//! `sibyl-tests`: the shared harness of the integration tests.
//!
//! Real clients are the judges (DESIGN §8): tests start real `sibyld`
//! processes and drive them with the scylla Rust driver, the Python
//! `cassandra-driver` and `cqlsh`.
//!
//! - [`cluster`]: several nodes joined by gossip, Python scripts run in phases.
//! - [`linearizability`]: a Wing–Gong–Lowe linearizability checker for
//!   recorded LWT histories (register and unique-insert set).
//! - [`local_cluster`]: multi-node clusters of real `sibyld` processes through
//!   the `sibyl-cluster` library.
//! - [`node`]: real `sibyld` processes on loopback addresses.
//! - [`python`]: a virtualenv with the pinned Python driver and cqlsh,
//!   installed on first use under the target directory.
#![deny(missing_docs)]

pub mod cluster;
pub mod linearizability;
pub mod local_cluster;
pub mod node;
pub mod python;
