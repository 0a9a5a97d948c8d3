//! Goal: damaged files give typed errors or quarantine, never wrong data or
//! a panic. Method: on `MemFs`, damage an SSTable's metadata (quarantined at
//! open, reported, moved aside), an SSTable data chunk (typed error on
//! read), and a commitlog record with records after it (typed error at
//! open; skipped when `commitlog_skip_corrupt` is set).

mod engine_support;

use std::path::Path;
use std::sync::Arc;

use engine_support::*;
use sibyl_storage::Engine;
use sibyl_storage::fs::{FileSystem, MemFs};
use sibyl_storage::model::Slices;
use sibyl_storage::sstable::Component;
use sibyl_storage::{ReadLimits, TableOptions};

fn setup(fs: &Arc<MemFs>, flush: bool) -> Vec<u64> {
    let dyn_fs: Arc<dyn FileSystem> = Arc::clone(fs) as Arc<dyn FileSystem>;
    let engine = open(Path::new("/d"), &dyn_fs);
    let table = engine
        .create_table(T, TableOptions::default())
        .expect("test setup");
    for i in 0..50 {
        table
            .apply(&write(&format!("k{}", i % 5), i, 10, "value"))
            .expect("test setup");
    }
    let generations = if flush {
        table.flush().expect("test setup");
        let v = table.version();
        v.sstables.iter().map(|t| t.generation()).collect()
    } else {
        Vec::new()
    };
    if flush {
        engine.close().expect("test setup");
    }
    generations
}

fn component(fs: &Arc<MemFs>, c: Component) -> std::path::PathBuf {
    let dir = Path::new("/d/tables").join(T.to_string());
    let name = format!("-{}.", c.name());
    fs.list(&dir)
        .expect("test setup")
        .into_iter()
        .find(|p| p.to_string_lossy().contains(&name) || p.to_string_lossy().ends_with(c.name()))
        .unwrap_or_else(|| {
            panic!(
                "no {} in {:?}",
                c.name(),
                fs.list(&dir).expect("test setup")
            )
        })
}

#[test]
fn a_corrupt_sstable_is_quarantined_and_reported() {
    let fs = Arc::new(MemFs::new());
    let generations = setup(&fs, true);
    let stats = component(&fs, Component::Stats);
    let len = fs.file_len(&stats).unwrap();
    fs.overwrite(&stats, usize::try_from(len / 2).unwrap(), &[0xde, 0xad])
        .unwrap();
    let dyn_fs: Arc<dyn FileSystem> = Arc::clone(&fs) as Arc<dyn FileSystem>;
    let engine = open(Path::new("/d"), &dyn_fs);
    let q = engine.quarantined();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].generation, generations[0]);
    assert!(q[0].error.contains("Stats"), "{}", q[0].error);
    assert!(!fs.list(&q[0].moved_to).unwrap().is_empty());
    let table = engine.table(T).unwrap();
    assert!(table.version().sstables.is_empty());
    assert!(read(&table, "k1", 0).is_none());
    engine.close().unwrap();
    // Not reported again: the manifest dropped it.
    let engine = open(Path::new("/d"), &dyn_fs);
    assert!(engine.quarantined().is_empty());
}

#[test]
fn a_damaged_data_chunk_is_a_typed_read_error() {
    let fs = Arc::new(MemFs::new());
    setup(&fs, true);
    let data = component(&fs, Component::Data);
    let len = fs.file_len(&data).unwrap();
    fs.overwrite(&data, usize::try_from(len / 2).unwrap(), &[0x55; 8])
        .unwrap();
    let dyn_fs: Arc<dyn FileSystem> = Arc::clone(&fs) as Arc<dyn FileSystem>;
    let engine = open(Path::new("/d"), &dyn_fs);
    let table = engine.table(T).unwrap();
    let mut errors = 0;
    for k in 0..5 {
        match table.read_partition(
            &pk(&format!("k{k}")),
            &Slices::all(),
            false,
            0,
            ReadLimits::default(),
        ) {
            Ok(r) => assert_eq!(r.partition.unwrap().rows.len(), 10, "never partial data"),
            Err(e) => {
                assert!(e.is_corruption(), "{e}");
                errors += 1;
            }
        }
    }
    assert!(errors > 0);
}

#[test]
fn a_corrupt_commitlog_record_mid_log_is_a_typed_error() {
    let fs = Arc::new(MemFs::new());
    setup(&fs, false); // engine dropped without flush: data only in the commitlog
    let dir = Path::new("/d/commitlog");
    let segment = fs.list(dir).unwrap().into_iter().min().unwrap();
    let len = fs.file_len(&segment).unwrap();
    fs.overwrite(&segment, usize::try_from(len / 3).unwrap(), &[0xff; 4])
        .unwrap();
    let dyn_fs: Arc<dyn FileSystem> = Arc::clone(&fs) as Arc<dyn FileSystem>;
    let err = Engine::open(options(Path::new("/d"), Arc::clone(&dyn_fs))).unwrap_err();
    assert!(err.is_corruption(), "{err}");
    let mut o = options(Path::new("/d"), dyn_fs);
    o.commitlog_skip_corrupt = true;
    let engine = Engine::open(o).unwrap();
    let table = engine.table(T).unwrap();
    let rows: usize = (0..5)
        .map(|k| live_values(&table, &format!("k{k}"), 0).len())
        .sum();
    assert!(
        rows > 0 && rows < 50,
        "only the damaged record is lost: {rows}"
    );
}
