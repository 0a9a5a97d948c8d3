//! Versions: immutable snapshots of what a table's reads consult.
//!
//! A [`Version`] lists the active memtable, the memtables being flushed
//! (newest first) and the live SSTables (newest first). Readers clone the
//! current `Arc<Version>` under a short mutex ([`VersionCell`]) and then read
//! without any lock; writers of state (memtable switch, flush, compaction)
//! build a new `Version` and publish it under the same mutex. No lock is held
//! across I/O.
//!
//! SSTable files are deleted only once no reader can use them: a
//! [`LiveSsTable`] marked obsolete (removed from the live set) deletes its
//! files when its last `Arc` is dropped, i.e. when the last version or read
//! holding it goes away.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use crate::fs::FileSystem;
use crate::memtable::Memtable;
use crate::sstable::{self, SsTableReader};

/// A live SSTable: its reader plus the "delete when unused" mark.
#[derive(Debug)]
pub struct LiveSsTable {
    reader: Arc<SsTableReader>,
    fs: Arc<dyn FileSystem>,
    obsolete: AtomicBool,
}

impl LiveSsTable {
    /// Wraps an open reader.
    pub fn new(reader: SsTableReader, fs: Arc<dyn FileSystem>) -> Self {
        Self {
            reader: Arc::new(reader),
            fs,
            obsolete: AtomicBool::new(false),
        }
    }

    /// The reader.
    pub fn reader(&self) -> &Arc<SsTableReader> {
        &self.reader
    }

    /// The SSTable's generation number.
    pub fn generation(&self) -> u64 {
        self.reader.descriptor().generation
    }

    /// Marks the files for deletion when the last handle is dropped.
    pub fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::Release);
    }
}

impl Drop for LiveSsTable {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::Acquire) {
            let descriptor = self.reader.descriptor().clone();
            if let Err(e) = sstable::delete(self.fs.as_ref(), &descriptor) {
                tracing::warn!(generation = descriptor.generation, error = %e,
                    "could not delete obsolete sstable");
            }
        }
    }
}

/// One immutable snapshot of a table's data sources.
#[derive(Debug, Clone)]
pub struct Version {
    /// The memtable taking writes.
    pub active: Arc<Memtable>,
    /// Memtables switched out and waiting for (or in) flush, newest first.
    pub flushing: Vec<Arc<Memtable>>,
    /// Live SSTables, newest first.
    pub sstables: Vec<Arc<LiveSsTable>>,
}

impl Version {
    /// Every memtable, newest first.
    pub fn memtables(&self) -> impl Iterator<Item = &Arc<Memtable>> {
        std::iter::once(&self.active).chain(self.flushing.iter())
    }

    /// This version with `removed` generations taken out (and marked
    /// obsolete) and `added` put in front (newest first).
    #[must_use]
    pub fn replace_sstables(&self, removed: &[u64], added: Vec<Arc<LiveSsTable>>) -> Version {
        let mut sstables = added;
        for t in &self.sstables {
            if removed.contains(&t.generation()) {
                t.mark_obsolete();
            } else {
                sstables.push(Arc::clone(t));
            }
        }
        sstables.sort_by_key(|t| std::cmp::Reverse(t.generation()));
        Version {
            active: Arc::clone(&self.active),
            flushing: self.flushing.clone(),
            sstables,
        }
    }

    /// Bytes held by every memtable of this version.
    pub fn memtable_bytes(&self) -> u64 {
        self.memtables().map(|m| m.size_bytes()).sum()
    }
}

/// The current version of a table, swapped atomically.
#[derive(Debug)]
pub struct VersionCell(Mutex<Arc<Version>>);

impl VersionCell {
    /// A cell holding `version`.
    pub fn new(version: Version) -> Self {
        Self(Mutex::new(Arc::new(version)))
    }

    /// The current version.
    pub fn current(&self) -> Arc<Version> {
        Arc::clone(&self.0.lock())
    }

    /// Publishes `f(current)` as the new version, under the mutex (so edits
    /// never race); `f` must not do I/O.
    pub fn update(&self, f: impl FnOnce(&Version) -> Version) -> Arc<Version> {
        let mut guard = self.0.lock();
        let next = Arc::new(f(&guard));
        *guard = Arc::clone(&next);
        next
    }
}
