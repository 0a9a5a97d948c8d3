//! The memtable: a table's recent writes in memory, ordered for reads and
//! for the flush to an SSTable (DESIGN §5).
//!
//! Partitions live in a lock-free ordered map (`crossbeam-skiplist`) keyed by
//! [`PartitionKey`] (`(token, key bytes)` order). Each partition's state sits
//! behind its own short mutex: `apply` of one [`PartitionUpdate`] takes it
//! once, so an update is atomic and isolated per partition, and writers to
//! different partitions never contend. Readers take the same mutex only to
//! copy out what they need ([`Partition`] values), so a read sees every
//! update to a partition entirely or not at all. No lock is held across I/O.
//!
//! Merging follows [`crate::model::reconcile`]; the state is kept normalised
//! (shadowed data dropped, range tombstones canonical), so a partition read
//! from here equals `Partition::from_update` of all updates applied to it.
//!
//! Size accounting: `size_bytes` grows by each applied update's heap size
//! (like Cassandra's allocator-based accounting, it does not shrink when
//! data is overwritten); the owner flushes past its threshold. The memtable
//! also records the commitlog position range of the updates it holds, so
//! the commitlog can be discarded up to the end of that range after flush.

mod iter;
mod state;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_skiplist::SkipMap;
use parking_lot::Mutex;

use self::state::PartState;
use crate::commitlog::Position;
use crate::error::{Error, Result};
use crate::model::{PartitionKey, PartitionUpdate, TableId};

/// One table's memtable.
#[derive(Debug)]
pub struct Memtable {
    table: TableId,
    partitions: SkipMap<PartitionKey, Arc<Mutex<PartState>>>,
    size_bytes: AtomicU64,
    positions: Mutex<Option<(Position, Position)>>,
}

impl Memtable {
    /// An empty memtable for `table`.
    pub fn new(table: TableId) -> Self {
        Self {
            table,
            partitions: SkipMap::new(),
            size_bytes: AtomicU64::new(0),
            positions: Mutex::new(None),
        }
    }

    /// The table this memtable belongs to.
    pub fn table(&self) -> TableId {
        self.table
    }

    /// Applies `update`, atomically for its partition. `position` is where
    /// the update sits in the commitlog (`None` when not logged, e.g. tests
    /// or tables with durable writes off).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the update belongs to another table or
    /// breaks the model's ordering invariants.
    pub fn apply(&self, update: &PartitionUpdate, position: Option<Position>) -> Result<()> {
        if update.table != self.table {
            return Err(Error::InvalidArgument(format!(
                "update for table {} applied to the memtable of {}",
                update.table, self.table
            )));
        }
        update
            .check()
            .map_err(|what| Error::InvalidArgument(what.to_string()))?;
        let mut added = update.heap_size() as u64;
        let entry = self.partitions.get_or_insert_with(update.key.clone(), || {
            added += std::mem::size_of::<PartState>() as u64;
            Arc::new(Mutex::new(PartState::default()))
        });
        entry.value().lock().apply(update);
        self.size_bytes.fetch_add(added, Ordering::Relaxed);
        if let Some(position) = position {
            let mut range = self.positions.lock();
            *range = Some(match *range {
                None => (position, position),
                Some((lo, hi)) => (lo.min(position), hi.max(position)),
            });
        }
        Ok(())
    }

    /// Bytes written into this memtable (the flush trigger).
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes.load(Ordering::Relaxed)
    }

    /// Number of partitions.
    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }

    /// True when nothing was applied.
    pub fn is_empty(&self) -> bool {
        self.partitions.is_empty()
    }

    /// The lowest and highest commitlog positions of the updates applied.
    pub fn commitlog_range(&self) -> Option<(Position, Position)> {
        *self.positions.lock()
    }
}
