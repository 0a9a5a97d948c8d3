//! Goal: a damaged SSTable yields a typed error naming the file, never wrong data and
//! never a panic. Method: write a small table, flip one bit at a random position of one
//! component (Data chunks, chunk table, Index, Summary, Filter, Stats, TOC), then open,
//! point-read every partition and scan: every result is either exactly the original or
//! a corruption error, and at least one read reports the damage.

use std::path::Path;

use bytes::Bytes;
use proptest::prelude::*;

use super::{normalise, wide, write_and_open};
use crate::model::Partition;
use crate::sstable::error::SsTableError;
use crate::sstable::format::{Component, Descriptor};
use crate::sstable::reader::{PartitionFilter, SsTableReader};
use crate::sstable::scanner::{ScanEnd, ScanStart, Scanner};
use crate::sstable::writer::WriterOptions;

fn sample() -> Vec<Partition> {
    normalise(
        (0..40u64)
            .map(|i| wide(&format!("k{i}"), i % 7 * 20, 9))
            .collect(),
    )
}

fn options() -> WriterOptions {
    WriterOptions {
        chunk_bytes: 1024,
        row_index_block_bytes: 256,
        ..WriterOptions::default()
    }
}

fn check_err(e: &SsTableError, damaged: &Path) {
    assert!(e.is_corruption(), "not a corruption error: {e}");
    let named = match e {
        SsTableError::Corruption { file, .. } | SsTableError::ChecksumMismatch { file, .. } => file,
        _ => unreachable!(),
    };
    assert_eq!(named, damaged, "error names the wrong file: {e}");
}

/// Reads everything; returns how many reads reported the damage.
fn read_all(desc: &Descriptor, parts: &[Partition], damaged: &Path) -> usize {
    let reader = match SsTableReader::open(super::fs().as_ref(), desc.clone()) {
        Ok(r) => std::sync::Arc::new(r),
        Err(e) => {
            check_err(&e, damaged);
            return 1;
        }
    };
    let mut errors = 0;
    for p in parts {
        match reader.get(&p.key, &PartitionFilter::all()) {
            Ok(got) => assert_eq!(got.as_ref(), Some(p), "wrong data returned"),
            Err(e) => {
                check_err(&e, damaged);
                errors += 1;
            }
        }
    }
    let scan = Scanner::new(
        reader,
        ScanStart::Unbounded,
        ScanEnd::Unbounded,
        PartitionFilter::all(),
    );
    let mut returned = 0;
    for item in scan {
        match item {
            Ok(got) => {
                assert_eq!(Some(&got), parts.get(returned), "scan returned wrong data");
                returned += 1;
            }
            Err(e) => {
                check_err(&e, damaged);
                errors += 1;
            }
        }
    }
    errors
}

const DAMAGEABLE: [Component; 6] = [
    Component::Data,
    Component::Index,
    Component::Summary,
    Component::Filter,
    Component::Stats,
    Component::Toc,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn any_flipped_bit_is_detected(
        which in 0usize..DAMAGEABLE.len(),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let parts = sample();
        let dir = tempfile::tempdir().unwrap();
        let desc = write_and_open(dir.path(), &parts, options()).descriptor().clone();
        let path = desc.path(DAMAGEABLE[which]);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = pos.index(bytes.len());
        bytes[at] ^= 1 << bit;
        std::fs::write(&path, &bytes).unwrap();
        let verified = SsTableReader::open(super::fs().as_ref(), desc.clone()).and_then(|r| r.verify());
        match verified {
            Ok(()) => prop_assert!(false, "verify missed a flip at {} in {:?}", at, DAMAGEABLE[which]),
            Err(e) => check_err(&e, &path),
        }
        let errors = read_all(&desc, &parts, &path);
        prop_assert!(errors > 0, "flip of bit {} at {} in {:?} went unnoticed", bit, at, DAMAGEABLE[which]);
    }

    #[test]
    fn truncated_component_is_detected(which in 0usize..5, cut in any::<prop::sample::Index>()) {
        let parts = sample();
        let dir = tempfile::tempdir().unwrap();
        let desc = write_and_open(dir.path(), &parts, options()).descriptor().clone();
        let path = desc.path(DAMAGEABLE[which]);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..cut.index(bytes.len())]).unwrap();
        let err = SsTableReader::open(super::fs().as_ref(), desc).unwrap_err();
        check_err(&err, &path);
    }

    #[test]
    fn garbage_partition_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = crate::sstable::layout::decode_header(&bytes);
        let mut rows = Vec::new();
        let _ = crate::sstable::layout::decode_rows(&bytes, &mut rows, usize::MAX, |_| {
            crate::sstable::layout::RowChoice::Keep
        });
        let _ = crate::sstable::layout::decode_rows(&bytes, &mut rows, usize::MAX, |_| {
            crate::sstable::layout::RowChoice::Skip
        });
    }
}

#[test]
fn missing_component_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let desc = write_and_open(dir.path(), &sample(), options())
        .descriptor()
        .clone();
    std::fs::remove_file(desc.path(Component::Filter)).unwrap();
    let err = SsTableReader::open(super::fs().as_ref(), desc).unwrap_err();
    assert!(matches!(err, SsTableError::Io { .. }), "{err}");
}

#[test]
fn value_over_the_limit_is_refused_by_the_writer() {
    let mut p = wide("big", 1, 1);
    p.rows[0].clustering = crate::model::ClusteringKey::new(Bytes::from(vec![1u8; 70_000]));
    let dir = tempfile::tempdir().unwrap();
    let desc = Descriptor::new(dir.path(), 1);
    let mut w =
        crate::sstable::writer::SsTableWriter::create(super::fs(), desc, options()).unwrap();
    assert!(matches!(w.append(&p), Err(SsTableError::InvalidInput(_))));
}
