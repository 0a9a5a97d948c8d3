//! List operations that read the list first, as in Cassandra: `l[i] = v`,
//! `DELETE l[i]` and `l = l - [v, ...]`. The element at index `i` is the
//! `i`-th live cell of the column in cell-path order; the write lands on that
//! cell's path with the statement's timestamp.

use bytes::Bytes;
use sibyl_protocol::cql::ast::Term;
use sibyl_protocol::value::{CqlType, CqlValue};
use sibyl_storage::model::{Cell, ClusteringKey, ColumnId, PartitionKey, Row};

use super::super::terms::{Bound, bind};
use super::super::values::serialize;
use super::{Attrs, WriteContext, cell};
use crate::error::RequestError;
use crate::schema::{ColumnMetadata, TableMetadata};

/// Reads the live cells of one list column: table, partition, clustering
/// (`None` for a static column), column. Returns `(path, value)` pairs in
/// cell-path (list) order.
pub type ListReader<'a> = dyn Fn(
        &TableMetadata,
        &PartitionKey,
        Option<&ClusteringKey>,
        ColumnId,
    ) -> Result<Vec<(Bytes, Bytes)>, RequestError>
    + 'a;

/// What a read-before-write list operation does.
#[derive(Clone)]
enum Action {
    /// `l[i] = v` (`None`: `l[i] = null`, a tombstone).
    Set(i32, Option<Bytes>),
    /// `DELETE l[i]`.
    Delete(i32),
    /// `l = l - [v, ...]` (serialized values to remove).
    Discard(Vec<Bytes>),
}

/// One list operation of a statement, bound and waiting for the list's cells.
#[derive(Clone)]
pub(super) struct ListOp<'t> {
    column: &'t ColumnMetadata,
    action: Action,
}

impl<'t> ListOp<'t> {
    /// The column the operation writes.
    pub(super) fn column(&self) -> &'t ColumnMetadata {
        self.column
    }
}

fn index(meta: &ColumnMetadata, index: &Term, ctx: &WriteContext<'_>) -> Result<i32, RequestError> {
    let receiver = format!("idx({})", meta.name);
    match bind(index, &CqlType::Int, &receiver, &ctx.bind)?.required("list index")? {
        CqlValue::Int(i) => Ok(i),
        other => Err(RequestError::invalid(format!(
            "Invalid list index {other:?} for {}",
            meta.name
        ))),
    }
}

/// `l[i] = v`; `None` when the value is unset (nothing to write).
///
/// # Errors
/// Null or unset index, values that do not bind.
pub(super) fn set_by_index<'t>(
    meta: &'t ColumnMetadata,
    elem: &CqlType,
    at: &Term,
    value: &Term,
    ctx: &WriteContext<'_>,
) -> Result<Option<ListOp<'t>>, RequestError> {
    let i = index(meta, at, ctx)?;
    let value = match bind(value, elem, &format!("value({})", meta.name), &ctx.bind)? {
        Bound::Value(v) => Some(serialize(&meta.name, elem, &v)?),
        Bound::Null => None,
        Bound::Unset => return Ok(None),
    };
    Ok(Some(ListOp {
        column: meta,
        action: Action::Set(i, value),
    }))
}

/// `DELETE l[i]`.
///
/// # Errors
/// Null or unset index.
pub(super) fn delete_by_index<'t>(
    meta: &'t ColumnMetadata,
    at: &Term,
    ctx: &WriteContext<'_>,
) -> Result<ListOp<'t>, RequestError> {
    Ok(ListOp {
        column: meta,
        action: Action::Delete(index(meta, at, ctx)?),
    })
}

/// `l = l - [v, ...]` with the bound list value.
///
/// # Errors
/// Elements that do not serialize.
pub(super) fn discard<'t>(
    meta: &'t ColumnMetadata,
    elem: &CqlType,
    items: &[CqlValue],
) -> Result<ListOp<'t>, RequestError> {
    let values = items
        .iter()
        .map(|v| serialize(&meta.name, elem, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListOp {
        column: meta,
        action: Action::Discard(values),
    })
}

/// The reader of a write, or a server error when the processor gave none.
pub(super) fn reader<'c>(ctx: &WriteContext<'c>) -> Result<&'c ListReader<'c>, RequestError> {
    ctx.list_reader
        .ok_or_else(|| RequestError::Server("list operation without a list reader".into()))
}

/// Reads the list of each op's column in one row and adds the op's cells to `row`.
///
/// # Errors
/// Index out of bound, list null, read failures.
pub(super) fn apply(
    ops: &[ListOp<'_>],
    table: &TableMetadata,
    key: &PartitionKey,
    clustering: Option<&ClusteringKey>,
    row: &mut Row,
    attrs: Attrs,
    read: &ListReader<'_>,
) -> Result<(), RequestError> {
    for op in ops {
        let cells = read(table, key, clustering, op.column.id)?;
        let tombstone = |path: &Bytes| {
            Cell::tombstone(op.column.id, attrs.timestamp, attrs.now_s).with_path(path.clone())
        };
        match &op.action {
            Action::Set(i, value) => {
                let path = element(
                    &cells,
                    *i,
                    "Attempted to set an element on a list which is null",
                )?;
                row.add_cell(match value {
                    Some(v) => cell(op.column, attrs, v.clone()).with_path(path.clone()),
                    None => tombstone(path),
                });
            }
            Action::Delete(i) => {
                let path = element(
                    &cells,
                    *i,
                    "Attempted to delete an element from a list which is null",
                )?;
                row.add_cell(tombstone(path));
            }
            Action::Discard(values) => {
                for (path, _) in cells.iter().filter(|(_, v)| values.contains(v)) {
                    row.add_cell(tombstone(path));
                }
            }
        }
    }
    Ok(())
}

/// The path of element `i`, or Cassandra's errors for a null list or a bad index.
fn element<'c>(cells: &'c [(Bytes, Bytes)], i: i32, null: &str) -> Result<&'c Bytes, RequestError> {
    if cells.is_empty() {
        return Err(RequestError::invalid(null));
    }
    usize::try_from(i)
        .ok()
        .and_then(|i| cells.get(i))
        .map(|(path, _)| path)
        .ok_or_else(|| {
            RequestError::invalid(format!(
                "List index {i} out of bound, list has size {}",
                cells.len()
            ))
        })
}
