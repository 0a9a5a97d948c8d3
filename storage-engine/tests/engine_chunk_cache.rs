//! Goal: the shared chunk cache changes speed, never answers. Method: one data set
//! (several SSTables, partitions spanning many 16 KiB chunks) read with the cache on,
//! off and tiny must give identical results; the byte bound holds; compaction's
//! obsolete inputs leave no entries behind; a damaged chunk is still a typed error on
//! every read with the cache on.

mod engine_support;

use std::path::Path;
use std::sync::Arc;

use engine_support::*;
use sibyl_storage::fs::{FileSystem, MemFs};
use sibyl_storage::model::{ClusteringBound, Slice, Slices};
use sibyl_storage::sstable::Component;
use sibyl_storage::{Engine, ReadLimits, ReadResult, Table, TableOptions};

const PARTITIONS: u32 = 12;
const ROWS: u32 = 400;

fn value(p: u32, r: u32, round: u32) -> String {
    format!(
        "p{p}-r{r}-round{round}-{}",
        "x".repeat(usize::try_from(r % 90).expect("test setup"))
    )
}

/// Three flushed rounds of overwrites (three SSTables), engine closed.
fn build() -> Arc<MemFs> {
    let mem = Arc::new(MemFs::new());
    let fs: Arc<dyn FileSystem> = Arc::clone(&mem) as Arc<dyn FileSystem>;
    let engine = open(Path::new("/d"), &fs);
    let table = engine
        .create_table(T, TableOptions::default())
        .expect("test setup");
    for round in 0..3u32 {
        for p in 0..PARTITIONS {
            for r in (round..ROWS).step_by(usize::try_from(round + 1).expect("test setup")) {
                let ts = i64::from(round * 10 + 1);
                table
                    .apply(&write(&format!("k{p}"), r, ts, &value(p, r, round)))
                    .expect("test setup");
            }
        }
        table.flush().expect("test setup");
    }
    engine.close().expect("test setup");
    mem
}

fn open_with_cache(fs: &Arc<MemFs>, bytes: u64) -> Engine {
    let mut o = options(Path::new("/d"), Arc::clone(fs) as Arc<dyn FileSystem>);
    o.chunk_cache_bytes = bytes;
    Engine::open(o).expect("test setup")
}

fn slice(from: u32, to: u32) -> Slices {
    Slices::new(vec![
        Slice::new(
            ClusteringBound::inclusive_start(ck(from).0),
            ClusteringBound::inclusive_end(ck(to).0),
        )
        .expect("test setup"),
    ])
}

/// Every partition whole, a middle slice forward, and its last rows reversed.
fn read_all(table: &Table) -> Vec<ReadResult> {
    let mut out = Vec::new();
    for p in 0..PARTITIONS {
        let key = pk(&format!("k{p}"));
        let limited = ReadLimits {
            row_limit: Some(7),
            first_pass_rows: None,
        };
        for (slices, reversed, limits) in [
            (Slices::all(), false, ReadLimits::default()),
            (slice(100, 180), false, ReadLimits::default()),
            (slice(50, 300), true, limited),
        ] {
            out.push(
                table
                    .read_partition(&key, &slices, reversed, 0, limits)
                    .expect("test setup"),
            );
        }
    }
    out
}

#[test]
fn reads_are_identical_with_the_cache_on_off_and_tiny() {
    let fs = build();
    let mut answers = Vec::new();
    for bytes in [256 * 1024 * 1024, 0, 40_000] {
        let engine = open_with_cache(&fs, bytes);
        let table = engine.table(T).expect("test setup");
        let first = read_all(&table);
        let second = read_all(&table);
        assert_eq!(first, second, "cache {bytes}: a second pass differs");
        match engine.chunk_cache_stats() {
            None => assert_eq!(bytes, 0),
            Some(s) => {
                assert!(s.size_bytes <= bytes, "{s:?}");
                if bytes > 1_000_000 {
                    assert!(s.hits > s.misses, "a warm cache hits: {s:?}");
                }
            }
        }
        answers.push(first);
        engine.close().expect("test setup");
    }
    let rows: usize = answers[0]
        .iter()
        .filter_map(|r| r.partition.as_ref())
        .map(|p| p.rows.len())
        .sum();
    assert!(
        rows > usize::try_from(PARTITIONS * ROWS).expect("test setup"),
        "{rows}"
    );
    assert_eq!(answers[0], answers[1], "cache on vs off");
    assert_eq!(answers[1], answers[2], "off vs tiny");
}

#[test]
fn compaction_purges_the_obsolete_tables_entries() {
    let fs = build();
    let engine = open_with_cache(&fs, 64 * 1024 * 1024);
    let table = engine.table(T).expect("test setup");
    let before = read_all(&table);
    let cache = Arc::clone(engine.chunk_cache().expect("test setup"));
    let old_ids: Vec<u64> = {
        let v = table.version();
        v.sstables
            .iter()
            .map(|t| t.reader().cache_id().expect("test setup"))
            .collect()
    };
    assert_eq!(old_ids.len(), 3);
    assert!(old_ids.iter().all(|id| cache.entries_of(*id) > 0));
    table.compact().expect("test setup");
    let new_ids: Vec<u64> = {
        let v = table.version();
        v.sstables
            .iter()
            .map(|t| t.reader().cache_id().expect("test setup"))
            .collect()
    };
    assert_eq!(new_ids.len(), 1);
    assert!(!old_ids.contains(&new_ids[0]), "ids are never reused");
    for id in &old_ids {
        assert_eq!(
            cache.entries_of(*id),
            0,
            "entries of obsolete reader {id} remain"
        );
    }
    assert_eq!(read_all(&table), before, "compaction changed answers");
    assert!(cache.entries_of(new_ids[0]) > 0);
    let s = engine.chunk_cache_stats().expect("test setup");
    assert_eq!(
        s.entries,
        u64::try_from(cache.entries_of(new_ids[0])).expect("test setup")
    );
    engine.close().expect("test setup");
}

#[test]
fn a_damaged_chunk_is_an_error_on_every_read_with_the_cache_on() {
    let fs = build();
    let dir = Path::new("/d/tables").join(T.to_string());
    let data = fs
        .list(&dir)
        .expect("test setup")
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(Component::Data.name()))
        .min()
        .expect("test setup");
    let len = fs.file_len(&data).expect("test setup");
    fs.overwrite(
        &data,
        usize::try_from(len / 2).expect("test setup"),
        &[0x55; 8],
    )
    .expect("test setup");
    let engine = open_with_cache(&fs, 64 * 1024 * 1024);
    let table = engine.table(T).expect("test setup");
    for pass in 0..2 {
        let mut errors = 0;
        for p in 0..PARTITIONS {
            match table.read_partition(
                &pk(&format!("k{p}")),
                &Slices::all(),
                false,
                0,
                ReadLimits::default(),
            ) {
                Ok(r) => assert!(r.partition.is_some()),
                Err(e) => {
                    assert!(e.is_corruption(), "{e}");
                    errors += 1;
                }
            }
        }
        assert!(errors > 0, "pass {pass}: the damage went unnoticed");
    }
    engine.close().expect("test setup");
}
