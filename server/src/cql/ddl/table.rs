//! CREATE / ALTER / DROP TABLE.

use std::sync::Arc;

use sibyl_protocol::cql::ast::{
    AlterTable, AlterTableAction, ColumnDef, CreateTable, DropObject, Order, TableOptions,
};
use sibyl_protocol::response::{SchemaChangeTarget, SchemaChangeType};
use sibyl_protocol::value::order::check_clusterable;

use super::{
    DdlContext, DdlOutcome, check_nesting, existing_keyspace, keyspace_of, option_value, publish,
    refuse_system, resolve_type,
};
use crate::error::RequestError;
use crate::schema::{
    ClusteringOrder, KeyspaceMetadata, TableDefinition, TableMetadata, TableParams,
};

fn table_target(keyspace: &str, name: &str) -> SchemaChangeTarget {
    SchemaChangeTarget::Table {
        keyspace: keyspace.to_owned(),
        name: name.to_owned(),
    }
}

fn apply_options(
    params: &mut TableParams,
    options: &TableOptions,
) -> Result<Option<uuid::Uuid>, RequestError> {
    if options.compact_storage {
        return Err(RequestError::invalid(
            "Compact tables are not allowed in Cassandra starting with 4.0 version.",
        ));
    }
    let mut id = None;
    for property in &options.properties {
        let name = property.name.as_str();
        if name.eq_ignore_ascii_case("id") {
            let value = option_value(property)?;
            let text = match value {
                crate::schema::OptionValue::Text(t) => t,
                _ => return Err(RequestError::Config("Invalid table id".into())),
            };
            id = Some(
                uuid::Uuid::parse_str(&text)
                    .map_err(|e| RequestError::Config(format!("Invalid table id {text}: {e}")))?,
            );
            continue;
        }
        params.apply(name, &option_value(property)?)?;
    }
    Ok(id)
}

fn definition(
    statement: &CreateTable,
    ks: &KeyspaceMetadata,
) -> Result<(TableDefinition, Option<uuid::Uuid>), RequestError> {
    let mut columns = Vec::with_capacity(statement.columns.len());
    for ColumnDef {
        name,
        ty,
        is_static,
    } in &statement.columns
    {
        let ty = resolve_type(ty, ks)?;
        check_nesting(name.as_str(), &ty, true)?;
        columns.push((name.as_str().to_owned(), ty, *is_static));
    }
    let key = &statement.primary_key;
    for column in &key.clustering {
        if let Some((_, ty, _)) = columns.iter().find(|(n, _, _)| n == column.as_str()) {
            check_clusterable(ty.unfrozen()).map_err(|e| {
                RequestError::invalid(format!(
                    "Invalid clustering column {}: {e}",
                    column.as_str()
                ))
            })?;
        }
    }
    let clustering_order = statement
        .options
        .clustering_order
        .iter()
        .map(|(c, o)| {
            let order = if matches!(o, Order::Desc) {
                ClusteringOrder::Desc
            } else {
                ClusteringOrder::Asc
            };
            (c.as_str().to_owned(), order)
        })
        .collect();
    let mut params = TableParams::default();
    let id = apply_options(&mut params, &statement.options)?;
    let def = TableDefinition {
        columns,
        partition_key: key
            .partition
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        clustering: key
            .clustering
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        clustering_order,
        params,
    };
    Ok((def, id))
}

pub(super) fn create(
    statement: &CreateTable,
    ctx: &DdlContext<'_>,
) -> Result<DdlOutcome, RequestError> {
    let keyspace = keyspace_of(&statement.name, ctx.keyspace)?.to_owned();
    let name = statement.name.name.as_str().to_owned();
    refuse_system(&keyspace)?;
    ctx.store.update(|schema| {
        let ks = existing_keyspace(schema, &keyspace)?;
        if ks.tables.contains_key(&name) || ks.types.contains_key(&name) {
            if statement.if_not_exists {
                return Ok((None, DdlOutcome::nothing()));
            }
            return Err(RequestError::AlreadyExists {
                keyspace: keyspace.clone(),
                table: name.clone(),
                message: format!("Object {keyspace}.{name} already exists"),
            });
        }
        let (def, id) = definition(statement, ks)?;
        let id = id.unwrap_or_else(uuid::Uuid::new_v4);
        if schema.table_by_id(id).is_some() {
            return Err(RequestError::AlreadyExists {
                keyspace: keyspace.clone(),
                table: name.clone(),
                message: format!("Table id {id} is already in use"),
            });
        }
        let table = TableMetadata::create(&keyspace, &name, id, def)?;
        let mut ks = KeyspaceMetadata::clone(ks);
        ks.tables.insert(name.clone(), Arc::new(table));
        publish(
            schema,
            ks,
            SchemaChangeType::Created,
            table_target(&keyspace, &name),
        )
    })
}

pub(super) fn drop(
    statement: &DropObject,
    ctx: &DdlContext<'_>,
) -> Result<DdlOutcome, RequestError> {
    let keyspace = keyspace_of(&statement.name, ctx.keyspace)?.to_owned();
    let name = statement.name.name.as_str().to_owned();
    refuse_system(&keyspace)?;
    ctx.store.update(|schema| {
        let ks = existing_keyspace(schema, &keyspace)?;
        if !ks.tables.contains_key(&name) {
            if statement.if_exists {
                return Ok((None, DdlOutcome::nothing()));
            }
            return Err(RequestError::invalid(format!(
                "Table '{keyspace}.{name}' doesn't exist"
            )));
        }
        let mut ks = KeyspaceMetadata::clone(ks);
        ks.tables.remove(&name);
        publish(
            schema,
            ks,
            SchemaChangeType::Dropped,
            table_target(&keyspace, &name),
        )
    })
}

pub(super) fn alter(
    statement: &AlterTable,
    ctx: &DdlContext<'_>,
) -> Result<DdlOutcome, RequestError> {
    let keyspace = keyspace_of(&statement.name, ctx.keyspace)?.to_owned();
    let name = statement.name.name.as_str().to_owned();
    refuse_system(&keyspace)?;
    ctx.store.update(|schema| {
        let ks = existing_keyspace(schema, &keyspace)?;
        let Some(current) = ks.tables.get(&name) else {
            if statement.if_exists {
                return Ok((None, DdlOutcome::nothing()));
            }
            return Err(RequestError::invalid(format!(
                "Table '{keyspace}.{name}' doesn't exist"
            )));
        };
        let mut table = TableMetadata::clone(current);
        alter_table(&mut table, &statement.action, ks, ctx.now_us)?;
        let mut ks = KeyspaceMetadata::clone(ks);
        ks.tables.insert(name.clone(), Arc::new(table));
        publish(
            schema,
            ks,
            SchemaChangeType::Updated,
            table_target(&keyspace, &name),
        )
    })
}

fn alter_table(
    table: &mut TableMetadata,
    action: &AlterTableAction,
    ks: &KeyspaceMetadata,
    now_us: i64,
) -> Result<(), RequestError> {
    match action {
        AlterTableAction::Add {
            if_not_exists,
            columns,
        } => {
            for column in columns {
                if *if_not_exists && table.column(column.name.as_str()).is_some() {
                    continue;
                }
                let ty = resolve_type(&column.ty, ks)?;
                check_nesting(column.name.as_str(), &ty, true)?;
                table.add_column(column.name.as_str(), ty, column.is_static)?;
            }
        }
        AlterTableAction::Drop {
            if_exists, columns, ..
        } => {
            for column in columns {
                if *if_exists && table.column(column.as_str()).is_none() {
                    continue;
                }
                table.drop_column(column.as_str(), now_us)?;
            }
        }
        AlterTableAction::Rename { if_exists, renames } => {
            for (from, to) in renames {
                if *if_exists && table.column(from.as_str()).is_none() {
                    continue;
                }
                table.rename_column(from.as_str(), to.as_str())?;
            }
        }
        AlterTableAction::With(options) => {
            if !options.clustering_order.is_empty() {
                return Err(RequestError::invalid(
                    "Cannot change the clustering order of an existing table",
                ));
            }
            let mut params = table.params.clone();
            if apply_options(&mut params, options)?.is_some() {
                return Err(RequestError::invalid("Cannot alter table id."));
            }
            table.params = params;
        }
    }
    Ok(())
}
