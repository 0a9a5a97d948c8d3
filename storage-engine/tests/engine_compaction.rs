//! Goal: the engine runs compactions by itself (size-tiered by default) and on
//! demand (`Table::compact`), and neither loses, changes nor resurrects data.
//! Method: writes, deletes and TTLs over several flushes, checked against an
//! independent model of what was written; waits are bounded polls of table
//! statistics (no fixed sleeps); time comes from a fake wall clock.

mod engine_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use engine_support::*;
use sibyl_storage::engine::WallClock;
use sibyl_storage::fs::{FileSystem, MemFs};
use sibyl_storage::model::{Cell, DeletionTime, LivenessInfo, PartitionUpdate, Row};
use sibyl_storage::{Engine, EngineOptions, Table, TableOptions};

const NOW: u32 = 1_000_000;

/// A wall clock the test moves.
#[derive(Debug)]
struct FakeClock(AtomicU64);

impl WallClock for FakeClock {
    fn now_s(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

fn engine_with(
    dir: &Path,
    fs: &Arc<dyn FileSystem>,
    clock: &Arc<FakeClock>,
    compaction: bool,
    throughput: u64,
) -> Engine {
    let mut o: EngineOptions = options(dir, Arc::clone(fs));
    o.compaction_enabled = compaction;
    o.compaction_throughput_mb_per_sec = throughput;
    o.clock = Arc::clone(clock) as Arc<dyn WallClock>;
    Engine::open(o).expect("engine opens")
}

fn clock_at(now: u32) -> Arc<FakeClock> {
    Arc::new(FakeClock(AtomicU64::new(u64::from(now))))
}

/// Polls `cond` every few ms until true or `limit` passes.
fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// What should be live: `(key, row) -> value`.
type Model = BTreeMap<(String, u32), String>;

/// Round `r` of a mixed workload: overwrites, row deletes, a partition
/// delete, short and long TTLs. Applies to `table` and to `model` (as seen
/// at `NOW + 100`).
fn round(table: &Table, model: &mut Model, r: u32) {
    let ts = 100 + i64::from(r) * 10;
    for k in 0..8u32 {
        let key = format!("k{k}");
        for row in 0..6u32 {
            let value = format!("v{r}-{k}-{row}");
            table.apply(&write(&key, row, ts, &value)).expect("apply");
            model.insert((key.clone(), row), value);
        }
    }
    // Delete row (r % 6) of k1, newer than its write.
    let deleted = r % 6;
    let del = PartitionUpdate::new(T, pk("k1"))
        .with_row(Row::new(ck(deleted)).with_deletion(DeletionTime::new(ts + 1, NOW)));
    table.apply(&del).expect("apply");
    model.remove(&("k1".to_owned(), deleted));
    // TTL rows in their own partition: 10 s (expired at NOW + 100) and 1 day.
    for (row, ttl) in [(10 + r, 10u32), (20 + r, 86_400)] {
        let value = format!("ttl{r}-{ttl}");
        let update = PartitionUpdate::new(T, pk("ttl")).with_row(
            Row::new(ck(row))
                .with_liveness(LivenessInfo::expiring(ts, ttl, NOW))
                .with_cell(Cell::expiring(1, ts, Bytes::from(value.clone()), ttl, NOW)),
        );
        table.apply(&update).expect("apply");
        if ttl > 100 {
            model.insert(("ttl".to_owned(), row), value);
        }
    }
    if r == 2 {
        // Partition k7 deleted whole; later rounds write it again.
        let pd = PartitionUpdate::new(T, pk("k7"))
            .with_partition_deletion(DeletionTime::new(ts + 5, NOW));
        table.apply(&pd).expect("apply");
        model.retain(|(key, _), _| key != "k7");
    }
}

fn assert_matches(table: &Table, model: &Model) {
    let mut keys: Vec<String> = (0..8).map(|k| format!("k{k}")).collect();
    keys.push("ttl".to_owned());
    for key in keys {
        let want: Vec<(u32, String)> = model
            .iter()
            .filter(|((k, _), _)| *k == key)
            .map(|((_, row), v)| (*row, v.clone()))
            .collect();
        assert_eq!(live_values(table, &key, NOW + 100), want, "key {key}");
    }
}

#[test]
fn background_size_tiered_compaction_keeps_every_row() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let clock = clock_at(NOW);
    let engine = engine_with(Path::new("/d"), &fs, &clock, true, 0);
    let table = engine.create_table(T, TableOptions::default()).unwrap();
    let mut model = Model::new();
    for r in 0..5 {
        round(&table, &mut model, r);
        table.flush().unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(20), || table.stats(NOW).live_sstables
            < 4
            && !engine.compaction_stats().running),
        "background compaction never ran: {:?}",
        table.stats(NOW)
    );
    assert!(engine.compaction_stats().completed >= 1);
    assert_eq!(engine.compaction_stats().failed, 0);
    assert_matches(&table, &model);
    engine.close().unwrap();
    drop(table);
    let engine = engine_with(Path::new("/d"), &fs, &clock, false, 0);
    let table = engine.table(T).unwrap();
    assert!(table.stats(NOW).live_sstables < 4);
    assert_matches(&table, &model);
}

#[test]
fn major_compaction_merges_everything_into_one() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let clock = clock_at(NOW);
    let engine = engine_with(Path::new("/d"), &fs, &clock, false, 0);
    let table = engine.create_table(T, TableOptions::default()).unwrap();
    let mut model = Model::new();
    for r in 0..3 {
        round(&table, &mut model, r);
        table.flush().unwrap();
    }
    round(&table, &mut model, 3); // left in the memtable: compact() flushes it
    assert_eq!(table.stats(NOW).live_sstables, 3);
    table.compact().unwrap();
    assert_eq!(table.stats(NOW).live_sstables, 1);
    assert_eq!(table.stats(NOW).memtable_bytes, 0);
    assert_matches(&table, &model);
    assert_eq!(engine.compaction_stats().completed, 1);
}

fn bulk_value(seed: u64) -> Bytes {
    // Incompressible-ish bytes (xorshift) so the throttle has real bytes to pace.
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(1024);
    for _ in 0..128 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    Bytes::from(v)
}

#[test]
fn close_during_a_throttled_compaction_is_prompt() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let clock = clock_at(NOW);
    let dir = Path::new("/d");
    // 1 MiB/s over ~6 MiB: about 5 s throttled.
    let engine = engine_with(dir, &fs, &clock, true, 1);
    let table = engine.create_table(T, TableOptions::default()).unwrap();
    write_bulk(&table);
    assert!(
        wait_until(Duration::from_secs(10), || engine
            .compaction_stats()
            .running),
        "the compaction never started"
    );
    let started = Instant::now();
    engine.close().unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "close took {took:?}");
    drop(table);
    let engine = engine_with(dir, &fs, &clock, false, 0);
    check_bulk(&engine.table(T).unwrap());
}

/// Four flushed SSTables of ~1.5 MiB of incompressible rows.
fn write_bulk(table: &Table) {
    for r in 0..4u32 {
        for p in 0..60u32 {
            let mut update = PartitionUpdate::new(T, pk(&format!("p{r}-{p}")));
            for row in 0..25u32 {
                let seed = u64::from(r * 100_000 + p * 1000 + row);
                update.add_row(Row::new(ck(row)).with_cell(Cell::live(1, 1, bulk_value(seed))));
            }
            table.apply(&update).expect("apply");
        }
        table.flush().expect("flush");
    }
}

/// Every row [`write_bulk`] wrote reads back byte for byte.
fn check_bulk(table: &Table) {
    for r in 0..4u32 {
        for p in 0..60u32 {
            let got = read(table, &format!("p{r}-{p}"), NOW).expect("partition present");
            assert_eq!(got.rows.len(), 25);
            for (row, data) in got.rows.iter().enumerate() {
                let seed = u64::from(r * 100_000 + p * 1000) + row as u64;
                let cell = data.cell(1, None).expect("cell present");
                assert_eq!(cell.value(), &bulk_value(seed)[..]);
            }
        }
    }
}

#[test]
fn a_power_loss_during_compaction_loses_nothing() {
    let mem = Arc::new(MemFs::new());
    let fs: Arc<dyn FileSystem> = Arc::clone(&mem) as Arc<dyn FileSystem>;
    let clock = clock_at(NOW);
    let dir = Path::new("/d");
    let engine = engine_with(dir, &fs, &clock, true, 1);
    let table = engine.create_table(T, TableOptions::default()).unwrap();
    write_bulk(&table);
    assert!(
        wait_until(Duration::from_secs(10), || engine
            .compaction_stats()
            .running),
        "the compaction never started"
    );
    mem.crash();
    drop(table);
    drop(engine); // stops the crashed process's threads
    let engine = engine_with(dir, &fs, &clock, false, 0);
    let table = engine.table(T).unwrap();
    assert_eq!(table.stats(NOW).live_sstables, 4, "inputs still live");
    check_bulk(&table);
    table.compact().unwrap();
    assert_eq!(table.stats(NOW).live_sstables, 1);
    check_bulk(&table);
}

fn filler(table: &Table, prefix: &str, rows: u32) {
    for row in 0..rows {
        table
            .apply(&write(&format!("{prefix}{}", row % 10), row, 50, "filler"))
            .expect("apply");
    }
}

fn tombstones(table: &Table) -> u64 {
    table
        .version()
        .sstables
        .iter()
        .map(|t| t.reader().stats().tombstones.total())
        .sum()
}

#[test]
fn tombstones_are_purged_only_past_gc_grace_and_never_over_outside_data() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let clock = clock_at(NOW);
    let engine = engine_with(Path::new("/d"), &fs, &clock, true, 0);
    // Every SSTable here is under Cassandra's 50 MiB `min_sstable_size`,
    // which would bucket them all together: bucket by size ratio instead.
    let options = TableOptions {
        gc_grace_seconds: 100,
        compaction: [("min_sstable_size".to_owned(), "0".to_owned())].into(),
        ..TableOptions::default()
    };
    let table = engine.create_table(T, options).unwrap();
    // A big old SSTable holding k row 1 (ts 1): incompressible rows make it
    // far bigger than the small ones, so size-tiered never buckets it with them.
    table.apply(&write("k", 1, 1, "old")).unwrap();
    for p in 0..20u32 {
        let mut update = PartitionUpdate::new(T, pk(&format!("big{p}")));
        for row in 0..20u32 {
            let value = bulk_value(u64::from(p * 100 + row));
            update.add_row(Row::new(ck(row)).with_cell(Cell::live(1, 50, value)));
        }
        table.apply(&update).unwrap();
    }
    table.flush().unwrap();
    // Four small ones; the first deletes k row 1 (ts 2).
    let del = PartitionUpdate::new(T, pk("k"))
        .with_row(Row::new(ck(1)).with_deletion(DeletionTime::new(2, NOW)));
    table.apply(&del).unwrap();
    for i in 0..4 {
        if i == 3 {
            // The small ones compact past gc grace: only the big SSTable
            // outside may still hold what the tombstone shadows.
            clock.0.store(u64::from(NOW) + 1000, Ordering::Release);
        }
        filler(&table, &format!("s{i}-"), 20);
        table.flush().unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(20), || table.stats(NOW).live_sstables
            == 2
            && !engine.compaction_stats().running),
        "small sstables not compacted: {:?}",
        table.stats(NOW)
    );
    let later = NOW + 1000;
    assert!(
        tombstones(&table) >= 1,
        "tombstone purged over outside data"
    );
    assert!(live_values(&table, "k", later).is_empty(), "resurrected");

    // Before gc grace a major compaction keeps the tombstone (and drops the
    // data it shadows); past it, both go.
    clock.0.store(u64::from(NOW) + 50, Ordering::Release);
    table.compact().unwrap();
    assert_eq!(table.stats(later).live_sstables, 1);
    assert!(tombstones(&table) >= 1, "tombstone purged before gc grace");
    assert!(live_values(&table, "k", later).is_empty());
    clock.0.store(u64::from(NOW) + 1000, Ordering::Release);
    table.compact().unwrap();
    assert_eq!(tombstones(&table), 0, "tombstone kept past gc grace");
    assert!(live_values(&table, "k", later).is_empty());
    let big = read(&table, "big3", later).expect("outside data kept");
    assert_eq!(big.rows.len(), 20);
}

#[test]
fn a_failed_compaction_keeps_its_inputs_and_leaves_no_output() {
    let mem = Arc::new(MemFs::new());
    let fs: Arc<dyn FileSystem> = Arc::clone(&mem) as Arc<dyn FileSystem>;
    let clock = clock_at(NOW);
    let dir = Path::new("/d");
    let engine = engine_with(dir, &fs, &clock, false, 0);
    let table = engine.create_table(T, TableOptions::default()).unwrap();
    let mut model = Model::new();
    for r in 0..2 {
        round(&table, &mut model, r);
        table.flush().unwrap();
    }
    let table_dir = dir.join("tables").join(T.to_string());
    let mut files_before = fs.list(&table_dir).unwrap();
    files_before.sort();
    mem.set_faults(sibyl_storage::fs::Faults {
        sync: true,
        ..Default::default()
    });
    assert!(table.compact().is_err(), "writing the output must fail");
    mem.set_faults(sibyl_storage::fs::Faults::default());
    let mut files_after = fs.list(&table_dir).unwrap();
    files_after.sort();
    assert_eq!(files_after, files_before, "partial outputs removed");
    assert_eq!(table.stats(NOW).live_sstables, 2);
    assert_eq!(engine.compaction_stats().failed, 1);
    assert_matches(&table, &model);
    table.compact().unwrap();
    assert_eq!(table.stats(NOW).live_sstables, 1);
    assert_matches(&table, &model);
    engine.close().unwrap();
    drop(table);
    let engine = engine_with(dir, &fs, &clock, false, 0);
    let table = engine.table(T).unwrap();
    assert_eq!(table.stats(NOW).live_sstables, 1);
    assert_matches(&table, &model);
}

#[test]
fn time_window_drops_a_fully_expired_sstable_in_the_background() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let clock = clock_at(NOW);
    let engine = engine_with(Path::new("/d"), &fs, &clock, true, 0);
    let options = TableOptions {
        gc_grace_seconds: 0,
        compaction: [(
            "class".to_owned(),
            "TimeWindowCompactionStrategy".to_owned(),
        )]
        .into(),
        ..TableOptions::default()
    };
    let table = engine.create_table(T, options).unwrap();
    let ts = i64::from(NOW) * 1_000_000;
    for row in 0..10u32 {
        let update = PartitionUpdate::new(T, pk("e")).with_row(
            Row::new(ck(row))
                .with_liveness(LivenessInfo::expiring(ts, 10, NOW))
                .with_cell(Cell::expiring(1, ts, Bytes::from_static(b"x"), 10, NOW)),
        );
        table.apply(&update).unwrap();
    }
    table.flush().unwrap();
    assert_eq!(table.stats(NOW).live_sstables, 1);
    assert_eq!(live_values(&table, "e", NOW).len(), 10);
    // Past expiry and gc grace, the next tick drops the table unread.
    clock.0.store(u64::from(NOW) + 100, Ordering::Release);
    assert!(
        wait_until(Duration::from_secs(10), || table.stats(NOW).live_sstables
            == 0),
        "expired sstable not dropped: {:?}",
        table.stats(NOW)
    );
    assert!(live_values(&table, "e", NOW + 100).is_empty());
    assert_eq!(engine.compaction_stats().failed, 0);
}
