//! Compaction: choosing which SSTables to merge (pure policy) and merging them (a task).
//!
//! Place on the data path: flush produces SSTables; a background loop asks the table's
//! [`CompactionStrategy`] what to do next given the live SSTables' [`SsTableInfo`] and a
//! [`ChoiceContext`] (time as a parameter), then runs the [`CompactionChoice`]:
//! - [`ChoiceKind::Merge`] through [`task::run_compaction`] (k-way merge, reconcile,
//!   purge past gc grace, write, throttle), or
//! - [`ChoiceKind::DropExpired`]: the inputs are obsolete as a whole and are removed
//!   without being read.
//!
//! Either way the caller swaps the inputs for the outputs in its version of the table and
//! deletes the input files once no reader uses them; nothing here deletes a file.
//!
//! Invariants: strategies never read files or clocks (STYLE §2); a strategy never picks
//! an SSTable marked `compacting`; a choice's inputs are distinct. The purge rule (no
//! resurrection) is enforced by the task, see [`task`] and `docs/compaction.md`.

pub mod leveled;
pub mod options;
pub mod size_tiered;
pub mod task;
pub mod throttle;
pub mod time_window;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use leveled::{LeveledOptions, LeveledStrategy};
pub use options::{CommonOptions, OptionsError};
pub use size_tiered::{SizeTieredOptions, SizeTieredStrategy};
pub use time_window::{TimeWindowOptions, TimeWindowStrategy};

use crate::sstable::reader::SsTableReader;
use crate::sstable::stats::Stats;

/// What a strategy knows about one live SSTable (built from its Stats and the version).
#[derive(Debug, Clone, PartialEq)]
pub struct SsTableInfo {
    /// The SSTable's generation (unique per table directory).
    pub generation: u64,
    /// On-disk size in bytes (`from_reader` counts every component).
    pub size_bytes: u64,
    /// Its level (leveled compaction); 0 for other strategies and fresh flushes.
    pub level: u32,
    /// Smallest token.
    pub min_token: i64,
    /// Largest token.
    pub max_token: i64,
    /// Smallest write/deletion timestamp, µs.
    pub min_timestamp: i64,
    /// Largest write/deletion timestamp, µs.
    pub max_timestamp: i64,
    /// Smallest local deletion time (tombstones and expiries), seconds; `None` when none.
    pub min_local_deletion_time_s: Option<i64>,
    /// Largest local deletion time (tombstones and expiries), seconds; `None` when none.
    pub max_local_deletion_time_s: Option<i64>,
    /// True when some cell or row marker never expires (the table can never expire whole).
    pub has_non_expiring_data: bool,
    /// Tombstones of every level, as written.
    pub tombstone_count: u64,
    /// Cells plus rows (the denominator of the droppable tombstone ratio).
    pub cell_count: u64,
    /// When the SSTable was created (seconds): orders tables and gates tombstone compactions.
    pub created_at_s: u64,
    /// True while another compaction uses it: never chosen again, still counts as overlap.
    pub compacting: bool,
}

impl SsTableInfo {
    /// Builds the info of a published SSTable from its statistics.
    #[must_use]
    pub fn from_stats(generation: u64, size_bytes: u64, stats: &Stats, created_at_s: u64) -> Self {
        Self {
            generation,
            size_bytes,
            level: 0,
            min_token: stats.min_token.unwrap_or(i64::MIN),
            max_token: stats.max_token.unwrap_or(i64::MIN),
            min_timestamp: stats.min_timestamp.unwrap_or(i64::MAX),
            max_timestamp: stats.max_timestamp.unwrap_or(i64::MIN),
            min_local_deletion_time_s: stats.min_local_deletion_time,
            max_local_deletion_time_s: stats.max_local_deletion_time,
            has_non_expiring_data: stats.has_non_expiring_data,
            tombstone_count: stats.tombstones.total(),
            cell_count: stats.cell_count.saturating_add(stats.row_count),
            created_at_s,
            compacting: false,
        }
    }

    /// Builds the info of an open SSTable: its generation, on-disk bytes (all
    /// components) and Stats; `level` and `created_at_s` come from the caller's manifest.
    #[must_use]
    pub fn from_reader(reader: &SsTableReader, level: u32, created_at_s: u64) -> Self {
        Self {
            level,
            ..Self::from_stats(
                reader.descriptor().generation,
                reader.on_disk_bytes(),
                reader.stats(),
                created_at_s,
            )
        }
    }

    /// True when the token ranges of `self` and `other` intersect.
    #[must_use]
    pub fn overlaps(&self, other: &SsTableInfo) -> bool {
        self.min_token <= other.max_token && other.min_token <= self.max_token
    }

    /// Estimated fraction of this table's tombstones and cells droppable at `gc_before_s`
    /// (Cassandra's `getEstimatedDroppableTombstoneRatio`). We keep only the min and max
    /// local deletion times, so the share of tombstones older than `gc_before_s` is
    /// interpolated linearly between them.
    #[must_use]
    pub fn droppable_tombstone_ratio(&self, gc_before_s: i64) -> f64 {
        let (Some(min), Some(max)) = (
            self.min_local_deletion_time_s,
            self.max_local_deletion_time_s,
        ) else {
            return 0.0;
        };
        if self.cell_count == 0 || min >= gc_before_s {
            return 0.0;
        }
        let share = if max < gc_before_s || max <= min {
            1.0
        } else {
            (gc_before_s - min) as f64 / (max - min) as f64
        };
        share * self.tombstone_count as f64 / self.cell_count as f64
    }
}

/// The time and table settings a choice depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChoiceContext {
    /// Now, seconds since the epoch.
    pub now_s: u64,
    /// The table's `gc_grace_seconds`.
    pub gc_grace_s: u64,
    /// The smallest timestamp in the table's memtables (they may hold data that an
    /// expired SSTable's tombstones shadow); `None` when they are empty.
    pub memtable_min_timestamp: Option<i64>,
}

impl ChoiceContext {
    /// Local deletion times strictly before this are past gc grace (seconds).
    #[must_use]
    pub fn gc_before_s(&self) -> i64 {
        i64::try_from(self.now_s.saturating_sub(self.gc_grace_s)).unwrap_or(i64::MAX)
    }
}

/// How a choice is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceKind {
    /// Read the inputs, merge, purge, write new SSTables.
    Merge,
    /// Remove the inputs whole without reading them (everything in them expired past gc
    /// grace and nothing outside holds older data they could shadow).
    DropExpired,
}

/// One compaction to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionChoice {
    /// Generations of the inputs, distinct.
    pub inputs: Vec<u64>,
    /// The level the outputs belong to (0 outside leveled compaction).
    pub output_level: u32,
    /// Split outputs when one reaches this many bytes (leveled); `None` for one output.
    pub max_output_bytes: Option<u64>,
    /// Merge or drop.
    pub kind: ChoiceKind,
}

/// A compaction policy: a pure decision over the live SSTables.
pub trait CompactionStrategy: std::fmt::Debug + Send + Sync {
    /// The next compaction to run, or `None` when there is nothing worth doing.
    fn choose(&self, live: &[SsTableInfo], ctx: &ChoiceContext) -> Option<CompactionChoice>;
}

/// Builds the strategy a table's `compaction` map names (`class`, Cassandra's short or
/// fully qualified names; size-tiered when absent).
///
/// # Errors
/// [`OptionsError`] for an unknown class, an unknown option or a bad value.
pub fn strategy_from_options(
    options: &BTreeMap<String, String>,
) -> Result<Box<dyn CompactionStrategy>, OptionsError> {
    let class = options
        .get("class")
        .map_or("SizeTieredCompactionStrategy", String::as_str);
    let short = class.rsplit('.').next().unwrap_or(class);
    match short {
        "SizeTieredCompactionStrategy" => Ok(Box::new(SizeTieredStrategy::from_options(options)?)),
        "LeveledCompactionStrategy" => Ok(Box::new(LeveledStrategy::from_options(options)?)),
        "TimeWindowCompactionStrategy" => Ok(Box::new(TimeWindowStrategy::from_options(options)?)),
        _ => Err(OptionsError::UnknownClass(class.to_owned())),
    }
}

/// A major compaction (`nodetool compact`): every SSTable not already compacting, merged
/// into outputs of `output_level`, split at `max_output_bytes` when given. `None` when no
/// table is free.
#[must_use]
pub fn major_compaction(
    live: &[SsTableInfo],
    output_level: u32,
    max_output_bytes: Option<u64>,
) -> Option<CompactionChoice> {
    let inputs: Vec<u64> = live
        .iter()
        .filter(|t| !t.compacting)
        .map(|t| t.generation)
        .collect();
    (!inputs.is_empty()).then_some(CompactionChoice {
        inputs,
        output_level,
        max_output_bytes,
        kind: ChoiceKind::Merge,
    })
}

/// SSTables not in `chosen` (by generation) whose token range overlaps one in `chosen`.
pub(crate) fn overlapping_outside<'a>(
    live: &'a [SsTableInfo],
    chosen: &[&SsTableInfo],
) -> impl Iterator<Item = &'a SsTableInfo> {
    live.iter().filter(move |t| {
        chosen.iter().all(|c| c.generation != t.generation) && chosen.iter().any(|c| c.overlaps(t))
    })
}

/// Cassandra's `getFullyExpiredSSTables`: among `candidates`, those whose every cell and
/// tombstone is past gc grace and whose newest timestamp is older than anything outside
/// that overlaps them (other SSTables, memtables), so dropping them can neither
/// resurrect nor lose data. With `ignore_overlaps` the overlap check is skipped
/// (TWCS `unsafe_aggressive_sstable_expiration`). Every strategy's caller may use it to
/// take such tables out of a merge's inputs and drop them instead (Cassandra's
/// `CompactionController` does so for every strategy); `live` is every live table,
/// `candidates` those considered for dropping.
#[must_use]
pub fn fully_expired(
    live: &[SsTableInfo],
    candidates: &[&SsTableInfo],
    ctx: &ChoiceContext,
    ignore_overlaps: bool,
) -> Vec<u64> {
    let gc_before = ctx.gc_before_s();
    let expired_whole = |t: &SsTableInfo| {
        !t.has_non_expiring_data && t.max_local_deletion_time_s.is_some_and(|m| m < gc_before)
    };
    let (maybe, constructive): (Vec<&SsTableInfo>, Vec<&SsTableInfo>) =
        candidates.iter().partition(|t| expired_whole(t));
    if ignore_overlaps {
        return maybe.iter().map(|t| t.generation).collect();
    }
    let outside_min = overlapping_outside(live, candidates)
        .chain(constructive)
        .map(|t| t.min_timestamp)
        .chain(ctx.memtable_min_timestamp)
        .min()
        .unwrap_or(i64::MAX);
    maybe
        .iter()
        .filter(|t| t.max_timestamp < outside_min)
        .map(|t| t.generation)
        .collect()
}
