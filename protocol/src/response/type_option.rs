//! The `[option]` codec for column types in result metadata (spec v4 §4.2.5.2,
//! v5 likewise): a `[short]` id and, for composite types, their parameters.
//!
//! Ids: 0x0000 custom `[string]` class, 0x0001 ascii … 0x0015 duration (v5),
//! 0x0020 list, 0x0021 map, 0x0022 set, 0x0030 UDT, 0x0031 tuple. `frozen`
//! wrappers are dropped on encode (the wire does not carry frozenness); before v5
//! `duration` goes as the custom class `DurationType`, as Cassandra does; a
//! vector always goes as the custom `VectorType(...)` class. Nesting is bounded
//! by [`crate::limits::Limits::type_nesting_depth_max`].

use bytes::BytesMut;

use crate::error::{ProtocolError, Result};
use crate::frame::ProtocolVersion;
use crate::response::type_class::{self, DURATION_CLASS};
use crate::types::{self, Reader};
use crate::value::{CqlType, UdtDef};

/// Id of the custom type option.
pub const CUSTOM: u16 = 0x0000;
/// Id of the list option.
pub const LIST: u16 = 0x0020;
/// Id of the map option.
pub const MAP: u16 = 0x0021;
/// Id of the set option.
pub const SET: u16 = 0x0022;
/// Id of the UDT option.
pub const UDT: u16 = 0x0030;
/// Id of the tuple option.
pub const TUPLE: u16 = 0x0031;

fn native_id(ty: &CqlType) -> Option<u16> {
    Some(match ty {
        CqlType::Ascii => 0x0001,
        CqlType::Bigint => 0x0002,
        CqlType::Blob => 0x0003,
        CqlType::Boolean => 0x0004,
        CqlType::Counter => 0x0005,
        CqlType::Decimal => 0x0006,
        CqlType::Double => 0x0007,
        CqlType::Float => 0x0008,
        CqlType::Int => 0x0009,
        CqlType::Timestamp => 0x000B,
        CqlType::Uuid => 0x000C,
        CqlType::Text => 0x000D,
        CqlType::Varint => 0x000E,
        CqlType::Timeuuid => 0x000F,
        CqlType::Inet => 0x0010,
        CqlType::Date => 0x0011,
        CqlType::Time => 0x0012,
        CqlType::Smallint => 0x0013,
        CqlType::Tinyint => 0x0014,
        CqlType::Duration => 0x0015,
        _ => return None,
    })
}

fn native_for_id(id: u16) -> Option<CqlType> {
    Some(match id {
        0x0001 => CqlType::Ascii,
        0x0002 => CqlType::Bigint,
        0x0003 => CqlType::Blob,
        0x0004 => CqlType::Boolean,
        0x0005 => CqlType::Counter,
        0x0006 => CqlType::Decimal,
        0x0007 => CqlType::Double,
        0x0008 => CqlType::Float,
        0x0009 => CqlType::Int,
        // 0x000A was `text` in protocol v1; it is the same as varchar.
        0x000A | 0x000D => CqlType::Text,
        0x000B => CqlType::Timestamp,
        0x000C => CqlType::Uuid,
        0x000E => CqlType::Varint,
        0x000F => CqlType::Timeuuid,
        0x0010 => CqlType::Inet,
        0x0011 => CqlType::Date,
        0x0012 => CqlType::Time,
        0x0013 => CqlType::Smallint,
        0x0014 => CqlType::Tinyint,
        0x0015 => CqlType::Duration,
        _ => return None,
    })
}

/// Appends the `[option]` for `ty`.
///
/// # Errors
/// [`ProtocolError::TypeNestingTooDeep`], an over-long name, or a vector whose
/// element type has no class name.
pub fn encode_type(ty: &CqlType, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
    encode_at(ty, version, buf, crate::limits::TYPE_NESTING_DEPTH_MAX)
}

fn encode_at(
    ty: &CqlType,
    version: ProtocolVersion,
    buf: &mut BytesMut,
    depth: usize,
) -> Result<()> {
    let max = crate::limits::TYPE_NESTING_DEPTH_MAX;
    let depth = depth
        .checked_sub(1)
        .ok_or(ProtocolError::TypeNestingTooDeep { max })?;
    let ty = ty.unfrozen();
    if *ty == CqlType::Duration && version < ProtocolVersion::V5 {
        types::put_short(buf, CUSTOM);
        return types::put_string(buf, DURATION_CLASS, "custom type");
    }
    if let Some(id) = native_id(ty) {
        types::put_short(buf, id);
        return Ok(());
    }
    match ty {
        CqlType::Custom(class) => {
            types::put_short(buf, CUSTOM);
            types::put_string(buf, class, "custom type")?;
        }
        CqlType::Vector(..) => {
            let class = type_class::class_name(ty).ok_or_else(|| {
                ProtocolError::Invalid(format!("no class name for vector type {ty}"))
            })?;
            types::put_short(buf, CUSTOM);
            types::put_string(buf, &class, "custom type")?;
        }
        CqlType::List(t) | CqlType::Set(t) => {
            types::put_short(
                buf,
                if matches!(ty, CqlType::List(_)) {
                    LIST
                } else {
                    SET
                },
            );
            encode_at(t, version, buf, depth)?;
        }
        CqlType::Map(k, v) => {
            types::put_short(buf, MAP);
            encode_at(k, version, buf, depth)?;
            encode_at(v, version, buf, depth)?;
        }
        CqlType::Udt(udt) => {
            types::put_short(buf, UDT);
            types::put_string(buf, &udt.keyspace, "udt keyspace")?;
            types::put_string(buf, &udt.name, "udt name")?;
            types::put_short_count(buf, udt.fields.len(), "udt fields")?;
            for (name, fty) in &udt.fields {
                types::put_string(buf, name, "udt field")?;
                encode_at(fty, version, buf, depth)?;
            }
        }
        CqlType::Tuple(items) => {
            types::put_short(buf, TUPLE);
            types::put_short_count(buf, items.len(), "tuple items")?;
            for t in items {
                encode_at(t, version, buf, depth)?;
            }
        }
        other => {
            return Err(ProtocolError::Invalid(format!(
                "type {other:?} has no option id"
            )));
        }
    }
    Ok(())
}

/// Reads one `[option]` type.
///
/// # Errors
/// Unknown ids, truncation, or nesting beyond the reader's limit.
pub fn decode_type(r: &mut Reader<'_>) -> Result<CqlType> {
    let depth = r.limits().type_nesting_depth_max;
    decode_at(r, depth)
}

fn decode_at(r: &mut Reader<'_>, depth: usize) -> Result<CqlType> {
    let max = r.limits().type_nesting_depth_max;
    let depth = depth
        .checked_sub(1)
        .ok_or(ProtocolError::TypeNestingTooDeep { max })?;
    let id = r.read_short("type id")?;
    if let Some(ty) = native_for_id(id) {
        return Ok(ty);
    }
    Ok(match id {
        CUSTOM => type_class::parse_class(r.read_string("custom type")?, depth.max(1)),
        LIST => CqlType::List(Box::new(decode_at(r, depth)?)),
        SET => CqlType::Set(Box::new(decode_at(r, depth)?)),
        MAP => {
            let k = decode_at(r, depth)?;
            CqlType::Map(Box::new(k), Box::new(decode_at(r, depth)?))
        }
        UDT => {
            let keyspace = r.read_string("udt keyspace")?.to_owned();
            let name = r.read_string("udt name")?.to_owned();
            let n = r.read_short("udt fields")?;
            let n = r.check_count(i64::from(n), 4, "udt fields")?;
            let mut fields = Vec::with_capacity(n);
            for _ in 0..n {
                let fname = r.read_string("udt field")?.to_owned();
                fields.push((fname, decode_at(r, depth)?));
            }
            CqlType::Udt(UdtDef {
                keyspace,
                name,
                fields,
            })
        }
        TUPLE => {
            let n = r.read_short("tuple items")?;
            let n = r.check_count(i64::from(n), 2, "tuple items")?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(decode_at(r, depth)?);
            }
            CqlType::Tuple(items)
        }
        other => return Err(ProtocolError::UnknownTypeId(other)),
    })
}
