//! `PartitionRows`: one partition's rows streamed span by span, so a merge or a
//! compaction holds one row-index block of a wide partition in memory, not all of it.
//!
//! Rows come in clustering order, or in reverse order when the filter is `reversed`
//! (blocks from the last, rows of each block reversed). The header (key, partition
//! deletion, static row, range tombstones intersecting the slices) is available before
//! the first row. `row_limit` is not applied here: the consumer stops pulling.

use std::collections::VecDeque;

use super::block::LastChunk;
use super::error::Result;
use super::index::IndexEntry;
use super::layout::PartitionHeader;
use super::reader::{PartitionFilter, SsTableReader, keep_columns};
use crate::model::{ClusteringKey, PartitionKey, Row};

/// A streaming read of one partition.
#[derive(Debug)]
pub struct PartitionRows<'r> {
    reader: &'r SsTableReader,
    header: PartitionHeader,
    filter: PartitionFilter,
    spans: VecDeque<(u64, u64)>,
    buffer: VecDeque<Row>,
    cache: LastChunk,
    last: Option<ClusteringKey>,
    failed: bool,
}

impl<'r> PartitionRows<'r> {
    /// Opens the partition `entry` points at; reads its header now.
    ///
    /// # Errors
    /// On damaged header or index bytes.
    pub fn new(
        reader: &'r SsTableReader,
        entry: &IndexEntry,
        filter: PartitionFilter,
    ) -> Result<Self> {
        let mut cache = LastChunk::default();
        let mut header = reader.header(entry, &mut cache)?;
        if let (Some(columns), Some(row)) = (&filter.columns, header.static_row.as_mut()) {
            keep_columns(row, columns);
        }
        if !filter.slices.selects_all() {
            let slices = filter.slices.as_slice();
            header
                .range_tombstones
                .retain(|rt| slices.iter().any(|s| s.intersects(&rt.slice)));
        }
        let mut spans: VecDeque<(u64, u64)> = reader.row_spans(entry, &filter)?.into();
        if filter.reversed {
            spans.make_contiguous().reverse();
        }
        Ok(Self {
            reader,
            header,
            filter,
            spans,
            buffer: VecDeque::new(),
            cache,
            last: None,
            failed: false,
        })
    }

    /// The partition key.
    #[must_use]
    pub fn key(&self) -> &PartitionKey {
        &self.header.key
    }

    /// Key, partition deletion, static row and the range tombstones that matter.
    #[must_use]
    pub fn header(&self) -> &PartitionHeader {
        &self.header
    }

    fn refill(&mut self) -> Result<bool> {
        while self.buffer.is_empty() {
            let Some(span) = self.spans.pop_front() else {
                return Ok(false);
            };
            let rows = self
                .reader
                .decode_span(span, &self.filter, usize::MAX, &mut self.cache)?;
            self.buffer = rows.into();
            if self.filter.reversed {
                self.buffer.make_contiguous().reverse();
            }
        }
        Ok(true)
    }

    fn next_row(&mut self) -> Result<Option<Row>> {
        if !self.refill()? {
            return Ok(None);
        }
        let Some(mut row) = self.buffer.pop_front() else {
            return Ok(None);
        };
        let ordered = self.last.as_ref().is_none_or(|prev| {
            let order = prev.cmp(&row.clustering);
            if self.filter.reversed {
                order.is_gt()
            } else {
                order.is_lt()
            }
        });
        if !ordered {
            let file = self
                .reader
                .descriptor()
                .path(super::format::Component::Data);
            return Err(super::error::SsTableError::corruption(
                file,
                0,
                "rows out of order",
            ));
        }
        if let Some(columns) = &self.filter.columns {
            keep_columns(&mut row, columns);
        }
        self.last = Some(row.clustering.clone());
        Ok(Some(row))
    }
}

impl Iterator for PartitionRows<'_> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_row().transpose();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}
