use sibyl_protocol::cql::ast::{BindMarker, Ident, QualifiedName, Term};
use sibyl_protocol::types::Value;
use sibyl_protocol::value::{CqlType, CqlValue};

use super::*;

fn ctx(values: &[Value]) -> BindContext<'_> {
    static MAKE: fn(i64) -> uuid::Uuid = |us| bounding_timeuuid(us / 1000, false);
    BindContext {
        values,
        now_us: 1_700_000_000_123_456,
        timeuuid: &MAKE,
    }
}

fn value(term: &Term, ty: &CqlType) -> Result<CqlValue, RequestError> {
    bind(term, ty, "c", &ctx(&[]))?.required("c")
}

#[test]
fn constants_bind_to_their_types_and_mismatches_use_cassandras_words() {
    assert_eq!(
        value(&Term::Integer("42".into()), &CqlType::Int).unwrap(),
        CqlValue::Int(42)
    );
    assert_eq!(
        value(&Term::Integer("-7".into()), &CqlType::Bigint).unwrap(),
        CqlValue::Bigint(-7)
    );
    assert_eq!(
        value(&Term::Str("hi".into()), &CqlType::Text).unwrap(),
        CqlValue::Text("hi".into())
    );
    assert_eq!(
        value(&Term::Bool(true), &CqlType::Boolean).unwrap(),
        CqlValue::Boolean(true)
    );
    assert_eq!(
        value(&Term::Blob("0xcafe".into()), &CqlType::Blob).unwrap(),
        CqlValue::Blob(vec![0xca, 0xfe])
    );
    assert_eq!(
        value(
            &Term::Str("2024-01-02 03:04:05+0000".into()),
            &CqlType::Timestamp
        )
        .unwrap(),
        CqlValue::Timestamp(1_704_164_645_000)
    );
    let err = value(&Term::Str("1".into()), &CqlType::Int).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid STRING constant (1) for \"c\" of type int"
    );
    let err = value(&Term::Integer("99999999999".into()), &CqlType::Int).unwrap_err();
    assert!(matches!(err, RequestError::Invalid(_)), "{err}");
}

#[test]
fn collections_tuples_and_udts() {
    let list = CqlType::List(Box::new(CqlType::Int));
    let terms = Term::List(vec![Term::Integer("2".into()), Term::Integer("1".into())]);
    assert_eq!(
        value(&terms, &list).unwrap(),
        CqlValue::List(vec![CqlValue::Int(2), CqlValue::Int(1)])
    );
    let set = CqlType::Set(Box::new(CqlType::Int));
    let terms = Term::Set(vec![
        Term::Integer("2".into()),
        Term::Integer("1".into()),
        Term::Integer("2".into()),
    ]);
    assert_eq!(
        value(&terms, &set).unwrap(),
        CqlValue::Set(vec![CqlValue::Int(1), CqlValue::Int(2)]),
        "sorted, deduplicated"
    );
    let map = CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int));
    assert_eq!(
        value(&Term::Set(vec![]), &map).unwrap(),
        CqlValue::Map(vec![]),
        "an empty brace literal is an empty map too"
    );
    assert!(
        value(&Term::List(vec![Term::Null]), &list).is_err(),
        "null elements are refused"
    );
    let tuple = CqlType::Tuple(vec![CqlType::Int, CqlType::Text]);
    let t = Term::Tuple(vec![Term::Integer("1".into()), Term::Null]);
    assert_eq!(
        value(&t, &tuple).unwrap(),
        CqlValue::Tuple(vec![Some(CqlValue::Int(1)), None])
    );
    let udt = CqlType::Udt(sibyl_protocol::value::UdtDef {
        keyspace: "ks".into(),
        name: "address".into(),
        fields: vec![
            ("street".into(), CqlType::Text),
            ("zip".into(), CqlType::Int),
        ],
    });
    let u = Term::Udt(vec![(Ident::new("zip"), Term::Integer("5".into()))]);
    assert_eq!(
        value(&u, &udt).unwrap(),
        CqlValue::Udt(vec![
            ("street".into(), None),
            ("zip".into(), Some(CqlValue::Int(5)))
        ])
    );
    let bad = Term::Udt(vec![(Ident::new("nope"), Term::Integer("5".into()))]);
    assert!(
        value(&bad, &udt)
            .unwrap_err()
            .to_string()
            .contains("Unknown field 'nope'")
    );
}

#[test]
fn bind_markers_decode_their_bytes_and_report_null_and_unset() {
    let values = [
        Value::Bytes(bytes::Bytes::from_static(&[0, 0, 0, 9])),
        Value::Null,
        Value::Unset,
        Value::Bytes(bytes::Bytes::from_static(&[1, 2])),
    ];
    let marker = |index| Term::Bind(BindMarker { index, name: None });
    let c = ctx(&values);
    assert_eq!(
        bind(&marker(0), &CqlType::Int, "c", &c).unwrap(),
        Bound::Value(CqlValue::Int(9))
    );
    assert_eq!(
        bind(&marker(1), &CqlType::Int, "c", &c).unwrap(),
        Bound::Null
    );
    assert_eq!(
        bind(&marker(2), &CqlType::Int, "c", &c).unwrap(),
        Bound::Unset
    );
    assert!(
        bind(&marker(3), &CqlType::Int, "c", &c)
            .unwrap_err()
            .to_string()
            .contains("decoding bound value")
    );
    assert!(
        bind(&marker(4), &CqlType::Int, "c", &c).is_err(),
        "a missing value is an error, not a panic"
    );
}

#[test]
fn time_functions() {
    let call = |name: &str, args: Vec<Term>| Term::Function {
        name: QualifiedName::bare(name),
        args,
    };
    assert_eq!(
        value(&call("currentTimestamp", vec![]), &CqlType::Timestamp).unwrap(),
        CqlValue::Timestamp(1_700_000_000_123)
    );
    let now = value(&call("now", vec![]), &CqlType::Timeuuid).unwrap();
    let CqlValue::Timeuuid(u) = now else { panic!() };
    assert_eq!(timeuuid_millis(&u), 1_700_000_000_123);
    let ts = call("toTimestamp", vec![call("now", vec![])]);
    assert_eq!(
        value(&ts, &CqlType::Timestamp).unwrap(),
        CqlValue::Timestamp(1_700_000_000_123)
    );
    let min = value(
        &call("minTimeuuid", vec![Term::Integer("1000".into())]),
        &CqlType::Timeuuid,
    )
    .unwrap();
    let max = value(
        &call("maxTimeuuid", vec![Term::Integer("1000".into())]),
        &CqlType::Timeuuid,
    )
    .unwrap();
    let (CqlValue::Timeuuid(min), CqlValue::Timeuuid(max)) = (min, max) else {
        panic!()
    };
    assert_eq!((timeuuid_millis(&min), timeuuid_millis(&max)), (1000, 1000));
    assert!(
        value(&call("now", vec![]), &CqlType::Int)
            .unwrap_err()
            .to_string()
            .contains("cannot assign")
    );
    assert!(
        value(&call("nosuch", vec![]), &CqlType::Int)
            .unwrap_err()
            .to_string()
            .contains("Unknown function")
    );
}
