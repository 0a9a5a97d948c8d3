//! Clustering byte forms of `varint` and `decimal`.
//!
//! varint: a sign byte (`00` negative, `01` zero, `02` positive), then for a
//! non-zero value the length of its magnitude (one byte up to 0xF7, else
//! `F7 + k` and k big-endian bytes) and the magnitude big-endian; negative
//! values invert those bytes so larger magnitudes sort first.
//!
//! decimal: the same sign byte, then for a non-zero value written as
//! `0.d1d2..dn x 10^E` (d1 != 0, no trailing zeros): E as 8 bytes with the sign
//! bit flipped, the digits in pairs `1 + 10*a + b` (an odd count padded with a
//! 0), and a `00` terminator; negative values invert those bytes.

use bigdecimal::BigDecimal;
use num_bigint::{BigInt, BigUint, Sign};

use super::Input;
use crate::value::error::ValueError;
use crate::value::types::CqlType;

const NEGATIVE: u8 = 0x00;
const ZERO: u8 = 0x01;
const POSITIVE: u8 = 0x02;
const SIGN64: u64 = 1 << 63;

fn write_len(len: usize, out: &mut Vec<u8>) {
    if len <= 0xF7 {
        out.push(u8::try_from(len).unwrap_or(0xF7));
        return;
    }
    let bytes = (len as u64).to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let k = 8 - skip;
    out.push(0xF7 + u8::try_from(k).unwrap_or(8));
    out.extend_from_slice(bytes.get(skip..).unwrap_or(&[]));
}

fn read_len(r: &mut Input<'_>, ty: &CqlType, mask: u8) -> Result<usize, ValueError> {
    let first = r.byte(ty)? ^ mask;
    if first <= 0xF7 {
        return Ok(usize::from(first));
    }
    let k = usize::from(first - 0xF7);
    let mut len: u64 = 0;
    for &b in r.take(k, ty)? {
        len = (len << 8) | u64::from(b ^ mask);
    }
    usize::try_from(len).map_err(|_| ValueError::malformed(ty, "length too large"))
}

fn sign_byte(sign: Sign) -> u8 {
    match sign {
        Sign::Minus => NEGATIVE,
        Sign::NoSign => ZERO,
        Sign::Plus => POSITIVE,
    }
}

fn invert_from(out: &mut [u8], start: usize) {
    if let Some(tail) = out.get_mut(start..) {
        tail.iter_mut().for_each(|b| *b = !*b);
    }
}

/// Appends the order-preserving form of a varint.
pub(super) fn encode_varint(n: &BigInt, out: &mut Vec<u8>) {
    let sign = n.sign();
    out.push(sign_byte(sign));
    if sign == Sign::NoSign {
        return;
    }
    let start = out.len();
    let magnitude = n.magnitude().to_bytes_be();
    write_len(magnitude.len(), out);
    out.extend_from_slice(&magnitude);
    if sign == Sign::Minus {
        invert_from(out, start);
    }
}

fn read_sign(r: &mut Input<'_>, ty: &CqlType) -> Result<Sign, ValueError> {
    match r.byte(ty)? {
        NEGATIVE => Ok(Sign::Minus),
        ZERO => Ok(Sign::NoSign),
        POSITIVE => Ok(Sign::Plus),
        b => Err(ValueError::malformed(ty, format!("bad sign byte {b:#04x}"))),
    }
}

fn mask_for(sign: Sign) -> u8 {
    if sign == Sign::Minus { 0xFF } else { 0x00 }
}

/// Reads a varint written by [`encode_varint`].
pub(super) fn decode_varint(r: &mut Input<'_>, ty: &CqlType) -> Result<BigInt, ValueError> {
    let sign = read_sign(r, ty)?;
    if sign == Sign::NoSign {
        return Ok(BigInt::ZERO);
    }
    let mask = mask_for(sign);
    let len = read_len(r, ty, mask)?;
    let magnitude: Vec<u8> = r.take(len, ty)?.iter().map(|b| b ^ mask).collect();
    if magnitude.first().is_none_or(|b| *b == 0) {
        return Err(ValueError::malformed(ty, "non-canonical magnitude"));
    }
    Ok(BigInt::from_biguint(
        sign,
        BigUint::from_bytes_be(&magnitude),
    ))
}

/// Appends the order-preserving form of a decimal (numerically equal decimals
/// with different scales encode alike).
pub(super) fn encode_decimal(
    ty: &CqlType,
    d: &BigDecimal,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let sign = unscaled.sign();
    out.push(sign_byte(sign));
    if sign == Sign::NoSign {
        return Ok(());
    }
    let digits = unscaled.magnitude().to_string();
    let trimmed = digits.trim_end_matches('0');
    let stripped = i64::try_from(digits.len() - trimmed.len()).unwrap_or(i64::MAX);
    let n = i64::try_from(trimmed.len()).unwrap_or(i64::MAX);
    let exponent = scale
        .checked_sub(stripped)
        .and_then(|s| n.checked_sub(s))
        .ok_or_else(|| ValueError::invalid(ty, "exponent out of range"))?;
    let start = out.len();
    out.extend_from_slice(&(u64::from_ne_bytes(exponent.to_ne_bytes()) ^ SIGN64).to_be_bytes());
    for pair in trimmed.as_bytes().chunks(2) {
        let a = pair.first().map_or(0, |c| c - b'0');
        let b = pair.get(1).map_or(0, |c| c - b'0');
        out.push(1 + 10 * a + b);
    }
    out.push(0);
    if sign == Sign::Minus {
        invert_from(out, start);
    }
    Ok(())
}

/// Reads a decimal written by [`encode_decimal`].
pub(super) fn decode_decimal(r: &mut Input<'_>, ty: &CqlType) -> Result<BigDecimal, ValueError> {
    let sign = read_sign(r, ty)?;
    if sign == Sign::NoSign {
        return Ok(BigDecimal::from(0));
    }
    let mask = mask_for(sign);
    let mut e8 = [0u8; 8];
    for (slot, b) in e8.iter_mut().zip(r.take(8, ty)?) {
        *slot = b ^ mask;
    }
    let exponent = i64::from_ne_bytes((u64::from_be_bytes(e8) ^ SIGN64).to_ne_bytes());
    let mut digits = Vec::new();
    loop {
        match r.byte(ty)? ^ mask {
            0 => break,
            p @ 1..=100 => {
                digits.push(b'0' + (p - 1) / 10);
                digits.push(b'0' + (p - 1) % 10);
            }
            p => {
                return Err(ValueError::malformed(
                    ty,
                    format!("bad digit pair {p:#04x}"),
                ));
            }
        }
    }
    let n = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let magnitude =
        BigUint::parse_bytes(&digits, 10).ok_or_else(|| ValueError::malformed(ty, "no digits"))?;
    let scale = n
        .checked_sub(exponent)
        .ok_or_else(|| ValueError::malformed(ty, "exponent out of range"))?;
    Ok(BigDecimal::new(
        BigInt::from_biguint(sign, magnitude),
        scale,
    ))
}
