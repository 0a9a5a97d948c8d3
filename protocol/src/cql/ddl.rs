//! Schema statements: keyspaces, tables, types, TRUNCATE, USE. Indexes and
//! materialized views live in `ddl_index`.

use super::ast::{
    AlterKeyspace, AlterTable, AlterTableAction, AlterType, AlterTypeAction, ColumnDef,
    CreateKeyspace, CreateTable, CreateType, DropObject, Ident, Order, PrimaryKey, Property,
    QualifiedName, TableOptions, Term,
};
use super::error::{PResult, abort, fail};
use super::expr::{comma_list, paren_list, term};
use super::lexical::{ident, kw, kws, opt_kw, opt_kws, opt_sym, qualified_name, sym, ws};
use super::types::{cql_type, field_def};

/// `IF NOT EXISTS` when present.
pub(crate) fn if_not_exists(i: &str) -> PResult<'_, bool> {
    opt_kws(i, &["IF", "NOT", "EXISTS"])
}

/// `IF EXISTS` when present.
pub(crate) fn if_exists(i: &str) -> PResult<'_, bool> {
    opt_kws(i, &["IF", "EXISTS"])
}

/// `name = constant | {map}`.
pub(crate) fn property(i: &str) -> PResult<'_, Property> {
    let (i, name) = ident(i)?;
    let (i, ()) = sym("=")(i)?;
    let (i, ()) = ws(i)?;
    let (rest, value) = term(i, 0)?;
    if !(is_constant(&value) || matches!(value, Term::Map(_)) || is_empty_set(&value)) {
        return fail(i, "constant");
    }
    let i = rest;
    Ok((i, Property { name, value }))
}

fn is_empty_set(t: &Term) -> bool {
    matches!(t, Term::Set(items) if items.is_empty())
}

fn is_constant(t: &Term) -> bool {
    matches!(
        t,
        Term::Null
            | Term::Bool(_)
            | Term::Integer(_)
            | Term::Float(_)
            | Term::Str(_)
            | Term::Uuid(_)
            | Term::Blob(_)
            | Term::Duration(_)
    )
}

/// `prop = v AND prop = v ...`.
pub(crate) fn properties(i: &str) -> PResult<'_, Vec<Property>> {
    let (mut i, first) = property(i)?;
    let mut props = vec![first];
    while let (rest, true) = opt_kw(i, "AND")? {
        let (rest, p) = property(rest)?;
        props.push(p);
        i = rest;
    }
    Ok((i, props))
}

/// `USE ks`.
pub(crate) fn use_stmt(i: &str) -> PResult<'_, Ident> {
    let (i, ()) = kw("USE")(i)?;
    ident(i)
}

/// `TRUNCATE [TABLE|COLUMNFAMILY] t`.
pub(crate) fn truncate(i: &str) -> PResult<'_, QualifiedName> {
    let (i, ()) = kw("TRUNCATE")(i)?;
    let (i, _) = opt_kw(i, "TABLE")?;
    let (i, _) = opt_kw(i, "COLUMNFAMILY")?;
    qualified_name(i)
}

/// `CREATE KEYSPACE` after `CREATE`.
pub(crate) fn create_keyspace(i: &str) -> PResult<'_, CreateKeyspace> {
    let (i, ()) = kw("KEYSPACE")(i)?;
    let (i, if_not_exists) = if_not_exists(i)?;
    let (i, name) = ident(i)?;
    let (i, ()) = kw("WITH")(i)?;
    let (i, options) = properties(i)?;
    let ks = CreateKeyspace {
        if_not_exists,
        name,
        options,
    };
    Ok((i, ks))
}

/// `ALTER KEYSPACE` after `ALTER`.
pub(crate) fn alter_keyspace(i: &str) -> PResult<'_, AlterKeyspace> {
    let (i, ()) = kw("KEYSPACE")(i)?;
    let (i, if_exists) = if_exists(i)?;
    let (i, name) = ident(i)?;
    let (i, ()) = kw("WITH")(i)?;
    let (i, options) = properties(i)?;
    let ks = AlterKeyspace {
        if_exists,
        name,
        options,
    };
    Ok((i, ks))
}

/// `DROP <words> [IF EXISTS] name` after `DROP`.
pub(crate) fn drop_object<'a>(i: &'a str, words: &[&'static str]) -> PResult<'a, DropObject> {
    let (i, ()) = kws(i, words)?;
    let (i, if_exists) = if_exists(i)?;
    let (i, name) = qualified_name(i)?;
    Ok((i, DropObject { if_exists, name }))
}

/// `TABLE` or `COLUMNFAMILY`.
fn table_kw(i: &str) -> PResult<'_, ()> {
    if let Ok(found) = kw("TABLE")(i) {
        return Ok(found);
    }
    kw("COLUMNFAMILY")(i)
}

/// `CREATE TABLE` after `CREATE`.
pub(crate) fn create_table(i: &str) -> PResult<'_, CreateTable> {
    let (i, ()) = table_kw(i)?;
    let (i, if_not_exists) = if_not_exists(i)?;
    let (i, name) = qualified_name(i)?;
    let (mut i, ()) = sym("(")(i)?;
    let mut columns = Vec::new();
    let mut primary_key: Option<PrimaryKey> = None;
    loop {
        let (start, ()) = ws(i)?;
        if let (rest, true) = opt_kws(start, &["PRIMARY", "KEY"])? {
            if primary_key.is_some() {
                return abort(
                    start,
                    "Multiple PRIMARY KEYs specified (exactly one required)",
                );
            }
            let (rest, pk) = primary_key_def(rest)?;
            primary_key = Some(pk);
            i = rest;
        } else {
            let (rest, (column, inline_pk)) = column_def(start)?;
            if inline_pk {
                if primary_key.is_some() {
                    return abort(
                        start,
                        "Multiple PRIMARY KEYs specified (exactly one required)",
                    );
                }
                primary_key = Some(PrimaryKey {
                    partition: vec![column.name.clone()],
                    clustering: Vec::new(),
                });
            }
            columns.push(column);
            i = rest;
        }
        let (rest, more) = opt_sym(i, ",")?;
        i = rest;
        if !more || sym(")")(i).is_ok() {
            break;
        }
    }
    let (i, ()) = sym(")")(i)?;
    // A table without a key is a schema error (InvalidRequest), not a syntax
    // error: it parses with an empty partition key for the server to reject.
    let primary_key = primary_key.unwrap_or_default();
    let (i, options) = opt_table_options(i)?;
    let table = CreateTable {
        if_not_exists,
        name,
        columns,
        primary_key,
        options,
    };
    Ok((i, table))
}

/// `name type [STATIC] [PRIMARY KEY]`: the column and whether it is the key.
fn column_def(i: &str) -> PResult<'_, (ColumnDef, bool)> {
    let (i, name) = ident(i)?;
    let (i, ty) = cql_type(i, 0)?;
    let (i, is_static) = opt_kw(i, "STATIC")?;
    let (i, pk) = opt_kws(i, &["PRIMARY", "KEY"])?;
    Ok((
        i,
        (
            ColumnDef {
                name,
                ty,
                is_static,
            },
            pk,
        ),
    ))
}

/// `((a, b), c, d)` or `(a, c, d)` after `PRIMARY KEY`.
pub(crate) fn primary_key_def(i: &str) -> PResult<'_, PrimaryKey> {
    let (i, ()) = sym("(")(i)?;
    let (i, partition) = if sym("(")(i).is_ok() {
        paren_list(i, ident)?
    } else {
        let (i, col) = ident(i)?;
        (i, vec![col])
    };
    if partition.is_empty() {
        return fail(i, "identifier");
    }
    let (i, clustering) = match opt_sym(i, ",")? {
        (i, true) => comma_list(i, ident)?,
        (i, false) => (i, Vec::new()),
    };
    let (i, ()) = sym(")")(i)?;
    Ok((
        i,
        PrimaryKey {
            partition,
            clustering,
        },
    ))
}

/// `WITH option AND ...` when present.
pub(crate) fn opt_table_options(i: &str) -> PResult<'_, TableOptions> {
    match opt_kw(i, "WITH")? {
        (i, true) => table_options(i),
        (i, false) => Ok((i, TableOptions::default())),
    }
}

/// Table options after `WITH`: `CLUSTERING ORDER BY (...)`, `COMPACT
/// STORAGE`, and properties, joined by AND.
pub(crate) fn table_options(mut i: &str) -> PResult<'_, TableOptions> {
    let mut options = TableOptions::default();
    loop {
        if let (rest, true) = opt_kws(i, &["CLUSTERING", "ORDER", "BY"])? {
            let (rest, order) = paren_list(rest, |i| {
                let (i, column) = ident(i)?;
                if let (i, true) = opt_kw(i, "DESC")? {
                    return Ok((i, (column, Order::Desc)));
                }
                let (i, ()) = kw("ASC")(i)?;
                Ok((i, (column, Order::Asc)))
            })?;
            options.clustering_order.extend(order);
            i = rest;
        } else if let (rest, true) = opt_kws(i, &["COMPACT", "STORAGE"])? {
            options.compact_storage = true;
            i = rest;
        } else {
            let (rest, p) = property(i)?;
            options.properties.push(p);
            i = rest;
        }
        match opt_kw(i, "AND")? {
            (rest, true) => i = rest,
            (rest, false) => return Ok((rest, options)),
        }
    }
}

/// `ALTER TABLE` after `ALTER`.
pub(crate) fn alter_table(i: &str) -> PResult<'_, AlterTable> {
    let (i, ()) = table_kw(i)?;
    let (i, if_exists) = if_exists(i)?;
    let (i, name) = qualified_name(i)?;
    let (i, action) = alter_table_action(i)?;
    Ok((
        i,
        AlterTable {
            if_exists,
            name,
            action,
        },
    ))
}

fn alter_table_action(i: &str) -> PResult<'_, AlterTableAction> {
    if let (i, true) = opt_kw(i, "ADD")? {
        let (i, if_not_exists) = if_not_exists(i)?;
        let def = |i| column_def(i).map(|(i, (c, _))| (i, c));
        let (i, columns) = if sym("(")(i).is_ok() {
            paren_list(i, def)?
        } else {
            let (i, c) = def(i)?;
            (i, vec![c])
        };
        return Ok((
            i,
            AlterTableAction::Add {
                if_not_exists,
                columns,
            },
        ));
    }
    if let (i, true) = opt_kw(i, "DROP")? {
        let (i, if_exists) = if_exists(i)?;
        let (i, columns) = if sym("(")(i).is_ok() {
            paren_list(i, ident)?
        } else {
            let (i, c) = ident(i)?;
            (i, vec![c])
        };
        let (i, timestamp) = match opt_kws(i, &["USING", "TIMESTAMP"])? {
            (i, true) => term(i, 0).map(|(i, t)| (i, Some(t)))?,
            (i, false) => (i, None),
        };
        let action = AlterTableAction::Drop {
            if_exists,
            columns,
            timestamp,
        };
        return Ok((i, action));
    }
    if let (i, true) = opt_kw(i, "RENAME")? {
        let (i, if_exists) = if_exists(i)?;
        let (i, renames) = renames(i)?;
        return Ok((i, AlterTableAction::Rename { if_exists, renames }));
    }
    if let (i, true) = opt_kw(i, "WITH")? {
        let (i, options) = table_options(i)?;
        return Ok((i, AlterTableAction::With(options)));
    }
    super::error::alternatives(i, &["ADD", "DROP", "RENAME", "WITH"])
}

/// `a TO b [AND c TO d ...]`.
fn renames(i: &str) -> PResult<'_, Vec<(Ident, Ident)>> {
    let one = |i| {
        let (i, from) = ident(i)?;
        let (i, ()) = kw("TO")(i)?;
        let (i, to) = ident(i)?;
        Ok((i, (from, to)))
    };
    let (mut i, first) = one(i)?;
    let mut list = vec![first];
    while let (rest, true) = opt_kw(i, "AND")? {
        let (rest, r) = one(rest)?;
        list.push(r);
        i = rest;
    }
    Ok((i, list))
}

/// `CREATE TYPE` after `CREATE`.
pub(crate) fn create_type(i: &str) -> PResult<'_, CreateType> {
    let (i, ()) = kw("TYPE")(i)?;
    let (i, if_not_exists) = if_not_exists(i)?;
    let (i, name) = qualified_name(i)?;
    let (i, fields) = paren_list(i, field_def)?;
    if fields.is_empty() {
        return fail(i, "identifier");
    }
    Ok((
        i,
        CreateType {
            if_not_exists,
            name,
            fields,
        },
    ))
}

/// `ALTER TYPE` after `ALTER`.
pub(crate) fn alter_type(i: &str) -> PResult<'_, AlterType> {
    let (i, ()) = kw("TYPE")(i)?;
    let (i, type_if_exists) = if_exists(i)?;
    let (i, name) = qualified_name(i)?;
    let (i, action) = if let (i, true) = opt_kw(i, "ADD")? {
        let (i, if_not_exists) = if_not_exists(i)?;
        let (i, (field, ty)) = field_def(i)?;
        let add = AlterTypeAction::Add {
            if_not_exists,
            field,
            ty,
        };
        (i, add)
    } else {
        let (i, ()) = kw("RENAME")(i)?;
        let (i, field_if_exists) = if_exists(i)?;
        let (i, renames) = renames(i)?;
        let rename = AlterTypeAction::Rename {
            if_exists: field_if_exists,
            renames,
        };
        (i, rename)
    };
    Ok((
        i,
        AlterType {
            if_exists: type_if_exists,
            name,
            action,
        },
    ))
}
