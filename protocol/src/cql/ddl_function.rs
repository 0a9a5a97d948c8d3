//! User-defined functions, aggregates and triggers.

use super::ast::{
    CqlTypeName, CreateAggregate, CreateFunction, CreateTrigger, DropFunction, DropTrigger, Ident,
    Statement,
};
use super::ddl::{if_exists, if_not_exists};
use super::error::{PResult, alternatives};
use super::expr::{function_name, paren_list, term};
use super::lexical::{ident, kw, kws, opt_kw, opt_kws, qualified_name, string_lit, sym};
use super::types::cql_type;

fn type_list(i: &str) -> PResult<'_, Vec<CqlTypeName>> {
    paren_list(i, |i| cql_type(i, 0))
}

/// A function name as SFUNC / FINALFUNC take it (unqualified).
fn allowed_function_name(i: &str) -> PResult<'_, Ident> {
    let (i, name) = function_name(i)?;
    if name.keyspace.is_some() {
        return alternatives(i, &["SFUNC", "STYPE", "FINALFUNC", "INITCOND"]);
    }
    Ok((i, name.name))
}

/// `CREATE [OR REPLACE] FUNCTION|AGGREGATE|TRIGGER ...` after `CREATE`.
pub(crate) fn create(i: &str) -> PResult<'_, Statement> {
    let (i, or_replace) = opt_kws(i, &["OR", "REPLACE"])?;
    if let (i, true) = opt_kw(i, "FUNCTION")? {
        return create_function(i, or_replace);
    }
    if let (i, true) = opt_kw(i, "AGGREGATE")? {
        return create_aggregate(i, or_replace);
    }
    if !or_replace && let (i, true) = opt_kw(i, "TRIGGER")? {
        let (i, if_not_exists) = if_not_exists(i)?;
        let (i, name) = ident(i)?;
        let (i, ()) = kw("ON")(i)?;
        let (i, table) = qualified_name(i)?;
        let (i, ()) = kw("USING")(i)?;
        let (i, class) = string_lit(i)?;
        let trigger = CreateTrigger {
            if_not_exists,
            name,
            table,
            class,
        };
        return Ok((i, Statement::CreateTrigger(Box::new(trigger))));
    }
    alternatives(i, &["FUNCTION", "AGGREGATE"])
}

fn create_function(i: &str, or_replace: bool) -> PResult<'_, Statement> {
    let (i, if_not_exists) = if_not_exists(i)?;
    let (i, name) = function_name(i)?;
    let (i, args) = paren_list(i, |i| {
        let (i, arg) = ident(i)?;
        let (i, ty) = cql_type(i, 0)?;
        Ok((i, (arg, ty)))
    })?;
    let (i, called_on_null_input) = if let (i, true) = opt_kw(i, "CALLED")? {
        (i, true)
    } else {
        let (i, ()) = kws(i, &["RETURNS", "NULL"])?;
        (i, false)
    };
    let (i, ()) = kws(i, &["ON", "NULL", "INPUT", "RETURNS"])?;
    let (i, returns) = cql_type(i, 0)?;
    let (i, ()) = kw("LANGUAGE")(i)?;
    let (i, language) = ident(i)?;
    let (i, ()) = kw("AS")(i)?;
    let (i, body) = string_lit(i)?;
    let function = CreateFunction {
        or_replace,
        if_not_exists,
        name,
        args,
        called_on_null_input,
        returns,
        language,
        body,
    };
    Ok((i, Statement::CreateFunction(Box::new(function))))
}

fn create_aggregate(i: &str, or_replace: bool) -> PResult<'_, Statement> {
    let (i, if_not_exists) = if_not_exists(i)?;
    let (i, name) = function_name(i)?;
    let (i, arg_types) = type_list(i)?;
    let (i, ()) = kw("SFUNC")(i)?;
    let (i, state_function) = allowed_function_name(i)?;
    let (i, ()) = kw("STYPE")(i)?;
    let (i, state_type) = cql_type(i, 0)?;
    let (i, final_function) = match opt_kw(i, "FINALFUNC")? {
        (i, true) => allowed_function_name(i).map(|(i, f)| (i, Some(f)))?,
        (i, false) => (i, None),
    };
    let (i, initial_condition) = match opt_kw(i, "INITCOND")? {
        (i, true) => term(i, 0).map(|(i, t)| (i, Some(t)))?,
        (i, false) => (i, None),
    };
    let aggregate = CreateAggregate {
        or_replace,
        if_not_exists,
        name,
        arg_types,
        state_function,
        state_type,
        final_function,
        initial_condition,
    };
    Ok((i, Statement::CreateAggregate(Box::new(aggregate))))
}

/// `DROP FUNCTION|AGGREGATE|TRIGGER ...` after `DROP`.
pub(crate) fn drop(i: &str) -> PResult<'_, Statement> {
    if let (i, true) = opt_kw(i, "TRIGGER")? {
        let (i, if_exists) = if_exists(i)?;
        let (i, name) = ident(i)?;
        let (i, ()) = kw("ON")(i)?;
        let (i, table) = qualified_name(i)?;
        let drop = DropTrigger {
            if_exists,
            name,
            table,
        };
        return Ok((i, Statement::DropTrigger(drop)));
    }
    let (i, aggregate) = if let (i, true) = opt_kw(i, "AGGREGATE")? {
        (i, true)
    } else {
        let (i, ()) = kw("FUNCTION")(i)?;
        (i, false)
    };
    let (i, if_exists) = if_exists(i)?;
    let (i, name) = function_name(i)?;
    let (i, arg_types) = if sym("(")(i).is_ok() {
        type_list(i).map(|(i, t)| (i, Some(t)))?
    } else {
        (i, None)
    };
    let drop = DropFunction {
        if_exists,
        name,
        arg_types,
    };
    let stmt = if aggregate {
        Statement::DropAggregate(drop)
    } else {
        Statement::DropFunction(drop)
    };
    Ok((i, stmt))
}
