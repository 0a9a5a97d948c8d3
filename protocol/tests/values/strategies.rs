//! proptest strategies: CQL types and values of those types.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use proptest::prelude::*;
use sibyl_protocol::value::value::NANOS_PER_DAY;
use sibyl_protocol::value::{CqlDuration, CqlType, CqlValue, UdtDef};
use uuid::Uuid;

/// Scalar types that can be clustering columns.
pub fn clusterable_scalar() -> impl Strategy<Value = CqlType> {
    prop_oneof![
        Just(CqlType::Int),
        Just(CqlType::Bigint),
        Just(CqlType::Smallint),
        Just(CqlType::Tinyint),
        Just(CqlType::Varint),
        Just(CqlType::Decimal),
        Just(CqlType::Float),
        Just(CqlType::Double),
        Just(CqlType::Text),
        Just(CqlType::Ascii),
        Just(CqlType::Blob),
        Just(CqlType::Boolean),
        Just(CqlType::Timestamp),
        Just(CqlType::Date),
        Just(CqlType::Time),
        Just(CqlType::Uuid),
        Just(CqlType::Timeuuid),
        Just(CqlType::Inet),
    ]
}

/// Every scalar type.
pub fn scalar_type() -> impl Strategy<Value = CqlType> {
    prop_oneof![
        8 => clusterable_scalar(),
        1 => Just(CqlType::Counter),
        1 => Just(CqlType::Duration),
    ]
}

fn udt(fields: Vec<CqlType>) -> CqlType {
    CqlType::Udt(UdtDef {
        keyspace: "ks".into(),
        name: "u".into(),
        fields: fields
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("f{i}"), t))
            .collect(),
    })
}

/// Composite types over `inner` (no vectors; see [`any_type`]).
fn composite(inner: BoxedStrategy<CqlType>) -> BoxedStrategy<CqlType> {
    prop_oneof![
        inner.clone().prop_map(|t| CqlType::List(Box::new(t))),
        inner
            .clone()
            .prop_map(|t| CqlType::Frozen(Box::new(CqlType::Set(Box::new(t))))),
        (inner.clone(), inner.clone()).prop_map(|(k, v)| CqlType::Map(Box::new(k), Box::new(v))),
        prop::collection::vec(inner.clone(), 1..4).prop_map(CqlType::Tuple),
        prop::collection::vec(inner, 1..4).prop_map(udt),
    ]
    .boxed()
}

/// Any type, nested up to three levels, including vectors.
pub fn any_type() -> BoxedStrategy<CqlType> {
    let leaf = scalar_type().boxed();
    let nested = leaf.prop_recursive(3, 24, 4, composite);
    prop_oneof![
        6 => nested,
        1 => (vector_elem(), 1u32..5).prop_map(|(t, n)| CqlType::Vector(Box::new(t), n)),
    ]
    .boxed()
}

fn vector_elem() -> impl Strategy<Value = CqlType> {
    prop_oneof![
        Just(CqlType::Float),
        Just(CqlType::Double),
        Just(CqlType::Int),
        Just(CqlType::Bigint),
        Just(CqlType::Boolean),
        Just(CqlType::Uuid),
        Just(CqlType::Text),
        Just(CqlType::Smallint),
        Just(CqlType::Varint),
    ]
}

/// Clusterable types: scalars, and tuples/frozen collections/UDTs of them.
pub fn clusterable_type() -> BoxedStrategy<CqlType> {
    let leaf = clusterable_scalar().boxed();
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(|t| CqlType::Frozen(Box::new(CqlType::List(Box::new(t))))),
            inner
                .clone()
                .prop_map(|t| CqlType::Frozen(Box::new(CqlType::Set(Box::new(t))))),
            (inner.clone(), inner.clone()).prop_map(|(k, v)| {
                CqlType::Frozen(Box::new(CqlType::Map(Box::new(k), Box::new(v))))
            }),
            prop::collection::vec(inner.clone(), 1..4).prop_map(CqlType::Tuple),
            prop::collection::vec(inner, 1..3).prop_map(|f| CqlType::Frozen(Box::new(udt(f)))),
        ]
    })
    .boxed()
}

fn uuid_with_version(bytes: [u8; 16], version: u8) -> Uuid {
    let mut b = bytes;
    b[6] = (b[6] & 0x0F) | (version << 4);
    b[8] = (b[8] & 0x3F) | 0x80;
    Uuid::from_bytes(b)
}

/// Floats biased towards the values whose order is tricky.
fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        prop::sample::select(vec![
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -1.0,
            1.0
        ]),
        (-3i32..3).prop_map(f64::from),
    ]
}

fn small_or_any_i64() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), -3i64..3]
}

fn varint() -> impl Strategy<Value = BigInt> {
    prop_oneof![
        any::<i128>().prop_map(BigInt::from),
        (-300i64..300).prop_map(BigInt::from),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| BigInt::from_signed_bytes_be(&b)),
    ]
}

fn decimal() -> impl Strategy<Value = BigDecimal> {
    prop_oneof![
        (varint(), -40i64..40).prop_map(|(n, s)| BigDecimal::new(n, s)),
        (-20i64..20, 0i64..3).prop_map(|(n, s)| BigDecimal::new(BigInt::from(n), s)),
    ]
}

fn inet() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        any::<[u8; 16]>().prop_map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        prop::sample::select(vec![
            [0u8; 16],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        ])
        .prop_map(|b| IpAddr::V6(Ipv6Addr::from(b))),
    ]
}

fn duration() -> impl Strategy<Value = CqlDuration> {
    (
        any::<bool>(),
        0i32..=i32::MAX,
        0i32..=i32::MAX,
        0i64..=i64::MAX,
    )
        .prop_map(|(neg, months, days, nanos)| {
            if neg {
                CqlDuration {
                    months: -months,
                    days: -days,
                    nanos: -nanos,
                }
            } else {
                CqlDuration {
                    months,
                    days,
                    nanos,
                }
            }
        })
}

/// A non-empty value of scalar type `ty`.
fn scalar_value(ty: &CqlType) -> BoxedStrategy<CqlValue> {
    match ty {
        CqlType::Ascii => "[ -~]{0,12}".prop_map(CqlValue::Ascii).boxed(),
        CqlType::Text => prop_oneof!["\\PC{0,12}", "[ab\\x00]{0,5}"]
            .prop_map(CqlValue::Text)
            .boxed(),
        CqlType::Blob => {
            prop::collection::vec(prop_oneof![Just(0u8), Just(0xFF), any::<u8>()], 0..12)
                .prop_map(CqlValue::Blob)
                .boxed()
        }
        CqlType::Bigint => small_or_any_i64().prop_map(CqlValue::Bigint).boxed(),
        CqlType::Counter => any::<i64>().prop_map(CqlValue::Counter).boxed(),
        CqlType::Boolean => any::<bool>().prop_map(CqlValue::Boolean).boxed(),
        CqlType::Int => prop_oneof![any::<i32>(), -3i32..3]
            .prop_map(CqlValue::Int)
            .boxed(),
        CqlType::Smallint => any::<i16>().prop_map(CqlValue::Smallint).boxed(),
        CqlType::Tinyint => any::<i8>().prop_map(CqlValue::Tinyint).boxed(),
        CqlType::Float => prop_oneof![
            any::<f32>(),
            prop::sample::select(vec![
                0.0f32,
                -0.0,
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                1.0
            ]),
        ]
        .prop_map(CqlValue::Float)
        .boxed(),
        CqlType::Double => double().prop_map(CqlValue::Double).boxed(),
        CqlType::Date => prop_oneof![any::<u32>(), (1u32 << 31) - 3..(1u32 << 31) + 3]
            .prop_map(CqlValue::Date)
            .boxed(),
        CqlType::Time => (0..NANOS_PER_DAY).prop_map(CqlValue::Time).boxed(),
        CqlType::Timestamp => small_or_any_i64().prop_map(CqlValue::Timestamp).boxed(),
        CqlType::Uuid => (any::<[u8; 16]>(), 0u8..16)
            .prop_map(|(b, v)| CqlValue::Uuid(uuid_with_version(b, v)))
            .boxed(),
        CqlType::Timeuuid => any::<[u8; 16]>()
            .prop_map(|b| CqlValue::Timeuuid(uuid_with_version(b, 1)))
            .boxed(),
        CqlType::Inet => inet().prop_map(CqlValue::Inet).boxed(),
        CqlType::Varint => varint().prop_map(CqlValue::Varint).boxed(),
        CqlType::Decimal => decimal().prop_map(CqlValue::Decimal).boxed(),
        CqlType::Duration => duration().prop_map(CqlValue::Duration).boxed(),
        other => panic!("not a scalar: {other}"),
    }
}

/// True for the types whose zero-length value is their empty string or blob.
pub fn is_bytes_type(ty: &CqlType) -> bool {
    matches!(
        ty.unfrozen(),
        CqlType::Text | CqlType::Ascii | CqlType::Blob
    )
}

/// A value of type `ty`; the empty value sometimes, where it is distinct.
pub fn value_for(ty: &CqlType) -> BoxedStrategy<CqlValue> {
    value_gen(ty, true)
}

/// A value of type `ty` with no empty value anywhere inside.
pub fn value_without_empty(ty: &CqlType) -> BoxedStrategy<CqlValue> {
    value_gen(ty, false)
}

fn value_gen(ty: &CqlType, empty: bool) -> BoxedStrategy<CqlValue> {
    let base = value_no_empty(ty, empty);
    if !empty || is_bytes_type(ty) || matches!(ty.unfrozen(), CqlType::Vector(_, _)) {
        base
    } else {
        prop_oneof![12 => base, 1 => Just(CqlValue::Empty)].boxed()
    }
}

fn value_no_empty(ty: &CqlType, empty: bool) -> BoxedStrategy<CqlValue> {
    match ty.unfrozen() {
        CqlType::List(e) => prop::collection::vec(value_gen(e, empty), 0..4)
            .prop_map(CqlValue::List)
            .boxed(),
        CqlType::Set(e) => prop::collection::vec(value_gen(e, empty), 0..4)
            .prop_map(CqlValue::Set)
            .boxed(),
        CqlType::Map(k, v) => {
            prop::collection::vec((value_gen(k, empty), value_gen(v, empty)), 0..4)
                .prop_map(CqlValue::Map)
                .boxed()
        }
        CqlType::Tuple(types) => {
            let parts: Vec<_> = types
                .iter()
                .map(|t| prop::option::weighted(0.8, value_gen(t, empty)))
                .collect();
            (parts, 0..=types.len())
                .prop_map(|(mut v, keep)| {
                    v.truncate(keep.max(1));
                    CqlValue::Tuple(v)
                })
                .boxed()
        }
        CqlType::Udt(def) => {
            let parts: Vec<_> = def
                .fields
                .iter()
                .map(|(n, t)| {
                    (
                        Just(n.clone()),
                        prop::option::weighted(0.8, value_gen(t, empty)),
                    )
                })
                .collect();
            (parts, 0..=def.fields.len())
                .prop_map(|(mut v, keep)| {
                    v.truncate(keep.max(1));
                    CqlValue::Udt(v)
                })
                .boxed()
        }
        CqlType::Vector(e, n) => {
            let n = *n as usize;
            prop::collection::vec(value_no_empty(e, empty), n..=n)
                .prop_map(CqlValue::Vector)
                .boxed()
        }
        other => scalar_value(other),
    }
}

/// A type and a value of it.
pub fn typed_value() -> impl Strategy<Value = (CqlType, CqlValue)> {
    any_type().prop_flat_map(|ty| {
        let v = value_for(&ty);
        (Just(ty), v)
    })
}

/// Structural equality with floats compared by bits (NaN == NaN) and decimals
/// by unscaled value and scale.
pub fn same(a: &CqlValue, b: &CqlValue) -> bool {
    use CqlValue as V;
    match (a, b) {
        (V::Float(x), V::Float(y)) => x.to_bits() == y.to_bits(),
        (V::Double(x), V::Double(y)) => x.to_bits() == y.to_bits(),
        (V::Decimal(x), V::Decimal(y)) => x.as_bigint_and_exponent() == y.as_bigint_and_exponent(),
        (V::List(x), V::List(y)) | (V::Set(x), V::Set(y)) | (V::Vector(x), V::Vector(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (V::Map(x), V::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| same(&p.0, &q.0) && same(&p.1, &q.1))
        }
        (V::Tuple(x), V::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_opt(p, q))
        }
        (V::Udt(x), V::Udt(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| p.0 == q.0 && same_opt(&p.1, &q.1))
        }
        _ => a == b,
    }
}

fn same_opt(a: &Option<CqlValue>, b: &Option<CqlValue>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => same(x, y),
        _ => false,
    }
}
