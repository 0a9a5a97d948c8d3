//! CQL type names: `int`, `frozen<map<text, list<int>>>`, `tuple<...>`,
//! `vector<float, 3>`, user-defined types by name, custom types as strings.

use super::ast::CqlTypeName;
use super::error::PResult;
use super::lexical::{ident, opt_sym, qualified_name, small_uint, string_lit, sym, ws};
use crate::value::CqlType;

/// A type name.
pub(crate) fn cql_type(i: &str, depth: usize) -> PResult<'_, CqlTypeName> {
    super::error::check_depth(i, depth)?;
    let (i, ()) = ws(i)?;
    if i.starts_with('\'') || i.starts_with("$$") {
        let (i, class) = string_lit(i)?;
        return Ok((i, CqlTypeName::Custom(class)));
    }
    if !i.starts_with('"') {
        let word_len = i
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(i.len());
        let word = i.get(..word_len).unwrap_or("");
        let rest = i.get(word_len..).unwrap_or("");
        // `int.t` is a user type in a keyspace named int.
        let qualified = rest.starts_with('.');
        if let Some(native) = CqlType::from_native_name(word).filter(|_| !qualified) {
            return Ok((rest, CqlTypeName::Native(native)));
        }
        let lower = word.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "list" | "set" | "map" | "frozen" | "tuple" | "vector"
        ) && sym("<")(rest).is_ok()
        {
            return generic_type(rest, &lower, depth);
        }
    }
    let (i, name) = qualified_name(i)?;
    Ok((i, CqlTypeName::UserDefined(name)))
}

/// `<...>` after a collection, frozen, tuple or vector keyword.
fn generic_type<'a>(i: &'a str, keyword: &str, depth: usize) -> PResult<'a, CqlTypeName> {
    let (i, ()) = sym("<")(i)?;
    let (mut i, first) = cql_type(i, depth + 1)?;
    let boxed = Box::new(first);
    let ty = match keyword {
        "list" => CqlTypeName::List(boxed),
        "set" => CqlTypeName::Set(boxed),
        "frozen" => CqlTypeName::Frozen(boxed),
        "map" => {
            let (rest, ()) = sym(",")(i)?;
            let (rest, value) = cql_type(rest, depth + 1)?;
            i = rest;
            CqlTypeName::Map(boxed, Box::new(value))
        }
        "vector" => {
            let (rest, ()) = sym(",")(i)?;
            let (rest, n) = small_uint(rest)?;
            i = rest;
            CqlTypeName::Vector(boxed, n)
        }
        _ => {
            let mut items = vec![*boxed];
            loop {
                let (rest, more) = opt_sym(i, ",")?;
                if !more {
                    break;
                }
                let (rest, item) = cql_type(rest, depth + 1)?;
                items.push(item);
                i = rest;
            }
            CqlTypeName::Tuple(items)
        }
    };
    let (i, ()) = sym(">")(i)?;
    Ok((i, ty))
}

/// `name type` pairs, e.g. UDT fields (used by CREATE TYPE).
pub(crate) fn field_def(i: &str) -> PResult<'_, (super::ast::Ident, CqlTypeName)> {
    let (i, name) = ident(i)?;
    let (i, ty) = cql_type(i, 0)?;
    Ok((i, (name, ty)))
}
