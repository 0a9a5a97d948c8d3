//! SELECT statements and selectors.

use super::ast::{Ident, Order, Select, Selection, Selector, SelectorExpr, Term};
use super::error::PResult;
use super::expr::{
    comma_list, function_name, paren_list, simple_literal, starts_function_call, term, where_clause,
};
use super::lexical::{ident, kw, opt_kw, opt_kws, opt_sym, qualified_name, sym, ws};
use super::types::cql_type;

/// `SELECT ...` (the keyword included).
///
/// `JSON` and `DISTINCT` are unreserved, so `SELECT distinct FROM t` selects
/// a column named distinct: each flag is tried first as a flag, then as the
/// start of the selection (at most four attempts, none nested).
pub(crate) fn select(i: &str) -> PResult<'_, Select> {
    let (i, ()) = kw("SELECT")(i)?;
    let mut last = None;
    for (json, distinct) in [(true, true), (true, false), (false, true), (false, false)] {
        let mut rest = i;
        if json {
            match kw("JSON")(rest) {
                Ok((r, ())) => rest = r,
                Err(_) => continue,
            }
        }
        if distinct {
            match kw("DISTINCT")(rest) {
                Ok((r, ())) => rest = r,
                Err(_) => continue,
            }
        }
        match select_body(rest, json, distinct) {
            Ok(found) => return Ok(found),
            Err(nom::Err::Error(e)) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    match last {
        Some(e) => Err(nom::Err::Error(e)),
        None => super::error::fail(i, "identifier"),
    }
}

/// A SELECT after its keyword and flags.
fn select_body(i: &str, json: bool, distinct: bool) -> PResult<'_, Select> {
    let (i, selection) = selection(i)?;
    let (i, ()) = kw("FROM")(i)?;
    let (i, table) = qualified_name(i)?;
    let (i, where_clause) = opt_where(i)?;
    let (i, group_by) = match opt_kws(i, &["GROUP", "BY"])? {
        (i, true) => comma_list(i, |i| selector_expr(i, 0))?,
        (i, false) => (i, Vec::new()),
    };
    let (i, order_by) = match opt_kws(i, &["ORDER", "BY"])? {
        (i, true) => comma_list(i, ordering)?,
        (i, false) => (i, Vec::new()),
    };
    let (i, per_partition_limit) = match opt_kws(i, &["PER", "PARTITION", "LIMIT"])? {
        (i, true) => limit_value(i).map(|(i, t)| (i, Some(t)))?,
        (i, false) => (i, None),
    };
    let (i, limit) = match opt_kw(i, "LIMIT")? {
        (i, true) => limit_value(i).map(|(i, t)| (i, Some(t)))?,
        (i, false) => (i, None),
    };
    let (i, allow_filtering) = opt_kws(i, &["ALLOW", "FILTERING"])?;
    let select = Select {
        json,
        distinct,
        selection,
        table,
        where_clause,
        group_by,
        order_by,
        per_partition_limit,
        limit,
        allow_filtering,
    };
    Ok((i, select))
}

/// `WHERE relations` when present.
pub(crate) fn opt_where(i: &str) -> PResult<'_, Vec<super::ast::Relation>> {
    match opt_kw(i, "WHERE")? {
        (i, true) => where_clause(i),
        (i, false) => Ok((i, Vec::new())),
    }
}

/// `*` or a selector list.
pub(crate) fn selection(i: &str) -> PResult<'_, Selection> {
    if let (i, true) = opt_sym(i, "*")? {
        return Ok((i, Selection::Star));
    }
    let (i, list) = comma_list(i, |i| {
        let (i, expr) = selector_expr(i, 0)?;
        let (i, alias) = match opt_kw(i, "AS")? {
            (i, true) => ident(i).map(|(i, a)| (i, Some(a)))?,
            (i, false) => (i, None),
        };
        Ok((i, Selector { expr, alias }))
    })?;
    Ok((i, Selection::List(list)))
}

fn limit_value(i: &str) -> PResult<'_, Term> {
    term(i, 0)
}

fn ordering(i: &str) -> PResult<'_, (Ident, Order)> {
    let (i, column) = ident(i)?;
    if let (i, true) = opt_kws(i, &["ANN", "OF"])? {
        let (i, t) = term(i, 0)?;
        return Ok((i, (column, Order::Ann(t))));
    }
    if let (i, true) = opt_kw(i, "DESC")? {
        return Ok((i, (column, Order::Desc)));
    }
    let (i, _) = opt_kw(i, "ASC")?;
    Ok((i, (column, Order::Asc)))
}

/// A selector with its postfix field / element / slice accesses.
pub(crate) fn selector_expr(i: &str, depth: usize) -> PResult<'_, SelectorExpr> {
    super::error::check_depth(i, depth)?;
    let (mut i, mut expr) = selector_base(i, depth)?;
    loop {
        if let Ok((rest, ())) = sym(".")(i)
            && let Ok((rest, field)) = ident(rest)
        {
            expr = SelectorExpr::Field(Box::new(expr), field);
            i = rest;
            continue;
        }
        if let (rest, true) = opt_sym(i, "[")? {
            let (rest, found) = element_or_slice(rest, expr.clone())?;
            expr = found;
            i = rest;
            continue;
        }
        return Ok((i, expr));
    }
}

/// After `[`: `key]`, `from..to]`, `from..]` or `..to]`.
fn element_or_slice(i: &str, base: SelectorExpr) -> PResult<'_, SelectorExpr> {
    let boxed = Box::new(base);
    if let (i, true) = opt_sym(i, "..")? {
        let (i, to) = term(i, 0)?;
        let (i, ()) = sym("]")(i)?;
        return Ok((i, SelectorExpr::Slice(boxed, None, Some(to))));
    }
    let (i, from) = term(i, 0)?;
    if let (i, true) = opt_sym(i, "..")? {
        if let (i, true) = opt_sym(i, "]")? {
            return Ok((i, SelectorExpr::Slice(boxed, Some(from), None)));
        }
        let (i, to) = term(i, 0)?;
        let (i, ()) = sym("]")(i)?;
        return Ok((i, SelectorExpr::Slice(boxed, Some(from), Some(to))));
    }
    let (i, ()) = sym("]")(i)?;
    Ok((i, SelectorExpr::Element(boxed, from)))
}

fn selector_base(i: &str, depth: usize) -> PResult<'_, SelectorExpr> {
    let (i, ()) = ws(i)?;
    if starts_function_call(i) {
        if let Ok((rest, ())) = kw("CAST")(i) {
            let (rest, ()) = sym("(")(rest)?;
            let (rest, inner) = selector_expr(rest, depth + 1)?;
            let (rest, ()) = kw("AS")(rest)?;
            let (rest, ty) = cql_type(rest, depth + 1)?;
            let (rest, ()) = sym(")")(rest)?;
            return Ok((rest, SelectorExpr::Cast(Box::new(inner), ty)));
        }
        let (rest, name) = function_name(i)?;
        if name.keyspace.is_none()
            && name.name.as_str() == "count"
            && let Ok((rest, ())) = sym("(")(rest)
            && let Ok((rest, ())) = sym("*")(rest)
        {
            let (rest, ()) = sym(")")(rest)?;
            return Ok((rest, SelectorExpr::CountStar));
        }
        let (rest, args) = paren_list(rest, |i| selector_expr(i, depth + 1))?;
        return Ok((rest, SelectorExpr::Function { name, args }));
    }
    if let Some((rest, t)) = simple_literal(i) {
        return Ok((rest, SelectorExpr::Term(t)));
    }
    if let Ok((rest, column)) = ident(i) {
        return Ok((rest, SelectorExpr::Column(column)));
    }
    let (rest, t) = term(i, depth + 1)?;
    Ok((rest, SelectorExpr::Term(t)))
}
