//! Goal: Sibyl's Murmur3 tokens equal what client libraries compute for routing,
//! including keys with bytes >= 0x80 (Cassandra's sign-extended tail quirk).
//! Method: compare `sibyl_storage`'s partitioner with the scylla driver's
//! `Murmur3Partitioner` and `cassandra-protocol`'s `Murmur3Token` on the
//! COMPAT §6 vectors, UTF-8 keys like "château", and random byte strings.

use proptest::prelude::*;
use scylla::routing::partitioner::{Murmur3Partitioner, Partitioner};
use sibyl_storage::model::murmur3_token;

fn scylla(key: &[u8]) -> i64 {
    Murmur3Partitioner.hash_one(key).value()
}

fn cassandra_protocol(key: &[u8]) -> i64 {
    cassandra_protocol::token::Murmur3Token::generate(key).value
}

#[test]
fn known_vectors_and_high_bytes() {
    let vectors: [(&[u8], i64); 4] = [
        (b"a", -8_839_064_797_231_613_815),
        (b"hello", -3_758_069_500_696_749_310),
        (&[0xff, 0x80, 0x01], -6_979_169_580_508_520_651),
        (
            &[0, 4, 0, 0, 0, 1, 0, 0, 1, 0x78, 0],
            746_584_927_563_629_270,
        ),
    ];
    for (key, token) in vectors {
        assert_eq!(murmur3_token(key).0, token, "sibyl {key:?}");
        assert_eq!(scylla(key), token, "scylla {key:?}");
        assert_eq!(cassandra_protocol(key), token, "cassandra-protocol {key:?}");
    }
    for text in ["château", "Übergröße", "日本語のキー", "\u{80}", "emoji 🦀"] {
        let key = text.as_bytes();
        assert_eq!(murmur3_token(key).0, scylla(key), "{text}");
        assert_eq!(murmur3_token(key).0, cassandra_protocol(key), "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn random_keys_agree(key in proptest::collection::vec(any::<u8>(), 1..64)) {
        let ours = murmur3_token(&key).0;
        prop_assert_eq!(ours, scylla(&key));
        prop_assert_eq!(ours, cassandra_protocol(&key));
    }
}
