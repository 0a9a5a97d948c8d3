//! The CQL layer: statements in, reads and writes of partitions out
//! (DESIGN §3, the `cql` and `execution` arrows).
//!
//! - [`ddl`]: schema statements.
//! - [`describe`]: server-side DESCRIBE.
//! - [`markers`]: bind marker metadata for PREPARE.
//! - [`prepared_cache`]: deterministic prepared ids and the bounded cache.
//! - [`processor`]: the transport's request handler (QUERY, PREPARE, EXECUTE).
//! - [`result`]: result sets and their protocol encoding.
//! - [`select`]: SELECT over row sets (filtering, order, limits, projection).
//! - [`system_views`]: the generated system tables drivers read.
//! - [`terms`]: binding literals, bind values and functions to typed values.
//! - [`values`]: how CQL values are laid out as storage keys, cells and paths.

pub mod ddl;
pub mod describe;
pub mod markers;
pub mod prepared_cache;
pub mod processor;
pub mod result;
pub mod select;
pub mod system_views;
pub mod terms;
pub mod values;
