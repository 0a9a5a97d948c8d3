//! Manifest round trips, torn tails and mid-file corruption.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::fs::MemFs;

fn sample() -> Vec<Edit> {
    let mut options = TableOptions::default();
    options
        .compaction
        .insert("class".into(), "SizeTieredCompactionStrategy".into());
    options.default_ttl_s = Some(60);
    vec![
        Edit::CreateTable(TableId(7), options),
        Edit::AddSsTable(TableId(7), 3),
        Edit::Flushed(
            TableId(7),
            Position {
                segment: 2,
                offset: 99,
            },
        ),
        Edit::RemoveSsTable(TableId(7), 3),
        Edit::DropTable(TableId(8)),
    ]
}

#[test]
fn records_round_trip() {
    let mut bytes = Vec::new();
    encode_record(&sample(), &mut bytes).unwrap();
    encode_record(&sample()[1..2], &mut bytes).unwrap();
    let decoded = decode_records(&bytes, Path::new("m")).unwrap();
    let mut expected = sample();
    expected.push(sample()[1].clone());
    assert_eq!(decoded, expected);
}

#[test]
fn torn_tail_is_ignored_but_mid_corruption_is_an_error() {
    let mut bytes = Vec::new();
    encode_record(&sample()[..1], &mut bytes).unwrap();
    let first = bytes.len();
    encode_record(&sample()[1..], &mut bytes).unwrap();
    for cut in first..bytes.len() {
        let decoded = decode_records(&bytes[..cut], Path::new("m")).unwrap();
        assert_eq!(decoded.len(), 1, "cut at {cut}");
    }
    let mut bad = bytes.clone();
    bad[first + 9] ^= 0xff; // last record's body: torn tail
    assert_eq!(decode_records(&bad, Path::new("m")).unwrap().len(), 1);
    let mut bad = bytes.clone();
    bad[9] ^= 0xff; // first record's body, more records follow
    let err = decode_records(&bad, Path::new("m")).unwrap_err();
    assert!(err.is_corruption(), "{err}");
}

#[test]
fn open_folds_and_compacts() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let dir = Path::new("/d");
    fs.create_dir_all(dir).unwrap();
    let (m, state) = Manifest::open(Arc::clone(&fs), dir).unwrap();
    assert!(state.tables.is_empty());
    m.append(&sample()[..3]).unwrap();
    m.append(&[Edit::AddSsTable(TableId(7), 4)]).unwrap();
    drop(m);
    let (_, state) = Manifest::open(Arc::clone(&fs), dir).unwrap();
    let t = &state.tables[&TableId(7)];
    assert_eq!(t.sstables.iter().copied().collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(
        t.flushed,
        Position {
            segment: 2,
            offset: 99
        }
    );
    assert_eq!(state.min_segment_id(), 3);
    let (_, again) = Manifest::open(fs, dir).unwrap();
    assert_eq!(again, state);
}
