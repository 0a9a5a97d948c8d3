//! Point-read throughput with the shared chunk cache off and on, same data, same run.
//!
//! `cargo run --release -p sibyl-storage --example chunk_cache_bench [-- ROWS SECONDS]`
//! writes ROWS single-row partitions (100-byte values) into one SSTable on the OS file
//! system, then reads random keys from 2 threads for SECONDS each with
//! `chunk_cache_bytes = 0` and with the default, alternating twice, and prints ops/s.
#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sibyl_storage::fs::StdFs;
use sibyl_storage::model::{
    Cell, ClusteringKey, LivenessInfo, PartitionKey, PartitionUpdate, Row, Slices, TableId,
};
use sibyl_storage::{Engine, EngineOptions, ReadLimits, TableOptions};

const T: TableId = TableId(1);
const THREADS: usize = 2;

fn key(i: u64) -> PartitionKey {
    PartitionKey::new(Bytes::from(format!("key{i:010}")))
}

fn options(dir: &Path, cache_bytes: u64) -> EngineOptions {
    let mut o = EngineOptions::new(dir, Arc::new(StdFs));
    o.compaction_enabled = false;
    o.chunk_cache_bytes = cache_bytes;
    o
}

fn load(dir: &Path, rows: u64) -> anyhow::Result<()> {
    let engine = Engine::open(options(dir, 0))?;
    let table = engine.create_table(T, TableOptions::default())?;
    for i in 0..rows {
        let value = Bytes::from(format!("{i:0100}"));
        let row = Row::new(ClusteringKey::new(Bytes::new()))
            .with_liveness(LivenessInfo::new(1))
            .with_cell(Cell::live(1, 1, value));
        table.apply(&PartitionUpdate::new(T, key(i)).with_row(row))?;
    }
    table.flush()?;
    table.compact()?;
    engine.close()?;
    Ok(())
}

/// Random point reads from `THREADS` threads for `secs`; returns ops/s.
fn read_for(engine: &Engine, rows: u64, secs: u64) -> anyhow::Result<f64> {
    let table = engine.table(T)?;
    let ops = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let table = &table;
                s.spawn(move || -> anyhow::Result<u64> {
                    let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ (t as u64 + 1);
                    let end = Instant::now() + Duration::from_secs(secs);
                    let mut n = 0u64;
                    while Instant::now() < end {
                        for _ in 0..256 {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            let read = table.read_partition(
                                &key(x % rows),
                                &Slices::all(),
                                false,
                                0,
                                ReadLimits::default(),
                            )?;
                            anyhow::ensure!(read.partition.is_some(), "a key is missing");
                            n += 1;
                        }
                    }
                    Ok(n)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow::anyhow!("reader panicked"))?)
            .sum::<anyhow::Result<u64>>()
    })?;
    #[expect(clippy::cast_precision_loss, reason = "a rate for display")]
    let rate = ops as f64 / secs as f64;
    Ok(rate)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().map_or(Ok(500_000), |a| a.parse())?;
    let secs: u64 = args.next().map_or(Ok(5), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    load(dir.path(), rows)?;
    println!(
        "loaded {rows} partitions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let default = sibyl_storage::engine::CHUNK_CACHE_BYTES_DEFAULT;
    for round in 1..=2 {
        for cache in [0, default] {
            let engine = Engine::open(options(dir.path(), cache))?;
            read_for(&engine, rows, 1)?; // warm the page cache (and the chunk cache)
            let rate = read_for(&engine, rows, secs)?;
            let stats = engine.chunk_cache_stats();
            let hit = stats.map_or(0.0, |s| s.hit_ratio() * 100.0);
            let held = stats.map_or(0, |s| s.size_bytes / (1024 * 1024));
            println!(
                "round {round}: cache {:>3} MiB: {rate:>10.0} point reads/s \
                 ({THREADS} threads; hit ratio {hit:.1}%, {held} MiB held)",
                cache / (1024 * 1024)
            );
            engine.close()?;
        }
    }
    Ok(())
}
