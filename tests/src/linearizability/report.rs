//! Verdicts per key and the violation report: the shortest prefix of a key's
//! history that is already not linearizable, printed operation by operation.
//!
//! Non-linearizability is monotone in prefixes (an operation open at the cut
//! is treated as unknown, and unknown operations may be placed last), so the
//! shortest violating prefix is found by binary search over the positions of
//! the key's completions.

use std::fmt;

use super::history::{Input, Operation, Output};
use super::model::Model;
use super::wgl::{Search, search};

/// The verdict on one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A linearization exists.
    Linearizable,
    /// None exists.
    Violation(Violation),
    /// The search's step budget ran out.
    Unknown {
        /// The budget.
        steps: u64,
    },
}

/// A non-linearizable history of one key, cut to its shortest violating prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The prefix's operations in invoke order (positions are in the whole
    /// history; an operation open at the cut is shown as unknown).
    pub ops: Vec<Operation>,
    /// The history position of the completion that ends the prefix.
    pub cut: usize,
    /// The deepest linearization the search reached (indexes into `ops`).
    pub linearized: Vec<usize>,
    /// The model state after it.
    pub state: String,
    /// Operations of the prefix left out because they changed nothing and
    /// the rest is still not linearizable without them.
    pub dropped: usize,
}

/// The verdict on one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReport {
    /// The key.
    pub key: i64,
    /// The model's name (`register` or `set`).
    pub model: &'static str,
    /// Operations checked (failed ones excluded).
    pub ops: usize,
    /// The verdict.
    pub verdict: Verdict,
}

/// The verdicts on every key of a history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// One per key, by key.
    pub keys: Vec<KeyReport>,
}

impl Report {
    /// The keys that are not linearizable.
    pub fn violations(&self) -> Vec<&KeyReport> {
        self.keys
            .iter()
            .filter(|k| matches!(k.verdict, Verdict::Violation(_)))
            .collect()
    }

    /// The keys whose search ran out of budget.
    pub fn unknown(&self) -> Vec<&KeyReport> {
        self.keys
            .iter()
            .filter(|k| matches!(k.verdict, Verdict::Unknown { .. }))
            .collect()
    }

    /// Every key was shown linearizable.
    pub fn is_linearizable(&self) -> bool {
        self.keys.iter().all(|k| k.verdict == Verdict::Linearizable)
    }

    /// Operations checked over all keys.
    pub fn ops(&self) -> usize {
        self.keys.iter().map(|k| k.ops).sum()
    }
}

/// Checks one key's operations; on a violation, finds the shortest violating prefix.
pub fn check_key<M: Model>(
    model: &M,
    name: &'static str,
    key: i64,
    ops: &[Operation],
    steps_max: u64,
) -> KeyReport {
    let verdict = match search(model, ops, steps_max) {
        Search::Linearizable => Verdict::Linearizable,
        Search::Unknown { steps } => Verdict::Unknown { steps },
        Search::NotLinearizable { linearized, state } => {
            Verdict::Violation(shortest_prefix(model, ops, steps_max).unwrap_or(Violation {
                ops: ops.to_vec(),
                cut: ops.iter().filter_map(|o| o.complete).max().unwrap_or(0),
                dropped: 0,
                linearized,
                state,
            }))
        }
    };
    KeyReport {
        key,
        model: name,
        ops: ops.len(),
        verdict,
    }
}

/// `ops` as they stood at history position `cut`: later invokes dropped,
/// completions after the cut turned into unknown outcomes.
fn prefix(ops: &[Operation], cut: usize) -> Vec<Operation> {
    ops.iter()
        .filter(|o| o.invoke <= cut)
        .map(|o| {
            let mut o = o.clone();
            if o.complete.is_some_and(|c| c > cut) {
                o.complete = None;
                o.output = Output::Unknown;
            }
            o
        })
        .collect()
}

fn shortest_prefix<M: Model>(model: &M, ops: &[Operation], steps_max: u64) -> Option<Violation> {
    let mut cuts: Vec<usize> = ops.iter().filter_map(|o| o.complete).collect();
    cuts.sort_unstable();
    // Invariant: the prefix at cuts[high] is not linearizable; at cuts[low - 1] it is
    // (or unknown).
    let (mut low, mut high) = (0, cuts.len().checked_sub(1)?);
    while low < high {
        let mid = low + (high - low) / 2;
        if matches!(
            search(model, &prefix(ops, cuts[mid]), steps_max),
            Search::NotLinearizable { .. }
        ) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    let cut = cuts[high];
    let full = prefix(ops, cut);
    let ops = drop_effect_free(model, full.clone(), cut, steps_max);
    match search(model, &ops, steps_max) {
        Search::NotLinearizable { linearized, state } => Some(Violation {
            dropped: full.len() - ops.len(),
            ops,
            cut,
            linearized,
            state,
        }),
        Search::Linearizable | Search::Unknown { .. } => None,
    }
}

/// Most effect-free operations a report tries to leave out (each try is a search).
const DROP_TRIES_MAX: usize = 256;

/// Leaves out, one at a time from the latest, operations that changed no
/// state (reads, conditional writes not applied) while the rest stays
/// not linearizable. Sound: any linearization of the whole would, with them
/// deleted, linearize the rest, so the smaller history still proves the
/// violation. The operation completing at `cut` is kept.
fn drop_effect_free<M: Model>(
    model: &M,
    mut ops: Vec<Operation>,
    cut: usize,
    steps_max: u64,
) -> Vec<Operation> {
    let effect_free = |o: &Operation| {
        let unknown_read = !o.input.has_effects() && o.output == Output::Unknown;
        let definite = o.complete.is_some_and(|c| c != cut)
            && matches!(
                o.output,
                Output::Read(_) | Output::ReadSet(_) | Output::Applied { applied: false, .. }
            );
        unknown_read || definite
    };
    let candidates: Vec<usize> = (0..ops.len())
        .rev()
        .filter(|&i| effect_free(&ops[i]))
        .collect();
    for i in candidates.into_iter().take(DROP_TRIES_MAX) {
        let mut without = ops.clone();
        without.remove(i);
        if matches!(
            search(model, &without, steps_max),
            Search::NotLinearizable { .. }
        ) {
            ops = without;
        }
    }
    ops
}

fn show_opt(value: Option<i64>) -> String {
    value.map_or_else(|| "nil".to_owned(), |v| v.to_string())
}

fn show_input(input: &Input) -> String {
    match input {
        Input::Read => "read".to_owned(),
        Input::ReadSet => "read-set".to_owned(),
        Input::Write { value, if_exists } => {
            format!(
                "write {value}{}",
                if *if_exists { " if exists" } else { "" }
            )
        }
        Input::Cas { old, new } => format!("cas {} -> {new}", show_opt(*old)),
        Input::Add(x) => format!("add {x}"),
    }
}

fn show_output(output: &Output) -> String {
    match output {
        Output::Read(v) => show_opt(*v),
        Output::ReadSet(members) => format!("{members:?}"),
        Output::Applied { applied: true, .. } => "applied".to_owned(),
        Output::Applied {
            applied: false,
            current: None,
        } => "not applied".to_owned(),
        Output::Applied {
            applied: false,
            current: Some(c),
        } => {
            format!("not applied (current {})", show_opt(*c))
        }
        Output::Unknown => "unknown".to_owned(),
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "shortest non-linearizable prefix, cut at event {}: {} operations \
             ({} more that changed nothing left out)",
            self.cut,
            self.ops.len(),
            self.dropped
        )?;
        writeln!(
            f,
            "{:>5} {:>8} {:>7} {:>9}  {:<22} result",
            "op", "process", "invoke", "complete", "operation"
        )?;
        for (i, op) in self.ops.iter().enumerate() {
            let complete = op
                .complete
                .map_or_else(|| "-".to_owned(), |c| c.to_string());
            let mark = if op.complete == Some(self.cut) {
                "   <- ends the prefix"
            } else {
                ""
            };
            writeln!(
                f,
                "{i:>5} {:>8} {:>7} {complete:>9}  {:<22} {}{mark}",
                op.process,
                op.invoke,
                show_input(&op.input),
                show_output(&op.output),
            )?;
        }
        let order: Vec<String> = self.linearized.iter().map(usize::to_string).collect();
        writeln!(
            f,
            "deepest linearization: [{}] reaching state {}; no remaining operation can follow it",
            order.join(", "),
            self.state
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let violations = self.violations().len();
        let unknown = self.unknown().len();
        writeln!(
            f,
            "{} keys, {} operations: {violations} not linearizable, {unknown} unknown",
            self.keys.len(),
            self.ops()
        )?;
        for key in &self.keys {
            match &key.verdict {
                Verdict::Linearizable => {}
                Verdict::Unknown { steps } => {
                    writeln!(
                        f,
                        "key {} ({}, {} ops): unknown after {steps} steps",
                        key.key, key.model, key.ops
                    )?;
                }
                Verdict::Violation(v) => {
                    writeln!(
                        f,
                        "key {} ({}, {} ops): NOT LINEARIZABLE",
                        key.key, key.model, key.ops
                    )?;
                    write!(f, "{v}")?;
                }
            }
        }
        Ok(())
    }
}
