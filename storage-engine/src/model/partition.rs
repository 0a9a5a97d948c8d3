//! A mutation of one partition ([`PartitionUpdate`]) and the merged state of
//! one partition ([`Partition`]).
//!
//! Both have the same shape. Invariants (checked by `check`): rows strictly
//! sorted by clustering key, each row valid ([`Row::check`]), range tombstone
//! slices non-empty. A [`Partition`] is additionally *normalised* by
//! [`super::reconcile`]: its range tombstones are sorted, non-overlapping,
//! in the canonical `[InclusiveStart(s), ExclusiveEnd(t))` form, and nothing
//! in it is shadowed by a deletion above it. Memtable flush hands partitions
//! to the SSTable writer in `(token, key)` order.

use super::cell::DeletionTime;
use super::key::{ClusteringKey, PartitionKey, TableId};
use super::row::{RangeTombstone, Row};

/// One write to one partition: what `apply` takes, what the commitlog
/// stores, what internode messages and hints carry. Atomic per partition.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct PartitionUpdate {
    /// The table written.
    pub table: TableId,
    /// The partition written.
    pub key: PartitionKey,
    /// Partition-level deletion; [`DeletionTime::LIVE`] when none.
    pub partition_deletion: DeletionTime,
    /// The static row, if the update touches static columns.
    pub static_row: Option<Row>,
    /// Rows, strictly sorted by clustering key.
    pub rows: Vec<Row>,
    /// Range deletions, in any order.
    pub range_tombstones: Vec<RangeTombstone>,
}

impl PartitionUpdate {
    /// An empty update of `key` in `table`.
    pub fn new(table: TableId, key: PartitionKey) -> Self {
        Self {
            table,
            key,
            partition_deletion: DeletionTime::LIVE,
            static_row: None,
            rows: Vec::new(),
            range_tombstones: Vec::new(),
        }
    }

    /// Adds a row at its sorted place; a row with the same clustering is
    /// merged with it (Cassandra's rules).
    pub fn add_row(&mut self, row: Row) {
        insert_row(&mut self.rows, row);
    }

    /// The same update with `row` added.
    #[must_use]
    pub fn with_row(mut self, row: Row) -> Self {
        self.add_row(row);
        self
    }

    /// The same update with a range tombstone.
    #[must_use]
    pub fn with_range_tombstone(mut self, rt: RangeTombstone) -> Self {
        self.range_tombstones.push(rt);
        self
    }

    /// The same update deleting the whole partition.
    #[must_use]
    pub fn with_partition_deletion(mut self, deletion: DeletionTime) -> Self {
        self.partition_deletion = self.partition_deletion.max(deletion);
        self
    }

    /// Verifies the ordering invariants.
    ///
    /// # Errors
    /// A short description of the first broken invariant.
    pub fn check(&self) -> Result<(), &'static str> {
        check_parts(
            self.static_row.as_ref(),
            self.rows.iter(),
            &self.range_tombstones,
        )
    }

    /// The highest write timestamp in the update.
    pub fn max_timestamp(&self) -> i64 {
        max_timestamp_of(
            self.partition_deletion,
            self.static_row.as_ref(),
            &self.rows,
            &self.range_tombstones,
        )
    }

    /// Rough in-memory footprint (bytes).
    pub fn heap_size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.key.key().len()
            + self
                .rows
                .iter()
                .chain(self.static_row.as_ref())
                .map(Row::heap_size)
                .sum::<usize>()
            + self.range_tombstones.len() * std::mem::size_of::<RangeTombstone>()
    }
}

/// The merged state of one partition.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Partition {
    /// The partition key.
    pub key: PartitionKey,
    /// Partition-level deletion; [`DeletionTime::LIVE`] when none.
    pub partition_deletion: DeletionTime,
    /// The static row.
    pub static_row: Option<Row>,
    /// Rows, strictly sorted by clustering key.
    pub rows: Vec<Row>,
    /// Range tombstones: sorted, non-overlapping, canonical bounds.
    pub range_tombstones: Vec<RangeTombstone>,
}

impl Partition {
    /// An empty partition.
    pub fn new(key: PartitionKey) -> Self {
        Self {
            key,
            partition_deletion: DeletionTime::LIVE,
            static_row: None,
            rows: Vec::new(),
            range_tombstones: Vec::new(),
        }
    }

    /// The normalised partition state equal to applying `update` to nothing.
    pub fn from_update(update: &PartitionUpdate) -> Self {
        super::reconcile::apply_update(Partition::new(update.key.clone()), update)
    }

    /// The row at `clustering`.
    pub fn row(&self, clustering: &ClusteringKey) -> Option<&Row> {
        self.rows
            .binary_search_by(|r| r.clustering.cmp(clustering))
            .ok()
            .and_then(|i| self.rows.get(i))
    }

    /// True when the partition carries nothing.
    pub fn is_empty(&self) -> bool {
        self.partition_deletion.is_live()
            && self.static_row.is_none()
            && self.rows.is_empty()
            && self.range_tombstones.is_empty()
    }

    /// Verifies the ordering invariants (see the module docs).
    ///
    /// # Errors
    /// A short description of the first broken invariant.
    pub fn check(&self) -> Result<(), &'static str> {
        self.as_view().check()
    }

    /// A borrowed view of this partition.
    pub fn as_view(&self) -> PartitionView<'_, std::slice::Iter<'_, Row>> {
        PartitionView {
            key: &self.key,
            partition_deletion: self.partition_deletion,
            static_row: self.static_row.as_ref(),
            rows: self.rows.iter(),
            range_tombstones: &self.range_tombstones,
        }
    }

    /// The equivalent update (to re-send a partition as a mutation).
    pub fn to_update(&self, table: TableId) -> PartitionUpdate {
        PartitionUpdate {
            table,
            key: self.key.clone(),
            partition_deletion: self.partition_deletion,
            static_row: self.static_row.clone(),
            rows: self.rows.clone(),
            range_tombstones: self.range_tombstones.clone(),
        }
    }

    /// The highest write timestamp in the partition.
    pub fn max_timestamp(&self) -> i64 {
        max_timestamp_of(
            self.partition_deletion,
            self.static_row.as_ref(),
            &self.rows,
            &self.range_tombstones,
        )
    }
}

fn max_timestamp_of(
    partition_deletion: DeletionTime,
    static_row: Option<&Row>,
    rows: &[Row],
    range_tombstones: &[RangeTombstone],
) -> i64 {
    let rows = rows.iter().chain(static_row).map(Row::max_timestamp);
    let rts = range_tombstones
        .iter()
        .map(|rt| rt.deletion.marked_for_delete_at);
    let pd = (!partition_deletion.is_live()).then_some(partition_deletion.marked_for_delete_at);
    rows.chain(rts).chain(pd).max().unwrap_or(i64::MIN)
}

fn check_parts<'a>(
    static_row: Option<&Row>,
    rows: impl Iterator<Item = &'a Row> + Clone,
    range_tombstones: &[RangeTombstone],
) -> Result<(), &'static str> {
    if let Some(row) = static_row {
        if row.clustering != ClusteringKey::EMPTY {
            return Err("static row with a clustering key");
        }
        row.check()?;
    }
    for (a, b) in rows.clone().zip(rows.clone().skip(1)) {
        if a.clustering >= b.clustering {
            return Err("rows not strictly sorted by clustering");
        }
    }
    for row in rows {
        row.check()?;
    }
    if range_tombstones
        .iter()
        .any(|rt| rt.slice.is_empty() || !rt.slice.start.is_start())
    {
        return Err("empty or malformed range tombstone slice");
    }
    if range_tombstones
        .iter()
        .any(|rt| rt.slice.end.is_start() || rt.deletion.is_live())
    {
        return Err("malformed range tombstone");
    }
    Ok(())
}

/// A partition borrowed from where it lives (a [`Partition`], or a memtable's state
/// during flush, which then encodes rows without copying them). `rows` iterates the
/// rows in clustering order.
#[derive(Clone, Debug)]
pub struct PartitionView<'a, R> {
    /// The partition key.
    pub key: &'a PartitionKey,
    /// Partition-level deletion.
    pub partition_deletion: DeletionTime,
    /// The static row.
    pub static_row: Option<&'a Row>,
    /// The rows, strictly sorted by clustering key.
    pub rows: R,
    /// Range tombstones: sorted, non-overlapping, canonical bounds.
    pub range_tombstones: &'a [RangeTombstone],
}

impl<'a, R: Iterator<Item = &'a Row> + ExactSizeIterator + Clone> PartitionView<'a, R> {
    /// Checks the invariants, as [`Partition::check`].
    ///
    /// # Errors
    /// The first violated invariant.
    pub fn check(&self) -> Result<(), &'static str> {
        check_parts(self.static_row, self.rows.clone(), self.range_tombstones)?;
        let sorted = self.range_tombstones.windows(2).all(|w| match w {
            [a, b] => a.slice.end.cmp_position(&b.slice.start) != std::cmp::Ordering::Greater,
            _ => true,
        });
        if sorted {
            Ok(())
        } else {
            Err("range tombstones overlap or are unsorted")
        }
    }
}

/// Inserts `row` into sorted `rows`, merging with an equal clustering.
pub(crate) fn insert_row(rows: &mut Vec<Row>, row: Row) {
    match rows.binary_search_by(|r| r.clustering.cmp(&row.clustering)) {
        Ok(i) => {
            if let Some(existing) = rows.get_mut(i) {
                *existing = super::reconcile::merge_rows(existing, &row);
            }
        }
        Err(i) => rows.insert(i, row),
    }
}
