//! Prepared statements: deterministic ids and a bounded cache.
//!
//! The id is Cassandra's: MD5 of `keyspace + query` (just the query when no
//! keyspace applies), so every node gives the same id for the same statement
//! and a re-prepare returns the id the driver already holds (drivers check).
//! The cache is bounded in bytes and evicts the least recently used entry; an
//! evicted statement is answered `Unprepared`, which drivers handle by
//! preparing again.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use md5::{Digest, Md5};
use parking_lot::RwLock;

/// The id of a prepared statement.
pub fn prepared_id(keyspace: Option<&str>, query: &str) -> Bytes {
    let mut hasher = Md5::new();
    if let Some(keyspace) = keyspace {
        hasher.update(keyspace.as_bytes());
    }
    hasher.update(query.as_bytes());
    Bytes::copy_from_slice(&hasher.finalize())
}

struct Entry<T> {
    value: Arc<T>,
    size_bytes: usize,
    /// The cache's tick at the last use (under the read lock: an atomic).
    last_used: AtomicU64,
}

struct Inner<T> {
    entries: HashMap<Bytes, Entry<T>>,
    size_bytes: usize,
}

/// A byte-bounded LRU cache of prepared statements by id.
///
/// Every EXECUTE looks its statement up, so a lookup takes only a read lock
/// and stamps the entry with the current tick (advanced by inserts); the
/// least recently used entry is found by a scan when an insert must evict
/// (rare: statements are prepared once).
pub struct PreparedCache<T> {
    capacity_bytes: usize,
    tick: AtomicU64,
    inner: RwLock<Inner<T>>,
}

impl<T> PreparedCache<T> {
    /// A cache holding at most `capacity_bytes` of statements (as sized by the caller).
    pub fn new(capacity_bytes: usize) -> Self {
        Self {
            capacity_bytes,
            tick: AtomicU64::new(0),
            inner: RwLock::new(Inner {
                entries: HashMap::new(),
                size_bytes: 0,
            }),
        }
    }

    fn next_tick(&self) -> u64 {
        self.tick.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The statement with this id, marking it recently used.
    ///
    /// The tick moves on inserts only, so a statement executed over and over
    /// is stamped once per insert, not once per use: its entry is not
    /// written (and its cache line not bounced between cores) on every
    /// EXECUTE. Statements used since the last insert tie as most recent.
    pub fn get(&self, id: &[u8]) -> Option<Arc<T>> {
        let inner = self.inner.read();
        let entry = inner.entries.get(id)?;
        let now = self.tick.load(Ordering::Relaxed);
        if entry.last_used.load(Ordering::Relaxed) != now {
            entry.last_used.store(now, Ordering::Relaxed);
        }
        Some(Arc::clone(&entry.value))
    }

    /// Stores a statement, evicting the least recently used ones to stay in
    /// budget. A statement larger than the whole budget is not cached.
    pub fn insert(&self, id: Bytes, value: Arc<T>, size_bytes: usize) {
        if size_bytes > self.capacity_bytes {
            return;
        }
        let tick = self.next_tick();
        let mut inner = self.inner.write();
        if let Some(old) = inner.entries.remove(&id) {
            inner.size_bytes -= old.size_bytes;
        }
        while inner.size_bytes + size_bytes > self.capacity_bytes {
            let victim = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone());
            let Some(victim) = victim else {
                break;
            };
            if let Some(evicted) = inner.entries.remove(&victim) {
                inner.size_bytes -= evicted.size_bytes;
            }
        }
        inner.size_bytes += size_bytes;
        inner.entries.insert(
            id,
            Entry {
                value,
                size_bytes,
                last_used: AtomicU64::new(tick),
            },
        );
    }

    /// Drops every statement (schema changes may invalidate them).
    pub fn clear(&self) {
        let mut inner = self.inner.write();
        inner.entries.clear();
        inner.size_bytes = 0;
    }

    /// Number of cached statements.
    pub fn len(&self) -> usize {
        self.inner.read().entries.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_cassandras_md5_of_keyspace_and_query() {
        // MD5("") and MD5("ksSELECT 1") computed independently (Python hashlib).
        assert_eq!(
            hex(&prepared_id(None, "")),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            prepared_id(Some("ks"), "SELECT 1"),
            prepared_id(None, "ksSELECT 1")
        );
        assert_ne!(
            prepared_id(Some("a"), "SELECT 1"),
            prepared_id(Some("b"), "SELECT 1")
        );
        assert_eq!(prepared_id(Some("ks"), "q").len(), 16);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn least_recently_used_statements_are_evicted_first() {
        let cache = PreparedCache::new(30);
        for name in ["a", "b", "c"] {
            cache.insert(Bytes::from(name), Arc::new(name.to_owned()), 10);
        }
        assert!(cache.get(b"a").is_some(), "touch a so b is the oldest");
        cache.insert(Bytes::from("d"), Arc::new("d".to_owned()), 10);
        assert!(cache.get(b"b").is_none());
        assert_eq!(cache.get(b"a").as_deref().map(String::as_str), Some("a"));
        assert!(cache.get(b"c").is_some() && cache.get(b"d").is_some());
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn reinserting_replaces_and_oversized_entries_are_not_cached() {
        let cache = PreparedCache::new(20);
        cache.insert(Bytes::from("a"), Arc::new(1), 10);
        cache.insert(Bytes::from("a"), Arc::new(2), 15);
        assert_eq!(cache.get(b"a").as_deref(), Some(&2));
        assert_eq!(cache.len(), 1);
        cache.insert(Bytes::from("huge"), Arc::new(3), 21);
        assert!(cache.get(b"huge").is_none());
        cache.clear();
        assert!(cache.is_empty());
    }
}
