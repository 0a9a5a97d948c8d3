use sibyl_protocol::value::{CqlType, CqlValue};

use super::*;
use crate::schema::{TableDefinition, TableMetadata};

fn table(pk: &[(&str, CqlType)], ck: &[(&str, CqlType, ClusteringOrder)]) -> TableMetadata {
    let mut columns: Vec<(String, CqlType, bool)> = pk
        .iter()
        .map(|(n, t)| ((*n).to_owned(), t.clone(), false))
        .collect();
    columns.extend(
        ck.iter()
            .map(|(n, t, _)| ((*n).to_owned(), t.clone(), false)),
    );
    columns.push(("v".into(), CqlType::Text, false));
    let def = TableDefinition {
        columns,
        partition_key: pk.iter().map(|(n, _)| (*n).to_owned()).collect(),
        clustering: ck.iter().map(|(n, _, _)| (*n).to_owned()).collect(),
        clustering_order: ck.iter().map(|(n, _, o)| ((*n).to_owned(), *o)).collect(),
        params: Default::default(),
    };
    TableMetadata::create("ks", "t", uuid::Uuid::from_u128(1), def).unwrap()
}

#[test]
fn tokens_match_the_drivers_murmur3() {
    // Vectors computed with the Python driver (COMPAT §6).
    let single = table(&[("k", CqlType::Int)], &[]);
    let key = partition_key(&single, &[CqlValue::Int(1)]).unwrap();
    assert_eq!(key.token().0, -4069959284402364209);
    let text = table(&[("k", CqlType::Text)], &[]);
    assert_eq!(
        partition_key(&text, &[CqlValue::Text("hello".into())])
            .unwrap()
            .token()
            .0,
        -3758069500696749310
    );
    let composite = table(&[("a", CqlType::Int), ("b", CqlType::Text)], &[]);
    let key = partition_key(&composite, &[CqlValue::Int(1), CqlValue::Text("x".into())]).unwrap();
    assert_eq!(key.token().0, 746584927563629270);
    assert_eq!(
        decode_partition_key(&composite, &key).unwrap(),
        [CqlValue::Int(1), CqlValue::Text("x".into())]
    );
}

#[test]
fn bad_partition_keys_are_invalid_requests() {
    let text = table(&[("k", CqlType::Text)], &[]);
    let err = partition_key(&text, &[CqlValue::Text(String::new())]).unwrap_err();
    assert_eq!(err, RequestError::invalid("Key may not be empty"));
    let err = partition_key(&text, &[CqlValue::Text("x".repeat(70_000))]).unwrap_err();
    assert!(
        err.to_string().contains("longer than maximum of 65535"),
        "{err}"
    );
    assert!(
        partition_key(&text, &[CqlValue::Int(3)]).is_err(),
        "wrong type"
    );
    assert!(partition_key(&text, &[]).is_err(), "wrong arity");
}

#[test]
fn clustering_keys_sort_by_declared_order_and_prefixes_are_byte_prefixes() {
    let t = table(
        &[("k", CqlType::Int)],
        &[
            ("day", CqlType::Date, ClusteringOrder::Asc),
            ("ts", CqlType::Timestamp, ClusteringOrder::Desc),
        ],
    );
    let key = |day: u32, ts: i64| {
        clustering_key(&t, &[CqlValue::Date(day), CqlValue::Timestamp(ts)]).unwrap()
    };
    assert!(key(1, 5).as_bytes() < key(2, 0).as_bytes(), "day ascending");
    assert!(
        key(1, 9).as_bytes() < key(1, 5).as_bytes(),
        "ts descending within a day"
    );
    let prefix = clustering_key(&t, &[CqlValue::Date(1)]).unwrap();
    assert!(key(1, 7).has_prefix(prefix.as_bytes()));
    assert!(!key(2, 7).has_prefix(prefix.as_bytes()));
    assert_eq!(
        decode_clustering(&t, &key(3, -4)).unwrap(),
        [CqlValue::Date(3), CqlValue::Timestamp(-4)]
    );
}

#[test]
fn set_and_map_element_paths_follow_cql_order() {
    let ints = [-5, -1, 0, 3, 1_000];
    let paths: Vec<_> = ints
        .iter()
        .map(|i| element_path("s", &CqlType::Int, &CqlValue::Int(*i)).unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(
        paths, sorted,
        "byte order of paths equals int order, negatives first"
    );
    for (path, i) in paths.iter().zip(ints) {
        assert_eq!(
            decode_element_path("s", &CqlType::Int, path).unwrap(),
            CqlValue::Int(i)
        );
    }
}

#[test]
fn list_paths_append_after_and_prepend_before() {
    let lists = ListPaths::new(7);
    let first = lists.append(1_000, 3);
    let later = lists.append(2_000, 2);
    let before = lists.prepend(3_000, 2);
    let even_earlier = lists.prepend(4_000, 1);
    let mut all: Vec<Bytes> = [&first[..], &later[..], &before[..], &even_earlier[..]].concat();
    all.sort();
    let expected: Vec<Bytes> = [&even_earlier[..], &before[..], &first[..], &later[..]].concat();
    assert_eq!(all, expected);
    assert!(
        first.windows(2).all(|w| w[0] < w[1]),
        "appended elements keep their order"
    );
    assert!(
        before.windows(2).all(|w| w[0] < w[1]),
        "prepended elements keep their order"
    );
}

#[test]
fn values_round_trip_through_cells() {
    let ty = CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int));
    let value = CqlValue::Map(vec![(CqlValue::Text("a".into()), CqlValue::Int(1))]);
    let frozen = CqlType::Frozen(Box::new(ty));
    let bytes = serialize("m", &frozen, &value).unwrap();
    assert_eq!(deserialize("m", &frozen, &bytes).unwrap(), value);
    let err = serialize("n", &CqlType::Int, &CqlValue::Text("x".into())).unwrap_err();
    assert!(
        err.to_string().starts_with("Invalid value for column n"),
        "{err}"
    );
}
