//! Literal formatting and parsing: round trips, Cassandra's accepted forms,
//! error messages, arbitrary text never panics.

use std::cmp::Ordering;

use proptest::prelude::*;
use sibyl_protocol::value::{
    CqlDuration, CqlType, CqlValue, cql_cmp, format_literal, parse_literal,
};

use super::strategies::{any_type, scalar_type, value_without_empty};

/// The text inside a quoted CQL string literal (what a CSV field would hold).
fn unquote(literal: &str) -> String {
    match literal
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
    {
        Some(inner) => inner.replace("''", "'"),
        None => literal.to_owned(),
    }
}

/// A composite type at the top (its literal is not a quoted string).
fn composite_type() -> impl Strategy<Value = CqlType> {
    any_type().prop_map(|t| match t {
        CqlType::List(_) | CqlType::Set(_) | CqlType::Map(_, _) | CqlType::Tuple(_) => t,
        CqlType::Udt(_) | CqlType::Vector(_, _) | CqlType::Frozen(_) => t,
        scalar => CqlType::Tuple(vec![scalar, CqlType::Int]),
    })
}

fn parse(ty: &CqlType, text: &str) -> CqlValue {
    parse_literal(ty, text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn scalar_format_parse_round_trip(
        (ty, v) in scalar_type().prop_flat_map(|t| { let v = value_without_empty(&t); (Just(t), v) })
    ) {
        let lit = format_literal(&v, &ty);
        let back = parse_literal(&ty, &unquote(&lit));
        prop_assert!(back.is_ok(), "{} {:?}: {:?}", lit, v, back);
        let back = back.unwrap();
        prop_assert_eq!(cql_cmp(&ty, &v, &back), Ordering::Equal, "{} -> {:?}", lit, back);
        if let (CqlValue::Duration(a), CqlValue::Duration(b)) = (&v, &back) {
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn composite_format_parse_round_trip(
        (ty, v) in composite_type().prop_flat_map(|t| { let v = value_without_empty(&t); (Just(t), v) })
    ) {
        let lit = format_literal(&v, &ty);
        let back = parse_literal(&ty, &lit);
        prop_assert!(back.is_ok(), "{}: {:?}", lit, back);
        let back = back.unwrap();
        let v = v.normalized(&ty);
        prop_assert_eq!(cql_cmp(&ty, &v, &back), Ordering::Equal, "{} -> {:?}", lit, back);
    }

    #[test]
    fn arbitrary_text_never_panics(ty in any_type(), text in "\\PC{0,40}") {
        let _ = parse_literal(&ty, &text);
    }

    #[test]
    fn literal_like_text_never_panics(ty in any_type(), text in "[-+0-9:. TZPYMWDHSmsunoa-f'{}()\\[\\],]{0,30}") {
        let _ = parse_literal(&ty, &text);
    }
}

const MS_2024_01_31: i64 = 1_706_659_200_000;

#[test]
fn timestamps_in_cassandra_forms() {
    let ty = CqlType::Timestamp;
    let cases = [
        ("2024-01-31", MS_2024_01_31),
        ("2024-01-31Z", MS_2024_01_31),
        ("2024-01-31 12:34", MS_2024_01_31 + 45_240_000),
        ("2024-01-31T12:34:56", MS_2024_01_31 + 45_296_000),
        ("2024-01-31 12:34:56.789", MS_2024_01_31 + 45_296_789),
        ("2024-01-31 12:34:56.7", MS_2024_01_31 + 45_296_700),
        (
            "2024-01-31 12:34:56.789123+0000",
            MS_2024_01_31 + 45_296_789,
        ),
        ("2024-01-31T12:34:56Z", MS_2024_01_31 + 45_296_000),
        (
            "2024-01-31 12:34:56+0100",
            MS_2024_01_31 + 45_296_000 - 3_600_000,
        ),
        (
            "2024-01-31 12:34:56-02:30",
            MS_2024_01_31 + 45_296_000 + 9_000_000,
        ),
        ("2024-01-31 12:34:56 UTC", MS_2024_01_31 + 45_296_000),
        ("1706659200000", MS_2024_01_31),
        ("-1", -1),
        ("1969-12-31 23:59:59.999", -1),
    ];
    for (text, ms) in cases {
        assert_eq!(parse(&ty, text), CqlValue::Timestamp(ms), "{text}");
    }
    let err = parse_literal(&ty, "2024-13-01").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot parse '2024-13-01' as timestamp"),
        "{err}"
    );
    for bad in [
        "2024-02-30",
        "2024-01-31 25:00",
        "2024-01-31X",
        "yesterday",
        "2024-01-31 12:34:56+2",
    ] {
        assert!(parse_literal(&ty, bad).is_err(), "{bad}");
    }
    assert_eq!(parse(&ty, ""), CqlValue::Empty);
}

#[test]
fn dates_times_durations() {
    assert_eq!(
        parse(&CqlType::Date, "2024-01-31"),
        CqlValue::Date((1 << 31) + 19_753)
    );
    assert_eq!(parse(&CqlType::Date, "1970-01-01"), CqlValue::Date(1 << 31));
    assert_eq!(parse(&CqlType::Date, "2147483648"), CqlValue::Date(1 << 31));
    assert!(parse_literal(&CqlType::Date, "4294967296").is_err());
    assert_eq!(
        parse(&CqlType::Time, "12:34:56.789"),
        CqlValue::Time(45_296_789_000_000)
    );
    assert_eq!(
        parse(&CqlType::Time, "00:00:00.000000001"),
        CqlValue::Time(1)
    );
    assert_eq!(parse(&CqlType::Time, "1000"), CqlValue::Time(1000));
    assert!(parse_literal(&CqlType::Time, "24:00:00").is_err());
    assert!(parse_literal(&CqlType::Time, "12:34").is_err());
    let d = |months, days, nanos| {
        CqlValue::Duration(CqlDuration {
            months,
            days,
            nanos,
        })
    };
    let ty = CqlType::Duration;
    assert_eq!(parse(&ty, "1h30m"), d(0, 0, 5_400_000_000_000));
    assert_eq!(parse(&ty, "1y2mo3w4d"), d(14, 25, 0));
    assert_eq!(parse(&ty, "1MS2µs3NS"), d(0, 0, 1_002_003));
    assert_eq!(parse(&ty, "-2d"), d(0, -2, 0));
    assert_eq!(parse(&ty, "P1DT2H"), d(0, 1, 7_200_000_000_000));
    assert_eq!(parse(&ty, "P1Y2M"), d(14, 0, 0));
    assert_eq!(parse(&ty, "P2W"), d(0, 14, 0));
    assert_eq!(parse(&ty, "PT1M"), d(0, 0, 60_000_000_000));
    assert_eq!(
        parse(&ty, "P0001-02-03T04:05:06"),
        d(14, 3, 14_706_000_000_000)
    );
    for bad in [
        "1x",
        "h",
        "P",
        "PT",
        "P1H",
        "P1M1Y",
        "P01-02-03T04:05:06",
        "99999999999y",
    ] {
        assert!(parse_literal(&ty, bad).is_err(), "{bad}");
    }
    assert_eq!(format_literal(&parse(&ty, "1mo2d3ns"), &ty), "1mo2d3ns");
    assert_eq!(format_literal(&parse(&ty, "P1DT1H2M3S"), &ty), "1d1h2m3s");
}

#[test]
fn numbers_and_others() {
    assert_eq!(parse(&CqlType::Int, "-42"), CqlValue::Int(-42));
    let err = parse_literal(&CqlType::Smallint, "40000").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot parse '40000' as smallint: out of range for smallint"
    );
    assert!(parse_literal(&CqlType::Int, "1.5").is_err());
    assert!(parse_literal(&CqlType::Tinyint, "128").is_err());
    for nan in ["NaN", "nan"] {
        assert!(matches!(parse(&CqlType::Double, nan), CqlValue::Double(x) if x.is_nan()));
    }
    assert_eq!(
        parse(&CqlType::Double, "-Infinity"),
        CqlValue::Double(f64::NEG_INFINITY)
    );
    assert_eq!(parse(&CqlType::Float, "1.5e3"), CqlValue::Float(1500.0));
    assert!(parse_literal(&CqlType::Double, "1,5").is_err());
    assert_eq!(parse(&CqlType::Boolean, "TRUE"), CqlValue::Boolean(true));
    assert_eq!(
        parse(&CqlType::Blob, "0xCAFE"),
        CqlValue::Blob(vec![0xCA, 0xFE])
    );
    assert!(parse_literal(&CqlType::Blob, "0xCAF").is_err());
    assert!(parse_literal(&CqlType::Uuid, "not-a-uuid").is_err());
    let v4 = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
    assert!(parse_literal(&CqlType::Timeuuid, v4).is_err());
    assert!(matches!(parse(&CqlType::Uuid, v4), CqlValue::Uuid(_)));
    assert!(parse_literal(&CqlType::Inet, "::1").is_ok());
    assert!(parse_literal(&CqlType::Ascii, "é").is_err());
    assert_eq!(parse(&CqlType::Text, "it's"), CqlValue::Text("it's".into()));
}

#[test]
fn formats_like_cql() {
    let list = CqlType::List(Box::new(CqlType::Text));
    let v = CqlValue::List(vec![
        CqlValue::Text("it's".into()),
        CqlValue::Text("b".into()),
    ]);
    assert_eq!(format_literal(&v, &list), "['it''s', 'b']");
    let ts = CqlValue::Timestamp(MS_2024_01_31 + 45_296_789);
    assert_eq!(ts.to_string(), "'2024-01-31T12:34:56.789Z'");
    assert_eq!(
        CqlValue::Date((1 << 31) + 19_753).to_string(),
        "'2024-01-31'"
    );
    assert_eq!(
        CqlValue::Time(45_296_789_000_000).to_string(),
        "'12:34:56.789000000'"
    );
    assert_eq!(CqlValue::Blob(vec![0, 0xAB]).to_string(), "0x00ab");
    assert_eq!(CqlValue::Double(f64::NAN).to_string(), "NaN");
    assert_eq!(CqlValue::Float(f32::NEG_INFINITY).to_string(), "-Infinity");
    assert_eq!(
        format_literal(&CqlValue::Empty, &CqlType::Int),
        "blobAsint(0x)"
    );
    let udt = CqlValue::Udt(vec![
        ("a".into(), Some(CqlValue::Int(1))),
        ("B".into(), None),
    ]);
    assert_eq!(udt.to_string(), "{a: 1, \"B\": null}");
    let tuple = CqlValue::Tuple(vec![Some(CqlValue::Int(1)), None]);
    assert_eq!(tuple.to_string(), "(1, null)");
    let map = CqlType::Map(Box::new(CqlType::Int), Box::new(CqlType::Text));
    let parsed = parse(&map, "{2: 'b', 1: 'a', 2: 'c'}");
    assert_eq!(parsed.to_string(), "{1: 'a', 2: 'c'}");
    let set = CqlType::Set(Box::new(CqlType::Int));
    assert_eq!(parse(&set, "{3, 1, 3}").to_string(), "{1, 3}");
    assert!(parse_literal(&set, "{1, null}").is_err());
}

#[test]
fn udt_literals_fold_names_and_fill_nulls() {
    use sibyl_protocol::value::UdtDef;
    let ty = CqlType::Udt(UdtDef {
        keyspace: "ks".into(),
        name: "addr".into(),
        fields: vec![
            ("street".into(), CqlType::Text),
            ("Zip".into(), CqlType::Int),
            ("tags".into(), CqlType::Set(Box::new(CqlType::Text))),
        ],
    });
    let v = parse(&ty, "{\"Zip\": 75001, STREET: 'rue d''Alésia'}");
    let expected = CqlValue::Udt(vec![
        ("street".into(), Some(CqlValue::Text("rue d'Alésia".into()))),
        ("Zip".into(), Some(CqlValue::Int(75001))),
        ("tags".into(), None),
    ]);
    assert_eq!(v, expected);
    assert_eq!(
        format_literal(&v, &ty),
        "{street: 'rue d''Alésia', \"Zip\": 75001, tags: null}"
    );
    let err = parse_literal(&ty, "{zip: 1}").unwrap_err();
    assert!(err.to_string().contains("unknown field 'zip'"), "{err}");
    let nested = CqlType::List(Box::new(CqlType::Tuple(vec![
        CqlType::Int,
        CqlType::Timestamp,
    ])));
    let v = parse(&nested, "[(1, '2024-01-31'), (2, null)]");
    assert_eq!(
        v,
        CqlValue::List(vec![
            CqlValue::Tuple(vec![
                Some(CqlValue::Int(1)),
                Some(CqlValue::Timestamp(MS_2024_01_31))
            ]),
            CqlValue::Tuple(vec![Some(CqlValue::Int(2)), None]),
        ])
    );
}
