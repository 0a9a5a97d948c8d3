//! Literal syntax of lists `[a, b]`, sets `{a, b}`, maps `{k: v}`, tuples
//! `(a, b)`, UDTs `{field: v}` and vectors `[a, b]`. Elements are CQL terms:
//! quoted strings (`'it''s'`, `$$..$$`) are unquoted and parsed as the element
//! type, anything else (numbers, uuids, blobs, nested literals) is parsed as
//! is; `null` is allowed only for tuple components and UDT fields.

use super::parse::parse_at;
use crate::value::error::ValueError;
use crate::value::types::CqlType;
use crate::value::value::CqlValue;

/// Splits `text` at `sep` where it is outside quotes and brackets.
fn split_top(text: &str, sep: char) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let mut depth: usize = 0;
    let mut quote: Option<char> = None;
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                if chars.peek().map(|p| p.1) == Some(q) {
                    chars.next();
                } else {
                    quote = None;
                }
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => depth = depth.checked_sub(1).ok_or("unbalanced brackets")?,
            c if c == sep && depth == 0 => {
                parts.push(text.get(start..i).unwrap_or(""));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if quote.is_some() {
        return Err("unterminated string".into());
    }
    if depth != 0 {
        return Err("unbalanced brackets".into());
    }
    parts.push(text.get(start..).unwrap_or(""));
    Ok(parts)
}

/// The items between `open` and `close`, split at top-level commas.
fn items(text: &str, open: char, close: char) -> Result<Vec<&str>, String> {
    let inner = text
        .trim()
        .strip_prefix(open)
        .and_then(|t| t.strip_suffix(close))
        .ok_or_else(|| format!("expected {open}...{close}"))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    split_top(inner, ',')
}

/// One element term: `None` for `null`.
fn term(ty: &CqlType, raw: &str, depth: usize) -> Result<Option<CqlValue>, ValueError> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return parse_at(ty, &inner.replace("''", "'"), depth + 1).map(Some);
    }
    if let Some(inner) = raw.strip_prefix("$$").and_then(|r| r.strip_suffix("$$")) {
        return parse_at(ty, inner, depth + 1).map(Some);
    }
    parse_at(ty, raw, depth + 1).map(Some)
}

fn non_null(
    outer: &CqlType,
    ty: &CqlType,
    raw: &str,
    depth: usize,
) -> Result<CqlValue, ValueError> {
    term(ty, raw, depth)?
        .ok_or_else(|| ValueError::parse(outer, raw, "null is not allowed inside a collection"))
}

/// Parses a composite literal of `ty` (already unfrozen).
pub(super) fn parse_composite(
    ty: &CqlType,
    text: &str,
    depth: usize,
) -> Result<CqlValue, ValueError> {
    let err = |reason: String| ValueError::parse(ty, text, reason);
    let value = match ty {
        CqlType::List(elem) | CqlType::Vector(elem, _) => {
            let parts = items(text, '[', ']').map_err(err)?;
            let values: Result<Vec<_>, _> =
                parts.iter().map(|p| non_null(ty, elem, p, depth)).collect();
            if let CqlType::Vector(_, n) = ty {
                let values = values?;
                if u32::try_from(values.len()).ok() != Some(*n) {
                    return Err(err(format!("{} elements, expected {n}", values.len())));
                }
                CqlValue::Vector(values)
            } else {
                CqlValue::List(values?)
            }
        }
        CqlType::Set(elem) => {
            let parts = items(text, '{', '}').map_err(err)?;
            let values: Result<Vec<_>, _> =
                parts.iter().map(|p| non_null(ty, elem, p, depth)).collect();
            CqlValue::Set(values?).normalized(ty)
        }
        CqlType::Map(k, v) => {
            let mut entries = Vec::new();
            for part in items(text, '{', '}').map_err(err)? {
                let (key, val) = key_value(part).map_err(err)?;
                entries.push((non_null(ty, k, key, depth)?, non_null(ty, v, val, depth)?));
            }
            CqlValue::Map(entries).normalized(ty)
        }
        CqlType::Tuple(types) => {
            let parts = items(text, '(', ')').map_err(err)?;
            if parts.len() > types.len() {
                return Err(err(format!(
                    "{} components for {}",
                    parts.len(),
                    types.len()
                )));
            }
            let values: Result<Vec<_>, _> = parts
                .iter()
                .zip(types)
                .map(|(p, t)| term(t, p, depth))
                .collect();
            CqlValue::Tuple(values?)
        }
        CqlType::Udt(def) => {
            let mut fields: Vec<(String, Option<CqlValue>)> =
                def.fields.iter().map(|(n, _)| (n.clone(), None)).collect();
            for part in items(text, '{', '}').map_err(err)? {
                let (name, val) = key_value(part).map_err(err)?;
                let name = identifier(name);
                let found = def
                    .fields
                    .iter()
                    .zip(fields.iter_mut())
                    .find(|((n, _), _)| *n == name);
                let Some(((_, fty), slot)) = found else {
                    return Err(err(format!("unknown field '{name}'")));
                };
                slot.1 = term(fty, val, depth)?;
            }
            CqlValue::Udt(fields)
        }
        _ => return Err(err("not a composite type".into())),
    };
    Ok(value)
}

fn key_value(part: &str) -> Result<(&str, &str), String> {
    let halves = split_top(part, ':')?;
    match halves.as_slice() {
        [k, v] => Ok((k, v)),
        _ => Err(format!("expected key: value, got '{}'", part.trim())),
    }
}

/// A field name as CQL folds it: `"Quoted"` keeps case, bare names lowercase.
fn identifier(raw: &str) -> String {
    let raw = raw.trim();
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => raw.to_lowercase(),
    }
}
