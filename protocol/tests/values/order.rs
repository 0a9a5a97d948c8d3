//! Clustering order encoding: byte order equals Cassandra's order, prefix
//! property, DESC inversion, round trips, garbage never panics.

use std::cmp::Ordering;

use proptest::prelude::*;
use sibyl_protocol::value::{
    CqlType, CqlValue, Order, check_clusterable, cql_cmp, decode_clustering_key,
    encode_clustering_component, encode_clustering_key,
};

use super::strategies::{clusterable_type, value_for};

fn enc(v: &CqlValue, ty: &CqlType, order: Order) -> Vec<u8> {
    let mut out = Vec::new();
    encode_clustering_component(v, ty, order, &mut out).expect("clusterable value");
    out
}

fn typed_pair() -> impl Strategy<Value = (CqlType, CqlValue, CqlValue)> {
    clusterable_type().prop_flat_map(|ty| {
        let (a, b) = (value_for(&ty), value_for(&ty));
        (Just(ty), a, b)
    })
}

fn order() -> impl Strategy<Value = Order> {
    prop_oneof![Just(Order::Asc), Just(Order::Desc)]
}

fn key_columns() -> impl Strategy<Value = Vec<(CqlType, Order)>> {
    prop::collection::vec((clusterable_type(), order()), 1..=3)
}

fn keys_for(cols: &[(CqlType, Order)]) -> BoxedStrategy<Vec<CqlValue>> {
    cols.iter()
        .map(|(t, _)| value_for(t))
        .collect::<Vec<_>>()
        .boxed()
}

/// Cassandra's order of two whole keys: component-wise, each in its order.
fn key_cmp(cols: &[(CqlType, Order)], a: &[CqlValue], b: &[CqlValue]) -> Ordering {
    for ((ty, order), (x, y)) in cols.iter().zip(a.iter().zip(b)) {
        let c = cql_cmp(ty, x, y);
        let c = if *order == Order::Desc {
            c.reverse()
        } else {
            c
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn byte_order_is_cassandra_order((ty, a, b) in typed_pair()) {
        let (a, b) = (a.normalized(&ty), b.normalized(&ty));
        let expected = cql_cmp(&ty, &a, &b);
        let (ea, eb) = (enc(&a, &ty, Order::Asc), enc(&b, &ty, Order::Asc));
        prop_assert_eq!(ea.cmp(&eb), expected, "{} {:?} {:?} -> {:02x?} {:02x?}", ty, a, b, ea, eb);
        let (da, db) = (enc(&a, &ty, Order::Desc), enc(&b, &ty, Order::Desc));
        prop_assert_eq!(da.cmp(&db), expected.reverse());
    }

    #[test]
    fn component_round_trip((ty, a, _b) in typed_pair(), ord in order()) {
        let a = a.normalized(&ty);
        let bytes = enc(&a, &ty, ord);
        let back = decode_clustering_key(&bytes, &[(ty.clone(), ord)]).unwrap();
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(cql_cmp(&ty, &a, &back[0]), Ordering::Equal, "{:?} -> {:?}", a, back);
        // Re-encoding the decoded value gives the same bytes.
        prop_assert_eq!(enc(&back[0], &ty, ord), bytes);
    }

    #[test]
    fn keys_order_and_prefixes(
        (cols, a, b) in key_columns().prop_flat_map(|cols| {
            let (ka, kb) = (keys_for(&cols), keys_for(&cols));
            (Just(cols), ka, kb)
        })
    ) {
        // Sets and maps in Cassandra's stored (sorted) form, as the encoder writes them.
        let norm = |k: &[CqlValue]| -> Vec<CqlValue> {
            k.iter().zip(&cols).map(|(v, (t, _))| v.normalized(t)).collect()
        };
        let (a, b) = (norm(&a), norm(&b));
        let ea = encode_clustering_key(&a, &cols).unwrap();
        let eb = encode_clustering_key(&b, &cols).unwrap();
        prop_assert_eq!(ea.cmp(&eb), key_cmp(&cols, &a, &b));
        for k in 0..=a.len() {
            let prefix = encode_clustering_key(&a[..k], &cols).unwrap();
            prop_assert!(ea.starts_with(&prefix));
            prop_assert_eq!(decode_clustering_key(&prefix, &cols).unwrap().len(), k);
        }
        let back = decode_clustering_key(&ea, &cols).unwrap();
        prop_assert_eq!(key_cmp(&cols, &a, &back), Ordering::Equal);
    }

    #[test]
    fn garbage_never_panics(cols in key_columns(), bytes in prop::collection::vec(any::<u8>(), 0..48)) {
        let _ = decode_clustering_key(&bytes, &cols);
    }
}

#[test]
fn floats_follow_java_compare() {
    let ty = CqlType::Double;
    let ordered = [
        f64::NEG_INFINITY,
        -1.0,
        -0.0,
        0.0,
        f64::MIN_POSITIVE,
        1.0,
        f64::INFINITY,
        f64::NAN,
    ];
    for pair in ordered.windows(2) {
        let (a, b) = (CqlValue::Double(pair[0]), CqlValue::Double(pair[1]));
        assert!(
            enc(&a, &ty, Order::Asc) < enc(&b, &ty, Order::Asc),
            "{pair:?}"
        );
    }
    let nan2 = CqlValue::Double(-f64::NAN);
    assert_eq!(
        enc(&nan2, &ty, Order::Asc),
        enc(&CqlValue::Double(f64::NAN), &ty, Order::Asc)
    );
}

#[test]
fn empty_sorts_first_and_text_escapes() {
    let ty = CqlType::Int;
    assert!(
        enc(&CqlValue::Empty, &ty, Order::Asc) < enc(&CqlValue::Int(i32::MIN), &ty, Order::Asc)
    );
    assert!(
        enc(&CqlValue::Empty, &ty, Order::Desc) > enc(&CqlValue::Int(i32::MAX), &ty, Order::Desc)
    );
    let t = CqlType::Text;
    assert_eq!(
        enc(&CqlValue::Text("a\0b".into()), &t, Order::Asc),
        b"a\x00\xffb\x00\x00"
    );
    assert_eq!(
        enc(&CqlValue::Empty, &t, Order::Asc),
        enc(&CqlValue::Text(String::new()), &t, Order::Asc)
    );
}

#[test]
fn unclusterable_types_are_rejected() {
    let mut out = Vec::new();
    let d = CqlValue::Duration(Default::default());
    assert!(encode_clustering_component(&d, &CqlType::Duration, Order::Asc, &mut out).is_err());
    assert!(
        encode_clustering_key(
            &[CqlValue::Int(1), CqlValue::Int(2)],
            &[(CqlType::Int, Order::Asc)]
        )
        .is_err()
    );
    assert!(decode_clustering_key(&[1, 0, 0, 0, 1, 9], &[(CqlType::Int, Order::Asc)]).is_err());
    let tuple = CqlType::Tuple(vec![CqlType::Int, CqlType::Duration]);
    assert!(check_clusterable(&tuple).is_err());
    assert!(
        check_clusterable(&CqlType::Frozen(Box::new(CqlType::List(Box::new(
            CqlType::Text
        )))))
        .is_ok()
    );
}

#[test]
fn nested_sets_are_encoded_in_stored_order() {
    let inner = CqlType::Frozen(Box::new(CqlType::Set(Box::new(CqlType::Int))));
    let ty = CqlType::Frozen(Box::new(CqlType::Set(Box::new(inner))));
    let set = |v: Vec<CqlValue>| CqlValue::Set(v);
    let ints = |v: &[i32]| set(v.iter().map(|i| CqlValue::Int(*i)).collect());
    let given = set(vec![ints(&[3, 1]), ints(&[2]), ints(&[1, 3])]);
    let stored = set(vec![ints(&[1, 3]), ints(&[2])]);
    assert_eq!(enc(&given, &ty, Order::Asc), enc(&stored, &ty, Order::Asc));
    let back = decode_clustering_key(&enc(&given, &ty, Order::Asc), &[(ty.clone(), Order::Asc)]);
    assert_eq!(back.unwrap(), vec![stored]);
}
