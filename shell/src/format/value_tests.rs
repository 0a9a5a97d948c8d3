//! Golden tests: each expected string is what cqlsh 6.2.2's formatting.py
//! produces for the value the Python driver decodes. They were checked by
//! running `cqlshlib.formatting.format_by_type` from the pinned venv on the
//! same values (strings, colours and display widths all matched), except the
//! UDT case (needs keyspace metadata) and out-of-range dates/timestamps.

use std::net::IpAddr;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use sibyl_protocol::value::{CqlDuration, CqlValue};
use uuid::Uuid;

use super::*;

fn plain(v: CqlValue) -> String {
    format_cell(Some(&v), &Style::default()).plain
}

#[test]
fn scalars() {
    assert_eq!(plain(CqlValue::Int(-42)), "-42");
    assert_eq!(plain(CqlValue::Bigint(i64::MAX)), "9223372036854775807");
    assert_eq!(plain(CqlValue::Smallint(7)), "7");
    assert_eq!(plain(CqlValue::Tinyint(-8)), "-8");
    assert_eq!(plain(CqlValue::Counter(3)), "3");
    assert_eq!(
        plain(CqlValue::Varint(
            BigInt::from_str("123456789012345678901234567890").unwrap()
        )),
        "123456789012345678901234567890"
    );
    assert_eq!(
        plain(CqlValue::Decimal(BigDecimal::from_str("3.140").unwrap())),
        "3.140"
    );
    assert_eq!(plain(CqlValue::Boolean(true)), "True");
    assert_eq!(plain(CqlValue::Boolean(false)), "False");
    assert_eq!(plain(CqlValue::Blob(vec![0xca, 0xfe, 0x01])), "0xcafe01");
    assert_eq!(plain(CqlValue::Blob(vec![])), "0x");
    assert_eq!(plain(CqlValue::Float(2.5)), "2.5");
    assert_eq!(plain(CqlValue::Double(1.0 / 3.0)), "0.3333333333333");
    assert_eq!(plain(CqlValue::Double(f64::NAN)), "NaN");
    assert_eq!(plain(CqlValue::Float(f32::NEG_INFINITY)), "-Infinity");
    let u = Uuid::from_str("550e8400-e29b-41d4-a716-446655440000").unwrap();
    assert_eq!(
        plain(CqlValue::Uuid(u)),
        "550e8400-e29b-41d4-a716-446655440000"
    );
    assert_eq!(
        plain(CqlValue::Timeuuid(u)),
        "550e8400-e29b-41d4-a716-446655440000"
    );
    assert_eq!(
        plain(CqlValue::Inet(IpAddr::from_str("10.0.0.1").unwrap())),
        "10.0.0.1"
    );
    assert_eq!(
        plain(CqlValue::Inet(IpAddr::from_str("::1").unwrap())),
        "::1"
    );
    assert_eq!(plain(CqlValue::Empty), "");
}

#[test]
fn temporal() {
    assert_eq!(
        plain(CqlValue::Timestamp(1_704_164_645_000)),
        "2024-01-02 03:04:05.000000+0000"
    );
    assert_eq!(
        plain(CqlValue::Timestamp(1_704_164_645_123)),
        "2024-01-02 03:04:05.123000+0000"
    );
    assert_eq!(
        plain(CqlValue::Timestamp(-1)),
        "1969-12-31 23:59:59.999000+0000"
    );
    assert_eq!(plain(CqlValue::Timestamp(i64::MAX)), "9223372036854775807");
    assert_eq!(plain(CqlValue::Date(1u32 << 31)), "1970-01-01");
    assert_eq!(plain(CqlValue::Date((1u32 << 31) + 19_724)), "2024-01-02");
    assert_eq!(plain(CqlValue::Date(0)), "-2147483648");
    assert_eq!(
        plain(CqlValue::Time(3_723_000_000_123)),
        "01:02:03.000000123"
    );
    let d = CqlDuration {
        months: 14,
        days: 3,
        nanos: 3_723_004_005_006,
    };
    assert_eq!(plain(CqlValue::Duration(d)), "1y2mo3d1h2m3s4ms5us6ns");
    let neg = CqlDuration {
        months: 0,
        days: -2,
        nanos: -1_000,
    };
    assert_eq!(plain(CqlValue::Duration(neg)), "-2d1us");
    assert_eq!(plain(CqlValue::Duration(CqlDuration::default())), "");
}

#[test]
fn text_escapes() {
    assert_eq!(plain(CqlValue::Text("it's".into())), "it's");
    assert_eq!(plain(CqlValue::Text("a\\b".into())), "a\\\\b");
    assert_eq!(
        plain(CqlValue::Text("a\nb\t\u{1}\u{7f}".into())),
        "a\\nb\\t\\x01\\x7f"
    );
    assert_eq!(plain(CqlValue::Ascii("x".into())), "x");
    let f = format_cell(Some(&CqlValue::Text("日本".into())), &Style::default());
    assert_eq!(f.width, 4);
}

#[test]
fn collections_quote_their_elements() {
    let list = CqlValue::List(vec![
        CqlValue::Text("a".into()),
        CqlValue::Text("it's".into()),
    ]);
    assert_eq!(plain(list), "['a', 'it''s']");
    let set = CqlValue::Set(vec![CqlValue::Int(1), CqlValue::Int(2)]);
    assert_eq!(plain(set), "{1, 2}");
    let map = CqlValue::Map(vec![(CqlValue::Text("k".into()), CqlValue::Boolean(true))]);
    assert_eq!(plain(map), "{'k': True}");
    let tuple = CqlValue::Tuple(vec![
        Some(CqlValue::Int(1)),
        None,
        Some(CqlValue::Text("x".into())),
    ]);
    assert_eq!(plain(tuple), "(1, None, 'x')");
    let udt = CqlValue::Udt(vec![
        ("street".into(), Some(CqlValue::Text("Main".into()))),
        ("zip".into(), None),
    ]);
    assert_eq!(plain(udt), "{street: 'Main', zip: null}");
    let ts = CqlValue::List(vec![CqlValue::Timestamp(0)]);
    assert_eq!(plain(ts), "['1970-01-01 00:00:00.000000+0000']");
    let inets = CqlValue::Set(vec![CqlValue::Inet(IpAddr::from_str("127.0.0.1").unwrap())]);
    assert_eq!(plain(inets), "{'127.0.0.1'}");
    // Doubles nested in a collection use float_precision (cqlsh picks the
    // precision by the top-level type only).
    let doubles = CqlValue::List(vec![CqlValue::Double(1.0 / 3.0)]);
    assert_eq!(plain(doubles), "[0.333333]");
    let blobs = CqlValue::List(vec![CqlValue::Blob(vec![1])]);
    assert_eq!(plain(blobs), "[0x01]");
    let vector = CqlValue::Vector(vec![CqlValue::Float(1.0), CqlValue::Float(2.5)]);
    assert_eq!(plain(vector), "[1, 2.5]");
}

#[test]
fn widths_follow_cqlsh() {
    let f = format_cell(
        Some(&CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(22)])),
        &Style::default(),
    );
    assert_eq!((f.plain.as_str(), f.width), ("[1, 22]", 7));
    // cqlsh's quirk: an empty collection has width 0.
    let e = format_cell(Some(&CqlValue::List(vec![])), &Style::default());
    assert_eq!((e.plain.as_str(), e.width), ("[]", 0));
}

#[test]
fn colours() {
    let style = Style {
        color: true,
        ..Style::default()
    };
    let n = format_cell(Some(&CqlValue::Int(1)), &style);
    assert_eq!(n.colored, "\x1b[0;1;32m1\x1b[0m");
    assert_eq!(n.width, 1);
    let null = format_cell(None, &style);
    assert_eq!(null.colored, "\x1b[0;1;31mnull\x1b[0m");
    let t = format_cell(Some(&CqlValue::Text("a\nb".into())), &style);
    assert_eq!(t.colored, "\x1b[0;1;33ma\x1b[0;35m\\n\x1b[0;1;33mb\x1b[0m");
    let b = format_cell(Some(&CqlValue::Blob(vec![0xff])), &style);
    assert_eq!(b.colored, "\x1b[0;35m0xff\x1b[0m");
    let l = format_cell(
        Some(&CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(2)])),
        &style,
    );
    let blue = |s: &str| format!("\x1b[0;1;34m{s}\x1b[0m");
    let green = |s: &str| format!("\x1b[0;1;32m{s}\x1b[0m");
    assert_eq!(
        l.colored,
        format!(
            "{}{}{}{}{}",
            blue("["),
            green("1"),
            blue(", "),
            green("2"),
            blue("]")
        )
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_formats_without_panic(s in "\\PC{0,40}", quote: bool) {
        let plain = format_text(&s, &Style::default(), quote);
        let colored = format_text(&s, &Style { color: true, ..Style::default() }, quote);
        proptest::prop_assert_eq!(&plain.plain, &colored.plain);
        proptest::prop_assert!(colored.width <= plain.width);
    }

    #[test]
    fn any_double_formats_like_percent_g(f in proptest::num::f64::ANY) {
        let text = crate::format::number::format_float(f, 12);
        proptest::prop_assert!(!text.is_empty());
        if f.is_finite() {
            // The text reads back within the printed precision (cqlsh gives small
            // values fewer digits: 12 + exponent + 1 for exponents down to -4).
            let back: f64 = text.parse().unwrap();
            proptest::prop_assert!((back - f).abs() <= f.abs() * 1e-7 + f64::MIN_POSITIVE);
        }
    }
}
