//! The projection of a SELECT: which columns it returns, named and typed as
//! Cassandra names them, and each row's values for them (columns, `token()`,
//! `writetime()`/`ttl()`, UDT fields, elements and slices, scalar functions
//! and casts, aggregates, JSON); the selectors compile in `selection.rs`.

use sibyl_protocol::cql::ast::{Select, Selection, Selector};
use sibyl_protocol::response::ColumnSpec;
use sibyl_protocol::value::{CqlType, CqlValue};

use super::result::ResultSet;
use super::select::{Row, key_positions};
use super::selection::{Compiler, Env, Node};
use super::terms::BindContext;
use crate::error::RequestError;
use crate::schema::{ColumnKind, TableMetadata};

fn spec(table: &TableMetadata, name: &str, ty: CqlType) -> ColumnSpec {
    ColumnSpec {
        keyspace: table.keyspace.clone(),
        table: table.name.clone(),
        name: name.to_owned(),
        ty: ty.unfrozen().clone(),
    }
}

/// The result columns `select` produces (for PREPARE's result metadata).
///
/// # Errors
/// Unknown columns or unsupported selectors.
pub fn result_columns(
    table: &TableMetadata,
    select: &Select,
) -> Result<Vec<ColumnSpec>, RequestError> {
    project(table, select, Vec::new(), None).map(|r| r.columns)
}

/// Projects `rows` (in `SELECT *` order with hidden writetime entries) onto
/// the selection; `ctx` holds the bind values and time (`None` at PREPARE).
pub(super) fn project(
    table: &TableMetadata,
    select: &Select,
    rows: Vec<Row>,
    ctx: Option<&BindContext<'_>>,
) -> Result<ResultSet, RequestError> {
    let result = project_columns(table, select, rows, ctx)?;
    if select.json {
        return Ok(as_json(table, result));
    }
    Ok(result)
}

/// `SELECT JSON`: each row as one `[json]` text column holding an object of
/// the selected columns (names quoted as CQL would need them).
fn as_json(table: &TableMetadata, result: ResultSet) -> ResultSet {
    let names: Vec<String> = result
        .columns
        .iter()
        .map(|c| {
            if table.columns.iter().any(|t| t.name == c.name) {
                crate::schema::describe::quote_identifier(&c.name)
            } else {
                c.name.clone()
            }
        })
        .collect();
    let rows = result
        .rows
        .into_iter()
        .map(|row| {
            let mut object = serde_json::Map::new();
            for ((name, column), value) in names.iter().zip(&result.columns).zip(row) {
                let json = value.map_or(serde_json::Value::Null, |v| {
                    super::json::to_json(&v, &column.ty)
                });
                object.insert(name.clone(), json);
            }
            let text = serde_json::Value::Object(object).to_string();
            vec![Some(CqlValue::Text(text))]
        })
        .collect();
    ResultSet {
        columns: vec![spec(table, "[json]", CqlType::Text)],
        rows,
    }
}

fn project_columns(
    table: &TableMetadata,
    select: &Select,
    rows: Vec<Row>,
    ctx: Option<&BindContext<'_>>,
) -> Result<ResultSet, RequestError> {
    let selectors = match &select.selection {
        Selection::Star => {
            let columns = table
                .select_star_order()
                .map(|c| spec(table, &c.name, c.ty.clone()))
                .collect();
            return Ok(ResultSet { columns, rows });
        }
        Selection::List(selectors) => selectors,
    };
    let (nodes, columns, _) = compile(table, selectors, ctx)?;
    let env = Env {
        table,
        pk: key_positions(table, ColumnKind::PartitionKey),
        ctx,
        now_calls: std::cell::Cell::new(0),
    };
    let rows = if !select.group_by.is_empty() || nodes.iter().any(Node::has_aggregate) {
        super::aggregate::grouped_rows(&env, select, &nodes, &rows)?
    } else {
        rows.iter()
            .map(|row| nodes.iter().map(|n| n.row_value(&env, row)).collect())
            .collect::<Result<_, _>>()?
    };
    Ok(ResultSet { columns, rows })
}

/// The compiled selectors, their result columns and the specs of the bind
/// markers they hold.
type CompiledSelection = (Vec<Node>, Vec<ColumnSpec>, Vec<(usize, ColumnSpec)>);

fn compile(
    table: &TableMetadata,
    selectors: &[Selector],
    ctx: Option<&BindContext<'_>>,
) -> Result<CompiledSelection, RequestError> {
    let mut compiler = Compiler {
        table,
        ctx,
        markers: Vec::new(),
    };
    let mut nodes = Vec::with_capacity(selectors.len());
    let mut columns = Vec::with_capacity(selectors.len());
    for selector in selectors {
        let (node, name, ty) = compiler.compile(&selector.expr, false)?;
        let name = selector
            .alias
            .as_ref()
            .map_or(name, |a| a.as_str().to_owned());
        nodes.push(node);
        columns.push(spec(table, &name, ty));
    }
    Ok((nodes, columns, compiler.markers))
}

/// Specs of the bind markers in `select`'s selectors (element and slice
/// keys: `key(m)` for a map, `value(s)` for a set), by marker index.
///
/// # Errors
/// As [`result_columns`].
pub fn selection_markers(
    table: &TableMetadata,
    select: &Select,
) -> Result<Vec<(usize, ColumnSpec)>, RequestError> {
    match &select.selection {
        Selection::Star => Ok(Vec::new()),
        Selection::List(selectors) => compile(table, selectors, None).map(|(_, _, m)| m),
    }
}
