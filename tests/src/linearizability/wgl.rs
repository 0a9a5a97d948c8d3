//! The Wing–Gong–Lowe search for a linearization of one object's history.
//!
//! Calls and returns sit in one doubly linked list in real-time order. The
//! search walks it from the head: at a call whose operation the model accepts
//! in the current state, it linearizes the operation (lifts its call and
//! return out of the list, pushes the choice) and restarts from the head; on
//! reaching a return whose operation is not yet linearized, it backtracks.
//! Configurations already seen (linearized set, model state) are skipped
//! (Lowe's memoization), which makes the search polynomial in practice.
//! Unknown-outcome operations return "at infinity", so they may take effect
//! anywhere after their invoke or, placed after everything, never observably.
//! The search is bounded by a step budget and answers [`Search::Unknown`]
//! rather than run on.

use std::collections::{HashMap, HashSet};

use super::history::{Input, Operation, Output};
use super::model::Model;

/// The outcome of one search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// A linearization exists.
    Linearizable,
    /// None exists. `linearized` is the longest sequence of operations (indexes
    /// into the searched slice) the search could linearize, `state` the model
    /// state after it.
    NotLinearizable {
        /// The deepest linearization reached.
        linearized: Vec<usize>,
        /// The model state after it.
        state: String,
    },
    /// The step budget ran out.
    Unknown {
        /// Steps taken.
        steps: u64,
    },
}

const NIL: usize = usize::MAX;
const HEAD: usize = 0;

/// The call/return list; node 0 is the head sentinel, node `1 + 2i` the call
/// of operation `i` and `2 + 2i` its return (their list order is by time).
struct Entries {
    next: Vec<usize>,
    prev: Vec<usize>,
}

impl Entries {
    fn new(ops: &[&Operation]) -> Self {
        // An unknown outcome returns after every known completion, each at
        // its own "infinite" time.
        let infinity = ops
            .iter()
            .map(|o| o.invoke.max(o.complete.unwrap_or(0)))
            .max()
            .unwrap_or(0)
            + 1;
        let mut order: Vec<(usize, usize)> = Vec::with_capacity(ops.len() * 2);
        for (i, op) in ops.iter().enumerate() {
            order.push((op.invoke, 1 + 2 * i));
            order.push((op.complete.unwrap_or(infinity + i), 2 + 2 * i));
        }
        order.sort_unstable();
        let size = order.len() + 1;
        let (mut next, mut prev) = (vec![NIL; size], vec![NIL; size]);
        let mut last = HEAD;
        for &(_, node) in &order {
            next[last] = node;
            prev[node] = last;
            last = node;
        }
        Self { next, prev }
    }

    /// Takes operation `op`'s call and return out of the list.
    fn lift(&mut self, op: usize) {
        self.remove(1 + 2 * op);
        self.remove(2 + 2 * op);
    }

    /// Puts them back (the inverse of the latest [`Entries::lift`]).
    fn unlift(&mut self, op: usize) {
        self.restore(2 + 2 * op);
        self.restore(1 + 2 * op);
    }

    fn remove(&mut self, node: usize) {
        let (p, n) = (self.prev[node], self.next[node]);
        self.next[p] = n;
        if n != NIL {
            self.prev[n] = p;
        }
    }

    fn restore(&mut self, node: usize) {
        let (p, n) = (self.prev[node], self.next[node]);
        self.next[p] = node;
        if n != NIL {
            self.prev[n] = node;
        }
    }
}

/// A set of operation indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn with(&self, i: usize) -> Self {
        let mut words = self.0.clone();
        words[i / 64] |= 1 << (i % 64);
        Self(words)
    }

    fn has(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
}

/// For each unknown-outcome operation, the latest earlier-invoked one with
/// the same request, if any. Such twins are interchangeable (both may act
/// anywhere after the later invoke, and neither has a result to match), so
/// the search linearizes them in invoke order only: a symmetry cut that keeps
/// timeouts from multiplying the configurations.
fn twins(ops: &[&Operation]) -> Vec<Option<usize>> {
    let mut last: HashMap<&Input, usize> = HashMap::new();
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| ops[i].invoke);
    let mut twins = vec![None; ops.len()];
    for i in order {
        if ops[i].output == Output::Unknown {
            twins[i] = last.insert(&ops[i].input, i);
        }
    }
    twins
}

/// Searches for a linearization of `ops` (one object's operations) under
/// `model`, taking at most `steps_max` steps.
pub fn search<M: Model>(model: &M, ops: &[Operation], steps_max: u64) -> Search {
    // Reads with an unknown result have no effect and constrain nothing;
    // unobservable unknown operations are taken as never having happened.
    let unobservable = model.unobservable(ops);
    let kept: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].input.has_effects() || ops[i].output != Output::Unknown)
        .filter(|&i| !unobservable[i])
        .collect();
    let live: Vec<&Operation> = kept.iter().map(|&i| &ops[i]).collect();
    let twins = twins(&live);
    let mut unknown_left = live.iter().filter(|o| o.output == Output::Unknown).count();
    let mut list = Entries::new(&live);
    let mut linearized = Bits(vec![0; live.len().div_ceil(64)]);
    let mut seen: HashSet<(Bits, M::State)> = HashSet::new();
    let mut calls: Vec<(usize, M::State)> = Vec::new();
    let mut deepest: (Vec<usize>, M::State) = (Vec::new(), model.init());
    let mut state = model.init();
    let mut node = list.next[HEAD];
    let mut steps = 0_u64;
    // Once only unknown outcomes remain they can all follow, each step
    // accepted (an unknown result is whatever the model returns).
    while calls.len() + unknown_left < live.len() {
        steps += 1;
        if steps > steps_max {
            return Search::Unknown { steps: steps_max };
        }
        let op = (node - 1) / 2;
        let twin_open = twins[op].is_some_and(|t| !linearized.has(t));
        if node % 2 == 1 && twin_open {
            node = list.next[node];
        } else if node % 2 == 1 {
            let next = model.step(&state, &live[op].input, &live[op].output);
            if let Some(next) = next {
                let with = linearized.with(op);
                if seen.insert((with.clone(), next.clone())) {
                    unknown_left -= usize::from(live[op].output == Output::Unknown);
                    calls.push((op, std::mem::replace(&mut state, next)));
                    linearized = with;
                    list.lift(op);
                    if calls.len() > deepest.0.len() {
                        deepest = (calls.iter().map(|c| kept[c.0]).collect(), state.clone());
                    }
                    node = list.next[HEAD];
                    continue;
                }
            }
            node = list.next[node];
        } else {
            // A return whose call is still in the list: backtrack.
            let Some((op, before)) = calls.pop() else {
                return Search::NotLinearizable {
                    linearized: deepest.0,
                    state: model.describe(&deepest.1),
                };
            };
            state = before;
            unknown_left += usize::from(live[op].output == Output::Unknown);
            linearized.clear(op);
            list.unlift(op);
            node = list.next[1 + 2 * op];
        }
    }
    Search::Linearizable
}
