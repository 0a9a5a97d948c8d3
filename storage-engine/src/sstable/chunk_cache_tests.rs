use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::sstable::SsTableError;

fn chunk(n: u8, len: usize) -> Bytes {
    Bytes::from(vec![n; len])
}

#[test]
fn hits_misses_and_shared_bytes() {
    let cache = Arc::new(ChunkCache::new(1 << 20));
    let slot = cache.attach();
    let first = slot.get_or_load(3, true, || Ok(chunk(7, 1000))).unwrap();
    let again = slot
        .get_or_load(3, true, || panic!("a hit must not load"))
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(first.as_ptr(), again.as_ptr(), "a hit shares the bytes");
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.entries), (1, 1, 1));
    assert_eq!(s.size_bytes, 1000 + ENTRY_OVERHEAD_BYTES);
    assert!((s.hit_ratio() - 0.5).abs() < 1e-9);
}

#[test]
fn ids_are_never_reused() {
    let cache = Arc::new(ChunkCache::new(1 << 20));
    let a = cache.attach();
    let a_id = a.id();
    a.get_or_load(0, true, || Ok(chunk(1, 10))).unwrap();
    a.purge(1);
    drop(a);
    let b = cache.attach();
    assert_ne!(a_id, b.id());
    let got = b.get_or_load(0, true, || Ok(chunk(2, 10))).unwrap();
    assert_eq!(
        got,
        chunk(2, 10),
        "a new reader never sees an old reader's chunk"
    );
}

#[test]
fn the_byte_bound_holds_under_many_inserts() {
    let capacity = 64 * 1024;
    let cache = Arc::new(ChunkCache::new(capacity));
    let slot = cache.attach();
    for i in 0..2_000usize {
        let n = u8::try_from(i % 251).unwrap();
        slot.get_or_load(i, true, || Ok(chunk(n, 1024))).unwrap();
        assert!(
            cache.stats().size_bytes <= capacity,
            "over the bound at {i}"
        );
    }
    let s = cache.stats();
    assert!(s.entries > 0 && s.entries < 2_000, "{s:?}");
    // Evicted chunks load again, with the right bytes.
    let got = slot.get_or_load(0, true, || Ok(chunk(0, 1024))).unwrap();
    assert_eq!(got, chunk(0, 1024));
}

#[test]
fn an_entry_larger_than_the_cache_is_not_kept() {
    let cache = Arc::new(ChunkCache::new(500));
    let slot = cache.attach();
    let got = slot.get_or_load(0, true, || Ok(chunk(9, 4096))).unwrap();
    assert_eq!(got.len(), 4096);
    assert!(cache.stats().size_bytes <= 500);
}

#[test]
fn purge_removes_only_that_readers_chunks() {
    let cache = Arc::new(ChunkCache::new(1 << 20));
    let (a, b) = (cache.attach(), cache.attach());
    for i in 0..10 {
        a.get_or_load(i, true, || Ok(chunk(1, 100))).unwrap();
        b.get_or_load(i, true, || Ok(chunk(2, 100))).unwrap();
    }
    assert_eq!(
        (cache.entries_of(a.id()), cache.entries_of(b.id())),
        (10, 10)
    );
    a.purge(10);
    assert_eq!(
        (cache.entries_of(a.id()), cache.entries_of(b.id())),
        (0, 10)
    );
}

#[test]
fn scans_use_but_do_not_fill_and_errors_are_not_cached() {
    let cache = Arc::new(ChunkCache::new(1 << 20));
    let slot = cache.attach();
    slot.get_or_load(0, false, || Ok(chunk(1, 100))).unwrap();
    assert_eq!(cache.stats().entries, 0, "a scan does not insert");
    let err = slot.get_or_load(1, true, || Err(SsTableError::corruption("f", 0, "damaged")));
    assert!(err.is_err());
    assert_eq!(cache.stats().entries, 0, "a failed load inserts nothing");
    slot.get_or_load(2, true, || Ok(chunk(3, 100))).unwrap();
    let hit = slot
        .get_or_load(2, false, || panic!("a scan uses cached chunks"))
        .unwrap();
    assert_eq!(hit, chunk(3, 100));
}
