//! The read path: one partition through clustering slices, and token-range
//! scans, merging memtables and SSTables with [`crate::model::reconcile`].
//!
//! Sources are consulted newest first on one immutable [`Version`]: every
//! memtable, then each SSTable unless its bloom filter / key range rules the
//! key out, or a partition deletion already merged covers everything it
//! holds (its max timestamp is at or below the deletion). An SSTable whose
//! clustering range misses the slices is read for its partition header only
//! (partition deletion, static row). Rows are limited only after the merge:
//! a newer source may delete rows an older one holds.
//!
//! The view at `now_s`: expired cells read as tombstones (as Cassandra
//! does), expired row markers vanish. Results keep tombstones (read repair
//! and digests need them); rows without live data do not count toward the
//! row limit. `tombstones_scanned` counts the deletions the read met, so the
//! server can warn or fail (`tombstone_warn_threshold`).

use std::ops::Bound;

use bytes::Bytes;

use crate::error::Result;
use crate::model::reconcile::merge_partitions;
use crate::model::{CellKind, ClusteringKey, Partition, PartitionKey, Row, Slices, Token};
use crate::sstable::{PartitionFilter, ScanEnd, ScanStart, Scanner};
use crate::table::Table;
use crate::version::Version;

/// Bounds of a single-partition read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadLimits {
    /// At most this many rows with live data (from the end when reversed).
    pub row_limit: Option<usize>,
    /// With a row limit: rows asked of each source in the first, bounded
    /// pass (`None`: twice the limit plus 8). Tests lower it to exercise
    /// the second pass.
    pub first_pass_rows: Option<usize>,
}

/// What a single-partition read returns.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadResult {
    /// The reconciled partition cut to the slices and limit (`None` when no
    /// source holds it). Rows are in ascending clustering order.
    pub partition: Option<Partition>,
    /// Tombstones (partition, range, row, cell, expired cells) met.
    pub tombstones_scanned: u64,
}

/// A token range for [`Table::scan`] (never wrapping).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanRange {
    /// Where to start (a token bound, or after a key to resume a page).
    pub start: ScanStart,
    /// Where to stop.
    pub end: ScanEnd,
}

impl ScanRange {
    /// The whole ring.
    pub fn all() -> Self {
        Self {
            start: ScanStart::Unbounded,
            end: ScanEnd::Unbounded,
        }
    }
}

/// One page of a scan.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanPage {
    /// Partitions in `(token, key)` order, reconciled, at `now_s`.
    pub partitions: Vec<Partition>,
    /// Resume with `ScanStart::AfterKey(next)` when the page was full.
    pub next: Option<PartitionKey>,
}

fn merge_into(acc: Option<Partition>, p: Partition) -> Option<Partition> {
    Some(match acc {
        None => p,
        Some(a) => merge_partitions(&a, &p),
    })
}

/// Expired cells become tombstones, expired markers go; returns the count
/// of tombstones in the row.
fn view_row(row: &mut Row, now_s: u32) -> u64 {
    if row.liveness.is_some_and(|l| !l.is_live(now_s)) {
        row.liveness = None;
    }
    let mut tombstones = u64::from(!row.deletion.is_live());
    tombstones += row.complex_deletions.len() as u64;
    for cell in &mut row.cells {
        if let CellKind::Expiring {
            ttl_s,
            local_expiration_s,
            ..
        } = cell.kind
            && now_s >= local_expiration_s
        {
            cell.kind = CellKind::Tombstone {
                local_deletion_time: local_expiration_s.saturating_sub(ttl_s),
            };
        }
        tombstones += u64::from(cell.is_tombstone());
    }
    tombstones
}

/// How far a bounded gather is exact: every source that stopped at its
/// fetch limit stopped at or beyond this clustering (in read direction).
type ExactUpTo = Option<ClusteringKey>;

/// Applies the `now_s` view and the row limit to a merged partition; rows
/// past `exact_up_to` are dropped. Returns the result and whether it is
/// complete (the limit was reached inside the exact range, or nothing was
/// cut).
fn finish(
    mut p: Partition,
    now_s: u32,
    reversed: bool,
    row_limit: Option<usize>,
    exact_up_to: &ExactUpTo,
) -> (ReadResult, bool) {
    let mut tombstones = u64::from(!p.partition_deletion.is_live());
    tombstones += p.range_tombstones.len() as u64;
    if let Some(s) = &mut p.static_row {
        tombstones += view_row(s, now_s);
    }
    let limit = row_limit.unwrap_or(usize::MAX);
    let beyond = |row: &Row| {
        exact_up_to.as_ref().is_some_and(|b| {
            if reversed {
                row.clustering < *b
            } else {
                row.clustering > *b
            }
        })
    };
    // Rows are kept in place: walk them in read order, then cut the rest.
    let mut live = 0usize;
    let mut kept = 0usize;
    let n = p.rows.len();
    for i in 0..n {
        let at = if reversed { n - 1 - i } else { i };
        let Some(row) = p.rows.get_mut(at) else {
            break;
        };
        if live >= limit || beyond(row) {
            break;
        }
        tombstones += view_row(row, now_s);
        live += usize::from(row.has_live_data(now_s));
        kept += 1;
    }
    if reversed {
        p.rows.drain(..n - kept);
    } else {
        p.rows.truncate(kept);
    }
    let complete = exact_up_to.is_none() || live >= limit;
    let result = ReadResult {
        partition: Some(p),
        tombstones_scanned: tombstones,
    };
    (result, complete)
}

/// Notes where a source that returned `rows` (ascending) with a fetch
/// limit of `fetch` may have stopped early.
fn note_cut(exact: &mut ExactUpTo, rows: &[Row], fetch: Option<usize>, reversed: bool) {
    if fetch.is_none_or(|f| rows.len() < f) {
        return;
    }
    let edge = if reversed { rows.first() } else { rows.last() };
    if let Some(edge) = edge {
        let c = &edge.clustering;
        let tighter = exact
            .as_ref()
            .is_none_or(|b| if reversed { c > b } else { c < b });
        if tighter {
            *exact = Some(c.clone());
        }
    }
}

fn lowest_key(token: i64) -> PartitionKey {
    PartitionKey::from_parts(Token(token), Bytes::new())
}

fn memtable_bounds(range: &ScanRange) -> Option<(Bound<PartitionKey>, Bound<PartitionKey>)> {
    let start = match &range.start {
        ScanStart::Unbounded => Bound::Unbounded,
        ScanStart::Token { token, inclusive } if *inclusive => Bound::Included(lowest_key(*token)),
        ScanStart::Token { token, .. } => Bound::Included(lowest_key(token.checked_add(1)?)),
        ScanStart::AfterKey(k) => Bound::Excluded(k.clone()),
    };
    let end = match &range.end {
        ScanEnd::Unbounded => Bound::Unbounded,
        ScanEnd::Token { token, inclusive } if *inclusive => match token.checked_add(1) {
            Some(t) => Bound::Excluded(lowest_key(t)),
            None => Bound::Unbounded,
        },
        ScanEnd::Token { token, .. } => Bound::Excluded(lowest_key(*token)),
    };
    let empty = match (&start, &end) {
        (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e)) => s >= e,
        _ => false,
    };
    (!empty).then_some((start, end))
}

type Source<'a> = Box<dyn Iterator<Item = Result<Partition>> + 'a>;

/// Merges every source's view of `key`, newest first, skipping SSTables
/// that cannot matter. With `fetch`, each source returns at most that many
/// rows; the second value says up to where the merge is exact.
fn gather(
    version: &Version,
    key: &PartitionKey,
    slices: &Slices,
    reversed: bool,
    fetch: Option<usize>,
) -> Result<(Option<Partition>, ExactUpTo)> {
    let mut merged = None;
    let mut exact = None;
    for m in version.memtables() {
        let limit = fetch.unwrap_or(usize::MAX);
        if let Some(p) = m.get_slices(key, slices, reversed, limit) {
            note_cut(&mut exact, &p.rows, fetch, reversed);
            merged = merge_into(merged, p);
        }
    }
    for t in &version.sstables {
        let reader = t.reader();
        if !reader.may_contain(key) {
            continue;
        }
        let stats = reader.stats();
        if let Some(m) = &merged
            && !m.partition_deletion.is_live()
            && stats
                .max_timestamp_below(m.partition_deletion.marked_for_delete_at.saturating_add(1))
        {
            continue;
        }
        let rows_wanted = slices.selects_all() || stats.clustering_may_intersect(slices);
        if !rows_wanted && stats.rows_only() {
            // Nothing of it can fall in the slices: no partition deletion, no
            // static row, rows and range tombstones all outside.
            continue;
        }
        let filter = PartitionFilter {
            slices: if rows_wanted {
                slices.clone()
            } else {
                Slices::none()
            },
            reversed,
            row_limit: fetch,
            columns: None,
        };
        if let Some(p) = reader.get(key, &filter)? {
            note_cut(&mut exact, &p.rows, fetch, reversed);
            merged = merge_into(merged, p);
        }
    }
    Ok((merged, exact))
}

impl Table {
    /// Reads partition `key` restricted to `slices` (rows from the end when
    /// `reversed`, returned in ascending order), at `now_s`.
    ///
    /// With a row limit, each source is first asked for a bounded number of
    /// rows; only when deletions make that window too small is the read
    /// repeated unbounded.
    ///
    /// # Errors
    /// Corruption or I/O errors from an SSTable.
    pub fn read_partition(
        &self,
        key: &PartitionKey,
        slices: &Slices,
        reversed: bool,
        now_s: u32,
        limits: ReadLimits,
    ) -> Result<ReadResult> {
        let version = self.version();
        let fetch = limits.row_limit.map(|l| {
            limits
                .first_pass_rows
                .unwrap_or_else(|| l.saturating_mul(2).saturating_add(8))
                .max(1)
        });
        let (merged, exact) = gather(&version, key, slices, reversed, fetch)?;
        let Some(merged) = merged else {
            return Ok(ReadResult {
                partition: None,
                tombstones_scanned: 0,
            });
        };
        let (result, complete) = finish(merged, now_s, reversed, limits.row_limit, &exact);
        if complete {
            return Ok(result);
        }
        let (merged, exact) = gather(&version, key, slices, reversed, None)?;
        debug_assert!(exact.is_none());
        Ok(merged.map_or(
            ReadResult {
                partition: None,
                tombstones_scanned: 0,
            },
            |p| finish(p, now_s, reversed, limits.row_limit, &exact).0,
        ))
    }

    /// Up to `partition_limit` partitions of `range` in `(token, key)` order,
    /// reconciled across every source, at `now_s`.
    ///
    /// # Errors
    /// Corruption or I/O errors from an SSTable.
    pub fn scan(&self, range: &ScanRange, now_s: u32, partition_limit: usize) -> Result<ScanPage> {
        let version = self.version();
        let mut sources: Vec<Source<'_>> = Vec::new();
        if let Some((start, end)) = memtable_bounds(range) {
            for m in version.memtables() {
                sources.push(Box::new(m.range(start.clone(), end.clone()).map(Ok)));
            }
        }
        for t in &version.sstables {
            let scanner = Scanner::new(
                std::sync::Arc::clone(t.reader()),
                range.start.clone(),
                range.end.clone(),
                PartitionFilter::all(),
            );
            sources.push(Box::new(scanner.map(|r| r.map_err(Into::into))));
        }
        let mut heads = Vec::with_capacity(sources.len());
        for s in &mut sources {
            heads.push(s.next().transpose()?);
        }
        let mut page = ScanPage {
            partitions: Vec::new(),
            next: None,
        };
        while page.partitions.len() < partition_limit {
            let Some(min) = heads.iter().flatten().map(|p| &p.key).min().cloned() else {
                break;
            };
            let mut merged = None;
            for (head, source) in heads.iter_mut().zip(sources.iter_mut()) {
                if head.as_ref().is_some_and(|p| p.key == min) {
                    if let Some(p) = head.take() {
                        merged = merge_into(merged, p);
                    }
                    *head = source.next().transpose()?;
                }
            }
            if let Some(p) = merged
                && let Some(p) = finish(p, now_s, false, None, &None).0.partition
            {
                page.partitions.push(p);
            }
            if page.partitions.len() == partition_limit {
                page.next = Some(min);
            }
        }
        Ok(page)
    }
}
