//! INSERT, UPDATE and DELETE -> one `PartitionUpdate` per partition.
//!
//! Cassandra's semantics: INSERT writes a row marker (the row exists even with
//! every regular column null) and UPDATE does not; a null value writes a
//! tombstone; an unset value leaves the column alone; overwriting a
//! non-frozen collection first deletes it (complex deletion at timestamp - 1);
//! DELETE writes a row, range or partition tombstone, or cell tombstones for
//! the named columns. TTL comes from `USING TTL`, else the table default.

use sibyl_protocol::cql::ast::{
    ArithOp, Assignment, ColumnRef, Delete, Insert, InsertValues, Update, UsingAttr,
};
use sibyl_protocol::value::{CqlType, CqlValue};
use sibyl_storage::model::{
    Cell, ClusteringKey, DeletionTime, LivenessInfo, PartitionKey, PartitionUpdate, RangeTombstone,
    Row,
};

use super::keys::KeyRestrictions;
use super::terms::{BindContext, Bound, bind};
use super::values::{ListPaths, element_path, field_path, partition_key, serialize};
use crate::error::RequestError;
use crate::schema::{ColumnKind, ColumnMetadata, TableMetadata};
use crate::storage::engine_id;

/// Largest TTL Cassandra accepts (20 years).
pub const TTL_SECONDS_MAX: i64 = 630_720_000;

/// What a write needs besides the statement.
pub struct WriteContext<'a> {
    /// Bound values and time.
    pub bind: BindContext<'a>,
    /// Timestamp when the statement has no `USING TIMESTAMP`, µs.
    pub default_timestamp_us: i64,
    /// List element path generator.
    pub lists: &'a ListPaths,
    /// Reads current counter shards, and this node's shard id (counter tables only).
    pub counters: Option<(&'a super::counters::CounterReader<'a>, u128)>,
}

/// Timestamp and TTL of one write.
#[derive(Clone, Copy)]
struct Attrs {
    timestamp: i64,
    ttl: Option<u32>,
    now_s: u32,
}

fn attrs(
    table: &TableMetadata,
    using: &[UsingAttr],
    ctx: &WriteContext<'_>,
) -> Result<Attrs, RequestError> {
    let mut timestamp = ctx.default_timestamp_us;
    let mut ttl = i64::from(table.params.default_time_to_live);
    for attr in using {
        match attr {
            UsingAttr::Timestamp(term) => {
                if let Bound::Value(CqlValue::Bigint(ts)) =
                    bind(term, &CqlType::Bigint, "[timestamp]", &ctx.bind)?
                {
                    timestamp = ts;
                }
            }
            UsingAttr::Ttl(term) => {
                if let Bound::Value(CqlValue::Int(t)) =
                    bind(term, &CqlType::Int, "[ttl]", &ctx.bind)?
                {
                    ttl = i64::from(t);
                }
            }
        }
    }
    if ttl < 0 {
        return Err(RequestError::invalid(format!(
            "A TTL must be greater or equal to 0, but was {ttl}"
        )));
    }
    if ttl > TTL_SECONDS_MAX {
        return Err(RequestError::invalid(format!(
            "ttl is too large. requested ({ttl}) maximum ({TTL_SECONDS_MAX})"
        )));
    }
    let now_s = u32::try_from(ctx.bind.now_us.div_euclid(1_000_000)).unwrap_or(u32::MAX);
    Ok(Attrs {
        timestamp,
        ttl: u32::try_from(ttl).ok().filter(|t| *t > 0),
        now_s,
    })
}

fn cell(column: &ColumnMetadata, attrs: Attrs, value: bytes::Bytes) -> Cell {
    match attrs.ttl {
        Some(ttl) => Cell::expiring(column.id, attrs.timestamp, value, ttl, attrs.now_s),
        None => Cell::live(column.id, attrs.timestamp, value),
    }
}

fn column<'t>(table: &'t TableMetadata, name: &str) -> Result<&'t ColumnMetadata, RequestError> {
    table.column(name).ok_or_else(|| {
        RequestError::invalid(format!(
            "Undefined column name {name} in table {}.{}",
            table.keyspace, table.name
        ))
    })
}

/// Writes `value` into `row` for `column`: a cell, a tombstone, or a whole collection.
fn write_value(
    row: &mut Row,
    column: &ColumnMetadata,
    value: Bound,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
) -> Result<(), RequestError> {
    if column.ty.is_counter() {
        return Err(RequestError::invalid(
            "Counter columns are not supported by this Sibyl build yet",
        ));
    }
    match value {
        Bound::Unset => Ok(()),
        Bound::Null if column.ty.is_multi_cell() => {
            row.add_complex_deletion(column.id, DeletionTime::new(attrs.timestamp, attrs.now_s));
            Ok(())
        }
        Bound::Null => {
            row.add_cell(Cell::tombstone(column.id, attrs.timestamp, attrs.now_s));
            Ok(())
        }
        Bound::Value(value) if column.ty.is_multi_cell() => {
            row.add_complex_deletion(
                column.id,
                DeletionTime::new(attrs.timestamp - 1, attrs.now_s),
            );
            add_elements(row, column, &value, attrs, ctx, false)
        }
        Bound::Value(value) => {
            row.add_cell(cell(
                column,
                attrs,
                serialize(&column.name, &column.ty, &value)?,
            ));
            Ok(())
        }
    }
}

/// Adds the elements of a collection or UDT value as cells (append/prepend for lists).
fn add_elements(
    row: &mut Row,
    column: &ColumnMetadata,
    value: &CqlValue,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
    prepend: bool,
) -> Result<(), RequestError> {
    let name = column.name.as_str();
    match (column.ty.unfrozen(), value) {
        (CqlType::List(elem), CqlValue::List(items)) => {
            let paths = if prepend {
                ctx.lists.prepend(attrs.timestamp, items.len())
            } else {
                ctx.lists.append(attrs.timestamp, items.len())
            };
            for (path, item) in paths.into_iter().zip(items) {
                row.add_cell(cell(column, attrs, serialize(name, elem, item)?).with_path(path));
            }
        }
        (CqlType::Set(elem), CqlValue::Set(items)) => {
            for item in items {
                row.add_cell(
                    cell(column, attrs, bytes::Bytes::new())
                        .with_path(element_path(name, elem, item)?),
                );
            }
        }
        (CqlType::Map(key_ty, value_ty), CqlValue::Map(entries)) => {
            for (k, v) in entries {
                row.add_cell(
                    cell(column, attrs, serialize(name, value_ty, v)?)
                        .with_path(element_path(name, key_ty, k)?),
                );
            }
        }
        (CqlType::Udt(def), CqlValue::Udt(fields)) => {
            for (i, ((_, field_ty), (_, field))) in def.fields.iter().zip(fields).enumerate() {
                let path = field_path(u16::try_from(i).unwrap_or(u16::MAX));
                match field {
                    Some(v) => row.add_cell(
                        cell(column, attrs, serialize(name, field_ty, v)?).with_path(path),
                    ),
                    None => row.add_cell(
                        Cell::tombstone(column.id, attrs.timestamp, attrs.now_s).with_path(path),
                    ),
                }
            }
        }
        (ty, _) => {
            return Err(RequestError::invalid(format!(
                "Invalid value for column {name} of type {ty}"
            )));
        }
    }
    Ok(())
}

/// Builds the INSERT's mutation.
///
/// # Errors
/// Missing key columns, unknown columns, values that do not bind.
pub fn insert(
    table: &TableMetadata,
    insert: &Insert,
    ctx: &WriteContext<'_>,
) -> Result<Vec<PartitionUpdate>, RequestError> {
    if insert.if_not_exists {
        return Err(lwt_unsupported());
    }
    if table.is_counter() {
        return Err(RequestError::invalid(
            "INSERT statements are not allowed on counter tables, use UPDATE instead",
        ));
    }
    let InsertValues::Values { columns, values } = &insert.values else {
        return Err(RequestError::invalid(
            "INSERT JSON is not supported by this Sibyl build yet",
        ));
    };
    if columns.len() != values.len() {
        return Err(RequestError::invalid("Unmatched column names/values"));
    }
    let attrs = attrs(table, &insert.using, ctx)?;
    let mut pk = Vec::new();
    let mut ck = Vec::new();
    let mut regular = Vec::new();
    for (name, term) in columns.iter().zip(values) {
        let meta = column(table, name.as_str())?;
        let bound = bind(term, &meta.ty, &meta.name, &ctx.bind)?;
        match meta.kind {
            ColumnKind::PartitionKey => pk.push((
                meta.position,
                bound.required(&format!("partition key part {}", meta.name))?,
            )),
            ColumnKind::Clustering => ck.push((
                meta.position,
                bound.required(&format!("clustering key part {}", meta.name))?,
            )),
            ColumnKind::Static | ColumnKind::Regular => regular.push((meta, bound)),
        }
    }
    let key = key_from(
        table,
        ColumnKind::PartitionKey,
        pk,
        "Some partition key parts are missing",
    )?;
    let key = partition_key(table, &key)?;
    let clustering = key_from(
        table,
        ColumnKind::Clustering,
        ck,
        "Some clustering keys are missing",
    )?;
    let mut update = PartitionUpdate::new(engine_id(table), key);
    let mut row = Row::new(super::values::clustering_key(table, &clustering)?);
    row.liveness = Some(match attrs.ttl {
        Some(ttl) => LivenessInfo::expiring(attrs.timestamp, ttl, attrs.now_s),
        None => LivenessInfo::new(attrs.timestamp),
    });
    let mut static_row = Row::new(ClusteringKey::new(bytes::Bytes::new()));
    for (meta, bound) in regular {
        let target = if meta.kind == ColumnKind::Static {
            &mut static_row
        } else {
            &mut row
        };
        write_value(target, meta, bound, attrs, ctx)?;
    }
    if !static_row.is_empty() {
        update.static_row = Some(static_row);
    }
    update.add_row(row);
    Ok(vec![update])
}

fn key_from(
    table: &TableMetadata,
    kind: ColumnKind,
    mut given: Vec<(u32, CqlValue)>,
    message: &str,
) -> Result<Vec<CqlValue>, RequestError> {
    given.sort_by_key(|(p, _)| *p);
    let names: Vec<&str> = table.columns_of(kind).map(|c| c.name.as_str()).collect();
    let missing: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            !given
                .iter()
                .any(|(p, _)| usize::try_from(*p).ok() == Some(*i))
        })
        .map(|(_, n)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(RequestError::invalid(format!(
            "{message}: {}",
            missing.join(", ")
        )));
    }
    Ok(given.into_iter().map(|(_, v)| v).collect())
}

fn lwt_unsupported() -> RequestError {
    RequestError::invalid(
        "Conditional updates (lightweight transactions: IF ...) are not supported by this Sibyl build yet",
    )
}

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
        return super::counters::counter_update(table, update, ctx, node, read);
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
        assign(target, meta, assignment, attrs, ctx)?;
    }
    Ok(partitions
        .into_iter()
        .map(|key| mutation(table, key, &clusterings, &template, &static_row))
        .collect())
}

fn mutation(
    table: &TableMetadata,
    key: PartitionKey,
    clusterings: &[ClusteringKey],
    template: &Row,
    static_row: &Row,
) -> PartitionUpdate {
    let mut update = PartitionUpdate::new(engine_id(table), key);
    for clustering in clusterings {
        let mut row = template.clone();
        row.clustering = clustering.clone();
        update.add_row(row);
    }
    if !static_row.is_empty() {
        update.static_row = Some(static_row.clone());
    }
    update
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

fn assign(
    row: &mut Row,
    meta: &ColumnMetadata,
    assignment: &Assignment,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
) -> Result<(), RequestError> {
    match assignment {
        Assignment::Set {
            target: ColumnRef::Column(_),
            value,
        } => {
            let bound = bind(value, &meta.ty, &meta.name, &ctx.bind)?;
            write_value(row, meta, bound, attrs, ctx)
        }
        Assignment::Set {
            target: ColumnRef::Element(_, key),
            value,
        } => assign_element(row, meta, key, value, attrs, ctx),
        Assignment::Set {
            target: ColumnRef::Field(_, field),
            value,
        } => assign_field(row, meta, field.as_str(), value, attrs, ctx),
        Assignment::Arith { op, value, .. } | Assignment::Compound { op, value, .. } => {
            collection_op(row, meta, *op, value, attrs, ctx, false)
        }
        Assignment::Prepend { value, .. } => {
            collection_op(row, meta, ArithOp::Add, value, attrs, ctx, true)
        }
    }
}

fn assign_element(
    row: &mut Row,
    meta: &ColumnMetadata,
    key: &sibyl_protocol::cql::ast::Term,
    value: &sibyl_protocol::cql::ast::Term,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
) -> Result<(), RequestError> {
    let CqlType::Map(key_ty, value_ty) = meta.ty.unfrozen() else {
        return Err(RequestError::invalid(format!(
            "Setting list elements by index is not supported by this Sibyl build yet (column {})",
            meta.name
        )));
    };
    if !meta.ty.is_multi_cell() {
        return Err(RequestError::invalid(format!(
            "Invalid operation for frozen collection column {}",
            meta.name
        )));
    }
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
    Ok(())
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

fn collection_op(
    row: &mut Row,
    meta: &ColumnMetadata,
    op: ArithOp,
    value: &sibyl_protocol::cql::ast::Term,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
    prepend: bool,
) -> Result<(), RequestError> {
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
        return Ok(());
    };
    match (op, meta.ty.unfrozen(), &v) {
        (ArithOp::Add, _, _) => add_elements(row, meta, &v, attrs, ctx, prepend),
        (ArithOp::Sub, CqlType::Set(elem), CqlValue::Set(items)) => {
            for item in items {
                row.add_cell(
                    Cell::tombstone(meta.id, attrs.timestamp, attrs.now_s)
                        .with_path(element_path(&meta.name, elem, item)?),
                );
            }
            Ok(())
        }
        (ArithOp::Sub, CqlType::Map(key_ty, _), CqlValue::Set(keys)) => {
            for key in keys {
                row.add_cell(
                    Cell::tombstone(meta.id, attrs.timestamp, attrs.now_s)
                        .with_path(element_path(&meta.name, key_ty, key)?),
                );
            }
            Ok(())
        }
        _ => Err(RequestError::invalid(format!(
            "Removing elements from list {} is not supported by this Sibyl build yet",
            meta.name
        ))),
    }
}

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
            delete_columns(
                table,
                delete,
                &keys,
                full_clustering,
                deletion,
                &mut update,
                ctx,
            )?;
        }
        out.push(update);
    }
    Ok(out)
}

fn delete_columns(
    table: &TableMetadata,
    delete: &Delete,
    keys: &KeyRestrictions,
    full_clustering: bool,
    deletion: DeletionTime,
    update: &mut PartitionUpdate,
    ctx: &WriteContext<'_>,
) -> Result<(), RequestError> {
    let mut template = Row::new(ClusteringKey::new(bytes::Bytes::new()));
    let mut static_row = Row::new(ClusteringKey::new(bytes::Bytes::new()));
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
                let (CqlType::Map(key_ty, _) | CqlType::Set(key_ty)) = meta.ty.unfrozen() else {
                    return Err(RequestError::invalid(format!(
                        "Deleting list elements by index is not supported by this Sibyl build yet ({})",
                        meta.name
                    )));
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
    }
    if !static_row.is_empty() {
        update.static_row = Some(static_row);
    }
    if !template.is_empty() {
        if !full_clustering {
            return Err(RequestError::invalid(
                "Range deletions are not supported for specific columns",
            ));
        }
        for clustering in keys.clustering_keys(table)? {
            let mut row = template.clone();
            row.clustering = clustering;
            update.add_row(row);
        }
    }
    Ok(())
}
