//! Purging: dropping tombstones past `gc_grace_seconds` and turning expired
//! cells into tombstones, as Cassandra's compaction does.
//!
//! A deletion or tombstone is purgeable when its local deletion time is
//! before `gc_before_s` (now minus gc grace) **and** its timestamp is below
//! `max_purgeable_timestamp` (the oldest data outside the compaction that it
//! might shadow; `i64::MAX` when nothing outside overlaps). An expired cell
//! becomes a tombstone whose local deletion time is `expiry - ttl` (its write
//! time), so it is purgeable gc grace after it was *written*, as in
//! Cassandra's `Cell.purge`. An expired row marker is dropped once its expiry
//! is before `gc_before_s`. Purging must run on merged (shadow-free) data.

use super::cell::{Cell, CellKind, DeletionTime};
use super::partition::Partition;
use super::row::Row;

/// Parameters of a purge.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Purger {
    /// Tombstones with a local deletion time before this are past gc grace (s).
    pub gc_before_s: u32,
    /// The current time (s), to tell expired cells.
    pub now_s: u32,
    /// Only data with a timestamp strictly below this may be purged.
    pub max_purgeable_timestamp: i64,
}

impl Purger {
    /// A purger at `now_s` with `gc_grace_s`, nothing outside overlapping.
    pub fn new(now_s: u32, gc_grace_s: u32) -> Self {
        Self {
            gc_before_s: now_s.saturating_sub(gc_grace_s),
            now_s,
            max_purgeable_timestamp: i64::MAX,
        }
    }

    /// Cassandra's `shouldPurge(timestamp, localDeletionTime)`.
    pub fn should_purge(&self, timestamp: i64, local_deletion_time: u32) -> bool {
        local_deletion_time < self.gc_before_s && timestamp < self.max_purgeable_timestamp
    }

    fn purges(&self, deletion: &DeletionTime) -> bool {
        !deletion.is_live()
            && self.should_purge(deletion.marked_for_delete_at, deletion.local_deletion_time)
    }
}

/// Purges one cell: `None` when it disappears.
pub fn purge_cell(cell: Cell, purger: &Purger) -> Option<Cell> {
    match cell.kind {
        CellKind::Live { .. } | CellKind::Counter { .. } => Some(cell),
        CellKind::Tombstone {
            local_deletion_time,
        } => (!purger.should_purge(cell.timestamp, local_deletion_time)).then_some(cell),
        CellKind::Expiring {
            ttl_s,
            local_expiration_s,
            ..
        } => {
            if purger.now_s < local_expiration_s {
                return Some(cell);
            }
            let local_deletion_time = local_expiration_s.saturating_sub(ttl_s);
            if purger.should_purge(cell.timestamp, local_deletion_time) {
                return None;
            }
            Some(Cell {
                kind: CellKind::Tombstone {
                    local_deletion_time,
                },
                ..cell
            })
        }
    }
}

/// Purges one row: `None` when nothing is left.
pub fn purge_row(mut row: Row, purger: &Purger) -> Option<Row> {
    if purger.purges(&row.deletion) {
        row.deletion = DeletionTime::LIVE;
    }
    if let Some(l) = row.liveness
        && let Some((_, expiry)) = l.ttl
        && !l.is_live(purger.now_s)
        && purger.should_purge(l.timestamp, expiry)
    {
        row.liveness = None;
    }
    row.complex_deletions.retain(|(_, d)| !purger.purges(d));
    row.cells = std::mem::take(&mut row.cells)
        .into_iter()
        .filter_map(|c| purge_cell(c, purger))
        .collect();
    (!row.is_empty()).then_some(row)
}

/// Purges a merged partition: `None` when nothing is left.
pub fn purge_partition(mut partition: Partition, purger: &Purger) -> Option<Partition> {
    if purger.purges(&partition.partition_deletion) {
        partition.partition_deletion = DeletionTime::LIVE;
    }
    partition
        .range_tombstones
        .retain(|rt| !purger.purges(&rt.deletion));
    partition.static_row = partition
        .static_row
        .take()
        .and_then(|r| purge_row(r, purger));
    partition.rows = std::mem::take(&mut partition.rows)
        .into_iter()
        .filter_map(|r| purge_row(r, purger))
        .collect();
    (!partition.is_empty()).then_some(partition)
}
