//! Goal: random damage to any SSTable component never panics and never
//! yields wrong data: after a few bytes of Data, Index, Summary, Filter or
//! Stats are flipped, the engine either quarantines the table at open, or
//! every read returns the exact partition written or a typed corruption
//! error. Method: proptest on `MemFs` (a fuzz-like search in the normal
//! test run): write and flush 8 partitions of 20 rows, damage one component
//! at a random offset, reopen, read every partition.

mod engine_support;

use std::path::Path;
use std::sync::Arc;

use engine_support::*;
use proptest::prelude::*;
use sibyl_storage::fs::{FileSystem, MemFs};
use sibyl_storage::model::Slices;
use sibyl_storage::sstable::Component;
use sibyl_storage::{ReadLimits, TableOptions};

const PARTITIONS: u32 = 8;
const ROWS: u32 = 20;

fn value(key: u32, row: u32) -> String {
    format!("value-{key}-{row}")
}

/// Writes and flushes the table; returns the file system.
fn written() -> Arc<MemFs> {
    let fs = Arc::new(MemFs::new());
    let dyn_fs: Arc<dyn FileSystem> = Arc::clone(&fs) as Arc<dyn FileSystem>;
    let engine = open(Path::new("/d"), &dyn_fs);
    let table = engine
        .create_table(T, TableOptions::default())
        .expect("test setup");
    for k in 0..PARTITIONS {
        for r in 0..ROWS {
            table
                .apply(&write(&format!("k{k}"), r, 10, &value(k, r)))
                .expect("test setup");
        }
    }
    table.flush().expect("test setup");
    engine.close().expect("test setup");
    fs
}

fn component_path(fs: &MemFs, c: Component) -> std::path::PathBuf {
    let dir = Path::new("/d/tables").join(T.to_string());
    let name = format!("-{}.", c.name());
    fs.list(&dir)
        .expect("test setup")
        .into_iter()
        .find(|p| p.to_string_lossy().contains(&name))
        .expect("the component exists")
}

const COMPONENTS: [Component; 5] = [
    Component::Data,
    Component::Index,
    Component::Summary,
    Component::Filter,
    Component::Stats,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn damaged_components_give_errors_or_quarantine_never_wrong_data(
        which in 0..COMPONENTS.len(),
        at in 0u64..10_000,
        flips in proptest::collection::vec(1u8..=255, 1..8),
    ) {
        let fs = written();
        let path = component_path(&fs, COMPONENTS[which]);
        let len = fs.file_len(&path).expect("length");
        let original = fs.read_all(&path, len).expect("read");
        let len_usize = usize::try_from(len).expect("small file");
        // `at` is in ten-thousandths of the length, so the offset is inside the file.
        let offset = usize::try_from(len * at / 10_000).expect("small file");
        let end = (offset + flips.len()).min(len_usize);
        let damaged: Vec<u8> = original[offset..end]
            .iter()
            .zip(&flips)
            .map(|(b, f)| b ^ f)
            .collect();
        fs.overwrite(&path, offset, &damaged).expect("damage");

        let dyn_fs: Arc<dyn FileSystem> = Arc::clone(&fs) as Arc<dyn FileSystem>;
        let engine = open(Path::new("/d"), &dyn_fs);
        let quarantined = !engine.quarantined().is_empty();
        let table = engine.table(T).expect("the table");
        for k in 0..PARTITIONS {
            let got = table.read_partition(
                &pk(&format!("k{k}")),
                &Slices::all(),
                false,
                0,
                ReadLimits::default(),
            );
            match got {
                Err(e) => prop_assert!(e.is_corruption(), "untyped error: {e}"),
                Ok(r) => match r.partition {
                    None => prop_assert!(
                        quarantined,
                        "k{k} silently missing after damage to {:?} at {offset}",
                        COMPONENTS[which]
                    ),
                    Some(p) => {
                        prop_assert_eq!(p.rows.len(), ROWS as usize, "k{} partial", k);
                        for (r, row) in p.rows.iter().enumerate() {
                            let r = u32::try_from(r).expect("few rows");
                            let cell = row.cells.first().expect("a cell");
                            let want = value(k, r);
                            prop_assert_eq!(cell.value(), want.as_bytes());
                        }
                    }
                },
            }
        }
        engine.close().expect("close");
    }
}
