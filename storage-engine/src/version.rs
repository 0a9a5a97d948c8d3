//! A table's read view: the live memtable, memtables being flushed and the
//! live SSTables, published as an immutable `Arc<Version>` (STYLE §18).
//!
//! Readers take [`VersionCell::current`] once and read from that snapshot
//! without locks; a flush or compaction builds the next version under the
//! cell's short mutex and swaps it in. An SSTable dropped from the current
//! version stays readable by readers holding an older version: its files
//! may be deleted only when the last `Arc` to it is gone (the SSTable type
//! decides, e.g. deleting on `Drop` once marked obsolete). The type is
//! generic over the SSTable handle so it does not depend on the SSTable
//! module. Lock order: the cell's mutex is a leaf (no I/O under it).

use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::memtable::Memtable;

/// One immutable view of a table.
#[derive(Debug)]
pub struct Version<S> {
    /// Increases by one with every published version.
    pub number: u64,
    /// The memtable taking writes.
    pub memtable: Arc<Memtable>,
    /// Memtables switched out and being flushed, newest first.
    pub flushing: Vec<Arc<Memtable>>,
    /// Live SSTables, newest first.
    pub sstables: Vec<Arc<S>>,
}

impl<S> Clone for Version<S> {
    fn clone(&self) -> Self {
        Self {
            number: self.number,
            memtable: Arc::clone(&self.memtable),
            flushing: self.flushing.clone(),
            sstables: self.sstables.clone(),
        }
    }
}

impl<S> Version<S> {
    /// The first version: an empty memtable and the SSTables found at open.
    pub fn new(memtable: Arc<Memtable>, sstables: Vec<Arc<S>>) -> Self {
        Self {
            number: 0,
            memtable,
            flushing: Vec::new(),
            sstables,
        }
    }

    /// The next version after switching to `fresh`: the current memtable
    /// joins the flushing list (writes go to `fresh` while it flushes).
    #[must_use]
    pub fn switch_memtable(&self, fresh: Arc<Memtable>) -> Self {
        let mut next = self.clone();
        next.flushing
            .insert(0, std::mem::replace(&mut next.memtable, fresh));
        next
    }

    /// The next version after `flushed` was written out as `sstable`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `flushed` is not being flushed.
    pub fn flushed(&self, flushed: &Arc<Memtable>, sstable: Option<Arc<S>>) -> Result<Self> {
        let mut next = self.clone();
        let before = next.flushing.len();
        next.flushing.retain(|m| !Arc::ptr_eq(m, flushed));
        if next.flushing.len() == before {
            return Err(Error::InvalidArgument(
                "flushed memtable is not flushing".into(),
            ));
        }
        if let Some(sstable) = sstable {
            next.sstables.insert(0, sstable);
        }
        Ok(next)
    }

    /// The next version after a compaction replaced the SSTables for which
    /// `removed` is true by `added` (placed first: they hold the newest data
    /// of their inputs, and order only matters for early termination, which
    /// uses timestamps).
    #[must_use]
    pub fn compacted(&self, removed: impl Fn(&S) -> bool, added: Vec<Arc<S>>) -> Self {
        let mut next = self.clone();
        next.sstables.retain(|s| !removed(s));
        next.sstables.splice(0..0, added);
        next
    }

    /// Every memtable, newest first.
    pub fn memtables(&self) -> impl Iterator<Item = &Arc<Memtable>> {
        std::iter::once(&self.memtable).chain(&self.flushing)
    }
}

/// The current version of a table, swapped atomically.
#[derive(Debug)]
pub struct VersionCell<S> {
    current: Mutex<Arc<Version<S>>>,
}

impl<S> VersionCell<S> {
    /// A cell holding `version`.
    pub fn new(version: Version<S>) -> Self {
        Self {
            current: Mutex::new(Arc::new(version)),
        }
    }

    /// The current version (cheap: one `Arc` clone under a short lock).
    pub fn current(&self) -> Arc<Version<S>> {
        Arc::clone(&self.current.lock())
    }

    /// Builds and publishes the next version from the current one; the
    /// version number is set here. `build` must not do I/O.
    ///
    /// # Errors
    /// Whatever `build` returns; the current version is then unchanged.
    pub fn update(
        &self,
        build: impl FnOnce(&Version<S>) -> Result<Version<S>>,
    ) -> Result<Arc<Version<S>>> {
        let mut current = self.current.lock();
        let mut next = build(&current)?;
        next.number = current.number + 1;
        let next = Arc::new(next);
        *current = Arc::clone(&next);
        Ok(next)
    }
}
