//! Engine configuration: commitlog and memtable settings with their
//! defaults (Cassandra's where one exists) and `validate()`.
//!
//! Every size carries its unit in its name (STYLE §8).

use std::path::PathBuf;

use crate::error::{Error, Result};

/// How the commitlog makes appended records durable.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CommitlogSync {
    /// A background thread fsyncs every `period_ms`; `append` returns at
    /// once. A crash loses at most the last `period_ms` of acknowledged
    /// writes (Cassandra's default mode, `commitlog_sync: periodic`).
    Periodic {
        /// Time between fsyncs (ms); Cassandra's default is 10,000.
        period_ms: u64,
    },
    /// `append` returns only after its record is fsynced; concurrent writers
    /// share one fsync (`commitlog_sync: batch`).
    Batch,
    /// Like `Batch`, but the syncing writer first waits `window_ms` so more
    /// writers can join its fsync (`commitlog_sync: group`).
    Group {
        /// How long a sync leader waits for company (ms).
        window_ms: u64,
    },
}

impl Default for CommitlogSync {
    fn default() -> Self {
        Self::Periodic { period_ms: 10_000 }
    }
}

/// Commitlog settings.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CommitlogConfig {
    /// Directory of the segments.
    pub dir: PathBuf,
    /// Size at which a segment is closed and a new one started (bytes).
    pub segment_size_bytes: u64,
    /// Largest accepted record payload (bytes); Cassandra's
    /// `max_mutation_size` defaults to half a segment.
    pub record_bytes_max: u64,
    /// The durability mode.
    pub sync: CommitlogSync,
    /// On replay, skip a corrupt record in the middle of the log (with a
    /// loud warning) instead of failing.
    pub skip_corrupt: bool,
}

/// Default segment size: 32 MiB, as Cassandra.
pub const COMMITLOG_SEGMENT_SIZE_BYTES_DEFAULT: u64 = 32 * 1024 * 1024;

impl CommitlogConfig {
    /// Defaults for a commitlog in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            segment_size_bytes: COMMITLOG_SEGMENT_SIZE_BYTES_DEFAULT,
            record_bytes_max: COMMITLOG_SEGMENT_SIZE_BYTES_DEFAULT / 2,
            sync: CommitlogSync::default(),
            skip_corrupt: false,
        }
    }

    /// Checks the settings are coherent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bad setting.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::InvalidArgument(format!("commitlog: {what}")));
        if self.segment_size_bytes < 4096 || self.segment_size_bytes > u64::from(u32::MAX) {
            return bad("segment_size_bytes must be between 4 KiB and 4 GiB");
        }
        if self.record_bytes_max == 0 || self.record_bytes_max > self.segment_size_bytes / 2 {
            return bad("record_bytes_max must be positive and at most half a segment");
        }
        match self.sync {
            CommitlogSync::Periodic { period_ms: 0 } => bad("periodic sync period_ms must be > 0"),
            CommitlogSync::Group { window_ms } if window_ms > 60_000 => {
                bad("group window_ms must be at most 60,000")
            }
            _ => Ok(()),
        }
    }
}

/// Memtable settings.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MemtableConfig {
    /// A table's memtable is flushed past this many bytes.
    pub flush_threshold_bytes: u64,
}

impl Default for MemtableConfig {
    fn default() -> Self {
        Self {
            flush_threshold_bytes: 64 * 1024 * 1024,
        }
    }
}
