//! In-crate tests of whole SSTables (writer -> files -> reader), using the model's
//! proptest strategies. One behaviour per file.

mod corruption;
mod crash;
mod pieces;
mod round_trip;
mod wide_partition;

use std::sync::Arc;

use bytes::Bytes;

use super::format::Descriptor;
use super::reader::SsTableReader;
use super::writer::{SsTableWriter, WriterOptions};
use crate::model::{Cell, ClusteringKey, LivenessInfo, Partition, PartitionKey, Row};

/// The real file system.
fn fs() -> Arc<dyn crate::fs::FileSystem> {
    Arc::new(crate::fs::StdFs)
}

/// Sorts by key, drops duplicate keys and empty partitions (the writer's input contract).
fn normalise(mut parts: Vec<Partition>) -> Vec<Partition> {
    parts.sort_by(|a, b| a.key.cmp(&b.key));
    parts.dedup_by(|a, b| a.key == b.key);
    parts
}

/// Writes `parts` as generation 1 in `dir` and opens it.
fn write_and_open(
    dir: &std::path::Path,
    parts: &[Partition],
    opts: WriterOptions,
) -> Arc<SsTableReader> {
    let desc = Descriptor::new(dir, 1);
    let mut w = SsTableWriter::create(fs(), desc.clone(), opts).unwrap();
    for p in parts {
        w.append(p).unwrap();
    }
    let written = w.finish().unwrap();
    assert_eq!(written.stats.partition_count, parts.len() as u64);
    Arc::new(SsTableReader::open(fs().as_ref(), desc).unwrap())
}

/// A partition of `rows` simple rows with 8-byte big-endian clustering keys.
fn wide(key: &str, rows: u64, value_bytes: usize) -> Partition {
    let mut p = Partition::new(PartitionKey::new(Bytes::copy_from_slice(key.as_bytes())));
    let value = Bytes::from(vec![0xabu8; value_bytes]);
    p.rows = (0..rows)
        .map(|i| {
            Row::new(ClusteringKey::new(Bytes::copy_from_slice(&i.to_be_bytes())))
                .with_liveness(LivenessInfo::new(1_000 + i as i64))
                .with_cell(Cell::live(0, 1_000 + i as i64, value.clone()))
        })
        .collect();
    p
}
