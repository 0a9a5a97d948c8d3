//! Terms (literals, collections, tuples, UDT literals, function calls, type
//! hints, bind markers) and the relations and conditions built from them.
//!
//! Recursion only happens inside brackets and every recursive call carries a
//! depth, bounded by `ParseLimits::max_depth`. Each bracket kind is decided by a cheap
//! look at its first tokens, so nesting never makes parsing exponential.

use super::ast::{
    BindMarker, ColumnRef, Condition, Conditions, FunctionName, Ident, InValues, Operator,
    QualifiedName, Relation, RelationLhs, Term, UsingAttr,
};
use super::error::{PResult, fail};
use super::lexical::{
    blob_token, duration_token, ident, kw, number_token, opt_kw, opt_sym, string_lit, sym,
    uuid_token, ws,
};
use super::types::cql_type;

/// A term, arithmetic included (see `arith`).
pub(crate) fn term(i: &str, depth: usize) -> PResult<'_, Term> {
    super::arith::addition(i, depth)
}

/// A simple term: no operator at its top.
pub(crate) fn simple_term(i: &str, depth: usize) -> PResult<'_, Term> {
    super::error::check_depth(i, depth)?;
    let (i, ()) = ws(i)?;
    match i.chars().next() {
        Some('?' | ':') => bind_marker(i).map(|(r, m)| (r, Term::Bind(m))),
        Some('[') => list_literal(i, depth),
        Some('{') => brace_literal(i, depth),
        Some('(') => paren_term(i, depth),
        Some('\'' | '$') => string_lit(i).map(|(r, s)| (r, Term::Str(s))),
        Some(_) => {
            if let Some(found) = simple_literal(i) {
                return Ok(found);
            }
            if starts_function_call(i) {
                if let Some(found) = super::arith::cast_term(i, depth)? {
                    return Ok(found);
                }
                return function_term(i, depth);
            }
            fail(i, "term")
        }
        None => fail(i, "term"),
    }
}

/// A literal that is a single token: numbers, UUIDs, blobs, durations,
/// booleans, null, NaN and Infinity. Expects no leading space.
pub(crate) fn simple_literal(i: &str) -> Option<(&str, Term)> {
    if let Some((rest, hex)) = blob_token(i) {
        return Some((rest, Term::Blob(hex)));
    }
    if let Some((rest, uuid)) = uuid_token(i) {
        return Some((rest, Term::Uuid(uuid)));
    }
    if let Some((rest, text, is_float)) = number_token(i) {
        let text = text.to_string();
        return Some((
            rest,
            if is_float {
                Term::Float(text)
            } else {
                Term::Integer(text)
            },
        ));
    }
    if let Some((rest, text)) = duration_token(i) {
        return Some((rest, Term::Duration(text.to_string())));
    }
    let (neg, body) = match i.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, i),
    };
    let word_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let word = body.get(..word_len)?.to_ascii_lowercase();
    let rest = body.get(word_len..)?;
    let term = match (neg, word.as_str()) {
        (false, "true") => Term::Bool(true),
        (false, "false") => Term::Bool(false),
        (false, "null") => Term::Null,
        (false, "nan") | (true, "nan") => Term::Float("NaN".to_string()),
        (false, "infinity") => Term::Float("Infinity".to_string()),
        (true, "infinity") => Term::Float("-Infinity".to_string()),
        _ => return None,
    };
    Some((rest, term))
}

/// True when `i` starts with `name (` or `ks.name (`: a function call.
pub(crate) fn starts_function_call(i: &str) -> bool {
    super::error::quietly(|| match function_name(i) {
        Ok((rest, _)) => sym("(")(rest).is_ok(),
        Err(_) => false,
    })
}

/// A function name: an identifier or keyword (`token`, `count`, `ttl`, ...),
/// optionally keyspace-qualified.
pub(crate) fn function_name(i: &str) -> PResult<'_, FunctionName> {
    let (i, first) = function_part(i)?;
    if let Ok((rest, ())) = sym(".")(i)
        && let Ok((rest, second)) = function_part(rest)
    {
        return Ok((
            rest,
            QualifiedName {
                keyspace: Some(first),
                name: second,
            },
        ));
    }
    Ok((
        i,
        QualifiedName {
            keyspace: None,
            name: first,
        },
    ))
}

fn function_part(i: &str) -> PResult<'_, Ident> {
    if let Ok(found) = ident(i) {
        return Ok(found);
    }
    let (i, ()) = ws(i)?;
    let (rest, w) = nom::Parser::parse(
        &mut nom::bytes::complete::take_while1::<_, _, super::error::PErr>(|c: char| {
            c.is_ascii_alphanumeric() || c == '_'
        }),
        i,
    )?;
    if w.eq_ignore_ascii_case("token") {
        Ok((rest, Ident("token".to_string())))
    } else {
        fail(i, "identifier")
    }
}

fn function_term(i: &str, depth: usize) -> PResult<'_, Term> {
    let (i, name) = function_name(i)?;
    let (i, args) = paren_list(i, |i| term(i, depth + 1))?;
    Ok((i, Term::Function { name, args }))
}

/// `( item, ... )`, possibly empty.
pub(crate) fn paren_list<'a, T>(
    i: &'a str,
    mut item: impl FnMut(&'a str) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let (i, ()) = sym("(")(i)?;
    if let (i, true) = opt_sym(i, ")")? {
        return Ok((i, Vec::new()));
    }
    let (i, items) = comma_list(i, &mut item)?;
    let (i, ()) = sym(")")(i)?;
    Ok((i, items))
}

/// `item, item, ...` (at least one).
pub(crate) fn comma_list<'a, T>(
    i: &'a str,
    mut item: impl FnMut(&'a str) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let (mut i, first) = item(i)?;
    let mut items = vec![first];
    loop {
        let (rest, more) = opt_sym(i, ",")?;
        if !more {
            return Ok((i, items));
        }
        let (rest, next) = item(rest)?;
        items.push(next);
        i = rest;
    }
}

/// `?` or `:name` (numbered later, in order of appearance).
pub(crate) fn bind_marker(i: &str) -> PResult<'_, BindMarker> {
    let (i, ()) = ws(i)?;
    if let Some(rest) = i.strip_prefix('?') {
        return Ok((
            rest,
            BindMarker {
                index: 0,
                name: None,
            },
        ));
    }
    if let Some(rest) = i.strip_prefix(':') {
        let (rest, name) = ident(rest)?;
        return Ok((
            rest,
            BindMarker {
                index: 0,
                name: Some(name),
            },
        ));
    }
    fail(i, "?")
}

fn list_literal(i: &str, depth: usize) -> PResult<'_, Term> {
    let (i, ()) = sym("[")(i)?;
    if let (i, true) = opt_sym(i, "]")? {
        return Ok((i, Term::List(Vec::new())));
    }
    let (i, items) = comma_list(i, |i| term(i, depth + 1))?;
    let (i, ()) = sym("]")(i)?;
    Ok((i, Term::List(items)))
}

/// `{}`, `{a, b}`, `{k: v}` or `{field: v}`.
fn brace_literal(i: &str, depth: usize) -> PResult<'_, Term> {
    let (i, ()) = sym("{")(i)?;
    if let (i, true) = opt_sym(i, "}")? {
        return Ok((i, Term::Set(Vec::new())));
    }
    let (i, ()) = ws(i)?;
    // A literal spelled like a name (`P1D`, a UUID) is a map key, not a field.
    let udt = super::error::quietly(|| {
        simple_literal(i).is_none() && ident(i).is_ok_and(|(after, _)| sym(":")(after).is_ok())
    });
    if udt {
        let (i, fields) = comma_list(i, |i| {
            let (i, name) = ident(i)?;
            let (i, ()) = sym(":")(i)?;
            let (i, value) = term(i, depth + 1)?;
            Ok((i, (name, value)))
        })?;
        let (i, ()) = sym("}")(i)?;
        return Ok((i, Term::Udt(fields)));
    }
    let (i, first) = term(i, depth + 1)?;
    if let (i, true) = opt_sym(i, ":")? {
        let (mut i, value) = term(i, depth + 1)?;
        let mut entries = vec![(first, value)];
        while let (rest, true) = opt_sym(i, ",")? {
            let (rest, k) = term(rest, depth + 1)?;
            let (rest, ()) = sym(":")(rest)?;
            let (rest, v) = term(rest, depth + 1)?;
            entries.push((k, v));
            i = rest;
        }
        let (i, ()) = sym("}")(i)?;
        return Ok((i, Term::Map(entries)));
    }
    let mut items = vec![first];
    let mut i = i;
    while let (rest, true) = opt_sym(i, ",")? {
        let (rest, item) = term(rest, depth + 1)?;
        items.push(item);
        i = rest;
    }
    let (i, ()) = sym("}")(i)?;
    Ok((i, Term::Set(items)))
}

/// `(type) term` or a tuple literal `(a, ...)`.
fn paren_term(i: &str, depth: usize) -> PResult<'_, Term> {
    let (after_paren, ()) = sym("(")(i)?;
    let (after_paren, ()) = ws(after_paren)?;
    // A literal spelled like a name (`P1D`) is never a type.
    if simple_literal(after_paren).is_none()
        && let Ok((rest, ty)) = cql_type(after_paren, depth + 1)
        && let Ok((rest, ())) = sym(")")(rest)
    {
        match simple_term(rest, depth + 1) {
            Ok((rest, inner)) => {
                return Ok((
                    rest,
                    Term::TypeHint {
                        ty,
                        term: Box::new(inner),
                    },
                ));
            }
            Err(nom::Err::Failure(e)) => return Err(nom::Err::Failure(e)),
            Err(_) => {}
        }
    }
    let (i, items) = comma_list(after_paren, |i| term(i, depth + 1))?;
    let (i, ()) = sym(")")(i)?;
    Ok((i, Term::Tuple(items)))
}

/// A comparison operator (`IN` is handled by the callers).
pub(crate) fn operator(i: &str) -> PResult<'_, Operator> {
    let (i, ()) = ws(i)?;
    for (text, op) in [
        ("<=", Operator::Lte),
        (">=", Operator::Gte),
        ("!=", Operator::Neq),
        ("=", Operator::Eq),
        ("<", Operator::Lt),
        (">", Operator::Gt),
    ] {
        if let Some(rest) = i.strip_prefix(text) {
            return Ok((rest, op));
        }
    }
    if let Ok((rest, ())) = kw("CONTAINS")(i) {
        let (rest, key) = opt_kw(rest, "KEY")?;
        return Ok((
            rest,
            if key {
                Operator::ContainsKey
            } else {
                Operator::Contains
            },
        ));
    }
    if let Ok((rest, ())) = kw("LIKE")(i) {
        return Ok((rest, Operator::Like));
    }
    super::error::alternatives(i, &["=", "IN", "CONTAINS"])
}

/// The values after `IN`: `?`, `:name`, or `(term, ...)`.
pub(crate) fn in_values(i: &str, depth: usize) -> PResult<'_, InValues> {
    let (i, ()) = ws(i)?;
    if i.starts_with('?') || i.starts_with(':') {
        let (i, m) = bind_marker(i)?;
        return Ok((i, InValues::Marker(m)));
    }
    let (i, items) = paren_list(i, |i| term(i, depth + 1))?;
    Ok((i, InValues::List(items)))
}

/// `op term` or `IN values` after a left side; builds with the given closures.
fn compare_or_in<'a, L: Clone, T>(
    i: &'a str,
    lhs: L,
    compare: impl Fn(L, Operator, Term) -> T,
    within: impl Fn(L, InValues) -> T,
) -> PResult<'a, T> {
    if let Ok((i, ())) = kw("IN")(i) {
        let (i, values) = in_values(i, 0)?;
        return Ok((i, within(lhs, values)));
    }
    let (after_op, op) = operator(i)?;
    match term(after_op, 0) {
        Ok((rest, rhs)) => Ok((rest, compare(lhs, op, rhs))),
        // `CONTAINS key...`: KEY may start the term (a function named key).
        Err(nom::Err::Error(e)) if op == Operator::ContainsKey => {
            let Ok((rest, ())) = kw("CONTAINS")(i) else {
                return Err(nom::Err::Error(e));
            };
            let (rest, rhs) = term(rest, 0)?;
            Ok((rest, compare(lhs, Operator::Contains, rhs)))
        }
        Err(e) => Err(e),
    }
}

/// One WHERE relation.
pub(crate) fn relation(i: &str) -> PResult<'_, Relation> {
    let compare = |lhs, op, rhs| Relation::Compare { lhs, op, rhs };
    let within = |lhs, values| Relation::In { lhs, values };
    if let Ok((rest, ())) = kw("TOKEN")(i) {
        let (rest, cols) = paren_list(rest, ident)?;
        return compare_or_in(rest, RelationLhs::Token(cols), compare, within);
    }
    let (_, ()) = ws(i)?;
    if sym("(")(i).is_ok() {
        let (rest, cols) = paren_list(i, ident)?;
        return compare_or_in(rest, RelationLhs::Tuple(cols), compare, within);
    }
    let (i, column) = ident(i)?;
    if let (rest, true) = super::lexical::opt_kws(i, &["IS", "NOT", "NULL"])? {
        return Ok((rest, Relation::IsNotNull(column)));
    }
    if let (rest, true) = opt_sym(i, "[")? {
        let (rest, key) = term(rest, 0)?;
        let (rest, ()) = sym("]")(rest)?;
        return compare_or_in(rest, RelationLhs::Element(column, key), compare, within);
    }
    compare_or_in(i, RelationLhs::Column(column), compare, within)
}

/// Relations joined by AND (at least one).
pub(crate) fn where_clause(i: &str) -> PResult<'_, Vec<Relation>> {
    let (mut i, first) = relation(i)?;
    let mut relations = vec![first];
    while let (rest, true) = opt_kw(i, "AND")? {
        let (rest, r) = relation(rest)?;
        relations.push(r);
        i = rest;
    }
    Ok((i, relations))
}

/// `c`, `c[term]` or `c.field`.
pub(crate) fn column_ref(i: &str) -> PResult<'_, ColumnRef> {
    let (i, column) = ident(i)?;
    if let (rest, true) = opt_sym(i, "[")? {
        let (rest, key) = term(rest, 0)?;
        let (rest, ()) = sym("]")(rest)?;
        return Ok((rest, ColumnRef::Element(column, key)));
    }
    if let Ok((rest, ())) = sym(".")(i)
        && let Ok((rest, field)) = ident(rest)
    {
        return Ok((rest, ColumnRef::Field(column, field)));
    }
    Ok((i, ColumnRef::Column(column)))
}

/// An optional `IF EXISTS` / `IF cond AND ...` clause.
pub(crate) fn conditions(i: &str) -> PResult<'_, Option<Conditions>> {
    let (i, present) = opt_kw(i, "IF")?;
    if !present {
        return Ok((i, None));
    }
    if let (rest, true) = opt_kw(i, "EXISTS")? {
        return Ok((rest, Some(Conditions::Exists)));
    }
    let one = |i| {
        let (i, lhs) = column_ref(i)?;
        compare_or_in(
            i,
            lhs,
            |lhs, op, rhs| Condition::Compare { lhs, op, rhs },
            |lhs, values| Condition::In { lhs, values },
        )
    };
    let (mut i, first) = one(i)?;
    let mut list = vec![first];
    while let (rest, true) = opt_kw(i, "AND")? {
        let (rest, c) = one(rest)?;
        list.push(c);
        i = rest;
    }
    Ok((i, Some(Conditions::List(list))))
}

/// An optional `USING TTL t AND TIMESTAMP t` clause.
pub(crate) fn using_clause(i: &str) -> PResult<'_, Vec<UsingAttr>> {
    let (i, present) = opt_kw(i, "USING")?;
    if !present {
        return Ok((i, Vec::new()));
    }
    let one = |i| {
        if let Ok((i, ())) = kw("TTL")(i) {
            let (i, t) = term(i, 0)?;
            return Ok((i, UsingAttr::Ttl(t)));
        }
        let (i, ()) = kw("TIMESTAMP")(i)?;
        let (i, t) = term(i, 0)?;
        Ok((i, UsingAttr::Timestamp(t)))
    };
    let (mut i, first) = one(i)?;
    let mut attrs = vec![first];
    while let (rest, true) = opt_kw(i, "AND")? {
        let (rest, a) = one(rest)?;
        attrs.push(a);
        i = rest;
    }
    Ok((i, attrs))
}
