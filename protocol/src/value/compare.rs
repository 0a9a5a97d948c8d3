//! Cassandra's ordering of CQL values ([`cql_cmp`]) and set/map normalization.
//!
//! This is the reference for the order-preserving clustering encoding
//! (`order.rs`): the byte order of encodings must agree with [`cql_cmp`]. Rules
//! (from the Java `AbstractType` subclasses): the empty value sorts first; integers,
//! `timestamp`, `time` and `counter` signed; `date` unsigned; `float`/`double` as
//! Java's `compare` (-0.0 < 0.0, every NaN equal and above +Infinity); `decimal` by
//! numeric value (1.0 == 1.00); text, ascii, blob and inet by unsigned bytes;
//! `uuid` by version, then timestamp for version 1 (else the high 64 bits
//! unsigned), then the low 64 bits unsigned; `timeuuid` by timestamp, then the
//! low 8 bytes as *signed* bytes; lists and sets element-wise then shorter first;
//! maps entry-wise (key, then value) then shorter first; tuples and UDTs
//! component-wise with null first and missing trailing components as null.

use std::cmp::Ordering;

use uuid::Uuid;

use super::types::CqlType;
use super::value::CqlValue;

/// Compares two values of type `ty` as Cassandra orders them. Values of a kind
/// that does not fit `ty` are ordered by kind name after fitting ones, so the
/// function is total but the result for such values carries no meaning.
pub fn cql_cmp(ty: &CqlType, a: &CqlValue, b: &CqlValue) -> Ordering {
    match (a, b) {
        (CqlValue::Empty, CqlValue::Empty) => return Ordering::Equal,
        (CqlValue::Empty, _) if !is_bytes_type(ty) => return Ordering::Less,
        (_, CqlValue::Empty) if !is_bytes_type(ty) => return Ordering::Greater,
        _ => {}
    }
    match ty.unfrozen() {
        CqlType::Text | CqlType::Ascii | CqlType::Blob => match (as_bytes(a), as_bytes(b)) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => mismatch(a, b),
        },
        CqlType::List(elem) | CqlType::Set(elem) | CqlType::Vector(elem, _) => {
            match (elements(a), elements(b)) {
                (Some(x), Some(y)) => cmp_seq(x, y, |p, q| cql_cmp(elem, p, q)),
                _ => mismatch(a, b),
            }
        }
        CqlType::Map(k, v) => match (a, b) {
            (CqlValue::Map(x), CqlValue::Map(y)) => cmp_seq(x, y, |p, q| {
                cql_cmp(k, &p.0, &q.0).then_with(|| cql_cmp(v, &p.1, &q.1))
            }),
            _ => mismatch(a, b),
        },
        CqlType::Tuple(types) => match (a, b) {
            (CqlValue::Tuple(x), CqlValue::Tuple(y)) => {
                cmp_components(types.iter(), |i| x.get(i), |i| y.get(i))
            }
            _ => mismatch(a, b),
        },
        CqlType::Udt(def) => match (a, b) {
            (CqlValue::Udt(x), CqlValue::Udt(y)) => cmp_components(
                def.fields.iter().map(|f| &f.1),
                |i| x.get(i).map(|f| &f.1),
                |i| y.get(i).map(|f| &f.1),
            ),
            _ => mismatch(a, b),
        },
        CqlType::Uuid | CqlType::Timeuuid => match (uuid_of(a), uuid_of(b)) {
            (Some(x), Some(y)) if matches!(ty.unfrozen(), CqlType::Uuid) => cmp_uuid(x, y),
            (Some(x), Some(y)) => cmp_timeuuid(x, y),
            _ => mismatch(a, b),
        },
        _ => cmp_scalar(a, b),
    }
}

fn uuid_of(v: &CqlValue) -> Option<&Uuid> {
    match v {
        CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => Some(u),
        _ => None,
    }
}

/// True for the types whose empty value is their zero-length string.
fn is_bytes_type(ty: &CqlType) -> bool {
    matches!(
        ty.unfrozen(),
        CqlType::Text | CqlType::Ascii | CqlType::Blob
    )
}

fn as_bytes(v: &CqlValue) -> Option<&[u8]> {
    match v {
        CqlValue::Empty => Some(&[]),
        CqlValue::Text(s) | CqlValue::Ascii(s) => Some(s.as_bytes()),
        CqlValue::Blob(b) => Some(b),
        _ => None,
    }
}

fn elements(v: &CqlValue) -> Option<&[CqlValue]> {
    match v {
        CqlValue::List(x) | CqlValue::Set(x) | CqlValue::Vector(x) => Some(x),
        _ => None,
    }
}

fn mismatch(a: &CqlValue, b: &CqlValue) -> Ordering {
    a.kind().cmp(b.kind())
}

fn cmp_seq<T>(x: &[T], y: &[T], mut f: impl FnMut(&T, &T) -> Ordering) -> Ordering {
    for (p, q) in x.iter().zip(y) {
        let c = f(p, q);
        if c != Ordering::Equal {
            return c;
        }
    }
    x.len().cmp(&y.len())
}

/// Component-wise comparison of tuples/UDTs: null (or missing) before any value.
fn cmp_components<'a, 'b>(
    types: impl Iterator<Item = &'a CqlType>,
    x: impl Fn(usize) -> Option<&'b Option<CqlValue>>,
    y: impl Fn(usize) -> Option<&'b Option<CqlValue>>,
) -> Ordering {
    for (i, ty) in types.enumerate() {
        let p = x(i).and_then(Option::as_ref);
        let q = y(i).and_then(Option::as_ref);
        let c = match (p, q) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(p), Some(q)) => cql_cmp(ty, p, q),
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

fn cmp_scalar(a: &CqlValue, b: &CqlValue) -> Ordering {
    use CqlValue as V;
    match (a, b) {
        (V::Bigint(x) | V::Counter(x), V::Bigint(y) | V::Counter(y)) => x.cmp(y),
        (V::Boolean(x), V::Boolean(y)) => x.cmp(y),
        (V::Date(x), V::Date(y)) => x.cmp(y),
        (V::Decimal(x), V::Decimal(y)) => x.cmp(y),
        (V::Double(x), V::Double(y)) => java_cmp_f64(*x, *y),
        (V::Float(x), V::Float(y)) => java_cmp_f64(f64::from(*x), f64::from(*y)),
        (V::Duration(x), V::Duration(y)) => {
            (x.months, x.days, x.nanos).cmp(&(y.months, y.days, y.nanos))
        }
        (V::Inet(x), V::Inet(y)) => inet_octets(x).cmp(&inet_octets(y)),
        (V::Int(x), V::Int(y)) => x.cmp(y),
        (V::Smallint(x), V::Smallint(y)) => x.cmp(y),
        (V::Tinyint(x), V::Tinyint(y)) => x.cmp(y),
        (V::Time(x), V::Time(y)) | (V::Timestamp(x), V::Timestamp(y)) => x.cmp(y),
        (V::Varint(x), V::Varint(y)) => x.cmp(y),
        _ => mismatch(a, b),
    }
}

/// Java's `Double.compare` (float values widen exactly, so it serves both).
fn java_cmp_f64(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x.total_cmp(&y),
    }
}

/// The address bytes: 4 for IPv4, 16 for IPv6 (what the wire carries).
pub(crate) fn inet_octets(ip: &std::net::IpAddr) -> Vec<u8> {
    match ip {
        std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
        std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// The high 64 bits of a version-1 UUID with the timestamp moved to the front:
/// time_hi (with the version nibble), time_mid, time_low (Cassandra's
/// `TimeUUIDType.reorderTimestampBytes`).
pub(crate) fn reorder_timestamp(msb: u64) -> u64 {
    (msb << 48) | ((msb << 16) & 0xFFFF_0000_0000) | (msb >> 32)
}

/// Inverse of [`reorder_timestamp`].
pub(crate) fn reorder_back_timestamp(r: u64) -> u64 {
    (r << 32) | ((r >> 16) & 0xFFFF_0000) | (r >> 48)
}

fn halves(u: &Uuid) -> (u64, u64) {
    let (hi, lo) = u.as_u64_pair();
    (hi, lo)
}

/// Cassandra's `UUIDType` order.
fn cmp_uuid(x: &Uuid, y: &Uuid) -> Ordering {
    let (xh, xl) = halves(x);
    let (yh, yl) = halves(y);
    let (xv, yv) = ((xh >> 12) & 0xF, (yh >> 12) & 0xF);
    xv.cmp(&yv)
        .then_with(|| {
            if xv == 1 {
                reorder_timestamp(xh).cmp(&reorder_timestamp(yh))
            } else {
                xh.cmp(&yh)
            }
        })
        .then_with(|| xl.cmp(&yl))
}

/// Cassandra's `TimeUUIDType` order: timestamp (signed), then the low 8 bytes
/// compared as signed bytes.
fn cmp_timeuuid(x: &Uuid, y: &Uuid) -> Ordering {
    let (xh, xl) = halves(x);
    let (yh, yl) = halves(y);
    let signed = |r: u64| i64::from_ne_bytes(r.to_ne_bytes());
    signed(reorder_timestamp(xh))
        .cmp(&signed(reorder_timestamp(yh)))
        .then_with(|| signed_bytes(xl).cmp(&signed_bytes(yl)))
}

/// The low 8 bytes of a UUID as signed bytes, comparable lexicographically.
fn signed_bytes(lo: u64) -> [i8; 8] {
    lo.to_be_bytes().map(|b| i8::from_ne_bytes([b]))
}

impl CqlValue {
    /// The value with every set sorted and de-duplicated and every map sorted by
    /// key (the last entry for a repeated key wins), at every nesting level, by
    /// the element types' CQL order: the form Cassandra stores and returns.
    pub fn normalized(&self, ty: &CqlType) -> CqlValue {
        match (ty.unfrozen(), self) {
            (CqlType::Set(elem), CqlValue::Set(items)) => {
                let mut items: Vec<CqlValue> = items.iter().map(|v| v.normalized(elem)).collect();
                items.sort_by(|a, b| cql_cmp(elem, a, b));
                items.dedup_by(|a, b| cql_cmp(elem, a, b) == Ordering::Equal);
                CqlValue::Set(items)
            }
            (CqlType::Map(k, v), CqlValue::Map(entries)) => {
                let mut entries: Vec<(CqlValue, CqlValue)> = entries
                    .iter()
                    .map(|(a, b)| (a.normalized(k), b.normalized(v)))
                    .collect();
                // Stable sort, then keep the last of equal keys.
                entries.sort_by(|a, b| cql_cmp(k, &a.0, &b.0));
                let mut out: Vec<(CqlValue, CqlValue)> = Vec::with_capacity(entries.len());
                for entry in entries {
                    match out.last_mut() {
                        Some(last) if cql_cmp(k, &last.0, &entry.0) == Ordering::Equal => {
                            *last = entry;
                        }
                        _ => out.push(entry),
                    }
                }
                CqlValue::Map(out)
            }
            (CqlType::List(elem), CqlValue::List(items)) => {
                CqlValue::List(items.iter().map(|v| v.normalized(elem)).collect())
            }
            (CqlType::Vector(elem, _), CqlValue::Vector(items)) => {
                CqlValue::Vector(items.iter().map(|v| v.normalized(elem)).collect())
            }
            (CqlType::Tuple(types), CqlValue::Tuple(items)) => CqlValue::Tuple(
                items
                    .iter()
                    .zip(types)
                    .map(|(v, t)| v.as_ref().map(|v| v.normalized(t)))
                    .collect(),
            ),
            (CqlType::Udt(def), CqlValue::Udt(fields)) => CqlValue::Udt(
                fields
                    .iter()
                    .zip(&def.fields)
                    .map(|((n, v), (_, t))| (n.clone(), v.as_ref().map(|v| v.normalized(t))))
                    .collect(),
            ),
            _ => self.clone(),
        }
    }
}
