//! The memtable's ordered map of partitions: `(token, key)` to state.
//!
//! A lock-free skip list was the first choice, but finding a partition in
//! it chases a pointer per level, and with a million partitions that search
//! was the largest single cost of a write. This map is 64 B-trees, shard
//! `i` holding the tokens whose top six bits (in signed order) are `i`, each
//! behind its own lock. A lookup walks a shallow tree of dense nodes, and
//! writers rarely meet on a shard. Order is kept: shards follow each other in
//! token order, so a range walk visits them in turn.
//!
//! A walk copies each shard's matching `(key, state)` handles under the
//! shard's read lock and releases it before visiting them, so no lock is
//! held while a caller works. Partitions inserted concurrently may or may not
//! be seen; every state handle stays valid.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{Mutex, RwLock};

use super::state::PartState;
use crate::model::PartitionKey;

/// Number of shards (a power of two).
const SHARDS: usize = 64;

/// A partition's shared state.
pub(super) type SharedState = Arc<Mutex<PartState>>;

/// The length and first bytes of a key, kept beside it in the map: finding
/// a partition compares bytes in the node it already reads, and follows the
/// key's own allocation (a cache miss per write) only for keys longer than
/// the copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct KeyHead {
    len: usize,
    bytes: [u8; KEY_HEAD_BYTES],
}

/// Key bytes copied into [`KeyHead`].
const KEY_HEAD_BYTES: usize = 16;

impl KeyHead {
    fn of(key: &PartitionKey) -> Self {
        let key = key.key();
        let mut bytes = [0u8; KEY_HEAD_BYTES];
        let n = key.len().min(KEY_HEAD_BYTES);
        if let (Some(to), Some(from)) = (bytes.get_mut(..n), key.get(..n)) {
            to.copy_from_slice(from);
        }
        Self {
            len: key.len(),
            bytes,
        }
    }
}

/// One partition of the map.
#[derive(Debug)]
struct Entry {
    head: KeyHead,
    key: PartitionKey,
    state: SharedState,
}

impl Entry {
    /// True when this is partition `key` (whose head is `head`); the caller
    /// found it under `key`'s token.
    fn is(&self, key: &PartitionKey, head: &KeyHead) -> bool {
        self.head == *head && (head.len <= KEY_HEAD_BYTES || self.key.key() == key.key())
    }
}

/// The partitions of one token: almost always one (tokens are 64-bit
/// Murmur3 hashes), in key order when several collide.
#[derive(Debug)]
enum Slot {
    One(Entry),
    Many(Vec<Entry>),
}

impl Slot {
    fn get(&self, key: &PartitionKey, head: &KeyHead) -> Option<&SharedState> {
        self.entries()
            .iter()
            .find(|e| e.is(key, head))
            .map(|e| &e.state)
    }

    fn insert(&mut self, entry: Entry) {
        let mut entries = match std::mem::replace(self, Self::Many(Vec::new())) {
            Self::One(one) => vec![one],
            Self::Many(entries) => entries,
        };
        let at = entries.partition_point(|e| e.key < entry.key);
        entries.insert(at, entry);
        *self = Self::Many(entries);
    }

    fn entries(&self) -> &[Entry] {
        match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(entries) => entries,
        }
    }
}

/// Keyed by token alone, so a lookup compares dense `i64`s; the key bytes
/// are compared only in the slot found.
type Shard = BTreeMap<i64, Slot>;

/// The sharded ordered map.
#[derive(Debug)]
pub(super) struct PartitionMap {
    shards: Box<[RwLock<Shard>]>,
    len: AtomicUsize,
}

/// The shard of `token`: its top bits, in signed order.
fn shard_of(token: i64) -> usize {
    let unsigned = token.cast_unsigned() ^ (1 << 63);
    let top = unsigned >> (64 - SHARDS.trailing_zeros());
    // `top < SHARDS` by the shift.
    usize::try_from(top).unwrap_or(SHARDS - 1)
}

/// True when no key lies between `start` and `end`.
fn is_empty_range(start: &Bound<PartitionKey>, end: &Bound<PartitionKey>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
        _ => false,
    }
}

/// True when `key` lies inside `(start, end)`.
fn contains(start: &Bound<PartitionKey>, end: &Bound<PartitionKey>, key: &PartitionKey) -> bool {
    let above = match start {
        Bound::Included(s) => key >= s,
        Bound::Excluded(s) => key > s,
        Bound::Unbounded => true,
    };
    let below = match end {
        Bound::Included(e) => key <= e,
        Bound::Excluded(e) => key < e,
        Bound::Unbounded => true,
    };
    above && below
}

/// The token bounds (inclusive) covering the key bounds.
fn token_bounds(start: &Bound<PartitionKey>, end: &Bound<PartitionKey>) -> (i64, i64) {
    let lo = match start {
        Bound::Included(k) | Bound::Excluded(k) => k.token().0,
        Bound::Unbounded => i64::MIN,
    };
    let hi = match end {
        Bound::Included(k) | Bound::Excluded(k) => k.token().0,
        Bound::Unbounded => i64::MAX,
    };
    (lo, hi)
}

impl PartitionMap {
    /// An empty map.
    pub(super) fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::new())).collect(),
            len: AtomicUsize::new(0),
        }
    }

    fn shard(&self, key: &PartitionKey) -> &RwLock<Shard> {
        &self.shards[shard_of(key.token().0)]
    }

    /// Number of partitions.
    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// The state of partition `key`, if present.
    pub(super) fn get(&self, key: &PartitionKey) -> Option<SharedState> {
        let shard = self.shard(key).read();
        shard
            .get(&key.token().0)?
            .get(key, &KeyHead::of(key))
            .cloned()
    }

    /// The state of partition `key`, created empty when absent; also says
    /// whether it was created.
    pub(super) fn get_or_insert(&self, key: &PartitionKey) -> (SharedState, bool) {
        let token = key.token().0;
        let shard = self.shard(key);
        let head = KeyHead::of(key);
        if let Some(state) = shard.read().get(&token).and_then(|s| s.get(key, &head)) {
            return (Arc::clone(state), false);
        }
        let mut guard = shard.write();
        let state = SharedState::default();
        let entry = Entry {
            head,
            key: key.clone(),
            state: Arc::clone(&state),
        };
        match guard.get_mut(&token) {
            Some(slot) => {
                if let Some(found) = slot.get(key, &head) {
                    return (Arc::clone(found), false);
                }
                slot.insert(entry);
            }
            None => {
                guard.insert(token, Slot::One(entry));
            }
        }
        self.len.fetch_add(1, Ordering::Relaxed);
        (state, true)
    }

    /// The partitions with keys in `(start, end)`, in `(token, key)` order,
    /// as handles copied one shard at a time.
    pub(super) fn range(
        &self,
        start: Bound<PartitionKey>,
        end: Bound<PartitionKey>,
    ) -> impl Iterator<Item = (PartitionKey, SharedState)> + '_ {
        let (lo, hi) = token_bounds(&start, &end);
        let shards = if is_empty_range(&start, &end) || lo > hi {
            Vec::new()
        } else {
            (shard_of(lo)..=shard_of(hi)).collect()
        };
        shards.into_iter().flat_map(move |i| {
            let shard = self.shards[i].read();
            let handles: Vec<(PartitionKey, SharedState)> = shard
                .range(lo..=hi)
                .flat_map(|(_, slot)| slot.entries())
                .filter(|e| contains(&start, &end, &e.key))
                .map(|e| (e.key.clone(), Arc::clone(&e.state)))
                .collect();
            handles
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Token;

    fn key(token: i64, bytes: &'static [u8]) -> PartitionKey {
        PartitionKey::from_parts(Token(token), bytes::Bytes::from_static(bytes))
    }

    #[test]
    fn shards_follow_token_order() {
        let tokens = [i64::MIN, -(1 << 62), -1, 0, 1, 1 << 62, i64::MAX];
        let shards: Vec<usize> = tokens.iter().map(|&t| shard_of(t)).collect();
        assert!(shards.windows(2).all(|w| w[0] <= w[1]), "{shards:?}");
        assert_eq!(shards[0], 0);
        assert_eq!(shards[6], SHARDS - 1);
    }

    #[test]
    fn range_walks_every_shard_in_order_and_honours_bounds() {
        let map = PartitionMap::new();
        let tokens: Vec<i64> = (-50..50).map(|i| i * (i64::MAX / 50)).collect();
        for &t in &tokens {
            assert!(map.get_or_insert(&key(t, b"k")).1);
            assert!(
                !map.get_or_insert(&key(t, b"k")).1,
                "second insert finds it"
            );
        }
        assert_eq!(map.len(), tokens.len());
        let all: Vec<i64> = map
            .range(Bound::Unbounded, Bound::Unbounded)
            .map(|(k, _)| k.token().0)
            .collect();
        assert_eq!(all, tokens);
        let (lo, hi) = (key(tokens[10], b"k"), key(tokens[20], b"k"));
        let some: Vec<i64> = map
            .range(Bound::Excluded(lo.clone()), Bound::Included(hi.clone()))
            .map(|(k, _)| k.token().0)
            .collect();
        assert_eq!(some, tokens[11..=20].to_vec());
        assert_eq!(
            map.range(Bound::Excluded(lo.clone()), Bound::Excluded(lo.clone()))
                .count(),
            0
        );
        assert_eq!(
            map.range(Bound::Included(hi), Bound::Excluded(lo)).count(),
            0
        );
    }

    #[test]
    fn keys_sharing_a_token_are_kept_apart_in_key_order() {
        let map = PartitionMap::new();
        let (b, a, c) = (key(7, b"b"), key(7, b"a"), key(7, b"c"));
        let (state_b, _) = map.get_or_insert(&b);
        assert!(map.get_or_insert(&a).1);
        assert!(map.get_or_insert(&c).1);
        assert!(Arc::ptr_eq(&map.get(&b).expect("b"), &state_b));
        assert!(map.get(&key(7, b"d")).is_none());
        let keys: Vec<PartitionKey> = map
            .range(Bound::Excluded(a.clone()), Bound::Unbounded)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, vec![b, c]);
        assert_eq!(map.len(), 3);
    }

    #[test]
    fn long_keys_with_one_head_are_told_apart_by_their_full_bytes() {
        let map = PartitionMap::new();
        let long_a = key(9, b"0123456789abcdef-tail-a");
        let long_b = key(9, b"0123456789abcdef-tail-b");
        let head_only = key(9, b"0123456789abcdef");
        let (state_a, created) = map.get_or_insert(&long_a);
        assert!(created);
        assert!(
            map.get_or_insert(&long_b).1,
            "same head and token, other key"
        );
        assert!(
            map.get_or_insert(&head_only).1,
            "a prefix of both is its own key"
        );
        assert!(Arc::ptr_eq(&map.get(&long_a).expect("a"), &state_a));
        assert!(!Arc::ptr_eq(&map.get(&long_b).expect("b"), &state_a));
        assert!(map.get(&key(9, b"0123456789abcdef-tail-c")).is_none());
        assert_eq!(map.len(), 3);
    }
}
