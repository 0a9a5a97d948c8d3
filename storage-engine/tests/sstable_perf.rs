//! Goal: rough SSTable throughput figures (not assertions): time-series write and
//! random 100-row slice reads. Method: 1,000 partitions x 10,000 rows of 100-byte values
//! written to one table, then 20,000 random slices. Run by hand:
//! `cargo test --release -p sibyl-storage --test sstable_perf -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use sibyl_storage::fs::{FileSystem, StdFs};
use sibyl_storage::model::{
    Cell, ClusteringBound, ClusteringKey, LivenessInfo, Partition, PartitionKey, Row, Slice, Slices,
};
use sibyl_storage::sstable::{
    Descriptor, PartitionFilter, SsTableReader, SsTableWriter, WriterOptions,
};

const PARTITIONS: u64 = 1_000;
const ROWS: u64 = 10_000;

fn series(key: &PartitionKey, value: &Bytes) -> Partition {
    let mut p = Partition::new(key.clone());
    p.rows = (0..ROWS)
        .map(|t| {
            let ts = 1_700_000_000_000_000 + t as i64;
            Row::new(ClusteringKey::new(Bytes::copy_from_slice(&t.to_be_bytes())))
                .with_liveness(LivenessInfo::new(ts))
                .with_cell(Cell::live(1, ts, value.clone()))
        })
        .collect();
    p
}

#[test]
#[ignore = "a measurement, run by hand in release mode"]
fn time_series_write_and_slice_read() {
    let dir = tempfile::tempdir().unwrap();
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
    let mut keys: Vec<PartitionKey> = (0..PARTITIONS)
        .map(|i| PartitionKey::new(Bytes::from(format!("sensor-{i}"))))
        .collect();
    keys.sort();
    let value = Bytes::from(vec![7u8; 100]);
    let desc = Descriptor::new(dir.path(), 1);
    let started = Instant::now();
    let mut w = SsTableWriter::create(fs.clone(), desc.clone(), WriterOptions::default()).unwrap();
    let mut build = std::time::Duration::ZERO;
    for k in &keys {
        let t = Instant::now();
        let p = series(k, &value);
        build += t.elapsed();
        w.append(&p).unwrap();
    }
    let written = w.finish().unwrap();
    let write = started.elapsed() - build;
    let rows = (PARTITIONS * ROWS) as f64;
    let raw_mb = rows * 116.0 / 1e6;
    eprintln!(
        "write: {:.0} rows/s, {:.0} MB/s of raw row data, data file {} MB (raw {raw_mb:.0} MB), {:?} (+{build:?} building rows)",
        rows / write.as_secs_f64(),
        raw_mb / write.as_secs_f64(),
        written.component_bytes[0] / 1_000_000,
        write
    );
    let reader = SsTableReader::open(fs.as_ref(), desc).unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let reads = 20_000u64;
    let started = Instant::now();
    for _ in 0..reads {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let key = &keys[(seed % PARTITIONS) as usize];
        let from = (seed >> 20) % (ROWS - 100);
        let slice = Slice {
            start: ClusteringBound::inclusive_start(Bytes::copy_from_slice(&from.to_be_bytes())),
            end: ClusteringBound::exclusive_end(Bytes::copy_from_slice(
                &(from + 100).to_be_bytes(),
            )),
        };
        let got = reader
            .get(key, &PartitionFilter::slices(Slices::new(vec![slice])))
            .unwrap()
            .unwrap();
        assert_eq!(got.rows.len(), 100);
    }
    let read = started.elapsed();
    eprintln!(
        "slice reads: {:.0} ops/s, {:.1} chunks per read",
        reads as f64 / read.as_secs_f64(),
        reader.chunks_read() as f64 / reads as f64
    );
}
