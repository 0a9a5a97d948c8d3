//! `SsTableReader`: an opened, verified SSTable and its point/slice reads.
//!
//! Open reads the TOC (checksum, version, component lengths), checks every header,
//! loads Stats, Filter and Summary into memory and memory-maps Data and Index. A lookup
//! goes token range -> bloom filter -> summary binary search -> at most
//! `SUMMARY_INTERVAL` verified index entries -> partition header -> only the row-index
//! blocks the slices touch -> checksummed chunks. Any bad byte is an `SsTableError`
//! naming the file and offset (Data offsets are positions in the uncompressed stream);
//! the reader never returns wrong data and never panics. Reads take `&self`, so one
//! reader serves many threads.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::block::{ChunkReader, LastChunk};
use super::bloom::BloomFilter;
use super::chunk_cache::ChunkCache;
use super::error::{Result, SsTableError};
use super::format::{Component, Descriptor, META_BYTES_MAX, check_header};
use super::index::{IndexEntry, Summary, cmp_keys};
use super::io::Mapped;
use super::layout::{PartitionHeader, RowChoice, decode_header, decode_row_pieces};
use super::stats::Stats;
use super::toc;
use crate::fs::FileSystem;
use crate::model::key::cmp_key_bytes;
use crate::model::{ColumnId, DeletionTime, Partition, PartitionKey, Row, Slices, Token};

/// Which part of a partition a read wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionFilter {
    /// Clustering slices to return rows from.
    pub slices: Slices,
    /// With `row_limit`: take the *last* rows of the slices (blocks are read from the end).
    /// Rows in the result are always in ascending clustering order.
    pub reversed: bool,
    /// Stop after this many rows (rows stored here, live or not; a hint to save IO).
    pub row_limit: Option<usize>,
    /// Keep only cells of these columns (sorted); `None` keeps all.
    pub columns: Option<Vec<ColumnId>>,
}

impl PartitionFilter {
    /// The whole partition.
    #[must_use]
    pub fn all() -> Self {
        Self {
            slices: Slices::all(),
            reversed: false,
            row_limit: None,
            columns: None,
        }
    }

    /// Rows in `slices`, forward, all columns.
    #[must_use]
    pub fn slices(slices: Slices) -> Self {
        Self {
            slices,
            ..Self::all()
        }
    }
}

/// An open SSTable.
#[derive(Debug)]
pub struct SsTableReader {
    descriptor: Descriptor,
    data_path: PathBuf,
    index_path: PathBuf,
    data: Mapped,
    index: Mapped,
    chunks: ChunkReader,
    summary: Summary,
    bloom: BloomFilter,
    stats: Stats,
    component_bytes: [u64; 5],
}

fn load_small(fs: &dyn FileSystem, desc: &Descriptor, c: Component, len: u64) -> Result<Vec<u8>> {
    let path = desc.path(c);
    if len > META_BYTES_MAX {
        return Err(SsTableError::corruption(
            &path,
            0,
            "component larger than the limit",
        ));
    }
    let bytes = fs.read_all(&path, META_BYTES_MAX)?;
    check_len(&path, super::codec::len_u64(bytes.len()), len)?;
    Ok(bytes)
}

fn check_len(path: &Path, got: u64, expected: u64) -> Result<()> {
    if got == expected {
        Ok(())
    } else {
        let what = format!("file is {got} bytes, the TOC says {expected}");
        Err(SsTableError::corruption(path, got.min(expected), what))
    }
}

impl SsTableReader {
    /// Opens and verifies the SSTable `descriptor` on `fs`.
    ///
    /// # Errors
    /// `Io` when a file is missing or unreadable; `Corruption`/`ChecksumMismatch` naming
    /// the file and offset when a component is damaged.
    pub fn open(fs: &dyn FileSystem, descriptor: Descriptor) -> Result<Self> {
        let toc_path = descriptor.path(Component::Toc);
        let toc_bytes = fs.read_all(&toc_path, super::codec::len_u64(toc::TOC_BYTES_MAX))?;
        let lengths = toc::parse(&toc_bytes, descriptor.generation, &toc_path)?;
        let [data_len, index_len, summary_len, filter_len, stats_len] = lengths;
        let stats_bytes = load_small(fs, &descriptor, Component::Stats, stats_len)?;
        let stats = Stats::decode(&stats_bytes, &descriptor.path(Component::Stats))?;
        let filter_bytes = load_small(fs, &descriptor, Component::Filter, filter_len)?;
        let bloom = BloomFilter::decode(&filter_bytes, &descriptor.path(Component::Filter))?;
        let summary_bytes = load_small(fs, &descriptor, Component::Summary, summary_len)?;
        let summary_path = descriptor.path(Component::Summary);
        let summary = Summary::decode(&summary_bytes, &summary_path)?;
        if summary.index_len != index_len || summary.entry_count != stats.partition_count {
            return Err(SsTableError::corruption(
                summary_path,
                0,
                "summary disagrees with TOC",
            ));
        }
        let data_path = descriptor.path(Component::Data);
        let data = Mapped::open(fs, &data_path)?;
        check_len(&data_path, super::codec::len_u64(data.len()), data_len)?;
        let chunks = ChunkReader::open(&data, &data_path)?;
        let index_path = descriptor.path(Component::Index);
        let index = Mapped::open(fs, &index_path)?;
        check_len(&index_path, super::codec::len_u64(index.len()), index_len)?;
        check_header(&index, Component::Index, &index_path)?;
        let reader = Self {
            descriptor,
            data_path,
            index_path,
            data,
            index,
            chunks,
            summary,
            bloom,
            stats,
            component_bytes: lengths,
        };
        // Every index entry's checksum, bounds and order, once: lookups then
        // skip entries without re-checking them (the entry found is still
        // checked when decoded).
        reader.verify_index()?;
        Ok(reader)
    }

    /// Serves this table's chunk reads through the engine's shared `cache` (under a
    /// fresh id; the table's entries are purged when the reader is dropped).
    #[must_use]
    pub fn with_cache(mut self, cache: &Arc<ChunkCache>) -> Self {
        self.chunks.attach_cache(cache.attach());
        self
    }

    /// This table's id in the shared chunk cache, when attached.
    #[must_use]
    pub fn cache_id(&self) -> Option<u64> {
        self.chunks.cache_id()
    }

    /// Where this table lives.
    #[must_use]
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// The table's statistics (min/max timestamp, clustering, tokens, ...).
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Bytes on disk of Data, Index, Summary, Filter and Stats (TOC order).
    #[must_use]
    pub fn component_bytes(&self) -> [u64; 5] {
        self.component_bytes
    }

    /// Total bytes on disk (TOC excluded).
    #[must_use]
    pub fn on_disk_bytes(&self) -> u64 {
        self.component_bytes.iter().sum()
    }

    /// The in-memory summary (first/last key, samples).
    #[must_use]
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Uncompressed bytes per Data chunk (the writer's `chunk_length_in_kb`).
    #[must_use]
    pub fn chunk_bytes(&self) -> u64 {
        self.chunks.chunk_bytes()
    }

    /// Data chunks decompressed by this reader so far (tests and metrics).
    #[must_use]
    pub fn chunks_read(&self) -> u64 {
        self.chunks.chunks_read()
    }

    /// False when `key` is certainly not in this table (token range, then bloom filter).
    #[must_use]
    pub fn may_contain(&self, key: &PartitionKey) -> bool {
        let (token, bytes) = (key.token().0, key.key().as_ref());
        let (Some((ft, fk)), Some((lt, lk))) = (&self.summary.first, &self.summary.last) else {
            return false;
        };
        cmp_keys(token, bytes, *ft, fk) != Ordering::Less
            && cmp_keys(token, bytes, *lt, lk) != Ordering::Greater
            && self.bloom.might_contain(bytes)
    }

    /// Checks every byte of the table: every Data chunk's checksum and decompression,
    /// every index entry's checksum, bounds and order, and the entry count (a scrub, or a
    /// start-up check before the table is trusted).
    ///
    /// # Errors
    /// The first corruption found, naming file and offset.
    pub fn verify(&self) -> Result<()> {
        for i in 0..self.chunks.chunk_count() {
            self.chunks.chunk(&self.data, i)?;
        }
        self.verify_index()
    }

    /// Checks every index entry's checksum, bounds and order, and the entry
    /// count against the summary (done by `open`).
    ///
    /// # Errors
    /// The first corruption found, naming file and offset.
    pub fn verify_index(&self) -> Result<()> {
        let mut offset = super::codec::len_u64(super::format::HEADER_LEN);
        let (mut count, mut prev): (u64, Option<(i64, Vec<u8>)>) = (0, None);
        while offset < self.summary.index_len {
            let (entry, next) = self.entry_at(offset)?;
            let ordered = prev
                .as_ref()
                .is_none_or(|(t, k)| cmp_keys(*t, k, entry.token, &entry.key) == Ordering::Less);
            if !ordered {
                return Err(SsTableError::corruption(
                    &self.index_path,
                    offset,
                    "entries out of order",
                ));
            }
            prev = Some((entry.token, entry.key));
            count += 1;
            offset = next;
        }
        if count != self.summary.entry_count || prev != self.summary.last {
            let what = "index entries disagree with the summary";
            return Err(SsTableError::corruption(&self.index_path, offset, what));
        }
        Ok(())
    }

    /// Finds `key`'s index entry.
    ///
    /// # Errors
    /// On a damaged Index.
    pub fn find_entry(&self, key: &PartitionKey) -> Result<Option<IndexEntry>> {
        if !self.may_contain(key) {
            return Ok(None);
        }
        let (token, bytes) = (key.token().0, key.key().as_ref());
        let Some((mut offset, end)) = self.summary.scan_window(token, bytes) else {
            return Ok(None);
        };
        while offset < end {
            let (t, k, next) = IndexEntry::key_at_verified(&self.index, offset, &self.index_path)?;
            match cmp_keys(t, k, token, bytes) {
                Ordering::Less => offset = next,
                Ordering::Equal => return self.entry_at(offset).map(|(entry, _)| Some(entry)),
                Ordering::Greater => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The index entry at `offset` and the offset of the next one.
    pub(crate) fn entry_at(&self, offset: u64) -> Result<(IndexEntry, u64)> {
        let (entry, next) = IndexEntry::decode_at(&self.index, offset, &self.index_path)?;
        let in_bounds = entry
            .data_position
            .checked_add(entry.partition_size)
            .is_some_and(|end| end <= self.chunks.logical_len())
            && entry.header_size <= entry.partition_size;
        if !in_bounds || next > self.summary.index_len {
            return Err(SsTableError::corruption(
                &self.index_path,
                offset,
                "entry out of bounds",
            ));
        }
        Ok((entry, next))
    }

    /// Reads `key`'s partition restricted by `filter`; `None` when the table lacks it.
    ///
    /// # Errors
    /// `Corruption`/`ChecksumMismatch` naming file and offset on damaged bytes.
    pub fn get(&self, key: &PartitionKey, filter: &PartitionFilter) -> Result<Option<Partition>> {
        match self.find_entry(key)? {
            Some(entry) => self
                .read_partition(&entry, filter, &mut LastChunk::default())
                .map(Some),
            None => Ok(None),
        }
    }

    /// Reads the partition `entry` points at, restricted by `filter`.
    ///
    /// # Errors
    /// As [`SsTableReader::get`].
    pub fn read_partition(
        &self,
        entry: &IndexEntry,
        filter: &PartitionFilter,
        cache: &mut LastChunk,
    ) -> Result<Partition> {
        let pos = entry.data_position;
        let header = self.header(entry, cache)?;
        let rows = self.read_rows(entry, filter, cache)?;
        let partition = assemble(header, rows, filter);
        partition.check().map_err(|what| self.corrupt(pos, what))?;
        Ok(partition)
    }

    /// The partition header: from the index entry when inlined, else read and checked.
    pub(crate) fn header(
        &self,
        entry: &IndexEntry,
        cache: &mut LastChunk,
    ) -> Result<PartitionHeader> {
        let pos = entry.data_position;
        if let Some((mark, ldt)) = entry.inline_deletion
            && !entry.blocks.is_empty()
        {
            let key = Bytes::copy_from_slice(&entry.key);
            return Ok(PartitionHeader {
                key: PartitionKey::from_parts(Token(entry.token), key),
                deletion: DeletionTime::new(mark, ldt),
                static_row: None,
                range_tombstones: Vec::new(),
            });
        }
        let head = self.read(pos, entry.header_size, cache)?;
        let (header, used) = decode_header(&head).map_err(|e| e.at(&self.data_path, pos))?;
        let key_ok = header.key.token().0 == entry.token && header.key.key().as_ref() == entry.key;
        if !key_ok || super::codec::len_u64(used) != entry.header_size {
            return Err(self.corrupt(pos, "partition header disagrees with its index entry"));
        }
        Ok(header)
    }

    fn read(&self, pos: u64, len: u64, cache: &mut LastChunk) -> Result<Bytes> {
        self.chunks.read_range_cached(&self.data, pos, len, cache)
    }

    fn corrupt(&self, offset: u64, what: &str) -> SsTableError {
        SsTableError::corruption(
            &self.data_path,
            offset,
            format!("{what} (uncompressed offset)"),
        )
    }

    /// The logical Data spans `(start, len)` holding the rows `filter` may select, in
    /// clustering order: the whole row area of a narrow partition, or the row-index blocks
    /// intersecting the slices of a wide one.
    pub(crate) fn row_spans(
        &self,
        entry: &IndexEntry,
        filter: &PartitionFilter,
    ) -> Result<Vec<(u64, u64)>> {
        let pos = entry.data_position;
        if filter.slices.is_empty() {
            return Ok(Vec::new());
        }
        if entry.blocks.is_empty() {
            let len = entry.partition_size.saturating_sub(entry.header_size);
            return Ok(vec![(pos.saturating_add(entry.header_size), len)]);
        }
        let wanted = super::row_index::blocks_for(&entry.blocks, &filter.slices);
        let mut spans = Vec::with_capacity(wanted.len());
        for block in wanted.iter().filter_map(|&i| entry.blocks.get(i)) {
            let end = block.offset.checked_add(block.size);
            if block.offset < entry.header_size || end.is_none_or(|e| e > entry.partition_size) {
                let what = "row index block outside its partition";
                return Err(SsTableError::corruption(&self.index_path, 0, what));
            }
            spans.push((pos.saturating_add(block.offset), block.size));
        }
        Ok(spans)
    }

    /// Decodes the rows of one span that `filter` selects, at most `max_rows`.
    pub(crate) fn decode_span(
        &self,
        span: (u64, u64),
        filter: &PartitionFilter,
        max_rows: usize,
        cache: &mut LastChunk,
    ) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        self.decode_span_into(span, filter, max_rows, cache, &mut rows)?;
        Ok(rows)
    }

    /// Appends to `out` the rows of one span that `filter` selects, until `out` holds
    /// `max_rows`. The span's chunks are decoded in place (values are views of them).
    fn decode_span_into(
        &self,
        (start, len): (u64, u64),
        filter: &PartitionFilter,
        max_rows: usize,
        cache: &mut LastChunk,
        out: &mut Vec<Row>,
    ) -> Result<()> {
        let pieces = self.chunks.read_pieces(&self.data, start, len, cache)?;
        let positions = SlicePositions::of(&filter.slices);
        decode_row_pieces(&pieces, out, max_rows, |k| positions.choose(k))
            .map_err(|e| e.at(&self.data_path, start))
    }

    /// Reads the selected rows, span by span (from the end when `reversed`), stopping once
    /// `row_limit` rows are collected; returns them in ascending order.
    fn read_rows(
        &self,
        entry: &IndexEntry,
        filter: &PartitionFilter,
        cache: &mut LastChunk,
    ) -> Result<Vec<Row>> {
        let mut spans = self.row_spans(entry, filter)?;
        if !filter.reversed {
            // Forward: one vector, and decoding stops at the limit.
            let max = forward_max(filter);
            let mut rows = Vec::with_capacity(filter.row_limit.unwrap_or(0).min(1024));
            for span in spans {
                self.decode_span_into(span, filter, max, cache, &mut rows)?;
                if rows.len() >= max {
                    break;
                }
            }
            return Ok(apply_limit(rows, filter));
        }
        spans.reverse();
        let mut batches: Vec<Vec<Row>> = Vec::new();
        let mut count = 0usize;
        for span in spans {
            let rows = self.decode_span(span, filter, usize::MAX, cache)?;
            count += rows.len();
            batches.push(rows);
            if filter.row_limit.is_some_and(|limit| count >= limit) {
                break;
            }
        }
        batches.reverse();
        Ok(apply_limit(batches.into_iter().flatten().collect(), filter))
    }
}

/// The slices as plain key positions, so deciding per row is a few byte comparisons:
/// a key is in a slice when `start <= key` and (no end or) `key < end`.
struct SlicePositions(Vec<(Bytes, Option<Bytes>)>);

impl SlicePositions {
    fn of(slices: &Slices) -> Self {
        let positions = slices
            .as_slice()
            .iter()
            .filter_map(|s| Some((s.start.position_bytes()?, s.end.position_bytes())))
            .collect();
        Self(positions)
    }

    /// Keep rows inside the slices, skip rows between them, stop after the last slice.
    fn choose(&self, key: &[u8]) -> RowChoice {
        for (start, end) in &self.0 {
            if end
                .as_ref()
                .is_some_and(|e| cmp_key_bytes(key, e) != Ordering::Less)
            {
                continue;
            }
            return if cmp_key_bytes(key, start) == Ordering::Less {
                RowChoice::Skip
            } else {
                RowChoice::Keep
            };
        }
        RowChoice::Stop
    }
}

/// Rows a forward read may stop after (reversed reads need the last rows, so all).
fn forward_max(filter: &PartitionFilter) -> usize {
    match filter.row_limit {
        Some(limit) if !filter.reversed => limit,
        _ => usize::MAX,
    }
}

fn apply_limit(mut rows: Vec<Row>, filter: &PartitionFilter) -> Vec<Row> {
    if let Some(limit) = filter.row_limit
        && rows.len() > limit
    {
        if filter.reversed {
            rows.drain(..rows.len() - limit);
        } else {
            rows.truncate(limit);
        }
    }
    rows
}

/// Drops the cells (and complex deletions) of columns not in `columns` (sorted).
pub(crate) fn keep_columns(row: &mut Row, columns: &[ColumnId]) {
    row.cells
        .retain(|c| columns.binary_search(&c.column).is_ok());
    row.complex_deletions
        .retain(|(c, _)| columns.binary_search(c).is_ok());
}

fn assemble(header: PartitionHeader, mut rows: Vec<Row>, filter: &PartitionFilter) -> Partition {
    let PartitionHeader {
        key,
        deletion,
        mut static_row,
        mut range_tombstones,
    } = header;
    if let Some(columns) = &filter.columns {
        rows.iter_mut()
            .chain(static_row.as_mut())
            .for_each(|r| keep_columns(r, columns));
    }
    if !filter.slices.selects_all() {
        range_tombstones.retain(|rt| {
            filter
                .slices
                .as_slice()
                .iter()
                .any(|s| s.intersects(&rt.slice))
        });
    }
    Partition {
        key,
        partition_deletion: deletion,
        static_row,
        rows,
        range_tombstones,
    }
}
