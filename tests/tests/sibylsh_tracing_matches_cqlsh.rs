//! Goal: `TRACING ON` works in cqlsh 6.2.2 against our node (it prints
//! `Tracing session: <id>` and the trace table after each statement, one per
//! page of a paged SELECT), and
//! sibylsh prints the same thing: the same lines in the same order, where
//! only the session ids, times, elapsed microseconds and the column padding
//! they cause may differ (two runs never take the same microseconds).
//! Method: run one script through both shells against one real node, with
//! TZ=UTC (cqlsh prints local time); normalise the trace tables (cells
//! trimmed, ids, numbers in times and elapsed values masked) and compare.

mod sibylsh_common;

use std::path::PathBuf;
use std::process::Command;

use sibylsh_common::sibylsh_binary;

use sibyl_tests::node::Node;
use sibyl_tests::python::clients;

const SCRIPT: &str = "\
CREATE KEYSPACE IF NOT EXISTS traced WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE IF NOT EXISTS traced.t (k int PRIMARY KEY, v text);
INSERT INTO traced.t (k, v) VALUES (2, 'two');
INSERT INTO traced.t (k, v) VALUES (3, 'three');
TRACING ON
INSERT INTO traced.t (k, v) VALUES (1, 'one');
SELECT * FROM traced.t WHERE k = 1;
PAGING 2
SELECT k FROM traced.t;
PAGING OFF
SELECT nope FROM traced.t;
SELECT count(*) FROM system_traces.events WHERE session_id = 00000000-0000-1000-8000-000000000000;
TRACING OFF
SELECT v FROM traced.t WHERE k = 1;
";

/// Masks what differs between two runs inside trace tables.
fn normalise(out: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_trace = false;
    for line in out.lines() {
        if let Some(id) = line.strip_prefix("Tracing session: ") {
            assert!(uuid_like(id), "a session id: {line}");
            lines.push("Tracing session: <id>".to_owned());
            in_trace = true;
            continue;
        }
        if in_trace && line.is_empty() && lines.last().is_some_and(|l| l != "Tracing session: <id>")
        {
            in_trace = false;
        }
        if !in_trace {
            lines.push(line.to_owned());
        } else if line.starts_with("--") {
            lines.push("<rule>".to_owned());
        } else if !line.is_empty() {
            let cells: Vec<String> = line
                .split(" | ")
                .enumerate()
                .map(|(i, c)| {
                    let c = c.trim();
                    if i == 1 || i == 3 {
                        // Python drops a zero fraction (`...:05` for `...:05.000000`).
                        // An elapsed time under 1 µs prints `--`.
                        mask_numbers(c).replace(".N", "").replace("--", "N")
                    } else {
                        c.to_owned()
                    }
                })
                .collect();
            lines.push(cells.join(" | "));
        }
    }
    lines
}

/// Every run of digits as `N` (times and elapsed figures differ per run).
fn mask_numbers(cell: &str) -> String {
    let mut out = String::new();
    for ch in cell.chars() {
        if !ch.is_ascii_digit() {
            out.push(ch);
        } else if !out.ends_with('N') {
            out.push('N');
        }
    }
    out
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

#[test]
fn sibylsh_prints_traces_as_cqlsh_does() {
    let clients = clients().expect("the pinned cqlsh installs");
    let sibylsh = sibylsh_binary();
    let node = Node::start(&[]).expect("sibyld starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("trace.cql");
    std::fs::write(&script, SCRIPT).expect("script written");
    let run = |program: &PathBuf| {
        let output = Command::new(program)
            .arg(node.address.to_string())
            .arg("-f")
            .arg(&script)
            .env("TZ", "UTC")
            .env("HOME", dir.path())
            .output()
            .expect("the shell runs");
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
            output.status.code(),
        )
    };
    let (cqlsh_out, cqlsh_err, cqlsh_code) = run(&clients.cqlsh);
    assert!(
        cqlsh_err.ends_with(":InvalidRequest: Error from server: code=2200 [Invalid query] message=\"Undefined column name nope in table traced.t\"\n"),
        "cqlsh's one error: {cqlsh_err}\nstdout:\n{cqlsh_out}"
    );
    assert_eq!(cqlsh_code, Some(2));
    let traces = cqlsh_out.matches("Tracing session: ").count();
    assert_eq!(
        traces, 4,
        "cqlsh traces the INSERT, the SELECT and both pages of the paged SELECT, \
         not the failed SELECT:\n{cqlsh_out}"
    );
    for activity in [
        "Parsing INSERT INTO traced.t",
        "Request complete",
        "Execute CQL3 query",
    ] {
        assert!(cqlsh_out.contains(activity), "{activity} in:\n{cqlsh_out}");
    }
    let (sibylsh_out, sibylsh_err, sibylsh_code) = run(&sibylsh);
    assert_eq!(sibylsh_err, cqlsh_err, "stdout:\n{sibylsh_out}");
    assert_eq!(sibylsh_code, cqlsh_code);
    assert_eq!(
        normalise(&sibylsh_out),
        normalise(&cqlsh_out),
        "sibylsh:\n{sibylsh_out}\ncqlsh:\n{cqlsh_out}"
    );
}
