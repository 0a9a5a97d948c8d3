//! Reads from a memtable: one partition through clustering slices, and
//! partitions in `(token, key)` order over a key or token range (flush,
//! token-range scans, paging). Every result is a copy taken under the
//! partition's mutex, so it reflects whole updates only.

use std::ops::Bound;

use super::Memtable;
use super::state::{PartState, key_range};
use crate::model::{Partition, PartitionKey, PartitionView, Slices, Token};

impl Memtable {
    /// The whole partition `key`, if the memtable holds it.
    pub fn get(&self, key: &PartitionKey) -> Option<Partition> {
        let entry = self.partitions.get(key)?;
        let state = entry.lock();
        (!state.is_empty()).then(|| state.to_partition(key))
    }

    /// Partition `key` restricted to `slices`: the partition deletion, the
    /// static row, the range tombstones that intersect a slice, and at most
    /// `row_limit` rows taken from the start of the slices (from their end
    /// when `reversed`). Rows stay in ascending order in the result; a
    /// reversed reader walks them backwards. Callers needing more rows read
    /// again with slices starting after the last row returned.
    pub fn get_slices(
        &self,
        key: &PartitionKey,
        slices: &Slices,
        reversed: bool,
        row_limit: usize,
    ) -> Option<Partition> {
        let entry = self.partitions.get(key)?;
        let state = entry.lock();
        if state.is_empty() {
            return None;
        }
        let mut rows = Vec::new();
        let mut ordered: Vec<_> = slices.as_slice().iter().collect();
        if reversed {
            ordered.reverse();
        }
        for slice in ordered {
            let Some(range) = key_range(slice) else {
                continue;
            };
            let want = row_limit - rows.len();
            if want == 0 {
                break;
            }
            if reversed {
                rows.extend(state.rows.range(range).rev().take(want).cloned());
            } else {
                rows.extend(state.rows.range(range).take(want).cloned());
            }
        }
        if reversed {
            rows.reverse();
        }
        let range_tombstones = state
            .range_tombstones
            .iter()
            .filter(|rt| slices.as_slice().iter().any(|s| s.intersects(&rt.slice)))
            .cloned()
            .collect();
        Some(Partition {
            key: key.clone(),
            partition_deletion: state.partition_deletion,
            static_row: state.static_row.clone(),
            rows,
            range_tombstones,
        })
    }

    /// Partitions with keys in `(start, end)`, in `(token, key)` order. The
    /// iterator walks the live map: partitions inserted concurrently may or
    /// may not be seen; each partition returned is a consistent copy.
    pub fn range(
        &self,
        start: Bound<PartitionKey>,
        end: Bound<PartitionKey>,
    ) -> impl Iterator<Item = Partition> + '_ {
        self.partitions
            .range(start, end)
            .filter_map(|(key, state)| {
                let state: parking_lot::MutexGuard<'_, PartState> = state.lock();
                (!state.is_empty()).then(|| state.to_partition(&key))
            })
    }

    /// Calls `f` with every non-empty partition in `(token, key)` order,
    /// borrowed under its mutex (flush encodes it without copying rows);
    /// stops at the first error.
    ///
    /// # Errors
    /// The first error `f` returns.
    pub fn for_each_partition<E>(
        &self,
        mut f: impl FnMut(&PartitionView<'_, super::RowValues<'_>>) -> Result<(), E>,
    ) -> Result<(), E> {
        for (key, state) in self.partitions.range(Bound::Unbounded, Bound::Unbounded) {
            let state: parking_lot::MutexGuard<'_, PartState> = state.lock();
            if state.is_empty() {
                continue;
            }
            f(&PartitionView {
                key: &key,
                partition_deletion: state.partition_deletion,
                static_row: state.static_row.as_ref(),
                rows: state.rows.values(),
                range_tombstones: &state.range_tombstones,
            })?;
        }
        Ok(())
    }

    /// Every partition in `(token, key)` order, copied.
    pub fn iter(&self) -> impl Iterator<Item = Partition> + '_ {
        self.range(Bound::Unbounded, Bound::Unbounded)
    }

    /// Partitions whose token lies in `(start, end)`, in order.
    pub fn token_range(
        &self,
        start: Bound<Token>,
        end: Bound<Token>,
    ) -> Box<dyn Iterator<Item = Partition> + '_> {
        // (t, empty key) is the smallest key of token t.
        let lowest = |t: Token| PartitionKey::from_parts(t, bytes::Bytes::new());
        let start = match start {
            Bound::Included(t) => Bound::Included(lowest(t)),
            Bound::Excluded(Token(i64::MAX)) => return Box::new(std::iter::empty()),
            Bound::Excluded(Token(t)) => Bound::Included(lowest(Token(t + 1))),
            Bound::Unbounded => Bound::Unbounded,
        };
        let end = match end {
            Bound::Included(Token(i64::MAX)) | Bound::Unbounded => Bound::Unbounded,
            Bound::Included(Token(t)) => Bound::Excluded(lowest(Token(t + 1))),
            Bound::Excluded(t) => Bound::Excluded(lowest(t)),
        };
        if let (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e)) = (&start, &end)
            && s >= e
        {
            return Box::new(std::iter::empty());
        }
        Box::new(self.range(start, end))
    }
}
