//! CREATE / ALTER / DROP KEYSPACE.

use std::sync::Arc;

use sibyl_protocol::cql::ast::{AlterKeyspace, CreateKeyspace, DropObject, Property};
use sibyl_protocol::response::{SchemaChangeTarget, SchemaChangeType};

use super::{DdlContext, DdlOutcome, change, option_value, refuse_system};
use crate::error::RequestError;
use crate::schema::table::check_name;
use crate::schema::{KeyspaceMetadata, OptionValue, Replication};

struct KeyspaceOptions {
    replication: Option<Replication>,
    durable_writes: Option<bool>,
}

fn parse_options(
    properties: &[Property],
    data_centers: &[String],
) -> Result<KeyspaceOptions, RequestError> {
    let mut options = KeyspaceOptions {
        replication: None,
        durable_writes: None,
    };
    for property in properties {
        match (property.name.as_str(), option_value(property)?) {
            ("replication", OptionValue::Map(map)) => {
                options.replication = Some(Replication::from_options(&map, data_centers)?);
            }
            ("durable_writes", OptionValue::Bool(b)) => options.durable_writes = Some(b),
            ("durable_writes", OptionValue::Text(t)) => {
                options.durable_writes = Some(t.eq_ignore_ascii_case("true"));
            }
            ("replication" | "durable_writes", _) => {
                return Err(RequestError::Syntax(format!(
                    "Invalid value for property '{}'",
                    property.name.as_str()
                )));
            }
            (other, _) => return Err(RequestError::Syntax(format!("Unknown property '{other}'"))),
        }
    }
    Ok(options)
}

pub(super) fn create(
    statement: &CreateKeyspace,
    ctx: &DdlContext<'_>,
) -> Result<DdlOutcome, RequestError> {
    let name = statement.name.as_str().to_owned();
    check_name("Keyspace", &name)?;
    refuse_system(&name)?;
    let options = parse_options(&statement.options, ctx.data_centers)?;
    let replication = options
        .replication
        .ok_or_else(|| RequestError::Config("Missing mandatory option 'replication'".into()))?;
    ctx.store.update(|schema| {
        if schema.keyspace(&name).is_some() {
            if statement.if_not_exists {
                return Ok((None, DdlOutcome::nothing()));
            }
            return Err(RequestError::AlreadyExists {
                keyspace: name.clone(),
                table: String::new(),
                message: format!("Keyspace {name} already exists"),
            });
        }
        let mut next = schema.clone();
        let ks = KeyspaceMetadata::new(&name, replication, options.durable_writes.unwrap_or(true));
        next.keyspaces.insert(name.clone(), Arc::new(ks));
        let target = SchemaChangeTarget::Keyspace {
            keyspace: name.clone(),
        };
        Ok((
            Some(next),
            DdlOutcome::changed(change(SchemaChangeType::Created, target)),
        ))
    })
}

pub(super) fn alter(
    statement: &AlterKeyspace,
    ctx: &DdlContext<'_>,
) -> Result<DdlOutcome, RequestError> {
    let name = statement.name.as_str().to_owned();
    refuse_system(&name)?;
    let options = parse_options(&statement.options, ctx.data_centers)?;
    ctx.store.update(|schema| {
        let Some(current) = schema.keyspace(&name) else {
            if statement.if_exists {
                return Ok((None, DdlOutcome::nothing()));
            }
            return Err(RequestError::invalid(format!(
                "Keyspace '{name}' does not exist"
            )));
        };
        let mut ks = KeyspaceMetadata::clone(current);
        if let Some(replication) = options.replication {
            ks.replication = replication;
        }
        if let Some(durable) = options.durable_writes {
            ks.durable_writes = durable;
        }
        let mut next = schema.clone();
        next.keyspaces.insert(name.clone(), Arc::new(ks));
        let target = SchemaChangeTarget::Keyspace {
            keyspace: name.clone(),
        };
        Ok((
            Some(next),
            DdlOutcome::changed(change(SchemaChangeType::Updated, target)),
        ))
    })
}

pub(super) fn drop(
    statement: &DropObject,
    ctx: &DdlContext<'_>,
) -> Result<DdlOutcome, RequestError> {
    let name = statement.name.name.as_str().to_owned();
    refuse_system(&name)?;
    ctx.store.update(|schema| {
        if schema.keyspace(&name).is_none() {
            if statement.if_exists {
                return Ok((None, DdlOutcome::nothing()));
            }
            return Err(RequestError::Config(format!(
                "Cannot drop non existing keyspace '{name}'."
            )));
        }
        let mut next = schema.clone();
        next.keyspaces.remove(&name);
        let target = SchemaChangeTarget::Keyspace {
            keyspace: name.clone(),
        };
        Ok((
            Some(next),
            DdlOutcome::changed(change(SchemaChangeType::Dropped, target)),
        ))
    })
}
