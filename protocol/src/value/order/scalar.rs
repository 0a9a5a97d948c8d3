//! Clustering byte forms of the scalar types (see the parent module's table).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use uuid::Uuid;

use super::{Input, not_clusterable, number};
use crate::value::compare::{inet_octets, reorder_back_timestamp, reorder_timestamp};
use crate::value::error::ValueError;
use crate::value::types::CqlType;
use crate::value::value::{CqlValue, NANOS_PER_DAY};

const SIGN64: u64 = 1 << 63;
const SIGN32: u32 = 1 << 31;

/// Types encoded as escaped bytes plus a terminator (no tag byte).
pub(super) fn is_escaped_bytes(ty: &CqlType) -> bool {
    matches!(
        ty,
        CqlType::Text | CqlType::Ascii | CqlType::Blob | CqlType::Inet
    )
}

fn mismatch(ty: &CqlType, v: &CqlValue) -> ValueError {
    ValueError::TypeMismatch {
        ty: ty.to_string(),
        found: v.kind(),
    }
}

/// Escaped bytes: `00` -> `00 FF`, then `00 00`.
pub(super) fn encode_bytes(
    value: &CqlValue,
    ty: &CqlType,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    let owned;
    let bytes: &[u8] = match (ty, value) {
        (_, CqlValue::Empty) => &[],
        (CqlType::Text | CqlType::Ascii, CqlValue::Text(s) | CqlValue::Ascii(s)) => s.as_bytes(),
        (CqlType::Blob, CqlValue::Blob(b)) => b,
        (CqlType::Inet, CqlValue::Inet(ip)) => {
            owned = inet_octets(ip);
            &owned
        }
        _ => return Err(mismatch(ty, value)),
    };
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
    Ok(())
}

pub(super) fn decode_bytes(r: &mut Input<'_>, ty: &CqlType) -> Result<CqlValue, ValueError> {
    let mut bytes = Vec::new();
    loop {
        match r.byte(ty)? {
            0 => match r.byte(ty)? {
                0 => break,
                0xFF => bytes.push(0),
                other => {
                    return Err(ValueError::malformed(
                        ty,
                        format!("bad escape 00 {other:02x}"),
                    ));
                }
            },
            b => bytes.push(b),
        }
    }
    let utf8 = |bytes: Vec<u8>| {
        String::from_utf8(bytes).map_err(|_| ValueError::malformed(ty, "invalid UTF-8"))
    };
    Ok(match ty {
        CqlType::Text => CqlValue::Text(utf8(bytes)?),
        CqlType::Ascii => CqlValue::Ascii(utf8(bytes)?),
        CqlType::Inet => {
            if let Ok(v4) = <[u8; 4]>::try_from(bytes.as_slice()) {
                CqlValue::Inet(IpAddr::V4(Ipv4Addr::from(v4)))
            } else if let Ok(v6) = <[u8; 16]>::try_from(bytes.as_slice()) {
                CqlValue::Inet(IpAddr::V6(Ipv6Addr::from(v6)))
            } else if bytes.is_empty() {
                CqlValue::Empty
            } else {
                return Err(ValueError::malformed(ty, "address not 4 or 16 bytes"));
            }
        }
        _ => CqlValue::Blob(bytes),
    })
}

fn flip64(n: i64) -> [u8; 8] {
    (u64::from_ne_bytes(n.to_ne_bytes()) ^ SIGN64).to_be_bytes()
}

fn unflip64(b: [u8; 8]) -> i64 {
    i64::from_ne_bytes((u64::from_be_bytes(b) ^ SIGN64).to_ne_bytes())
}

fn float_key32(x: f32) -> u32 {
    let bits = if x.is_nan() { 0x7FC0_0000 } else { x.to_bits() };
    if bits & SIGN32 != 0 {
        !bits
    } else {
        bits ^ SIGN32
    }
}

fn float_key64(x: f64) -> u64 {
    let bits = if x.is_nan() {
        0x7FF8_0000_0000_0000
    } else {
        x.to_bits()
    };
    if bits & SIGN64 != 0 {
        !bits
    } else {
        bits ^ SIGN64
    }
}

/// Cassandra's byte-comparable UUID high half: the version nibble first.
fn uuid_key(u: &Uuid) -> [u8; 16] {
    let (msb, lsb) = u.as_u64_pair();
    let version = (msb >> 12) & 0xF;
    let hi = if version == 1 {
        reorder_timestamp(msb)
    } else {
        (version << 60) | ((msb >> 4) & 0x0FFF_FFFF_FFFF_F000) | (msb & 0xFFF)
    };
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&hi.to_be_bytes());
    out[8..].copy_from_slice(&lsb.to_be_bytes());
    out
}

fn uuid_from_key(key: [u8; 16]) -> Uuid {
    let mut hi8 = [0u8; 8];
    let mut lo8 = [0u8; 8];
    hi8.copy_from_slice(&key[..8]);
    lo8.copy_from_slice(&key[8..]);
    let hi = u64::from_be_bytes(hi8);
    let version = hi >> 60;
    let msb = if version == 1 {
        reorder_back_timestamp(hi)
    } else {
        ((hi << 4) & 0xFFFF_FFFF_FFFF_0000) | (version << 12) | (hi & 0xFFF)
    };
    Uuid::from_u64_pair(msb, u64::from_be_bytes(lo8))
}

/// TimeUUIDType: signed reordered timestamp, then the low bytes signed.
fn timeuuid_key(u: &Uuid) -> [u8; 16] {
    let (msb, lsb) = u.as_u64_pair();
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&(reorder_timestamp(msb) ^ SIGN64).to_be_bytes());
    out[8..].copy_from_slice(&(lsb ^ 0x8080_8080_8080_8080).to_be_bytes());
    out
}

fn timeuuid_from_key(key: [u8; 16]) -> Uuid {
    let mut hi8 = [0u8; 8];
    let mut lo8 = [0u8; 8];
    hi8.copy_from_slice(&key[..8]);
    lo8.copy_from_slice(&key[8..]);
    let msb = reorder_back_timestamp(u64::from_be_bytes(hi8) ^ SIGN64);
    Uuid::from_u64_pair(msb, u64::from_be_bytes(lo8) ^ 0x8080_8080_8080_8080)
}

/// The tagged types' payload after the `01` tag.
pub(super) fn encode_fixed(
    value: &CqlValue,
    ty: &CqlType,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    use CqlValue as V;
    match (ty, value) {
        (CqlType::Boolean, V::Boolean(b)) => out.push(u8::from(*b)),
        (CqlType::Tinyint, V::Tinyint(n)) => out.push(n.to_be_bytes()[0] ^ 0x80),
        (CqlType::Smallint, V::Smallint(n)) => {
            out.extend_from_slice(&(u16::from_ne_bytes(n.to_ne_bytes()) ^ 0x8000).to_be_bytes());
        }
        (CqlType::Int, V::Int(n)) => {
            out.extend_from_slice(&(u32::from_ne_bytes(n.to_ne_bytes()) ^ SIGN32).to_be_bytes());
        }
        (CqlType::Bigint, V::Bigint(n)) | (CqlType::Timestamp, V::Timestamp(n)) => {
            out.extend_from_slice(&flip64(*n));
        }
        (CqlType::Time, V::Time(n)) => {
            if !(0..NANOS_PER_DAY).contains(n) {
                return Err(ValueError::invalid(ty, format!("{n} is outside a day")));
            }
            out.extend_from_slice(&flip64(*n));
        }
        (CqlType::Date, V::Date(d)) => out.extend_from_slice(&d.to_be_bytes()),
        (CqlType::Float, V::Float(x)) => out.extend_from_slice(&float_key32(*x).to_be_bytes()),
        (CqlType::Double, V::Double(x)) => out.extend_from_slice(&float_key64(*x).to_be_bytes()),
        (CqlType::Uuid, V::Uuid(u) | V::Timeuuid(u)) => out.extend_from_slice(&uuid_key(u)),
        (CqlType::Timeuuid, V::Timeuuid(u) | V::Uuid(u)) => {
            if u.get_version_num() != 1 {
                return Err(ValueError::invalid(
                    ty,
                    format!("{u} is not a version 1 UUID"),
                ));
            }
            out.extend_from_slice(&timeuuid_key(u));
        }
        (CqlType::Varint, V::Varint(n)) => number::encode_varint(n, out),
        (CqlType::Decimal, V::Decimal(d)) => number::encode_decimal(ty, d, out)?,
        (CqlType::Duration | CqlType::Counter | CqlType::Vector(_, _) | CqlType::Custom(_), _) => {
            return Err(not_clusterable(ty));
        }
        _ => return Err(mismatch(ty, value)),
    }
    Ok(())
}

fn array<const N: usize>(r: &mut Input<'_>, ty: &CqlType) -> Result<[u8; N], ValueError> {
    let mut out = [0u8; N];
    out.copy_from_slice(r.take(N, ty)?);
    Ok(out)
}

pub(super) fn decode_fixed(r: &mut Input<'_>, ty: &CqlType) -> Result<CqlValue, ValueError> {
    Ok(match ty {
        CqlType::Boolean => match r.byte(ty)? {
            0 => CqlValue::Boolean(false),
            1 => CqlValue::Boolean(true),
            b => return Err(ValueError::malformed(ty, format!("boolean byte {b:#04x}"))),
        },
        CqlType::Tinyint => CqlValue::Tinyint(i8::from_ne_bytes([r.byte(ty)? ^ 0x80])),
        CqlType::Smallint => {
            let raw = u16::from_be_bytes(array(r, ty)?) ^ 0x8000;
            CqlValue::Smallint(i16::from_ne_bytes(raw.to_ne_bytes()))
        }
        CqlType::Int => {
            let raw = u32::from_be_bytes(array(r, ty)?) ^ SIGN32;
            CqlValue::Int(i32::from_ne_bytes(raw.to_ne_bytes()))
        }
        CqlType::Bigint => CqlValue::Bigint(unflip64(array(r, ty)?)),
        CqlType::Timestamp => CqlValue::Timestamp(unflip64(array(r, ty)?)),
        CqlType::Time => {
            let t = unflip64(array(r, ty)?);
            if !(0..NANOS_PER_DAY).contains(&t) {
                return Err(ValueError::malformed(ty, format!("{t} is outside a day")));
            }
            CqlValue::Time(t)
        }
        CqlType::Date => CqlValue::Date(u32::from_be_bytes(array(r, ty)?)),
        CqlType::Float => {
            let key = u32::from_be_bytes(array(r, ty)?);
            let bits = if key & SIGN32 != 0 {
                key ^ SIGN32
            } else {
                !key
            };
            CqlValue::Float(f32::from_bits(bits))
        }
        CqlType::Double => {
            let key = u64::from_be_bytes(array(r, ty)?);
            let bits = if key & SIGN64 != 0 {
                key ^ SIGN64
            } else {
                !key
            };
            CqlValue::Double(f64::from_bits(bits))
        }
        CqlType::Uuid => CqlValue::Uuid(uuid_from_key(array(r, ty)?)),
        CqlType::Timeuuid => CqlValue::Timeuuid(timeuuid_from_key(array(r, ty)?)),
        CqlType::Varint => CqlValue::Varint(number::decode_varint(r, ty)?),
        CqlType::Decimal => CqlValue::Decimal(number::decode_decimal(r, ty)?),
        _ => return Err(not_clusterable(ty)),
    })
}
