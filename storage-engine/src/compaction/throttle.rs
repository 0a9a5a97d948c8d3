//! Compaction throughput limit (`compaction_throughput`, MiB/s): a token bucket.
//!
//! The bucket holds at most one second of budget; each unit of work takes its bytes
//! from it and, when the bucket runs dry, sleeps until the debt is repaid. Time comes
//! from a [`ThrottleClock`], so tests advance a fake clock instead of sleeping.
//! A rate of 0 means unthrottled, as in Cassandra.

use std::time::{Duration, Instant};

/// The monotonic time and sleep a throttle uses.
pub trait ThrottleClock {
    /// Time elapsed since an arbitrary fixed origin.
    fn elapsed(&self) -> Duration;
    /// Blocks the caller for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The real clock: `Instant` and `thread::sleep`.
#[derive(Debug, Clone, Copy)]
pub struct StdThrottleClock {
    origin: Instant,
}

impl StdThrottleClock {
    /// A clock whose origin is now.
    #[must_use]
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for StdThrottleClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ThrottleClock for StdThrottleClock {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A token bucket over bytes.
#[derive(Debug)]
pub struct Throttle<C: ThrottleClock> {
    rate_bytes_per_s: u64,
    available_bytes: f64,
    last: Duration,
    clock: C,
}

impl<C: ThrottleClock> Throttle<C> {
    /// A throttle at `rate_mib_per_s` MiB/s (0 = unlimited), starting with a full bucket.
    #[must_use]
    pub fn new(rate_mib_per_s: u64, clock: C) -> Self {
        let rate_bytes_per_s = rate_mib_per_s.saturating_mul(1024 * 1024);
        Self {
            rate_bytes_per_s,
            available_bytes: rate_bytes_per_s as f64,
            last: clock.elapsed(),
            clock,
        }
    }

    /// The clock (tests inspect a fake one).
    #[must_use]
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Accounts for `bytes` of work, sleeping as long as the rate requires.
    pub fn acquire(&mut self, bytes: u64) {
        if self.rate_bytes_per_s == 0 {
            return;
        }
        let rate = self.rate_bytes_per_s as f64;
        let now = self.clock.elapsed();
        let refill = now.saturating_sub(self.last).as_secs_f64() * rate;
        self.last = now;
        self.available_bytes = (self.available_bytes + refill).min(rate) - bytes as f64;
        if self.available_bytes < 0.0 {
            let wait = Duration::from_secs_f64(-self.available_bytes / rate);
            self.clock.sleep(wait);
            self.last = self.clock.elapsed();
            self.available_bytes = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// A clock that only moves when slept on.
    #[derive(Debug, Default)]
    struct FakeClock {
        now: Cell<Duration>,
    }

    impl ThrottleClock for FakeClock {
        fn elapsed(&self) -> Duration {
            self.now.get()
        }
        fn sleep(&self, duration: Duration) {
            self.now.set(self.now.get() + duration);
        }
    }

    #[test]
    fn rate_is_enforced_after_the_first_second_of_burst() {
        let mut t = Throttle::new(1, FakeClock::default());
        // 5 MiB at 1 MiB/s: the first MiB is the initial burst, the rest costs 4 s.
        for _ in 0..80 {
            t.acquire(64 * 1024);
        }
        let slept = t.clock().elapsed().as_secs_f64();
        assert!((slept - 4.0).abs() < 1e-6, "slept {slept}");
    }

    #[test]
    fn zero_rate_never_sleeps() {
        let mut t = Throttle::new(0, FakeClock::default());
        t.acquire(u64::MAX);
        assert_eq!(t.clock().elapsed(), Duration::ZERO);
    }

    #[test]
    fn idle_time_refills_at_most_one_second() {
        let mut t = Throttle::new(1, FakeClock::default());
        t.acquire(1024 * 1024);
        t.clock().sleep(Duration::from_secs(10));
        t.acquire(2 * 1024 * 1024);
        // One second of budget was available, the second MiB costs one more second.
        assert!((t.clock().elapsed().as_secs_f64() - 11.0).abs() < 1e-6);
    }
}
