//! The CQL layer: statements in, reads and writes of partitions out
//! (DESIGN §3, the `cql` and `execution` arrows).
//!
//! - [`prepared_cache`]: deterministic prepared ids and the bounded cache.
//! - [`terms`]: binding literals, bind values and functions to typed values.
//! - [`values`]: how CQL values are laid out as storage keys, cells and paths.

pub mod prepared_cache;
pub mod terms;
pub mod values;
