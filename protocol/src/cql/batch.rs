//! `BEGIN [UNLOGGED|COUNTER] BATCH [USING ...] stmt; ... APPLY BATCH`.

use super::ast::{Batch, BatchKind, BatchStatement};
use super::error::PResult;
use super::expr::using_clause;
use super::lexical::{kw, kws, opt_kw, opt_sym, peek_kw};
use super::modify::{delete, insert, update};

/// A batch statement (keywords included).
pub(crate) fn batch(i: &str) -> PResult<'_, Batch> {
    let (i, ()) = kw("BEGIN")(i)?;
    let (i, kind) = if let (i, true) = opt_kw(i, "UNLOGGED")? {
        (i, BatchKind::Unlogged)
    } else if let (i, true) = opt_kw(i, "COUNTER")? {
        (i, BatchKind::Counter)
    } else {
        (i, BatchKind::Logged)
    };
    let (i, ()) = kw("BATCH")(i)?;
    let (mut i, using) = using_clause(i)?;
    let mut statements = Vec::new();
    loop {
        if peek_kw(i, "APPLY") {
            break;
        }
        let (rest, stmt) = batch_statement(i)?;
        let (rest, _) = opt_sym(rest, ";")?;
        statements.push(stmt);
        i = rest;
    }
    let (i, ()) = kws(i, &["APPLY", "BATCH"])?;
    Ok((
        i,
        Batch {
            kind,
            using,
            statements,
        },
    ))
}

fn batch_statement(i: &str) -> PResult<'_, BatchStatement> {
    if peek_kw(i, "INSERT") {
        return insert(i).map(|(i, s)| (i, BatchStatement::Insert(s)));
    }
    if peek_kw(i, "UPDATE") {
        return update(i).map(|(i, s)| (i, BatchStatement::Update(s)));
    }
    if peek_kw(i, "DELETE") {
        return delete(i).map(|(i, s)| (i, BatchStatement::Delete(s)));
    }
    super::error::alternatives(i, &["INSERT", "UPDATE", "DELETE", "APPLY"])
}
