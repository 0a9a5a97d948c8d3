//! INSERT, UPDATE and DELETE.

use super::ast::{
    ArithOp, Assignment, ColumnRef, Delete, Insert, InsertValues, JsonDefault, Update,
};
use super::error::{PResult, fail};
use super::expr::{
    column_ref, comma_list, conditions, paren_list, term, using_clause, where_clause,
};
use super::lexical::{ident, kw, kws, opt_kw, opt_kws, qualified_name, sym, ws};

/// `INSERT INTO t (cols) VALUES (terms) | JSON term ...`.
pub(crate) fn insert(i: &str) -> PResult<'_, Insert> {
    let (i, ()) = kws(i, &["INSERT", "INTO"])?;
    let (i, table) = qualified_name(i)?;
    let (i, values) = if let Ok((i, ())) = kw("JSON")(i) {
        let (i, value) = term(i, 0)?;
        let (i, default) = if let (i, true) = opt_kw(i, "DEFAULT")? {
            if let (i, true) = opt_kw(i, "NULL")? {
                (i, Some(JsonDefault::Null))
            } else {
                let (i, ()) = kw("UNSET")(i)?;
                (i, Some(JsonDefault::Unset))
            }
        } else {
            (i, None)
        };
        (i, InsertValues::Json { value, default })
    } else {
        let (i, columns) = paren_list(i, ident)?;
        let (i, ()) = kw("VALUES")(i)?;
        let (i, values) = paren_list(i, |i| term(i, 0))?;
        (i, InsertValues::Values { columns, values })
    };
    let (i, if_not_exists) = opt_kws(i, &["IF", "NOT", "EXISTS"])?;
    let (i, using) = using_clause(i)?;
    let insert = Insert {
        table,
        values,
        if_not_exists,
        using,
    };
    Ok((i, insert))
}

/// `UPDATE t [USING ...] SET assignments WHERE relations [IF ...]`.
pub(crate) fn update(i: &str) -> PResult<'_, Update> {
    let (i, ()) = kw("UPDATE")(i)?;
    let (i, table) = qualified_name(i)?;
    let (i, using) = using_clause(i)?;
    let (i, ()) = kw("SET")(i)?;
    let (i, assignments) = comma_list(i, assignment)?;
    let (i, ()) = kw("WHERE")(i)?;
    let (i, where_clause) = where_clause(i)?;
    let (i, conditions) = conditions(i)?;
    let update = Update {
        table,
        using,
        assignments,
        where_clause,
        conditions,
    };
    Ok((i, update))
}

fn arith_op(i: &str) -> PResult<'_, ArithOp> {
    let (i, ()) = ws(i)?;
    if let Some(rest) = i.strip_prefix('+') {
        return Ok((rest, ArithOp::Add));
    }
    if let Some(rest) = i.strip_prefix('-') {
        return Ok((rest, ArithOp::Sub));
    }
    fail(i, "+")
}

/// One assignment of a SET clause.
fn assignment(i: &str) -> PResult<'_, Assignment> {
    let (i, target) = column_ref(i)?;
    if let ColumnRef::Column(column) = &target {
        let (after, ()) = ws(i)?;
        for (text, op) in [("+=", ArithOp::Add), ("-=", ArithOp::Sub)] {
            if let Some(rest) = after.strip_prefix(text) {
                let (rest, value) = term(rest, 0)?;
                let column = column.clone();
                return Ok((rest, Assignment::Compound { column, op, value }));
            }
        }
    }
    let (i, ()) = sym("=")(i)?;
    if let ColumnRef::Column(column) = &target {
        // `c = c + v` / `c = c - v`.
        if let Ok((rest, same)) = ident(i)
            && &same == column
            && let Ok((rest, op)) = arith_op(rest)
        {
            let (rest, value) = term(rest, 0)?;
            let column = column.clone();
            return Ok((rest, Assignment::Arith { column, op, value }));
        }
        let (rest, value) = term(i, 0)?;
        // `c = v + c`.
        if let Ok((after, ())) = sym("+")(rest)
            && let Ok((after, same)) = ident(after)
            && &same == column
        {
            let column = column.clone();
            return Ok((after, Assignment::Prepend { column, value }));
        }
        return Ok((rest, Assignment::Set { target, value }));
    }
    let (i, value) = term(i, 0)?;
    Ok((i, Assignment::Set { target, value }))
}

/// `DELETE [cols] FROM t [USING TIMESTAMP t] WHERE relations [IF ...]`.
pub(crate) fn delete(i: &str) -> PResult<'_, Delete> {
    let (i, ()) = kw("DELETE")(i)?;
    let (i, columns) = if kw("FROM")(i).is_ok() {
        (i, Vec::new())
    } else {
        comma_list(i, column_ref)?
    };
    let (i, ()) = kw("FROM")(i)?;
    let (i, table) = qualified_name(i)?;
    let (i, using) = using_clause(i)?;
    let (i, ()) = kw("WHERE")(i)?;
    let (i, where_clause) = where_clause(i)?;
    let (i, conditions) = conditions(i)?;
    let delete = Delete {
        columns,
        table,
        using,
        where_clause,
        conditions,
    };
    Ok((i, delete))
}
