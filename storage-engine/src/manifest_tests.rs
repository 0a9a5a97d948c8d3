//! Manifest: edits survive reopen and crashes; torn tails are ignored and
//! damage before valid records is corruption; rewrites keep the state.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use proptest::prelude::*;

use crate::commitlog::Position;
use crate::error::Error;
use crate::fs::{FileSystem, MemFs};
use crate::manifest::{Manifest, ManifestEdit, SsTableEntry, decode_edit, encode_edit};
use crate::model::TableId;

fn dir() -> PathBuf {
    PathBuf::from("/data")
}

fn flushed(table: u128, generation: u64, offset: u64) -> ManifestEdit {
    ManifestEdit::Flushed {
        table: TableId(table),
        sstable: SsTableEntry {
            generation,
            level: 0,
        },
        up_to: Position { segment: 1, offset },
    }
}

fn open(fs: &MemFs, rewrite: usize) -> crate::Result<Manifest> {
    Manifest::open(Arc::new(fs.clone()), &dir(), rewrite)
}

fn edit() -> impl Strategy<Value = ManifestEdit> {
    let table = (0u128..3).prop_map(TableId);
    let entry =
        (0u64..20, 0u32..4).prop_map(|(generation, level)| SsTableEntry { generation, level });
    let pos = (0u64..5, 0u64..1000).prop_map(|(segment, offset)| Position { segment, offset });
    prop_oneof![
        (table.clone(), entry.clone(), pos.clone()).prop_map(|(table, sstable, up_to)| {
            ManifestEdit::Flushed {
                table,
                sstable,
                up_to,
            }
        }),
        (
            table.clone(),
            proptest::collection::vec(0u64..20, 0..3),
            proptest::collection::vec(entry.clone(), 0..3)
        )
            .prop_map(|(table, removed, added)| ManifestEdit::Compacted {
                table,
                removed,
                added
            }),
        (table.clone(), pos.clone())
            .prop_map(|(table, up_to)| ManifestEdit::Truncated { table, up_to }),
        table
            .clone()
            .prop_map(|table| ManifestEdit::Dropped { table }),
        (table, pos, proptest::collection::vec(entry, 0..3)).prop_map(
            |(table, flushed_up_to, sstables)| {
                ManifestEdit::Snapshot {
                    table,
                    flushed_up_to,
                    sstables,
                }
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn edits_round_trip(e in edit()) {
        prop_assert_eq!(decode_edit(&Bytes::from(encode_edit(&e))).unwrap(), e);
    }

    #[test]
    fn garbage_edits_never_panic(data in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = decode_edit(&Bytes::from(data));
    }

    /// Any sequence of edits reads back the same after reopen, whatever the
    /// rewrite interval.
    #[test]
    fn state_survives_reopen(edits in proptest::collection::vec(edit(), 0..12), rewrite in 1usize..5) {
        let fs = MemFs::new();
        let m = open(&fs, rewrite).unwrap();
        for e in &edits {
            let _ = m.apply(e); // strict mode may refuse unknown removals
        }
        let state = m.state();
        drop(m);
        fs.crash();
        prop_assert_eq!(open(&fs, rewrite).unwrap().state(), state);
    }
}

#[test]
fn flush_and_compaction_fold_into_state() {
    let fs = MemFs::new();
    let m = open(&fs, 100).unwrap();
    m.apply(&flushed(1, 1, 10)).unwrap();
    m.apply(&flushed(1, 2, 20)).unwrap();
    m.apply(&flushed(2, 1, 30)).unwrap();
    let compaction = ManifestEdit::Compacted {
        table: TableId(1),
        removed: vec![1, 2],
        added: vec![SsTableEntry {
            generation: 3,
            level: 1,
        }],
    };
    m.apply(&compaction).unwrap();
    let t1 = m.table(TableId(1)).unwrap();
    assert_eq!(t1.sstables.into_iter().collect::<Vec<_>>(), vec![(3, 1)]);
    assert_eq!(
        t1.flushed_up_to,
        Position {
            segment: 1,
            offset: 20
        }
    );
    assert!(
        matches!(m.apply(&compaction), Err(Error::InvalidArgument(_))),
        "strict removal"
    );
    m.apply(&ManifestEdit::Dropped { table: TableId(2) })
        .unwrap();
    m.apply(&ManifestEdit::Truncated {
        table: TableId(1),
        up_to: Position {
            segment: 2,
            offset: 0,
        },
    })
    .unwrap();
    let state = m.state();
    assert!(state.tables[&TableId(1)].sstables.is_empty());
    assert!(!state.tables.contains_key(&TableId(2)));
}

fn manifest_path() -> PathBuf {
    dir().join("MANIFEST")
}

#[test]
fn torn_tail_is_ignored_and_damage_before_valid_records_is_corruption() {
    let fs = MemFs::new();
    let m = open(&fs, 100).unwrap();
    for g in 1..=3 {
        m.apply(&flushed(1, g, g * 10)).unwrap();
    }
    drop(m);
    // Torn tail: half a record appended.
    let f = fs.open_append(&manifest_path()).unwrap();
    let mut frame = Vec::new();
    crate::commitlog::record::encode_record(&encode_edit(&flushed(1, 9, 90)), &mut frame);
    f.append(&frame[..frame.len() / 2]).unwrap();
    f.sync().unwrap();
    let m = open(&fs, 100).unwrap();
    assert_eq!(m.table(TableId(1)).unwrap().sstables.len(), 3);
    for g in 4..=5 {
        m.apply(&flushed(1, g, g * 10)).unwrap();
    }
    drop(m);
    // Damage the first record after the header: valid records follow.
    fs.overwrite(&manifest_path(), 10 + 9, &[0xff]).unwrap();
    assert!(matches!(open(&fs, 100), Err(Error::Corruption { .. })));
}

#[test]
fn crash_during_rewrite_keeps_the_old_manifest() {
    let fs = MemFs::new();
    let m = open(&fs, 100).unwrap();
    m.apply(&flushed(1, 1, 10)).unwrap();
    drop(m);
    // A rewrite that never got renamed: only the temporary file changed.
    let tmp = fs.create(&dir().join("MANIFEST.tmp")).unwrap();
    tmp.append(b"partial").unwrap();
    fs.crash();
    let m = open(&fs, 100).unwrap();
    assert_eq!(m.table(TableId(1)).unwrap().sstables.len(), 1);
    assert!(fs.exists(Path::new("/data/MANIFEST")));
}

#[test]
fn acknowledged_edits_survive_a_crash() {
    let fs = MemFs::new();
    let m = open(&fs, 3).unwrap();
    for g in 1..=10 {
        m.apply(&flushed(1, g, g)).unwrap();
    }
    fs.crash();
    drop(m);
    let m = open(&fs, 3).unwrap();
    assert_eq!(m.table(TableId(1)).unwrap().sstables.len(), 10);
}
