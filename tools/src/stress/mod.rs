//! `sibyl-stress` workloads: schema setup, concurrent workers, fixed-rate
//! scheduling and the per-interval / final report.
//!
//! Invariants: with `--rate`, operation `i` is due at `start + i / rate` and
//! its latency is measured from that intended time (coordinated omission is
//! not hidden when the server stalls); without a rate, from the actual send.
//! Operations finished during the warmup are not recorded and do not count
//! against `--ops`. Data is generated from `--seed` and the worker number, so
//! runs are reproducible.

pub mod workload;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::Result;
use sibyl_protocol::client::Session;
use sibyl_protocol::types::Consistency;

use crate::common::Rng;
use crate::histo::{Latency, Recorder, new_histogram};
use crate::report::{IntervalLine, RunReport};
pub use workload::{Statements, Workload};

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct StressConfig {
    /// What to run.
    pub workload: Workload,
    /// Mixed workloads: reads and writes per `read + write` operations.
    pub ratio: (u32, u32),
    /// Stop after this many operations (after warmup).
    pub ops: Option<u64>,
    /// Stop after this long (after warmup).
    pub duration: Option<Duration>,
    /// Operations in flight.
    pub concurrency: usize,
    /// Fixed rate in operations per second.
    pub rate: Option<f64>,
    /// Consistency of every operation.
    pub consistency: Consistency,
    /// Replication factor of the keyspace it creates.
    pub rf: u32,
    /// Distinct partition keys.
    pub partitions: u64,
    /// Bytes per generated value.
    pub value_size: usize,
    /// Unrecorded time before measuring.
    pub warmup: Duration,
    /// Data seed.
    pub seed: u64,
    /// Keyspace to create and use.
    pub keyspace: String,
    /// Time between interval lines.
    pub interval: Duration,
}

struct Shared {
    config: StressConfig,
    statements: Statements,
    sessions: Vec<Session>,
    router: crate::ring::TokenRouter,
    /// Operations started since the beginning (warmup included).
    issued: AtomicU64,
    /// `issued` when measuring began.
    base: AtomicU64,
    stop: AtomicBool,
    recording: AtomicBool,
    start: Instant,
}

impl Shared {
    fn budget_spent(&self, n: u64) -> bool {
        self.recording.load(Ordering::SeqCst)
            && self
                .config
                .ops
                .is_some_and(|max| n.saturating_sub(self.base.load(Ordering::SeqCst)) >= max)
    }
}

/// Creates the schema, runs the workload and returns the report. Interval
/// lines go to `on_interval` as they happen.
///
/// # Errors
/// Schema creation or preparing fails.
pub async fn run(
    config: StressConfig,
    sessions: Vec<Session>,
    mut on_interval: impl FnMut(&IntervalLine),
) -> Result<RunReport> {
    let first = sessions
        .first()
        .ok_or_else(|| crate::error::ToolError::Invalid("no session".into()))?;
    let statements = workload::setup(first, &config).await?;
    let router = crate::ring::TokenRouter::discover(&sessions).await;
    let recorders: Vec<Arc<Recorder>> = (0..config.concurrency.max(1))
        .map(|_| Arc::new(Recorder::default()))
        .collect();
    let shared = Arc::new(Shared {
        config: config.clone(),
        statements,
        sessions,
        router,
        issued: AtomicU64::new(0),
        base: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        recording: AtomicBool::new(config.warmup.is_zero()),
        start: Instant::now(),
    });
    let mut tasks = Vec::new();
    for (i, rec) in recorders.iter().enumerate() {
        let (shared, rec) = (Arc::clone(&shared), Arc::clone(rec));
        tasks.push(tokio::spawn(worker(shared, rec, i)));
    }
    let mut lines = monitor(&shared, &recorders, &mut on_interval).await;
    shared.stop.store(true, Ordering::SeqCst);
    for t in tasks {
        let _ = t.await;
    }
    // Operations that finished after the last line are counted in it.
    let mut late = new_histogram();
    let late_errors: u64 = recorders.iter().map(|r| r.drain_interval(&mut late)).sum();
    let previous_t = lines.iter().rev().nth(1).map_or(0.0, |l| l.t);
    if let Some(last) = lines.last_mut() {
        last.ops += late.len();
        last.errors += late_errors;
        last.ops_per_sec = last.ops as f64 / (last.t - previous_t).max(1e-9);
    }
    Ok(finish(&shared, &recorders, lines))
}

async fn monitor(
    shared: &Shared,
    recorders: &[Arc<Recorder>],
    on_interval: &mut impl FnMut(&IntervalLine),
) -> Vec<IntervalLine> {
    let config = &shared.config;
    if !config.warmup.is_zero() {
        tokio::time::sleep(config.warmup).await;
        recorders.iter().for_each(|r| r.reset());
        shared
            .base
            .store(shared.issued.load(Ordering::SeqCst), Ordering::SeqCst);
        shared.recording.store(true, Ordering::SeqCst);
    }
    let measured = Instant::now();
    let mut lines = Vec::new();
    let mut last = measured;
    loop {
        let done = wait_tick(shared, measured, config.interval).await;
        let mut h = new_histogram();
        let errors: u64 = recorders.iter().map(|r| r.drain_interval(&mut h)).sum();
        let now = Instant::now();
        let secs = now.duration_since(last).as_secs_f64().max(1e-9);
        last = now;
        let line = IntervalLine {
            t: now.duration_since(measured).as_secs_f64(),
            ops: h.len(),
            ops_per_sec: h.len() as f64 / secs,
            errors,
            latency_ms: Latency::of(&h),
        };
        on_interval(&line);
        lines.push(line);
        if done {
            return lines;
        }
    }
}

/// Sleeps one interval or until the run ends; true when it has ended (for
/// `--ops`, once every started operation has finished).
async fn wait_tick(shared: &Shared, measured: Instant, interval: Duration) -> bool {
    let tick = Instant::now() + interval;
    loop {
        let ops_done = shared.budget_spent(shared.issued.load(Ordering::SeqCst));
        let time_done = shared
            .config
            .duration
            .is_some_and(|d| measured.elapsed() >= d);
        if time_done {
            shared.stop.store(true, Ordering::SeqCst);
            return true;
        }
        if ops_done && shared.config.ops.is_some() {
            shared.stop.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            return true;
        }
        if Instant::now() >= tick {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10).min(interval)).await;
    }
}

async fn worker(shared: Arc<Shared>, rec: Arc<Recorder>, index: usize) {
    let mut rng = Rng::new(shared.config.seed ^ (index as u64).wrapping_mul(0x9e37_79b9));
    let mut sequence = 0u64;
    let every = shared.config.rate.map(|r| 1.0 / r.max(1e-9));
    while !shared.stop.load(Ordering::Relaxed) {
        let n = shared.issued.fetch_add(1, Ordering::SeqCst);
        if shared.budget_spent(n) {
            break;
        }
        let due = match every {
            Some(every) => {
                let at = shared.start + Duration::from_secs_f64(every * n as f64);
                tokio::time::sleep_until(at.into()).await;
                at
            }
            None => Instant::now(),
        };
        let recording = shared.recording.load(Ordering::Relaxed);
        let result = workload::one_op(
            &shared.statements,
            &shared.config,
            (&shared.sessions, &shared.router),
            &mut rng,
            sequence,
        )
        .await;
        sequence += 1;
        if recording {
            let us = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX);
            rec.record(us, result.is_err());
        }
        if let Err(e) = result {
            tracing::debug!(error = %e, "operation failed");
        }
    }
}

fn finish(shared: &Shared, recorders: &[Arc<Recorder>], lines: Vec<IntervalLine>) -> RunReport {
    let mut total = new_histogram();
    let errors: u64 = recorders.iter().map(|r| r.merge_total(&mut total)).sum();
    let elapsed: f64 = lines.last().map_or(0.0, |l| l.t).max(1e-9);
    RunReport {
        label: String::new(),
        workload: shared.config.workload.name().to_owned(),
        command: String::new(),
        ops: total.len(),
        errors,
        duration_s: elapsed,
        ops_per_sec: total.len() as f64 / elapsed,
        concurrency: shared.config.concurrency,
        latency_ms: Latency::of(&total),
        intervals: lines,
    }
}
