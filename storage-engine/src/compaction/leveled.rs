//! Leveled compaction (LCS): levels of non-overlapping SSTables of bounded size.
//!
//! Level `n >= 1` may hold `fanout^n x sstable_size` bytes; inside a level token ranges
//! do not overlap; L0 holds fresh flushes that overlap freely. The decision (Cassandra's
//! `LeveledManifest.getCompactionCandidates`):
//! 1. from the highest level down to L1, the first level over its size budget (score
//!    above 1.001) compacts one table into the next level, with every table of the next
//!    level its token range overlaps. Before that, if L0 is backed up (more than
//!    `max_threshold` tables), STCS runs inside L0 first so reads do not degrade;
//! 2. otherwise, when L0 has `min_threshold` tables, the oldest up to `max_threshold`
//!    of them are merged with the L1 tables overlapping their token span, into L1 (or stay in L0 when
//!    they are few bytes and touch nothing in L1);
//! 3. otherwise STCS in L0 if possible, else a single-SSTable tombstone compaction.
//!
//! Which table of a level goes up: Cassandra walks each level round-robin by token from
//! the last compacted key (state kept in the manifest). To stay pure and stateless we
//! pick the oldest table (smallest `created_at_s`, then generation), which also cycles
//! through the level. A table is skipped when a table it overlaps in the next level is
//! already compacting. Outputs are split at `sstable_size_in_mb`.

use std::collections::BTreeMap;

use super::options::{CommonOptions, OptionReader, OptionsError, out_of_range};
use super::size_tiered::{SizeTieredOptions, choose_size_tiered, tombstone_candidate};
use super::{ChoiceContext, ChoiceKind, CompactionChoice, CompactionStrategy, SsTableInfo};

/// The highest level.
pub const LEVEL_MAX: u32 = 8;

/// LCS options.
#[derive(Debug, Clone, PartialEq)]
pub struct LeveledOptions {
    /// `sstable_size_in_mb` in bytes (default 160 MiB).
    pub sstable_size_bytes: u64,
    /// `fanout_size` (default 10).
    pub fanout: u64,
}

impl Default for LeveledOptions {
    fn default() -> Self {
        Self {
            sstable_size_bytes: 160 * 1024 * 1024,
            fanout: 10,
        }
    }
}

impl LeveledOptions {
    /// The byte budget of `level` (L0: 4 tables' worth, as Cassandra).
    #[must_use]
    pub fn max_bytes_for_level(&self, level: u32) -> u64 {
        if level == 0 {
            return self.sstable_size_bytes.saturating_mul(4);
        }
        self.fanout
            .saturating_pow(level)
            .saturating_mul(self.sstable_size_bytes)
    }
}

/// The leveled strategy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeveledStrategy {
    /// Shared options.
    pub common: CommonOptions,
    /// STCS options for a backed-up L0.
    pub tiers: SizeTieredOptions,
    /// Level sizing.
    pub levels: LeveledOptions,
}

impl LeveledStrategy {
    /// Parses a table's compaction map.
    ///
    /// # Errors
    /// [`OptionsError`] for unknown keys or bad values.
    pub fn from_options(map: &BTreeMap<String, String>) -> Result<Self, OptionsError> {
        let mut r = OptionReader::new(map);
        let common = CommonOptions::read(&mut r)?;
        let tiers = SizeTieredOptions::read(&mut r)?;
        let d = LeveledOptions::default();
        let size_mb: u64 = r.get("sstable_size_in_mb", 160, "positive integer")?;
        if size_mb == 0 {
            return Err(out_of_range(
                "sstable_size_in_mb",
                size_mb,
                "must be larger than 0",
            ));
        }
        let fanout: u64 = r.get("fanout_size", d.fanout, "integer")?;
        if fanout < 2 {
            return Err(out_of_range("fanout_size", fanout, "must be at least 2"));
        }
        let _ = r.get_bool("single_sstable_uplevel", false)?;
        r.finish("LeveledCompactionStrategy")?;
        Ok(Self {
            common,
            tiers,
            levels: LeveledOptions {
                sstable_size_bytes: size_mb.saturating_mul(1024 * 1024),
                fanout,
            },
        })
    }

    fn merge(&self, inputs: &[&SsTableInfo], output_level: u32) -> CompactionChoice {
        CompactionChoice {
            inputs: inputs.iter().map(|t| t.generation).collect(),
            output_level,
            max_output_bytes: Some(self.levels.sstable_size_bytes),
            kind: ChoiceKind::Merge,
        }
    }

    /// STCS among the L0 tables, outputs staying in L0.
    fn stcs_in_l0(
        &self,
        l0: &[&SsTableInfo],
        live: &[SsTableInfo],
        ctx: &ChoiceContext,
    ) -> Option<CompactionChoice> {
        let mut choice = choose_size_tiered(&self.common, &self.tiers, l0, live, ctx)?;
        choice.output_level = 0;
        choice.max_output_bytes = None;
        Some(choice)
    }

    /// One table of `level` (>= 1) with its overlaps in `level + 1`.
    fn promote(&self, level: u32, live: &[SsTableInfo]) -> Option<CompactionChoice> {
        let mut tables: Vec<&SsTableInfo> = in_level(live, level).collect();
        tables.sort_by_key(|t| (t.created_at_s, t.generation));
        tables.into_iter().filter(|t| !t.compacting).find_map(|t| {
            let next: Vec<&SsTableInfo> = in_level(live, level + 1)
                .filter(|n| n.overlaps(t))
                .collect();
            if next.iter().any(|n| n.compacting) {
                return None;
            }
            let mut inputs = vec![t];
            inputs.extend(next);
            Some(self.merge(&inputs, level + 1))
        })
    }

    /// The oldest L0 tables (up to `max_threshold`) with the L1 tables they overlap.
    fn l0_to_l1(&self, l0: &[&SsTableInfo], live: &[SsTableInfo]) -> Option<CompactionChoice> {
        let mut oldest: Vec<&SsTableInfo> = l0.to_vec();
        oldest.sort_by_key(|t| (t.created_at_s, t.generation));
        oldest.truncate(self.common.max_threshold);
        // Overlap with the whole span, not table by table: the outputs cover the span,
        // so an L1 table lying between two L0 ranges would otherwise end up overlapping.
        let span = (
            oldest.iter().map(|t| t.min_token).min()?,
            oldest.iter().map(|t| t.max_token).max()?,
        );
        let l1: Vec<&SsTableInfo> = in_level(live, 1)
            .filter(|n| n.min_token <= span.1 && span.0 <= n.max_token)
            .collect();
        if l1.iter().any(|n| n.compacting) {
            return None;
        }
        let l0_bytes: u64 = oldest.iter().map(|t| t.size_bytes).sum();
        let level = if l1.is_empty() && l0_bytes < self.levels.sstable_size_bytes {
            0
        } else {
            1
        };
        let mut inputs = oldest;
        inputs.extend(l1);
        Some(self.merge(&inputs, level))
    }
}

fn in_level(live: &[SsTableInfo], level: u32) -> impl Iterator<Item = &SsTableInfo> {
    live.iter().filter(move |t| t.level == level)
}

impl CompactionStrategy for LeveledStrategy {
    fn choose(&self, live: &[SsTableInfo], ctx: &ChoiceContext) -> Option<CompactionChoice> {
        let l0: Vec<&SsTableInfo> = in_level(live, 0).filter(|t| !t.compacting).collect();
        let l0_backed_up = l0.len() > self.common.max_threshold;
        for level in (1..LEVEL_MAX).rev() {
            let bytes: u64 = in_level(live, level).map(|t| t.size_bytes).sum();
            let score = bytes as f64 / self.levels.max_bytes_for_level(level) as f64;
            if score <= 1.001 {
                continue;
            }
            if l0_backed_up && let Some(c) = self.stcs_in_l0(&l0, live, ctx) {
                return Some(c);
            }
            if let Some(c) = self.promote(level, live) {
                return Some(c);
            }
        }
        if l0_backed_up && let Some(c) = self.stcs_in_l0(&l0, live, ctx) {
            return Some(c);
        }
        if l0.len() >= self.common.min_threshold
            && let Some(c) = self.l0_to_l1(&l0, live)
        {
            return Some(c);
        }
        if let Some(c) = self.stcs_in_l0(&l0, live, ctx) {
            return Some(c);
        }
        let candidates: Vec<&SsTableInfo> = live.iter().filter(|t| !t.compacting).collect();
        tombstone_candidate(&self.common, &candidates, live, ctx).map(|mut c| {
            c.output_level = candidates
                .iter()
                .find(|t| c.inputs.contains(&t.generation))
                .map_or(0, |t| t.level);
            c.max_output_bytes = Some(self.levels.sstable_size_bytes);
            c
        })
    }
}
