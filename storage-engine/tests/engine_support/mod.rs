//! Helpers shared by the engine facade tests: opening engines on `MemFs`
//! or real directories, building updates, reading rows back.

#![allow(dead_code, reason = "each test file uses a subset of the helpers")]

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use sibyl_storage::config::CommitlogSync;
use sibyl_storage::fs::FileSystem;
use sibyl_storage::model::{
    Cell, ClusteringKey, LivenessInfo, Partition, PartitionKey, PartitionUpdate, Row, Slices,
    TableId,
};
use sibyl_storage::{Engine, EngineOptions, ReadLimits, Table};

/// The table every test uses.
pub const T: TableId = TableId(42);

/// Engine options with batch sync and small segments. Background
/// compaction is off: these tests write with synthetic times (`now_s` near
/// 1000) that the engine's wall clock would see as long expired; the
/// compaction tests turn it on with a clock that agrees with their writes.
pub fn options(dir: &Path, fs: Arc<dyn FileSystem>) -> EngineOptions {
    let mut o = EngineOptions::new(dir, fs);
    o.commitlog_sync = CommitlogSync::Batch;
    o.commitlog_segment_size_bytes = 64 * 1024;
    o.compaction_enabled = false;
    o
}

/// Opens an engine.
pub fn open(dir: &Path, fs: &Arc<dyn FileSystem>) -> Engine {
    Engine::open(options(dir, Arc::clone(fs))).expect("engine opens")
}

/// A partition key from a string.
pub fn pk(name: &str) -> PartitionKey {
    PartitionKey::new(Bytes::copy_from_slice(name.as_bytes()))
}

/// A clustering key from a number.
pub fn ck(n: u32) -> ClusteringKey {
    ClusteringKey::new(Bytes::copy_from_slice(&n.to_be_bytes()))
}

/// An update writing `value` into column 1 of row `row` at `ts`.
pub fn write(key: &str, row: u32, ts: i64, value: &str) -> PartitionUpdate {
    PartitionUpdate::new(T, pk(key)).with_row(
        Row::new(ck(row))
            .with_liveness(LivenessInfo::new(ts))
            .with_cell(Cell::live(1, ts, Bytes::copy_from_slice(value.as_bytes()))),
    )
}

/// Reads a whole partition at `now_s`.
pub fn read(table: &Table, key: &str, now_s: u32) -> Option<Partition> {
    table
        .read_partition(
            &pk(key),
            &Slices::all(),
            false,
            now_s,
            ReadLimits::default(),
        )
        .expect("read succeeds")
        .partition
}

/// The live value of column 1 of every row with live data, in order.
pub fn live_values(table: &Table, key: &str, now_s: u32) -> Vec<(u32, String)> {
    let Some(p) = read(table, key, now_s) else {
        return Vec::new();
    };
    p.rows
        .iter()
        .filter(|r| r.has_live_data(now_s))
        .map(|r| {
            let n = u32::from_be_bytes(
                r.clustering
                    .as_bytes()
                    .try_into()
                    .expect("4-byte clustering"),
            );
            let v = r
                .cell(1, None)
                .filter(|c| c.is_live(now_s))
                .map(|c| String::from_utf8(c.value().to_vec()).expect("utf-8 value"))
                .unwrap_or_default();
            (n, v)
        })
        .collect()
}
