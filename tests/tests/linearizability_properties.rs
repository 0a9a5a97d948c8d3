//! Goal: the linearizability checker accepts every history that has a
//! linearization by construction, rejects one impossible read, and decides
//! workload-sized histories (2,000 operations, 8 clients, unknown outcomes)
//! within its step budget.
//! Method: proptest histories made by running a sequential oracle (written
//! apart from the checker's models), one operation after another or with up
//! to 8 clients interleaved around each operation's linearization point;
//! the corruption makes the first definite read return a value never written.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sibyl_tests::linearizability::{History, Input, Output, STEPS_MAX_DEFAULT, check_history};

/// A value no generated operation writes or adds.
const IMPOSSIBLE: i64 = 1_000_000;

/// Keys below 10 hold registers, keys from 10 sets.
fn input(key: i64, choice: u8, a: i64, b: i64) -> Input {
    match (key >= 10, choice % 3) {
        (false, 0) => Input::Read,
        (false, 1) => Input::Write {
            value: a,
            if_exists: false,
        },
        (false, _) => Input::Cas {
            old: (a > 0).then_some(a - 1),
            new: b,
        },
        (true, 0) => Input::ReadSet,
        (true, _) => Input::Add(a),
    }
}

#[derive(Default)]
struct Oracle {
    registers: BTreeMap<i64, Option<i64>>,
    sets: BTreeMap<i64, BTreeSet<i64>>,
}

impl Oracle {
    fn apply(&mut self, key: i64, input: &Input) -> Output {
        let reg = self.registers.entry(key).or_default();
        let set = self.sets.entry(key).or_default();
        match input {
            Input::Read => Output::Read(*reg),
            Input::ReadSet => Output::ReadSet(set.iter().copied().collect()),
            Input::Write { value, .. } => {
                *reg = Some(*value);
                Output::Applied {
                    applied: true,
                    current: None,
                }
            }
            Input::Cas { old, new } if old == reg => {
                *reg = Some(*new);
                Output::Applied {
                    applied: true,
                    current: None,
                }
            }
            Input::Cas { .. } => Output::Applied {
                applied: false,
                current: Some(*reg),
            },
            Input::Add(x) => Output::Applied {
                applied: set.insert(*x),
                current: None,
            },
        }
    }
}

type Step = (u64, i64, u8, i64, i64, u8);

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let key = prop_oneof![0..3_i64, 10..12_i64];
    prop::collection::vec(
        (0..8_u64, key, any::<u8>(), 0..5_i64, 0..5_i64, any::<u8>()),
        1..60,
    )
}

/// Ops one after another; about one in eight ends `info` (applied or not).
fn sequential(steps: &[Step]) -> History {
    let (mut h, mut oracle) = (History::new(), Oracle::default());
    for (i, &(p, key, choice, a, b, fate)) in (0_u64..).zip(steps) {
        let process = p + 8 * i;
        let input = input(key, choice, a, b);
        h.invoke(process, key, input.clone());
        match fate % 16 {
            0 => h.info(process),
            1 => {
                oracle.apply(key, &input);
                h.info(process)
            }
            _ => h.ok(process, oracle.apply(key, &input)),
        };
    }
    h
}

/// Up to 8 clients interleaved: each step advances one client from idle
/// to invoked, from invoked to applied (its linearization point), or from
/// applied to completed; about one in 32 ends `info` before its point (it
/// never happens) and one in 32 after it.
fn concurrent(steps: &[Step]) -> History {
    let (mut h, mut oracle) = (History::new(), Oracle::default());
    let mut open: BTreeMap<u64, (i64, Input, Option<Output>)> = BTreeMap::new();
    for &(p, key, choice, a, b, fate) in steps {
        match open.remove(&p) {
            None => {
                let input = input(key, choice, a, b);
                h.invoke(p, key, input.clone());
                open.insert(p, (key, input, None));
            }
            Some((_, _, None)) if fate % 32 == 1 => {
                h.info(p);
            }
            Some((key, input, None)) => {
                let output = oracle.apply(key, &input);
                open.insert(p, (key, input, Some(output)));
            }
            Some((_, _, Some(_))) if fate % 32 == 0 => {
                h.info(p);
            }
            Some((_, _, Some(output))) => {
                h.ok(p, output);
            }
        }
    }
    for (p, (key, input, output)) in open {
        h.ok(p, output.unwrap_or_else(|| oracle.apply(key, &input)));
    }
    h
}

/// Makes the first definite read return something never written.
fn corrupt(h: &mut History) -> bool {
    for event in &mut h.events {
        match &mut event.output {
            Some(Output::Read(v)) => *v = Some(IMPOSSIBLE),
            Some(Output::ReadSet(members)) => members.push(IMPOSSIBLE),
            _ => continue,
        }
        return true;
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn sequential_histories_are_linearizable(steps in steps()) {
        let report = check_history(&sequential(&steps), STEPS_MAX_DEFAULT).unwrap();
        prop_assert!(report.is_linearizable(), "{}", report);
    }

    #[test]
    fn concurrent_histories_run_through_the_model_are_linearizable(steps in steps()) {
        let report = check_history(&concurrent(&steps), STEPS_MAX_DEFAULT).unwrap();
        prop_assert!(report.is_linearizable(), "{}", report);
    }

    #[test]
    fn one_impossible_read_is_rejected(steps in steps(), concurrently in any::<bool>()) {
        let mut h = if concurrently { concurrent(&steps) } else { sequential(&steps) };
        prop_assume!(corrupt(&mut h));
        let report = check_history(&h, STEPS_MAX_DEFAULT).unwrap();
        prop_assert_eq!(report.violations().len(), 1, "{}", report);
    }
}

/// A deterministic xorshift stream of steps for `keys` keys (registers, or
/// sets when `sets`).
fn stream(seed: u64, count: usize, keys: i64, sets: bool) -> Vec<Step> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let small = |v: u64, m: u64| i64::try_from(v % m).expect("below m");
    (0..count)
        .map(|_| {
            let r = next();
            let key =
                small(r >> 8, u64::try_from(keys).expect("positive")) + if sets { 10 } else { 0 };
            let value = if sets {
                small(r >> 20, 400)
            } else {
                small(r >> 20, 5)
            };
            (
                r % 8,
                key,
                u8::try_from(r >> 56).expect("8 bits"),
                value,
                small(r >> 40, 5),
                u8::try_from((r >> 24) & 0xff).expect("8 bits"),
            )
        })
        .collect()
}

#[test]
fn workload_sized_histories_are_decided_within_budget() {
    for (seed, sets) in [(1, false), (2, false), (3, true), (4, true)] {
        // Three steps per operation: 2,000 operations.
        let h = concurrent(&stream(seed, 6_000, 5, sets));
        let report = check_history(&h, STEPS_MAX_DEFAULT).unwrap();
        assert!(report.is_linearizable(), "seed {seed}: {report}");
        assert!(report.ops() >= 1_900, "seed {seed}: {} ops", report.ops());
        let mut bad = h.clone();
        assert!(corrupt(&mut bad));
        let report = check_history(&bad, STEPS_MAX_DEFAULT).unwrap();
        assert_eq!(report.violations().len(), 1, "seed {seed}: {report}");
    }
}
