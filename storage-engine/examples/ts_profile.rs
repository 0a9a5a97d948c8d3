//! The engine-bench time-series workloads on Sibyl alone, for profiling without
//! building RocksDB: `timeseries_ingest` (SERIES x ROWS rows, 100-byte values, series
//! interleaved), a flush, then `slice_read` (SLICES reads of 100 consecutive rows).
//!
//! `cargo run --release -p sibyl-storage --example ts_profile [-- SERIES ROWS SLICES DIR]`
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use sibyl_storage::fs::StdFs;
use sibyl_storage::model::{
    Cell, ClusteringBound, ClusteringKey, LivenessInfo, PartitionKey, PartitionUpdate, Row, Slice,
    Slices, TableId,
};
use sibyl_storage::{Engine, EngineOptions, ReadLimits, TableOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TS: TableId = TableId(1);
const TS_BASE: u64 = 1_700_000_000_000;
const SLICE_ROWS: u64 = 100;

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn value(seed: u64) -> [u8; 100] {
    let mut v = [b'v'; 100];
    let mut x = seed;
    for chunk in v[..50].chunks_mut(8) {
        x = mix(x);
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    v
}

/// CPU seconds (user + system, every thread) of this process so far.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let (series, rows, slices) = (arg(1, 200), arg(2, 10_000), arg(3, 50_000));
    let dir = std::env::args()
        .nth(4)
        .map_or_else(|| std::env::temp_dir().join("ts_profile"), Into::into);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut o = EngineOptions::new(&dir, Arc::new(StdFs));
    o.chunk_cache_bytes = 256 * 1024 * 1024;
    let engine = Engine::open(o)?;
    let table = engine.create_table(TS, TableOptions::default())?;
    let (started, cpu) = (Instant::now(), cpu_secs());
    for t in 0..rows {
        for s in 0..series {
            let ts = TS_BASE + t;
            let stamp = i64::try_from(ts)?;
            let row = Row::new(ClusteringKey::new(Bytes::copy_from_slice(
                &ts.to_be_bytes(),
            )))
            .with_liveness(LivenessInfo::new(stamp))
            .with_cell(Cell::live(
                1,
                stamp,
                Bytes::copy_from_slice(&value(s << 32 | t)),
            ));
            let key = PartitionKey::new(Bytes::copy_from_slice(&s.to_be_bytes()));
            table.apply(&PartitionUpdate::new(TS, key).with_row(row))?;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    table.flush()?;
    println!(
        "ingest {:.0} rows/s, {:.1} cpu s (with the final flush)",
        (series * rows) as f64 / secs,
        cpu_secs() - cpu
    );
    let (started, cpu) = (Instant::now(), cpu_secs());
    let mut x = 7u64;
    for _ in 0..slices {
        x = mix(x);
        let s = x % series;
        let from = TS_BASE + mix(x) % (rows - SLICE_ROWS);
        let to = from + SLICE_ROWS - 1;
        let slice = Slice::new(
            ClusteringBound::inclusive_start(Bytes::copy_from_slice(&from.to_be_bytes())),
            ClusteringBound::inclusive_end(Bytes::copy_from_slice(&to.to_be_bytes())),
        )?;
        let key = PartitionKey::new(Bytes::copy_from_slice(&s.to_be_bytes()));
        let limits = ReadLimits {
            row_limit: Some(100),
            first_pass_rows: None,
        };
        let read = table.read_partition(&key, &Slices::new(vec![slice]), false, 0, limits)?;
        anyhow::ensure!(read.partition.map_or(0, |p| p.rows.len()) == 100);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "slice {:.0} reads/s, {:.1} cpu s",
        slices as f64 / secs,
        cpu_secs() - cpu
    );
    println!("sstables {}", table.version().sstables.len());
    drop(table);
    engine.close()?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
