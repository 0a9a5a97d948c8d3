//! The background compactor: one thread per engine that asks each table's
//! strategy for a choice over its live SSTables and carries it out, plus the
//! synchronous major compaction behind [`crate::Table::compact`].
//!
//! Invariants:
//! - one compaction at a time per engine (`CompactionSignal::run_lock`);
//! - inputs stay live until `Table::replace_sstables` succeeds; the outputs
//!   of a failed compaction are deleted (by the task, or here when opening
//!   them fails, or by `replace_sstables` when the swap is refused);
//! - purging is bounded by every SSTable outside the compaction and by the
//!   smallest timestamp of the table's memtables, all taken from one version
//!   ([`Snapshot`]: it keeps the inputs' files alive while they are read, but
//!   not the memtables, which a long compaction must not pin in memory);
//! - time comes from the engine's [`WallClock`]; throttle sleeps end early
//!   when the engine stops, so `close` waits at most for the current
//!   compaction to finish unthrottled.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::Shared;
use crate::compaction::task::{MergeSpec, run_compaction, split_for_choice};
use crate::compaction::throttle::{Throttle, ThrottleClock};
use crate::compaction::{
    ChoiceContext, ChoiceKind, CompactionChoice, SsTableInfo, major_compaction,
    strategy_from_options,
};
use crate::error::{Error, Result};
use crate::manifest::Edit;
use crate::model::TableId;
use crate::sstable::{self, SsTableReader, WriterOptions};
use crate::table::{SsTableMeta, Table, TableState};
use crate::version::{LiveSsTable, Version};

/// How often the compactor looks for work without being woken.
const TICK: Duration = Duration::from_secs(1);

/// How long a table whose compaction failed is left alone (no log flood).
const FAILURE_BACKOFF: Duration = Duration::from_secs(30);

/// Wall-clock seconds since the Unix epoch, as a seam (tests move time).
pub trait WallClock: Send + Sync + std::fmt::Debug {
    /// Now, in seconds since the epoch.
    fn now_s(&self) -> u64;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place the engine reads the wall clock; everything else takes it as a parameter"
    )]
    fn now_s(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// Counters of the compactor (tests, `sibyltool`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompactionStats {
    /// Compactions (merges, drops, majors) that swapped their outputs in.
    pub completed: u64,
    /// Compactions that failed (logged; their inputs stayed live).
    pub failed: u64,
    /// True while a compaction runs.
    pub running: bool,
}

#[derive(Debug, Default)]
struct SignalState {
    wake: bool,
}

/// Wakes, stops and serialises compactions.
#[derive(Debug, Default)]
pub(crate) struct CompactionSignal {
    state: Mutex<SignalState>,
    cv: Condvar,
    stop: AtomicBool,
    run_lock: Mutex<()>,
    running: AtomicBool,
    completed: AtomicU64,
    failed: AtomicU64,
}

impl CompactionSignal {
    /// Asks the compactor to look for work now (after a flush).
    pub(crate) fn wake(&self) {
        self.state.lock().wake = true;
        self.cv.notify_all();
    }

    /// Stops the compactor: it returns after the current compaction.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        let _g = self.state.lock();
        self.cv.notify_all();
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Waits for a wake-up or a tick; false once stopped.
    fn wait(&self) -> bool {
        let mut g = self.state.lock();
        if !g.wake && !self.stopping() {
            let _ = self.cv.wait_for(&mut g, TICK);
        }
        g.wake = false;
        !self.stopping()
    }

    /// Sleeps `d` unless (or until) stopped.
    fn sleep(&self, d: Duration) {
        let deadline = Instant::now() + d;
        let mut g = self.state.lock();
        while !self.stopping() && !self.cv.wait_until(&mut g, deadline).timed_out() {}
    }

    pub(crate) fn stats(&self) -> CompactionStats {
        CompactionStats {
            completed: self.completed.load(Ordering::Acquire),
            failed: self.failed.load(Ordering::Acquire),
            running: self.running.load(Ordering::Acquire),
        }
    }
}

/// The throttle's clock: real time, but sleeps end when the engine stops.
struct StopAwareClock<'a> {
    origin: Instant,
    signal: &'a CompactionSignal,
}

impl ThrottleClock for StopAwareClock<'_> {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) {
        self.signal.sleep(duration);
    }
}

/// The compactor thread's body: until stopped, run every compaction the
/// strategies choose, then wait for a flush or a tick.
pub(crate) fn compactor_loop(shared: &Arc<Shared>) {
    let mut state = LoopState::default();
    while shared.compaction.wait() {
        while !shared.compaction.stopping() && background_round(shared, &mut state) {}
    }
}

/// What the compactor thread remembers between rounds.
#[derive(Debug, Default)]
struct LoopState {
    /// Tables whose bad options were already logged.
    warned: BTreeSet<TableId>,
    /// Tables left alone until then after a failed compaction.
    backoff: BTreeMap<TableId, Instant>,
}

/// One pass over the tables; true when some compaction succeeded (look again).
fn background_round(shared: &Arc<Shared>, looped: &mut LoopState) -> bool {
    looped.backoff.retain(|_, until| *until > Instant::now());
    let tables: Vec<Arc<TableState>> = shared.tables.read().values().cloned().collect();
    let mut progressed = false;
    for state in tables {
        if shared.compaction.stopping() || shared.is_closed() {
            return false;
        }
        // Cassandra's `'enabled': 'false'` stops background compaction of
        // the table (major compaction still runs).
        let disabled = state
            .options
            .compaction
            .get("enabled")
            .is_some_and(|v| v.eq_ignore_ascii_case("false"));
        if disabled
            || state.dropped.load(Ordering::Acquire)
            || looped.backoff.contains_key(&state.id)
        {
            continue;
        }
        let strategy = match strategy_from_options(&state.options.compaction) {
            Ok(s) => s,
            Err(e) => {
                if looped.warned.insert(state.id) {
                    tracing::error!(table = %state.id, error = %e,
                        "bad compaction options; table not compacted");
                }
                continue;
            }
        };
        let table = Table {
            shared: Arc::clone(shared),
            state,
        };
        let _one = shared.compaction.run_lock.lock();
        let now_s = shared.options.clock.now_s();
        let snapshot = Snapshot::of(&table.version());
        let ctx = ChoiceContext {
            now_s,
            gc_grace_s: u64::from(table.state.options.gc_grace_seconds),
            memtable_min_timestamp: snapshot.memtable_min_timestamp,
        };
        let Some(choice) = strategy.choose(&infos(&table.state, &snapshot, now_s), &ctx) else {
            continue;
        };
        if execute_logged(&table, &snapshot, &choice, now_s) {
            progressed = true;
        } else {
            looped
                .backoff
                .insert(table.state.id, Instant::now() + FAILURE_BACKOFF);
        }
    }
    progressed
}

/// Major compaction of every live SSTable of `table` (caller flushed).
pub(crate) fn major(table: &Table) -> Result<()> {
    let shared = &table.shared;
    let _one = shared.compaction.run_lock.lock();
    let now_s = shared.options.clock.now_s();
    let snapshot = Snapshot::of(&table.version());
    let Some(choice) = major_compaction(&infos(&table.state, &snapshot, now_s), 0, None) else {
        return Ok(());
    };
    shared.compaction.running.store(true, Ordering::Release);
    let result = execute(table, &snapshot, &choice, now_s);
    shared.compaction.running.store(false, Ordering::Release);
    let counter = if result.is_ok() {
        &shared.compaction.completed
    } else {
        &shared.compaction.failed
    };
    counter.fetch_add(1, Ordering::AcqRel);
    result
}

fn execute_logged(
    table: &Table,
    snapshot: &Snapshot,
    choice: &CompactionChoice,
    now_s: u64,
) -> bool {
    let signal = &table.shared.compaction;
    signal.running.store(true, Ordering::Release);
    let result = execute(table, snapshot, choice, now_s);
    signal.running.store(false, Ordering::Release);
    match result {
        Ok(()) => {
            signal.completed.fetch_add(1, Ordering::AcqRel);
            true
        }
        Err(e) => {
            signal.failed.fetch_add(1, Ordering::AcqRel);
            tracing::error!(table = %table.state.id, inputs = ?choice.inputs, error = %e,
                "compaction failed; inputs stay live; retried in 30 s");
            false
        }
    }
}

/// What a compaction is chosen from and bounded by, taken from one version.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// The live SSTables, newest first.
    pub(crate) sstables: Vec<Arc<LiveSsTable>>,
    /// The smallest timestamp of every memtable of that version.
    pub(crate) memtable_min_timestamp: Option<i64>,
}

impl Snapshot {
    pub(crate) fn of(version: &Version) -> Self {
        Self {
            sstables: version.sstables.clone(),
            memtable_min_timestamp: version.memtables().filter_map(|m| m.min_timestamp()).min(),
        }
    }
}

/// The strategies' view of the live SSTables. Creation time and level come
/// from the manifest (flush records level 0 and its time, compaction the
/// output level and its time); a table without a record (written before
/// these records existed) is level 0, created when first seen here.
fn infos(state: &TableState, snapshot: &Snapshot, now_s: u64) -> Vec<SsTableInfo> {
    let mut meta = state.sstable_meta.lock();
    meta.retain(|g, _| snapshot.sstables.iter().any(|t| t.generation() == *g));
    snapshot
        .sstables
        .iter()
        .map(|t| {
            let m = *meta.entry(t.generation()).or_insert(SsTableMeta {
                created_at_s: now_s,
                level: 0,
            });
            SsTableInfo::from_reader(t.reader(), m.level, m.created_at_s)
        })
        .collect()
}

/// Remembers the level and creation time of compaction outputs, in memory and
/// in the manifest (after the outputs' AddSsTable edits; lost in a crash in
/// between, they fall back to level 0, created at first sight, as tables from
/// before these records existed).
fn record_meta(
    shared: &Shared,
    state: &TableState,
    added: &[u64],
    level: u32,
    now_s: u64,
) -> Result<()> {
    let m = SsTableMeta {
        created_at_s: now_s,
        level,
    };
    state
        .sstable_meta
        .lock()
        .extend(added.iter().map(|g| (*g, m)));
    let edits: Vec<Edit> = added
        .iter()
        .map(|g| Edit::SsTableMeta {
            table: state.id,
            generation: *g,
            level,
            created_at_s: now_s,
        })
        .collect();
    shared.manifest.append(&edits)
}

/// Carries out `choice` over `snapshot` (what it was chosen from).
fn execute(
    table: &Table,
    snapshot: &Snapshot,
    choice: &CompactionChoice,
    now_s: u64,
) -> Result<()> {
    if choice.kind == ChoiceKind::DropExpired {
        tracing::info!(table = %table.state.id, inputs = ?choice.inputs,
            "dropping fully expired sstables");
        return table.replace_sstables(&choice.inputs, Vec::new());
    }
    let shared = &table.shared;
    let state = &table.state;
    let all: Vec<Arc<SsTableReader>> = snapshot
        .sstables
        .iter()
        .map(|t| Arc::clone(t.reader()))
        .collect();
    let (inputs, outside) =
        split_for_choice(&all, &choice.inputs, snapshot.memtable_min_timestamp)?;
    let spec = MergeSpec {
        fs: Arc::clone(&shared.fs),
        output_dir: state.dir.clone(),
        writer: WriterOptions {
            bloom_fp_chance: state.options.bloom_fp_chance,
            chunk_bytes: state.options.chunk_bytes,
            ..WriterOptions::default()
        },
        max_output_bytes: choice.max_output_bytes,
        now_s: u32::try_from(now_s).unwrap_or(u32::MAX),
        gc_grace_s: state.options.gc_grace_seconds,
    };
    let mut next = || state.next_generation.fetch_add(1, Ordering::Relaxed);
    let clock = StopAwareClock {
        origin: Instant::now(),
        signal: &shared.compaction,
    };
    let mut throttle = Throttle::new(shared.options.compaction_throughput_mb_per_sec, clock);
    let output = run_compaction(&inputs, &spec, &mut next, &outside, &mut throttle)?;
    let mut readers = Vec::with_capacity(output.outputs.len());
    for written in &output.outputs {
        match SsTableReader::open(shared.fs.as_ref(), written.descriptor.clone()) {
            Ok(r) => readers.push(super::with_cache(r, shared.chunk_cache.as_ref())),
            Err(e) => {
                drop(readers);
                for w in &output.outputs {
                    if let Err(d) = sstable::delete(shared.fs.as_ref(), &w.descriptor) {
                        tracing::warn!(generation = w.descriptor.generation, error = %d,
                            "could not remove a compaction output");
                    }
                }
                return Err(Error::from(e));
            }
        }
    }
    let added: Vec<u64> = readers.iter().map(|r| r.descriptor().generation).collect();
    table.replace_sstables(&choice.inputs, readers)?;
    record_meta(shared, state, &added, choice.output_level, now_s)?;
    tracing::info!(table = %state.id, inputs = ?choice.inputs,
        partitions_read = output.partitions_read, partitions_written = output.partitions_written,
        "compaction done");
    Ok(())
}

#[cfg(test)]
#[path = "compactor_tests.rs"]
mod tests;
