//! The four workloads, their sizes per scale, and the measurements of one engine.

use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::stores::{Fjall, Rocks, Sibyl, Store};

/// Workload names, in run order (the JSON keys).
pub const WORKLOADS: [&str; 4] = [
    "timeseries_ingest",
    "random_write",
    "random_read",
    "slice_read",
];

/// Bytes of every value.
const VALUE_BYTES: usize = 100;
/// Rows per slice read.
const SLICE_ROWS: usize = 100;
/// First timestamp of every series (ms since the epoch, 2023-11-14).
const TS_BASE: u64 = 1_700_000_000_000;

/// How big the run is.
#[derive(Clone, Copy, Debug)]
pub enum Scale {
    /// Under 3 minutes for all three engines on 2 cores.
    Small,
    /// The sizes.
    Full,
}

struct Sizes {
    series: u64,
    rows_per_series: u64,
    keys: u64,
    reads: u64,
    slices: u64,
}

impl Scale {
    fn sizes(self) -> Sizes {
        match self {
            Scale::Small => Sizes {
                series: 200,
                rows_per_series: 10_000,
                keys: 2_000_000,
                reads: 500_000,
                slices: 50_000,
            },
            Scale::Full => Sizes {
                series: 1_000,
                rows_per_series: 10_000,
                keys: 5_000_000,
                reads: 1_000_000,
                slices: 100_000,
            },
        }
    }

    /// The flag value.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Full => "full",
        }
    }

    /// The sizes, for the report.
    pub fn describe(self) -> String {
        let s = self.sizes();
        format!(
            "{} series x {} rows; {} keys; {} reads; {} slices of {SLICE_ROWS}; \
             {VALUE_BYTES}-byte values",
            s.series, s.rows_per_series, s.keys, s.reads, s.slices
        )
    }
}

impl FromStr for Scale {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "small" => Ok(Scale::Small),
            "full" => Ok(Scale::Full),
            other => bail!("--scale must be small or full, not {other}"),
        }
    }
}

/// SplitMix64: a bijection on u64, so distinct inputs give distinct keys.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A value half random, half repetitive (compresses to roughly 60%, as db_bench's 0.5).
fn value(seed: u64) -> [u8; VALUE_BYTES] {
    let mut v = [b'v'; VALUE_BYTES];
    let mut x = seed;
    for chunk in v[..VALUE_BYTES / 2].chunks_mut(8) {
        x = mix(x);
        let bytes = x.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    v
}

struct Timer {
    started: Instant,
    latencies_ns: Vec<u32>,
    bytes: u64,
}

impl Timer {
    fn new(ops: u64) -> Self {
        Self {
            started: Instant::now(),
            latencies_ns: Vec::with_capacity(usize::try_from(ops).unwrap_or(0)),
            bytes: 0,
        }
    }

    fn op<T>(&mut self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let t = Instant::now();
        let out = f()?;
        let ns = u32::try_from(t.elapsed().as_nanos()).unwrap_or(u32::MAX);
        self.latencies_ns.push(ns);
        Ok(out)
    }

    fn finish(mut self) -> Value {
        let secs = self.started.elapsed().as_secs_f64();
        let ops = self.latencies_ns.len();
        self.latencies_ns.sort_unstable();
        let p99 = self
            .latencies_ns
            .get(ops.saturating_mul(99) / 100)
            .copied()
            .unwrap_or(0);
        json!({
            "ops": ops,
            "seconds": secs,
            "ops_per_sec": ops as f64 / secs,
            "mb_per_sec": self.bytes as f64 / secs / 1e6,
            "p99_us": f64::from(p99) / 1000.0,
        })
    }
}

fn timeseries_ingest(store: &dyn Store, s: &Sizes) -> Result<Value> {
    let mut timer = Timer::new(s.series * s.rows_per_series);
    for t in 0..s.rows_per_series {
        for series in 0..s.series {
            let v = value(series << 32 | t);
            timer.op(|| store.ts_write(series, TS_BASE + t, &v))?;
            timer.bytes += 16 + VALUE_BYTES as u64;
        }
    }
    Ok(timer.finish())
}

fn random_write(store: &dyn Store, s: &Sizes) -> Result<Value> {
    let mut timer = Timer::new(s.keys);
    for i in 0..s.keys {
        let key = mix(i).to_be_bytes();
        let v = value(i);
        timer.op(|| store.kv_write(&key, &v))?;
        timer.bytes += 8 + VALUE_BYTES as u64;
    }
    Ok(timer.finish())
}

fn random_read(store: &dyn Store, s: &Sizes) -> Result<Value> {
    let mut timer = Timer::new(s.reads);
    let mut x = 42u64;
    for _ in 0..s.reads {
        x = mix(x);
        let key = mix(x % s.keys).to_be_bytes();
        let len = timer.op(|| store.kv_read(&key))?;
        timer.bytes += 8 + len as u64;
    }
    Ok(timer.finish())
}

fn slice_read(store: &dyn Store, s: &Sizes) -> Result<Value> {
    let mut timer = Timer::new(s.slices);
    let mut x = 7u64;
    let span = s.rows_per_series - SLICE_ROWS as u64;
    for _ in 0..s.slices {
        x = mix(x);
        let series = x % s.series;
        let from = TS_BASE + mix(x) % span;
        let rows = timer.op(|| store.ts_slice(series, from, SLICE_ROWS))?;
        if rows != SLICE_ROWS {
            bail!("slice of series {series} from {from} returned {rows} rows");
        }
        timer.bytes += (rows * (16 + VALUE_BYTES)) as u64;
    }
    Ok(timer.finish())
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Peak resident set of this process (MiB), from `/proc/self/status`.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn workloads(store: &dyn Store, scale: Scale) -> Result<serde_json::Map<String, Value>> {
    let s = scale.sizes();
    let mut out = serde_json::Map::new();
    let mut record = |name: &str, v: Value| {
        eprintln!(
            "   {name:<18} {:>12.0} ops/s",
            v["ops_per_sec"].as_f64().unwrap_or(0.0)
        );
        out.insert(name.to_owned(), v);
    };
    record("timeseries_ingest", timeseries_ingest(store, &s)?);
    record("random_write", random_write(store, &s)?);
    store.flush()?;
    record("random_read", random_read(store, &s)?);
    record("slice_read", slice_read(store, &s)?);
    Ok(out)
}

/// Runs every workload on `engine` in `dir`; the child's result.
pub fn run(engine: &str, scale: Scale, dir: &Path) -> Result<Value> {
    let results = match engine {
        "sibyl" => {
            let store = Sibyl::open(dir)?;
            let r = workloads(&store, scale)?;
            store.close()?;
            r
        }
        "rocksdb" => workloads(&Rocks::open(dir)?, scale)?,
        "fjall" => workloads(&Fjall::open(dir)?, scale)?,
        other => bail!("unknown engine {other}"),
    };
    Ok(json!({
        "engine": engine,
        "workloads": results,
        "peak_rss_mb": peak_rss_mb(),
        "disk_mb": dir_bytes(dir) as f64 / (1024.0 * 1024.0),
    }))
}
