//! Goal: a crash never leaves a half-published SSTable. Method: write tables on the
//! in-memory file system, crash (drop unsynced bytes and names) before and after
//! `finish`, then list, clean up and open what remains.

use std::sync::Arc;

use super::{normalise, wide};
use crate::fs::{FileSystem, MemFs};
use crate::sstable::directory::{delete, list_generations, next_generation, remove_incomplete};
use crate::sstable::format::Descriptor;
use crate::sstable::reader::{PartitionFilter, SsTableReader};
use crate::sstable::writer::{SsTableWriter, WriterOptions};

#[test]
fn crash_before_and_after_publication() {
    let mem = Arc::new(MemFs::new());
    let fs: Arc<dyn FileSystem> = mem.clone();
    let dir = std::path::Path::new("/t");
    fs.create_dir_all(dir).unwrap();
    fs.sync_dir(std::path::Path::new("/")).unwrap();
    let parts = normalise((0..50).map(|i| wide(&format!("k{i}"), 30, 8)).collect());

    let published = Descriptor::new(dir, next_generation(fs.as_ref(), dir).unwrap());
    let mut w =
        SsTableWriter::create(fs.clone(), published.clone(), WriterOptions::default()).unwrap();
    parts.iter().for_each(|p| w.append(p).unwrap());
    w.finish().unwrap();

    let unfinished = Descriptor::new(dir, next_generation(fs.as_ref(), dir).unwrap());
    assert_eq!(unfinished.generation, published.generation + 1);
    let mut w = SsTableWriter::create(fs.clone(), unfinished, WriterOptions::default()).unwrap();
    parts.iter().for_each(|p| w.append(p).unwrap());
    fs.sync_dir(dir).unwrap(); // the temporary names become durable, the data does not
    mem.crash();
    drop(w);

    assert_eq!(
        list_generations(fs.as_ref(), dir).unwrap(),
        vec![published.generation]
    );
    let removed = remove_incomplete(fs.as_ref(), dir).unwrap();
    assert!(
        !removed.is_empty()
            && removed
                .iter()
                .all(|p| p.to_string_lossy().ends_with(".tmp"))
    );
    let reader = SsTableReader::open(fs.as_ref(), published.clone()).unwrap();
    for p in &parts {
        assert_eq!(
            reader
                .get(&p.key, &PartitionFilter::all())
                .unwrap()
                .as_ref(),
            Some(p)
        );
    }
    drop(reader);
    delete(fs.as_ref(), &published).unwrap();
    mem.crash();
    assert!(list_generations(fs.as_ref(), dir).unwrap().is_empty());
    assert!(fs.list(dir).unwrap().is_empty());
}
