//! Goal: under `commitlog_sync = batch`, every acknowledged write survives
//! `kill -9`, including kills in the middle of a flush, and no write is ever
//! half applied.
//! Method: the test re-executes its own binary as a writer child (selected
//! by an environment variable) that writes two-row updates on a real
//! directory, flushing often, and prints each acknowledged update. The
//! parent SIGKILLs it after a varying delay, reopens the engine, and checks
//! every acknowledged update is there and every update present has both rows.

mod engine_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use engine_support::{T, ck, open, pk};
use sibyl_storage::fs::{FileSystem, StdFs};
use sibyl_storage::model::{Cell, PartitionUpdate, Row, Slices};
use sibyl_storage::{ReadLimits, TableOptions};

const ROLE_DIR: &str = "SIBYL_ENGINE_CRASH_DIR";
const ROLE_ITERATION: &str = "SIBYL_ENGINE_CRASH_ITERATION";
const PARTITIONS: u64 = 16;
const ITERATIONS: u64 = 10;

fn update(n: u64) -> PartitionUpdate {
    let value = Bytes::from(n.to_be_bytes().to_vec());
    let key = pk(&format!("p{}", n % PARTITIONS));
    let ts = i64::try_from(n).expect("small");
    let row = |c: u64| {
        let c = u32::try_from(c).expect("fits");
        Row::new(ck(c)).with_cell(Cell::live(1, ts, value.clone()))
    };
    PartitionUpdate::new(T, key)
        .with_row(row(2 * n))
        .with_row(row(2 * n + 1))
        .with_row(Row::new(ck(u32::MAX)).with_cell(Cell::live(2, ts, Bytes::from(vec![0u8; 64]))))
}

/// The writer child: runs only when the parent sets the role variables.
#[test]
fn crash_writer_role() {
    let (Ok(dir), Ok(iteration)) = (std::env::var(ROLE_DIR), std::env::var(ROLE_ITERATION)) else {
        return;
    };
    let iteration: u64 = iteration.parse().expect("iteration number");
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
    let engine = open(Path::new(&dir), &fs);
    let options = TableOptions {
        flush_threshold_bytes: 16 * 1024,
        ..TableOptions::default()
    };
    let table = engine
        .table(T)
        .or_else(|_| engine.create_table(T, options))
        .expect("table");
    let mut out = std::io::stdout().lock();
    for i in 0..100_000u64 {
        let n = iteration * 1_000_000 + i;
        table.apply(&update(n)).expect("apply");
        writeln!(out, "ACK {n}").expect("stdout");
        out.flush().expect("stdout");
        if i % 40 == 39 {
            table.flush().expect("flush");
        }
    }
}

/// Values found per partition row: n -> rows present.
fn present(dir: &Path) -> BTreeMap<u64, u32> {
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
    let engine = open(dir, &fs);
    assert!(engine.quarantined().is_empty());
    let table = engine
        .table(T)
        .expect("table exists once a write was acknowledged");
    let mut seen = BTreeMap::new();
    for p in 0..PARTITIONS {
        let result = table
            .read_partition(
                &pk(&format!("p{p}")),
                &Slices::all(),
                false,
                0,
                ReadLimits::default(),
            )
            .expect("read");
        for row in result.partition.map(|p| p.rows).unwrap_or_default() {
            if let Some(cell) = row.cell(1, None) {
                let n = u64::from_be_bytes(cell.value().try_into().expect("8 bytes"));
                *seen.entry(n).or_insert(0) += 1;
            }
        }
    }
    engine.close().expect("close");
    seen
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary");
    let mut acked_total = Vec::new();
    for iteration in 1..=ITERATIONS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_writer_role",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ROLE_DIR, tmp.path())
            .env(ROLE_ITERATION, iteration.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let acks = BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("ACK ").and_then(|n| n.parse::<u64>().ok()));
            for n in acks {
                if tx.send(n).is_err() {
                    break;
                }
            }
        });
        // Start the clock at the first acknowledgement, then kill after a
        // varying while (so kills land in writes and in flushes).
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the writer acknowledges");
        acked_total.push(first);
        std::thread::sleep(Duration::from_millis(20 + (iteration * 37) % 200));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        reader.join().expect("reader");
        acked_total.extend(rx.try_iter());
        let seen = present(tmp.path());
        for n in &acked_total {
            assert_eq!(
                seen.get(n),
                Some(&2),
                "acknowledged update {n} lost or torn"
            );
        }
        for (n, rows) in &seen {
            assert_eq!(*rows, 2, "update {n} half applied");
        }
    }
    assert!(
        acked_total.len() >= 10,
        "the writers made progress: {}",
        acked_total.len()
    );
}
