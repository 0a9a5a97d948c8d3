//! Paxos ballots: a hybrid-clock timestamp in microseconds (high 64 bits)
//! and this node's salt (low 64 bits), ordered as one `u128`. The clock
//! never goes backwards and always moves past any ballot it has seen, so a
//! coordinator that lost a round retries with a ballot that can win.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::clock::Clock;

/// One Paxos ballot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ballot(pub u128);

impl Ballot {
    /// The ballot below every real one.
    pub const ZERO: Ballot = Ballot(0);

    /// A ballot at `micros` from node `salt`.
    pub fn new(micros: i64, salt: u64) -> Self {
        let high = u128::from(u64::try_from(micros.max(0)).unwrap_or(0));
        Ballot((high << 64) | u128::from(salt))
    }

    /// Its timestamp (microseconds): the write timestamp of what it commits.
    pub fn micros(self) -> i64 {
        i64::try_from(self.0 >> 64).unwrap_or(i64::MAX)
    }
}

/// Makes ballots for one node.
pub struct BallotClock {
    clock: Arc<dyn Clock>,
    salt: u64,
    last_micros: Mutex<i64>,
}

impl BallotClock {
    /// A clock for the node with `salt` (from its host id).
    pub fn new(clock: Arc<dyn Clock>, salt: u64) -> Self {
        Self {
            clock,
            salt,
            last_micros: Mutex::new(0),
        }
    }

    /// A ballot later than every ballot this clock made and than `above`.
    pub fn next(&self, above: Ballot) -> Ballot {
        let mut last = self.last_micros.lock();
        let micros = self
            .clock
            .now_micros()
            .max(last.saturating_add(1))
            .max(above.micros().saturating_add(1));
        *last = micros;
        Ballot::new(micros, self.salt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn ballots_only_move_forward_and_pass_what_they_saw() {
        let clock = Arc::new(ManualClock::new(1_000));
        let ballots = BallotClock::new(clock.clone(), 7);
        let a = ballots.next(Ballot::ZERO);
        let b = ballots.next(Ballot::ZERO);
        assert!(b > a, "same instant, still increasing");
        clock.set_micros(10);
        let c = ballots.next(Ballot::ZERO);
        assert!(c > b, "the wall clock went back; ballots did not");
        let seen = Ballot::new(5_000_000, 99);
        let d = ballots.next(seen);
        assert!(d > seen && d.micros() == 5_000_001);
        assert_eq!(Ballot::new(42, 1).micros(), 42);
    }
}
