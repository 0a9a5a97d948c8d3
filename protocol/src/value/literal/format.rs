//! CQL literal formatting: strings quoted (`'` doubled), blobs `0x..`, uuids
//! bare, timestamps/dates/times/inets as quoted strings, durations bare in
//! Cassandra's unit form, `NaN`/`Infinity`, collections `[..]`/`{..}`/`{k: v}`,
//! tuples `(..)`, UDTs `{field: value}`, null components `null`.

use std::fmt::{self, Write};

use crate::value::temporal::{format_date, format_duration, format_time, format_timestamp};
use crate::value::types::CqlType;
use crate::value::value::CqlValue;

/// The CQL literal for `value` of type `ty`. The type decides the text of the
/// empty value (`''` for text and ascii, `0x` for blob, `blobAs<type>(0x)`
/// otherwise); everything else is as [`CqlValue`]'s `Display`.
pub fn format_literal(value: &CqlValue, ty: &CqlType) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_value(value, Some(ty), &mut out);
    out
}

/// The CQL literal of the value; an empty value prints as `''` (use
/// [`format_literal`] to get the form that fits the column type).
impl fmt::Display for CqlValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_value(self, None, &mut out)?;
        f.write_str(&out)
    }
}

fn write_quoted(s: &str, out: &mut String) {
    out.push('\'');
    out.push_str(&s.replace('\'', "''"));
    out.push('\'');
}

fn write_empty(ty: Option<&CqlType>, out: &mut String) -> fmt::Result {
    match ty.map(CqlType::unfrozen) {
        Some(CqlType::Blob) => out.push_str("0x"),
        Some(t) => match t.native_name() {
            Some(name) if !matches!(t, CqlType::Text | CqlType::Ascii) => {
                write!(out, "blobAs{name}(0x)")?;
            }
            _ => out.push_str("''"),
        },
        None => out.push_str("''"),
    }
    Ok(())
}

/// A UDT field name, double-quoted unless it is a plain lowercase identifier.
fn write_identifier(name: &str, out: &mut String) {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        out.push_str(name);
    } else {
        out.push('"');
        out.push_str(&name.replace('"', "\"\""));
        out.push('"');
    }
}

fn write_float(x: f64, debug: String, out: &mut String) {
    if x.is_nan() {
        out.push_str("NaN");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        out.push_str(&debug);
    }
}

fn write_seq<'a, T: 'a>(
    items: impl IntoIterator<Item = &'a T>,
    open: char,
    close: char,
    out: &mut String,
    mut each: impl FnMut(&'a T, &mut String) -> fmt::Result,
) -> fmt::Result {
    out.push(open);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        each(item, out)?;
    }
    out.push(close);
    Ok(())
}

fn elem_types(ty: Option<&CqlType>) -> (Option<&CqlType>, Option<&CqlType>) {
    match ty.map(CqlType::unfrozen) {
        Some(CqlType::List(e) | CqlType::Set(e) | CqlType::Vector(e, _)) => (Some(e), None),
        Some(CqlType::Map(k, v)) => (Some(k), Some(v)),
        _ => (None, None),
    }
}

fn write_value(value: &CqlValue, ty: Option<&CqlType>, out: &mut String) -> fmt::Result {
    use CqlValue as V;
    match value {
        V::Empty => write_empty(ty, out)?,
        V::Ascii(s) | V::Text(s) => write_quoted(s, out),
        V::Blob(b) => {
            out.push_str("0x");
            for byte in b {
                write!(out, "{byte:02x}")?;
            }
        }
        V::Boolean(b) => write!(out, "{b}")?,
        V::Bigint(n) | V::Counter(n) => write!(out, "{n}")?,
        V::Int(n) => write!(out, "{n}")?,
        V::Smallint(n) => write!(out, "{n}")?,
        V::Tinyint(n) => write!(out, "{n}")?,
        V::Varint(n) => write!(out, "{n}")?,
        V::Decimal(d) => write!(out, "{d}")?,
        V::Float(x) => write_float(f64::from(*x), format!("{x:?}"), out),
        V::Double(x) => write_float(*x, format!("{x:?}"), out),
        V::Timestamp(ms) => write_quoted(&format_timestamp(*ms), out),
        V::Date(d) => write_quoted(&format_date(*d), out),
        V::Time(t) => write_quoted(&format_time(*t), out),
        V::Duration(d) => out.push_str(&format_duration(d)),
        V::Inet(ip) => write_quoted(&ip.to_string(), out),
        V::Uuid(u) | V::Timeuuid(u) => write!(out, "{u}")?,
        V::List(items) | V::Vector(items) => {
            let (e, _) = elem_types(ty);
            write_seq(items, '[', ']', out, |v, o| write_value(v, e, o))?;
        }
        V::Set(items) => {
            let (e, _) = elem_types(ty);
            write_seq(items, '{', '}', out, |v, o| write_value(v, e, o))?;
        }
        V::Map(entries) => {
            let (k, v) = elem_types(ty);
            write_seq(entries, '{', '}', out, |(key, val), o| {
                write_value(key, k, o)?;
                o.push_str(": ");
                write_value(val, v, o)
            })?;
        }
        V::Tuple(items) => {
            let types = match ty.map(CqlType::unfrozen) {
                Some(CqlType::Tuple(t)) => Some(t),
                _ => None,
            };
            let mut i = 0;
            write_seq(items, '(', ')', out, |v, o| {
                let t = types.and_then(|t| t.get(i));
                i += 1;
                write_component(v.as_ref(), t, o)
            })?;
        }
        V::Udt(fields) => {
            let def = match ty.map(CqlType::unfrozen) {
                Some(CqlType::Udt(d)) => Some(d),
                _ => None,
            };
            let mut i = 0;
            write_seq(fields, '{', '}', out, |(name, v), o| {
                let t = def.and_then(|d| d.fields.get(i)).map(|f| &f.1);
                i += 1;
                write_identifier(name, o);
                o.push_str(": ");
                write_component(v.as_ref(), t, o)
            })?;
        }
    }
    Ok(())
}

fn write_component(v: Option<&CqlValue>, ty: Option<&CqlType>, out: &mut String) -> fmt::Result {
    match v {
        None => {
            out.push_str("null");
            Ok(())
        }
        Some(v) => write_value(v, ty, out),
    }
}
