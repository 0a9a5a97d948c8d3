//! Goal: the SSTable API is usable from outside the crate the way flush, compaction and
//! the read path will use it. Method: write a table of time-series partitions through
//! the public re-exports on the real file system, then open it, point-read, slice, skip by
//! stats, scan a token range from another thread, and delete it.

use std::sync::Arc;
use std::thread;

use bytes::Bytes;
use sibyl_storage::fs::{FileSystem, StdFs};
use sibyl_storage::model::{
    Cell, ClusteringBound, ClusteringKey, LivenessInfo, Partition, PartitionKey, Row, Slice, Slices,
};
use sibyl_storage::sstable::{
    Descriptor, PartitionFilter, ScanEnd, ScanStart, Scanner, SsTableReader, SsTableWriter,
    WriterOptions, delete, list_generations, next_generation,
};

fn series(name: &str, points: u64) -> Partition {
    let mut p = Partition::new(PartitionKey::new(Bytes::copy_from_slice(name.as_bytes())));
    for t in 0..points {
        let ts = 1_700_000_000_000_000 + t as i64;
        p.rows.push(
            Row::new(ClusteringKey::new(Bytes::copy_from_slice(&t.to_be_bytes())))
                .with_liveness(LivenessInfo::new(ts))
                .with_cell(Cell::live(1, ts, Bytes::from(format!("value-{t}")))),
        );
    }
    p
}

#[test]
fn write_read_scan_delete_through_the_public_api() {
    let dir = tempfile::tempdir().unwrap();
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs);
    let mut parts: Vec<Partition> = (0..100)
        .map(|i| series(&format!("sensor-{i}"), 50))
        .collect();
    parts.sort_by(|a, b| a.key.cmp(&b.key));

    let desc = Descriptor::new(
        dir.path(),
        next_generation(fs.as_ref(), dir.path()).unwrap(),
    );
    let mut writer =
        SsTableWriter::create(fs.clone(), desc.clone(), WriterOptions::default()).unwrap();
    for p in &parts {
        writer.append(p).unwrap();
    }
    let written = writer.finish().unwrap();
    assert_eq!(written.stats.partition_count, 100);
    assert_eq!(
        list_generations(fs.as_ref(), dir.path()).unwrap(),
        vec![desc.generation]
    );

    let reader = Arc::new(SsTableReader::open(fs.as_ref(), desc.clone()).unwrap());
    assert_eq!(reader.stats().max_timestamp, Some(1_700_000_000_000_049));
    let p = &parts[42];
    assert_eq!(
        reader
            .get(&p.key, &PartitionFilter::all())
            .unwrap()
            .as_ref(),
        Some(p)
    );
    let slice = Slices::new(vec![Slice {
        start: ClusteringBound::inclusive_start(Bytes::copy_from_slice(&10u64.to_be_bytes())),
        end: ClusteringBound::exclusive_end(Bytes::copy_from_slice(&20u64.to_be_bytes())),
    }]);
    let got = reader
        .get(&p.key, &PartitionFilter::slices(slice.clone()))
        .unwrap()
        .unwrap();
    assert_eq!(got.rows[..], p.rows[10..20]);
    assert!(reader.stats().clustering_may_intersect(&slice));
    let beyond = Slices::new(vec![Slice::prefix(Bytes::copy_from_slice(
        &99u64.to_be_bytes(),
    ))]);
    assert!(!reader.stats().clustering_may_intersect(&beyond));
    assert_eq!(
        reader
            .get(&PartitionKey::new(&b"nope"[..]), &PartitionFilter::all())
            .unwrap(),
        None
    );

    scan_from_another_thread(&reader, &parts);

    drop(reader);
    delete(fs.as_ref(), &desc).unwrap();
    assert!(
        list_generations(fs.as_ref(), dir.path())
            .unwrap()
            .is_empty()
    );
}

fn scan_from_another_thread(reader: &Arc<SsTableReader>, parts: &[Partition]) {
    let mid = parts[50].key.token().0;
    let scanning = Arc::clone(reader);
    let scanned = thread::spawn(move || {
        Scanner::new(
            scanning,
            ScanStart::Token {
                token: mid,
                inclusive: true,
            },
            ScanEnd::Unbounded,
            PartitionFilter::all(),
        )
        .collect::<Result<Vec<_>, _>>()
    })
    .join()
    .expect("the scan thread does not panic")
    .expect("the scan succeeds");
    assert_eq!(scanned[..], parts[50..]);
}
