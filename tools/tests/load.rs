//! `sibyl-load` end to end against the echo server (every attempted row
//! counts as loaded there): reconciliation with bad rows of every kind, the
//! bad file, `--max-errors`, compressed and JSON-lines input, and
//! kill-and-resume with a checkpoint. Loaders run as child processes with
//! bounded waits and are always killed.
#![cfg(test)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sibyl_tools::generate::{GenConfig, generate, parse_start};
use sibyl_tools::load::LoadSummary;
use sibyl_tools::load::checkpoint::Checkpoint;

const SCHEMA: &str = "sensor text pk, ts timestamp ck, value double";

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/timeseries/sample.csv")
}

fn loader(addr: SocketAddr, file: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sibyl-load"));
    cmd.args([
        "load",
        "--hosts",
        &addr.to_string(),
        "--keyspace",
        "ks",
        "--table",
        "readings",
    ])
    .args([
        "--schema",
        SCHEMA,
        "--max-value-bytes",
        "256",
        "--threads",
        "2",
    ])
    .arg("--file")
    .arg(file)
    .args(extra);
    cmd
}

fn summary(stdout: &[u8]) -> LoadSummary {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("SUMMARY "))
        .unwrap_or_else(|| panic!("no summary in {text}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn bad_rows_of_every_kind_reconcile() {
    let addr = common::echo_server();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    let out = common::run_bounded(
        loader(addr, &sample(), &["--max-errors", "-1", "--bad-file"]).arg(&bad),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out.stdout);
    assert_eq!(
        (s.read, s.loaded, s.rejected, s.not_attempted),
        (37, 30, 7, 0)
    );
    assert!(s.reconciles());
    let bad_text = std::fs::read_to_string(&bad).unwrap();
    let reasons: Vec<&str> = bad_text
        .lines()
        .filter(|l| l.starts_with("# line"))
        .collect();
    let expected = [
        "# line 13: column value: cannot parse 'not-a-number' as double",
        "# line 14: missing column value",
        "# line 15: extra column",
        "# line 24: bad quoting",
        "# line 25: column ts: cannot parse '2024-13-01T00:00:00Z' as timestamp",
        "# line 26: column sensor: value of 307 bytes exceeds the limit of 256",
        "# line 27: column sensor: null in primary key",
    ];
    assert_eq!(reasons.len(), expected.len(), "{bad_text}");
    for (got, want) in reasons.iter().zip(expected) {
        assert!(got.starts_with(want), "{got} vs {want}");
    }
    // The original lines follow their reasons.
    assert!(bad_text.contains("\nsensor-00,2024-01-01T00:01:02Z,1.5,extra\n"));
}

#[test]
fn max_errors_stops_with_nonzero_exit_and_reconciles() {
    let addr = common::echo_server();
    let out = common::run_bounded(
        &mut loader(addr, &sample(), &["--max-errors", "2", "--chunk-rows", "5"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    let s = summary(&out.stdout);
    assert!(s.max_errors_exceeded);
    assert!(s.rejected > 2, "{s:?}");
    assert!(s.reconciles(), "{s:?}");
    let pct = common::run_bounded(
        &mut loader(addr, &sample(), &["--max-errors", "50%"]),
        Duration::from_secs(30),
    );
    assert!(pct.status.success(), "7 of 37 is under 50%");
}

#[test]
fn gzip_and_zstd_inputs() {
    use std::io::Write;
    let addr = common::echo_server();
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(sample()).unwrap();
    let gz = dir.path().join("s.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&raw).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zst = dir.path().join("s.csv.zst");
    std::fs::write(&zst, zstd::encode_all(raw.as_slice(), 3).unwrap()).unwrap();
    for file in [gz, zst] {
        let out = common::run_bounded(
            &mut loader(addr, &file, &["--max-errors", "-1"]),
            Duration::from_secs(30),
        );
        let s = summary(&out.stdout);
        assert_eq!(
            (s.read, s.loaded, s.rejected),
            (37, 30, 7),
            "{}",
            file.display()
        );
    }
}

#[test]
fn json_lines_and_epoch_timestamps() {
    let addr = common::echo_server();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        "{\"sensor\":\"a\",\"ts\":1700000000000,\"value\":1.5}\n\
         {\"sensor\":\"a\",\"ts\":1700000001000,\"value\":null}\n\
         {\"sensor\":\"b\",\"ts\":\"oops\",\"value\":2}\n\
         {\"ts\":1700000002000,\"value\":2}\n\
         {\"sensor\":\"b\",\"ts\":1700000003000,\"value\":2,\"x\":1}\n\
         not json\n",
    )
    .unwrap();
    let out = common::run_bounded(
        &mut loader(
            addr,
            &file,
            &[
                "--format",
                "jsonl",
                "--timestamp-format",
                "epoch_ms",
                "--max-errors",
                "-1",
            ],
        ),
        Duration::from_secs(30),
    );
    let s = summary(&out.stdout);
    assert_eq!((s.read, s.loaded, s.rejected), (6, 2, 4), "{s:?}");
}

fn generated(dir: &Path, sensors: u64, points: u64) -> PathBuf {
    let path = dir.join("gen.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let config = GenConfig {
        sensors,
        points,
        start_ms: parse_start("2024-01-01T00:00:00Z").unwrap(),
        interval_ms: 1000,
        seed: 3,
        header: true,
    };
    generate(&config, &mut f).unwrap();
    path
}

#[test]
fn kill_and_resume_loses_nothing() {
    let addr = common::echo_server();
    let dir = tempfile::tempdir().unwrap();
    let file = generated(dir.path(), 20, 1000);
    let cp = dir.path().join("cp.json");
    let args = ["--chunk-rows", "200", "--batch-rows", "20", "--checkpoint"];
    let mut first = loader(addr, &file, &args);
    first.arg(&cp).args(["--rate", "4000"]);
    let child = first
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut guard = common::Guard(child);
    let start = Instant::now();
    let done_before_kill = loop {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no checkpoint progress"
        );
        if let Ok(c) = Checkpoint::load(&cp)
            && c.records_done >= 1000
        {
            break c.records_done;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    guard.0.kill().unwrap();
    let _ = guard.0.wait();
    assert!(
        done_before_kill < 20_000,
        "killed too late to test anything"
    );
    let saved = Checkpoint::load(&cp).unwrap();
    let mut second = loader(addr, &file, &args);
    second.arg(&cp).arg("--resume");
    let out = common::run_bounded(&mut second, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out.stdout);
    assert_eq!(s.skipped, saved.records_done);
    assert_eq!(s.read + s.skipped, 20_000);
    assert_eq!(s.total_loaded, 20_000);
    assert_eq!(s.total_rejected, 0);
    assert!(s.reconciles());
    assert_eq!(Checkpoint::load(&cp).unwrap().records_done, 20_000);
}

#[test]
fn count_and_unload_scan_every_range() {
    // The echo server stores nothing: every range answers no rows, so the scan
    // must finish over all 16 ranges with a count of 0 and a header-only file.
    let addr = common::echo_server();
    let dir = tempfile::tempdir().unwrap();
    let scan = |sub: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sibyl-load"));
        cmd.args([
            sub,
            "--hosts",
            &addr.to_string(),
            "--keyspace",
            "ks",
            "--table",
            "readings",
        ])
        .args(["--schema", SCHEMA, "--splits", "16"]);
        cmd
    };
    let out = common::run_bounded(&mut scan("count"), Duration::from_secs(30));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    let file = dir.path().join("out.csv");
    let out = common::run_bounded(
        scan("unload").arg("--out").arg(&file),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "sensor,ts,value\n");
}
