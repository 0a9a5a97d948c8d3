//! The sequential specifications histories are checked against: a CAS
//! register and a unique-insert set, each with Cassandra's LWT semantics.
//!
//! A model is a pure function from (state, operation with its result) to the
//! next state, or `None` when the result is impossible in that state. An
//! unknown result ([`Output::Unknown`]) is whatever the operation would have
//! returned, so the step is determined by the state alone, and a model must
//! accept every unknown outcome in every state (the search relies on it to
//! place unknown operations after everything else).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::hash::Hash;

use super::history::{Input, Operation, Output};

/// A sequential specification.
pub trait Model {
    /// The object's state (memoized by the search, hence `Hash + Eq`).
    type State: Clone + Eq + Hash + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `input` returned `output` in `state`, or `None` when
    /// that result is impossible there.
    fn step(&self, state: &Self::State, input: &Input, output: &Output) -> Option<Self::State>;

    /// Which unknown-outcome operations of one object no other operation can
    /// observe: the search may take them as never having happened (an
    /// allowed outcome), which keeps timeouts from multiplying its work.
    /// Only operations whose every effect is invisible may be marked.
    fn unobservable(&self, ops: &[Operation]) -> Vec<bool> {
        vec![false; ops.len()]
    }
}

/// A register of `Option<i64>` (nil until written): reads, writes (plain or
/// `IF EXISTS`), and compare-and-set (`IF v = old`, or `IF NOT EXISTS` when
/// `old` is nil).
#[derive(Debug, Clone, Copy, Default)]
pub struct Register;

impl Model for Register {
    type State = Option<i64>;

    fn init(&self) -> Self::State {
        None
    }

    fn step(&self, state: &Self::State, input: &Input, output: &Output) -> Option<Self::State> {
        match (input, output) {
            (Input::Read, Output::Read(value)) => (value == state).then_some(*state),
            (
                Input::Write {
                    value,
                    if_exists: false,
                },
                Output::Applied { applied: true, .. } | Output::Unknown,
            ) => Some(Some(*value)),
            (
                Input::Write {
                    value,
                    if_exists: true,
                },
                Output::Applied { applied, .. },
            ) => match (*applied, state.is_some()) {
                (true, true) => Some(Some(*value)),
                (false, false) => Some(*state),
                _ => None,
            },
            (
                Input::Write {
                    value,
                    if_exists: true,
                },
                Output::Unknown,
            ) => Some(if state.is_some() {
                Some(*value)
            } else {
                *state
            }),
            (Input::Cas { old, new }, Output::Applied { applied: true, .. }) => {
                (old == state).then_some(Some(*new))
            }
            (
                Input::Cas { old, .. },
                Output::Applied {
                    applied: false,
                    current,
                },
            ) => {
                let current_fits = current.is_none_or(|c| c == *state);
                (old != state && current_fits).then_some(*state)
            }
            (Input::Cas { old, new }, Output::Unknown) => {
                Some(if old == state { Some(*new) } else { *state })
            }
            _ => None,
        }
    }
}

/// A set of `i64` per key (rows of one partition): insert-if-absent, applied
/// iff the element was absent, and whole-set reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct UniqueSet;

impl Model for UniqueSet {
    type State = BTreeSet<i64>;

    fn init(&self) -> Self::State {
        BTreeSet::new()
    }

    fn step(&self, state: &Self::State, input: &Input, output: &Output) -> Option<Self::State> {
        match (input, output) {
            (Input::Add(x), Output::Applied { applied: true, .. } | Output::Unknown)
                if !state.contains(x) =>
            {
                let mut next = state.clone();
                next.insert(*x);
                Some(next)
            }
            (Input::Add(x), Output::Applied { applied: false, .. } | Output::Unknown)
                if state.contains(x) =>
            {
                Some(state.clone())
            }
            (Input::ReadSet, Output::ReadSet(members)) => {
                let read: BTreeSet<i64> = members.iter().copied().collect();
                (read.len() == members.len() && &read == state).then(|| state.clone())
            }
            _ => None,
        }
    }

    /// An unknown `add x` where no other operation adds `x` and no read
    /// contains it: whether it happened changes no other result.
    fn unobservable(&self, ops: &[Operation]) -> Vec<bool> {
        let mut mentions: HashMap<i64, usize> = HashMap::new();
        for op in ops {
            if let Input::Add(x) = op.input {
                *mentions.entry(x).or_default() += 1;
            }
            if let Output::ReadSet(members) = &op.output {
                for x in members {
                    *mentions.entry(*x).or_default() += 1;
                }
            }
        }
        ops.iter()
            .map(|op| match op.input {
                Input::Add(x) => op.output == Output::Unknown && mentions.get(&x) == Some(&1),
                _ => false,
            })
            .collect()
    }
}
