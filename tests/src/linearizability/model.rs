//! The sequential specifications histories are checked against: a CAS
//! register and a unique-insert set, each with Cassandra's LWT semantics.
//!
//! A model is a pure function from (state, operation with its result) to the
//! next state, or `None` when the result is impossible in that state. An
//! unknown result ([`Output::Unknown`]) is whatever the operation would have
//! returned, so the step is determined by the state alone, and a model must
//! accept every unknown outcome in every state (the search relies on it to
//! place unknown operations after everything else).

use std::collections::HashMap;
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

    /// A state for reports.
    fn describe(&self, state: &Self::State) -> String {
        format!("{state:?}")
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
///
/// The state is a bitset over the elements the key's operations add (built
/// by [`UniqueSet::for_ops`]), so the search's memo holds a few words per
/// configuration rather than a whole set.
#[derive(Debug, Clone, Default)]
pub struct UniqueSet {
    /// Element -> bit.
    index: HashMap<i64, usize>,
    /// Bit -> element.
    elements: Vec<i64>,
}

impl UniqueSet {
    /// The model for one key's operations: every element they add gets a bit.
    pub fn for_ops(ops: &[Operation]) -> Self {
        let mut set = Self::default();
        for op in ops {
            if let Input::Add(x) = op.input {
                let next = set.elements.len();
                if *set.index.entry(x).or_insert(next) == next {
                    set.elements.push(x);
                }
            }
        }
        set
    }

    /// The bit of `x`, `None` when no operation adds it.
    fn bit(&self, x: i64) -> Option<(usize, u64)> {
        self.index.get(&x).map(|&i| (i / 64, 1 << (i % 64)))
    }

    /// The members of a state, sorted.
    pub fn members(&self, state: &[u64]) -> Vec<i64> {
        let mut members: Vec<i64> = (0..self.elements.len())
            .filter(|i| state.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0))
            .map(|i| self.elements[i])
            .collect();
        members.sort_unstable();
        members
    }

    /// A read's members as a state; `None` if it holds an element no
    /// operation adds or holds one twice (impossible results).
    fn read_state(&self, members: &[i64]) -> Option<Vec<u64>> {
        let mut state = self.init();
        for &x in members {
            let (word, mask) = self.bit(x)?;
            let slot = state.get_mut(word)?;
            if *slot & mask != 0 {
                return None;
            }
            *slot |= mask;
        }
        Some(state)
    }
}

impl Model for UniqueSet {
    type State = Vec<u64>;

    fn init(&self) -> Self::State {
        vec![0; self.elements.len().div_ceil(64)]
    }

    fn step(&self, state: &Self::State, input: &Input, output: &Output) -> Option<Self::State> {
        match (input, output) {
            (Input::Add(x), Output::Applied { applied, .. }) => {
                let (word, mask) = self.bit(*x)?;
                let present = state.get(word)? & mask != 0;
                if *applied == present {
                    return None;
                }
                let mut next = state.clone();
                next[word] |= mask;
                Some(next)
            }
            (Input::Add(x), Output::Unknown) => {
                let (word, mask) = self.bit(*x)?;
                let mut next = state.clone();
                *next.get_mut(word)? |= mask;
                Some(next)
            }
            (Input::ReadSet, Output::ReadSet(members)) => {
                (self.read_state(members)? == *state).then(|| state.clone())
            }
            _ => None,
        }
    }

    fn describe(&self, state: &Self::State) -> String {
        format!("{:?}", self.members(state))
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
