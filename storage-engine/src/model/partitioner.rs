//! Cassandra's `Murmur3Partitioner`: partition key bytes -> [`Token`].
//!
//! MurmurHash3 x64_128 with seed 0; the token is the first half `h1` as a
//! signed 64-bit integer, with `i64::MIN` mapped to `i64::MAX` (Cassandra
//! reserves the minimum token). Cassandra reads the 1..15 tail bytes as
//! *signed* Java bytes, so tail bytes >= 0x80 are sign-extended before they
//! are shifted and XOR-ed in; the drivers copy this quirk and so do we
//! (COMPAT §6). The empty key maps to the minimum token, as in Cassandra.
//! This is the only hash the project uses for placement (`server::ring` reuses it).

use super::key::Token;
use crate::error::DecodeError;

const C1: u64 = 0x87c3_7b91_1142_53d5;
const C2: u64 = 0x4cf5_ad43_2745_937f;

/// The Murmur3 token of a serialized partition key.
pub fn murmur3_token(key: &[u8]) -> Token {
    if key.is_empty() {
        return Token::MIN;
    }
    let h1 = murmur3_x64_128_h1(key);
    Token(if h1 == i64::MIN { i64::MAX } else { h1 })
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

fn mix_k1(k1: u64) -> u64 {
    k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2)
}

fn mix_k2(k2: u64) -> u64 {
    k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1)
}

/// A tail byte as Cassandra reads it: a signed Java byte widened to long.
fn signed(byte: u8) -> u64 {
    i64::from(byte.cast_signed()).cast_unsigned()
}

/// The first 64-bit half of Cassandra's MurmurHash3 x64_128 (seed 0).
fn murmur3_x64_128_h1(key: &[u8]) -> i64 {
    let mut h1: u64 = 0;
    let mut h2: u64 = 0;
    let mut blocks = key.chunks_exact(16);
    for block in &mut blocks {
        let (lo, hi) = block.split_at(8);
        let k1 = u64::from_le_bytes(lo.try_into().unwrap_or([0; 8]));
        let k2 = u64::from_le_bytes(hi.try_into().unwrap_or([0; 8]));
        h1 ^= mix_k1(k1);
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        h2 ^= mix_k2(k2);
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    let mut k1: u64 = 0;
    let mut k2: u64 = 0;
    for (i, &byte) in tail.iter().enumerate().rev() {
        if i >= 8 {
            k2 ^= signed(byte) << ((i - 8) * 8);
        } else {
            k1 ^= signed(byte) << (i * 8);
        }
    }
    if tail.len() > 8 {
        h2 ^= mix_k2(k2);
    }
    if !tail.is_empty() {
        h1 ^= mix_k1(k1);
    }
    let len = key.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h1.cast_signed()
}

/// Packs the serialized components of a composite partition key as the
/// drivers and Cassandra do: `[u16 big-endian length][value][0x00]` each.
/// A single-column key is not packed (use its value as is).
///
/// # Errors
/// [`crate::Error::LimitExceeded`] when a component is longer than 65,535 bytes.
pub fn pack_composite(components: &[&[u8]]) -> crate::Result<Vec<u8>> {
    let total: usize = components.iter().map(|c| c.len() + 3).sum();
    let mut out = Vec::with_capacity(total);
    for component in components {
        let len = u16::try_from(component.len()).map_err(|_| crate::Error::LimitExceeded {
            what: "composite partition key component",
            got: component.len() as u64,
            max: u64::from(u16::MAX),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(component);
        out.push(0);
    }
    Ok(out)
}

/// Splits a packed composite key into its components.
///
/// # Errors
/// [`DecodeError`] when the bytes are not a well-formed packing.
pub fn unpack_composite(mut packed: &[u8]) -> Result<Vec<&[u8]>, DecodeError> {
    let start_len = packed.len();
    let mut out = Vec::new();
    while !packed.is_empty() {
        let offset = start_len - packed.len();
        let truncated = DecodeError::Truncated {
            what: "composite key component",
            offset,
        };
        let (len, rest) = packed.split_at_checked(2).ok_or(truncated.clone())?;
        let len: [u8; 2] = len.try_into().map_err(|_| truncated.clone())?;
        let len = usize::from(u16::from_be_bytes(len));
        let (value, rest) = rest.split_at_checked(len).ok_or(truncated.clone())?;
        let (eoc, rest) = rest.split_first().ok_or(truncated)?;
        if *eoc != 0 {
            return Err(DecodeError::Invalid {
                what: "composite end-of-component byte",
                offset,
            });
        }
        out.push(value);
        packed = rest;
    }
    Ok(out)
}
