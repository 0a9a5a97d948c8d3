//! Latency recording with HDR histograms: one [`Recorder`] per worker (an
//! interval histogram and a whole-run one behind an uncontended mutex), and
//! [`Summary`], the percentiles the reports print.
//!
//! Invariants: latencies are recorded in microseconds, clamped to
//! [1 µs, 1 h] so recording never fails; the interval histogram is emptied
//! each time the reporter takes it.

use std::sync::Mutex;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Largest recordable latency: one hour in microseconds.
const MAX_US: u64 = 3_600_000_000;

/// A new histogram with 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("static bounds are valid")
}

#[derive(Debug)]
struct Counts {
    interval: Histogram<u64>,
    total: Histogram<u64>,
    interval_errors: u64,
    errors: u64,
}

/// One worker's latencies and errors.
#[derive(Debug)]
pub struct Recorder {
    inner: Mutex<Counts>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            inner: Mutex::new(Counts {
                interval: new_histogram(),
                total: new_histogram(),
                interval_errors: 0,
                errors: 0,
            }),
        }
    }
}

impl Recorder {
    /// Records one operation's latency (µs), and whether it failed.
    pub fn record(&self, micros: u64, failed: bool) {
        let v = micros.clamp(1, MAX_US);
        if let Ok(mut c) = self.inner.lock() {
            let _ = c.interval.record(v);
            let _ = c.total.record(v);
            if failed {
                c.interval_errors += 1;
                c.errors += 1;
            }
        }
    }

    /// Adds this interval's histogram and errors to `into` and resets them.
    pub fn drain_interval(&self, into: &mut Histogram<u64>) -> u64 {
        let Ok(mut c) = self.inner.lock() else {
            return 0;
        };
        let _ = into.add(&c.interval);
        c.interval.reset();
        std::mem::take(&mut c.interval_errors)
    }

    /// Adds the whole run to `into`; returns the run's errors.
    pub fn merge_total(&self, into: &mut Histogram<u64>) -> u64 {
        let Ok(c) = self.inner.lock() else { return 0 };
        let _ = into.add(&c.total);
        c.errors
    }

    /// Forgets everything (end of warmup).
    pub fn reset(&self) {
        if let Ok(mut c) = self.inner.lock() {
            c.interval.reset();
            c.total.reset();
            c.interval_errors = 0;
            c.errors = 0;
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Latency {
    /// The percentiles of `h` (µs) in ms; all zero when empty.
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Latency::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            p50: ms(h.value_at_quantile(0.50)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_ordered_and_intervals_reset() {
        let r = Recorder::default();
        for us in 1..=1000 {
            r.record(us * 10, us % 100 == 0);
        }
        let mut h = new_histogram();
        assert_eq!(r.drain_interval(&mut h), 10);
        let l = Latency::of(&h);
        assert!(l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max);
        assert!((l.p50 - 5.0).abs() < 0.1, "{l:?}");
        let mut again = new_histogram();
        assert_eq!(r.drain_interval(&mut again), 0);
        assert!(again.is_empty());
        let mut total = new_histogram();
        assert_eq!(r.merge_total(&mut total), 10);
        assert_eq!(total.len(), 1000);
    }
}
