//! Accounting of finished chunks in input order: bad-file lines, checkpoints,
//! the `--max-errors` stop, and the progress display.
//!
//! Invariants: chunks are applied in sequence order, so the checkpoint always
//! covers a prefix of the input; the bad file is flushed before the checkpoint
//! that covers its lines is written; chunks finished after a gap (a stopped
//! run) are counted and their bad lines written at the end, beyond the
//! checkpoint's `bad_file_bytes` (a resumed run truncates them and redoes
//! those chunks).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Context, Result};
use tokio::sync::mpsc;

use super::checkpoint::Checkpoint;
use super::pipeline::ReadStats;
use super::send::ChunkDone;
use super::{LoadConfig, MaxErrors};

/// Live counters for progress.
#[derive(Debug, Default)]
pub struct Counters {
    /// Rows loaded in this run.
    pub loaded: AtomicU64,
    /// Records rejected in this run.
    pub rejected: AtomicU64,
}

/// What the committer ends with.
#[derive(Debug, Clone)]
pub struct CommitOutcome {
    /// Loaded in this run.
    pub loaded: u64,
    /// Rejected in this run.
    pub rejected: u64,
    /// Including earlier runs.
    pub total_loaded: u64,
    /// Including earlier runs.
    pub total_rejected: u64,
    /// Past `--max-errors`.
    pub exceeded: bool,
    /// When it started.
    pub started: Instant,
}

/// Applies finished chunks in order.
pub struct Committer {
    /// Live counters.
    pub counters: Arc<Counters>,
    bad: Option<(BufWriter<File>, u64)>,
    checkpoint_path: Option<PathBuf>,
    checkpoint: Checkpoint,
    max_errors: MaxErrors,
    stop: Arc<AtomicBool>,
    pending: BTreeMap<u64, ChunkDone>,
    next: u64,
    exceeded: bool,
    last_save: Instant,
}

impl Committer {
    /// Opens the bad file (truncated to the checkpoint's length when resuming).
    ///
    /// # Errors
    /// The bad file cannot be opened.
    pub fn open(config: &LoadConfig, resume: Checkpoint, stop: Arc<AtomicBool>) -> Result<Self> {
        let bad = match &config.bad_file {
            Some(path) => {
                let file = OpenOptions::new()
                    .create(true)
                    .write(true)
                    .truncate(false)
                    .open(path)
                    .with_context(|| format!("opening bad file {}", path.display()))?;
                let keep = if config.resume {
                    resume.bad_file_bytes
                } else {
                    0
                };
                file.set_len(keep)?;
                let mut w = BufWriter::new(file);
                std::io::Seek::seek(&mut w, std::io::SeekFrom::Start(keep))?;
                Some((w, keep))
            }
            None => None,
        };
        Ok(Committer {
            counters: Arc::new(Counters::default()),
            bad,
            checkpoint_path: config.checkpoint.clone(),
            checkpoint: resume,
            max_errors: config.max_errors,
            stop,
            pending: BTreeMap::new(),
            next: 0,
            exceeded: false,
            last_save: Instant::now(),
        })
    }

    /// Consumes chunk outcomes until the channel closes.
    ///
    /// # Errors
    /// Writing the bad file or the checkpoint fails.
    pub async fn run(
        mut self,
        mut done: mpsc::UnboundedReceiver<ChunkDone>,
    ) -> Result<CommitOutcome> {
        let started = Instant::now();
        let base = self.checkpoint;
        while let Some(chunk) = done.recv().await {
            self.counters
                .loaded
                .fetch_add(chunk.loaded, Ordering::SeqCst);
            let rejected = chunk.rejected.len() as u64;
            self.counters.rejected.fetch_add(rejected, Ordering::SeqCst);
            self.pending.insert(chunk.seq, chunk);
            self.apply_ready()?;
            let loaded = self.counters.loaded.load(Ordering::SeqCst) + base.loaded;
            let rejected = self.counters.rejected.load(Ordering::SeqCst) + base.rejected;
            if self.max_errors.exceeded(rejected, loaded + rejected) && !self.exceeded {
                self.exceeded = true;
                self.stop.store(true, Ordering::SeqCst);
            }
        }
        self.save()?;
        let rest: Vec<ChunkDone> = std::mem::take(&mut self.pending).into_values().collect();
        for chunk in &rest {
            self.write_bad(chunk)?;
        }
        self.flush_bad()?;
        let loaded = self.counters.loaded.load(Ordering::SeqCst);
        let rejected = self.counters.rejected.load(Ordering::SeqCst);
        Ok(CommitOutcome {
            loaded,
            rejected,
            total_loaded: base.loaded + loaded,
            total_rejected: base.rejected + rejected,
            exceeded: self.exceeded,
            started,
        })
    }

    fn apply_ready(&mut self) -> Result<()> {
        let mut applied = false;
        while let Some(chunk) = self.pending.remove(&self.next) {
            self.write_bad(&chunk)?;
            self.checkpoint.records_done += chunk.records;
            self.checkpoint.loaded += chunk.loaded;
            self.checkpoint.rejected += chunk.rejected.len() as u64;
            self.next += 1;
            applied = true;
        }
        if applied && self.last_save.elapsed() >= Duration::from_millis(100) {
            self.save()?;
        }
        Ok(())
    }

    fn write_bad(&mut self, chunk: &ChunkDone) -> Result<()> {
        let Some((w, len)) = &mut self.bad else {
            return Ok(());
        };
        for r in &chunk.rejected {
            let entry = format!(
                "# line {}: {}\n{}\n",
                r.line,
                r.reason.replace('\n', " "),
                r.text
            );
            w.write_all(entry.as_bytes())?;
            *len += entry.len() as u64;
        }
        Ok(())
    }

    fn flush_bad(&mut self) -> Result<()> {
        if let Some((w, _)) = &mut self.bad {
            w.flush()?;
            w.get_ref().sync_data()?;
        }
        Ok(())
    }

    fn save(&mut self) -> Result<()> {
        self.flush_bad()?;
        self.checkpoint.bad_file_bytes = self.bad.as_ref().map_or(0, |(_, len)| *len);
        if let Some(path) = &self.checkpoint_path {
            self.checkpoint.save(path)?;
        }
        self.last_save = Instant::now();
        Ok(())
    }
}

/// Receives plain progress lines.
pub type ProgressSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Progress on stderr: an indicatif bar on a terminal, plain lines otherwise.
pub struct Progress {
    counters: Arc<Counters>,
    stats: Arc<ReadStats>,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
}

impl Progress {
    /// Progress over `counters`; `size` (bytes) gives a bar with an ETA.
    pub fn new(counters: Arc<Counters>, stats: Arc<ReadStats>, size: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = size.map_or_else(indicatif::ProgressBar::new_spinner, indicatif::ProgressBar::new);
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            counters,
            stats,
            bar,
            started: Instant::now(),
        }
    }

    fn line(&self) -> String {
        let loaded = self.counters.loaded.load(Ordering::Relaxed);
        let rejected = self.counters.rejected.load(Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let mb = self.stats.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        format!(
            "loaded {loaded} rejected {rejected} | {:.0} rows/s {:.1} MB/s",
            loaded as f64 / secs,
            mb / secs
        )
    }

    /// Starts the periodic display (the bar, or lines to `sink`).
    pub fn spawn(&self, sink: ProgressSink) -> tokio::task::JoinHandle<()> {
        let me = Progress {
            counters: Arc::clone(&self.counters),
            stats: Arc::clone(&self.stats),
            bar: self.bar.clone(),
            started: self.started,
        };
        tokio::spawn(async move {
            let every = if me.bar.is_some() { 200 } else { 5000 };
            loop {
                tokio::time::sleep(Duration::from_millis(every)).await;
                match &me.bar {
                    Some(bar) => {
                        bar.set_position(me.stats.bytes.load(Ordering::Relaxed));
                        bar.set_message(me.line());
                    }
                    None => sink(&me.line()),
                }
            }
        })
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
