//! Time-window compaction (TWCS), for time series written in time order with TTLs.
//!
//! Each SSTable belongs to the window holding its *max* timestamp (windows of
//! `compaction_window_size` x `compaction_window_unit`, aligned to the epoch; timestamps
//! are in `timestamp_resolution`). The decision, in order (Cassandra's
//! `getNextBackgroundSSTables`):
//! 1. fully expired SSTables (every cell and tombstone expired past gc grace, nothing
//!    outside older than their newest timestamp) are dropped whole, unread
//!    ([`ChoiceKind::DropExpired`]);
//! 2. in the newest window seen (the window of the largest max timestamp, not the wall
//!    clock), STCS among its tables once there are `min_threshold` of them;
//! 3. in any older window holding two or more tables, merge them (up to
//!    `max_threshold`, smallest first) into one: one SSTable per closed window;
//! 4. otherwise a single-SSTable tombstone compaction, as STCS.

use std::collections::BTreeMap;

use super::options::{CommonOptions, OptionReader, OptionsError, out_of_range};
use super::size_tiered::{
    SizeTieredOptions, buckets, most_interesting_bucket, tombstone_candidate,
};
use super::{
    ChoiceContext, ChoiceKind, CompactionChoice, CompactionStrategy, SsTableInfo, fully_expired,
};

/// TWCS options.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeWindowOptions {
    /// Window length in seconds (`compaction_window_size` x `compaction_window_unit`;
    /// default one day).
    pub window_s: i64,
    /// Timestamp units per second (`timestamp_resolution`; default MICROSECONDS).
    pub units_per_s: i64,
    /// `unsafe_aggressive_sstable_expiration`: drop expired tables without the overlap
    /// check (may resurrect data shadowed by their tombstones; default false).
    pub unsafe_aggressive_expiration: bool,
    /// `expired_sstable_check_frequency_seconds` (accepted; every choice checks).
    pub expired_check_frequency_s: u64,
}

impl Default for TimeWindowOptions {
    fn default() -> Self {
        Self {
            window_s: 86_400,
            units_per_s: 1_000_000,
            unsafe_aggressive_expiration: false,
            expired_check_frequency_s: 600,
        }
    }
}

impl TimeWindowOptions {
    fn read(r: &mut OptionReader<'_>) -> Result<Self, OptionsError> {
        let d = Self::default();
        let unit_s = match r
            .get_str("compaction_window_unit", "DAYS")
            .to_ascii_uppercase()
            .as_str()
        {
            "MINUTES" => 60,
            "HOURS" => 3_600,
            "DAYS" => 86_400,
            other => {
                return Err(out_of_range(
                    "compaction_window_unit",
                    other,
                    "must be MINUTES, HOURS or DAYS",
                ));
            }
        };
        let size: i64 = r.get("compaction_window_size", 1, "integer")?;
        if size < 1 {
            return Err(out_of_range(
                "compaction_window_size",
                size,
                "must be greater than 0",
            ));
        }
        let units_per_s = match r
            .get_str("timestamp_resolution", "MICROSECONDS")
            .to_ascii_uppercase()
            .as_str()
        {
            "SECONDS" => 1,
            "MILLISECONDS" => 1_000,
            "MICROSECONDS" => 1_000_000,
            "NANOSECONDS" => 1_000_000_000,
            other => {
                return Err(out_of_range(
                    "timestamp_resolution",
                    other,
                    "must be SECONDS, MILLISECONDS, MICROSECONDS or NANOSECONDS",
                ));
            }
        };
        Ok(Self {
            window_s: size.saturating_mul(unit_s),
            units_per_s,
            unsafe_aggressive_expiration: r
                .get_bool("unsafe_aggressive_sstable_expiration", false)?,
            expired_check_frequency_s: r.get(
                "expired_sstable_check_frequency_seconds",
                d.expired_check_frequency_s,
                "non-negative integer",
            )?,
        })
    }

    /// The start (seconds) of the window holding `timestamp`.
    #[must_use]
    pub fn window_of(&self, timestamp: i64) -> i64 {
        let seconds = timestamp.div_euclid(self.units_per_s);
        seconds - seconds.rem_euclid(self.window_s)
    }
}

/// The time-window strategy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimeWindowStrategy {
    /// Shared options.
    pub common: CommonOptions,
    /// STCS options used inside the newest window.
    pub tiers: SizeTieredOptions,
    /// Windowing options.
    pub windows: TimeWindowOptions,
}

impl TimeWindowStrategy {
    /// Parses a table's compaction map.
    ///
    /// # Errors
    /// [`OptionsError`] for unknown keys or bad values.
    pub fn from_options(map: &BTreeMap<String, String>) -> Result<Self, OptionsError> {
        let mut r = OptionReader::new(map);
        let common = CommonOptions::read(&mut r)?;
        let tiers = SizeTieredOptions::read(&mut r)?;
        let windows = TimeWindowOptions::read(&mut r)?;
        r.finish("TimeWindowCompactionStrategy")?;
        Ok(Self {
            common,
            tiers,
            windows,
        })
    }

    /// Candidates grouped by window start, newest window last.
    fn windows<'a>(&self, candidates: &[&'a SsTableInfo]) -> BTreeMap<i64, Vec<&'a SsTableInfo>> {
        let mut out: BTreeMap<i64, Vec<&SsTableInfo>> = BTreeMap::new();
        for t in candidates {
            out.entry(self.windows.window_of(t.max_timestamp))
                .or_default()
                .push(t);
        }
        out
    }

    fn newest_bucket(&self, candidates: &[&SsTableInfo]) -> Option<Vec<u64>> {
        let windows = self.windows(candidates);
        let newest = *windows.keys().next_back()?;
        for (start, mut tables) in windows.into_iter().rev() {
            if start == newest {
                if tables.len() >= self.common.min_threshold {
                    let bucket = most_interesting_bucket(
                        buckets(&tables, &self.tiers),
                        self.common.min_threshold,
                        self.common.max_threshold,
                    );
                    if let Some(b) = bucket {
                        return Some(b.iter().map(|t| t.generation).collect());
                    }
                }
            } else if tables.len() >= 2 {
                tables.sort_by_key(|t| (t.size_bytes, t.generation));
                tables.truncate(self.common.max_threshold);
                return Some(tables.iter().map(|t| t.generation).collect());
            }
        }
        None
    }
}

impl CompactionStrategy for TimeWindowStrategy {
    fn choose(&self, live: &[SsTableInfo], ctx: &ChoiceContext) -> Option<CompactionChoice> {
        let candidates: Vec<&SsTableInfo> = live.iter().filter(|t| !t.compacting).collect();
        let expired = fully_expired(
            live,
            &candidates,
            ctx,
            self.windows.unsafe_aggressive_expiration,
        );
        if !expired.is_empty() {
            return Some(CompactionChoice {
                inputs: expired,
                output_level: 0,
                max_output_bytes: None,
                kind: ChoiceKind::DropExpired,
            });
        }
        if let Some(inputs) = self.newest_bucket(&candidates) {
            return Some(CompactionChoice {
                inputs,
                output_level: 0,
                max_output_bytes: None,
                kind: ChoiceKind::Merge,
            });
        }
        tombstone_candidate(&self.common, &candidates, live, ctx)
    }
}
