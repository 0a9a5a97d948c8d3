//! Goal: the linearizability checker catches the classic LWT violations
//! (stale read, two CAS applied from one value, a read of a value never
//! written, a lost update, a unique insert applied twice) and accepts
//! concurrent and unknown-outcome histories that have a linearization.
//! Method: hand-written histories with known verdicts, and the JSON loader
//! on files (property tests: `linearizability_properties.rs`).

use sibyl_tests::linearizability::history::parse;
use sibyl_tests::linearizability::{
    History, Input, Output, Report, STEPS_MAX_DEFAULT, Verdict, check_file, check_history,
};

const K: i64 = 1;

fn check(h: &History) -> Report {
    check_history(h, STEPS_MAX_DEFAULT).expect("the history is well formed")
}

fn assert_ok(h: &History) {
    let report = check(h);
    assert!(report.is_linearizable(), "expected linearizable:\n{report}");
}

fn assert_violation(h: &History) -> Report {
    let report = check(h);
    assert_eq!(
        report.violations().len(),
        1,
        "expected a violation:\n{report}"
    );
    report
}

fn applied(applied: bool) -> Output {
    Output::Applied {
        applied,
        current: None,
    }
}

fn write(v: i64) -> Input {
    Input::Write {
        value: v,
        if_exists: false,
    }
}

fn cas(old: i64, new: i64) -> Input {
    Input::Cas {
        old: Some(old),
        new,
    }
}

fn read(v: Option<i64>) -> Output {
    Output::Read(v)
}

/// `process` runs `input` to completion with `output`, alone.
fn done(h: &mut History, process: u64, input: Input, output: Output) {
    h.invoke(process, K, input).ok(process, output);
}

#[test]
fn stale_read_after_a_completed_write_is_rejected() {
    let mut h = History::new();
    done(&mut h, 0, write(1), applied(true));
    done(&mut h, 0, write(2), applied(true));
    done(&mut h, 1, Input::Read, read(Some(1)));
    let report = assert_violation(&h);
    let text = report.to_string();
    assert!(
        text.contains("NOT LINEARIZABLE") && text.contains("<- ends the prefix"),
        "{text}"
    );
}

#[test]
fn read_of_nil_after_a_completed_write_is_rejected() {
    let mut h = History::new();
    done(&mut h, 0, write(1), applied(true));
    done(&mut h, 1, Input::Read, read(None));
    assert_violation(&h);
}

#[test]
fn two_cas_from_the_same_value_both_applied_are_rejected() {
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, cas(0, 1)).invoke(2, K, cas(0, 2));
    h.ok(1, applied(true)).ok(2, applied(true));
    assert_violation(&h);
}

#[test]
fn two_concurrent_cas_one_applied_pass() {
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, cas(0, 1)).invoke(2, K, cas(0, 2));
    h.ok(2, applied(true));
    h.ok(
        1,
        Output::Applied {
            applied: false,
            current: Some(Some(2)),
        },
    );
    done(&mut h, 3, Input::Read, read(Some(2)));
    assert_ok(&h);
}

#[test]
fn cas_not_applied_must_report_a_current_value_that_was_there() {
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    done(
        &mut h,
        1,
        cas(5, 6),
        Output::Applied {
            applied: false,
            current: Some(Some(3)),
        },
    );
    assert_violation(&h);
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    done(&mut h, 1, cas(0, 6), applied(false));
    assert_violation(&h);
}

#[test]
fn a_read_of_a_value_never_written_is_rejected_even_when_concurrent() {
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, write(1)).invoke(2, K, Input::Read);
    h.ok(2, read(Some(7))).ok(1, applied(true));
    assert_violation(&h);
}

#[test]
fn lost_update_is_rejected() {
    // Two read-modify-write cycles: both read 0, one CAS wins, the other loses;
    // yet a later read shows the winner's update lost.
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, Input::Read).invoke(2, K, Input::Read);
    h.ok(1, read(Some(0))).ok(2, read(Some(0)));
    h.invoke(1, K, cas(0, 1)).invoke(2, K, cas(0, 2));
    h.ok(1, applied(true));
    h.ok(
        2,
        Output::Applied {
            applied: false,
            current: Some(Some(1)),
        },
    );
    done(&mut h, 3, Input::Read, read(Some(0)));
    assert_violation(&h);
}

#[test]
fn set_unique_insert_applied_twice_is_rejected() {
    let mut h = History::new();
    h.invoke(1, K, Input::Add(5)).invoke(2, K, Input::Add(5));
    h.ok(1, applied(true)).ok(2, applied(true));
    assert_violation(&h);
}

#[test]
fn set_lost_insert_and_phantom_member_are_rejected() {
    let mut h = History::new();
    done(&mut h, 1, Input::Add(5), applied(true));
    done(&mut h, 2, Input::ReadSet, Output::ReadSet(vec![]));
    assert_violation(&h);
    let mut h = History::new();
    done(&mut h, 1, Input::Add(5), applied(true));
    done(&mut h, 2, Input::ReadSet, Output::ReadSet(vec![5, 6]));
    assert_violation(&h);
    let mut h = History::new();
    done(&mut h, 1, Input::Add(5), applied(true));
    done(&mut h, 2, Input::ReadSet, Output::ReadSet(vec![5, 5]));
    let report = assert_violation(&h);
    assert!(
        report.to_string().contains("reaching state [5]"),
        "{report}"
    );
}

#[test]
fn set_with_concurrency_and_duplicates_refused_passes() {
    let mut h = History::new();
    h.invoke(1, K, Input::Add(5))
        .invoke(2, K, Input::Add(5))
        .invoke(3, K, Input::ReadSet);
    h.ok(3, Output::ReadSet(vec![]))
        .ok(2, applied(false))
        .ok(1, applied(true));
    h.invoke(1, K, Input::Add(6)).invoke(2, K, Input::ReadSet);
    h.ok(2, Output::ReadSet(vec![5, 6])).ok(1, applied(true));
    assert_ok(&h);
}

#[test]
fn concurrent_reads_may_see_either_side_of_a_write() {
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, write(1))
        .invoke(2, K, Input::Read)
        .invoke(3, K, Input::Read);
    h.ok(2, read(Some(1))).ok(3, read(Some(0)));
    h.ok(1, applied(true));
    assert_ok(&h);
    // But once one read saw the new value, a read starting later cannot see the old.
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, write(1)).invoke(2, K, Input::Read);
    h.ok(2, read(Some(1)));
    h.invoke(3, K, Input::Read).ok(3, read(Some(0)));
    h.ok(1, applied(true));
    assert_violation(&h);
}

#[test]
fn timed_out_write_may_appear_later_or_never() {
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, write(1)).info(1);
    done(&mut h, 2, Input::Read, read(Some(0)));
    done(&mut h, 2, Input::Read, read(Some(1)));
    assert_ok(&h);
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, cas(0, 1)).info(1);
    done(&mut h, 2, Input::Read, read(Some(0)));
    done(&mut h, 3, cas(0, 2), applied(true));
    assert_ok(&h);
    // A history that ends with an operation still open counts it as unknown.
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, write(9));
    done(&mut h, 2, Input::Read, read(Some(9)));
    assert_ok(&h);
}

#[test]
fn timed_out_write_cannot_act_before_its_invoke_nor_flip_back() {
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    done(&mut h, 2, Input::Read, read(Some(1)));
    h.invoke(1, K, write(1)).info(1);
    assert_violation(&h);
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, write(1)).info(1);
    done(&mut h, 2, Input::Read, read(Some(1)));
    done(&mut h, 2, Input::Read, read(Some(0)));
    assert_violation(&h);
}

#[test]
fn failed_operations_did_not_happen() {
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, write(1)).fail(1);
    done(&mut h, 2, Input::Read, read(Some(1)));
    assert_violation(&h);
    let mut h = History::new();
    h.invoke(1, K, Input::Add(3)).fail(1);
    done(&mut h, 2, Input::ReadSet, Output::ReadSet(vec![]));
    assert_ok(&h);
}

#[test]
fn write_if_exists_applies_only_to_an_existing_row() {
    let mut h = History::new();
    done(
        &mut h,
        0,
        Input::Write {
            value: 1,
            if_exists: true,
        },
        applied(false),
    );
    done(&mut h, 0, Input::Cas { old: None, new: 0 }, applied(true));
    done(
        &mut h,
        0,
        Input::Write {
            value: 2,
            if_exists: true,
        },
        applied(true),
    );
    done(&mut h, 1, Input::Read, read(Some(2)));
    done(
        &mut h,
        1,
        Input::Cas { old: None, new: 5 },
        Output::Applied {
            applied: false,
            current: Some(Some(2)),
        },
    );
    assert_ok(&h);
    let mut h = History::new();
    done(
        &mut h,
        0,
        Input::Write {
            value: 1,
            if_exists: true,
        },
        applied(true),
    );
    assert_violation(&h);
}

#[test]
fn keys_are_checked_independently_and_the_report_names_the_bad_one() {
    let mut h = History::new();
    h.invoke(0, 1, write(1)).ok(0, applied(true));
    h.invoke(0, 2, write(1)).ok(0, applied(true));
    h.invoke(1, 1, Input::Read).ok(1, read(Some(1)));
    h.invoke(1, 2, Input::Read).ok(1, read(Some(3)));
    let report = check(&h);
    let bad: Vec<i64> = report.violations().iter().map(|k| k.key).collect();
    assert_eq!(bad, vec![2]);
    assert_eq!(report.keys.len(), 2);
}

#[test]
fn the_report_cuts_the_history_at_the_first_violation() {
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    done(&mut h, 1, Input::Read, read(Some(0)));
    done(&mut h, 1, Input::Read, read(Some(4))); // events 4, 5: the violation
    for v in 1..40 {
        done(&mut h, 0, write(v), applied(true));
        done(&mut h, 1, Input::Read, read(Some(v)));
    }
    let report = assert_violation(&h);
    let Verdict::Violation(v) = &report.keys[0].verdict else {
        unreachable!()
    };
    assert_eq!(v.cut, 5, "{v}");
    // The first read changed nothing and is not needed to show the violation.
    assert_eq!(v.ops.len(), 2, "{v}");
    assert_eq!(v.dropped, 1, "{v}");
    assert_eq!(v.ops[1].output, read(Some(4)), "{v}");
    assert_eq!(v.linearized, vec![0], "{v}");
}

#[test]
fn the_report_keeps_the_reads_that_prove_the_violation() {
    // Two reads that each alone are fine; together (the later one older) not.
    let mut h = History::new();
    done(&mut h, 0, write(0), applied(true));
    h.invoke(1, K, write(1));
    done(&mut h, 2, Input::Read, read(Some(0)));
    done(&mut h, 2, Input::Read, read(Some(1)));
    done(&mut h, 3, Input::Read, read(Some(1)));
    done(&mut h, 3, Input::Read, read(Some(0)));
    h.ok(1, applied(true));
    let report = assert_violation(&h);
    let Verdict::Violation(v) = &report.keys[0].verdict else {
        unreachable!()
    };
    let reads: Vec<&Output> = v
        .ops
        .iter()
        .map(|o| &o.output)
        .filter(|o| matches!(o, Output::Read(_)))
        .collect();
    assert_eq!(reads, vec![&read(Some(1)), &read(Some(0))], "{v}");
    assert_eq!(v.dropped, 2, "{v}");
}

#[test]
fn a_search_over_budget_is_unknown_not_a_pass() {
    let mut h = History::new();
    for p in 0..8 {
        h.invoke(p, K, write(i64::try_from(p).unwrap()));
    }
    for p in 0..8 {
        h.ok(p, applied(true));
    }
    done(&mut h, 9, Input::Read, read(Some(3)));
    let report = check_history(&h, 10).unwrap();
    assert_eq!(report.unknown().len(), 1, "{report}");
    assert!(!report.is_linearizable());
    assert!(check(&h).is_linearizable());
}

#[test]
fn malformed_histories_are_errors() {
    let mut h = History::new();
    h.ok(0, applied(true));
    assert!(check_history(&h, 10).is_err());
    let mut h = History::new();
    h.invoke(0, K, Input::Read).invoke(0, K, Input::Read);
    assert!(check_history(&h, 10).is_err());
    let mut h = History::new();
    h.invoke(0, K, Input::Read).ok(0, applied(true));
    assert!(check_history(&h, 10).is_err());
    let mut h = History::new();
    h.invoke(0, K, Input::Read).ok(0, read(None));
    h.invoke(0, K, Input::Add(1)).ok(0, applied(true));
    assert!(check_history(&h, 10).is_err(), "one key mixes the models");
    assert!(parse(r#"{"process": 0, "type": "invoke", "f": "read"}"#).is_err());
    assert!(
        parse(r#"{"process": 0, "type": "invoke", "key": 1, "f": "cas", "value": [1]}"#).is_err()
    );
    assert!(parse("[1, 2]").is_err());
    assert!(parse("{not json").is_err());
}

const JSON_LINES: &str = r#"
{"process": 0, "type": "invoke", "key": 3, "f": "cas", "value": [null, 0]}
{"process": 0, "type": "ok", "key": 3, "f": "cas", "value": [null, 0], "applied": true}
{"process": 1, "type": "invoke", "key": 3, "f": "write", "value": 4, "if_exists": true}
{"process": 2, "type": "invoke", "key": 3, "f": "cas", "value": [0, 5]}
{"process": 1, "type": "info", "key": 3, "f": "write", "value": 4}
{"process": 2, "type": "ok", "key": 3, "f": "cas", "value": [0, 5], "applied": false, "current": 4}
{"process": 3, "type": "invoke", "key": 3, "f": "read"}
{"process": 3, "type": "ok", "key": 3, "f": "read", "value": 4}
{"process": 4, "type": "invoke", "key": 7, "f": "add", "value": 1}
{"process": 4, "type": "ok", "key": 7, "f": "add", "value": 1, "applied": true}
{"process": 5, "type": "invoke", "key": 7, "f": "read-set"}
{"process": 5, "type": "ok", "key": 7, "f": "read-set", "value": [1]}
{"process": 6, "type": "invoke", "key": 7, "f": "read-set"}
{"process": 6, "type": "fail", "key": 7, "f": "read-set"}
"#;

#[test]
fn json_files_load_as_lines_or_as_an_array() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.json");
    std::fs::write(&lines, JSON_LINES).unwrap();
    let report = check_file(&lines).unwrap();
    assert!(report.is_linearizable(), "{report}");
    assert_eq!(report.keys.len(), 2);
    assert_eq!(report.ops(), 6, "the failed read is dropped");

    let array = format!(
        "[{}]",
        JSON_LINES.trim().lines().collect::<Vec<_>>().join(",\n")
    );
    let bad = array.replace(r#""read", "value": 4"#, r#""read", "value": 0"#);
    let path = dir.path().join("array.json");
    std::fs::write(&path, bad).unwrap();
    let report = check_file(&path).unwrap();
    assert_eq!(report.violations().len(), 1, "{report}");
    assert!(check_file(&dir.path().join("missing.json")).is_err());
}
