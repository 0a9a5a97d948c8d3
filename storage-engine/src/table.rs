//! A table of the engine: its options, its current [`Version`], and the
//! write path (`apply`: commitlog, then memtable; switch to a fresh memtable
//! past the flush threshold).
//!
//! Lock order, outermost first: `flush_lock` (one flush/truncate/drop of this
//! table at a time), then `switch` (writers hold it shared across "commitlog
//! append + memtable apply", a memtable switch holds it exclusively so every
//! record of the old memtable has a lower commitlog position than every
//! record of the new one), then the version cell's short mutex. No lock but
//! `switch` (shared) is held across I/O on the write path.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

use crate::engine::Shared;
use crate::error::{Error, Result};
use crate::manifest::Edit;
use crate::memtable::Memtable;
use crate::model::{PartitionUpdate, TableId};
use crate::sstable::{Descriptor, SsTableReader};
use crate::version::{LiveSsTable, Version, VersionCell};

/// Default memtable flush threshold (bytes).
pub const FLUSH_THRESHOLD_BYTES_DEFAULT: u64 = 64 * 1024 * 1024;

/// Per-table settings, stored in the manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct TableOptions {
    /// Seconds before tombstones may be purged (`gc_grace_seconds`).
    pub gc_grace_seconds: u32,
    /// Default TTL (s) the server applies to writes without one; the engine
    /// only stores it.
    pub default_ttl_s: Option<u32>,
    /// Bloom filter false-positive chance of new SSTables.
    pub bloom_fp_chance: f64,
    /// Memtable size (bytes) past which it is switched and flushed.
    pub flush_threshold_bytes: u64,
    /// Compaction options (`class`, `min_threshold`, ...), kept for the
    /// compaction strategy.
    pub compaction: BTreeMap<String, String>,
    /// Uncompressed bytes per Data chunk of new SSTables (CQL
    /// `compression = {'chunk_length_in_kb': ...}`): a power of two from
    /// 1 KiB to 16 MiB; default 16 KiB.
    pub chunk_bytes: u32,
}

impl Default for TableOptions {
    fn default() -> Self {
        Self {
            gc_grace_seconds: 864_000,
            default_ttl_s: None,
            bloom_fp_chance: 0.01,
            flush_threshold_bytes: FLUSH_THRESHOLD_BYTES_DEFAULT,
            compaction: BTreeMap::new(),
            chunk_bytes: crate::sstable::format::CHUNK_BYTES_DEFAULT,
        }
    }
}

impl TableOptions {
    /// Checks the options' ranges.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bad option.
    pub fn validate(&self) -> Result<()> {
        if !(self.bloom_fp_chance > 0.0 && self.bloom_fp_chance <= 1.0) {
            return Err(Error::InvalidArgument(
                "bloom_filter_fp_chance must be in (0, 1]".into(),
            ));
        }
        if self.flush_threshold_bytes == 0 {
            return Err(Error::InvalidArgument("flush threshold must be > 0".into()));
        }
        let chunk_range =
            crate::sstable::format::CHUNK_BYTES_MIN..=crate::sstable::format::CHUNK_BYTES_MAX;
        if !self.chunk_bytes.is_power_of_two() || !chunk_range.contains(&self.chunk_bytes) {
            return Err(Error::InvalidArgument(
                "chunk_length_in_kb must be a power of two from 1 to 16384".into(),
            ));
        }
        crate::compaction::strategy_from_options(&self.compaction)
            .map_err(|e| Error::InvalidArgument(format!("compaction: {e}")))?;
        Ok(())
    }
}

/// A table's statistics (`nodetool tablestats`-like).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Live SSTables.
    pub live_sstables: usize,
    /// Bytes of every live SSTable's components.
    pub sstable_bytes: u64,
    /// Partitions in SSTables plus memtables (overcounts keys present in several).
    pub partition_count_estimate: u64,
    /// Tombstones in SSTables whose newest deletion is past gc grace.
    pub droppable_tombstones: u64,
    /// Bytes in memtables (active and flushing).
    pub memtable_bytes: u64,
}

/// What the compactor remembers of an SSTable beyond its files (in memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SsTableMeta {
    /// When the compactor first saw it (seconds).
    pub(crate) created_at_s: u64,
    /// Its level (leveled compaction).
    pub(crate) level: u32,
}

/// The shared state of one table.
#[derive(Debug)]
pub(crate) struct TableState {
    pub(crate) id: TableId,
    pub(crate) dir: PathBuf,
    pub(crate) options: TableOptions,
    pub(crate) version: VersionCell,
    pub(crate) switch: RwLock<()>,
    pub(crate) flush_lock: Mutex<()>,
    pub(crate) next_generation: AtomicU64,
    pub(crate) dropped: AtomicBool,
    /// Per live generation, the compactor's [`SsTableMeta`].
    pub(crate) sstable_meta: Mutex<BTreeMap<u64, SsTableMeta>>,
}

impl TableState {
    pub(crate) fn new(
        id: TableId,
        dir: PathBuf,
        options: TableOptions,
        version: Version,
        next_generation: u64,
        meta: BTreeMap<u64, SsTableMeta>,
    ) -> Self {
        Self {
            id,
            dir,
            options,
            version: VersionCell::new(version),
            switch: RwLock::new(()),
            flush_lock: Mutex::new(()),
            next_generation: AtomicU64::new(next_generation),
            dropped: AtomicBool::new(false),
            sstable_meta: Mutex::new(meta),
        }
    }

    /// Moves a non-empty active memtable to the flushing list; true if it did.
    pub(crate) fn switch_memtable(&self) -> bool {
        self.switch_memtable_from(1)
    }

    /// Switches the active memtable only if it holds at least `min_bytes`.
    /// Writers that all saw the same memtable pass the flush threshold race
    /// here: the first switches it, the others find a fresh memtable under the
    /// threshold and leave it alone (otherwise each would flush a tiny SSTable).
    pub(crate) fn switch_memtable_from(&self, min_bytes: u64) -> bool {
        let _exclusive = self.switch.write();
        let current = self.version.current();
        if current.active.is_empty() || current.active.size_bytes() < min_bytes {
            return false;
        }
        self.version.update(|v| {
            let mut flushing = Vec::with_capacity(v.flushing.len() + 1);
            flushing.push(Arc::clone(&v.active));
            flushing.extend(v.flushing.iter().cloned());
            Version {
                active: Arc::new(Memtable::new(self.id)),
                flushing,
                sstables: v.sstables.clone(),
            }
        });
        true
    }
}

/// A handle on one table; cheap to clone, usable from many threads.
#[derive(Clone, Debug)]
pub struct Table {
    pub(crate) shared: Arc<Shared>,
    pub(crate) state: Arc<TableState>,
}

impl Table {
    /// The table's id.
    pub fn id(&self) -> TableId {
        self.state.id
    }

    /// The table's options.
    pub fn options(&self) -> &TableOptions {
        &self.state.options
    }

    /// The current version (memtables and live SSTables).
    pub fn version(&self) -> Arc<Version> {
        self.state.version.current()
    }

    fn check_open(&self) -> Result<()> {
        if self.shared.is_closed() || self.state.dropped.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// Applies one partition update: commitlog append (acknowledged per the
    /// sync mode), then memtable. Atomic per partition. Past the flush
    /// threshold the memtable is switched and flushed in the background;
    /// past the engine's memory budget the call waits (bounded) for flushes.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an update of another table or breaking
    /// the model's invariants; [`Error::Closed`]; commitlog errors.
    pub fn apply(&self, update: &PartitionUpdate) -> Result<()> {
        self.check_open()?;
        if update.table != self.state.id {
            return Err(Error::InvalidArgument(format!(
                "update for table {} applied to table {}",
                update.table, self.state.id
            )));
        }
        update
            .check()
            .map_err(|what| Error::InvalidArgument(what.to_string()))?;
        self.shared.throttle(&self.state, update.heap_size() as u64);
        let full = {
            let _shared = self.state.switch.read();
            let version = self.state.version.current();
            let position = self.shared.commitlog.append(update)?;
            version.active.apply(update, Some(position))?;
            version.active.size_bytes() >= self.state.options.flush_threshold_bytes
        };
        if full
            && self
                .state
                .switch_memtable_from(self.state.options.flush_threshold_bytes)
        {
            self.shared.request_flush(self.state.id);
        }
        Ok(())
    }

    /// Flushes every memtable holding data now into SSTables and returns
    /// once they are published and the commitlog is released.
    ///
    /// # Errors
    /// I/O errors writing the SSTable or the manifest.
    pub fn flush(&self) -> Result<()> {
        self.check_open()?;
        self.state.switch_memtable();
        crate::flush::flush_table(&self.shared, &self.state)
    }

    /// Major compaction (`nodetool compact`): flushes, then merges every
    /// live SSTable into one, purging what gc grace and the memtables allow.
    /// Waits for a running background compaction first (one at a time).
    ///
    /// # Errors
    /// [`Error::Closed`]; flush, read and write errors (the inputs then stay
    /// live and any output is deleted).
    pub fn compact(&self) -> Result<()> {
        self.flush()?;
        crate::engine::compactor::major(self)
    }

    /// Statistics; `now_s` decides which tombstones are past gc grace.
    pub fn stats(&self, now_s: u32) -> TableStats {
        let version = self.version();
        let gc_before = i64::from(now_s) - i64::from(self.state.options.gc_grace_seconds);
        let mut stats = TableStats {
            live_sstables: version.sstables.len(),
            memtable_bytes: version.memtable_bytes(),
            ..TableStats::default()
        };
        for m in version.memtables() {
            stats.partition_count_estimate += m.partition_count() as u64;
        }
        for t in &version.sstables {
            let s = t.reader().stats();
            stats.sstable_bytes += t.reader().on_disk_bytes();
            stats.partition_count_estimate += s.partition_count;
            if s.max_local_deletion_time.is_some_and(|m| m < gc_before) {
                stats.droppable_tombstones += s.tombstones.total();
            }
        }
        stats
    }

    /// A fresh SSTable descriptor in this table's directory (compaction
    /// writes its outputs there).
    pub fn next_descriptor(&self) -> Descriptor {
        let generation = self.state.next_generation.fetch_add(1, Ordering::Relaxed);
        Descriptor::new(&self.state.dir, generation)
    }

    /// Atomically replaces SSTables `removed` (generations) by `added`
    /// (compaction's outputs, written with [`Table::next_descriptor`]): one
    /// manifest record, then a new version. The removed files are deleted
    /// once no reader holds them.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a removed generation is no longer live
    /// (dropped or truncated meanwhile; the outputs are then deleted); I/O
    /// errors from the manifest.
    pub fn replace_sstables(&self, removed: &[u64], added: Vec<SsTableReader>) -> Result<()> {
        self.check_open()?;
        let added: Vec<_> = added
            .into_iter()
            .map(|r| Arc::new(LiveSsTable::new(r, Arc::clone(&self.shared.fs))))
            .collect();
        let _flush = self.state.flush_lock.lock();
        let live = self.version();
        let all_live = removed
            .iter()
            .all(|g| live.sstables.iter().any(|t| t.generation() == *g));
        if !all_live || self.state.dropped.load(Ordering::Acquire) {
            added.iter().for_each(|t| t.mark_obsolete());
            return Err(Error::InvalidArgument(
                "compaction inputs are no longer live".into(),
            ));
        }
        let id = self.state.id;
        let mut edits: Vec<Edit> = removed
            .iter()
            .map(|g| Edit::RemoveSsTable(id, *g))
            .collect();
        edits.extend(added.iter().map(|t| Edit::AddSsTable(id, t.generation())));
        if let Err(e) = self.shared.manifest.append(&edits) {
            added.iter().for_each(|t| t.mark_obsolete());
            return Err(e);
        }
        self.state
            .version
            .update(|v| v.replace_sstables(removed, added));
        Ok(())
    }
}

#[cfg(test)]
mod switch_tests {
    use std::sync::Arc;

    use crate::model::{Cell, ClusteringKey, PartitionKey, PartitionUpdate, Row, TableId};
    use crate::{Engine, EngineOptions, TableOptions};

    /// A writer that saw an old memtable pass the threshold must not switch the
    /// fresh one (the race that flushed one tiny SSTable per concurrent writer).
    #[test]
    fn a_threshold_switch_leaves_a_fresh_memtable_alone() {
        let dir = tempfile::tempdir().unwrap();
        let engine =
            Engine::open(EngineOptions::new(dir.path(), Arc::new(crate::fs::StdFs))).unwrap();
        let table = engine
            .create_table(TableId(5), TableOptions::default())
            .unwrap();
        let row =
            Row::new(ClusteringKey::new(Vec::new())).with_cell(Cell::live(1, 1, vec![1u8; 10]));
        table
            .apply(&PartitionUpdate::new(TableId(5), PartitionKey::new(vec![1u8])).with_row(row))
            .unwrap();
        let threshold = table.state.options.flush_threshold_bytes;
        assert!(
            !table.state.switch_memtable_from(threshold),
            "a fresh memtable under the threshold stays"
        );
        assert!(
            table.state.switch_memtable_from(1),
            "an explicit switch still switches a non-empty memtable"
        );
        assert!(
            !table.state.switch_memtable_from(1),
            "an empty memtable is never switched"
        );
        drop(table);
        engine.close().unwrap();
    }
}
