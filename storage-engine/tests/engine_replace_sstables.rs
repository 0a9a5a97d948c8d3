//! Goal: the hook compaction will use (`Table::next_descriptor` +
//! `Table::replace_sstables`) swaps SSTables atomically, keeps reads equal,
//! deletes the inputs only when no reader holds them, and survives reopen.
//! Method: flush three SSTables, merge them by hand through a full scan into
//! one output, replace, and compare before/after, holding an old version.

mod engine_support;

use std::path::Path;
use std::sync::Arc;

use engine_support::*;
use sibyl_storage::fs::{FileSystem, MemFs};
use sibyl_storage::sstable::{Component, SsTableReader, SsTableWriter, WriterOptions};
use sibyl_storage::{ScanRange, TableOptions};

#[test]
fn replace_sstables_swaps_atomically_and_deletes_when_unused() {
    let fs: Arc<dyn FileSystem> = Arc::new(MemFs::new());
    let dir = Path::new("/d");
    let engine = open(dir, &fs);
    let table = engine.create_table(T, TableOptions::default()).unwrap();
    for round in 0..3u32 {
        for k in 0..10 {
            table
                .apply(&write(&format!("k{k}"), round, 10 + i64::from(round), "v"))
                .unwrap();
        }
        table.flush().unwrap();
    }
    let before = table.scan(&ScanRange::all(), 0, 100).unwrap();
    let old = table.version();
    let inputs: Vec<u64> = old.sstables.iter().map(|t| t.generation()).collect();
    assert_eq!(inputs.len(), 3);

    let descriptor = table.next_descriptor();
    let mut writer = SsTableWriter::create(
        Arc::clone(&fs),
        descriptor.clone(),
        WriterOptions::default(),
    )
    .unwrap();
    for p in &before.partitions {
        writer.append(p).unwrap();
    }
    writer.finish().unwrap();
    let reader = SsTableReader::open(fs.as_ref(), descriptor.clone()).unwrap();
    table.replace_sstables(&inputs, vec![reader]).unwrap();

    assert_eq!(table.version().sstables.len(), 1);
    assert_eq!(table.scan(&ScanRange::all(), 0, 100).unwrap(), before);
    // The old version still reads its inputs: files stay until it goes.
    let old_toc = old.sstables[0].reader().descriptor().path(Component::Toc);
    assert!(fs.exists(&old_toc));
    drop(old);
    assert!(!fs.exists(&old_toc));
    // Replacing inputs that are gone fails and leaves no output behind.
    let stale = table.next_descriptor();
    let mut writer =
        SsTableWriter::create(Arc::clone(&fs), stale.clone(), WriterOptions::default()).unwrap();
    writer.append(&before.partitions[0]).unwrap();
    writer.finish().unwrap();
    let reader = SsTableReader::open(fs.as_ref(), stale.clone()).unwrap();
    assert!(table.replace_sstables(&inputs, vec![reader]).is_err());
    assert!(!fs.exists(&stale.path(Component::Toc)));

    engine.close().unwrap();
    drop(table);
    let engine = open(dir, &fs);
    let table = engine.table(T).unwrap();
    assert_eq!(table.version().sstables.len(), 1);
    assert_eq!(
        table.version().sstables[0].generation(),
        descriptor.generation
    );
    assert_eq!(table.scan(&ScanRange::all(), 0, 100).unwrap(), before);
}
