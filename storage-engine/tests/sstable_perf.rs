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
    for chunk_kib in [64, 16] {
        eprintln!("chunk size {chunk_kib} KiB:");
        measure(WriterOptions {
            chunk_bytes: chunk_kib * 1024,
            ..WriterOptions::default()
        });
    }
}

fn measure(options: WriterOptions) {
    let dir = tempfile::tempdir().expect("measurement step");
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
    let mut keys: Vec<PartitionKey> = (0..PARTITIONS)
        .map(|i| PartitionKey::new(Bytes::from(format!("sensor-{i}"))))
        .collect();
    keys.sort();
    let value = Bytes::from(vec![7u8; 100]);
    let desc = Descriptor::new(dir.path(), 1);
    let started = Instant::now();
    let mut w = SsTableWriter::create(fs.clone(), desc.clone(), options).expect("measurement step");
    let mut build = std::time::Duration::ZERO;
    for k in &keys {
        let t = Instant::now();
        let p = series(k, &value);
        build += t.elapsed();
        w.append(&p).expect("measurement step");
    }
    let written = w.finish().expect("measurement step");
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
    let reader = SsTableReader::open(fs.as_ref(), desc).expect("measurement step");
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
            .expect("measurement step")
            .expect("measurement step");
        assert_eq!(got.rows.len(), 100);
    }
    let read = started.elapsed();
    eprintln!(
        "slice reads: {:.0} ops/s, {:.1} chunks per read",
        reads as f64 / read.as_secs_f64(),
        reader.chunks_read() as f64 / reads as f64
    );
}

#[test]
#[ignore = "a measurement, run by hand in release mode"]
fn random_point_reads() {
    for chunk_kib in [64, 16, 4] {
        eprintln!("chunk size {chunk_kib} KiB:");
        point_reads(WriterOptions {
            chunk_bytes: chunk_kib * 1024,
            ..WriterOptions::default()
        });
    }
}

fn point_reads(options: WriterOptions) {
    let keys_n = 1_000_000usize;
    let dir = tempfile::tempdir().expect("tempdir");
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
    let mut keys: Vec<PartitionKey> = (0..keys_n)
        .map(|i| PartitionKey::new(Bytes::from(format!("key-{i:012}"))))
        .collect();
    keys.sort();
    let value = Bytes::from(vec![3u8; 100]);
    let parts: Vec<Partition> = keys
        .iter()
        .map(|k| {
            let mut p = Partition::new(k.clone());
            let row = Row::new(ClusteringKey::new(Bytes::new()));
            p.rows.push(row.with_cell(Cell::live(1, 1, value.clone())));
            p
        })
        .collect();
    let desc = Descriptor::new(dir.path(), 1);
    let started = Instant::now();
    let mut w = SsTableWriter::create(fs.clone(), desc.clone(), options).expect("create");
    for p in &parts {
        w.append(p).expect("append");
    }
    w.finish().expect("finish");
    let write_s = started.elapsed().as_secs_f64();
    eprintln!(
        "point write: {:.0} partitions/s (writer only)",
        keys_n as f64 / write_s
    );
    let reader = SsTableReader::open(fs.as_ref(), desc).expect("open");
    let mut seed = 0x9e37_79b9_7f4a_7c15usize;
    let reads = 200_000u32;
    let started = Instant::now();
    for _ in 0..reads {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let key = &keys[seed % keys_n];
        let got = reader
            .get(key, &PartitionFilter::all())
            .expect("read")
            .expect("present");
        assert_eq!(got.rows.len(), 1);
    }
    let t = started.elapsed();
    eprintln!(
        "point reads: {:.0} ops/s, {:.2} chunks per read",
        f64::from(reads) / t.as_secs_f64(),
        reader.chunks_read() as f64 / f64::from(reads)
    );
}
