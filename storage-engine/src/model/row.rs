//! Rows and range tombstones.
//!
//! Invariants of a [`Row`] (checked by [`Row::check`], which decoders and
//! `apply` call): cells sorted by `(column, path)` without duplicates;
//! complex deletions sorted by column without duplicates and never
//! [`DeletionTime::LIVE`].

use bytes::Bytes;

use super::bound::Slice;
use super::cell::{Cell, ColumnId, DeletionTime, LivenessInfo};
use super::key::ClusteringKey;
use super::reconcile::reconcile_cells;

/// One row of a partition (or the partition's static row, whose clustering
/// is [`ClusteringKey::EMPTY`]).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Row {
    /// The row's clustering key.
    pub clustering: ClusteringKey,
    /// The primary-key liveness (row marker), if an `INSERT` wrote one.
    pub liveness: Option<LivenessInfo>,
    /// Row-level deletion; [`DeletionTime::LIVE`] when none.
    pub deletion: DeletionTime,
    /// Per multi-cell column, the deletion written when the whole collection
    /// was overwritten or deleted (Cassandra's complex deletion time); it
    /// shadows that column's older elements.
    pub complex_deletions: Vec<(ColumnId, DeletionTime)>,
    /// The cells, sorted by `(column, path)`.
    pub cells: Vec<Cell>,
}

impl Row {
    /// An empty row at `clustering`.
    pub fn new(clustering: ClusteringKey) -> Self {
        Self {
            clustering,
            ..Self::default()
        }
    }

    /// The same row with a row marker.
    #[must_use]
    pub fn with_liveness(mut self, liveness: LivenessInfo) -> Self {
        self.liveness = Some(liveness);
        self
    }

    /// The same row with a row deletion.
    #[must_use]
    pub fn with_deletion(mut self, deletion: DeletionTime) -> Self {
        self.deletion = deletion;
        self
    }

    /// Adds a cell at its sorted place; a cell for the same `(column, path)`
    /// is reconciled with it.
    pub fn add_cell(&mut self, cell: Cell) {
        match self
            .cells
            .binary_search_by(|c| c.sort_key().cmp(&cell.sort_key()))
        {
            Ok(i) => {
                if let Some(existing) = self.cells.get_mut(i) {
                    *existing = reconcile_cells(existing, &cell);
                }
            }
            Err(i) => self.cells.insert(i, cell),
        }
    }

    /// The same row with `cell` added (see [`Row::add_cell`]).
    #[must_use]
    pub fn with_cell(mut self, cell: Cell) -> Self {
        self.add_cell(cell);
        self
    }

    /// Records a complex deletion for `column` (keeps the newer one).
    pub fn add_complex_deletion(&mut self, column: ColumnId, deletion: DeletionTime) {
        if deletion.is_live() {
            return;
        }
        match self
            .complex_deletions
            .binary_search_by_key(&column, |(c, _)| *c)
        {
            Ok(i) => {
                if let Some((_, d)) = self.complex_deletions.get_mut(i) {
                    *d = d.max(deletion);
                }
            }
            Err(i) => self.complex_deletions.insert(i, (column, deletion)),
        }
    }

    /// The complex deletion of `column`, [`DeletionTime::LIVE`] if none.
    pub fn complex_deletion(&self, column: ColumnId) -> DeletionTime {
        self.complex_deletions
            .binary_search_by_key(&column, |(c, _)| *c)
            .ok()
            .and_then(|i| self.complex_deletions.get(i))
            .map_or(DeletionTime::LIVE, |(_, d)| *d)
    }

    /// The cell of `(column, path)`.
    pub fn cell(&self, column: ColumnId, path: Option<&Bytes>) -> Option<&Cell> {
        let key = (column, path);
        self.cells
            .binary_search_by(|c| c.sort_key().cmp(&key))
            .ok()
            .and_then(|i| self.cells.get(i))
    }

    /// True when the row carries nothing (no marker, deletion or cells).
    pub fn is_empty(&self) -> bool {
        self.liveness.is_none()
            && self.deletion.is_live()
            && self.complex_deletions.is_empty()
            && self.cells.is_empty()
    }

    /// True when the row is visible at `now_s`: a live marker or a live cell.
    pub fn has_live_data(&self, now_s: u32) -> bool {
        self.liveness.is_some_and(|l| l.is_live(now_s))
            || self.cells.iter().any(|c| c.is_live(now_s))
    }

    /// The highest write timestamp of anything in the row.
    pub fn max_timestamp(&self) -> i64 {
        let cells = self.cells.iter().map(|c| c.timestamp);
        let marker = self.liveness.map(|l| l.timestamp);
        let complex = self
            .complex_deletions
            .iter()
            .map(|(_, d)| d.marked_for_delete_at);
        let row_deletion = (!self.deletion.is_live()).then_some(self.deletion.marked_for_delete_at);
        cells
            .chain(marker)
            .chain(complex)
            .chain(row_deletion)
            .max()
            .unwrap_or(i64::MIN)
    }

    /// Rough in-memory footprint (bytes), for memtable accounting.
    pub fn heap_size(&self) -> usize {
        std::mem::size_of::<Row>()
            + self.clustering.as_bytes().len()
            + self.complex_deletions.len() * std::mem::size_of::<(ColumnId, DeletionTime)>()
            + self.cells.iter().map(Cell::heap_size).sum::<usize>()
    }

    /// Verifies the ordering invariants.
    ///
    /// # Errors
    /// A short description of the first broken invariant.
    pub fn check(&self) -> Result<(), &'static str> {
        let cells_sorted = self.cells.windows(2).all(|w| match w {
            [a, b] => a.sort_key() < b.sort_key(),
            _ => true,
        });
        if !cells_sorted {
            return Err("row cells not strictly sorted by (column, path)");
        }
        let complex_sorted = self.complex_deletions.windows(2).all(|w| match w {
            [(a, _), (b, _)] => a < b,
            _ => true,
        });
        if !complex_sorted {
            return Err("complex deletions not strictly sorted by column");
        }
        if self.complex_deletions.iter().any(|(_, d)| d.is_live()) {
            return Err("complex deletion is LIVE");
        }
        Ok(())
    }
}

/// A deletion covering a clustering slice.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RangeTombstone {
    /// The deleted range.
    pub slice: Slice,
    /// The deletion.
    pub deletion: DeletionTime,
}

impl RangeTombstone {
    /// Builds a range tombstone.
    pub fn new(slice: Slice, deletion: DeletionTime) -> Self {
        Self { slice, deletion }
    }
}
