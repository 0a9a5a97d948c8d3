//! Start-up: fold the manifest, clean each table directory (temporary files,
//! SSTables the manifest does not list), open the live SSTables (a corrupt
//! one is reported with file, offset and check, moved to `quarantine/` and
//! dropped from the manifest), then replay the commitlog into memtables,
//! skipping records at or below each table's flushed position.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use parking_lot::{Condvar, Mutex, RwLock};

use super::{Engine, EngineOptions, FlushQueue, Shared};
use crate::commitlog::{CommitLog, Position};
use crate::config::CommitlogConfig;
use crate::error::{Error, Result};
use crate::fs::FileSystem;
use crate::manifest::{Edit, Manifest, TableManifest};
use crate::memtable::Memtable;
use crate::model::TableId;
use crate::sstable::{self, ChunkCache, Component, Descriptor, SsTableReader};
use crate::table::TableState;
use crate::version::{LiveSsTable, Version};

/// An SSTable found corrupt at open and moved aside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quarantined {
    /// Its table.
    pub table: TableId,
    /// Its generation.
    pub generation: u64,
    /// The error naming file, offset and failed check.
    pub error: String,
    /// Where its files were moved.
    pub moved_to: PathBuf,
}

fn quarantine(
    fs: &dyn FileSystem,
    data_dir: &Path,
    table: TableId,
    descriptor: &Descriptor,
) -> Result<PathBuf> {
    let dir = data_dir.join("quarantine").join(table.to_string());
    fs.create_dir_all(&dir)?;
    // The TOC goes first so a crash mid-move leaves an unpublished remainder.
    for c in [Component::Toc].into_iter().chain(Component::ALL) {
        let from = descriptor.path(c);
        if fs.exists(&from) {
            let name = from.file_name().map(PathBuf::from).unwrap_or_default();
            fs.rename(&from, &dir.join(name))?;
        }
    }
    fs.sync_dir(&dir)?;
    fs.sync_dir(&descriptor.dir)?;
    Ok(dir)
}

struct OpenedTable {
    state: TableState,
    quarantined: Vec<Quarantined>,
}

fn open_table(
    fs: &Arc<dyn FileSystem>,
    data_dir: &Path,
    id: TableId,
    manifest: &TableManifest,
    cache: Option<&Arc<ChunkCache>>,
) -> Result<OpenedTable> {
    let dir = data_dir.join("tables").join(id.to_string());
    fs.create_dir_all(&dir)?;
    sstable::remove_incomplete(fs.as_ref(), &dir)?;
    let on_disk: BTreeSet<u64> = sstable::list_generations(fs.as_ref(), &dir)?
        .into_iter()
        .collect();
    for g in on_disk.difference(&manifest.sstables) {
        // Published by a flush whose manifest edit never landed: the data
        // is still in the commitlog.
        tracing::info!(table = %id, generation = g, "removing sstable unknown to the manifest");
        sstable::delete(fs.as_ref(), &Descriptor::new(&dir, *g))?;
    }
    let mut sstables = Vec::new();
    let mut quarantined = Vec::new();
    for g in manifest.sstables.iter().rev() {
        let descriptor = Descriptor::new(&dir, *g);
        match SsTableReader::open(fs.as_ref(), descriptor.clone()) {
            Ok(reader) => {
                let reader = super::with_cache(reader, cache);
                sstables.push(Arc::new(LiveSsTable::new(reader, Arc::clone(fs))));
            }
            Err(e) if e.is_corruption() => {
                tracing::error!(table = %id, generation = g, error = %e,
                    "corrupt sstable quarantined");
                let moved_to = quarantine(fs.as_ref(), data_dir, id, &descriptor)?;
                quarantined.push(Quarantined {
                    table: id,
                    generation: *g,
                    error: e.to_string(),
                    moved_to,
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    let next = sstable::next_generation(fs.as_ref(), &dir)?
        .max(manifest.sstables.last().map_or(1, |g| g + 1));
    let meta = manifest
        .meta
        .iter()
        .map(|(g, (level, created_at_s))| {
            let m = crate::table::SsTableMeta {
                created_at_s: *created_at_s,
                level: *level,
            };
            (*g, m)
        })
        .collect();
    let version = Version {
        active: Arc::new(Memtable::new(id)),
        flushing: Vec::new(),
        sstables,
    };
    Ok(OpenedTable {
        state: TableState::new(id, dir, manifest.options.clone(), version, next, meta),
        quarantined,
    })
}

impl Engine {
    /// Opens (recovers) the engine in `options.data_dir`.
    ///
    /// # Errors
    /// I/O errors; corruption of the manifest; a corrupt commitlog record
    /// before the tail (unless `commitlog_skip_corrupt`).
    pub fn open(options: EngineOptions) -> Result<Engine> {
        let fs = Arc::clone(&options.fs);
        let data_dir = options.data_dir.clone();
        fs.create_dir_all(&data_dir)?;
        fs.create_dir_all(&data_dir.join("tables"))?;
        let (manifest, folded) = Manifest::open(Arc::clone(&fs), &data_dir)?;
        let chunk_cache = (options.chunk_cache_bytes > 0)
            .then(|| Arc::new(ChunkCache::new(options.chunk_cache_bytes)));
        let mut tables = BTreeMap::new();
        let mut quarantined = Vec::new();
        let mut flushed = BTreeMap::new();
        for (id, t) in &folded.tables {
            let opened = open_table(&fs, &data_dir, *id, t, chunk_cache.as_ref())?;
            quarantined.extend(opened.quarantined);
            flushed.insert(*id, t.flushed);
            tables.insert(*id, Arc::new(opened.state));
        }
        let removals: Vec<Edit> = quarantined
            .iter()
            .map(|q| Edit::RemoveSsTable(q.table, q.generation))
            .collect();
        if !removals.is_empty() {
            manifest.append(&removals)?;
        }
        let commitlog = replay(&options, folded.min_segment_id(), &tables, &flushed)?;
        let shared = Arc::new(Shared {
            fs,
            options,
            commitlog,
            manifest,
            tables: RwLock::new(tables),
            queue: Mutex::new(FlushQueue::default()),
            queue_cv: Condvar::new(),
            budget: Mutex::new(()),
            budget_cv: Condvar::new(),
            unchecked_bytes: std::sync::atomic::AtomicU64::new(0),
            closed: AtomicBool::new(false),
            compaction: super::compactor::CompactionSignal::default(),
            chunk_cache,
        });
        let thread_shared = Arc::clone(&shared);
        let flusher = std::thread::Builder::new()
            .name("sibyl-flush".into())
            .spawn(move || super::flusher_loop(&thread_shared))
            .map_err(|e| Error::io(&data_dir, e))?;
        // Replayed memtables past their threshold flush now.
        for t in shared.tables.read().values() {
            let size = t.version.current().active.size_bytes();
            if size >= t.options.flush_threshold_bytes && t.switch_memtable() {
                shared.request_flush(t.id);
            }
        }
        let engine = Engine {
            shared,
            flusher: Mutex::new(Some(flusher)),
            compactor: Mutex::new(None),
            quarantined,
        };
        if engine.shared.options.compaction_enabled {
            // On failure, dropping `engine` stops the flusher.
            let thread_shared = Arc::clone(&engine.shared);
            let handle = std::thread::Builder::new()
                .name("sibyl-compact".into())
                .spawn(move || super::compactor::compactor_loop(&thread_shared))
                .map_err(|e| Error::io(&data_dir, e))?;
            *engine.compactor.lock() = Some(handle);
        }
        Ok(engine)
    }
}

fn replay(
    options: &EngineOptions,
    min_segment_id: u64,
    tables: &BTreeMap<TableId, Arc<TableState>>,
    flushed: &BTreeMap<TableId, Position>,
) -> Result<CommitLog> {
    let mut config = CommitlogConfig::new(options.data_dir.join("commitlog"));
    config.segment_size_bytes = options.commitlog_segment_size_bytes;
    config.record_bytes_max = options.commitlog_segment_size_bytes / 2;
    config.sync = options.commitlog_sync;
    config.skip_corrupt = options.commitlog_skip_corrupt;
    let mut unknown = BTreeSet::new();
    let (commitlog, outcome) = CommitLog::open(
        Arc::clone(&options.fs),
        config,
        min_segment_id,
        |position, update| {
            let (Some(t), Some(done)) = (tables.get(&update.table), flushed.get(&update.table))
            else {
                unknown.insert(update.table);
                return Ok(());
            };
            if position > *done {
                t.version.current().active.apply(&update, Some(position))?;
            }
            Ok(())
        },
    )?;
    tracing::info!(
        records = outcome.records,
        skipped = outcome.skipped,
        "commitlog replayed"
    );
    for (id, position) in flushed {
        commitlog.discard_completed(*id, *position)?;
    }
    for id in unknown {
        commitlog.discard_table(id)?;
    }
    Ok(commitlog)
}
