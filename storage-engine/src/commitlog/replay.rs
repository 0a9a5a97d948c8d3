//! Replay: read every segment in id order and hand each record to the
//! caller, deciding what a damaged byte range means.
//!
//! - A failure after which nothing valid follows (in this segment or any
//!   later one) is a **torn tail**: the crash interrupted the last writes.
//!   Replay ends there cleanly (an info line names file and offset).
//! - A failure followed by valid data is **mid-log corruption**:
//!   [`Error::Corruption`] naming the segment file and offset, unless
//!   `skip_corrupt` is set, in which case a `warn!` line names them and
//!   replay resumes at the next valid record.
//! - A segment whose header is missing or zeroed is an empty segment created
//!   just before a crash when it is the last; otherwise it is corruption.
//! - Segments are written through a memory map into a file created at its
//!   full size, so the newest one ends in zero bytes never written: a torn
//!   tail like any other (the search for a next valid record jumps over zero
//!   runs, so it costs no scan per byte). Its owner then cuts such a tail off
//!   ([`ReplayedSegment::tail_at`]), so that once newer segments exist an
//!   unexplained zero run is corruption again.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::Position;
use super::record::{
    HeaderError, RecordRead, SEGMENT_HEADER_LEN, decode_header, find_next_valid, read_record,
};
use super::segment::{DirtyTables, segment_files};
use crate::config::{COMMITLOG_SEGMENT_SIZE_BYTES_DEFAULT, CommitlogConfig};
use crate::error::{Error, Result};
use crate::fs::FileSystem;
use crate::model::PartitionUpdate;
use crate::model::codec::decode_update;

/// One segment found on disk and which tables it holds records of.
#[derive(Debug)]
pub struct ReplayedSegment {
    /// Segment id.
    pub id: u64,
    /// Segment file.
    pub path: PathBuf,
    /// Tables with records in the segment (end offset of the last one).
    pub dirty: DirtyTables,
    /// Where replay stopped before the end of the file at a torn or
    /// never-written tail (the end of the last valid record).
    pub tail_at: Option<u64>,
}

/// What replay found.
#[derive(Debug, Default)]
pub struct ReplayOutcome {
    /// Every segment file, in id order.
    pub segments: Vec<ReplayedSegment>,
    /// Records handed to the caller.
    pub records: u64,
    /// Corrupt ranges skipped (only with `skip_corrupt`).
    pub skipped: u64,
}

impl ReplayOutcome {
    /// The highest segment id seen.
    pub fn max_segment_id(&self) -> Option<u64> {
        self.segments.last().map(|s| s.id)
    }
}

/// Replays the log in `config.dir`, calling `on_record` for every record in
/// order with its position (the end offset of the record).
///
/// # Errors
/// [`Error::Corruption`] for mid-log damage (unless `skip_corrupt`), I/O
/// errors, and whatever `on_record` returns.
pub fn replay(
    fs: &dyn FileSystem,
    config: &CommitlogConfig,
    mut on_record: impl FnMut(Position, PartitionUpdate) -> Result<()>,
) -> Result<ReplayOutcome> {
    let files = segment_files(fs.list(&config.dir)?);
    let mut outcome = ReplayOutcome::default();
    for (i, (id, path)) in files.iter().enumerate() {
        let later = files.get(i + 1..).unwrap_or_default();
        let mut seg = SegmentReplay {
            fs,
            config,
            id: *id,
            path,
            later,
            outcome: &mut outcome,
            tail_at: None,
        };
        let dirty = seg.run(&mut on_record)?;
        let tail_at = seg.tail_at;
        outcome.segments.push(ReplayedSegment {
            id: *id,
            path: path.clone(),
            dirty,
            tail_at,
        });
    }
    Ok(outcome)
}

fn read_limit(config: &CommitlogConfig) -> u64 {
    config
        .segment_size_bytes
        .max(COMMITLOG_SEGMENT_SIZE_BYTES_DEFAULT)
        * 2
}

struct SegmentReplay<'a> {
    fs: &'a dyn FileSystem,
    config: &'a CommitlogConfig,
    id: u64,
    path: &'a Path,
    later: &'a [(u64, PathBuf)],
    outcome: &'a mut ReplayOutcome,
    /// Set when the segment ended at a torn or never-written tail.
    tail_at: Option<u64>,
}

impl SegmentReplay<'_> {
    fn run(
        &mut self,
        on_record: &mut impl FnMut(Position, PartitionUpdate) -> Result<()>,
    ) -> Result<DirtyTables> {
        let buf = Bytes::from(self.fs.read_all(self.path, read_limit(self.config))?);
        let mut dirty = DirtyTables::default();
        if !self.header_ok(&buf)? {
            return Ok(dirty);
        }
        let max = self.config.record_bytes_max;
        let mut offset = SEGMENT_HEADER_LEN;
        loop {
            let what = match read_record(&buf, offset, max) {
                RecordRead::Valid { payload, next } => match decode_update(&buf.slice(payload)) {
                    Ok(update) => {
                        let position = Position {
                            segment: self.id,
                            offset: next as u64,
                        };
                        dirty.mark(update.table, position.offset);
                        on_record(position, update)?;
                        self.outcome.records += 1;
                        offset = next;
                        continue;
                    }
                    Err(e) => {
                        // The checksum held, so this is not a torn write.
                        let what = format!("record does not decode: {e}");
                        if !self.config.skip_corrupt {
                            return Err(Error::corruption(self.path, offset as u64, what));
                        }
                        tracing::warn!(
                            file = %self.path.display(), offset, what,
                            "commitlog: SKIPPING a record that does not decode (skip_corrupt is set)"
                        );
                        self.outcome.skipped += 1;
                        offset = next;
                        continue;
                    }
                },
                RecordRead::End if offset >= buf.len() => return Ok(dirty),
                RecordRead::End => "zeroed bytes".to_string(),
                RecordRead::Invalid(what) => what.to_string(),
            };
            match self.damage(&buf, offset, &what)? {
                Some(next) => offset = next,
                None => return Ok(dirty),
            }
        }
    }

    /// Checks the header; `Ok(false)` for an empty last segment.
    fn header_ok(&mut self, buf: &[u8]) -> Result<bool> {
        let what = match decode_header(buf) {
            Ok(id) if id == self.id => return Ok(true),
            Ok(_) => "segment id does not match the file name",
            Err(HeaderError::Truncated) if buf.iter().all(|&b| b == 0) => {
                "truncated segment header"
            }
            Err(_) if buf.iter().all(|&b| b == 0) => "zeroed segment header",
            Err(HeaderError::Truncated) => "truncated segment header",
            Err(HeaderError::Invalid(what)) => what,
        };
        let empty_tail = buf.iter().all(|&b| b == 0) && !self.later_has_records()?;
        if empty_tail {
            tracing::info!(file = %self.path.display(), "commitlog: empty last segment ignored");
            return Ok(false);
        }
        if self.config.skip_corrupt {
            tracing::warn!(file = %self.path.display(), what, "commitlog: SKIPPING corrupt segment");
            self.outcome.skipped += 1;
            return Ok(false);
        }
        Err(Error::corruption(self.path, 0, what))
    }

    /// Handles damage at `offset`: `Ok(Some(next))` to resume at a later
    /// record, `Ok(None)` to end this segment, `Err` for corruption.
    fn damage(&mut self, buf: &[u8], offset: usize, what: &str) -> Result<Option<usize>> {
        let next = find_next_valid(buf, offset + 1, self.config.record_bytes_max);
        if next.is_none() && !self.later_has_records()? {
            tracing::info!(
                file = %self.path.display(), offset, what,
                "commitlog: torn tail, replay ends here"
            );
            self.tail_at = Some(offset as u64);
            return Ok(None);
        }
        if !self.config.skip_corrupt {
            return Err(Error::corruption(self.path, offset as u64, what));
        }
        tracing::warn!(
            file = %self.path.display(), offset, what,
            "commitlog: SKIPPING corrupt data in the middle of the log (skip_corrupt is set); \
             writes in the skipped range are lost"
        );
        self.outcome.skipped += 1;
        Ok(next)
    }

    fn later_has_records(&self) -> Result<bool> {
        for (_, path) in self.later {
            let buf = self.fs.read_all(path, read_limit(self.config))?;
            let max = self.config.record_bytes_max;
            if find_next_valid(&buf, SEGMENT_HEADER_LEN.min(buf.len()), max).is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
