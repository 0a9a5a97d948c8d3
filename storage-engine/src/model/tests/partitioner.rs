//! Murmur3 tokens against the drivers' vectors (COMPAT §6).

use crate::model::key::{PartitionKey, Token};
use crate::model::partitioner::{murmur3_token, pack_composite, unpack_composite};

#[test]
fn compat_vectors() {
    let cases: &[(&[u8], i64)] = &[
        (b"a", -8839064797231613815),
        (b"hello", -3758069500696749310),
        (&[0xff, 0x80, 0x01], -6979169580508520651),
        (&[0, 4, 0, 0, 0, 1, 0, 0, 1, 0x78, 0], 746584927563629270),
        (&[0, 0, 0, 1], -4069959284402364209),
    ];
    for (key, token) in cases {
        assert_eq!(murmur3_token(key), Token(*token), "key {key:02x?}");
    }
}

#[test]
fn empty_key_is_minimum_token() {
    assert_eq!(murmur3_token(b""), Token::MIN);
}

#[test]
fn composite_packing_matches_vector() {
    let packed = pack_composite(&[&[0, 0, 0, 1], b"x"]).unwrap();
    assert_eq!(packed, vec![0, 4, 0, 0, 0, 1, 0, 0, 1, 0x78, 0]);
    assert_eq!(murmur3_token(&packed), Token(746584927563629270));
    assert_eq!(
        unpack_composite(&packed).unwrap(),
        vec![&[0u8, 0, 0, 1][..], b"x"]
    );
    assert!(unpack_composite(&[0, 4, 0]).is_err());
    assert!(unpack_composite(&[0, 1, 7, 1]).is_err());
}

/// Keys with tail bytes >= 0x80 at every tail length and across a 16-byte
/// block: checked against an independent straight transcription of
/// Cassandra's Java loop (signed bytes, `switch` fall-through).
#[test]
fn high_bytes_every_tail_length() {
    for len in 0..40usize {
        let key: Vec<u8> = (0..len)
            .map(|i| u8::try_from((0x80 + i * 7) % 256).unwrap())
            .collect();
        let expected = java_reference(&key);
        assert_eq!(murmur3_token(&key).0, expected, "len {len}");
    }
    let chateau = "château".as_bytes();
    assert_eq!(murmur3_token(chateau).0, java_reference(chateau));
    assert_ne!(murmur3_token(chateau).0, unsigned_tail_reference(chateau));
}

fn java_reference(key: &[u8]) -> i64 {
    if key.is_empty() {
        return i64::MIN;
    }
    let h1 = reference(key, true);
    if h1 == i64::MIN { i64::MAX } else { h1 }
}

fn unsigned_tail_reference(key: &[u8]) -> i64 {
    reference(key, false)
}

fn reference(key: &[u8], signed: bool) -> i64 {
    let c1: i64 = 0x87c37b91114253d5u64 as i64;
    let c2: i64 = 0x4cf5ad432745937fu64 as i64;
    let fmix = |mut k: i64| {
        k ^= ((k as u64) >> 33) as i64;
        k = k.wrapping_mul(0xff51afd7ed558ccdu64 as i64);
        k ^= ((k as u64) >> 33) as i64;
        k = k.wrapping_mul(0xc4ceb9fe1a85ec53u64 as i64);
        k ^= ((k as u64) >> 33) as i64;
        k
    };
    let get = |i: usize| -> i64 {
        if signed {
            key[i] as i8 as i64
        } else {
            key[i] as i64
        }
    };
    let len = key.len();
    let nblocks = len / 16;
    let (mut h1, mut h2) = (0i64, 0i64);
    for i in 0..nblocks {
        let mut k1 = i64::from_le_bytes(key[i * 16..i * 16 + 8].try_into().unwrap());
        let mut k2 = i64::from_le_bytes(key[i * 16 + 8..i * 16 + 16].try_into().unwrap());
        k1 = k1.wrapping_mul(c1).rotate_left(31).wrapping_mul(c2);
        h1 ^= k1;
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dce729);
        k2 = k2.wrapping_mul(c2).rotate_left(33).wrapping_mul(c1);
        h2 ^= k2;
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x38495ab5);
    }
    let off = nblocks * 16;
    let (mut k1, mut k2) = (0i64, 0i64);
    let rem = len & 15;
    for j in (8..rem).rev() {
        k2 ^= get(off + j) << ((j - 8) * 8);
    }
    if rem > 8 {
        k2 = k2.wrapping_mul(c2).rotate_left(33).wrapping_mul(c1);
        h2 ^= k2;
    }
    for j in (0..rem.min(8)).rev() {
        k1 ^= get(off + j) << (j * 8);
    }
    if rem > 0 {
        k1 = k1.wrapping_mul(c1).rotate_left(31).wrapping_mul(c2);
        h1 ^= k1;
    }
    h1 ^= len as i64;
    h2 ^= len as i64;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1.wrapping_add(h2)
}

#[test]
fn partition_keys_order_by_token_then_bytes() {
    let a = PartitionKey::from_parts(Token(5), &b"z"[..]);
    let b = PartitionKey::from_parts(Token(5), &b"zz"[..]);
    let c = PartitionKey::from_parts(Token(6), &b"a"[..]);
    assert!(a < b && b < c);
    assert_eq!(
        PartitionKey::new(&b"a"[..]).token(),
        Token(-8839064797231613815)
    );
}
