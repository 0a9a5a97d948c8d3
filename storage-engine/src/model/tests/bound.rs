//! Clustering bounds: the prefix rule, positions, slices.

use proptest::prelude::*;

use crate::model::bound::{ClusteringBound as B, Slice, Slices};
use crate::model::key::ClusteringKey;
use crate::model::testing;

fn ck(b: &[u8]) -> ClusteringKey {
    ClusteringKey::new(b.to_vec())
}

#[test]
fn prefix_rule() {
    // Keys (a, *) with a = 0x10 and two-component keys.
    let k = ck(&[0x10, 0x20]);
    assert!(B::inclusive_start(vec![0x10]).admits(&k));
    assert!(!B::exclusive_start(vec![0x10]).admits(&k));
    assert!(B::inclusive_end(vec![0x10]).admits(&k));
    assert!(!B::exclusive_end(vec![0x10]).admits(&k));
    assert!(B::exclusive_start(vec![0x10]).admits(&ck(&[0x11])));
    assert!(!B::inclusive_end(vec![0x10]).admits(&ck(&[0x11])));
    assert!(B::exclusive_end(vec![0x10]).admits(&ck(&[0x0f, 0xff])));
    // Empty prefixes are unbounded whatever their inclusivity.
    assert!(B::exclusive_start(vec![]).admits(&ck(&[])));
    assert!(B::exclusive_end(vec![]).admits(&ck(&[0xff, 0xff])));
}

#[test]
fn all_ff_prefix_has_no_successor() {
    assert!(B::inclusive_end(vec![0xff]).admits(&ck(&[0xff, 0xff, 0x01])));
    assert!(!B::exclusive_start(vec![0xff]).admits(&ck(&[0xff, 0x00])));
    assert_eq!(
        B::inclusive_end(vec![0xff]).cmp_position(&B::TOP),
        std::cmp::Ordering::Equal
    );
    // (0x10 0xff)+ has the same end as 0x10.
    assert_eq!(
        B::inclusive_end(vec![0x10, 0xff]).cmp_position(&B::exclusive_end(vec![0x11])),
        std::cmp::Ordering::Equal
    );
}

#[test]
fn slices_normalise() {
    let s1 = Slice::new(B::inclusive_start(vec![0x10]), B::exclusive_end(vec![0x20])).unwrap();
    let s2 = Slice::new(B::inclusive_start(vec![0x20]), B::inclusive_end(vec![0x20])).unwrap();
    let s3 = Slice::new(B::exclusive_start(vec![0x30]), B::inclusive_end(vec![0x40])).unwrap();
    let empty = Slice::new(B::exclusive_start(vec![0x50]), B::exclusive_end(vec![0x50])).unwrap();
    let slices = Slices::new(vec![s3.clone(), empty, s2, s1]);
    assert_eq!(slices.as_slice().len(), 2, "{slices:?}");
    assert!(slices.contains(&ck(&[0x20, 0x01])));
    assert!(!slices.contains(&ck(&[0x30])));
    assert!(slices.contains(&ck(&[0x31])));
    assert!(Slice::new(B::inclusive_end(vec![1]), B::TOP).is_err());
    assert!(Slices::all().selects_all());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Slices::contains agrees with "some slice contains the key".
    #[test]
    fn slices_contains_matches_naive(
        raw in proptest::collection::vec((testing::bound(true), testing::bound(false)), 0..5),
        keys in proptest::collection::vec(testing::clustering(), 1..10),
    ) {
        let list: Vec<Slice> = raw.into_iter().map(|(start, end)| Slice { start, end }).collect();
        let slices = Slices::new(list.clone());
        for key in &keys {
            prop_assert_eq!(slices.contains(key), list.iter().any(|s| s.contains(key)));
        }
        for pair in slices.as_slice().windows(2) {
            prop_assert!(pair[0].end.cmp_position(&pair[1].start).is_lt());
        }
    }

    /// Positions are consistent with key comparisons: a bound before a key
    /// compares below any bound placed after that key.
    #[test]
    fn positions_consistent_with_keys(a in testing::bound(true), b in testing::bound(false),
                                      key in testing::clustering()) {
        if a.cmp_key(&key).is_lt() && b.cmp_key(&key).is_gt() {
            prop_assert!(a.cmp_position(&b).is_lt());
        }
        let via_bytes = a.position_bytes().cmp(&b.position_bytes());
        if let (Some(_), Some(_)) = (a.position_bytes(), b.position_bytes()) {
            prop_assert_eq!(via_bytes, a.cmp_position(&b));
        }
    }
}

proptest! {
    /// The word-at-a-time key order is exactly the byte order.
    #[test]
    fn clustering_key_order_is_byte_order(
        a in proptest::collection::vec(any::<u8>(), 0..20),
        b in proptest::collection::vec(any::<u8>(), 0..20),
        shared in 0usize..12,
    ) {
        // Keys often share a prefix: make `b` start like `a` for `shared` bytes.
        let mut b = b;
        let n = shared.min(a.len()).min(b.len());
        b[..n].copy_from_slice(&a[..n]);
        prop_assert_eq!(ck(&a).cmp(&ck(&b)), a.as_slice().cmp(b.as_slice()));
        prop_assert_eq!(crate::model::key::cmp_key_bytes(&a, &b), a.cmp(&b));
    }
}
