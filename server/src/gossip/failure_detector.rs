//! Phi-accrual failure detection (Hayashibara et al.), as Cassandra uses it.
//!
//! Each peer's heartbeats arrive at some rhythm; `phi` says how surprising the
//! current silence is given that rhythm: with exponentially distributed
//! inter-arrival times of mean `m`, `phi(t) = t / (m * ln 10)` where `t` is
//! the time since the last heartbeat. A peer is convicted (marked down) once
//! phi exceeds the threshold (default 8, Cassandra's `phi_convict_threshold`).
//!
//! Invariants: at most [`ARRIVAL_SAMPLES_MAX`] intervals are kept per peer;
//! intervals longer than [`ARRIVAL_INTERVAL_NS_MAX`] are clamped so that one
//! long pause (a GC, a restart) does not make the detector slow for ever.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Cassandra's default conviction threshold.
pub const PHI_CONVICT_THRESHOLD_DEFAULT: f64 = 8.0;
/// Inter-arrival samples kept per peer.
pub const ARRIVAL_SAMPLES_MAX: usize = 1000;
/// Longest inter-arrival interval recorded (longer ones are clamped).
pub const ARRIVAL_INTERVAL_NS_MAX: u64 = 2_000_000_000;
/// Mean assumed before any interval has been seen (two gossip rounds); also
/// the first sample of every window, as Cassandra's `ArrivalWindow` does, so
/// a burst of early heartbeats does not make the detector jumpy.
pub const INITIAL_INTERVAL_NS: u64 = 2_000_000_000;
/// Floor of the mean interval: heartbeats advance once per gossip round, so
/// a shorter mean (heartbeats relayed by several peers) is noise.
pub const MEAN_INTERVAL_NS_MIN: u64 = 1_000_000_000;

const PHI_FACTOR: f64 = 1.0 / std::f64::consts::LN_10;

/// Heartbeat arrival history of one peer.
#[derive(Debug, Clone, Default)]
struct ArrivalWindow {
    last_arrival_ns: Option<u64>,
    intervals_ns: VecDeque<u64>,
    sum_ns: u64,
}

impl ArrivalWindow {
    fn record(&mut self, now_ns: u64) {
        if self.last_arrival_ns.is_none() && self.intervals_ns.is_empty() {
            self.intervals_ns.push_back(INITIAL_INTERVAL_NS);
            self.sum_ns += INITIAL_INTERVAL_NS;
        }
        if let Some(last) = self.last_arrival_ns {
            // A clock that goes backwards gives a zero interval, never a negative one.
            let interval = now_ns.saturating_sub(last).min(ARRIVAL_INTERVAL_NS_MAX);
            if self.intervals_ns.len() == ARRIVAL_SAMPLES_MAX
                && let Some(oldest) = self.intervals_ns.pop_front()
            {
                self.sum_ns -= oldest;
            }
            self.intervals_ns.push_back(interval);
            self.sum_ns += interval;
        }
        self.last_arrival_ns = Some(self.last_arrival_ns.map_or(now_ns, |last| last.max(now_ns)));
    }

    fn mean_ns(&self) -> f64 {
        if self.intervals_ns.is_empty() || self.sum_ns == 0 {
            return INITIAL_INTERVAL_NS as f64;
        }
        (self.sum_ns as f64 / self.intervals_ns.len() as f64).max(MEAN_INTERVAL_NS_MIN as f64)
    }

    fn phi(&self, now_ns: u64) -> f64 {
        let Some(last) = self.last_arrival_ns else {
            return 0.0;
        };
        let silence = now_ns.saturating_sub(last) as f64;
        PHI_FACTOR * silence / self.mean_ns()
    }
}

/// The failure detector for all peers, keyed by peer id.
#[derive(Debug, Clone)]
pub struct FailureDetector<P: Eq + Hash + Clone> {
    windows: HashMap<P, ArrivalWindow>,
    phi_convict_threshold: f64,
}

impl<P: Eq + Hash + Clone> FailureDetector<P> {
    /// A detector convicting at `phi_convict_threshold`.
    pub fn new(phi_convict_threshold: f64) -> Self {
        assert!(
            phi_convict_threshold > 0.0,
            "the threshold is validated at start-up"
        );
        Self {
            windows: HashMap::new(),
            phi_convict_threshold,
        }
    }

    /// Records a heartbeat from `peer` at `now_ns` (a monotonic clock).
    pub fn report(&mut self, peer: &P, now_ns: u64) {
        self.windows.entry(peer.clone()).or_default().record(now_ns);
    }

    /// How suspicious the peer's silence is at `now_ns`; 0 for unknown peers.
    pub fn phi(&self, peer: &P, now_ns: u64) -> f64 {
        self.windows.get(peer).map_or(0.0, |w| w.phi(now_ns))
    }

    /// True when the peer has been heard from and its phi is below the threshold.
    pub fn is_alive(&self, peer: &P, now_ns: u64) -> bool {
        self.windows.contains_key(peer) && self.phi(peer, now_ns) < self.phi_convict_threshold
    }

    /// Forgets a peer (removed from the cluster, or restarted: its rhythm restarts too).
    pub fn forget(&mut self, peer: &P) {
        self.windows.remove(peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    fn steady(detector: &mut FailureDetector<u8>, peer: u8, beats: u64, every_ns: u64) -> u64 {
        let mut now = 0;
        for _ in 0..beats {
            now += every_ns;
            detector.report(&peer, now);
        }
        now
    }

    #[test]
    fn steady_heartbeats_keep_a_peer_alive_and_silence_convicts_it() {
        let mut fd = FailureDetector::new(PHI_CONVICT_THRESHOLD_DEFAULT);
        let last = steady(&mut fd, 1, 100, SECOND);
        assert!(fd.is_alive(&1, last + SECOND));
        // phi = t / (mean * ln 10): with a 1 s rhythm, phi 8 is reached after ~18.4 s.
        // The window starts with one 2 s sample, then 99 one-second intervals.
        let mean_s = (2.0 + 99.0) / 100.0;
        let expected = 5.0 / (mean_s * std::f64::consts::LN_10);
        assert!((fd.phi(&1, last + 5 * SECOND) - expected).abs() < 1e-9);
        assert!(fd.is_alive(&1, last + 18 * SECOND));
        assert!(!fd.is_alive(&1, last + 19 * SECOND));
    }

    #[test]
    fn a_faster_rhythm_convicts_sooner_down_to_the_gossip_round() {
        let mut fd = FailureDetector::new(PHI_CONVICT_THRESHOLD_DEFAULT);
        let last_fast = steady(&mut fd, 1, 100, SECOND);
        assert!(!fd.is_alive(&1, last_fast + 20 * SECOND));
        let last_slow = steady(&mut fd, 2, 100, 2 * SECOND);
        assert!(fd.is_alive(&2, last_slow + 20 * SECOND));
        // Heartbeats relayed in bursts are no faster than one per round.
        let last_burst = steady(&mut fd, 3, 100, SECOND / 10);
        assert!(fd.is_alive(&3, last_burst + 10 * SECOND));
    }

    #[test]
    fn long_pauses_are_clamped_and_history_is_bounded() {
        let mut fd = FailureDetector::new(PHI_CONVICT_THRESHOLD_DEFAULT);
        let mut now = steady(&mut fd, 1, 10, SECOND);
        now += 3_600 * SECOND;
        fd.report(&1, now);
        let window = &fd.windows[&1];
        assert_eq!(window.intervals_ns.back(), Some(&ARRIVAL_INTERVAL_NS_MAX));
        steady(&mut fd, 3, 2 * ARRIVAL_SAMPLES_MAX as u64, SECOND);
        assert_eq!(fd.windows[&3].intervals_ns.len(), ARRIVAL_SAMPLES_MAX);
        assert_eq!(fd.windows[&3].sum_ns, ARRIVAL_SAMPLES_MAX as u64 * SECOND);
        assert_eq!(
            fd.windows[&1].intervals_ns.front(),
            Some(&INITIAL_INTERVAL_NS)
        );
    }

    #[test]
    fn unknown_and_forgotten_peers_are_not_alive_and_time_never_runs_backwards() {
        let mut fd = FailureDetector::new(PHI_CONVICT_THRESHOLD_DEFAULT);
        assert!(!fd.is_alive(&9, 0));
        assert_eq!(fd.phi(&9, 10), 0.0);
        fd.report(&9, 10 * SECOND);
        fd.report(&9, 5 * SECOND);
        assert_eq!(
            fd.phi(&9, 10 * SECOND),
            0.0,
            "an out-of-order report does not move the last arrival back"
        );
        fd.forget(&9);
        assert!(!fd.is_alive(&9, 10 * SECOND));
    }
}
