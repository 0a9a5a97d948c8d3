//! The engine's data model: keys, bounds, cells, rows, partitions, the
//! Murmur3 partitioner, reconciliation, purging and the binary codec of a
//! partition update (DESIGN §4). Pure data and pure functions: no I/O.

pub mod bound;
pub mod cell;
pub mod codec;
pub mod key;
pub mod partition;
pub mod partitioner;
pub mod purge;
pub mod reconcile;
pub mod row;
#[cfg(test)]
pub mod testing;
#[cfg(test)]
mod tests;

pub use bound::{BoundKind, ClusteringBound, Slice, Slices};
pub use cell::{
    Cell, CellKind, ColumnId, CounterShard, CounterShards, DeletionTime, LivenessInfo,
    NO_DELETION_TIME,
};
pub use key::{ClusteringKey, PartitionKey, TableId, Token};
pub use partition::{Partition, PartitionUpdate, PartitionView};
pub use partitioner::{murmur3_token, pack_composite, unpack_composite};
pub use purge::Purger;
pub use row::{RangeTombstone, Row};
