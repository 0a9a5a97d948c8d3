//! Goal: `sibyl-load` loses nothing against a real node (issue 9's tests):
//! the committed sample with bad rows of every kind leaves exactly its good
//! rows in the table; a loader killed mid-run and resumed from its
//! checkpoint leaves exactly every generated row; `unload` of that table,
//! loaded into a second table and unloaded again, gives the same rows, and
//! they are the generated input. Method: a real `sibyld`, the built loader
//! as a child process (every wait bounded, children always killed), the
//! Python driver to create tables and count rows.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sibyl_tests::node::{Node, sibyl_load_binary};
use sibyl_tests::python::{clients, workspace_root};
use sibyl_tools::generate::{GenConfig, generate, parse_start};
use sibyl_tools::load::LoadSummary;
use sibyl_tools::load::checkpoint::Checkpoint;

/// Kills the child when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sibyl-load starts");
    let mut guard = Guard(child);
    let start = Instant::now();
    while guard.0.try_wait().expect("child status").is_none() {
        assert!(start.elapsed() < limit, "sibyl-load ran past {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let Guard(child) = &mut guard;
    let mut out = Output {
        status: child.wait().expect("exit status"),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    if let Some(mut s) = child.stdout.take() {
        std::io::Read::read_to_end(&mut s, &mut out.stdout).expect("stdout");
    }
    if let Some(mut s) = child.stderr.take() {
        std::io::Read::read_to_end(&mut s, &mut out.stderr).expect("stderr");
    }
    out
}

fn loader(node: &Node, sub: &str, table: &str) -> Command {
    let mut cmd = Command::new(sibyl_load_binary().expect("sibyl-load builds"));
    cmd.args([
        sub,
        "--hosts",
        &node.address.to_string(),
        "--keyspace",
        "ld",
        "--table",
        table,
    ]);
    cmd
}

fn summary(out: &Output) -> LoadSummary {
    assert!(
        out.status.success(),
        "sibyl-load failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("SUMMARY "))
        .unwrap_or_else(|| panic!("no summary in {text}"));
    serde_json::from_str(line).expect("the summary is JSON")
}

/// Creates keyspace `ld` and the readings tables through the Python driver.
fn create_tables(node: &Node, tables: &[&str]) {
    let mut script = format!(
        "from cassandra.cluster import Cluster\n\
         s = Cluster(['{}']).connect()\n\
         s.execute(\"CREATE KEYSPACE IF NOT EXISTS ld WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}\")\n",
        node.address
    );
    for t in tables {
        script.push_str(&format!(
            "s.execute('CREATE TABLE ld.{t} (sensor text, ts timestamp, value double, PRIMARY KEY (sensor, ts))')\n"
        ));
    }
    let out = clients()
        .expect("the pinned Python driver installs")
        .run_script(&script, &[])
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `count(*)` of `ld.table` through the Python driver.
fn count_rows(node: &Node, table: &str) -> u64 {
    let script = format!(
        "from cassandra.cluster import Cluster\n\
         s = Cluster(['{}']).connect()\n\
         print(s.execute('SELECT count(*) FROM ld.{table}').one()[0])\n",
        node.address
    );
    let out = clients()
        .expect("the pinned Python driver installs")
        .run_script(&script, &[])
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a count")
}

#[test]
fn sample_with_bad_rows_leaves_exactly_its_good_rows() {
    let node = Node::start(&[]).expect("sibyld starts");
    create_tables(&node, &["readings"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.txt");
    let sample = workspace_root().join("testdata/timeseries/sample.csv");
    let out = run_bounded(
        loader(&node, "load", "readings")
            .arg("--file")
            .arg(&sample)
            .args(["--max-value-bytes", "256", "--max-errors", "-1"])
            .arg("--bad-file")
            .arg(&bad),
        Duration::from_secs(60),
    );
    let s = summary(&out);
    assert_eq!(
        (s.read, s.loaded, s.rejected, s.not_attempted),
        (37, 30, 7, 0),
        "the sample has 30 good rows and 7 bad ones"
    );
    assert!(s.reconciles());
    let bad_text = std::fs::read_to_string(&bad).expect("bad file");
    assert_eq!(
        bad_text.lines().filter(|l| l.starts_with("# line")).count(),
        7,
        "{bad_text}"
    );
    assert_eq!(count_rows(&node, "readings"), 30, "exactly the good rows");
}

fn generated(dir: &Path, sensors: u64, points: u64) -> PathBuf {
    let path = dir.join("gen.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("gen file"));
    let config = GenConfig {
        sensors,
        points,
        start_ms: parse_start("2024-01-01T00:00:00Z").expect("start"),
        interval_ms: 1000,
        seed: 3,
        header: true,
    };
    generate(&config, &mut f).expect("generate");
    drop(f);
    path
}

/// Rows of a `sensor,ts,value` CSV file (header dropped), sorted, with the
/// value parsed (the generator writes `37.60`, unload writes `37.6`).
fn sorted_rows(path: &Path) -> Vec<(String, String, f64)> {
    let text = std::fs::read_to_string(path).expect("csv");
    let mut rows: Vec<(String, String, f64)> = text
        .lines()
        .skip(1)
        .map(|line| {
            let mut fields = line.split(',');
            let mut next = || fields.next().expect("three fields").to_owned();
            let (sensor, ts, value) = (next(), next(), next());
            (sensor, ts, value.parse().expect("a double"))
        })
        .collect();
    rows.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    rows
}

/// Asserts two row lists are equal, printing only the first difference.
fn assert_same_rows(got: &[(String, String, f64)], want: &[(String, String, f64)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: row counts differ");
    if let Some((g, w)) = got.iter().zip(want).find(|(g, w)| g != w) {
        panic!("{what}: first difference {g:?} vs {w:?}");
    }
}

/// Loads with a checkpoint at a slow rate, kills the loader once part of
/// the file is done, resumes; returns the resumed run's summary.
fn load_killed_and_resumed(node: &Node, file: &Path, cp: &Path) -> (u64, LoadSummary) {
    let args = ["--chunk-rows", "200", "--batch-rows", "20", "--checkpoint"];
    let mut first = loader(node, "load", "readings");
    first.arg("--file").arg(file).args(args).arg(cp);
    first.args(["--rate", "4000"]);
    let child = first
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("loader starts");
    let mut guard = Guard(child);
    let start = Instant::now();
    let done_before_kill = loop {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no checkpoint progress"
        );
        if let Ok(c) = Checkpoint::load(cp)
            && c.records_done >= 1000
        {
            break c.records_done;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    guard.0.kill().expect("kill the loader");
    let _ = guard.0.wait();
    assert!(
        done_before_kill < 20_000,
        "killed too late to test anything"
    );
    let mut second = loader(node, "load", "readings");
    second.arg("--file").arg(file).args(args).arg(cp);
    second.arg("--resume");
    let resumed = summary(&run_bounded(&mut second, Duration::from_secs(120)));
    (done_before_kill, resumed)
}

/// Unloads `ld.table` into `out`, asserting success.
fn unload(node: &Node, table: &str, out: &Path) {
    let done = run_bounded(
        loader(node, "unload", table).arg("--out").arg(out),
        Duration::from_secs(60),
    );
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

#[test]
fn kill_and_resume_then_unload_and_reload_round_trip() {
    let node = Node::start(&[]).expect("sibyld starts");
    create_tables(&node, &["readings", "copy"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = generated(dir.path(), 20, 1000);
    let cp = dir.path().join("cp.json");

    let (done_before_kill, s) = load_killed_and_resumed(&node, &file, &cp);
    assert!(s.skipped >= done_before_kill);
    assert_eq!(s.read + s.skipped, 20_000);
    assert_eq!((s.total_loaded, s.total_rejected), (20_000, 0));
    assert!(s.reconciles());
    assert_eq!(
        count_rows(&node, "readings"),
        20_000,
        "every row exactly once"
    );

    let first = dir.path().join("first.csv");
    unload(&node, "readings", &first);
    assert_same_rows(
        &sorted_rows(&first),
        &sorted_rows(&file),
        "unload gives back the generated rows",
    );
    let s = summary(&run_bounded(
        loader(&node, "load", "copy").arg("--file").arg(&first),
        Duration::from_secs(60),
    ));
    assert_eq!((s.loaded, s.rejected), (20_000, 0));
    let second = dir.path().join("second.csv");
    unload(&node, "copy", &second);
    assert_same_rows(
        &sorted_rows(&second),
        &sorted_rows(&first),
        "unload -> load -> unload",
    );
    let out = run_bounded(&mut loader(&node, "count", "copy"), Duration::from_secs(60));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "20000");
}
