//! The mutable state of one memtable partition and its in-place `apply`.
//!
//! Rows sit in a `BTreeMap` so that a write costs O(log n) even in a wide
//! time-series partition; deletions re-shadow only the rows they cover
//! (all rows for a partition deletion, the rows of its slice for a range
//! tombstone). The result is identical to `reconcile::apply_update` on the
//! equivalent `Partition` (tested against it).
//!
//! Bytes (clustering keys, values, paths) are copied out of the update into
//! the partition's [`Arena`]: chunks shared by many rows, each row holding
//! `Bytes` views of them. A write then allocates no buffer per key or value
//! (and the caller's update is only borrowed), the map's key is a view of the
//! row's clustering rather than a second allocation, and dropping a flushed
//! memtable frees one chunk per few hundred rows instead of every value.

use std::ops::Bound;

use bytes::{Bytes, BytesMut};

use super::rowmap::RowMap;
use crate::model::reconcile::{
    covering_deletion, merge_range_tombstones, merge_rows_owned, shadow_row,
};
use crate::model::{
    Cell, CellKind, ClusteringKey, DeletionTime, Partition, PartitionKey, PartitionUpdate,
    RangeTombstone, Row, Slice,
};

/// First arena chunk of a partition past its first update (bytes).
const ARENA_CHUNK_MIN: usize = 1024;
/// Largest arena chunk (bytes): bounds the unused tail a partition can hold.
const ARENA_CHUNK_MAX: usize = 16 * 1024;

/// Copies of a partition's bytes, packed into shared chunks.
///
/// The first update of a partition copies each buffer on its own (a
/// single-write partition then costs what a plain copy costs); later ones
/// go to chunks growing from `ARENA_CHUNK_MIN` to `ARENA_CHUNK_MAX`. A view
/// keeps its whole chunk alive, so a chunk is freed once the memtable and
/// every read result holding one of its views are gone.
#[derive(Debug, Default)]
pub(super) struct Arena {
    /// The current chunk's unused capacity.
    free: BytesMut,
    /// Size of the next chunk; 0 until the first update is in.
    next_chunk: usize,
}

impl Arena {
    /// A copy of `bytes` (an empty input costs nothing).
    fn copy(&mut self, bytes: &[u8]) -> Bytes {
        if bytes.is_empty() {
            return Bytes::new();
        }
        if self.next_chunk == 0 {
            return Bytes::copy_from_slice(bytes);
        }
        if self.free.capacity() < bytes.len() {
            if bytes.len() > ARENA_CHUNK_MAX / 2 {
                // Large values get their own buffer: no chunk tail wasted.
                return Bytes::copy_from_slice(bytes);
            }
            self.free = BytesMut::with_capacity(self.next_chunk);
            self.next_chunk = (self.next_chunk * 2).min(ARENA_CHUNK_MAX);
        }
        self.free.extend_from_slice(bytes);
        self.free.split().freeze()
    }

    /// Later updates share chunks.
    fn first_update_done(&mut self) {
        if self.next_chunk == 0 {
            self.next_chunk = ARENA_CHUNK_MIN;
        }
    }

    /// A copy of `cell` whose buffers live in the arena.
    fn cell(&mut self, cell: &Cell) -> Cell {
        let kind = match &cell.kind {
            CellKind::Live { value } => CellKind::Live {
                value: self.copy(value),
            },
            CellKind::Expiring {
                value,
                ttl_s,
                local_expiration_s,
            } => CellKind::Expiring {
                value: self.copy(value),
                ttl_s: *ttl_s,
                local_expiration_s: *local_expiration_s,
            },
            other @ (CellKind::Tombstone { .. } | CellKind::Counter { .. }) => other.clone(),
        };
        Cell {
            column: cell.column,
            path: cell.path.as_ref().map(|p| self.copy(p)),
            timestamp: cell.timestamp,
            kind,
        }
    }

    /// A copy of `row` whose buffers live in the arena.
    fn row(&mut self, row: &Row) -> Row {
        Row {
            clustering: ClusteringKey(self.copy(row.clustering.as_bytes())),
            liveness: row.liveness,
            deletion: row.deletion,
            complex_deletions: row.complex_deletions.clone(),
            cells: row.cells.iter().map(|c| self.cell(c)).collect(),
        }
    }
}

/// One partition's state.
#[derive(Debug, Default)]
pub(super) struct PartState {
    pub(super) partition_deletion: DeletionTime,
    pub(super) static_row: Option<Row>,
    pub(super) rows: RowMap,
    /// Normalised (see `merge_range_tombstones`).
    pub(super) range_tombstones: Vec<RangeTombstone>,
    /// Where the rows' bytes live.
    arena: Arena,
}

/// The `BTreeMap` range of the keys inside `slice` (`None` when empty).
pub(super) fn key_range(slice: &Slice) -> Option<(Bound<ClusteringKey>, Bound<ClusteringKey>)> {
    if slice.is_empty() {
        return None;
    }
    let start = slice.start.position_bytes()?;
    let end = match slice.end.position_bytes() {
        Some(end) => Bound::Excluded(ClusteringKey(end)),
        None => Bound::Unbounded,
    };
    Some((Bound::Included(ClusteringKey(start)), end))
}

impl PartState {
    /// Merges `update`; its bytes are copied into the partition's arena.
    pub(super) fn apply(&mut self, update: &PartitionUpdate) {
        let pd_changed = update
            .partition_deletion
            .supersedes(&self.partition_deletion);
        if pd_changed {
            self.partition_deletion = update.partition_deletion;
        }
        if pd_changed || !update.range_tombstones.is_empty() {
            self.range_tombstones = merge_range_tombstones(
                self.range_tombstones.iter().chain(&update.range_tombstones),
                self.partition_deletion,
            );
        }
        let update_static = update.static_row.as_ref().map(|r| self.arena.row(r));
        let static_row = match (self.static_row.take(), update_static) {
            (Some(a), Some(b)) => Some(merge_rows_owned(a, b)),
            (a, b) => a.or(b),
        };
        self.static_row = static_row
            .map(|r| shadow_row(r, self.partition_deletion))
            .filter(|r| !r.is_empty());
        if pd_changed {
            for row in self.rows.take_all() {
                self.put(row);
            }
        } else {
            for rt in &update.range_tombstones {
                let Some(range) = key_range(&rt.slice) else {
                    continue;
                };
                let keys: Vec<ClusteringKey> = self
                    .rows
                    .range(range)
                    .map(|r| r.clustering.clone())
                    .collect();
                for key in keys {
                    if let Some(row) = self.rows.remove(&key) {
                        self.put(row);
                    }
                }
            }
        }
        for row in &update.rows {
            let row = self.arena.row(row);
            // One search: merged in place when present (most writes to a
            // partition touch rows it has), inserted otherwise.
            let active = self
                .partition_deletion
                .max(covering_deletion(&self.range_tombstones, &row.clustering));
            match self.rows.get_mut(&row.clustering) {
                Some(existing) => {
                    *existing = shadow_row(merge_rows_owned(std::mem::take(existing), row), active);
                    if existing.is_empty() {
                        let key = existing.clustering.clone();
                        self.rows.remove(&key);
                    }
                }
                None => self.put(row),
            }
        }
        self.arena.first_update_done();
    }

    /// Inserts `row` after shadowing it by the deletions above it.
    fn put(&mut self, row: Row) {
        let active = self
            .partition_deletion
            .max(covering_deletion(&self.range_tombstones, &row.clustering));
        let row = shadow_row(row, active);
        if !row.is_empty() {
            self.rows.insert(row);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.partition_deletion.is_live()
            && self.static_row.is_none()
            && self.rows.is_empty()
            && self.range_tombstones.is_empty()
    }

    /// A copy of the whole partition.
    pub(super) fn to_partition(&self, key: &PartitionKey) -> Partition {
        Partition {
            key: key.clone(),
            partition_deletion: self.partition_deletion,
            static_row: self.static_row.clone(),
            rows: self.rows.values().cloned().collect(),
            range_tombstones: self.range_tombstones.clone(),
        }
    }
}
