//! The mutable state of one memtable partition and its in-place `apply`.
//!
//! Rows sit in a `BTreeMap` so that a write costs O(log n) even in a wide
//! time-series partition; deletions re-shadow only the rows they cover
//! (all rows for a partition deletion, the rows of its slice for a range
//! tombstone). The result is identical to `reconcile::apply_update` on the
//! equivalent `Partition` (tested against it).

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::model::reconcile::{
    covering_deletion, merge_range_tombstones, merge_rows_owned, shadow_row,
};
use crate::model::{
    ClusteringKey, DeletionTime, Partition, PartitionKey, PartitionUpdate, RangeTombstone, Row,
    Slice,
};

/// One partition's state.
#[derive(Debug, Default)]
pub(super) struct PartState {
    pub(super) partition_deletion: DeletionTime,
    pub(super) static_row: Option<Row>,
    pub(super) rows: BTreeMap<ClusteringKey, Row>,
    /// Normalised (see `merge_range_tombstones`).
    pub(super) range_tombstones: Vec<RangeTombstone>,
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
    /// Merges `update` (taken by value: its rows and cells move in).
    pub(super) fn apply(&mut self, update: PartitionUpdate) {
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
        let static_row = match (self.static_row.take(), update.static_row) {
            (Some(a), Some(b)) => Some(merge_rows_owned(a, b)),
            (a, b) => a.or(b),
        };
        self.static_row = static_row
            .map(|r| shadow_row(r, self.partition_deletion))
            .filter(|r| !r.is_empty());
        if pd_changed {
            let rows = std::mem::take(&mut self.rows);
            for (key, row) in rows {
                self.put(key, row);
            }
        } else {
            for rt in &update.range_tombstones {
                let Some(range) = key_range(&rt.slice) else {
                    continue;
                };
                let keys: Vec<ClusteringKey> =
                    self.rows.range(range).map(|(k, _)| k.clone()).collect();
                for key in keys {
                    if let Some(row) = self.rows.remove(&key) {
                        self.put(key, row);
                    }
                }
            }
        }
        for row in update.rows {
            // One search: merged in place when present (most writes to a
            // partition touch rows it has), inserted otherwise.
            let active = self
                .partition_deletion
                .max(covering_deletion(&self.range_tombstones, &row.clustering));
            match self.rows.get_mut(&row.clustering) {
                Some(existing) => {
                    let merged =
                        shadow_row(merge_rows_owned(std::mem::take(existing), row), active);
                    if merged.is_empty() {
                        let key = merged.clustering;
                        self.rows.remove(&key);
                    } else {
                        *existing = merged;
                    }
                }
                None => self.put(row.clustering.clone(), row),
            }
        }
    }

    /// Inserts `row` after shadowing it by the deletions above it.
    fn put(&mut self, key: ClusteringKey, row: Row) {
        let active = self
            .partition_deletion
            .max(covering_deletion(&self.range_tombstones, &key));
        let row = shadow_row(row, active);
        if !row.is_empty() {
            self.rows.insert(key, row);
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
