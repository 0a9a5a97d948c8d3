//! UPDATE: assignments (values, collection operations, element and field setters)
//! into one mutation per addressed partition.

use sibyl_protocol::cql::ast::{ArithOp, Assignment, ColumnRef, Update};
use sibyl_protocol::value::{CqlType, CqlValue};
use sibyl_storage::model::{Cell, ClusteringKey, PartitionKey, PartitionUpdate, Row};

use super::super::keys::KeyRestrictions;
use super::super::terms::{Bound, bind};
use super::super::values::{element_path, field_path, serialize};
use super::lists::{self, ListOp};
use super::{Attrs, WriteContext, add_elements, attrs, cell, column, lwt_unsupported, write_value};
use crate::error::RequestError;
use crate::schema::{ColumnKind, ColumnMetadata, TableMetadata};
use crate::storage::engine_id;

/// Builds the UPDATE's mutations (one per addressed partition).
///
/// # Errors
/// Missing key restrictions, unsupported assignments, values that do not bind.
pub fn update(
    table: &TableMetadata,
    update: &Update,
    ctx: &WriteContext<'_>,
) -> Result<Vec<PartitionUpdate>, RequestError> {
    if table.is_counter() {
        let Some((read, node)) = ctx.counters else {
            return Err(RequestError::Server(
                "counter update without a counter reader".into(),
            ));
        };
        return super::super::counters::counter_update(table, update, ctx, node, read);
    }
    if update.conditions.is_some() {
        return Err(lwt_unsupported());
    }
    let attrs = attrs(table, &update.using, ctx)?;
    let keys = KeyRestrictions::new(table, &update.where_clause, &ctx.bind)?;
    if !keys.others.is_empty() || keys.clustering_range.is_some() {
        return Err(RequestError::invalid(
            "Non PRIMARY KEY columns found in where clause or slices are not allowed in UPDATE",
        ));
    }
    let only_static = update
        .assignments
        .iter()
        .all(|a| assigned_column(table, a).is_ok_and(|c| c.kind == ColumnKind::Static));
    let partitions = keys.partition_keys(table)?;
    let clusterings = if only_static && keys.clustering.is_empty() {
        Vec::new()
    } else {
        if keys.clustering.len() != table.columns_of(ColumnKind::Clustering).count() {
            let missing: Vec<&str> = table
                .columns_of(ColumnKind::Clustering)
                .skip(keys.clustering.len())
                .map(|c| c.name.as_str())
                .collect();
            return Err(RequestError::invalid(format!(
                "Some clustering keys are missing: {}",
                missing.join(", ")
            )));
        }
        keys.clustering_keys(table)?
    };
    let mut template = Row::new(ClusteringKey::new(bytes::Bytes::new()));
    let mut static_row = Row::new(ClusteringKey::new(bytes::Bytes::new()));
    let mut list_ops = Vec::new();
    for assignment in &update.assignments {
        let meta = assigned_column(table, assignment)?;
        if matches!(meta.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
            return Err(RequestError::invalid(format!(
                "PRIMARY KEY part {} found in SET part",
                meta.name
            )));
        }
        let target = if meta.kind == ColumnKind::Static {
            &mut static_row
        } else {
            &mut template
        };
        list_ops.extend(assign(target, meta, assignment, attrs, ctx)?);
    }
    let rows = Rows {
        template: &template,
        static_row: &static_row,
        list_ops: &list_ops,
        attrs,
    };
    partitions
        .into_iter()
        .map(|key| mutation(table, key, &clusterings, &rows, ctx))
        .collect()
}

/// The rows an UPDATE writes in each partition.
struct Rows<'a, 't> {
    template: &'a Row,
    static_row: &'a Row,
    /// List operations that read each row's list first.
    list_ops: &'a [ListOp<'t>],
    attrs: Attrs,
}

fn mutation(
    table: &TableMetadata,
    key: PartitionKey,
    clusterings: &[ClusteringKey],
    rows: &Rows<'_, '_>,
    ctx: &WriteContext<'_>,
) -> Result<PartitionUpdate, RequestError> {
    let (static_ops, row_ops): (Vec<ListOp<'_>>, Vec<ListOp<'_>>) = rows
        .list_ops
        .iter()
        .cloned()
        .partition(|op| op.column().kind == ColumnKind::Static);
    let mut static_row = rows.static_row.clone();
    if !static_ops.is_empty() {
        let read = lists::reader(ctx)?;
        lists::apply(
            &static_ops,
            table,
            &key,
            None,
            &mut static_row,
            rows.attrs,
            read,
        )?;
    }
    let mut update = PartitionUpdate::new(engine_id(table), key);
    for clustering in clusterings {
        let mut row = rows.template.clone();
        row.clustering = clustering.clone();
        if !row_ops.is_empty() {
            let read = lists::reader(ctx)?;
            lists::apply(
                &row_ops,
                table,
                &update.key,
                Some(clustering),
                &mut row,
                rows.attrs,
                read,
            )?;
        }
        update.add_row(row);
    }
    if !static_row.is_empty() {
        update.static_row = Some(static_row);
    }
    Ok(update)
}

fn assigned_column<'t>(
    table: &'t TableMetadata,
    assignment: &Assignment,
) -> Result<&'t ColumnMetadata, RequestError> {
    let name = match assignment {
        Assignment::Set {
            target: ColumnRef::Column(c) | ColumnRef::Element(c, _) | ColumnRef::Field(c, _),
            ..
        } => c,
        Assignment::Arith { column, .. }
        | Assignment::Prepend { column, .. }
        | Assignment::Compound { column, .. } => column,
    };
    column(table, name.as_str())
}

/// Adds an assignment's cells to `row`, or returns the list operation that
/// must read the row's list first.
fn assign<'t>(
    row: &mut Row,
    meta: &'t ColumnMetadata,
    assignment: &Assignment,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
) -> Result<Option<ListOp<'t>>, RequestError> {
    match assignment {
        Assignment::Set {
            target: ColumnRef::Column(_),
            value,
        } => {
            let bound = bind(value, &meta.ty, &meta.name, &ctx.bind)?;
            write_value(row, meta, bound, attrs, ctx).map(|()| None)
        }
        Assignment::Set {
            target: ColumnRef::Element(_, key),
            value,
        } => assign_element(row, meta, key, value, attrs, ctx),
        Assignment::Set {
            target: ColumnRef::Field(_, field),
            value,
        } => assign_field(row, meta, field.as_str(), value, attrs, ctx).map(|()| None),
        Assignment::Arith { op, value, .. } | Assignment::Compound { op, value, .. } => {
            collection_op(row, meta, *op, value, attrs, ctx, false)
        }
        Assignment::Prepend { value, .. } => {
            collection_op(row, meta, ArithOp::Add, value, attrs, ctx, true)
        }
    }
}

fn assign_element<'t>(
    row: &mut Row,
    meta: &'t ColumnMetadata,
    key: &sibyl_protocol::cql::ast::Term,
    value: &sibyl_protocol::cql::ast::Term,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
) -> Result<Option<ListOp<'t>>, RequestError> {
    if !meta.ty.is_multi_cell() && matches!(meta.ty.unfrozen(), CqlType::Map(..) | CqlType::List(_))
    {
        return Err(RequestError::invalid(format!(
            "Invalid operation for frozen collection column {}",
            meta.name
        )));
    }
    let (key_ty, value_ty) = match meta.ty.unfrozen() {
        CqlType::Map(key_ty, value_ty) => (key_ty, value_ty),
        CqlType::List(elem) => return lists::set_by_index(meta, elem, key, value, ctx),
        ty => {
            return Err(RequestError::invalid(format!(
                "Invalid operation ({}[...] = ...) for non list or map column {} of type {ty}",
                meta.name, meta.name
            )));
        }
    };
    let receiver = format!("key({})", meta.name);
    let key = bind(key, key_ty, &receiver, &ctx.bind)?.required(&receiver)?;
    let path = element_path(&meta.name, key_ty, &key)?;
    match bind(value, value_ty, &format!("value({})", meta.name), &ctx.bind)? {
        Bound::Value(v) => {
            row.add_cell(cell(meta, attrs, serialize(&meta.name, value_ty, &v)?).with_path(path))
        }
        Bound::Null => {
            row.add_cell(Cell::tombstone(meta.id, attrs.timestamp, attrs.now_s).with_path(path))
        }
        Bound::Unset => {}
    }
    Ok(None)
}

fn assign_field(
    row: &mut Row,
    meta: &ColumnMetadata,
    field: &str,
    value: &sibyl_protocol::cql::ast::Term,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
) -> Result<(), RequestError> {
    let CqlType::Udt(def) = meta.ty.unfrozen() else {
        return Err(RequestError::invalid(format!(
            "Invalid field selection: {} is not a user type",
            meta.name
        )));
    };
    let index = def
        .fields
        .iter()
        .position(|(n, _)| n == field)
        .ok_or_else(|| {
            RequestError::invalid(format!("Unknown field {field} in user type {}", def.name))
        })?;
    let field_ty = def
        .fields
        .get(index)
        .map(|(_, t)| t.clone())
        .unwrap_or(CqlType::Blob);
    let path = field_path(u16::try_from(index).unwrap_or(u16::MAX));
    match bind(value, &field_ty, field, &ctx.bind)? {
        Bound::Value(v) => {
            row.add_cell(cell(meta, attrs, serialize(&meta.name, &field_ty, &v)?).with_path(path))
        }
        Bound::Null => {
            row.add_cell(Cell::tombstone(meta.id, attrs.timestamp, attrs.now_s).with_path(path))
        }
        Bound::Unset => {}
    }
    Ok(())
}

fn collection_op<'t>(
    row: &mut Row,
    meta: &'t ColumnMetadata,
    op: ArithOp,
    value: &sibyl_protocol::cql::ast::Term,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
    prepend: bool,
) -> Result<Option<ListOp<'t>>, RequestError> {
    if !meta.ty.is_multi_cell() {
        let what = if meta.ty.is_counter() {
            "Counter columns are not supported by this Sibyl build yet".to_owned()
        } else {
            format!(
                "Invalid operation ({} = {} {} ...) for non-collection column {}",
                meta.name,
                meta.name,
                if op == ArithOp::Add { "+" } else { "-" },
                meta.name
            )
        };
        return Err(RequestError::invalid(what));
    }
    let Bound::Value(v) = bind(value, &meta.ty, &meta.name, &ctx.bind)? else {
        return Ok(None);
    };
    match (op, meta.ty.unfrozen(), &v) {
        (ArithOp::Add, _, _) => add_elements(row, meta, &v, attrs, ctx, prepend).map(|()| None),
        (ArithOp::Sub, CqlType::Set(elem), CqlValue::Set(items)) => {
            for item in items {
                row.add_cell(
                    Cell::tombstone(meta.id, attrs.timestamp, attrs.now_s)
                        .with_path(element_path(&meta.name, elem, item)?),
                );
            }
            Ok(None)
        }
        (ArithOp::Sub, CqlType::Map(key_ty, _), CqlValue::Set(keys)) => {
            for key in keys {
                row.add_cell(
                    Cell::tombstone(meta.id, attrs.timestamp, attrs.now_s)
                        .with_path(element_path(&meta.name, key_ty, key)?),
                );
            }
            Ok(None)
        }
        (ArithOp::Sub, CqlType::List(elem), CqlValue::List(items)) => {
            lists::discard(meta, elem, items).map(Some)
        }
        (_, ty, _) => Err(RequestError::invalid(format!(
            "Invalid operation ({} = {} - ...) for column {} of type {ty}",
            meta.name, meta.name, meta.name
        ))),
    }
}
