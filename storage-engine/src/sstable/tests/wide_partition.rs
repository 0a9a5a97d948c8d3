//! Goal: a slice of a huge time-series partition reads only the row-index blocks it
//! needs. Method: one partition of 1,000,000 small rows; read a 100-row slice forward,
//! and the last 100 rows reversed, and count the Data chunks decompressed.

use std::time::Instant;

use bytes::Bytes;

use super::{wide, write_and_open};
use crate::model::{ClusteringBound, Slice, Slices};
use crate::sstable::format::CHUNK_BYTES_DEFAULT;
use crate::sstable::reader::PartitionFilter;
use crate::sstable::writer::WriterOptions;

const ROWS: u64 = 1_000_000;

/// Most bytes a 100-row slice may decompress: a few row-index blocks (~64 KiB each).
const SLICE_BYTES_MAX: u64 = 256 * 1024;

fn decompressed(chunks: u64) -> u64 {
    chunks * u64::from(CHUNK_BYTES_DEFAULT)
}

fn key(i: u64) -> Bytes {
    Bytes::copy_from_slice(&i.to_be_bytes())
}

#[test]
fn slice_of_a_million_row_partition_reads_few_chunks() {
    let started = Instant::now();
    let p = wide("sensor-1", ROWS, 4);
    let dir = tempfile::tempdir().unwrap();
    let reader = write_and_open(
        dir.path(),
        std::slice::from_ref(&p),
        WriterOptions::default(),
    );
    let written = started.elapsed();
    let entry = reader.find_entry(&p.key).unwrap().unwrap();
    assert!(
        entry.blocks.len() > 100,
        "row index has {} blocks",
        entry.blocks.len()
    );
    assert_eq!(reader.stats().partition_count, 1);

    let slice = Slice {
        start: ClusteringBound::inclusive_start(key(500_000)),
        end: ClusteringBound::exclusive_end(key(500_100)),
    };
    let before = reader.chunks_read();
    let got = reader
        .get(&p.key, &PartitionFilter::slices(Slices::new(vec![slice])))
        .unwrap()
        .unwrap();
    let forward_chunks = reader.chunks_read() - before;
    assert_eq!(got.rows.len(), 100);
    assert_eq!(got.rows[..], p.rows[500_000..500_100]);
    assert!(
        decompressed(forward_chunks) <= SLICE_BYTES_MAX,
        "a 100-row slice decompressed {forward_chunks} chunks"
    );

    let before = reader.chunks_read();
    let filter = PartitionFilter {
        reversed: true,
        row_limit: Some(100),
        ..PartitionFilter::all()
    };
    let last = reader.get(&p.key, &filter).unwrap().unwrap();
    let reversed_chunks = reader.chunks_read() - before;
    assert_eq!(last.rows[..], p.rows[p.rows.len() - 100..]);
    assert!(
        decompressed(reversed_chunks) <= SLICE_BYTES_MAX,
        "the last 100 rows decompressed {reversed_chunks} chunks"
    );

    // Streaming backwards from the end: the newest 10 points touch one block.
    let before = reader.chunks_read();
    let filter = PartitionFilter {
        reversed: true,
        ..PartitionFilter::all()
    };
    let newest: Vec<_> = crate::sstable::rows::PartitionRows::new(&reader, &entry, filter)
        .unwrap()
        .take(10)
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(newest.iter().rev().eq(p.rows[p.rows.len() - 10..].iter()));
    assert!(
        decompressed(reader.chunks_read() - before) <= SLICE_BYTES_MAX / 2,
        "streaming read too many chunks"
    );

    let stats = reader.stats();
    assert_eq!(stats.row_count, ROWS);
    assert_eq!(stats.min_clustering.as_deref(), Some(&key(0)[..]));
    assert_eq!(stats.max_clustering.as_deref(), Some(&key(ROWS - 1)[..]));
    eprintln!(
        "1M-row partition: write+open {written:?}, {} row-index blocks, slice read {forward_chunks} chunks, \
         reversed read {reversed_chunks} chunks, total {:?}",
        entry.blocks.len(),
        started.elapsed()
    );
}
