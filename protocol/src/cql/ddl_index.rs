//! Secondary indexes and materialized views.

use super::ast::{AlterView, CreateIndex, CreateView, IndexTarget, IndexTargetKind};
use super::ddl::{
    if_exists, if_not_exists, opt_table_options, primary_key_def, properties, table_options,
};
use super::error::PResult;
use super::expr::{paren_list, where_clause};
use super::lexical::{ident, kw, kws, opt_kw, qualified_name, string_lit, sym};
use super::select::selection;

/// `CREATE [CUSTOM] INDEX` after `CREATE`.
pub(crate) fn create_index(i: &str) -> PResult<'_, CreateIndex> {
    let (i, custom) = opt_kw(i, "CUSTOM")?;
    let (i, ()) = kw("INDEX")(i)?;
    let (i, if_not_exists) = if_not_exists(i)?;
    let (i, name) = if kw("ON")(i).is_ok() {
        (i, None)
    } else {
        let (i, n) = ident(i)?;
        (i, Some(n))
    };
    let (i, ()) = kw("ON")(i)?;
    let (i, table) = qualified_name(i)?;
    let (i, targets) = paren_list(i, index_target)?;
    let (i, using) = match opt_kw(i, "USING")? {
        (i, true) => string_lit(i).map(|(i, s)| (i, Some(s)))?,
        (i, false) => (i, None),
    };
    let (i, options) = match opt_kw(i, "WITH")? {
        (i, true) => properties(i)?,
        (i, false) => (i, Vec::new()),
    };
    let index = CreateIndex {
        custom,
        if_not_exists,
        name,
        table,
        targets,
        using,
        options,
    };
    Ok((i, index))
}

fn index_target(i: &str) -> PResult<'_, IndexTarget> {
    for (word, kind) in [
        ("KEYS", IndexTargetKind::Keys),
        ("VALUES", IndexTargetKind::Values),
        ("ENTRIES", IndexTargetKind::Entries),
        ("FULL", IndexTargetKind::Full),
    ] {
        if let Ok((rest, ())) = kw(word)(i)
            && let Ok((rest, ())) = sym("(")(rest)
        {
            let (rest, column) = ident(rest)?;
            let (rest, ()) = sym(")")(rest)?;
            return Ok((rest, IndexTarget { column, kind }));
        }
    }
    let (i, column) = ident(i)?;
    Ok((
        i,
        IndexTarget {
            column,
            kind: IndexTargetKind::Simple,
        },
    ))
}

/// `CREATE MATERIALIZED VIEW` after `CREATE`.
pub(crate) fn create_view(i: &str) -> PResult<'_, CreateView> {
    let (i, ()) = kws(i, &["MATERIALIZED", "VIEW"])?;
    let (i, if_not_exists) = if_not_exists(i)?;
    let (i, name) = qualified_name(i)?;
    let (i, ()) = kws(i, &["AS", "SELECT"])?;
    let (i, selection) = selection(i)?;
    let (i, ()) = kw("FROM")(i)?;
    let (i, base) = qualified_name(i)?;
    let (i, ()) = kw("WHERE")(i)?;
    let (i, where_clause) = where_clause(i)?;
    let (i, ()) = kws(i, &["PRIMARY", "KEY"])?;
    let (i, primary_key) = primary_key_def(i)?;
    let (i, options) = opt_table_options(i)?;
    let view = CreateView {
        if_not_exists,
        name,
        selection,
        base,
        where_clause,
        primary_key,
        options,
    };
    Ok((i, view))
}

/// `ALTER MATERIALIZED VIEW v WITH ...` after `ALTER`.
pub(crate) fn alter_view(i: &str) -> PResult<'_, AlterView> {
    let (i, ()) = kws(i, &["MATERIALIZED", "VIEW"])?;
    let (i, if_exists) = if_exists(i)?;
    let (i, name) = qualified_name(i)?;
    let (i, ()) = kw("WITH")(i)?;
    let (i, options) = table_options(i)?;
    Ok((
        i,
        AlterView {
            if_exists,
            name,
            options,
        },
    ))
}
