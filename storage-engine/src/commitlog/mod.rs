//! The commitlog: one per engine, shared by all tables (DESIGN §5).
//!
//! `append` frames an encoded [`PartitionUpdate`] into the active segment
//! and returns its [`Position`] (segment id, end offset). Durability follows
//! [`CommitlogSync`]:
//! - `Periodic { period_ms }`: `append` returns at once; a background thread
//!   fsyncs every `period_ms`. **A power failure loses up to `period_ms`
//!   of acknowledged writes**; writers block when fsyncs fall 1.5 periods
//!   behind, so a slow disk cannot stretch the window further. A process
//!   crash alone loses nothing appended (the bytes are in the OS cache).
//! - `Batch` / `Group { window_ms }`: `append` returns only once its record
//!   is fsynced. Group commit: the first waiter becomes the sync *leader*
//!   (after `window_ms` for `Group`), captures the current end of the log,
//!   fsyncs once and wakes every writer whose record it covered.
//!
//! A segment is closed when the next record would pass
//! `segment_size_bytes`: it is fsynced before the next segment is created
//! (so a later segment never holds durable data while an earlier one has a
//! torn tail), and the new segment's header and directory entry are synced
//! before any record goes in. Each segment tracks which tables have
//! unflushed records in it; [`CommitLog::discard_completed`] after a flush
//! cleans the table and deletes segments nobody needs.
//!
//! Replay hands back every record still on disk, including records of the
//! active segment that were already flushed: the engine skips records at or
//! below each table's flushed position (kept with its SSTables). Replaying
//! a record twice is harmless anyway: reconciliation is idempotent.
//!
//! Lock order: `state` (append path) is never held while waiting for
//! `sync`; fsyncs of the active segment run outside `state`. An fsync
//! failure poisons the log: every later append and wait fails (Cassandra's
//! `commit_failure_policy: stop`).

#[cfg(test)]
mod mapped_tests;
pub mod record;
pub mod replay;
pub mod segment;
mod sync;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::{Condvar, Mutex};

use self::record::{RECORD_HEADER_LEN, RECORD_OVERHEAD, encode_header, frame_record_in_place};
use self::segment::{DirtyTables, segment_file_name};
use crate::config::{CommitlogConfig, CommitlogSync};
use crate::error::{Error, Result};
use crate::fs::{FileSystem, MappedFile, WritableFile};
use crate::model::codec::encode_update;
use crate::model::{PartitionUpdate, TableId};

pub use self::replay::ReplayOutcome;

/// A place in the log: the end offset of a record in a segment. Positions
/// increase with every append, across segments and (given a suitable
/// `min_segment_id` at open) across restarts.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Position {
    /// Segment id.
    pub segment: u64,
    /// Byte offset in the segment, just past the record.
    pub offset: u64,
}

impl Position {
    /// Before every record.
    pub const ZERO: Position = Position {
        segment: 0,
        offset: 0,
    };
}

/// The active segment's file: written through a memory map when the file
/// system maps files (no system call per record), appended to otherwise.
#[derive(Clone, Debug)]
enum SegmentFile {
    Mapped(Arc<dyn MappedFile>),
    Appended(Arc<dyn WritableFile>),
}

impl SegmentFile {
    /// Writes `buf` at `offset`, the current end of the segment's records.
    fn write(&self, offset: u64, buf: &[u8]) -> Result<()> {
        match self {
            Self::Mapped(file) => file.write_at(offset, buf),
            Self::Appended(file) => file.append(buf),
        }
    }

    fn sync(&self) -> Result<()> {
        match self {
            Self::Mapped(file) => file.sync(),
            Self::Appended(file) => file.sync(),
        }
    }
}

#[derive(Debug)]
struct Active {
    id: u64,
    file: SegmentFile,
    len: u64,
}

#[derive(Debug)]
struct AppendState {
    active: Active,
    /// Every segment on disk (including the active one) and its dirty tables.
    segments: BTreeMap<u64, (PathBuf, DirtyTables)>,
    /// The end of the last appended record.
    written: Position,
}

#[derive(Debug)]
struct SyncState {
    synced: Position,
    leader: bool,
    failure: Option<String>,
    /// When the last fsync completed (monotonic clock; only used to bound
    /// the periodic loss window, never stored).
    last_sync: std::time::Instant,
}

#[derive(Debug)]
struct Inner {
    fs: Arc<dyn FileSystem>,
    config: CommitlogConfig,
    state: Mutex<AppendState>,
    sync: Mutex<SyncState>,
    synced_cv: Condvar,
    failed: AtomicBool,
    closed: AtomicBool,
}

/// The engine's write-ahead log.
#[derive(Debug)]
pub struct CommitLog {
    inner: Arc<Inner>,
    syncer: Mutex<Option<sync::PeriodicSyncer>>,
}

impl CommitLog {
    /// Opens the log in `config.dir`: replays every existing segment through
    /// `on_record` (in order), then starts a new active segment whose id is
    /// above every segment seen and at least `min_segment_id` (pass one more
    /// than the highest segment id recorded elsewhere, e.g. in SSTables, so
    /// positions keep increasing even when every segment was deleted).
    /// Replayed segments stay until their tables are discarded.
    ///
    /// # Errors
    /// Invalid config, I/O errors, replay corruption ([`replay::replay`]).
    pub fn open(
        fs: Arc<dyn FileSystem>,
        config: CommitlogConfig,
        min_segment_id: u64,
        on_record: impl FnMut(Position, PartitionUpdate) -> Result<()>,
    ) -> Result<(CommitLog, ReplayOutcome)> {
        config.validate()?;
        fs.create_dir_all(&config.dir)?;
        let outcome = replay::replay(fs.as_ref(), &config, on_record)?;
        let mut segments = BTreeMap::new();
        let mut removed = false;
        for seg in &outcome.segments {
            if seg.dirty.is_empty() {
                fs.remove(&seg.path)?;
                removed = true;
            } else {
                if let Some(end) = seg.tail_at {
                    // The tail is garbage or never written: cut it off, so
                    // that replay after newer segments exist sees a segment
                    // that ends at its last record.
                    fs.truncate(&seg.path, end)?;
                }
                segments.insert(seg.id, (seg.path.clone(), seg.dirty.clone()));
            }
        }
        if removed {
            fs.sync_dir(&config.dir)?;
        }
        let next_id = outcome
            .max_segment_id()
            .map_or(1, |m| m + 1)
            .max(min_segment_id)
            .max(1);
        let active = create_segment(fs.as_ref(), &config, next_id)?;
        segments.insert(
            next_id,
            (
                config.dir.join(segment_file_name(next_id)),
                DirtyTables::default(),
            ),
        );
        let written = Position {
            segment: next_id,
            offset: active.len,
        };
        let state = AppendState {
            active,
            segments,
            written,
        };
        let inner = Arc::new(Inner {
            fs,
            config,
            state: Mutex::new(state),
            sync: Mutex::new(SyncState {
                synced: written,
                leader: false,
                failure: None,
                last_sync: std::time::Instant::now(),
            }),
            synced_cv: Condvar::new(),
            failed: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        });
        let syncer = match inner.config.sync {
            CommitlogSync::Periodic { period_ms } => {
                Some(sync::PeriodicSyncer::start(Arc::clone(&inner), period_ms)?)
            }
            CommitlogSync::Batch | CommitlogSync::Group { .. } => None,
        };
        Ok((
            CommitLog {
                inner,
                syncer: Mutex::new(syncer),
            },
            outcome,
        ))
    }

    /// Appends one update; returns its position once the configured
    /// durability is reached (see the module docs).
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] for an update larger than `record_bytes_max`;
    /// [`Error::Closed`]; I/O errors (the log is then failed).
    pub fn append(&self, update: &PartitionUpdate) -> Result<Position> {
        let position = self.inner.append(update)?;
        match self.inner.config.sync {
            CommitlogSync::Periodic { period_ms } => {
                // Like Cassandra's periodic_commitlog_sync_lag_block: when
                // fsyncs fall behind by 1.5 periods, writers wait for one, so
                // the loss window stays bounded even on a slow disk.
                if self.inner.sync_lag_ms() > period_ms.saturating_mul(3) / 2 {
                    self.inner.wait_synced(position, 0)?;
                }
                Ok(position)
            }
            CommitlogSync::Batch => self.inner.wait_synced(position, 0).map(|()| position),
            CommitlogSync::Group { window_ms } => self
                .inner
                .wait_synced(position, window_ms)
                .map(|()| position),
        }
    }

    /// Forces an fsync of everything appended so far; returns the position
    /// now durable.
    ///
    /// # Errors
    /// I/O errors; [`Error::Closed`] after a failure.
    pub fn sync(&self) -> Result<Position> {
        let position = self.inner.state.lock().written;
        self.inner.wait_synced(position, 0)?;
        Ok(position)
    }

    /// The end of the last appended record (durable or not).
    pub fn current_position(&self) -> Position {
        self.inner.state.lock().written
    }

    /// The position up to which the log is known durable.
    pub fn synced_position(&self) -> Position {
        self.inner.sync.lock().synced
    }

    /// After `table`'s data up to `up_to` is durable elsewhere (flushed and
    /// published), forgets it and deletes segments no table needs.
    ///
    /// # Errors
    /// I/O errors deleting segment files.
    pub fn discard_completed(&self, table: TableId, up_to: Position) -> Result<()> {
        self.inner.discard(|id, dirty| {
            if id < up_to.segment {
                dirty.clean_all(table);
            } else if id == up_to.segment {
                dirty.clean(table, up_to.offset);
            }
        })
    }

    /// Forgets every record of `table` (drop, truncate).
    ///
    /// # Errors
    /// I/O errors deleting segment files.
    pub fn discard_table(&self, table: TableId) -> Result<()> {
        self.inner.discard(|_, dirty| dirty.clean_all(table))
    }

    /// Ids of the segments on disk, the active one included.
    pub fn segment_ids(&self) -> Vec<u64> {
        self.inner.state.lock().segments.keys().copied().collect()
    }

    /// Stops the periodic syncer, fsyncs, and refuses further appends.
    ///
    /// # Errors
    /// The final fsync's error.
    pub fn close(&self) -> Result<()> {
        if let Some(syncer) = self.syncer.lock().take() {
            syncer.stop();
        }
        let result = if self.inner.failed.load(Ordering::Acquire) {
            Ok(())
        } else {
            self.sync().map(|_| ())
        };
        self.inner.closed.store(true, Ordering::Release);
        result
    }
}

impl Drop for CommitLog {
    fn drop(&mut self) {
        if let Some(syncer) = self.syncer.lock().take() {
            syncer.stop();
        }
    }
}

fn create_segment(fs: &dyn FileSystem, config: &CommitlogConfig, id: u64) -> Result<Active> {
    let path = config.dir.join(segment_file_name(id));
    let file = match fs.create_mapped(&path, config.segment_size_bytes)? {
        Some(mapped) => SegmentFile::Mapped(mapped),
        None => SegmentFile::Appended(fs.create(&path)?),
    };
    let header = encode_header(id);
    file.write(0, &header)?;
    file.sync()?;
    fs.sync_dir(&config.dir)?;
    Ok(Active {
        id,
        file,
        len: header.len() as u64,
    })
}

impl Inner {
    fn check_usable(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) || self.failed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    fn fail(&self, e: &Error) {
        self.failed.store(true, Ordering::Release);
        tracing::error!(error = %e, "commitlog failed; no further writes are accepted");
        let mut s = self.sync.lock();
        s.failure.get_or_insert_with(|| e.to_string());
        self.synced_cv.notify_all();
    }

    fn append(&self, update: &PartitionUpdate) -> Result<Position> {
        self.check_usable()?;
        // Encode and frame outside the lock: only the file append is serial.
        // The payload is encoded straight after room for the record header.
        let mut frame = bytes::BytesMut::with_capacity(update.heap_size() + RECORD_OVERHEAD);
        frame.extend_from_slice(&[0u8; RECORD_HEADER_LEN]);
        encode_update(update, &mut frame);
        let payload_len = (frame.len() - RECORD_HEADER_LEN) as u64;
        if payload_len > self.config.record_bytes_max {
            return Err(Error::LimitExceeded {
                what: "commitlog record",
                got: payload_len,
                max: self.config.record_bytes_max,
            });
        }
        frame_record_in_place(&mut frame);
        let frame_len = frame.len() as u64;
        let mut st = self.state.lock();
        let st = &mut *st;
        if st.active.len + frame_len > self.config.segment_size_bytes {
            self.roll_over(st).inspect_err(|e| self.fail(e))?;
        }
        st.active
            .file
            .write(st.active.len, &frame)
            .inspect_err(|e| self.fail(e))?;
        st.active.len += frame_len;
        let position = Position {
            segment: st.active.id,
            offset: st.active.len,
        };
        if let Some((_, dirty)) = st.segments.get_mut(&st.active.id) {
            dirty.mark(update.table, position.offset);
        }
        st.written = position;
        Ok(position)
    }

    /// Closes the active segment (fsynced first) and starts the next one.
    fn roll_over(&self, st: &mut AppendState) -> Result<()> {
        st.active.file.sync()?;
        if let SegmentFile::Mapped(file) = &st.active.file {
            // A closed segment ends at its last record, so only the newest
            // segment can end in never-written (zero) bytes.
            self.fs.truncate(file.path(), st.active.len)?;
        }
        let next = st.active.id + 1;
        let active = create_segment(self.fs.as_ref(), &self.config, next)?;
        let old = std::mem::replace(&mut st.active, active);
        st.segments.insert(
            next,
            (
                self.config.dir.join(segment_file_name(next)),
                DirtyTables::default(),
            ),
        );
        let old_is_clean = st
            .segments
            .get(&old.id)
            .is_some_and(|(_, dirty)| dirty.is_empty());
        if old_is_clean && let Some((path, _)) = st.segments.remove(&old.id) {
            self.fs.remove(&path)?;
        }
        Ok(())
    }

    fn discard(&self, mut clean: impl FnMut(u64, &mut DirtyTables)) -> Result<()> {
        let doomed: Vec<PathBuf> = {
            let mut st = self.state.lock();
            let active = st.active.id;
            for (id, (_, dirty)) in st.segments.iter_mut() {
                clean(*id, dirty);
            }
            let ids: Vec<u64> = st
                .segments
                .iter()
                .filter(|(id, (_, dirty))| **id != active && dirty.is_empty())
                .map(|(id, _)| *id)
                .collect();
            ids.iter()
                .filter_map(|id| st.segments.remove(id))
                .map(|(path, _)| path)
                .collect()
        };
        for path in &doomed {
            self.fs.remove(path)?;
        }
        if !doomed.is_empty() {
            self.fs.sync_dir(&self.config.dir)?;
        }
        Ok(())
    }
}
