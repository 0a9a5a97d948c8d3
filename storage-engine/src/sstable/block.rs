//! The Data file's chunk layer: a logical byte stream cut into fixed-size chunks,
//! each LZ4-compressed (`lz4_flex` block API) and followed by its CRC-32.
//!
//! Layout after the common header: `chunk* | chunk table | footer`, where a chunk is
//! `lz4 block | crc32(lz4 block) u32`, the chunk table is
//! `chunk_bytes u32 | logical_len u64 | count u32 | file_offset u64 * count`, and the
//! 16-byte footer is `table_offset u64 | crc32(table) u32 | magic "SBYL"`.
//! Every chunk but the last holds exactly `chunk_bytes` logical bytes, so logical
//! position `p` lives in chunk `p / chunk_bytes`. Readers verify the checksum before
//! decompressing and the decompressed length after; bad bytes are a typed error naming
//! the file and the chunk's offset, never a panic and never wrong data.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use super::chunk_cache::CacheSlot;
use super::codec::{ByteReader, crc32, len_u64};
use super::error::{Result, SsTableError};
use super::format::{CHUNK_BYTES_MAX, CHUNK_BYTES_MIN, Component, HEADER_LEN, MAGIC, put_header};

/// Length of the Data file footer.
pub const FOOTER_LEN: usize = 16;

/// Streams logical bytes into compressed, checksummed chunks.
#[derive(Debug)]
pub struct ChunkWriter<W: Write> {
    out: W,
    file: PathBuf,
    chunk_bytes: usize,
    buf: Vec<u8>,
    file_pos: u64,
    logical_flushed: u64,
    offsets: Vec<u64>,
}

impl<W: Write> ChunkWriter<W> {
    /// Starts a Data file on `out` (writes the header) with chunks of `chunk_bytes`.
    ///
    /// # Errors
    /// `InvalidInput` for a chunk size outside the limits; `Io` when writing fails.
    pub fn new(mut out: W, file: PathBuf, chunk_bytes: u32) -> Result<Self> {
        if !(CHUNK_BYTES_MIN..=CHUNK_BYTES_MAX).contains(&chunk_bytes) {
            return Err(SsTableError::InvalidInput(format!(
                "chunk size {chunk_bytes} outside {CHUNK_BYTES_MIN}..={CHUNK_BYTES_MAX}"
            )));
        }
        let mut header = Vec::with_capacity(HEADER_LEN);
        put_header(&mut header, Component::Data);
        out.write_all(&header)
            .map_err(|e| SsTableError::io(&file, e))?;
        let chunk_bytes = usize::try_from(chunk_bytes)
            .map_err(|_| SsTableError::InvalidInput("chunk size".into()))?;
        Ok(Self {
            out,
            file,
            chunk_bytes,
            buf: Vec::with_capacity(chunk_bytes),
            file_pos: len_u64(HEADER_LEN),
            logical_flushed: 0,
            offsets: Vec::new(),
        })
    }

    /// The logical position the next written byte will have.
    #[must_use]
    pub fn position(&self) -> u64 {
        self.logical_flushed + len_u64(self.buf.len())
    }

    /// Appends logical bytes, emitting every chunk that fills up.
    ///
    /// # Errors
    /// `Io` when writing fails.
    pub fn write(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            let room = self.chunk_bytes - self.buf.len();
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.buf.extend_from_slice(now);
            bytes = rest;
            if self.buf.len() == self.chunk_bytes {
                self.emit_chunk()?;
            }
        }
        Ok(())
    }

    fn emit_chunk(&mut self) -> Result<()> {
        let compressed = lz4_flex::block::compress(&self.buf);
        let crc = crc32(&compressed);
        self.out
            .write_all(&compressed)
            .map_err(|e| SsTableError::io(&self.file, e))?;
        self.out
            .write_all(&crc.to_le_bytes())
            .map_err(|e| SsTableError::io(&self.file, e))?;
        self.offsets.push(self.file_pos);
        self.file_pos += len_u64(compressed.len()) + 4;
        self.logical_flushed += len_u64(self.buf.len());
        self.buf.clear();
        Ok(())
    }

    /// Writes the last chunk, the chunk table and the footer; returns the writer.
    ///
    /// # Errors
    /// `Io` when writing fails.
    pub fn finish(mut self) -> Result<W> {
        if !self.buf.is_empty() {
            self.emit_chunk()?;
        }
        let mut table = Vec::with_capacity(16 + self.offsets.len() * 8);
        let chunk_bytes = u32::try_from(self.chunk_bytes)
            .map_err(|_| SsTableError::InvalidInput("chunk size".into()))?;
        table.extend_from_slice(&chunk_bytes.to_le_bytes());
        table.extend_from_slice(&self.logical_flushed.to_le_bytes());
        let count = u32::try_from(self.offsets.len())
            .map_err(|_| SsTableError::InvalidInput("too many chunks".into()))?;
        table.extend_from_slice(&count.to_le_bytes());
        for off in &self.offsets {
            table.extend_from_slice(&off.to_le_bytes());
        }
        let mut footer = Vec::with_capacity(FOOTER_LEN);
        footer.extend_from_slice(&self.file_pos.to_le_bytes());
        footer.extend_from_slice(&crc32(&table).to_le_bytes());
        footer.extend_from_slice(&MAGIC);
        self.out
            .write_all(&table)
            .map_err(|e| SsTableError::io(&self.file, e))?;
        self.out
            .write_all(&footer)
            .map_err(|e| SsTableError::io(&self.file, e))?;
        Ok(self.out)
    }
}

/// Read access to the chunks of one Data file held in memory (usually an mmap).
#[derive(Debug)]
pub struct ChunkReader {
    file: PathBuf,
    chunk_bytes: u64,
    logical_len: u64,
    table_offset: u64,
    offsets: Vec<u64>,
    chunks_read: AtomicU64,
    slot: Option<CacheSlot>,
}

impl ChunkReader {
    /// Parses the footer and chunk table of `bytes` (the whole Data file).
    ///
    /// # Errors
    /// `Corruption`/`ChecksumMismatch` naming `file` when the footer or table is bad.
    pub fn open(bytes: &[u8], file: &Path) -> Result<Self> {
        super::format::check_header(bytes, Component::Data, file)?;
        let len = len_u64(bytes.len());
        let footer_at = bytes
            .len()
            .checked_sub(FOOTER_LEN)
            .filter(|f| *f >= HEADER_LEN);
        let footer_at = footer_at.ok_or_else(|| SsTableError::corruption(file, 0, "too short"))?;
        let foot_off = len_u64(footer_at);
        let mut r = ByteReader::new(bytes.get(footer_at..).unwrap_or_default());
        let table_offset = r.u64("table offset").map_err(|e| e.at(file, foot_off))?;
        let expected = r.u32("table crc").map_err(|e| e.at(file, foot_off))?;
        if r.take(4, "magic").map_err(|e| e.at(file, foot_off))? != MAGIC {
            return Err(SsTableError::corruption(
                file,
                foot_off + 12,
                "bad footer magic",
            ));
        }
        let table = usize::try_from(table_offset)
            .ok()
            .filter(|t| *t >= HEADER_LEN && *t <= footer_at)
            .and_then(|t| bytes.get(t..footer_at))
            .ok_or_else(|| SsTableError::corruption(file, foot_off, "bad chunk table offset"))?;
        let got = crc32(table);
        if got != expected {
            let file = file.to_path_buf();
            return Err(SsTableError::ChecksumMismatch {
                file,
                offset: table_offset,
                expected,
                got,
            });
        }
        let mut r = ByteReader::new(table);
        let at = |e: super::codec::DecodeError| e.at(file, table_offset);
        let chunk_bytes = r.u32("chunk size").map_err(at)?;
        let logical_len = r.u64("logical length").map_err(at)?;
        let count = r.u32("chunk count").map_err(at)?;
        let bad = |what: &str| SsTableError::corruption(file, table_offset, what);
        if !(CHUNK_BYTES_MIN..=CHUNK_BYTES_MAX).contains(&chunk_bytes) {
            return Err(bad("chunk size out of range"));
        }
        let chunk_bytes = u64::from(chunk_bytes);
        if logical_len.div_ceil(chunk_bytes) != u64::from(count) {
            return Err(bad("chunk count disagrees with logical length"));
        }
        if len_u64(r.remaining()) != u64::from(count) * 8 {
            return Err(bad("chunk table length"));
        }
        let mut offsets = Vec::with_capacity(r.remaining() / 8);
        let mut prev = len_u64(HEADER_LEN);
        for _ in 0..count {
            let off = r.u64("chunk offset").map_err(at)?;
            if off < prev || off > table_offset {
                return Err(bad("chunk offsets not increasing"));
            }
            prev = off + 4;
            offsets.push(off);
        }
        debug_assert!(table_offset <= len);
        let file = file.to_path_buf();
        Ok(Self {
            file,
            chunk_bytes,
            logical_len,
            table_offset,
            offsets,
            chunks_read: 0.into(),
            slot: None,
        })
    }

    /// Total logical (uncompressed) length.
    #[must_use]
    pub fn logical_len(&self) -> u64 {
        self.logical_len
    }

    /// Number of chunks decompressed so far (for tests and metrics).
    #[must_use]
    pub fn chunks_read(&self) -> u64 {
        self.chunks_read.load(Ordering::Relaxed)
    }

    /// Uncompressed bytes per chunk.
    #[must_use]
    pub fn chunk_bytes(&self) -> u64 {
        self.chunk_bytes
    }

    /// Number of chunks in the file.
    #[must_use]
    pub fn chunk_count(&self) -> usize {
        self.offsets.len()
    }

    /// Decompresses chunk `index` after verifying its checksum.
    ///
    /// # Errors
    /// `ChecksumMismatch` or `Corruption` naming the file and the chunk's offset.
    pub fn chunk(&self, bytes: &[u8], index: usize) -> Result<Vec<u8>> {
        let bad = |off: u64, what: &str| SsTableError::corruption(&self.file, off, what);
        let start = *self
            .offsets
            .get(index)
            .ok_or_else(|| bad(0, "chunk index out of range"))?;
        let end = self
            .offsets
            .get(index + 1)
            .copied()
            .unwrap_or(self.table_offset);
        let span = usize::try_from(start)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(s, e)| bytes.get(s..e))
            .ok_or_else(|| bad(start, "chunk outside file"))?;
        let (data, crc) = span
            .split_at_checked(span.len().saturating_sub(4))
            .filter(|(_, c)| c.len() == 4)
            .ok_or_else(|| bad(start, "chunk shorter than its checksum"))?;
        let expected = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        let got = crc32(data);
        if expected != got {
            let file = self.file.clone();
            return Err(SsTableError::ChecksumMismatch {
                file,
                offset: start,
                expected,
                got,
            });
        }
        let first = len_u64(index) * self.chunk_bytes;
        let want = self.chunk_bytes.min(self.logical_len.saturating_sub(first));
        let want = usize::try_from(want).map_err(|_| bad(start, "chunk size"))?;
        let mut out = vec![0u8; want];
        let n = lz4_flex::block::decompress_into(data, &mut out)
            .map_err(|e| bad(start, &format!("lz4: {e}")))?;
        if n != want {
            return Err(bad(start, "chunk decompressed to the wrong length"));
        }
        self.chunks_read.fetch_add(1, Ordering::Relaxed);
        Ok(out)
    }

    /// Attaches the engine's shared chunk cache: later ranged reads consult it.
    pub fn attach_cache(&mut self, slot: CacheSlot) {
        self.slot = Some(slot);
    }

    /// This reader's id in the shared chunk cache, when attached.
    #[must_use]
    pub fn cache_id(&self) -> Option<u64> {
        self.slot.as_ref().map(CacheSlot::id)
    }

    /// Chunk `index` as shared bytes: through the chunk cache when attached (kept there
    /// when `insert`), else decompressed and verified now.
    fn shared_chunk(&self, bytes: &[u8], index: usize, insert: bool) -> Result<Bytes> {
        match &self.slot {
            Some(slot) => {
                slot.get_or_load(index, insert, || self.chunk(bytes, index).map(Bytes::from))
            }
            None => self.chunk(bytes, index).map(Bytes::from),
        }
    }

    /// Reads logical bytes `[start, start + len)`, decompressing only the chunks covering them.
    ///
    /// # Errors
    /// `Corruption` when the range is outside the file; chunk errors as [`ChunkReader::chunk`].
    pub fn read_range(&self, bytes: &[u8], start: u64, len: u64) -> Result<Bytes> {
        self.read_range_cached(bytes, start, len, &mut LastChunk::default())
    }

    /// As [`ChunkReader::read_range`], reusing the last chunk fetched through `last`
    /// (sequential scans and neighbouring row-index blocks share chunks). A range inside
    /// one chunk is a view of the chunk's shared bytes, not a copy.
    ///
    /// # Errors
    /// As [`ChunkReader::read_range`].
    pub fn read_range_cached(
        &self,
        bytes: &[u8],
        start: u64,
        len: u64,
        last: &mut LastChunk,
    ) -> Result<Bytes> {
        let pieces = self.read_pieces(bytes, start, len, last)?;
        match pieces.as_slice() {
            [] => Ok(Bytes::new()),
            [one] => Ok(one.clone()),
            many => {
                let cap =
                    usize::try_from(len).map_err(|_| SsTableError::InvalidInput("range".into()))?;
                let mut out = Vec::with_capacity(cap);
                many.iter().for_each(|p| out.extend_from_slice(p));
                Ok(Bytes::from(out))
            }
        }
    }

    /// Logical bytes `[start, start + len)` as views of the chunks covering them, in
    /// order (one piece per chunk; nothing is copied). Reuses and updates `last` as
    /// [`ChunkReader::read_range_cached`].
    ///
    /// # Errors
    /// As [`ChunkReader::read_range`].
    pub fn read_pieces(
        &self,
        bytes: &[u8],
        start: u64,
        len: u64,
        last: &mut LastChunk,
    ) -> Result<Vec<Bytes>> {
        let end = start
            .checked_add(len)
            .filter(|e| *e <= self.logical_len)
            .ok_or_else(|| SsTableError::corruption(&self.file, start, "range past data end"))?;
        let mut pieces = Vec::with_capacity(2);
        let mut pos = start;
        while pos < end {
            let index = pos / self.chunk_bytes;
            let idx =
                usize::try_from(index).map_err(|_| SsTableError::InvalidInput("idx".into()))?;
            let chunk = match &last.last {
                Some((i, c)) if *i == idx => c.clone(),
                _ => {
                    let c = self.shared_chunk(bytes, idx, last.populate)?;
                    last.last = Some((idx, c.clone()));
                    c
                }
            };
            let base = index * self.chunk_bytes;
            let from = usize::try_from(pos - base).unwrap_or(usize::MAX);
            let to = usize::try_from(end.min(base + self.chunk_bytes) - base).unwrap_or(0);
            if from > to || to > chunk.len() {
                return Err(SsTableError::corruption(
                    &self.file,
                    start,
                    "chunk too short",
                ));
            }
            pos = base + len_u64(to);
            pieces.push(chunk.slice(from..to));
        }
        Ok(pieces)
    }
}

impl Drop for ChunkReader {
    /// Purges this reader's chunks from the shared cache: no one can read them any more.
    fn drop(&mut self) {
        if let Some(slot) = &self.slot {
            slot.purge(self.offsets.len());
        }
    }
}

/// The last chunk one read fetched, kept for the next read of the same chunk, and
/// whether that read fills the shared chunk cache.
#[derive(Debug)]
pub struct LastChunk {
    last: Option<(usize, Bytes)>,
    populate: bool,
}

impl Default for LastChunk {
    /// A point or slice read: chunks it misses are kept in the shared cache.
    fn default() -> Self {
        Self {
            last: None,
            populate: true,
        }
    }
}

impl LastChunk {
    /// A scan (compaction, token-range scans): it uses cached chunks but does not fill
    /// the cache, so one pass over a table does not evict the chunks reads keep using.
    #[must_use]
    pub fn scan() -> Self {
        Self {
            last: None,
            populate: false,
        }
    }
}

#[cfg(test)]
#[path = "block_tests.rs"]
mod tests;
