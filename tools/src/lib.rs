//! Sibyl's bulk loader (`sibyl-load`) and load generator (`sibyl-stress`),
//! as library modules under two thin binaries.
//!
//! - [`echo`]: the echo server (protocol + loopback floor).
//! - [`error`]: the library error type ([`error::ToolError`]).
//! - [`common`]: host lists, durations, consistency names, typed prepares.
//! - [`stress`], [`histo`], [`report`]: workloads, HDR recording, JSON/HTML output.
//! - [`load`]: the bulk loader (input, parsing, batching, checkpoints).
//! - [`generate`]: the time-series input generator.

pub mod common;
pub mod echo;
pub mod error;
pub mod generate;
pub mod histo;
pub mod load;
pub mod report;
pub mod stress;
