//! `sibyl-load load`: bulk loading of CSV / JSON lines into a table.
//!
//! Flow: [`input`] reads lines, [`pipeline`] parses chunks on all cores,
//! [`send`] groups rows by partition into UNLOGGED batches and sends them
//! with bounded concurrency, [`commit`] accounts for each chunk in input order
//! (bad file, checkpoint, `--max-errors`).
//!
//! Invariant (nothing lost): every record read ends as exactly one of loaded,
//! rejected (in the bad file with its line number and reason) or not
//! attempted (the run stopped first); [`LoadSummary::reconciles`] checks
//! `read = loaded + rejected + not_attempted`.

pub mod checkpoint;
pub mod commit;
pub mod input;
pub mod pipeline;
pub mod row;
pub mod schema;
pub mod send;
pub mod unload;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use sibyl_protocol::client::QueryOptions;
use sibyl_protocol::types::Consistency;
use tokio::sync::{Semaphore, mpsc};

use crate::common;
use checkpoint::Checkpoint;
use commit::{Committer, Progress};
use row::{Format, RowParser, TimestampFormat};
use schema::{Mapping, TableSchema};

/// When to give up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxErrors {
    /// More than this many rejected records.
    Count(u64),
    /// More than this percentage of handled records.
    Percent(f64),
}

impl MaxErrors {
    /// Parses `N` or `P%` (`-1` is unlimited).
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        if let Some(p) = t.strip_suffix('%') {
            return Ok(MaxErrors::Percent(p.trim().parse()?));
        }
        let n: i64 = t.parse()?;
        Ok(MaxErrors::Count(u64::try_from(n).unwrap_or(u64::MAX)))
    }

    /// True when `rejected` of `handled` is past the limit.
    pub fn exceeded(self, rejected: u64, handled: u64) -> bool {
        match self {
            MaxErrors::Count(n) => rejected > n,
            MaxErrors::Percent(p) => handled > 0 && rejected as f64 * 100.0 > p * handled as f64,
        }
    }
}

/// Everything `load` needs.
#[derive(Clone)]
pub struct LoadConfig {
    /// `host[:port]` list.
    pub hosts: Vec<String>,
    /// Target keyspace.
    pub keyspace: String,
    /// Target table.
    pub table: String,
    /// Input path or `-`.
    pub file: String,
    /// Input format.
    pub format: Format,
    /// The first line is a header.
    pub header: bool,
    /// CSV delimiter.
    pub delimiter: u8,
    /// `--mapping`.
    pub mapping: Option<String>,
    /// `--schema`, else read from `system_schema`.
    pub schema: Option<String>,
    /// Timestamp field format.
    pub timestamps: TimestampFormat,
    /// Text meaning null.
    pub null_string: String,
    /// Consistency.
    pub consistency: Consistency,
    /// Requests in flight.
    pub concurrency: usize,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Rows per second.
    pub rate: Option<f64>,
    /// TTL in seconds.
    pub ttl: Option<u32>,
    /// Stop past this.
    pub max_errors: MaxErrors,
    /// Rejected records go here.
    pub bad_file: Option<PathBuf>,
    /// Progress is saved here.
    pub checkpoint: Option<PathBuf>,
    /// Continue from the checkpoint.
    pub resume: bool,
    /// Largest serialized value.
    pub max_value_bytes: usize,
    /// Records per chunk.
    pub chunk_rows: usize,
    /// Parser threads.
    pub threads: usize,
    /// Request timeout.
    pub timeout: Duration,
    /// Where plain progress lines go (every 5 s when stderr is not a
    /// terminal; a terminal gets an indicatif bar); `None`: no progress.
    pub progress: Option<commit::ProgressSink>,
}

/// The outcome of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    /// Records read in this run (after the resume skip).
    pub read: u64,
    /// Loaded in this run.
    pub loaded: u64,
    /// Rejected in this run.
    pub rejected: u64,
    /// Read but not attempted (the run stopped).
    pub not_attempted: u64,
    /// Records skipped because the checkpoint covered them.
    pub skipped: u64,
    /// Loaded including earlier runs (from the checkpoint).
    pub total_loaded: u64,
    /// Rejected including earlier runs.
    pub total_rejected: u64,
    /// Seconds.
    pub seconds: f64,
    /// Loaded rows per second.
    pub rows_per_sec: f64,
    /// Input MB (decompressed) per second.
    pub mb_per_sec: f64,
    /// `--max-errors` was exceeded.
    pub max_errors_exceeded: bool,
}

impl LoadSummary {
    /// `read = loaded + rejected + not_attempted`.
    pub fn reconciles(&self) -> bool {
        self.read == self.loaded + self.rejected + self.not_attempted
    }
}

fn resume_point(config: &LoadConfig) -> Result<Checkpoint> {
    match (&config.checkpoint, config.resume) {
        (Some(path), true) if path.exists() => Checkpoint::load(path),
        (None, true) => bail!("--resume needs --checkpoint"),
        _ => Ok(Checkpoint::default()),
    }
}

/// Runs a load.
///
/// # Errors
/// Setup failures (connection, schema, input, prepare); rejected records are
/// not errors.
pub async fn run(config: LoadConfig) -> Result<LoadSummary> {
    let started = Instant::now();
    let sessions = common::connect_all(&config.hosts, config.timeout).await?;
    let first = sessions
        .first()
        .ok_or_else(|| crate::error::ToolError::Invalid("no hosts".into()))?;
    let schema = match &config.schema {
        Some(text) => TableSchema::parse(text)?,
        None => TableSchema::fetch(first, &config.keyspace, &config.table).await?,
    };
    let (reader, size) = input::open(&config.file)?;
    let mut lines = input::Lines::new(
        reader,
        config.max_value_bytes.saturating_mul(4).max(1 << 20),
    );
    let header = read_header(&config, &mut lines)?;
    let mapping = Mapping::new(&schema, config.mapping.as_deref(), header.as_deref())?;
    let types: Vec<_> = mapping.targets.iter().map(|(_, c)| c.ty.clone()).collect();
    let insert_cql = mapping.insert(&config.keyspace, &config.table, config.ttl);
    let insert = common::prepare_typed(first, &insert_cql, &types).await?;
    let parser = Arc::new(RowParser {
        format: config.format,
        delimiter: config.delimiter,
        partition: mapping.partition_positions(&schema),
        mapping,
        null_string: config.null_string.clone(),
        timestamps: config.timestamps.clone(),
        max_value_bytes: config.max_value_bytes,
    });
    let resume = resume_point(&config)?;
    let router = crate::ring::TokenRouter::discover(&sessions).await;
    let sender = send::Sender {
        router,
        sessions,
        insert,
        options: QueryOptions {
            consistency: config.consistency,
            ..QueryOptions::default()
        },
        batch_rows: config.batch_rows.max(1),
        permits: Arc::new(Semaphore::new(config.concurrency.max(1))),
        rate: config.rate,
        attempts: 5,
        backoff: Duration::from_millis(50),
    };
    let summary = drive(&config, lines, parser, resume, sender, size).await?;
    Ok(LoadSummary {
        seconds: started.elapsed().as_secs_f64(),
        ..summary
    })
}

fn read_header(config: &LoadConfig, lines: &mut input::Lines) -> Result<Option<Vec<String>>> {
    if !config.header || config.format != Format::Csv {
        return Ok(None);
    }
    let Some(record) = lines.next_record()? else {
        return Ok(None);
    };
    let fields = row::split_csv(&record.text, config.delimiter)
        .map_err(|e| crate::error::ToolError::Invalid(format!("header: {e}")))?;
    Ok(Some(
        fields.into_iter().map(Option::unwrap_or_default).collect(),
    ))
}

async fn drive(
    config: &LoadConfig,
    lines: input::Lines,
    parser: Arc<RowParser>,
    resume: Checkpoint,
    sender: send::Sender,
    size: Option<u64>,
) -> Result<LoadSummary> {
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(pipeline::ReadStats::default());
    let mut pipe = pipeline::start(
        lines,
        parser,
        resume.records_done,
        config.chunk_rows.max(1),
        config.threads,
        Arc::clone(&stop),
        Arc::clone(&stats),
    );
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let committer = Committer::open(config, resume, Arc::clone(&stop))?;
    let progress = Progress::new(Arc::clone(&committer.counters), Arc::clone(&stats), size);
    let reporter = config.progress.clone().map(|sink| progress.spawn(sink));
    let commit_task = tokio::spawn(committer.run(done_rx));
    let mut pacer = send::Pacer::new();
    let mut not_attempted = 0;
    while let Some(chunk) = pipe.chunks.recv().await {
        if stop.load(Ordering::SeqCst) {
            not_attempted += chunk.records;
            continue;
        }
        sender.dispatch(chunk, &mut pacer, &done_tx).await;
    }
    drop(done_tx);
    let all = u32::try_from(config.concurrency.max(1)).unwrap_or(u32::MAX);
    let _ = sender.permits.acquire_many(all).await;
    let outcome = commit_task.await??;
    if let Some(r) = reporter {
        r.abort();
    }
    progress.finish();
    match pipe.reader.join() {
        Ok(result) => result?,
        Err(_) => bail!("the reader thread panicked"),
    }
    for p in pipe.parsers.drain(..) {
        let _ = p.join();
    }
    let read = stats.records.load(Ordering::SeqCst);
    let secs = outcome.started.elapsed().as_secs_f64().max(1e-9);
    Ok(LoadSummary {
        read,
        loaded: outcome.loaded,
        rejected: outcome.rejected,
        not_attempted,
        skipped: stats.skipped.load(Ordering::SeqCst),
        total_loaded: outcome.total_loaded,
        total_rejected: outcome.total_rejected,
        seconds: secs,
        rows_per_sec: outcome.loaded as f64 / secs,
        mb_per_sec: stats.bytes.load(Ordering::SeqCst) as f64 / 1e6 / secs,
        max_errors_exceeded: outcome.exceeded,
    })
}

#[cfg(test)]
mod row_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_errors_forms() {
        assert_eq!(MaxErrors::parse("10").unwrap(), MaxErrors::Count(10));
        assert!(MaxErrors::Count(10).exceeded(11, 100));
        assert!(!MaxErrors::Count(10).exceeded(10, 100));
        let p = MaxErrors::parse("5%").unwrap();
        assert!(p.exceeded(6, 100) && !p.exceeded(5, 100));
        assert!(MaxErrors::parse("x").is_err());
    }
}
