//! The binary codec of CQL values: native protocol v4/v5 §6 "Data Type
//! Serialization Formats", byte-exact.
//!
//! [`encode`] writes a value's bytes (without the `[bytes]` length the frame puts
//! in front); [`decode`] reads them back. Invariants: decoding never panics and
//! never allocates more than a small multiple of its input (every count is
//! checked against the bytes left before a vector is reserved); nesting deeper
//! than [`MAX_NESTING_DEPTH`] is an error; a zero-length input is
//! [`CqlValue::Empty`] except for text, ascii and blob, where it is the empty
//! string/blob.

mod collection;
mod scalar;
pub mod vint;

use std::ops::Range;

use bytes::{BufMut, BytesMut};

use super::error::{MAX_NESTING_DEPTH, ValueError};
use super::types::CqlType;
use super::value::CqlValue;

/// Appends the serialized bytes of `value` as type `ty` to `out`.
///
/// The value must fit the type (an `Int` for `int`, ...); `Text`/`Ascii`,
/// `Bigint`/`Counter` and `Uuid`/`Timeuuid` are accepted for each other's types.
/// On error, `out` may hold a partial value after its original end.
pub fn encode(value: &CqlValue, ty: &CqlType, out: &mut BytesMut) -> Result<(), ValueError> {
    encode_at(value, ty, out, 0)
}

/// Where encoders write: a `Vec<u8>` or a `BytesMut`, written in place (the
/// collection encoder patches each element's length after writing it).
pub(crate) trait Sink {
    /// Appends bytes.
    fn extend_from_slice(&mut self, bytes: &[u8]);
    /// Bytes written so far.
    fn len(&self) -> usize;
    /// The written bytes in `range`, to patch a length.
    fn get_mut(&mut self, range: Range<usize>) -> Option<&mut [u8]>;
    /// Appends one byte.
    fn push(&mut self, byte: u8) {
        self.extend_from_slice(&[byte]);
    }
}

impl Sink for Vec<u8> {
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        Vec::extend_from_slice(self, bytes);
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn get_mut(&mut self, range: Range<usize>) -> Option<&mut [u8]> {
        self.as_mut_slice().get_mut(range)
    }
}

impl Sink for BytesMut {
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.put_slice(bytes);
    }
    fn len(&self) -> usize {
        BytesMut::len(self)
    }
    fn get_mut(&mut self, range: Range<usize>) -> Option<&mut [u8]> {
        self.as_mut().get_mut(range)
    }
}

/// The serialized bytes of `value` as type `ty`.
pub fn encode_to_vec(value: &CqlValue, ty: &CqlType) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    encode_at(value, ty, &mut out, 0)?;
    Ok(out)
}

/// Decodes the serialized bytes of one value of type `ty`.
pub fn decode(ty: &CqlType, bytes: &[u8]) -> Result<CqlValue, ValueError> {
    decode_at(ty, bytes, 0)
}

fn check_depth(ty: &CqlType, depth: usize) -> Result<(), ValueError> {
    if depth > MAX_NESTING_DEPTH {
        return Err(ValueError::TooDeep {
            ty: ty.to_string(),
            max: MAX_NESTING_DEPTH,
        });
    }
    Ok(())
}

fn encode_at(
    value: &CqlValue,
    ty: &CqlType,
    out: &mut impl Sink,
    depth: usize,
) -> Result<(), ValueError> {
    check_depth(ty, depth)?;
    if matches!(value, CqlValue::Empty) {
        return Ok(());
    }
    match ty.unfrozen() {
        CqlType::List(_)
        | CqlType::Set(_)
        | CqlType::Map(_, _)
        | CqlType::Tuple(_)
        | CqlType::Udt(_)
        | CqlType::Vector(_, _) => collection::encode_composite(value, ty.unfrozen(), out, depth),
        other => scalar::encode_scalar(value, other, out),
    }
}

fn decode_at(ty: &CqlType, bytes: &[u8], depth: usize) -> Result<CqlValue, ValueError> {
    check_depth(ty, depth)?;
    let ty = ty.unfrozen();
    if bytes.is_empty() {
        return Ok(match ty {
            CqlType::Text => CqlValue::Text(String::new()),
            CqlType::Ascii => CqlValue::Ascii(String::new()),
            CqlType::Blob | CqlType::Custom(_) => CqlValue::Blob(Vec::new()),
            _ => CqlValue::Empty,
        });
    }
    match ty {
        CqlType::List(_)
        | CqlType::Set(_)
        | CqlType::Map(_, _)
        | CqlType::Tuple(_)
        | CqlType::Udt(_)
        | CqlType::Vector(_, _) => collection::decode_composite(ty, bytes, depth),
        other => scalar::decode_scalar(other, bytes),
    }
}
