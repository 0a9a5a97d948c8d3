//! `sibyl-stress` against the echo server: the JSON output parses and its
//! numbers are consistent, every workload runs, `--rate` paces, and HTML
//! reports accumulate runs.
#![cfg(test)]

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use sibyl_tools::report::{self, RunReport};

fn stress(addr: SocketAddr, workload: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sibyl-stress"));
    cmd.args([workload, "--hosts", &addr.to_string(), "--concurrency", "8"])
        .args(["--interval", "100ms"])
        .args(extra);
    cmd
}

fn run_json(cmd: &mut Command, json: &Path) -> RunReport {
    let out = common::run_bounded(cmd.arg("--json").arg(json), Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("throughput"), "{stdout}");
    report::read_json(json).unwrap()
}

fn check_consistent(r: &RunReport) {
    let l = &r.latency_ms;
    assert!(l.p50 > 0.0);
    assert!(
        l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
        "{l:?}"
    );
    assert!((r.ops_per_sec - r.ops as f64 / r.duration_s).abs() < 1e-6 * r.ops_per_sec.max(1.0));
    let interval_ops: u64 = r.intervals.iter().map(|i| i.ops).sum();
    assert_eq!(interval_ops, r.ops);
    assert!(r.intervals.windows(2).all(|w| w[0].t < w[1].t));
}

#[test]
fn write_json_is_consistent() {
    let addr = common::echo_server();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("w.json");
    let r = run_json(&mut stress(addr, "write", &["--ops", "3000"]), &json);
    assert_eq!(r.ops, 3000);
    assert_eq!(r.errors, 0);
    assert_eq!(r.workload, "write");
    check_consistent(&r);
    // The raw document has the documented keys.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for key in ["ops_per_sec", "errors"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    for key in ["p50", "p95", "p99", "p999", "max"] {
        assert!(v["latency_ms"].get(key).is_some(), "{key}");
    }
}

#[test]
fn every_workload_runs_without_errors() {
    let addr = common::echo_server();
    let dir = tempfile::tempdir().unwrap();
    for w in ["read", "mixed", "timeseries", "lwt", "counter"] {
        let json = dir.path().join(format!("{w}.json"));
        let extra = if w == "mixed" {
            vec!["--ops", "500", "--ratio", "read=3,write=1"]
        } else {
            vec!["--ops", "500"]
        };
        let r = run_json(&mut stress(addr, w, &extra), &json);
        assert_eq!((r.ops, r.errors), (500, 0), "{w}");
        check_consistent(&r);
    }
}

#[test]
fn fixed_rate_paces_and_duration_stops() {
    let addr = common::echo_server();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("rate.json");
    let r = run_json(
        &mut stress(addr, "write", &["--ops", "400", "--rate", "1000"]),
        &json,
    );
    assert_eq!(r.ops, 400);
    assert!(
        r.duration_s >= 0.3,
        "400 ops at 1000/s took {}",
        r.duration_s
    );
    assert!(r.ops_per_sec < 1500.0, "{}", r.ops_per_sec);
    let json = dir.path().join("dur.json");
    let r = run_json(
        &mut stress(addr, "write", &["--duration", "500ms", "--warmup", "200ms"]),
        &json,
    );
    assert!(r.ops > 0);
    assert!((0.45..3.0).contains(&r.duration_s), "{}", r.duration_s);
    check_consistent(&r);
}

#[test]
fn html_report_accumulates_runs() {
    let addr = common::echo_server();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    for _ in 0..2 {
        let mut cmd = stress(addr, "write", &["--ops", "200", "--html"]);
        cmd.arg(&html);
        let out = common::run_bounded(&mut cmd, Duration::from_secs(60));
        assert!(out.status.success());
    }
    let runs = report::read_html_runs(&html).unwrap();
    assert_eq!(runs.len(), 2);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("<polyline"));
}
