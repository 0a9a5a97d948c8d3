//! The bloom filter over partition keys: "is this key possibly in this SSTable?".
//!
//! We own the byte format (DEPENDENCIES: a crate's format must not change under us).
//! A key's bits come from double hashing: `h1 = hash64(key)`, `h2 = mix(h1) | 1`, and
//! the i-th probe is bit `(h1 + i * h2) mod bit_count`. The Filter component is a
//! small checksummed file: `header | hash_count u32 | bit_count u64 | words u64 LE * n |
//! crc32`. Invariant: a key that was added always answers `true` (no false negatives).

pub mod builder;

pub use builder::BloomBuilder;

use std::path::Path;

use super::codec::{ByteReader, len_u64};
use super::error::{Result, SsTableError};
use super::format::{Component, META_BYTES_MAX, checked_body, frame_body};

/// Most probes per key (fp chance 1e-6 needs 20).
pub const HASH_COUNT_MAX: u32 = 30;

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// The Murmur3 64-bit finalizer: every input bit affects every output bit.
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// A 64-bit hash of `bytes` (part of the Filter format: never change it within a version).
#[must_use]
pub fn hash64(bytes: &[u8]) -> u64 {
    let mut h = P2 ^ len_u64(bytes.len()).wrapping_mul(P1);
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word.iter_mut().zip(chunk).for_each(|(w, b)| *w = *b);
        let k = u64::from_le_bytes(word)
            .wrapping_mul(P2)
            .rotate_left(31)
            .wrapping_mul(P1);
        h = (h ^ k).rotate_left(27).wrapping_mul(P1).wrapping_add(P2);
    }
    fmix64(h)
}

/// The probe sequence for a key hashed to `h1`: `(h1, h2)` of the double hashing.
fn probes(h1: u64) -> (u64, u64) {
    (h1, fmix64(h1 ^ P1) | 1)
}

/// An immutable bloom filter, as read from a Filter component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloomFilter {
    hash_count: u32,
    bit_count: u64,
    words: Vec<u64>,
}

impl BloomFilter {
    fn bit_positions(&self, hash: u64) -> impl Iterator<Item = u64> + use<> {
        let (h1, h2) = probes(hash);
        let m = self.bit_count;
        (0..u64::from(self.hash_count)).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % m)
    }

    /// False when `key` was certainly never added; true when it may have been.
    #[must_use]
    pub fn might_contain(&self, key: &[u8]) -> bool {
        self.bit_positions(hash64(key)).all(|bit| {
            let word = usize::try_from(bit / 64)
                .ok()
                .and_then(|w| self.words.get(w));
            word.is_some_and(|w| w & (1u64 << (bit % 64)) != 0)
        })
    }

    fn set_hash(&mut self, hash: u64) {
        for bit in self.bit_positions(hash) {
            if let Some(w) = usize::try_from(bit / 64)
                .ok()
                .and_then(|w| self.words.get_mut(w))
            {
                *w |= 1u64 << (bit % 64);
            }
        }
    }

    /// Number of bits.
    #[must_use]
    pub fn bit_count(&self) -> u64 {
        self.bit_count
    }

    /// Number of probes per key.
    #[must_use]
    pub fn hash_count(&self) -> u32 {
        self.hash_count
    }

    /// Encodes the whole Filter component.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(12 + self.words.len() * 8);
        body.extend_from_slice(&self.hash_count.to_le_bytes());
        body.extend_from_slice(&self.bit_count.to_le_bytes());
        for w in &self.words {
            body.extend_from_slice(&w.to_le_bytes());
        }
        frame_body(Component::Filter, &body)
    }

    /// Decodes a whole Filter component.
    ///
    /// # Errors
    /// `Corruption`/`ChecksumMismatch` naming `file` for any bad byte.
    pub fn decode(bytes: &[u8], file: &Path) -> Result<Self> {
        if len_u64(bytes.len()) > META_BYTES_MAX {
            return Err(SsTableError::corruption(
                file,
                0,
                "filter larger than the limit",
            ));
        }
        let body = checked_body(bytes, Component::Filter, file)?;
        let base = len_u64(super::format::HEADER_LEN);
        let mut r = ByteReader::new(body);
        let hash_count = r.u32("hash count").map_err(|e| e.at(file, base))?;
        let bit_count = r.u64("bit count").map_err(|e| e.at(file, base))?;
        let bad = |what: &str| SsTableError::corruption(file, base, what);
        if hash_count == 0 || hash_count > HASH_COUNT_MAX {
            return Err(bad("hash count out of range"));
        }
        if bit_count == 0 || bit_count % 64 != 0 || bit_count / 8 != len_u64(r.remaining()) {
            return Err(bad("bit count disagrees with filter length"));
        }
        let words = r
            .take(r.remaining(), "words")
            .map_err(|e| e.at(file, base))?
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        Ok(Self {
            hash_count,
            bit_count,
            words,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(i: u64) -> Vec<u8> {
        format!("partition-key-{i}").into_bytes()
    }

    #[test]
    fn false_positive_rate_is_near_target() {
        let n = 20_000u64;
        let mut b = BloomBuilder::new(n, 0.01);
        (0..n).for_each(|i| b.add(&key(i)));
        let f = b.finish();
        assert!((0..n).all(|i| f.might_contain(&key(i))));
        let trials = 200_000u64;
        let fp = (n..n + trials)
            .filter(|i| f.might_contain(&key(*i)))
            .count();
        let rate = fp as f64 / trials as f64;
        assert!(rate < 0.015, "measured fp rate {rate}");
        assert!(
            rate > 0.003,
            "suspiciously low fp rate {rate}: filter oversized?"
        );
    }

    #[test]
    fn encoding_round_trips_and_detects_damage() {
        let mut b = BloomBuilder::new(100, 0.01);
        (0..100).for_each(|i| b.add(&key(i)));
        let f = b.finish();
        let bytes = f.encode();
        assert_eq!(BloomFilter::decode(&bytes, Path::new("f")).unwrap(), f);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(
                BloomFilter::decode(&bad, Path::new("f"))
                    .unwrap_err()
                    .is_corruption()
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn no_false_negatives(
            keys in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..300),
            fp in 0.0001f64..0.5,
        ) {
            let mut b = BloomBuilder::new(keys.len() as u64, fp);
            keys.iter().for_each(|k| b.add(k));
            let f = BloomFilter::decode(&b.finish().encode(), Path::new("f")).unwrap();
            for k in &keys {
                prop_assert!(f.might_contain(k));
            }
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = BloomFilter::decode(&bytes, Path::new("f"));
        }
    }
}
