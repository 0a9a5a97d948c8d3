//! Token-range scans: partitions in `(token, key)` order, for compaction, paging scans,
//! repair and streaming.
//!
//! A scan starts at the summary sample before its start bound, walks verified index
//! entries sequentially and decodes whole partitions through one chunk cache, so each
//! chunk is decompressed once per scan. Ranges do not wrap (split a wrapping ring range
//! in two). A scan is resumable: [`Scanner::position`] is the last key returned, and
//! `ScanStart::AfterKey` continues right after it.

use std::cmp::Ordering;
use std::sync::Arc;

use super::block::LastChunk;
use super::error::Result;
use super::index::cmp_keys;
use super::reader::{PartitionFilter, SsTableReader};
use crate::model::{Partition, PartitionKey};

/// Where a scan starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanStart {
    /// At the first partition.
    Unbounded,
    /// At the first partition with a token above (or at, when `inclusive`) `token`.
    Token {
        /// The bounding token.
        token: i64,
        /// Whether partitions with exactly this token are included.
        inclusive: bool,
    },
    /// Right after this partition (resuming a paged scan).
    AfterKey(PartitionKey),
}

/// Where a scan ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEnd {
    /// After the last partition.
    Unbounded,
    /// At the last partition with a token below (or at, when `inclusive`) `token`.
    Token {
        /// The bounding token.
        token: i64,
        /// Whether partitions with exactly this token are included.
        inclusive: bool,
    },
}

impl ScanStart {
    fn admits(&self, token: i64, key: &[u8]) -> bool {
        match self {
            ScanStart::Unbounded => true,
            ScanStart::Token {
                token: t,
                inclusive,
            } => token > *t || (*inclusive && token == *t),
            ScanStart::AfterKey(k) => {
                cmp_keys(token, key, k.token().0, k.key()) == Ordering::Greater
            }
        }
    }
}

impl ScanEnd {
    fn admits(&self, token: i64) -> bool {
        match self {
            ScanEnd::Unbounded => true,
            ScanEnd::Token {
                token: t,
                inclusive,
            } => token < *t || (*inclusive && token == *t),
        }
    }
}

/// Iterates the partitions of one SSTable inside a token range.
#[derive(Debug)]
pub struct Scanner {
    reader: Arc<SsTableReader>,
    start: ScanStart,
    end: ScanEnd,
    filter: PartitionFilter,
    next_offset: u64,
    cache: LastChunk,
    last: Option<PartitionKey>,
    done: bool,
}

impl Scanner {
    /// A scan of `reader` from `start` to `end`, returning partitions cut by `filter`.
    #[must_use]
    pub fn new(
        reader: Arc<SsTableReader>,
        start: ScanStart,
        end: ScanEnd,
        filter: PartitionFilter,
    ) -> Self {
        let summary = reader.summary();
        let header = super::codec::len_u64(super::format::HEADER_LEN);
        let next_offset = match &start {
            ScanStart::Unbounded => header,
            ScanStart::Token { token, inclusive } => summary
                .scan_start_for_token(*token, !*inclusive)
                .max(header),
            ScanStart::AfterKey(k) => summary
                .scan_window(k.token().0, k.key())
                .map_or(header, |(from, _)| from),
        };
        let next_offset = if summary.entry_count == 0 {
            summary.index_len
        } else {
            next_offset
        };
        Self {
            reader,
            start,
            end,
            filter,
            next_offset,
            cache: LastChunk::scan(),
            last: None,
            done: false,
        }
    }

    /// The key of the last partition returned: resume with `ScanStart::AfterKey(it)`.
    #[must_use]
    pub fn position(&self) -> Option<&PartitionKey> {
        self.last.as_ref()
    }

    fn advance(&mut self) -> Result<Option<Partition>> {
        while self.next_offset < self.reader.summary().index_len {
            let (entry, next) = self.reader.entry_at(self.next_offset)?;
            self.next_offset = next;
            if !self.start.admits(entry.token, &entry.key) {
                continue;
            }
            if !self.end.admits(entry.token) {
                break;
            }
            let p = self
                .reader
                .read_partition(&entry, &self.filter, &mut self.cache)?;
            self.last = Some(p.key.clone());
            return Ok(Some(p));
        }
        Ok(None)
    }
}

impl Iterator for Scanner {
    type Item = Result<Partition>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.advance().transpose();
        if !matches!(item, Some(Ok(_))) {
            // End of range or an error: a scan never continues past corruption.
            self.done = true;
        }
        item
    }
}
