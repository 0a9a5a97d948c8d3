//! Parsing of literal text into a value of a given type: the text Cassandra's
//! `AbstractType.fromString` accepts (what a CSV field or a string literal holds).
//!
//! The empty string is the empty value for every type except text and ascii
//! (the empty string) and blob (the empty blob). Text is taken as is, without
//! trimming. Errors read `cannot parse '<text>' as <type>: <reason>`.

use std::net::IpAddr;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use uuid::Uuid;

use super::{composite, temporal};
use crate::value::error::{MAX_NESTING_DEPTH, ValueError};
use crate::value::types::CqlType;
use crate::value::value::CqlValue;

/// Parses `text` as a value of type `ty`.
///
/// Scalars take Cassandra's string forms (see `docs/cql-types.md`); lists,
/// sets, maps, tuples, UDTs and vectors take CQL literal syntax
/// (`[1, 2]`, `{'a': 1}`, `(1, 'x')`, `{f: 1}`), with quoted strings inside.
pub fn parse_literal(ty: &CqlType, text: &str) -> Result<CqlValue, ValueError> {
    parse_at(ty, text, 0)
}

pub(super) fn parse_at(ty: &CqlType, text: &str, depth: usize) -> Result<CqlValue, ValueError> {
    if depth > MAX_NESTING_DEPTH {
        return Err(ValueError::TooDeep {
            ty: ty.to_string(),
            max: MAX_NESTING_DEPTH,
        });
    }
    let ty = ty.unfrozen();
    match ty {
        CqlType::Text => return Ok(CqlValue::Text(text.to_owned())),
        CqlType::Ascii => {
            if !text.is_ascii() {
                return Err(ValueError::parse(ty, text, "non-ASCII character"));
            }
            return Ok(CqlValue::Ascii(text.to_owned()));
        }
        CqlType::Blob | CqlType::Custom(_) => return parse_blob(ty, text),
        _ if text.is_empty() && !ty.is_collection() => return Ok(CqlValue::Empty),
        _ => {}
    }
    match ty {
        CqlType::List(_)
        | CqlType::Set(_)
        | CqlType::Map(_, _)
        | CqlType::Tuple(_)
        | CqlType::Udt(_)
        | CqlType::Vector(_, _) => composite::parse_composite(ty, text, depth),
        _ => parse_scalar(ty, text),
    }
}

fn parse_scalar(ty: &CqlType, text: &str) -> Result<CqlValue, ValueError> {
    let err = |reason: &str| ValueError::parse(ty, text, reason);
    Ok(match ty {
        CqlType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => CqlValue::Boolean(true),
            "false" => CqlValue::Boolean(false),
            _ => return Err(err("expected true or false")),
        },
        CqlType::Tinyint => CqlValue::Tinyint(int_in_range(ty, text)?),
        CqlType::Smallint => CqlValue::Smallint(int_in_range(ty, text)?),
        CqlType::Int => CqlValue::Int(int_in_range(ty, text)?),
        CqlType::Bigint => CqlValue::Bigint(int_in_range(ty, text)?),
        CqlType::Counter => CqlValue::Counter(int_in_range(ty, text)?),
        CqlType::Varint => CqlValue::Varint(
            BigInt::from_str(text.strip_prefix('+').unwrap_or(text))
                .map_err(|_| err("not an integer"))?,
        ),
        CqlType::Float => CqlValue::Float(parse_float(ty, text)?),
        CqlType::Double => CqlValue::Double(parse_float(ty, text)?),
        CqlType::Decimal => {
            let d = BigDecimal::from_str(text).map_err(|_| err("not a decimal number"))?;
            let (_, scale) = d.as_bigint_and_exponent();
            if i32::try_from(scale).is_err() {
                return Err(err("scale out of range"));
            }
            CqlValue::Decimal(d)
        }
        CqlType::Timestamp => CqlValue::Timestamp(temporal::parse_timestamp(ty, text)?),
        CqlType::Date => CqlValue::Date(temporal::parse_date(ty, text)?),
        CqlType::Time => CqlValue::Time(temporal::parse_time(ty, text)?),
        CqlType::Duration => CqlValue::Duration(temporal::parse_duration(ty, text)?),
        CqlType::Inet => {
            CqlValue::Inet(IpAddr::from_str(text).map_err(|_| err("not an IP address"))?)
        }
        CqlType::Uuid => CqlValue::Uuid(parse_uuid(ty, text)?),
        CqlType::Timeuuid => {
            let u = parse_uuid(ty, text)?;
            if u.get_version_num() != 1 {
                return Err(err("not a version 1 (time-based) UUID"));
            }
            CqlValue::Timeuuid(u)
        }
        _ => return Err(err("no literal form for this type")),
    })
}

fn int_in_range<T: TryFrom<i128>>(ty: &CqlType, text: &str) -> Result<T, ValueError> {
    let wide = i128::from_str(text).map_err(|_| {
        let is_int = text
            .trim_start_matches(['-', '+'])
            .bytes()
            .all(|b| b.is_ascii_digit());
        if is_int && text.bytes().any(|b| b.is_ascii_digit()) {
            ValueError::parse(ty, text, format!("out of range for {ty}"))
        } else {
            ValueError::parse(ty, text, "not an integer")
        }
    })?;
    T::try_from(wide).map_err(|_| ValueError::parse(ty, text, format!("out of range for {ty}")))
}

fn parse_float<T: FromStr>(ty: &CqlType, text: &str) -> Result<T, ValueError> {
    let lower = text.to_ascii_lowercase();
    let canonical = match lower.as_str() {
        "nan" => "NaN",
        "infinity" | "+infinity" => "inf",
        "-infinity" => "-inf",
        "inf" | "-inf" | "+inf" => return Err(ValueError::parse(ty, text, "not a number")),
        _ => text,
    };
    let ok = canonical
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        || matches!(canonical, "NaN" | "inf" | "-inf");
    if !ok {
        return Err(ValueError::parse(ty, text, "not a number"));
    }
    canonical
        .parse::<T>()
        .map_err(|_| ValueError::parse(ty, text, "not a number"))
}

fn parse_uuid(ty: &CqlType, text: &str) -> Result<Uuid, ValueError> {
    let shape_ok = text.len() == 36
        && text.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if !shape_ok {
        return Err(ValueError::parse(
            ty,
            text,
            "expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        ));
    }
    Uuid::parse_str(text).map_err(|e| ValueError::parse(ty, text, e.to_string()))
}

fn parse_blob(ty: &CqlType, text: &str) -> Result<CqlValue, ValueError> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if !hex.len().is_multiple_of(2) {
        return Err(ValueError::parse(ty, text, "odd number of hex digits"));
    }
    let mut out = Vec::with_capacity(hex.len() / 2);
    for pair in hex.as_bytes().chunks(2) {
        let digit = |c: u8| char::from(c).to_digit(16);
        match (
            pair.first().and_then(|c| digit(*c)),
            pair.get(1).and_then(|c| digit(*c)),
        ) {
            (Some(h), Some(l)) => out.push(u8::try_from(h * 16 + l).unwrap_or(0)),
            _ => return Err(ValueError::parse(ty, text, "not hexadecimal")),
        }
    }
    Ok(CqlValue::Blob(out))
}
