//! Codec: round trip, and garbage never panics.

use bytes::Bytes;
use proptest::prelude::*;

use crate::model::codec::{decode_update, encode_update_to_bytes};
use crate::model::testing;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn round_trip(u in testing::update()) {
        let bytes = encode_update_to_bytes(&u);
        prop_assert_eq!(decode_update(&bytes).unwrap(), u);
    }

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_update(&Bytes::from(data));
    }

    #[test]
    fn damaged_encodings_never_panic(u in testing::update(), cut in any::<prop::sample::Index>(),
                                     flip in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let bytes = encode_update_to_bytes(&u).to_vec();
        let cut_at = cut.index(bytes.len());
        prop_assert!(decode_update(&Bytes::copy_from_slice(&bytes[..cut_at])).is_err());
        let mut flipped = bytes.clone();
        let i = flip.index(flipped.len());
        flipped[i] ^= byte | 1;
        let _ = decode_update(&Bytes::from(flipped));
    }
}

#[test]
fn rejects_unknown_version_and_trailing_bytes() {
    let u = crate::model::partition::PartitionUpdate::new(
        crate::model::key::TableId(1),
        crate::model::key::PartitionKey::new(&b"k"[..]),
    );
    let mut bytes = encode_update_to_bytes(&u).to_vec();
    bytes.push(0);
    assert!(matches!(
        decode_update(&Bytes::from(bytes.clone())),
        Err(crate::DecodeError::TrailingBytes { count: 1 })
    ));
    bytes[0] = 9;
    assert!(matches!(
        decode_update(&Bytes::from(bytes)),
        Err(crate::DecodeError::UnsupportedVersion { got: 9, .. })
    ));
}

#[test]
fn huge_declared_counts_are_rejected_without_allocating() {
    // version, table, token, key len 0, deletion, no static, rows = 2^60.
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(&[0; 16 + 8]);
    bytes.push(0);
    bytes.extend_from_slice(&[0; 12]);
    bytes.push(0);
    bytes.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
    assert!(matches!(
        decode_update(&Bytes::from(bytes)),
        Err(crate::DecodeError::TooLarge { .. })
    ));
}
