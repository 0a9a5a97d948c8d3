//! The memtable purge bound: a tombstone past gc grace is kept while a
//! memtable may hold older data it shadows, and purged once none does.

use std::sync::Arc;

use super::{Snapshot, execute, infos};
use crate::compaction::major_compaction;
use crate::fs::MemFs;
use crate::model::{
    Cell, ClusteringKey, DeletionTime, LivenessInfo, PartitionKey, PartitionUpdate, Row, Slices,
    TableId,
};
use crate::{Engine, EngineOptions, ReadLimits, Table, TableOptions};

const T: TableId = TableId(7);
const NOW: u32 = 1_000_000;

fn update(row: Row) -> PartitionUpdate {
    PartitionUpdate::new(T, PartitionKey::new(b"k".to_vec())).with_row(row)
}

fn tombstones(table: &Table) -> u64 {
    let version = table.version();
    version
        .sstables
        .iter()
        .map(|t| t.reader().stats().tombstones.total())
        .sum()
}

fn major_now(table: &Table, now_s: u64) {
    let snapshot = Snapshot::of(&table.version());
    let choice = major_compaction(&infos(&table.state, &snapshot, now_s), 0, None).unwrap();
    execute(table, &snapshot, &choice, now_s).unwrap();
}

#[test]
fn memtable_data_bounds_the_purge() {
    let mut options = EngineOptions::new("/d", Arc::new(MemFs::new()));
    options.compaction_enabled = false;
    let engine = Engine::open(options).unwrap();
    let table = engine
        .create_table(
            T,
            TableOptions {
                gc_grace_seconds: 10,
                ..TableOptions::default()
            },
        )
        .unwrap();
    let ck = ClusteringKey::new(vec![1u8]);
    let delete = Row::new(ck.clone()).with_deletion(DeletionTime::new(20, NOW));
    table.apply(&update(delete)).unwrap();
    table.flush().unwrap();
    // Older data (ts 10) the tombstone shadows arrives late and sits in the memtable.
    let old = Row::new(ck)
        .with_liveness(LivenessInfo::new(10))
        .with_cell(Cell::live(1, 10, b"old".to_vec()));
    table.apply(&update(old)).unwrap();
    let past_gc = u64::from(NOW) + 100;
    major_now(&table, past_gc);
    assert_eq!(tombstones(&table), 1, "purged over memtable data");
    table.flush().unwrap();
    let key = PartitionKey::new(b"k".to_vec());
    let read = |t: &Table| {
        t.read_partition(&key, &Slices::all(), false, NOW, ReadLimits::default())
            .unwrap()
            .partition
            .is_some_and(|p| p.rows.iter().any(|r| r.has_live_data(NOW)))
    };
    assert!(!read(&table), "resurrected after flush");
    // Memtables empty and everything in the compaction: both go.
    major_now(&table, past_gc);
    assert_eq!(
        tombstones(&table),
        0,
        "tombstone kept with nothing to shadow"
    );
    assert!(!read(&table));
    engine.close().unwrap();
}

#[derive(Debug)]
struct FixedClock(u64);

impl super::WallClock for FixedClock {
    fn now_s(&self) -> u64 {
        self.0
    }
}

#[test]
fn levels_and_creation_times_survive_reopen() {
    let fs = Arc::new(MemFs::new());
    let open = |now: u64| {
        let mut options =
            EngineOptions::new("/d", Arc::clone(&fs) as Arc<dyn crate::fs::FileSystem>);
        options.compaction_enabled = false;
        options.clock = Arc::new(FixedClock(now));
        Engine::open(options).unwrap()
    };
    let engine = open(5_000);
    let table = engine.create_table(T, TableOptions::default()).unwrap();
    let row =
        |i: u8| Row::new(ClusteringKey::new(vec![i])).with_cell(Cell::live(1, 1, b"v".to_vec()));
    table.apply(&update(row(1))).unwrap();
    table.flush().unwrap();
    table.apply(&update(row(2))).unwrap();
    table.flush().unwrap();
    let generations: Vec<u64> = table
        .version()
        .sstables
        .iter()
        .map(|t| t.generation())
        .collect();
    // A compaction at t = 6,000 writing level 2 (as a leveled compaction would).
    let snapshot = Snapshot::of(&table.version());
    let mut choice = major_compaction(&infos(&table.state, &snapshot, 6_000), 0, None).unwrap();
    choice.output_level = 2;
    execute(&table, &snapshot, &choice, 6_000).unwrap();
    table.apply(&update(row(3))).unwrap();
    table.flush().unwrap();
    engine.close().unwrap();
    let engine = open(9_000);
    let table = engine.table(T).unwrap();
    let snapshot = Snapshot::of(&table.version());
    let mut seen: Vec<(u32, u64)> = infos(&table.state, &snapshot, 9_000)
        .iter()
        .map(|i| (i.level, i.created_at_s))
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        vec![(0, 5_000), (2, 6_000)],
        "flushed at 5,000; compacted to level 2 at 6,000"
    );
    let live: Vec<u64> = table
        .version()
        .sstables
        .iter()
        .map(|t| t.generation())
        .collect();
    assert!(generations.iter().all(|g| !live.contains(g)), "inputs gone");
    engine.close().unwrap();
}
