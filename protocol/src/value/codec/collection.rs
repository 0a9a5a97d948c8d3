//! Wire formats of the composite CQL types: list, set, map, tuple, UDT, vector.
//!
//! Collections: `[int n]` then n elements (maps: n key/value pairs), each
//! `[int length][bytes]`; a negative length is null, which collections reject.
//! Tuples and UDTs: each component `[int length][bytes]` (negative = null),
//! concatenated; fewer components than declared are allowed (the rest are null),
//! more are an error. Vectors: exactly n elements, concatenated without lengths
//! when the element type has a fixed size, otherwise each preceded by its length
//! as an unsigned vint (Cassandra 5's `VectorSerializer`).

use super::{Sink, decode_at, encode_at, scalar, vint};
use crate::value::error::ValueError;
use crate::value::types::CqlType;
use crate::value::value::CqlValue;

fn mismatch(ty: &CqlType, v: &CqlValue) -> ValueError {
    ValueError::TypeMismatch {
        ty: ty.to_string(),
        found: v.kind(),
    }
}

/// Appends composite `value` as `ty` (already unfrozen).
pub(super) fn encode_composite(
    value: &CqlValue,
    ty: &CqlType,
    out: &mut impl Sink,
    depth: usize,
) -> Result<(), ValueError> {
    match (ty, value) {
        (
            CqlType::List(elem) | CqlType::Set(elem),
            CqlValue::List(items) | CqlValue::Set(items),
        ) => {
            write_count(ty, items.len(), out)?;
            for item in items {
                write_element(item, elem, out, depth)?;
            }
        }
        (CqlType::Map(k, v), CqlValue::Map(entries)) => {
            write_count(ty, entries.len(), out)?;
            for (key, val) in entries {
                write_element(key, k, out, depth)?;
                write_element(val, v, out, depth)?;
            }
        }
        (CqlType::Tuple(types), CqlValue::Tuple(items)) => {
            if items.len() > types.len() {
                return Err(too_many(ty, types.len(), items.len()));
            }
            for (item, t) in items.iter().zip(types) {
                write_component(item.as_ref(), t, out, depth)?;
            }
        }
        (CqlType::Udt(def), CqlValue::Udt(fields)) => {
            if fields.len() > def.fields.len() {
                return Err(too_many(ty, def.fields.len(), fields.len()));
            }
            for ((_, item), (_, t)) in fields.iter().zip(&def.fields) {
                write_component(item.as_ref(), t, out, depth)?;
            }
        }
        (CqlType::Vector(elem, n), CqlValue::Vector(items) | CqlValue::List(items)) => {
            encode_vector(ty, elem, *n, items, out, depth)?;
        }
        _ => return Err(mismatch(ty, value)),
    }
    Ok(())
}

fn too_many(ty: &CqlType, declared: usize, got: usize) -> ValueError {
    ValueError::invalid(ty, format!("{got} components for {declared} declared"))
}

fn write_count(ty: &CqlType, n: usize, out: &mut impl Sink) -> Result<(), ValueError> {
    let n = i32::try_from(n).map_err(|_| ValueError::invalid(ty, "more than 2^31-1 elements"))?;
    out.extend_from_slice(&n.to_be_bytes());
    Ok(())
}

/// Writes `[int length][bytes]` for one element, patching the length in place.
fn write_element(
    value: &CqlValue,
    ty: &CqlType,
    out: &mut impl Sink,
    depth: usize,
) -> Result<(), ValueError> {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    encode_at(value, ty, out, depth + 1)?;
    let len = out.len() - at - 4;
    let len = i32::try_from(len).map_err(|_| ValueError::invalid(ty, "value over 2 GiB"))?;
    if let Some(slot) = out.get_mut(at..at + 4) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

fn write_component(
    value: Option<&CqlValue>,
    ty: &CqlType,
    out: &mut impl Sink,
    depth: usize,
) -> Result<(), ValueError> {
    match value {
        None => {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            Ok(())
        }
        Some(v) => write_element(v, ty, out, depth),
    }
}

fn encode_vector(
    ty: &CqlType,
    elem: &CqlType,
    n: u32,
    items: &[CqlValue],
    out: &mut impl Sink,
    depth: usize,
) -> Result<(), ValueError> {
    if u32::try_from(items.len()).ok() != Some(n) {
        return Err(ValueError::invalid(
            ty,
            format!("{} elements, expected {n}", items.len()),
        ));
    }
    let fixed = scalar::fixed_size(elem.unfrozen());
    for item in items {
        if matches!(item, CqlValue::Empty) {
            return Err(ValueError::invalid(ty, "empty element in a vector"));
        }
        let mut bytes = Vec::new();
        encode_at(item, elem, &mut bytes, depth + 1)?;
        if fixed.is_none() {
            let mut len = Vec::with_capacity(9);
            vint::write_unsigned(bytes.len() as u64, &mut len);
            out.extend_from_slice(&len);
        }
        out.extend_from_slice(&bytes);
    }
    Ok(())
}

/// A cursor over composite bytes that checks every length before use.
struct Reader<'a> {
    ty: &'a CqlType,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn int(&mut self, what: &str) -> Result<i32, ValueError> {
        let (head, rest) = self.rest.split_at_checked(4).ok_or_else(|| {
            ValueError::malformed(self.ty, format!("truncated before the {what}"))
        })?;
        self.rest = rest;
        let mut four = [0u8; 4];
        four.copy_from_slice(head);
        Ok(i32::from_be_bytes(four))
    }

    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], ValueError> {
        let (head, rest) = self.rest.split_at_checked(len).ok_or_else(|| {
            ValueError::malformed(
                self.ty,
                format!("{what} of {len} bytes but only {} left", self.rest.len()),
            )
        })?;
        self.rest = rest;
        Ok(head)
    }

    /// `[int length][bytes]`; `None` for a negative length (null).
    fn value(&mut self, what: &str) -> Result<Option<&'a [u8]>, ValueError> {
        let len = self.int(&format!("{what} length"))?;
        match usize::try_from(len) {
            Ok(len) => self.take(len, what).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// A count of elements, each at least `min_size` bytes: checked against
    /// the bytes left so the caller can reserve it safely.
    fn count(&mut self, min_size: usize) -> Result<usize, ValueError> {
        let n = self.int("element count")?;
        let n = usize::try_from(n)
            .map_err(|_| ValueError::malformed(self.ty, format!("negative element count {n}")))?;
        if n.saturating_mul(min_size) > self.rest.len() {
            return Err(ValueError::malformed(
                self.ty,
                format!("{n} elements cannot fit in {} bytes", self.rest.len()),
            ));
        }
        Ok(n)
    }

    fn finish(&self) -> Result<(), ValueError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(ValueError::malformed(
                self.ty,
                format!("{} trailing bytes", self.rest.len()),
            ))
        }
    }
}

/// Decodes non-empty composite bytes of `ty` (already unfrozen).
pub(super) fn decode_composite(
    ty: &CqlType,
    bytes: &[u8],
    depth: usize,
) -> Result<CqlValue, ValueError> {
    let mut r = Reader { ty, rest: bytes };
    let value = match ty {
        CqlType::List(elem) | CqlType::Set(elem) => {
            let n = r.count(4)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(element(&mut r, elem, depth, "element")?);
            }
            if matches!(ty, CqlType::Set(_)) {
                CqlValue::Set(items)
            } else {
                CqlValue::List(items)
            }
        }
        CqlType::Map(k, v) => {
            let n = r.count(8)?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                let key = element(&mut r, k, depth, "key")?;
                let val = element(&mut r, v, depth, "value")?;
                entries.push((key, val));
            }
            CqlValue::Map(entries)
        }
        CqlType::Tuple(types) => CqlValue::Tuple(components(&mut r, types.iter(), depth)?),
        CqlType::Udt(def) => {
            let values = components(&mut r, def.fields.iter().map(|f| &f.1), depth)?;
            let fields = def
                .fields
                .iter()
                .zip(values)
                .map(|((name, _), v)| (name.clone(), v));
            CqlValue::Udt(fields.collect())
        }
        CqlType::Vector(elem, n) => decode_vector(&mut r, elem, *n, depth)?,
        _ => return Err(ValueError::malformed(ty, "not a composite type")),
    };
    r.finish()?;
    Ok(value)
}

fn element(
    r: &mut Reader<'_>,
    ty: &CqlType,
    depth: usize,
    what: &str,
) -> Result<CqlValue, ValueError> {
    match r.value(what)? {
        Some(bytes) => decode_at(ty, bytes, depth + 1),
        None => Err(ValueError::malformed(
            r.ty,
            format!("null {what} in a collection"),
        )),
    }
}

fn components<'t>(
    r: &mut Reader<'_>,
    types: impl ExactSizeIterator<Item = &'t CqlType>,
    depth: usize,
) -> Result<Vec<Option<CqlValue>>, ValueError> {
    let declared = types.len();
    let mut out = Vec::with_capacity(declared.min(r.rest.len() / 4));
    for ty in types {
        if r.rest.is_empty() {
            break;
        }
        let value = match r.value("component")? {
            Some(bytes) => Some(decode_at(ty, bytes, depth + 1)?),
            None => None,
        };
        out.push(value);
    }
    if !r.rest.is_empty() {
        return Err(ValueError::malformed(
            r.ty,
            format!("more than {declared} components"),
        ));
    }
    Ok(out)
}

fn decode_vector(
    r: &mut Reader<'_>,
    elem: &CqlType,
    n: u32,
    depth: usize,
) -> Result<CqlValue, ValueError> {
    let n = usize::try_from(n).map_err(|_| ValueError::malformed(r.ty, "dimension too large"))?;
    let fixed = scalar::fixed_size(elem.unfrozen());
    let min = fixed.unwrap_or(1);
    if n.saturating_mul(min) > r.rest.len() {
        return Err(ValueError::malformed(
            r.ty,
            format!("{n} elements cannot fit in {} bytes", r.rest.len()),
        ));
    }
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let len = match fixed {
            Some(size) => size,
            None => {
                let (len, rest) = vint::read_unsigned(r.rest)
                    .ok_or_else(|| ValueError::malformed(r.ty, "truncated element length"))?;
                r.rest = rest;
                usize::try_from(len)
                    .map_err(|_| ValueError::malformed(r.ty, "element length too large"))?
            }
        };
        let bytes = r.take(len, "element")?;
        items.push(decode_at(elem, bytes, depth + 1)?);
    }
    Ok(CqlValue::Vector(items))
}
