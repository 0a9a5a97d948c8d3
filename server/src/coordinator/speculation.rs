//! Speculative retry (the table option `speculative_retry`): when the
//! replicas a read asked are slower than usual, one more replica is asked,
//! and the first answers that meet the level win.
//!
//! Policies as Cassandra writes them: `NONE`, `ALWAYS`, `<n>ms`, and
//! `<n>p` / `<n>PERCENTILE` (of this coordinator's recent read latencies;
//! `MIN(..)`/`MAX(..)` forms fall back to the default `99p`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

/// Read latencies kept for percentiles.
const SAMPLES_MAX: usize = 1024;
/// Reads between two percentile recomputations.
const RECOMPUTE_EVERY: u64 = 64;
/// The delay used before enough latencies were seen.
const DEFAULT_DELAY: Duration = Duration::from_millis(50);

/// When to ask one more replica.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpeculativeRetry {
    /// Never.
    Never,
    /// At once (every read asks one extra replica).
    Always,
    /// After a fixed delay.
    After(Duration),
    /// After this percentile of recent read latencies.
    Percentile(f64),
}

impl SpeculativeRetry {
    /// Parses the table option (unknown forms: `99p`).
    pub fn parse(text: &str) -> Self {
        let t = text.trim().to_ascii_uppercase();
        if t == "NONE" {
            return Self::Never;
        }
        if t == "ALWAYS" {
            return Self::Always;
        }
        if let Some(ms) = t
            .strip_suffix("MS")
            .and_then(|n| n.trim().parse::<f64>().ok())
        {
            return Self::After(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
        }
        let percentile = t
            .strip_suffix("PERCENTILE")
            .or_else(|| t.strip_suffix('P'))
            .and_then(|n| n.trim().parse::<f64>().ok())
            .filter(|p| *p > 0.0 && *p < 100.0);
        Self::Percentile(percentile.unwrap_or(99.0))
    }
}

/// Recent read latencies of this coordinator.
#[derive(Debug, Default)]
pub struct LatencyTracker {
    samples: Mutex<VecDeque<u64>>,
    reads: AtomicU64,
    p99_us: AtomicU64,
}

impl LatencyTracker {
    /// Records one read's latency.
    pub fn record(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let mut samples = self.samples.lock();
        if samples.len() == SAMPLES_MAX {
            samples.pop_front();
        }
        samples.push_back(micros);
        drop(samples);
        if self
            .reads
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(RECOMPUTE_EVERY)
        {
            self.p99_us
                .store(self.percentile_us(99.0).unwrap_or(0), Ordering::Relaxed);
        }
    }

    fn percentile_us(&self, p: f64) -> Option<u64> {
        let mut sorted: Vec<u64> = self.samples.lock().iter().copied().collect();
        if sorted.len() < 16 {
            return None;
        }
        sorted.sort_unstable();
        // Nearest rank: the smallest sample with at least p% of samples at or below it.
        let wanted = p / 100.0 * sorted.len() as f64;
        let at = sorted
            .iter()
            .enumerate()
            .find(|(i, _)| (*i + 1) as f64 >= wanted)
            .map(|(_, v)| *v);
        at.or_else(|| sorted.last().copied())
    }

    /// How long to wait before speculating under `policy` (`None`: never).
    pub fn delay(&self, policy: SpeculativeRetry) -> Option<Duration> {
        match policy {
            SpeculativeRetry::Never => None,
            SpeculativeRetry::Always => Some(Duration::ZERO),
            SpeculativeRetry::After(d) => Some(d),
            SpeculativeRetry::Percentile(p) if (p - 99.0).abs() < f64::EPSILON => {
                let cached = self.p99_us.load(Ordering::Relaxed);
                Some(if cached == 0 {
                    DEFAULT_DELAY
                } else {
                    Duration::from_micros(cached)
                })
            }
            SpeculativeRetry::Percentile(p) => Some(
                self.percentile_us(p)
                    .map_or(DEFAULT_DELAY, Duration::from_micros),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_as_cassandra_writes_them() {
        assert_eq!(SpeculativeRetry::parse("NONE"), SpeculativeRetry::Never);
        assert_eq!(SpeculativeRetry::parse("always"), SpeculativeRetry::Always);
        assert_eq!(
            SpeculativeRetry::parse("10ms"),
            SpeculativeRetry::After(Duration::from_millis(10))
        );
        assert_eq!(
            SpeculativeRetry::parse("95p"),
            SpeculativeRetry::Percentile(95.0)
        );
        assert_eq!(
            SpeculativeRetry::parse("99PERCENTILE"),
            SpeculativeRetry::Percentile(99.0)
        );
        assert_eq!(
            SpeculativeRetry::parse("MIN(99p,50ms)"),
            SpeculativeRetry::Percentile(99.0)
        );
    }

    #[test]
    fn the_delay_follows_recent_latencies() {
        let tracker = LatencyTracker::default();
        assert_eq!(
            tracker.delay(SpeculativeRetry::Percentile(90.0)),
            Some(DEFAULT_DELAY)
        );
        for ms in 1..=100 {
            tracker.record(Duration::from_millis(ms));
        }
        assert_eq!(
            tracker.delay(SpeculativeRetry::Percentile(90.0)),
            Some(Duration::from_millis(90))
        );
        assert_eq!(tracker.delay(SpeculativeRetry::Never), None);
    }
}
