//! `SsTableWriter`: partitions in `(token, key)` order -> a published SSTable.
//!
//! Each partition is serialized (`layout`), appended to the chunked Data stream, indexed
//! (one Index entry, every `SUMMARY_INTERVAL`-th sampled into the Summary), hashed for the
//! bloom filter and folded into the Stats. `finish` writes the small components, fsyncs
//! every file, renames them from `*.tmp` to their published names with the TOC last,
//! and fsyncs the directory (`io`). Invariants: partitions strictly increase; every
//! value written is within the limits the reader enforces, so whatever we write we can
//! read back.

use std::io::Write;
use std::sync::Arc;

use super::block::ChunkWriter;
use super::bloom::{BloomBuilder, hash64};
use super::codec::len_u64;
use super::error::{Result, SsTableError};
use super::format::{
    CHUNK_BYTES_DEFAULT, CLUSTERING_BYTES_MAX, Component, Descriptor, HEADER_LEN, ITEMS_MAX,
    KEY_BYTES_MAX, ROW_INDEX_BLOCK_BYTES, SUMMARY_INTERVAL, VALUE_BYTES_MAX, put_header,
};
use super::index::{IndexEntry, Summary, SummaryEntry};
use super::io::{self, BufferedFile};
use super::layout::encode_partition;
use super::stats::Stats;
use super::toc;
use crate::fs::FileSystem;
use crate::model::{CellKind, Partition, PartitionKey, PartitionView, Row};

/// Knobs of one SSTable write.
#[derive(Debug, Clone, PartialEq)]
pub struct WriterOptions {
    /// Uncompressed bytes per Data chunk (`chunk_length_in_kb`).
    pub chunk_bytes: u32,
    /// Bloom filter false-positive chance (`bloom_filter_fp_chance`).
    pub bloom_fp_chance: f64,
    /// Target bytes per row-index block inside a wide partition.
    pub row_index_block_bytes: u64,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            chunk_bytes: CHUNK_BYTES_DEFAULT,
            bloom_fp_chance: super::bloom::builder::FP_CHANCE_DEFAULT,
            row_index_block_bytes: ROW_INDEX_BLOCK_BYTES,
        }
    }
}

/// What a finished write produced.
#[derive(Debug, Clone)]
pub struct WrittenSsTable {
    /// Where the published table lives.
    pub descriptor: Descriptor,
    /// Its statistics.
    pub stats: Stats,
    /// Bytes of each listed component (Data, Index, Summary, Filter, Stats).
    pub component_bytes: [u64; 5],
}

/// Streams partitions into a new SSTable.
#[derive(Debug)]
pub struct SsTableWriter {
    fs: Arc<dyn FileSystem>,
    descriptor: Descriptor,
    options: WriterOptions,
    data: ChunkWriter<BufferedFile>,
    index: BufferedFile,
    index_pos: u64,
    summary: Summary,
    key_hashes: Vec<u64>,
    stats: Stats,
    last_key: Option<PartitionKey>,
    scratch: Vec<u8>,
    entry_buf: Vec<u8>,
}

impl SsTableWriter {
    /// Starts writing generation `descriptor` on `fs` (temporary files are created now).
    ///
    /// # Errors
    /// `Io` when a file cannot be created; `InvalidInput` for bad options.
    pub fn create(
        fs: Arc<dyn FileSystem>,
        descriptor: Descriptor,
        options: WriterOptions,
    ) -> Result<Self> {
        if options.row_index_block_bytes == 0 {
            return Err(SsTableError::InvalidInput("row index block size 0".into()));
        }
        let (data, index) = match open_streams(fs.as_ref(), &descriptor, &options) {
            Ok(streams) => streams,
            Err(e) => {
                remove_temporaries(fs.as_ref(), &descriptor);
                return Err(e);
            }
        };
        Ok(Self {
            fs,
            descriptor,
            options,
            data,
            index,
            index_pos: len_u64(HEADER_LEN),
            summary: Summary::default(),
            key_hashes: Vec::new(),
            stats: Stats::default(),
            last_key: None,
            scratch: Vec::new(),
            entry_buf: Vec::new(),
        })
    }

    /// Statistics of the partitions appended so far.
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Logical Data bytes written so far (lets compaction cut output tables by size).
    #[must_use]
    pub fn data_position(&self) -> u64 {
        self.data.position()
    }

    /// Appends the next partition.
    ///
    /// # Errors
    /// `InvalidInput` when `partition` does not sort after the previous one, breaks the
    /// partition invariants or exceeds a format limit; `Io` when writing fails.
    pub fn append(&mut self, partition: &Partition) -> Result<()> {
        self.append_view(&partition.as_view())
    }

    /// As [`SsTableWriter::append`], from a borrowed partition (flush encodes the
    /// memtable's rows in place, without copying them).
    ///
    /// # Errors
    /// As [`SsTableWriter::append`].
    pub fn append_view<'a, R>(&mut self, partition: &PartitionView<'a, R>) -> Result<()>
    where
        R: Iterator<Item = &'a Row> + ExactSizeIterator + Clone,
    {
        if let Some(last) = &self.last_key
            && *partition.key <= *last
        {
            return Err(SsTableError::InvalidInput(format!(
                "partition {:?} does not sort after {:?}",
                partition.key, last
            )));
        }
        validate(partition)?;
        self.scratch.clear();
        let enc = encode_partition(
            partition,
            &mut self.scratch,
            &mut self.stats,
            self.options.row_index_block_bytes,
        );
        let (token, key) = (partition.key.token().0, partition.key.key().to_vec());
        let entry = IndexEntry {
            token,
            key: Vec::new(),
            data_position: self.data.position(),
            partition_size: enc.size,
            header_size: enc.header_size,
            inline_deletion: (!enc.blocks.is_empty()
                && partition.static_row.is_none()
                && partition.range_tombstones.is_empty())
            .then_some((
                partition.partition_deletion.marked_for_delete_at,
                partition.partition_deletion.local_deletion_time,
            )),
            blocks: enc.blocks,
        };
        self.data.write(&self.scratch)?;
        if self
            .summary
            .entry_count
            .is_multiple_of(len_u64(SUMMARY_INTERVAL))
        {
            let index_offset = self.index_pos;
            self.summary.samples.push(SummaryEntry {
                token,
                key: key.clone(),
                index_offset,
            });
        }
        self.entry_buf.clear();
        entry.encode_into(&mut self.entry_buf, &key)?;
        let descriptor = &self.descriptor;
        self.index
            .write_all(&self.entry_buf)
            .map_err(|e| SsTableError::io(descriptor.tmp_path(Component::Index), e))?;
        self.index_pos += len_u64(self.entry_buf.len());
        self.summary.entry_count += 1;
        if self.summary.first.is_none() {
            self.summary.first = Some((token, key));
        }
        self.key_hashes.push(hash64(partition.key.key()));
        self.last_key = Some(partition.key.clone());
        Ok(())
    }

    /// Writes the remaining components, fsyncs and publishes the SSTable.
    ///
    /// # Errors
    /// `Io` on any failure; the temporary files are then removed.
    pub fn finish(self) -> Result<WrittenSsTable> {
        let (fs, descriptor) = (self.fs.clone(), self.descriptor.clone());
        let result = self.finish_inner();
        if result.is_err() {
            remove_temporaries(fs.as_ref(), &descriptor);
        }
        result
    }

    /// Abandons the write and removes the temporary files.
    pub fn abort(self) {
        let (fs, descriptor) = (self.fs.clone(), self.descriptor.clone());
        drop(self);
        remove_temporaries(fs.as_ref(), &descriptor);
    }

    fn finish_inner(mut self) -> Result<WrittenSsTable> {
        let (d, fs) = (&self.descriptor, self.fs.as_ref());
        self.data.finish()?.finish()?;
        self.index.finish()?;
        self.summary.index_len = self.index_pos;
        self.summary.last = self
            .last_key
            .as_ref()
            .map(|k| (k.token().0, k.key().to_vec()));
        io::write_whole(fs, &d.tmp_path(Component::Summary), &self.summary.encode())?;
        let mut bloom =
            BloomBuilder::new(len_u64(self.key_hashes.len()), self.options.bloom_fp_chance);
        self.key_hashes.iter().for_each(|h| bloom.add_hash(*h));
        io::write_whole(fs, &d.tmp_path(Component::Filter), &bloom.finish().encode())?;
        io::write_whole(fs, &d.tmp_path(Component::Stats), &self.stats.encode())?;
        let mut lengths = [0u64; 5];
        for (c, len) in toc::LISTED.iter().zip(&mut lengths) {
            *len = fs.file_len(&d.tmp_path(*c))?;
        }
        let toc_text = toc::render(d.generation, &lengths);
        io::write_whole(fs, &d.tmp_path(Component::Toc), toc_text.as_bytes())?;
        for c in Component::ALL {
            fs.rename(&d.tmp_path(c), &d.path(c))?;
        }
        fs.sync_dir(&d.dir)?;
        tracing::debug!(
            generation = d.generation,
            partitions = self.stats.partition_count,
            data_bytes = lengths[0],
            "sstable published"
        );
        Ok(WrittenSsTable {
            descriptor: self.descriptor,
            stats: self.stats,
            component_bytes: lengths,
        })
    }
}

fn open_streams(
    fs: &dyn FileSystem,
    descriptor: &Descriptor,
    options: &WriterOptions,
) -> Result<(ChunkWriter<BufferedFile>, BufferedFile)> {
    let data_path = descriptor.tmp_path(Component::Data);
    let data_file = BufferedFile::create(fs, &data_path)?;
    let data = ChunkWriter::new(data_file, data_path, options.chunk_bytes)?;
    let index_path = descriptor.tmp_path(Component::Index);
    let mut index = BufferedFile::create(fs, &index_path)?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    put_header(&mut header, Component::Index);
    index
        .write_all(&header)
        .map_err(|e| SsTableError::io(&index_path, e))?;
    Ok((data, index))
}

fn remove_temporaries(fs: &dyn FileSystem, descriptor: &Descriptor) {
    for c in Component::ALL {
        io::remove_quietly(fs, &descriptor.tmp_path(c));
    }
}

fn too_large(what: &str, len: usize, max: usize) -> SsTableError {
    SsTableError::InvalidInput(format!("{what} of {len} bytes exceeds the limit of {max}"))
}

/// Checks the partition invariants and every length the reader will enforce.
fn validate<'a, R>(p: &PartitionView<'a, R>) -> Result<()>
where
    R: Iterator<Item = &'a Row> + ExactSizeIterator + Clone,
{
    p.check()
        .map_err(|e| SsTableError::InvalidInput(format!("partition {:?}: {e}", p.key)))?;
    if p.key.key().len() > KEY_BYTES_MAX {
        return Err(too_large("partition key", p.key.key().len(), KEY_BYTES_MAX));
    }
    if p.rows.len() > ITEMS_MAX || p.range_tombstones.len() > ITEMS_MAX {
        return Err(too_large(
            "row or range tombstone count",
            p.rows.len(),
            ITEMS_MAX,
        ));
    }
    for rt in p.range_tombstones {
        for prefix in [&rt.slice.start.prefix, &rt.slice.end.prefix] {
            if prefix.len() > CLUSTERING_BYTES_MAX {
                return Err(too_large(
                    "range tombstone bound",
                    prefix.len(),
                    CLUSTERING_BYTES_MAX,
                ));
            }
        }
    }
    p.rows
        .clone()
        .chain(p.static_row)
        .try_for_each(validate_row)
}

fn validate_row(row: &Row) -> Result<()> {
    let clustering = row.clustering.as_bytes().len();
    if clustering > CLUSTERING_BYTES_MAX {
        return Err(too_large(
            "clustering key",
            clustering,
            CLUSTERING_BYTES_MAX,
        ));
    }
    if row.cells.len() > ITEMS_MAX || row.complex_deletions.len() > ITEMS_MAX {
        return Err(too_large("cell count", row.cells.len(), ITEMS_MAX));
    }
    for cell in &row.cells {
        let path = cell.path.as_ref().map_or(0, |p| p.len());
        let value = match &cell.kind {
            CellKind::Live { value } | CellKind::Expiring { value, .. } => value.len(),
            CellKind::Counter { shards } => shards.shards().len().min(ITEMS_MAX + 1),
            CellKind::Tombstone { .. } => 0,
        };
        if path.max(value) > VALUE_BYTES_MAX {
            return Err(too_large(
                "cell value or path",
                path.max(value),
                VALUE_BYTES_MAX,
            ));
        }
    }
    Ok(())
}
