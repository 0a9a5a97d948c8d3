//! Order-preserving, self-delimiting byte encoding of clustering keys.
//!
//! Invariants (property-tested against [`cql_cmp`](super::cql_cmp)):
//! 1. For two values of one type, comparing their encodings as plain unsigned
//!    bytes gives Cassandra's order of the values (reversed for [`Order::Desc`]).
//! 2. Every component's encoding is prefix-free, so a key is the concatenation of
//!    its components and the encoding of a clustering *prefix* (the first k
//!    components) is a byte prefix of the encoding of every key that extends it.
//! 3. `Desc` is the `Asc` encoding with every byte inverted (correct because of 2).
//!
//! Per type (ASC): text, ascii, blob and inet are their bytes with `00` escaped
//! as `00 FF`, ended by `00 00` (their empty value is the empty string). Every
//! other type starts with a tag byte, `00` for the empty value and `01` for a
//! value, followed by: fixed-width big-endian with the sign bit flipped for
//! signed integers, timestamp and time; big-endian for date and boolean; IEEE
//! bits with sign-dependent flipping for float/double (NaN canonical, above
//! +Infinity); the byte-comparable UUID forms Cassandra uses for uuid/timeuuid;
//! sign + length + magnitude for varint; sign + exponent + digit pairs for
//! decimal (so 1.0 and 1.00 encode, and decode, alike); per component `00`
//! (null) or `01` + encoding for tuples/UDTs (all declared components, missing
//! = null); `01` + encoding per element then `00` for lists, sets and maps.
//! `duration`, `counter`, vectors and custom types cannot be clustering columns.

mod number;
mod scalar;

use super::error::{MAX_NESTING_DEPTH, ValueError};
use super::types::CqlType;
use super::value::CqlValue;

/// The clustering order of a column (`WITH CLUSTERING ORDER BY (c DESC)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Order {
    /// Ascending: the default.
    #[default]
    Asc,
    /// Descending.
    Desc,
}

const TAG_EMPTY: u8 = 0x00;
const TAG_VALUE: u8 = 0x01;
const END: u8 = 0x00;
const MORE: u8 = 0x01;

/// Appends the order-preserving encoding of one clustering component.
pub fn encode_clustering_component(
    value: &CqlValue,
    ty: &CqlType,
    order: Order,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    let start = out.len();
    encode_asc(value, ty, out, 0)?;
    if order == Order::Desc
        && let Some(tail) = out.get_mut(start..)
    {
        tail.iter_mut().for_each(|b| *b = !*b);
    }
    Ok(())
}

/// The encoding of a whole clustering key or prefix: `values` may be shorter
/// than `columns` (a prefix), never longer.
pub fn encode_clustering_key(
    values: &[CqlValue],
    columns: &[(CqlType, Order)],
) -> Result<Vec<u8>, ValueError> {
    if values.len() > columns.len() {
        return Err(ValueError::invalid(
            &"clustering key",
            format!(
                "{} values for {} clustering columns",
                values.len(),
                columns.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for (value, (ty, order)) in values.iter().zip(columns) {
        encode_clustering_component(value, ty, *order, &mut out)?;
    }
    Ok(out)
}

/// Decodes one component from the front of `bytes`; returns it and the rest.
pub fn decode_clustering_component<'a>(
    bytes: &'a [u8],
    ty: &CqlType,
    order: Order,
) -> Result<(CqlValue, &'a [u8]), ValueError> {
    match order {
        Order::Asc => {
            let mut r = Input { rest: bytes };
            let value = decode_asc(&mut r, ty, 0)?;
            Ok((value, r.rest))
        }
        Order::Desc => {
            let inverted: Vec<u8> = bytes.iter().map(|b| !*b).collect();
            let mut r = Input { rest: &inverted };
            let value = decode_asc(&mut r, ty, 0)?;
            let used = inverted.len() - r.rest.len();
            Ok((value, bytes.get(used..).unwrap_or(&[])))
        }
    }
}

/// Decodes a clustering key or prefix: as many components as the bytes hold,
/// at most `columns.len()`.
pub fn decode_clustering_key(
    bytes: &[u8],
    columns: &[(CqlType, Order)],
) -> Result<Vec<CqlValue>, ValueError> {
    let mut rest = bytes;
    let mut out = Vec::new();
    for (ty, order) in columns {
        if rest.is_empty() {
            break;
        }
        let (value, tail) = decode_clustering_component(rest, ty, *order)?;
        out.push(value);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(ValueError::malformed(
            &"clustering key",
            format!("{} bytes after the last component", rest.len()),
        ));
    }
    Ok(out)
}

/// Whether `ty` may be a clustering column (or a part of one): every type but
/// `duration`, `counter`, vectors and custom types, at any nesting level.
pub fn check_clusterable(ty: &CqlType) -> Result<(), ValueError> {
    check_clusterable_at(ty, 0)
}

fn check_clusterable_at(ty: &CqlType, depth: usize) -> Result<(), ValueError> {
    check_depth(ty, depth)?;
    match ty.unfrozen() {
        CqlType::Duration | CqlType::Counter | CqlType::Vector(_, _) | CqlType::Custom(_) => {
            Err(not_clusterable(ty))
        }
        CqlType::List(e) | CqlType::Set(e) => check_clusterable_at(e, depth + 1),
        CqlType::Map(k, v) => {
            check_clusterable_at(k, depth + 1)?;
            check_clusterable_at(v, depth + 1)
        }
        CqlType::Tuple(types) => types
            .iter()
            .try_for_each(|t| check_clusterable_at(t, depth + 1)),
        CqlType::Udt(def) => def
            .fields
            .iter()
            .try_for_each(|(_, t)| check_clusterable_at(t, depth + 1)),
        _ => Ok(()),
    }
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

fn not_clusterable(ty: &CqlType) -> ValueError {
    ValueError::NotClusterable { ty: ty.to_string() }
}

fn encode_asc(
    value: &CqlValue,
    ty: &CqlType,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), ValueError> {
    check_depth(ty, depth)?;
    let ty = ty.unfrozen();
    if scalar::is_escaped_bytes(ty) {
        return scalar::encode_bytes(value, ty, out);
    }
    if matches!(value, CqlValue::Empty) {
        out.push(TAG_EMPTY);
        return Ok(());
    }
    out.push(TAG_VALUE);
    match (ty, value) {
        (CqlType::Set(_), CqlValue::List(_) | CqlValue::Set(_)) => {
            // Stored order: sorted and de-duplicated, nested sets first.
            let as_set = match value {
                CqlValue::List(items) => CqlValue::Set(items.clone()),
                other => other.clone(),
            };
            let (CqlType::Set(elem), CqlValue::Set(items)) = (ty, as_set.normalized(ty)) else {
                return Err(not_clusterable(ty));
            };
            encode_elements(&items, elem, out, depth)?;
        }
        (CqlType::List(elem), CqlValue::List(items) | CqlValue::Set(items)) => {
            encode_elements(items, elem, out, depth)?;
        }
        (CqlType::Map(k, v), CqlValue::Map(_)) => {
            let CqlValue::Map(entries) = value.normalized(ty) else {
                return Err(not_clusterable(ty));
            };
            for (key, val) in &entries {
                out.push(MORE);
                encode_asc(key, k, out, depth + 1)?;
                encode_asc(val, v, out, depth + 1)?;
            }
            out.push(END);
        }
        (CqlType::Tuple(types), CqlValue::Tuple(items)) => {
            encode_components(ty, types.iter(), |i| items.get(i), items.len(), out, depth)?;
        }
        (CqlType::Udt(def), CqlValue::Udt(fields)) => {
            let types = def.fields.iter().map(|f| &f.1);
            encode_components(
                ty,
                types,
                |i| fields.get(i).map(|f| &f.1),
                fields.len(),
                out,
                depth,
            )?;
        }
        _ => scalar::encode_fixed(value, ty, out)?,
    }
    Ok(())
}

fn encode_elements(
    items: &[CqlValue],
    elem: &CqlType,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), ValueError> {
    for item in items {
        out.push(MORE);
        encode_asc(item, elem, out, depth + 1)?;
    }
    out.push(END);
    Ok(())
}

fn encode_components<'t, 'v>(
    ty: &CqlType,
    types: impl ExactSizeIterator<Item = &'t CqlType>,
    get: impl Fn(usize) -> Option<&'v Option<CqlValue>>,
    given: usize,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), ValueError> {
    if given > types.len() {
        return Err(ValueError::invalid(
            ty,
            format!("{given} components for {}", types.len()),
        ));
    }
    for (i, t) in types.enumerate() {
        match get(i).and_then(Option::as_ref) {
            None => out.push(END),
            Some(v) => {
                out.push(MORE);
                encode_asc(v, t, out, depth + 1)?;
            }
        }
    }
    Ok(())
}

/// A cursor over encoded bytes.
pub(super) struct Input<'a> {
    pub(super) rest: &'a [u8],
}

impl<'a> Input<'a> {
    pub(super) fn byte(&mut self, ty: &CqlType) -> Result<u8, ValueError> {
        let (&b, rest) = self
            .rest
            .split_first()
            .ok_or_else(|| ValueError::malformed(ty, "clustering bytes end early"))?;
        self.rest = rest;
        Ok(b)
    }

    pub(super) fn take(&mut self, n: usize, ty: &CqlType) -> Result<&'a [u8], ValueError> {
        let (head, rest) = self
            .rest
            .split_at_checked(n)
            .ok_or_else(|| ValueError::malformed(ty, "clustering bytes end early"))?;
        self.rest = rest;
        Ok(head)
    }
}

fn decode_asc(r: &mut Input<'_>, ty: &CqlType, depth: usize) -> Result<CqlValue, ValueError> {
    check_depth(ty, depth)?;
    let ty = ty.unfrozen();
    if scalar::is_escaped_bytes(ty) {
        return scalar::decode_bytes(r, ty);
    }
    match r.byte(ty)? {
        TAG_EMPTY => return Ok(CqlValue::Empty),
        TAG_VALUE => {}
        other => {
            return Err(ValueError::malformed(
                ty,
                format!("bad tag byte {other:#04x}"),
            ));
        }
    }
    let value = match ty {
        CqlType::List(elem) | CqlType::Set(elem) => {
            let mut items = Vec::new();
            while more(r, ty)? {
                items.push(decode_asc(r, elem, depth + 1)?);
            }
            if matches!(ty, CqlType::Set(_)) {
                CqlValue::Set(items)
            } else {
                CqlValue::List(items)
            }
        }
        CqlType::Map(k, v) => {
            let mut entries = Vec::new();
            while more(r, ty)? {
                let key = decode_asc(r, k, depth + 1)?;
                entries.push((key, decode_asc(r, v, depth + 1)?));
            }
            CqlValue::Map(entries)
        }
        CqlType::Tuple(types) => CqlValue::Tuple(decode_components(r, ty, types.iter(), depth)?),
        CqlType::Udt(def) => {
            let values = decode_components(r, ty, def.fields.iter().map(|f| &f.1), depth)?;
            let names = def.fields.iter().map(|f| f.0.clone());
            CqlValue::Udt(names.zip(values).collect())
        }
        _ => scalar::decode_fixed(r, ty)?,
    };
    Ok(value)
}

fn more(r: &mut Input<'_>, ty: &CqlType) -> Result<bool, ValueError> {
    match r.byte(ty)? {
        END => Ok(false),
        MORE => Ok(true),
        other => Err(ValueError::malformed(
            ty,
            format!("bad element marker {other:#04x}"),
        )),
    }
}

fn decode_components<'t>(
    r: &mut Input<'_>,
    ty: &CqlType,
    types: impl Iterator<Item = &'t CqlType>,
    depth: usize,
) -> Result<Vec<Option<CqlValue>>, ValueError> {
    let mut out = Vec::new();
    for t in types {
        if more(r, ty)? {
            out.push(Some(decode_asc(r, t, depth + 1)?));
        } else {
            out.push(None);
        }
    }
    Ok(out)
}
