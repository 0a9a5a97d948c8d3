//! Sibyl's bulk loader (`sibyl-load`), load generator (`sibyl-stress`) and
//! local-cluster tool (`sibyl-cluster`), as library modules under thin binaries.
//!
//! - [`echo`]: the echo server (protocol + loopback floor).
//! - [`error`]: the library error type ([`error::ToolError`]).
//! - [`common`]: host lists, durations, consistency names, typed prepares.
//! - [`stress`], [`histo`], [`report`]: workloads, HDR recording, JSON/HTML output.
//! - [`load`]: the bulk loader (input, parsing, batching, checkpoints).
//! - [`generate`]: the time-series input generator.
//! - [`cluster`]: local multi-node clusters on loopback (`sibyl-cluster`, tests).

pub mod cluster;
pub mod common;
pub mod echo;
pub mod error;
pub mod generate;
pub mod histo;
pub mod load;
pub mod report;
pub mod ring;
pub mod stress;
