//! The memtable: a table's recent writes in memory, ordered for reads and
//! for the flush to an SSTable (DESIGN §5).
//!
//! Partitions live in a sharded ordered map (`map`) keyed by
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
//!
//! Contract for the owner (the engine): "append to the commitlog, then apply
//! here" must be atomic with respect to switching memtables (e.g. writers
//! hold a read lock across both, the switch takes the write lock).
//! Otherwise a record at position 100 could land in the new memtable while
//! record 101 lands in the old one, and discarding the log up to the old
//! memtable's end (101) after its flush would lose record 100 on a crash.

mod iter;
mod map;
mod rowmap;
mod state;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use parking_lot::Mutex;

use self::map::PartitionMap;
pub use self::rowmap::Values as RowValues;
use self::state::PartState;
use crate::commitlog::Position;
use crate::error::{Error, Result};
use crate::model::{PartitionUpdate, RangeTombstone, Row, TableId};

/// Estimated bytes of a map entry, its `Arc` and mutex per partition.
const PARTITION_OVERHEAD_BYTES: usize = 128;

/// One table's memtable.
#[derive(Debug)]
pub struct Memtable {
    table: TableId,
    partitions: PartitionMap,
    size_bytes: AtomicU64,
    positions: Mutex<Option<(Position, Position)>>,
    /// The smallest timestamp of any applied update (`i64::MAX` when none).
    min_timestamp: AtomicI64,
}

impl Memtable {
    /// An empty memtable for `table`.
    pub fn new(table: TableId) -> Self {
        Self {
            table,
            partitions: PartitionMap::new(),
            size_bytes: AtomicU64::new(0),
            positions: Mutex::new(None),
            min_timestamp: AtomicI64::new(i64::MAX),
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
        // What the partition state will hold: the rows and range tombstones
        // (the update's own envelope is not kept); a new partition adds its
        // key, state and skip-list node.
        let rows: usize = update
            .rows
            .iter()
            .chain(&update.static_row)
            .map(Row::heap_size)
            .sum();
        let rts = update.range_tombstones.len() * std::mem::size_of::<RangeTombstone>();
        let mut added = (rows + rts) as u64;
        // Lowered before the data is visible, so a compaction that sees the
        // data in a version also sees a bound at or below its timestamps (the
        // bound only falls, so a load at or below ours needs no write).
        let min_ts = update_min_timestamp(update);
        if min_ts < self.min_timestamp.load(Ordering::Acquire) {
            self.min_timestamp.fetch_min(min_ts, Ordering::AcqRel);
        }
        // The state is applied to outside the shard's lock: a long apply (a
        // partition deletion re-shadowing a wide partition) never holds up
        // writers and readers of other partitions in the shard.
        let (state, created) = self.partitions.get_or_insert(&update.key);
        state.lock().apply(update);
        if created {
            let node = std::mem::size_of::<PartState>() + PARTITION_OVERHEAD_BYTES;
            added += (node + update.key.key().len()) as u64;
        }
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
        self.partitions.len() == 0
    }

    /// The lowest and highest commitlog positions of the updates applied.
    pub fn commitlog_range(&self) -> Option<(Position, Position)> {
        *self.positions.lock()
    }

    /// The smallest write or deletion timestamp of every update applied
    /// (`None` when none): compaction purges nothing at or above it, since
    /// this memtable may hold data such a tombstone shadows. Conservative:
    /// data overwritten since still counts.
    pub fn min_timestamp(&self) -> Option<i64> {
        let min = self.min_timestamp.load(Ordering::Acquire);
        (min != i64::MAX).then_some(min)
    }
}

/// The smallest timestamp in `update` (cells, markers, deletions at every
/// level); `i64::MAX` for an empty update.
fn update_min_timestamp(update: &PartitionUpdate) -> i64 {
    let rows = update.rows.iter().chain(&update.static_row);
    let rows_min = rows
        .map(|r| {
            let cells = r.cells.iter().map(|c| c.timestamp);
            let marker = r.liveness.map(|l| l.timestamp);
            let deletions = std::iter::once(r.deletion)
                .chain(r.complex_deletions.iter().map(|(_, d)| *d))
                .filter(|d| !d.is_live())
                .map(|d| d.marked_for_delete_at);
            cells
                .chain(marker)
                .chain(deletions)
                .min()
                .unwrap_or(i64::MAX)
        })
        .min()
        .unwrap_or(i64::MAX);
    let rts = update
        .range_tombstones
        .iter()
        .map(|rt| rt.deletion.marked_for_delete_at);
    let pd = (!update.partition_deletion.is_live())
        .then_some(update.partition_deletion.marked_for_delete_at);
    rts.chain(pd).fold(rows_min, i64::min)
}
