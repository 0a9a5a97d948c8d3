//! Size-tiered compaction (STCS), Cassandra's default: merge SSTables of similar size.
//!
//! Buckets (Cassandra's `getBuckets`): SSTables sorted by size join the first bucket
//! whose average size `avg` satisfies `avg * bucket_low < size < avg * bucket_high`, or
//! where both `size` and `avg` are below `min_sstable_size` (all small tables share one
//! bucket); otherwise they open a new bucket. Buckets with fewer than `min_threshold`
//! tables are ignored; the others are trimmed to `max_threshold` tables. Cassandra then
//! picks the "hottest" bucket by read rate; we keep no read meter, so every bucket is
//! equally hot and Cassandra's tie-breaker decides: the bucket with the smallest average
//! size (cheapest, and it removes the most tables per byte written). When no bucket
//! qualifies, one SSTable worth a tombstone compaction is compacted alone
//! ([`CommonOptions::worth_dropping_tombstones`]), the smallest first.

use std::collections::BTreeMap;

use super::options::{CommonOptions, OptionReader, OptionsError, out_of_range};
use super::{ChoiceContext, ChoiceKind, CompactionChoice, CompactionStrategy, SsTableInfo};

/// STCS-specific options (also used by TWCS inside its newest window and by LCS in a
/// backed-up L0).
#[derive(Debug, Clone, PartialEq)]
pub struct SizeTieredOptions {
    /// `bucket_low` (default 0.5).
    pub bucket_low: f64,
    /// `bucket_high` (default 1.5).
    pub bucket_high: f64,
    /// `min_sstable_size` in bytes (default 50 MiB).
    pub min_sstable_size_bytes: u64,
}

impl Default for SizeTieredOptions {
    fn default() -> Self {
        Self {
            bucket_low: 0.5,
            bucket_high: 1.5,
            min_sstable_size_bytes: 50 * 1024 * 1024,
        }
    }
}

impl SizeTieredOptions {
    /// Reads `bucket_low`, `bucket_high`, `min_sstable_size`.
    pub(crate) fn read(r: &mut OptionReader<'_>) -> Result<Self, OptionsError> {
        let d = Self::default();
        let min_size: i64 = r.get(
            "min_sstable_size",
            i64::try_from(d.min_sstable_size_bytes).unwrap_or(i64::MAX),
            "integer",
        )?;
        let min_sstable_size_bytes = u64::try_from(min_size)
            .map_err(|_| out_of_range("min_sstable_size", min_size, "must be non negative"))?;
        let bucket_low: f64 = r.get("bucket_low", d.bucket_low, "number")?;
        let bucket_high: f64 = r.get("bucket_high", d.bucket_high, "number")?;
        if !bucket_low.is_finite() || !bucket_high.is_finite() {
            return Err(out_of_range("bucket_low", bucket_low, "must be finite"));
        }
        if bucket_high <= bucket_low {
            return Err(out_of_range(
                "bucket_high",
                bucket_high,
                "bucket high value is less than or equal bucket low value",
            ));
        }
        Ok(Self {
            bucket_low,
            bucket_high,
            min_sstable_size_bytes,
        })
    }
}

/// The size-tiered strategy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SizeTieredStrategy {
    /// Shared options.
    pub common: CommonOptions,
    /// Bucketing options.
    pub tiers: SizeTieredOptions,
}

impl SizeTieredStrategy {
    /// Parses a table's compaction map.
    ///
    /// # Errors
    /// [`OptionsError`] for unknown keys or bad values.
    pub fn from_options(map: &BTreeMap<String, String>) -> Result<Self, OptionsError> {
        let mut r = OptionReader::new(map);
        let common = CommonOptions::read(&mut r)?;
        let tiers = SizeTieredOptions::read(&mut r)?;
        r.finish("SizeTieredCompactionStrategy")?;
        Ok(Self { common, tiers })
    }
}

/// Groups `tables` into size buckets (Cassandra's `getBuckets`); each bucket is sorted by
/// size, buckets in order of creation (ascending size of their first member).
#[must_use]
pub fn buckets<'a>(
    tables: &[&'a SsTableInfo],
    opts: &SizeTieredOptions,
) -> Vec<Vec<&'a SsTableInfo>> {
    let mut sorted: Vec<&SsTableInfo> = tables.to_vec();
    sorted.sort_by_key(|t| (t.size_bytes, t.generation));
    let mut out: Vec<(f64, Vec<&SsTableInfo>)> = Vec::new();
    let small = opts.min_sstable_size_bytes as f64;
    for t in sorted {
        let size = t.size_bytes as f64;
        let fits = |avg: f64| {
            (size > avg * opts.bucket_low && size < avg * opts.bucket_high)
                || (size < small && avg < small)
        };
        match out.iter_mut().find(|(avg, _)| fits(*avg)) {
            Some((avg, members)) => {
                let total = *avg * members.len() as f64 + size;
                members.push(t);
                *avg = total / members.len() as f64;
            }
            None => out.push((size, vec![t])),
        }
    }
    out.into_iter().map(|(_, members)| members).collect()
}

/// Cassandra's `mostInterestingBucket` without read hotness: among buckets of at least
/// `min_threshold` tables, each trimmed to its `max_threshold` smallest, the one with the
/// smallest average size.
#[must_use]
pub fn most_interesting_bucket(
    buckets: Vec<Vec<&SsTableInfo>>,
    min_threshold: usize,
    max_threshold: usize,
) -> Option<Vec<&SsTableInfo>> {
    buckets
        .into_iter()
        .filter(|b| b.len() >= min_threshold)
        .map(|mut b| {
            b.truncate(max_threshold);
            b
        })
        .min_by(|a, b| average(a).total_cmp(&average(b)))
}

fn average(bucket: &[&SsTableInfo]) -> f64 {
    let total: u128 = bucket.iter().map(|t| u128::from(t.size_bytes)).sum();
    total as f64 / bucket.len().max(1) as f64
}

/// The STCS decision over `candidates` (non-compacting tables), `live` being every live
/// table (for the tombstone overlap estimate).
pub(crate) fn choose_size_tiered(
    common: &CommonOptions,
    tiers: &SizeTieredOptions,
    candidates: &[&SsTableInfo],
    live: &[SsTableInfo],
    ctx: &ChoiceContext,
) -> Option<CompactionChoice> {
    let bucket = most_interesting_bucket(
        buckets(candidates, tiers),
        common.min_threshold,
        common.max_threshold,
    );
    if let Some(bucket) = bucket {
        return Some(merge_of(bucket.iter().map(|t| t.generation).collect()));
    }
    tombstone_candidate(common, candidates, live, ctx)
}

/// The smallest candidate worth a single-SSTable tombstone compaction.
pub(crate) fn tombstone_candidate(
    common: &CommonOptions,
    candidates: &[&SsTableInfo],
    live: &[SsTableInfo],
    ctx: &ChoiceContext,
) -> Option<CompactionChoice> {
    let gc_before = ctx.gc_before_s();
    candidates
        .iter()
        .filter(|t| common.worth_dropping_tombstones(t, live, ctx.now_s, gc_before))
        .min_by_key(|t| (t.size_bytes, t.generation))
        .map(|t| merge_of(vec![t.generation]))
}

fn merge_of(inputs: Vec<u64>) -> CompactionChoice {
    CompactionChoice {
        inputs,
        output_level: 0,
        max_output_bytes: None,
        kind: ChoiceKind::Merge,
    }
}

impl CompactionStrategy for SizeTieredStrategy {
    fn choose(&self, live: &[SsTableInfo], ctx: &ChoiceContext) -> Option<CompactionChoice> {
        let candidates: Vec<&SsTableInfo> = live.iter().filter(|t| !t.compacting).collect();
        choose_size_tiered(&self.common, &self.tiers, &candidates, live, ctx)
    }
}
