//! Goal: a clustering-restricted read skips SSTables whose rows lie outside its slices
//! only when they can contribute nothing else. Method: an SSTable holding a static row,
//! and another holding a partition deletion, both with rows outside the slice: the read
//! still returns the static row and still applies the deletion; tables written without
//! either are skipped (the chunk counters of their readers do not move). Also: a
//! table's chunk length (`chunk_length_in_kb`) reaches its SSTables and survives reopen.

mod engine_support;

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use engine_support::*;
use sibyl_storage::fs::{FileSystem, MemFs};
use sibyl_storage::model::{
    Cell, ClusteringBound, ClusteringKey, DeletionTime, PartitionUpdate, Row, Slice, Slices,
};
use sibyl_storage::{ReadLimits, Table, TableOptions};

fn slice(from: u32, to: u32) -> Slices {
    Slices::new(vec![
        Slice::new(
            ClusteringBound::inclusive_start(ck(from).0),
            ClusteringBound::inclusive_end(ck(to).0),
        )
        .expect("test setup"),
    ])
}

fn read_slice(table: &Table, key: &str) -> Option<sibyl_storage::model::Partition> {
    table
        .read_partition(&pk(key), &slice(100, 110), false, 0, ReadLimits::default())
        .expect("test setup")
        .partition
}

fn chunks_read(table: &Table) -> Vec<u64> {
    let v = table.version();
    v.sstables
        .iter()
        .map(|t| t.reader().chunks_read())
        .collect()
}

#[test]
fn static_rows_and_partition_deletions_outside_the_slice_still_count() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let mut o = options(Path::new("/d"), Arc::clone(&fs));
    o.chunk_cache_bytes = 0; // count every decompression
    let engine = sibyl_storage::Engine::open(o).expect("test setup");
    let table = engine
        .create_table(T, TableOptions::default())
        .expect("test setup");
    // Table 1: rows 100..110 of "s" and "d".
    for r in 100..110 {
        table.apply(&write("s", r, 10, "in")).expect("test setup");
        table.apply(&write("d", r, 10, "in")).expect("test setup");
    }
    table.flush().expect("test setup");
    // Table 2: only rows far outside the slice.
    for r in 1..5 {
        table.apply(&write("s", r, 20, "out")).expect("test setup");
        table.apply(&write("d", r, 20, "out")).expect("test setup");
    }
    table.flush().expect("test setup");
    let before = chunks_read(&table);
    let s = read_slice(&table, "s").expect("rows");
    assert_eq!(s.rows.len(), 10);
    let after = chunks_read(&table);
    assert_eq!(
        before[0], after[0],
        "the newest table (rows 1..5 only) was read"
    );
    // Table 3: a static row for "s" and a partition deletion for "d", rows outside.
    let mut with_static = write("s", 2, 30, "out");
    with_static.static_row = Some(Row::new(ClusteringKey::EMPTY).with_cell(Cell::live(
        9,
        30,
        Bytes::from_static(b"st"),
    )));
    table.apply(&with_static).expect("test setup");
    let deletion = PartitionUpdate::new(T, pk("d"))
        .with_partition_deletion(DeletionTime::new(25, 100))
        .with_row(write("d", 3, 30, "out").rows[0].clone());
    table.apply(&deletion).expect("test setup");
    table.flush().expect("test setup");
    let s = read_slice(&table, "s").expect("rows");
    assert_eq!(s.rows.len(), 10);
    let st = s.static_row.expect("the static row from the third table");
    assert_eq!(st.cells[0].value(), &b"st"[..]);
    let d = read_slice(&table, "d");
    let live = d.map_or(0, |p| p.rows.iter().filter(|r| r.has_live_data(0)).count());
    assert_eq!(
        live, 0,
        "the partition deletion (ts 25) shadows rows at ts 10"
    );
    engine.close().expect("test setup");
}

#[test]
fn chunk_length_is_per_table_and_survives_reopen() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let engine = open(Path::new("/d"), &fs);
    let bad = TableOptions {
        chunk_bytes: 3000,
        ..TableOptions::default()
    };
    assert!(engine.create_table(T, bad).is_err(), "not a power of two");
    let options = TableOptions {
        chunk_bytes: 4096,
        ..TableOptions::default()
    };
    let table = engine.create_table(T, options).expect("test setup");
    for r in 0..200 {
        table.apply(&write("a", r, 1, "value")).expect("test setup");
    }
    table.flush().expect("test setup");
    let chunk = |t: &Table| t.version().sstables[0].reader().chunk_bytes();
    assert_eq!(chunk(&table), 4096);
    engine.close().expect("test setup");
    let engine = open(Path::new("/d"), &fs);
    let table = engine.table(T).expect("test setup");
    assert_eq!(table.options().chunk_bytes, 4096, "the manifest kept it");
    table.apply(&write("b", 1, 2, "value")).expect("test setup");
    table.flush().expect("test setup");
    assert_eq!(chunk(&table), 4096);
    assert_eq!(live_values(&table, "a", 0).len(), 200);
}
