//! The CQL layer: statements in, reads and writes of partitions out
//! (DESIGN §3, the `cql` and `execution` arrows).
//!
//! - [`aggregate`]: aggregates and GROUP BY.
//! - [`collections`]: element and slice selection on maps and sets.
//! - [`counters`]: counter increments (read-before-write of this node's shard).
//! - [`ddl`]: schema statements.
//! - [`describe`]: server-side DESCRIBE.
//! - [`json`]: CQL values as JSON (SELECT JSON, INSERT JSON).
//! - [`keys`]: primary key restrictions of WHERE clauses.
//! - [`markers`]: bind marker metadata for PREPARE.
//! - [`modify`]: INSERT/UPDATE/DELETE into engine mutations.
//! - [`prepared_cache`]: deterministic prepared ids and the bounded cache.
//! - [`processor`]: the transport's request handler (QUERY, PREPARE, EXECUTE).
//! - [`read`]: SELECT on user tables: engine reads and rows.
//! - [`result`]: result sets and their protocol encoding.
//! - [`select`]: SELECT over row sets (filtering, order, limits, projection).
//! - [`selection`]: SELECT clauses compiled into selector trees.
//! - [`system_views`]: the generated system tables drivers read.
//! - [`terms`]: binding literals, bind values and functions to typed values.
//! - [`values`]: how CQL values are laid out as storage keys, cells and paths.

pub mod aggregate;
pub mod collections;
pub mod counters;
pub mod ddl;
pub mod describe;
pub mod json;
pub mod keys;
pub mod lwt;
pub mod markers;
pub mod modify;
pub mod prepared_cache;
pub mod processor;
pub mod projection;
pub mod read;
pub mod result;
pub mod select;
pub mod selection;
pub mod selector_functions;
pub mod system_views;
pub mod terms;
pub mod values;
