//! The time seam (DESIGN §7): the wall clock reaches core logic only through
//! [`Clock`], so tests can control it; and [`TimestampGenerator`] turns it into
//! write timestamps that never repeat or go backwards on this node.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// Microseconds since the Unix epoch.
    fn now_micros(&self) -> i64;

    /// Seconds since the Unix epoch (what TTL expiry and deletion times use).
    fn now_seconds(&self) -> i64 {
        self.now_micros().div_euclid(1_000_000)
    }
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that reads the wall clock"
    )]
    fn now_micros(&self) -> i64 {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX)
    }
}

/// A clock tests move by hand.
#[derive(Debug, Default)]
pub struct ManualClock {
    micros: AtomicI64,
}

impl ManualClock {
    /// A clock showing `micros`.
    pub fn new(micros: i64) -> Self {
        Self {
            micros: AtomicI64::new(micros),
        }
    }

    /// Sets the time.
    pub fn set_micros(&self, micros: i64) {
        self.micros.store(micros, Ordering::SeqCst);
    }

    /// Moves the time forward (or back, to test that nothing else does).
    pub fn advance_micros(&self, delta: i64) {
        self.micros.fetch_add(delta, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_micros(&self) -> i64 {
        self.micros.load(Ordering::SeqCst)
    }
}

/// Write timestamps for statements without `USING TIMESTAMP`: the clock's
/// microseconds, bumped so that each is strictly greater than the previous one
/// handed out here (two writes in the same microsecond still order, and a clock
/// stepping back does not reorder writes), as Cassandra's `ClientState` does.
#[derive(Clone)]
pub struct TimestampGenerator {
    clock: Arc<dyn Clock>,
    last: Arc<AtomicI64>,
}

impl std::fmt::Debug for TimestampGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimestampGenerator")
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl TimestampGenerator {
    /// A generator over `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            last: Arc::new(AtomicI64::new(i64::MIN)),
        }
    }

    /// The next write timestamp, µs.
    pub fn next(&self) -> i64 {
        let now = self.clock.now_micros();
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let candidate = now.max(last.saturating_add(1));
            match self.last.compare_exchange_weak(
                last,
                candidate,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return candidate,
                Err(seen) => last = seen,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_strictly_increase_even_when_the_clock_stalls_or_steps_back() {
        let clock = Arc::new(ManualClock::new(1_000));
        let timestamps = TimestampGenerator::new(clock.clone());
        assert_eq!(timestamps.next(), 1_000);
        assert_eq!(timestamps.next(), 1_001, "same microsecond still orders");
        clock.set_micros(500);
        assert_eq!(
            timestamps.next(),
            1_002,
            "a clock stepping back does not reorder writes"
        );
        clock.set_micros(5_000);
        assert_eq!(timestamps.next(), 5_000);
    }

    #[test]
    fn concurrent_writers_never_share_a_timestamp() {
        let timestamps = TimestampGenerator::new(Arc::new(ManualClock::new(7)));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let t = timestamps.clone();
                std::thread::spawn(move || (0..1_000).map(|_| t.next()).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<i64> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 4_000);
    }

    #[test]
    fn system_clock_is_after_2024() {
        assert!(SystemClock.now_micros() > 1_704_067_200_000_000);
        assert!(SystemClock.now_seconds() > 1_704_067_200);
    }
}
