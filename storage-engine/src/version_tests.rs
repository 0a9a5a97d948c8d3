//! Version swaps: readers keep their snapshot; flush and compaction edits.

use std::sync::Arc;

use crate::memtable::Memtable;
use crate::model::TableId;
use crate::version::{Version, VersionCell};

#[test]
fn switch_flush_compact() {
    let first = Arc::new(Memtable::new(TableId(1)));
    let cell: VersionCell<u64> =
        VersionCell::new(Version::new(Arc::clone(&first), vec![Arc::new(1)]));
    let reader = cell.current();
    let fresh = Arc::new(Memtable::new(TableId(1)));
    let v1 = cell
        .update(|v| Ok(v.switch_memtable(Arc::clone(&fresh))))
        .unwrap();
    assert_eq!(v1.number, 1);
    assert!(Arc::ptr_eq(&v1.memtable, &fresh));
    assert_eq!(v1.memtables().count(), 2);
    let v2 = cell
        .update(|v| v.flushed(&first, Some(Arc::new(2))))
        .unwrap();
    assert!(v2.flushing.is_empty());
    assert_eq!(
        v2.sstables.iter().map(|s| **s).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert!(
        cell.update(|v| v.flushed(&first, None)).is_err(),
        "already flushed"
    );
    assert_eq!(
        cell.current().number,
        2,
        "a failed update publishes nothing"
    );
    let v3 = cell
        .update(|v| Ok(v.compacted(|s| *s <= 2, vec![Arc::new(3)])))
        .unwrap();
    assert_eq!(v3.sstables.iter().map(|s| **s).collect::<Vec<_>>(), vec![3]);
    // The early reader still sees its snapshot.
    assert_eq!(reader.number, 0);
    assert_eq!(
        reader.sstables.iter().map(|s| **s).collect::<Vec<_>>(),
        vec![1]
    );
}
