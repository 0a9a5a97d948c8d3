//! Goal: every write the commitlog acknowledged in `batch` mode survives a
//! `kill -9` of the writing process, on the real file system.
//!
//! Method: the test re-runs its own binary as a child (the ignored test
//! `child_writer`), which appends numbered updates from several threads and
//! prints `ACK <n>` after each acknowledged append. The parent kills it with
//! SIGKILL after a varying delay, then reopens the log and checks that
//! every acknowledged update is replayed and that nothing replayed is
//! malformed. Several rounds, each in a fresh directory.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sibyl_storage::commitlog::CommitLog;
use sibyl_storage::config::{CommitlogConfig, CommitlogSync};
use sibyl_storage::fs::StdFs;
use sibyl_storage::model::{Cell, ClusteringKey, PartitionKey, PartitionUpdate, Row, TableId};

const DIR_ENV: &str = "SIBYL_COMMITLOG_KILL_DIR";

fn update(n: u64) -> PartitionUpdate {
    let key = PartitionKey::new(Bytes::from(n.to_be_bytes().to_vec()));
    let row = Row::new(ClusteringKey::new(&b"\x01"[..])).with_cell(Cell::live(
        0,
        i64::try_from(n).unwrap_or(i64::MAX),
        Bytes::from(vec![0xab; 200]),
    ));
    PartitionUpdate::new(TableId(1), key).with_row(row)
}

fn config(dir: &Path) -> CommitlogConfig {
    let mut c = CommitlogConfig::new(dir);
    c.segment_size_bytes = 64 * 1024; // many roll-overs
    c.record_bytes_max = 16 * 1024;
    c.sync = CommitlogSync::Batch;
    c
}

/// The child: writes until killed. Ignored so a normal run skips it.
#[test]
#[ignore = "run only as the child of acknowledged_writes_survive_kill_9"]
fn child_writer() {
    let Ok(dir) = std::env::var(DIR_ENV) else {
        return;
    };
    let (log, _) =
        CommitLog::open(Arc::new(StdFs), config(Path::new(&dir)), 0, |_, _| Ok(())).unwrap();
    let log = Arc::new(log);
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for i in 0.. {
                    let n = t * 1_000_000_000 + i;
                    log.append(&update(n)).unwrap();
                    println!("ACK {n}");
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let exe = std::env::current_exe().unwrap();
    for round in 0..4u64 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("commitlog");
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "child_writer",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(DIR_ENV, &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("ACK ")
                    && tx.send(n.parse::<u64>().unwrap()).is_err()
                {
                    break;
                }
            }
        });
        // Kill at a varying point after the first acknowledgement (a condition,
        // not a guess at how long the child takes to start on a loaded machine).
        let mut acked = HashSet::new();
        acked.insert(
            rx.recv_timeout(Duration::from_secs(60))
                .expect("the child acknowledges a write"),
        );
        std::thread::sleep(Duration::from_millis(20 + round * 70));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        acked.extend(rx.try_iter());
        let mut replayed = HashSet::new();
        let (_log, _) = CommitLog::open(Arc::new(StdFs), config(&dir), 0, |_, u| {
            let n = u64::from_be_bytes(u.key.key().as_ref().try_into().unwrap());
            assert_eq!(u, update(n), "replayed update differs from the one written");
            replayed.insert(n);
            Ok(())
        })
        .unwrap();
        let lost: Vec<_> = acked.difference(&replayed).collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged writes lost: {lost:?}"
        );
    }
}
