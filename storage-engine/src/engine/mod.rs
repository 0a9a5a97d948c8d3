//! The engine facade: one commitlog, one manifest and a set of tables.
//!
//! [`Engine::open`] recovers (see [`open`]), then serves [`Table`] handles.
//! Writes go commitlog -> memtable; a background flusher thread owned by the
//! engine turns full memtables into SSTables; a background compactor thread
//! (woken after each flush and every second, see [`compactor`]) runs each
//! table's compaction strategy; [`Engine::close`] stops the compactor (after
//! its current compaction), flushes everything, joins the flusher and closes
//! the commitlog. The API is
//! synchronous: the server calls it from a bounded blocking pool.
//!
//! Backpressure: when the memtables of all tables together pass
//! `memtable_budget_bytes`, writers wait for flushes (at most
//! `write_stall_ms_max`, then they proceed: bounded). The sum is taken once
//! per 64th of the budget written (at most 1 MiB), not on every write.

mod admin;
pub(crate) mod compactor;
mod open;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, RwLock};

pub use self::compactor::{CompactionStats, SystemWallClock, WallClock};
pub use self::open::Quarantined;
use crate::commitlog::CommitLog;
use crate::config::CommitlogSync;
use crate::error::{Error, Result};
use crate::fs::FileSystem;
use crate::manifest::Manifest;
use crate::model::TableId;
use crate::sstable::{ChunkCache, ChunkCacheStats, SsTableReader};
use crate::table::{Table, TableState};

pub use crate::sstable::chunk_cache::CHUNK_CACHE_BYTES_DEFAULT;

/// `reader` serving its chunks through `cache` when there is one.
pub(crate) fn with_cache(reader: SsTableReader, cache: Option<&Arc<ChunkCache>>) -> SsTableReader {
    match cache {
        Some(cache) => reader.with_cache(cache),
        None => reader,
    }
}

/// Default global memtable budget (bytes).
pub const MEMTABLE_BUDGET_BYTES_DEFAULT: u64 = 512 * 1024 * 1024;

/// Bytes written between two checks of the memtable budget (see `Shared::throttle`).
const BUDGET_CHECK_BYTES: u64 = 1024 * 1024;

/// Default compaction throughput limit (MiB/s), as Cassandra's.
pub const COMPACTION_THROUGHPUT_MB_PER_SEC_DEFAULT: u64 = 64;

/// Settings of one engine instance.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Root directory: `MANIFEST`, `commitlog/`, `tables/`, `snapshots/`,
    /// `quarantine/`.
    pub data_dir: PathBuf,
    /// The disk seam.
    pub fs: Arc<dyn FileSystem>,
    /// Commitlog durability mode.
    pub commitlog_sync: CommitlogSync,
    /// Commitlog segment size (bytes).
    pub commitlog_segment_size_bytes: u64,
    /// Skip corrupt commitlog records at replay (loudly) instead of failing.
    pub commitlog_skip_corrupt: bool,
    /// All tables' memtables together past this make writers wait (bytes).
    pub memtable_budget_bytes: u64,
    /// The longest a writer waits for memory (ms).
    pub write_stall_ms_max: u64,
    /// Compaction throughput limit (MiB/s), as Cassandra's
    /// `compaction_throughput`; 0 = unlimited.
    pub compaction_throughput_mb_per_sec: u64,
    /// Run the background compactor (size-tiered unless a table's
    /// `compaction` options say otherwise). Off: only [`Table::compact`].
    pub compaction_enabled: bool,
    /// Wall-clock time for compaction (gc grace, expiry, strategy windows).
    pub clock: Arc<dyn WallClock>,
    /// Bound of the chunk cache shared by all tables: decompressed, verified
    /// Data chunks (bytes; 0 disables it). Cassandra's `file_cache_size`.
    pub chunk_cache_bytes: u64,
}

impl EngineOptions {
    /// Defaults (periodic sync every 10 s, 32 MiB segments, 512 MiB budget)
    /// for `data_dir` on `fs`.
    pub fn new(data_dir: impl Into<PathBuf>, fs: Arc<dyn FileSystem>) -> Self {
        Self {
            data_dir: data_dir.into(),
            fs,
            commitlog_sync: CommitlogSync::default(),
            commitlog_segment_size_bytes: crate::config::COMMITLOG_SEGMENT_SIZE_BYTES_DEFAULT,
            commitlog_skip_corrupt: false,
            memtable_budget_bytes: MEMTABLE_BUDGET_BYTES_DEFAULT,
            write_stall_ms_max: 10_000,
            compaction_throughput_mb_per_sec: COMPACTION_THROUGHPUT_MB_PER_SEC_DEFAULT,
            compaction_enabled: true,
            clock: Arc::new(SystemWallClock),
            chunk_cache_bytes: CHUNK_CACHE_BYTES_DEFAULT,
        }
    }
}

#[derive(Debug, Default)]
struct FlushQueue {
    pending: VecDeque<TableId>,
    stop: bool,
}

/// State shared by the engine, its tables and the flusher thread.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) fs: Arc<dyn FileSystem>,
    pub(crate) options: EngineOptions,
    pub(crate) commitlog: CommitLog,
    pub(crate) manifest: Manifest,
    pub(crate) tables: RwLock<BTreeMap<TableId, Arc<TableState>>>,
    queue: Mutex<FlushQueue>,
    queue_cv: Condvar,
    budget: Mutex<()>,
    budget_cv: Condvar,
    /// Bytes applied since the memtable budget was last found respected.
    unchecked_bytes: AtomicU64,
    closed: AtomicBool,
    pub(crate) compaction: compactor::CompactionSignal,
    /// Decompressed chunks shared by every table (`None` when disabled).
    pub(crate) chunk_cache: Option<Arc<ChunkCache>>,
}

impl Shared {
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn tables_dir(&self) -> PathBuf {
        self.options.data_dir.join("tables")
    }

    pub(crate) fn request_flush(&self, table: TableId) {
        let mut q = self.queue.lock();
        if !q.pending.contains(&table) {
            q.pending.push_back(table);
        }
        self.queue_cv.notify_one();
    }

    /// Wakes writers waiting for memory (after a flush).
    pub(crate) fn notify_flushed(&self) {
        let _g = self.budget.lock();
        self.budget_cv.notify_all();
    }

    fn memtable_bytes(&self) -> u64 {
        let tables = self.tables.read();
        tables
            .values()
            .map(|t| t.version.current().memtable_bytes())
            .sum()
    }

    /// Waits while every memtable together is over budget (bounded).
    /// `bytes` is the size of the write about to be applied: the budget (a
    /// lock per table to sum) is checked once a 64th of it (at most
    /// `BUDGET_CHECK_BYTES`) was written since it was last found respected,
    /// so memtables pass it by at most that much plus one write per writer.
    pub(crate) fn throttle(&self, table: &TableState, bytes: u64) {
        let since = self
            .unchecked_bytes
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes);
        let interval = (self.options.memtable_budget_bytes / 64).min(BUDGET_CHECK_BYTES);
        if since < interval {
            return;
        }
        if self.memtable_bytes() <= self.options.memtable_budget_bytes {
            self.unchecked_bytes.store(0, Ordering::Relaxed);
            return;
        }
        // Free memory where it is: the table with the largest active memtable
        // (it may not be the writer's own table).
        let largest = {
            let tables = self.tables.read();
            tables
                .values()
                .max_by_key(|t| t.version.current().active.size_bytes())
                .cloned()
        };
        if let Some(t) = largest
            && t.switch_memtable()
        {
            self.request_flush(t.id);
        }
        let deadline =
            std::time::Instant::now() + Duration::from_millis(self.options.write_stall_ms_max);
        let mut guard = self.budget.lock();
        while self.memtable_bytes() > self.options.memtable_budget_bytes && !self.is_closed() {
            if self.budget_cv.wait_until(&mut guard, deadline).timed_out() {
                tracing::warn!(table = %table.id, "write stall limit reached; proceeding");
                return;
            }
        }
    }

    fn table_state(&self, id: TableId) -> Option<Arc<TableState>> {
        self.tables.read().get(&id).cloned()
    }
}

/// The storage engine of one node.
#[derive(Debug)]
pub struct Engine {
    shared: Arc<Shared>,
    flusher: Mutex<Option<JoinHandle<()>>>,
    compactor: Mutex<Option<JoinHandle<()>>>,
    quarantined: Vec<Quarantined>,
}

impl Engine {
    /// The tables, by id.
    pub fn table_ids(&self) -> Vec<TableId> {
        self.shared.tables.read().keys().copied().collect()
    }

    /// A handle on table `id`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no such table exists.
    pub fn table(&self, id: TableId) -> Result<Table> {
        let state = self
            .shared
            .table_state(id)
            .ok_or_else(|| Error::InvalidArgument(format!("no table {id}")))?;
        Ok(Table {
            shared: Arc::clone(&self.shared),
            state,
        })
    }

    /// SSTables found corrupt at open and moved aside.
    pub fn quarantined(&self) -> &[Quarantined] {
        &self.quarantined
    }

    /// Flushes every table, joins the flusher thread and closes the
    /// commitlog. Later calls on tables fail with [`Error::Closed`].
    ///
    /// # Errors
    /// The first flush or commitlog error (every table is still attempted).
    pub fn close(&self) -> Result<()> {
        if self.shared.is_closed() {
            return Ok(());
        }
        self.stop_compactor();
        self.stop_flusher();
        let tables: Vec<_> = self.shared.tables.read().values().cloned().collect();
        let mut result = Ok(());
        for t in tables {
            t.switch_memtable();
            if let Err(e) = crate::flush::flush_table(&self.shared, &t) {
                tracing::error!(table = %t.id, error = %e, "flush at close failed");
                result = result.and(Err(e));
            }
        }
        self.shared.closed.store(true, Ordering::Release);
        self.shared.notify_flushed();
        result.and(self.shared.commitlog.close())
    }

    /// The shared chunk cache's counters (`None` when it is disabled).
    pub fn chunk_cache_stats(&self) -> Option<ChunkCacheStats> {
        self.shared.chunk_cache.as_ref().map(|c| c.stats())
    }

    /// The shared chunk cache, when enabled (tests and diagnostics).
    pub fn chunk_cache(&self) -> Option<&Arc<ChunkCache>> {
        self.shared.chunk_cache.as_ref()
    }

    /// The compactor's counters.
    pub fn compaction_stats(&self) -> CompactionStats {
        self.shared.compaction.stats()
    }

    /// Stops the compactor: a running compaction finishes (its throttle
    /// sleeps are cut short), no new one starts; joins the thread.
    fn stop_compactor(&self) {
        self.shared.compaction.stop();
        if let Some(handle) = self.compactor.lock().take()
            && handle.join().is_err()
        {
            tracing::error!("compactor thread panicked");
        }
    }

    fn stop_flusher(&self) {
        self.shared.queue.lock().stop = true;
        self.shared.queue_cv.notify_all();
        if let Some(handle) = self.flusher.lock().take()
            && handle.join().is_err()
        {
            tracing::error!("flusher thread panicked");
        }
    }
}

impl Drop for Engine {
    /// Without `close`: stops the flusher and refuses further writes through
    /// surviving `Table` handles; memtables are not flushed (the commitlog
    /// replays them at the next open).
    fn drop(&mut self) {
        self.stop_compactor();
        self.stop_flusher();
        self.shared.closed.store(true, Ordering::Release);
        self.shared.notify_flushed();
    }
}

/// The flusher thread: flushes tables queued by writers until stopped.
fn flusher_loop(shared: &Shared) {
    loop {
        let id = {
            let mut q = shared.queue.lock();
            loop {
                if q.stop {
                    return;
                }
                if let Some(id) = q.pending.pop_front() {
                    break id;
                }
                shared.queue_cv.wait(&mut q);
            }
        };
        if let Some(state) = shared.table_state(id)
            && let Err(e) = crate::flush::flush_table(shared, &state)
        {
            tracing::error!(table = %id, error = %e, "background flush failed; will retry");
            shared.notify_flushed();
            std::thread::sleep(Duration::from_millis(100));
            shared.request_flush(id);
        }
    }
}
