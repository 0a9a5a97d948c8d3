//! The CQL layer: statements in, reads and writes of partitions out
//! (DESIGN §3, the `cql` and `execution` arrows).
//!
//! - [`values`]: how CQL values are laid out as storage keys, cells and paths.

pub mod values;
