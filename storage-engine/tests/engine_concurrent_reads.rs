//! Goal: reads racing with writes, memtable switches and background flushes
//! never miss an acknowledged write (no window where data sits in neither a
//! memtable nor an SSTable of the version a read uses).
//! Method: writers publish how many of their writes were acknowledged;
//! readers note that count, read the partition, and require every row up to
//! it; a tiny flush threshold keeps the flusher busy throughout.

mod engine_support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use engine_support::*;
use sibyl_storage::TableOptions;
use sibyl_storage::config::CommitlogSync;
use sibyl_storage::fs::{FileSystem, MemFs};

#[test]
fn reads_see_every_acknowledged_write_while_flushes_run() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let mut o = options(Path::new("/d"), Arc::clone(&fs));
    o.commitlog_sync = CommitlogSync::Periodic { period_ms: 20 };
    let engine = sibyl_storage::Engine::open(o).unwrap();
    let small = TableOptions {
        flush_threshold_bytes: 4 * 1024,
        ..TableOptions::default()
    };
    let table = engine.create_table(T, small).unwrap();
    let acked: Vec<AtomicU32> = (0..2).map(|_| AtomicU32::new(0)).collect();
    let rows = 600u32;
    std::thread::scope(|s| {
        for (w, counter) in acked.iter().enumerate() {
            let table = table.clone();
            s.spawn(move || {
                for i in 0..rows {
                    table
                        .apply(&write(&format!("w{w}"), i, 10, "value"))
                        .unwrap();
                    counter.store(i + 1, Ordering::Release);
                }
            });
        }
        for _ in 0..2 {
            let table = table.clone();
            let acked = &acked;
            s.spawn(move || {
                loop {
                    let before: Vec<u32> =
                        acked.iter().map(|a| a.load(Ordering::Acquire)).collect();
                    for (w, n) in before.iter().enumerate() {
                        let seen = live_values(&table, &format!("w{w}"), 0);
                        let have = u32::try_from(seen.len()).unwrap();
                        assert!(have >= *n, "writer {w}: {n} acknowledged, {have} visible");
                        assert!(
                            seen.iter()
                                .enumerate()
                                .all(|(i, (r, _))| *r == u32::try_from(i).unwrap())
                        );
                    }
                    if before.iter().all(|n| *n == rows) {
                        break;
                    }
                }
            });
        }
    });
    assert!(
        table.version().sstables.len() > 2,
        "flushes ran during the test"
    );
}
