//! Reconciliation: Cassandra's rules for merging versions of the same data.
//!
//! One pure module used by the memtable, the read path, compaction, read
//! repair and repair (DESIGN §4). Nothing here reads a clock: merging is
//! independent of time (CASSANDRA-14592); only [`Purger`] takes `now`.
//!
//! Cell rules (Cassandra 4/5 `Cells.resolveRegular`):
//! 1. the higher timestamp wins;
//! 2. at equal timestamps an expiring cell or a tombstone beats a live cell;
//! 3. then a tombstone beats an expiring cell;
//! 4. then the higher local deletion time (expiry / deletion time) wins;
//! 5. then the greater value (unsigned bytes); then, only to stay
//!    deterministic where Cassandra keeps its left argument, the larger TTL.
//!
//! Counters (`Cells.resolveCounter`): a tombstone always beats a counter
//! whatever the timestamps (CASSANDRA-7346); two counters merge their shards
//! ([`CounterShards::merge`]) with the larger timestamp. A regular cell in a
//! counter column is a schema error the server never produces; it is resolved
//! by timestamp (ties to the counter) and is not associative. As in
//! Cassandra, a deleted counter cannot be written again: a counter merged
//! with a newer shard may escape a deletion that shadowed its older half, so
//! merging counters under deletions is not associative.
//!
//! Shadowing: a deletion deletes data with `timestamp <= marked_for_delete_at`;
//! partition deletion and covering range tombstones apply to rows, a row
//! deletion to its marker and cells, a complex deletion to its column's
//! elements. Merges drop shadowed data and deletions that a higher-level
//! deletion supersedes, so merged results are canonical: merge is
//! commutative, associative and idempotent (property-tested).

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use bytes::Bytes;

use super::bound::{ClusteringBound, Slice};
use super::cell::{Cell, CellKind, ColumnId, DeletionTime, LivenessInfo};
use super::key::{ClusteringKey, PartitionKey};
use super::partition::{Partition, PartitionUpdate};
use super::row::{RangeTombstone, Row};

/// Merges two versions of the same cell (same column and path).
pub fn reconcile_cells(a: &Cell, b: &Cell) -> Cell {
    let a_counter = matches!(a.kind, CellKind::Counter { .. });
    let b_counter = matches!(b.kind, CellKind::Counter { .. });
    if a_counter || b_counter {
        return resolve_counter(a, b);
    }
    resolve_regular(a, b).clone()
}

/// [`reconcile_cells`] taking both versions by value: the winner is moved,
/// not cloned (the memtable's write path).
pub fn reconcile_cells_owned(a: Cell, b: Cell) -> Cell {
    let a_counter = matches!(a.kind, CellKind::Counter { .. });
    let b_counter = matches!(b.kind, CellKind::Counter { .. });
    if a_counter || b_counter {
        return resolve_counter(&a, &b);
    }
    if std::ptr::eq(resolve_regular(&a, &b), &a) {
        a
    } else {
        b
    }
}

fn resolve_regular<'a>(a: &'a Cell, b: &'a Cell) -> &'a Cell {
    if a.timestamp != b.timestamp {
        return if a.timestamp > b.timestamp { a } else { b };
    }
    let a_dead = matches!(
        a.kind,
        CellKind::Expiring { .. } | CellKind::Tombstone { .. }
    );
    let b_dead = matches!(
        b.kind,
        CellKind::Expiring { .. } | CellKind::Tombstone { .. }
    );
    if a_dead || b_dead {
        if a_dead != b_dead {
            return if a_dead { a } else { b };
        }
        if a.is_tombstone() != b.is_tombstone() {
            return if a.is_tombstone() { a } else { b };
        }
        let (la, lb) = (a.local_deletion_time(), b.local_deletion_time());
        if la != lb {
            return if la > lb { a } else { b };
        }
    }
    match a.value().cmp(b.value()) {
        Ordering::Greater => a,
        Ordering::Less => b,
        Ordering::Equal => {
            if ttl_of(b) > ttl_of(a) {
                b
            } else {
                a
            }
        }
    }
}

fn ttl_of(cell: &Cell) -> u32 {
    match cell.kind {
        CellKind::Expiring { ttl_s, .. } => ttl_s,
        _ => 0,
    }
}

fn resolve_counter(a: &Cell, b: &Cell) -> Cell {
    match (&a.kind, &b.kind) {
        (CellKind::Tombstone { .. }, _) => a.clone(),
        (_, CellKind::Tombstone { .. }) => b.clone(),
        (CellKind::Counter { shards: sa }, CellKind::Counter { shards: sb }) => Cell {
            column: a.column,
            path: a.path.clone(),
            timestamp: a.timestamp.max(b.timestamp),
            kind: CellKind::Counter {
                shards: sa.merge(sb),
            },
        },
        // A regular cell against a counter: schema misuse, see module docs.
        (CellKind::Counter { .. }, _) => {
            if b.timestamp > a.timestamp {
                b.clone()
            } else {
                a.clone()
            }
        }
        _ => {
            if a.timestamp > b.timestamp {
                a.clone()
            } else {
                b.clone()
            }
        }
    }
}

/// Merges two row markers (Cassandra's `LivenessInfo.supersedes`).
pub fn merge_liveness(a: Option<LivenessInfo>, b: Option<LivenessInfo>) -> Option<LivenessInfo> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if x.supersedes(&y) { x } else { y }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Merges two versions of the same row (same clustering), dropping what
/// the merged row's own deletions shadow. The result may be empty.
pub fn merge_rows(a: &Row, b: &Row) -> Row {
    let complex = merge_complex(
        a.complex_deletions.clone(),
        b.complex_deletions.iter().copied(),
    );
    let cells = merge_cells(a.cells.iter(), b.cells.iter(), Cell::clone, reconcile_cells);
    let merged = Row {
        clustering: a.clustering.clone(),
        liveness: merge_liveness(a.liveness, b.liveness),
        deletion: a.deletion.max(b.deletion),
        complex_deletions: complex,
        cells,
    };
    shadow_row(merged, DeletionTime::LIVE)
}

/// [`merge_rows`] taking both rows by value: cells are moved, not cloned.
pub fn merge_rows_owned(a: Row, b: Row) -> Row {
    let complex = merge_complex(a.complex_deletions, b.complex_deletions);
    let cells = merge_cells(
        a.cells.into_iter(),
        b.cells.into_iter(),
        |c| c,
        reconcile_cells_owned,
    );
    let merged = Row {
        clustering: a.clustering,
        liveness: merge_liveness(a.liveness, b.liveness),
        deletion: a.deletion.max(b.deletion),
        complex_deletions: complex,
        cells,
    };
    shadow_row(merged, DeletionTime::LIVE)
}

/// `complex` (sorted by column) with `other`'s complex deletions merged in:
/// the later deletion per column.
fn merge_complex(
    mut complex: Vec<(ColumnId, DeletionTime)>,
    other: impl IntoIterator<Item = (ColumnId, DeletionTime)>,
) -> Vec<(ColumnId, DeletionTime)> {
    for (column, deletion) in other {
        match complex.binary_search_by_key(&column, |(c, _)| *c) {
            Ok(i) => {
                if let Some((_, d)) = complex.get_mut(i) {
                    *d = d.max(deletion);
                }
            }
            Err(i) => complex.insert(i, (column, deletion)),
        }
    }
    complex
}

/// Two cell lists sorted by `(column, path)` merged into one: a cell only
/// one side has goes through `one`, a cell both have through `both`.
fn merge_cells<C: Borrow<Cell>>(
    x: impl Iterator<Item = C>,
    y: impl Iterator<Item = C>,
    one: impl Fn(C) -> Cell,
    both: impl Fn(C, C) -> Cell,
) -> Vec<Cell> {
    let (mut x, mut y) = (x.peekable(), y.peekable());
    let mut cells = Vec::with_capacity(x.size_hint().0 + y.size_hint().0);
    loop {
        let order = match (x.peek(), y.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(p), Some(q)) => p.borrow().sort_key().cmp(&q.borrow().sort_key()),
        };
        let cell = match order {
            Ordering::Less => x.next().map(&one),
            Ordering::Greater => y.next().map(&one),
            Ordering::Equal => x.next().zip(y.next()).map(|(p, q)| both(p, q)),
        };
        cells.extend(cell);
    }
    cells
}

/// Removes from `row` everything deleted by `active` (the partition
/// deletion and covering range tombstone) or by the row's own row and
/// complex deletions; drops the row's deletions that `active` supersedes.
pub fn shadow_row(mut row: Row, active: DeletionTime) -> Row {
    if !row.deletion.supersedes(&active) {
        row.deletion = DeletionTime::LIVE;
    }
    let effective = active.max(row.deletion);
    if row.liveness.is_some_and(|l| effective.deletes(l.timestamp)) {
        row.liveness = None;
    }
    row.complex_deletions
        .retain(|(_, d)| d.supersedes(&effective));
    let complex = std::mem::take(&mut row.complex_deletions);
    row.cells.retain(|cell| {
        let mut deletion = effective;
        if cell.path.is_some()
            && let Ok(i) = complex.binary_search_by_key(&cell.column, |(c, _)| *c)
            && let Some((_, d)) = complex.get(i)
        {
            deletion = deletion.max(*d);
        }
        !deletion.deletes(cell.timestamp)
    });
    row.complex_deletions = complex;
    row
}

/// Normalises range tombstones: the pointwise newest deletion over the
/// clustering space, as sorted, non-overlapping, coalesced slices in the
/// canonical `[InclusiveStart(s), ExclusiveEnd(t))` form (`TOP` for an open
/// end). Ranges whose deletion does not supersede `floor` (the partition
/// deletion) are dropped.
pub fn merge_range_tombstones<'a>(
    items: impl IntoIterator<Item = &'a RangeTombstone>,
    floor: DeletionTime,
) -> Vec<RangeTombstone> {
    // (position, is_start, deletion); position None is the top.
    let mut events: Vec<(Option<Bytes>, bool, DeletionTime)> = Vec::new();
    for rt in items {
        if rt.slice.is_empty() || !rt.deletion.supersedes(&floor) {
            continue;
        }
        events.push((rt.slice.start.position_bytes(), true, rt.deletion));
        events.push((rt.slice.end.position_bytes(), false, rt.deletion));
    }
    events.sort_by(|a, b| cmp_pos(&a.0, &b.0));
    let mut active: BTreeMap<(i64, u32), usize> = BTreeMap::new();
    let mut open: Option<(Bytes, DeletionTime)> = None;
    let mut out = Vec::new();
    let mut i = 0;
    while let Some((pos, _, _)) = events.get(i) {
        let pos = pos.clone();
        while let Some((p, is_start, d)) = events.get(i) {
            if cmp_pos(p, &pos) != Ordering::Equal {
                break;
            }
            let key = (d.marked_for_delete_at, d.local_deletion_time);
            if *is_start {
                *active.entry(key).or_insert(0) += 1;
            } else if let Some(count) = active.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    active.remove(&key);
                }
            }
            i += 1;
        }
        let top = active
            .last_key_value()
            .map(|((m, l), _)| DeletionTime::new(*m, *l));
        if top != open.as_ref().map(|(_, d)| *d) {
            if let Some((start, deletion)) = open.take() {
                let end = pos
                    .clone()
                    .map_or(ClusteringBound::TOP, ClusteringBound::exclusive_end);
                let slice = Slice {
                    start: ClusteringBound::inclusive_start(start),
                    end,
                };
                out.push(RangeTombstone { slice, deletion });
            }
            if let (Some(deletion), Some(start)) = (top, pos) {
                open = Some((start, deletion));
            }
        }
    }
    out
}

fn cmp_pos(a: &Option<Bytes>, b: &Option<Bytes>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    }
}

/// The deletion of the range tombstone covering `key` in a normalised list.
pub fn covering_deletion(range_tombstones: &[RangeTombstone], key: &ClusteringKey) -> DeletionTime {
    let i = range_tombstones.partition_point(|rt| rt.slice.end.cmp_key(key) == Ordering::Less);
    range_tombstones
        .get(i)
        .filter(|rt| rt.slice.start.cmp_key(key) == Ordering::Less)
        .map_or(DeletionTime::LIVE, |rt| rt.deletion)
}

struct Parts<'a> {
    deletion: DeletionTime,
    static_row: Option<&'a Row>,
    rows: &'a [Row],
    range_tombstones: &'a [RangeTombstone],
}

fn merge_parts(key: PartitionKey, a: &Parts<'_>, b: &Parts<'_>) -> Partition {
    let pd = a.deletion.max(b.deletion);
    let rts = merge_range_tombstones(a.range_tombstones.iter().chain(b.range_tombstones), pd);
    let static_row = match (a.static_row, b.static_row) {
        (Some(x), Some(y)) => Some(merge_rows(x, y)),
        (x, y) => x.or(y).cloned(),
    }
    .map(|row| shadow_row(row, pd))
    .filter(|row| !row.is_empty());
    let mut rows = Vec::with_capacity(a.rows.len() + b.rows.len());
    let (mut x, mut y) = (a.rows.iter().peekable(), b.rows.iter().peekable());
    loop {
        let order = match (x.peek(), y.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(p), Some(q)) => p.clustering.cmp(&q.clustering),
        };
        let row = match order {
            Ordering::Less => x.next().cloned(),
            Ordering::Greater => y.next().cloned(),
            Ordering::Equal => x.next().zip(y.next()).map(|(p, q)| merge_rows(p, q)),
        };
        if let Some(row) = row {
            let active = pd.max(covering_deletion(&rts, &row.clustering));
            let row = shadow_row(row, active);
            if !row.is_empty() {
                rows.push(row);
            }
        }
    }
    Partition {
        key,
        partition_deletion: pd,
        static_row,
        rows,
        range_tombstones: rts,
    }
}

fn parts_of(p: &Partition) -> Parts<'_> {
    Parts {
        deletion: p.partition_deletion,
        static_row: p.static_row.as_ref(),
        rows: &p.rows,
        range_tombstones: &p.range_tombstones,
    }
}

/// Merges two states of the same partition into a normalised partition.
pub fn merge_partitions(a: &Partition, b: &Partition) -> Partition {
    merge_parts(a.key.clone(), &parts_of(a), &parts_of(b))
}

/// Applies `update` (whose rows must be sorted, see
/// [`PartitionUpdate::check`]) to `partition`.
pub fn apply_update(partition: Partition, update: &PartitionUpdate) -> Partition {
    let b = Parts {
        deletion: update.partition_deletion,
        static_row: update.static_row.as_ref(),
        rows: &update.rows,
        range_tombstones: &update.range_tombstones,
    };
    merge_parts(partition.key.clone(), &parts_of(&partition), &b)
}
