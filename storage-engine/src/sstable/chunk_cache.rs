//! `ChunkCache`: decompressed, checksum-verified Data chunks shared by every SSTable
//! of one engine instance (Cassandra's chunk cache, sized by `file_cache_size`).
//!
//! Keys are `(reader id, chunk index)`. A reader id is drawn from the cache's own
//! counter when an [`super::SsTableReader`] is attached ([`ChunkCache::attach`]) and
//! is never reused, so a chunk of a deleted SSTable can never be served for another
//! table, even one reusing its generation number. A reader purges its entries when it
//! is dropped, i.e. once compaction obsoleted it and the last read let go of it.
//!
//! Invariants: only chunks whose CRC matched and whose LZ4 block decompressed to the
//! expected length are inserted (the loader runs the full check on every miss, so a
//! damaged chunk is detected on a miss exactly as without the cache); values are
//! `Bytes`, so a hit hands out a reference-counted view, never a copy; the sum of the
//! entries' weights (length plus [`ENTRY_OVERHEAD_BYTES`]) stays within the capacity.
//!
//! The map is `quick_cache`'s sharded, weighted S3-FIFO cache: reads take one shard's
//! read lock, concurrent misses on the same chunk wait for one decompression, and
//! one-off chunks (a scan passing by) are evicted before the chunks read repeatedly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use super::error::Result;

/// Bookkeeping charged per entry on top of its bytes (key, `Bytes` header, map slot).
pub const ENTRY_OVERHEAD_BYTES: u64 = 96;

/// Default capacity: 256 MiB (Cassandra: min(512 MiB, a quarter of the heap); Sibyl has
/// no heap to take a quarter of, so a fixed default that fits small nodes).
pub const CHUNK_CACHE_BYTES_DEFAULT: u64 = 256 * 1024 * 1024;

type Key = (u64, usize);

/// Weighs an entry by its bytes plus the fixed overhead.
#[derive(Clone, Copy, Debug, Default)]
struct ChunkWeighter;

impl quick_cache::Weighter<Key, Bytes> for ChunkWeighter {
    fn weight(&self, _key: &Key, value: &Bytes) -> u64 {
        super::codec::len_u64(value.len()) + ENTRY_OVERHEAD_BYTES
    }
}

/// The cache's counters, as the engine's statistics report them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkCacheStats {
    /// Chunk reads served from the cache.
    pub hits: u64,
    /// Chunk reads that had to decompress (and then usually inserted).
    pub misses: u64,
    /// Chunks held now.
    pub entries: u64,
    /// Bytes held now, overhead included.
    pub size_bytes: u64,
    /// The configured bound (bytes).
    pub capacity_bytes: u64,
}

impl ChunkCacheStats {
    /// Hits over lookups (0 before the first lookup).
    #[must_use]
    pub fn hit_ratio(&self) -> f64 {
        let total = self.hits.saturating_add(self.misses);
        if total == 0 {
            0.0
        } else {
            #[expect(clippy::cast_precision_loss, reason = "a ratio for display")]
            let ratio = self.hits as f64 / total as f64;
            ratio
        }
    }
}

/// The shared cache of decompressed chunks.
pub struct ChunkCache {
    map: quick_cache::sync::Cache<Key, Bytes, ChunkWeighter>,
    capacity_bytes: u64,
    next_id: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for ChunkCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkCache")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl ChunkCache {
    /// A cache holding at most `capacity_bytes` (entries' bytes plus overhead).
    #[must_use]
    pub fn new(capacity_bytes: u64) -> Self {
        let typical = 16 * 1024 + ENTRY_OVERHEAD_BYTES;
        let items = usize::try_from(capacity_bytes / typical)
            .unwrap_or(usize::MAX)
            .clamp(16, 1 << 20);
        Self {
            map: quick_cache::sync::Cache::with_weighter(items, capacity_bytes, ChunkWeighter),
            capacity_bytes,
            next_id: AtomicU64::new(1),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// A slot for one SSTable reader: a fresh, never reused id on this cache.
    #[must_use]
    pub fn attach(self: &Arc<Self>) -> CacheSlot {
        CacheSlot {
            cache: Arc::clone(self),
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The counters now.
    #[must_use]
    pub fn stats(&self) -> ChunkCacheStats {
        ChunkCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: super::codec::len_u64(self.map.len()),
            size_bytes: self.map.weight(),
            capacity_bytes: self.capacity_bytes,
        }
    }

    /// Chunks held for reader `id` (tests and diagnostics; walks the whole cache).
    #[must_use]
    pub fn entries_of(&self, id: u64) -> usize {
        self.map
            .iter()
            .filter(|((owner, _), _)| *owner == id)
            .count()
    }
}

/// One reader's handle on the shared cache: the cache and the reader's id.
#[derive(Debug)]
pub struct CacheSlot {
    cache: Arc<ChunkCache>,
    id: u64,
}

impl CacheSlot {
    /// The reader's id in the cache.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Chunk `index`: from the cache, or from `load` (which verifies) and then, when
    /// `insert`, kept. Concurrent inserting misses on one chunk share one `load`.
    pub(crate) fn get_or_load(
        &self,
        index: usize,
        insert: bool,
        load: impl FnOnce() -> Result<Bytes>,
    ) -> Result<Bytes> {
        let key = (self.id, index);
        let c = &self.cache;
        if !insert {
            if let Some(hit) = c.map.get(&key) {
                c.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(hit);
            }
            c.misses.fetch_add(1, Ordering::Relaxed);
            return load();
        }
        let mut missed = false;
        let got = c.map.get_or_insert_with(&key, || {
            missed = true;
            load()
        });
        let counter = if missed { &c.misses } else { &c.hits };
        counter.fetch_add(1, Ordering::Relaxed);
        got
    }

    /// Drops this reader's chunks `0..chunk_count` from the cache.
    pub(crate) fn purge(&self, chunk_count: usize) {
        for index in 0..chunk_count {
            self.cache.map.remove(&(self.id, index));
        }
    }
}

#[cfg(test)]
#[path = "chunk_cache_tests.rs"]
mod tests;
