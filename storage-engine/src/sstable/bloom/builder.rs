//! `BloomBuilder`: sizes a filter for an expected key count and false-positive chance.
//!
//! Sizing is the textbook optimum: `bits = -n ln(p) / ln(2)^2` rounded up to whole
//! 64-bit words, `probes = round(bits / n * ln 2)` clamped to `1..=HASH_COUNT_MAX`.
//! The bit count is capped so a mis-estimated key count cannot allocate unboundedly.

use super::{BloomFilter, HASH_COUNT_MAX};

/// Default `bloom_filter_fp_chance` (Cassandra's for size-tiered tables).
pub const FP_CHANCE_DEFAULT: f64 = 0.01;
/// Largest filter, in bits (512 MiB of memory).
pub const BITS_MAX: u64 = 1 << 32;

/// Collects keys into a filter sized at construction.
#[derive(Debug, Clone)]
pub struct BloomBuilder {
    filter: BloomFilter,
}

impl BloomBuilder {
    /// A builder for about `expected_keys` keys at false-positive chance `fp_chance`
    /// (values outside `(0, 1)` fall back to [`FP_CHANCE_DEFAULT`]).
    #[must_use]
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "float sizing maths, clamped to explicit bounds before use"
    )]
    pub fn new(expected_keys: u64, fp_chance: f64) -> Self {
        let p = if fp_chance > 0.0 && fp_chance < 1.0 {
            fp_chance
        } else {
            FP_CHANCE_DEFAULT
        };
        let n = expected_keys.max(1) as f64;
        let ln2 = std::f64::consts::LN_2;
        let bits = (-n * p.ln() / (ln2 * ln2))
            .ceil()
            .clamp(64.0, BITS_MAX as f64) as u64;
        let bit_count = bits.div_ceil(64) * 64;
        let k = (bit_count as f64 / n * ln2)
            .round()
            .clamp(1.0, f64::from(HASH_COUNT_MAX)) as u32;
        let words = usize::try_from(bit_count / 64).unwrap_or(1);
        Self {
            filter: BloomFilter {
                hash_count: k,
                bit_count,
                words: vec![0; words],
            },
        }
    }

    /// Adds `key`.
    pub fn add(&mut self, key: &[u8]) {
        self.filter.set_hash(super::hash64(key));
    }

    /// Adds a key by its [`super::hash64`] (lets a writer size the filter at the end).
    pub fn add_hash(&mut self, hash: u64) {
        self.filter.set_hash(hash);
    }

    /// The finished filter.
    #[must_use]
    pub fn finish(self) -> BloomFilter {
        self.filter
    }
}
