//! DELETE: partition, row, range and cell tombstones.

use sibyl_protocol::cql::ast::{ColumnRef, Delete};
use sibyl_protocol::value::CqlType;
use sibyl_storage::model::{
    Cell, ClusteringKey, DeletionTime, PartitionUpdate, RangeTombstone, Row,
};

use super::super::keys::KeyRestrictions;
use super::super::terms::bind;
use super::super::values::element_path;
use super::lists::{self, ListOp};
use super::{WriteContext, attrs, column, lwt_unsupported};
use crate::error::RequestError;
use crate::schema::{ColumnKind, TableMetadata};
use crate::storage::engine_id;

/// Builds the DELETE's mutations.
///
/// # Errors
/// Missing partition key, unsupported restrictions, unknown columns.
pub fn delete(
    table: &TableMetadata,
    delete: &Delete,
    ctx: &WriteContext<'_>,
) -> Result<Vec<PartitionUpdate>, RequestError> {
    if delete.conditions.is_some() {
        return Err(lwt_unsupported());
    }
    let attrs = attrs(table, &delete.using, ctx)?;
    let keys = KeyRestrictions::new(table, &delete.where_clause, &ctx.bind)?;
    if !keys.others.is_empty() {
        return Err(RequestError::invalid(
            "Non PRIMARY KEY columns found in where clause",
        ));
    }
    let deletion = DeletionTime::new(attrs.timestamp, attrs.now_s);
    let full_clustering = keys.clustering.len() == table.columns_of(ColumnKind::Clustering).count()
        && keys.clustering_range.is_none();
    let mut out = Vec::new();
    for key in keys.partition_keys(table)? {
        let mut update = PartitionUpdate::new(engine_id(table), key);
        if delete.columns.is_empty() {
            if keys.clustering.is_empty() && keys.clustering_range.is_none() {
                update = update.with_partition_deletion(deletion);
            } else if full_clustering {
                for clustering in keys.clustering_keys(table)? {
                    update.add_row(Row::new(clustering).with_deletion(deletion));
                }
            } else {
                for slice in keys.clustering_slices(table)? {
                    update = update.with_range_tombstone(RangeTombstone::new(slice, deletion));
                }
            }
        } else {
            let target = Target {
                keys: &keys,
                full_clustering,
                deletion,
                attrs,
            };
            delete_columns(table, delete, &target, &mut update, ctx)?;
        }
        out.push(update);
    }
    Ok(out)
}

/// The rows a column DELETE addresses and its deletion time.
struct Target<'a> {
    keys: &'a KeyRestrictions,
    full_clustering: bool,
    deletion: DeletionTime,
    attrs: super::Attrs,
}

fn delete_columns(
    table: &TableMetadata,
    delete: &Delete,
    target: &Target<'_>,
    update: &mut PartitionUpdate,
    ctx: &WriteContext<'_>,
) -> Result<(), RequestError> {
    let Target {
        keys,
        full_clustering,
        deletion,
        attrs,
    } = *target;
    let mut template = Row::new(ClusteringKey::new(bytes::Bytes::new()));
    let mut static_row = Row::new(ClusteringKey::new(bytes::Bytes::new()));
    let mut list_ops: Vec<ListOp<'_>> = Vec::new();
    for target in &delete.columns {
        let (ColumnRef::Column(name) | ColumnRef::Element(name, _) | ColumnRef::Field(name, _)) =
            target;
        let meta = column(table, name.as_str())?;
        if matches!(meta.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
            return Err(RequestError::invalid(format!(
                "Invalid identifier {} for deletion (should not be a PRIMARY KEY part)",
                meta.name
            )));
        }
        let row = if meta.kind == ColumnKind::Static {
            &mut static_row
        } else {
            &mut template
        };
        list_ops.extend(delete_target(row, meta, target, deletion, ctx)?);
    }
    let (static_ops, row_ops): (Vec<ListOp<'_>>, Vec<ListOp<'_>>) = list_ops
        .into_iter()
        .partition(|op| op.column().kind == ColumnKind::Static);
    if !static_ops.is_empty() {
        let read = lists::reader(ctx)?;
        lists::apply(
            &static_ops,
            table,
            &update.key,
            None,
            &mut static_row,
            attrs,
            read,
        )?;
    }
    if !static_row.is_empty() {
        update.static_row = Some(static_row);
    }
    if !template.is_empty() || !row_ops.is_empty() {
        if !full_clustering {
            return Err(RequestError::invalid(
                "Range deletions are not supported for specific columns",
            ));
        }
        for clustering in keys.clustering_keys(table)? {
            let mut row = template.clone();
            if !row_ops.is_empty() {
                let read = lists::reader(ctx)?;
                let key = update.key.clone();
                lists::apply(
                    &row_ops,
                    table,
                    &key,
                    Some(&clustering),
                    &mut row,
                    attrs,
                    read,
                )?;
            }
            row.clustering = clustering;
            update.add_row(row);
        }
    }
    Ok(())
}

/// Adds the tombstone of one DELETE target to `row`, or returns the list
/// operation that must read the row's list first.
fn delete_target<'t>(
    row: &mut Row,
    meta: &'t crate::schema::ColumnMetadata,
    target: &ColumnRef,
    deletion: DeletionTime,
    ctx: &WriteContext<'_>,
) -> Result<Option<ListOp<'t>>, RequestError> {
    match target {
        ColumnRef::Column(_) if meta.ty.is_multi_cell() => {
            row.add_complex_deletion(meta.id, deletion)
        }
        ColumnRef::Column(_) => row.add_cell(Cell::tombstone(
            meta.id,
            deletion.marked_for_delete_at,
            deletion.local_deletion_time,
        )),
        ColumnRef::Element(_, key) => {
            if !meta.ty.is_multi_cell() {
                return Err(RequestError::invalid(format!(
                    "Invalid operation for frozen collection column {}",
                    meta.name
                )));
            }
            let key_ty = match meta.ty.unfrozen() {
                CqlType::Map(key_ty, _) | CqlType::Set(key_ty) => key_ty,
                CqlType::List(_) => {
                    return lists::delete_by_index(meta, key, ctx).map(Some);
                }
                ty => {
                    return Err(RequestError::invalid(format!(
                        "Invalid deletion of an element of column {} of type {ty}",
                        meta.name
                    )));
                }
            };
            let key = bind(key, key_ty, &meta.name, &ctx.bind)?.required(&meta.name)?;
            row.add_cell(
                Cell::tombstone(
                    meta.id,
                    deletion.marked_for_delete_at,
                    deletion.local_deletion_time,
                )
                .with_path(element_path(&meta.name, key_ty, &key)?),
            );
        }
        ColumnRef::Field(_, _) => {
            return Err(RequestError::invalid(
                "Deleting single UDT fields is not supported by this Sibyl build yet",
            ));
        }
    }
    Ok(None)
}
