//! Wire formats of the non-collection CQL types (native protocol v4/v5 §6).
//!
//! Every function here writes or reads the *value bytes* only; the `[bytes]`
//! length in front belongs to the caller. Fixed-size types demand their exact
//! size; a zero-length value is [`CqlValue::Empty`] (handled by the caller).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use uuid::Uuid;

use super::{Sink, vint};
use crate::value::error::ValueError;
use crate::value::types::CqlType;
use crate::value::value::{CqlDuration, CqlValue, NANOS_PER_DAY};

fn mismatch(ty: &CqlType, v: &CqlValue) -> ValueError {
    ValueError::TypeMismatch {
        ty: ty.to_string(),
        found: v.kind(),
    }
}

/// Appends the bytes of scalar `value` as type `ty` (not frozen, not composite).
pub(super) fn encode_scalar(
    value: &CqlValue,
    ty: &CqlType,
    out: &mut impl Sink,
) -> Result<(), ValueError> {
    use CqlValue as V;
    match (ty, value) {
        (CqlType::Ascii, V::Ascii(s) | V::Text(s)) => {
            if !s.is_ascii() {
                return Err(ValueError::invalid(ty, "non-ASCII character"));
            }
            out.extend_from_slice(s.as_bytes());
        }
        (CqlType::Text, V::Text(s) | V::Ascii(s)) => out.extend_from_slice(s.as_bytes()),
        (CqlType::Blob, V::Blob(b)) => out.extend_from_slice(b),
        (CqlType::Bigint | CqlType::Counter, V::Bigint(n) | V::Counter(n)) => {
            out.extend_from_slice(&n.to_be_bytes());
        }
        (CqlType::Timestamp, V::Timestamp(n)) => out.extend_from_slice(&n.to_be_bytes()),
        (CqlType::Boolean, V::Boolean(b)) => out.push(u8::from(*b)),
        (CqlType::Int, V::Int(n)) => out.extend_from_slice(&n.to_be_bytes()),
        (CqlType::Smallint, V::Smallint(n)) => out.extend_from_slice(&n.to_be_bytes()),
        (CqlType::Tinyint, V::Tinyint(n)) => out.extend_from_slice(&n.to_be_bytes()),
        (CqlType::Float, V::Float(x)) => out.extend_from_slice(&x.to_be_bytes()),
        (CqlType::Double, V::Double(x)) => out.extend_from_slice(&x.to_be_bytes()),
        (CqlType::Date, V::Date(d)) => out.extend_from_slice(&d.to_be_bytes()),
        (CqlType::Time, V::Time(t)) => {
            check_time(ty, *t)?;
            out.extend_from_slice(&t.to_be_bytes());
        }
        (CqlType::Uuid, V::Uuid(u) | V::Timeuuid(u)) => out.extend_from_slice(u.as_bytes()),
        (CqlType::Timeuuid, V::Timeuuid(u) | V::Uuid(u)) => {
            check_timeuuid(ty, u)?;
            out.extend_from_slice(u.as_bytes());
        }
        (CqlType::Inet, V::Inet(IpAddr::V4(a))) => out.extend_from_slice(&a.octets()),
        (CqlType::Inet, V::Inet(IpAddr::V6(a))) => out.extend_from_slice(&a.octets()),
        (CqlType::Varint, V::Varint(n)) => out.extend_from_slice(&n.to_signed_bytes_be()),
        (CqlType::Decimal, V::Decimal(d)) => encode_decimal(ty, d, out)?,
        (CqlType::Duration, V::Duration(d)) => encode_duration(ty, d, out)?,
        (CqlType::Custom(_), V::Blob(b)) => out.extend_from_slice(b),
        _ => return Err(mismatch(ty, value)),
    }
    Ok(())
}

fn check_time(ty: &CqlType, t: i64) -> Result<(), ValueError> {
    if (0..NANOS_PER_DAY).contains(&t) {
        Ok(())
    } else {
        Err(ValueError::invalid(
            ty,
            format!("{t} is outside 0..{NANOS_PER_DAY} nanoseconds"),
        ))
    }
}

fn check_timeuuid(ty: &CqlType, u: &Uuid) -> Result<(), ValueError> {
    if u.get_version_num() == 1 {
        Ok(())
    } else {
        Err(ValueError::invalid(
            ty,
            format!("{u} is version {}, not 1", u.get_version_num()),
        ))
    }
}

fn encode_decimal(ty: &CqlType, d: &BigDecimal, out: &mut impl Sink) -> Result<(), ValueError> {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let scale = i32::try_from(scale)
        .map_err(|_| ValueError::invalid(ty, format!("scale {scale} does not fit 32 bits")))?;
    out.extend_from_slice(&scale.to_be_bytes());
    out.extend_from_slice(&unscaled.to_signed_bytes_be());
    Ok(())
}

fn encode_duration(ty: &CqlType, d: &CqlDuration, out: &mut impl Sink) -> Result<(), ValueError> {
    if !d.has_consistent_sign() {
        return Err(ValueError::invalid(
            ty,
            "months, days and nanoseconds must all have the same sign",
        ));
    }
    let mut bytes = Vec::with_capacity(27);
    vint::write_signed(i64::from(d.months), &mut bytes);
    vint::write_signed(i64::from(d.days), &mut bytes);
    vint::write_signed(d.nanos, &mut bytes);
    out.extend_from_slice(&bytes);
    Ok(())
}

fn fixed<const N: usize>(ty: &CqlType, bytes: &[u8]) -> Result<[u8; N], ValueError> {
    <[u8; N]>::try_from(bytes)
        .map_err(|_| ValueError::malformed(ty, format!("expected {N} bytes, got {}", bytes.len())))
}

/// Decodes non-empty `bytes` as scalar type `ty`.
pub(super) fn decode_scalar(ty: &CqlType, bytes: &[u8]) -> Result<CqlValue, ValueError> {
    let value = match ty {
        CqlType::Ascii => {
            if !bytes.is_ascii() {
                return Err(ValueError::malformed(ty, "byte above 0x7F"));
            }
            CqlValue::Ascii(utf8(ty, bytes)?)
        }
        CqlType::Text => CqlValue::Text(utf8(ty, bytes)?),
        CqlType::Blob | CqlType::Custom(_) => CqlValue::Blob(bytes.to_vec()),
        CqlType::Bigint => CqlValue::Bigint(i64::from_be_bytes(fixed(ty, bytes)?)),
        CqlType::Counter => CqlValue::Counter(i64::from_be_bytes(fixed(ty, bytes)?)),
        CqlType::Timestamp => CqlValue::Timestamp(i64::from_be_bytes(fixed(ty, bytes)?)),
        CqlType::Boolean => CqlValue::Boolean(fixed::<1>(ty, bytes)? != [0]),
        CqlType::Int => CqlValue::Int(i32::from_be_bytes(fixed(ty, bytes)?)),
        CqlType::Smallint => CqlValue::Smallint(i16::from_be_bytes(fixed(ty, bytes)?)),
        CqlType::Tinyint => CqlValue::Tinyint(i8::from_be_bytes(fixed(ty, bytes)?)),
        CqlType::Float => CqlValue::Float(f32::from_be_bytes(fixed(ty, bytes)?)),
        CqlType::Double => CqlValue::Double(f64::from_be_bytes(fixed(ty, bytes)?)),
        CqlType::Date => CqlValue::Date(u32::from_be_bytes(fixed(ty, bytes)?)),
        CqlType::Time => {
            let t = i64::from_be_bytes(fixed(ty, bytes)?);
            check_time(ty, t).map_err(|e| ValueError::malformed(ty, e.to_string()))?;
            CqlValue::Time(t)
        }
        CqlType::Uuid => CqlValue::Uuid(Uuid::from_bytes(fixed(ty, bytes)?)),
        CqlType::Timeuuid => {
            let u = Uuid::from_bytes(fixed(ty, bytes)?);
            check_timeuuid(ty, &u).map_err(|e| ValueError::malformed(ty, e.to_string()))?;
            CqlValue::Timeuuid(u)
        }
        CqlType::Inet => CqlValue::Inet(decode_inet(ty, bytes)?),
        CqlType::Varint => CqlValue::Varint(BigInt::from_signed_bytes_be(bytes)),
        CqlType::Decimal => CqlValue::Decimal(decode_decimal(ty, bytes)?),
        CqlType::Duration => CqlValue::Duration(decode_duration(ty, bytes)?),
        _ => return Err(ValueError::malformed(ty, "not a scalar type")),
    };
    Ok(value)
}

fn utf8(ty: &CqlType, bytes: &[u8]) -> Result<String, ValueError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|e| ValueError::malformed(ty, format!("invalid UTF-8: {}", e.utf8_error())))
}

fn decode_inet(ty: &CqlType, bytes: &[u8]) -> Result<IpAddr, ValueError> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Ok(IpAddr::V4(Ipv4Addr::from(v4)));
    }
    if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        return Ok(IpAddr::V6(Ipv6Addr::from(v6)));
    }
    Err(ValueError::malformed(
        ty,
        format!("expected 4 or 16 bytes, got {}", bytes.len()),
    ))
}

fn decode_decimal(ty: &CqlType, bytes: &[u8]) -> Result<BigDecimal, ValueError> {
    let (scale, unscaled) = bytes
        .split_at_checked(4)
        .ok_or_else(|| ValueError::malformed(ty, "shorter than its 4-byte scale"))?;
    if unscaled.is_empty() {
        return Err(ValueError::malformed(
            ty,
            "no unscaled value after the scale",
        ));
    }
    let scale = i32::from_be_bytes(fixed(ty, scale)?);
    Ok(BigDecimal::new(
        BigInt::from_signed_bytes_be(unscaled),
        i64::from(scale),
    ))
}

fn decode_duration(ty: &CqlType, bytes: &[u8]) -> Result<CqlDuration, ValueError> {
    let truncated = || ValueError::malformed(ty, "truncated variable-length integer");
    let (months, rest) = vint::read_signed(bytes).ok_or_else(truncated)?;
    let (days, rest) = vint::read_signed(rest).ok_or_else(truncated)?;
    let (nanos, rest) = vint::read_signed(rest).ok_or_else(truncated)?;
    if !rest.is_empty() {
        return Err(ValueError::malformed(
            ty,
            format!("{} bytes after the nanoseconds", rest.len()),
        ));
    }
    let months = i32::try_from(months)
        .map_err(|_| ValueError::malformed(ty, format!("months {months} overflow 32 bits")))?;
    let days = i32::try_from(days)
        .map_err(|_| ValueError::malformed(ty, format!("days {days} overflow 32 bits")))?;
    let d = CqlDuration {
        months,
        days,
        nanos,
    };
    if !d.has_consistent_sign() {
        return Err(ValueError::malformed(ty, "components of different signs"));
    }
    Ok(d)
}

/// The fixed serialized size of `ty` inside a `vector`, or `None` when its
/// elements carry an unsigned-vint length (Cassandra's `valueLengthIfFixed`).
pub(super) fn fixed_size(ty: &CqlType) -> Option<usize> {
    match ty {
        CqlType::Boolean => Some(1),
        CqlType::Int | CqlType::Float => Some(4),
        CqlType::Bigint | CqlType::Double | CqlType::Timestamp => Some(8),
        CqlType::Uuid | CqlType::Timeuuid => Some(16),
        _ => None,
    }
}
