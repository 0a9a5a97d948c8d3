//! Keys: the partition token, the partition key and the clustering key.
//!
//! Partitions are ordered by `(token, key bytes)`; rows inside a partition by
//! their clustering key, an opaque byte string compared lexicographically
//! (DESIGN §4). The server encodes every CQL clustering component with a
//! *self-delimiting* (prefix-free), order-preserving encoding, so the encoding
//! of a clustering prefix is a byte prefix of every key that extends it; the
//! bound logic in [`super::bound`] relies on that.

use std::cmp::Ordering;
use std::fmt;

use bytes::Bytes;

use super::partitioner::murmur3_token;

/// A position on the Murmur3 ring (Cassandra's `LongToken`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Token(pub i64);

impl Token {
    /// The minimum token; it is also the token of the empty partition key.
    pub const MIN: Token = Token(i64::MIN);
    /// The maximum token.
    pub const MAX: Token = Token(i64::MAX);
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A partition key: its serialized bytes and their token.
///
/// Ordered by `(token, key bytes)`. Invariant: `token` is the partitioner's
/// token of `key` (guaranteed by [`PartitionKey::new`]; [`PartitionKey::from_parts`]
/// trusts its caller).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PartitionKey {
    token: Token,
    key: Bytes,
}

impl PartitionKey {
    /// Builds a key from its serialized bytes, computing the Murmur3 token.
    pub fn new(key: impl Into<Bytes>) -> Self {
        let key = key.into();
        Self {
            token: murmur3_token(&key),
            key,
        }
    }

    /// Builds a key from a token already known to belong to `key` (decoders
    /// of our own files, tests of token ordering). The caller guarantees the
    /// pairing; a wrong token misplaces the partition but breaks no memory
    /// safety.
    pub fn from_parts(token: Token, key: impl Into<Bytes>) -> Self {
        Self {
            token,
            key: key.into(),
        }
    }

    /// The key's token.
    pub fn token(&self) -> Token {
        self.token
    }

    /// The serialized key bytes.
    pub fn key(&self) -> &Bytes {
        &self.key
    }
}

impl Ord for PartitionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.token
            .cmp(&other.token)
            .then_with(|| self.key.cmp(&other.key))
    }
}

impl PartialOrd for PartitionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PartitionKey({}, {:02x?})",
            self.token,
            self.key.as_ref()
        )
    }
}

/// A row's clustering key: order-preserving, self-delimiting encoded
/// components, compared as plain bytes. The empty key is the only row of a
/// table without clustering columns (and the key of the static row).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct ClusteringKey(pub Bytes);

/// Byte order of `a` and `b` (the order of `[u8]`), comparing the first
/// eight bytes as one big-endian word: memtable and merge searches compare
/// keys constantly, and most keys (timestamps, ids) differ within them.
#[inline]
pub fn cmp_key_bytes(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    if a.is_empty() || b.is_empty() {
        // Tables without clustering columns: every key is empty.
        return a.len().cmp(&b.len());
    }
    if let (Some((x, a_rest)), Some((y, b_rest))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        let (x, y) = (u64::from_be_bytes(*x), u64::from_be_bytes(*y));
        if x != y {
            return x.cmp(&y);
        }
        return a_rest.cmp(b_rest);
    }
    a.cmp(b)
}

impl Ord for ClusteringKey {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        cmp_key_bytes(&self.0, &other.0)
    }
}

impl PartialOrd for ClusteringKey {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl ClusteringKey {
    /// The empty clustering key.
    pub const EMPTY: ClusteringKey = ClusteringKey(Bytes::new());

    /// Wraps encoded bytes.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        Self(bytes.into())
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// True when `prefix` is a byte prefix of this key (the key lies "inside"
    /// the clustering prefix).
    pub fn has_prefix(&self, prefix: &[u8]) -> bool {
        self.0.starts_with(prefix)
    }
}

impl fmt::Debug for ClusteringKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ck({:02x?})", self.0.as_ref())
    }
}

/// Identifies a table inside the engine (the server maps CQL table UUIDs to it).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct TableId(pub u128);

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}
