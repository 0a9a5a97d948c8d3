//! Parsing a table's `compaction` option map (strings, Cassandra's names) into typed
//! options, and the options every strategy shares (tombstone compactions, thresholds).
//!
//! Invariant: a map that parses yields options the strategies can use without further
//! checks (thresholds >= 2, max >= min, ratios finite and >= 0). Unknown keys are errors,
//! as in Cassandra ("Properties specified [...] are not understood").

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use super::SsTableInfo;

/// A bad compaction option map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionsError {
    /// `class` names no strategy we have.
    #[error("unknown compaction strategy class {0}")]
    UnknownClass(String),
    /// Keys the chosen strategy does not understand.
    #[error("properties specified {0:?} are not understood by {1}")]
    UnknownOptions(Vec<String>, &'static str),
    /// A value that does not parse as the option's type.
    #[error("{value:?} is not a valid {expected} for {key}")]
    Unparsable {
        /// The option.
        key: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A value that parses but is out of range.
    #[error("{key} = {value}: {reason}")]
    OutOfRange {
        /// The option.
        key: &'static str,
        /// Its value.
        value: String,
        /// The rule it breaks.
        reason: &'static str,
    },
}

/// Keys every strategy accepts and we ignore (no effect in this engine).
const IGNORED_KEYS: [&str; 5] = [
    "class",
    "enabled",
    "log_all",
    "only_purge_repaired_tombstones",
    "provide_overlapping_tombstones",
];

/// Reads typed values out of an option map and tracks which keys were used.
#[derive(Debug)]
pub(crate) struct OptionReader<'a> {
    map: &'a BTreeMap<String, String>,
    used: BTreeSet<&'a str>,
}

impl<'a> OptionReader<'a> {
    /// A reader over `map`.
    pub(crate) fn new(map: &'a BTreeMap<String, String>) -> Self {
        let used = map
            .keys()
            .map(String::as_str)
            .filter(|k| IGNORED_KEYS.contains(k))
            .collect();
        Self { map, used }
    }

    /// The value of `key` parsed as `T`, or `default` when absent.
    pub(crate) fn get<T: FromStr>(
        &mut self,
        key: &'static str,
        default: T,
        expected: &'static str,
    ) -> Result<T, OptionsError> {
        let Some((k, value)) = self.map.get_key_value(key) else {
            return Ok(default);
        };
        self.used.insert(k.as_str());
        value.trim().parse().map_err(|_| OptionsError::Unparsable {
            key,
            value: value.clone(),
            expected,
        })
    }

    /// A boolean (`true`/`false`, any case), or `default`.
    pub(crate) fn get_bool(
        &mut self,
        key: &'static str,
        default: bool,
    ) -> Result<bool, OptionsError> {
        let Some((k, value)) = self.map.get_key_value(key) else {
            return Ok(default);
        };
        self.used.insert(k.as_str());
        match value.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(OptionsError::Unparsable {
                key,
                value: value.clone(),
                expected: "boolean",
            }),
        }
    }

    /// The raw string of `key`, or `default`.
    pub(crate) fn get_str(&mut self, key: &'static str, default: &'a str) -> &'a str {
        match self.map.get_key_value(key) {
            Some((k, v)) => {
                self.used.insert(k.as_str());
                v.as_str()
            }
            None => default,
        }
    }

    /// Fails when some key was never read.
    pub(crate) fn finish(self, strategy: &'static str) -> Result<(), OptionsError> {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !self.used.contains(k.as_str()))
            .cloned()
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(OptionsError::UnknownOptions(unknown, strategy))
        }
    }
}

/// An out-of-range error for `key`.
pub(crate) fn out_of_range(
    key: &'static str,
    value: impl ToString,
    reason: &'static str,
) -> OptionsError {
    OptionsError::OutOfRange {
        key,
        value: value.to_string(),
        reason,
    }
}

/// Options shared by every strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonOptions {
    /// `min_threshold`: fewest SSTables a merge takes (default 4).
    pub min_threshold: usize,
    /// `max_threshold`: most SSTables a merge takes (default 32).
    pub max_threshold: usize,
    /// `tombstone_threshold`: droppable tombstone ratio above which one SSTable is
    /// compacted alone (default 0.2).
    pub tombstone_threshold: f64,
    /// `tombstone_compaction_interval`: minimum age in seconds of an SSTable before a
    /// single-SSTable tombstone compaction (default 86,400).
    pub tombstone_compaction_interval_s: u64,
    /// `unchecked_tombstone_compaction`: skip the overlap estimate (default false).
    pub unchecked_tombstone_compaction: bool,
}

impl Default for CommonOptions {
    fn default() -> Self {
        Self {
            min_threshold: 4,
            max_threshold: 32,
            tombstone_threshold: 0.2,
            tombstone_compaction_interval_s: 86_400,
            unchecked_tombstone_compaction: false,
        }
    }
}

impl CommonOptions {
    /// Reads the shared keys.
    pub(crate) fn read(r: &mut OptionReader<'_>) -> Result<Self, OptionsError> {
        let d = Self::default();
        let min_threshold: usize = r.get("min_threshold", d.min_threshold, "integer")?;
        let max_threshold: usize = r.get("max_threshold", d.max_threshold, "integer")?;
        if min_threshold < 2 {
            return Err(out_of_range(
                "min_threshold",
                min_threshold,
                "min compaction threshold cannot be less than 2",
            ));
        }
        if max_threshold < min_threshold {
            return Err(out_of_range(
                "max_threshold",
                max_threshold,
                "max compaction threshold cannot be less than min_threshold",
            ));
        }
        let tombstone_threshold: f64 =
            r.get("tombstone_threshold", d.tombstone_threshold, "number")?;
        if !tombstone_threshold.is_finite() || tombstone_threshold < 0.0 {
            return Err(out_of_range(
                "tombstone_threshold",
                tombstone_threshold,
                "must be a non-negative number",
            ));
        }
        Ok(Self {
            min_threshold,
            max_threshold,
            tombstone_threshold,
            tombstone_compaction_interval_s: r.get(
                "tombstone_compaction_interval",
                d.tombstone_compaction_interval_s,
                "non-negative integer",
            )?,
            unchecked_tombstone_compaction: r.get_bool("unchecked_tombstone_compaction", false)?,
        })
    }

    /// Cassandra's `worthDroppingTombstones`: old enough, droppable ratio above the
    /// threshold and, unless unchecked, still above it after discounting the share of
    /// the token range that other SSTables overlap (their data may keep the tombstones).
    #[must_use]
    pub fn worth_dropping_tombstones(
        &self,
        table: &SsTableInfo,
        live: &[SsTableInfo],
        now_s: u64,
        gc_before_s: i64,
    ) -> bool {
        if now_s
            < table
                .created_at_s
                .saturating_add(self.tombstone_compaction_interval_s)
        {
            return false;
        }
        let ratio = table.droppable_tombstone_ratio(gc_before_s);
        if ratio <= self.tombstone_threshold {
            return false;
        }
        if self.unchecked_tombstone_compaction {
            return true;
        }
        let overlaps: Vec<(i64, i64)> = super::overlapping_outside(live, &[table])
            .map(|t| {
                (
                    t.min_token.max(table.min_token),
                    t.max_token.min(table.max_token),
                )
            })
            .collect();
        if overlaps.is_empty() {
            return true;
        }
        let width = span(table.min_token, table.max_token);
        let covered = covered_width(overlaps).min(width);
        let remaining = (width - covered) / width;
        remaining * ratio > self.tombstone_threshold
    }
}

/// Number of tokens in `[min, max]` as a float (never 0).
fn span(min: i64, max: i64) -> f64 {
    (i128::from(max) - i128::from(min) + 1) as f64
}

/// Total width of the union of closed token intervals.
fn covered_width(mut intervals: Vec<(i64, i64)>) -> f64 {
    intervals.sort_unstable();
    let mut total = 0.0;
    let mut current: Option<(i64, i64)> = None;
    for (lo, hi) in intervals {
        current = match current {
            Some((clo, chi)) if lo <= chi => Some((clo, chi.max(hi))),
            Some((clo, chi)) => {
                total += span(clo, chi);
                Some((lo, hi))
            }
            None => Some((lo, hi)),
        };
    }
    if let Some((lo, hi)) = current {
        total += span(lo, hi);
    }
    total
}
