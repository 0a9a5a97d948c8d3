//! CREATE / ALTER / DROP TYPE (user-defined types).

use std::sync::Arc;

use sibyl_protocol::cql::ast::{AlterType, AlterTypeAction, CreateType, DropObject};
use sibyl_protocol::response::{SchemaChangeTarget, SchemaChangeType};
use sibyl_protocol::value::{CqlType, UdtDef};

use super::{
    DdlContext, DdlOutcome, check_nesting, existing_keyspace, keyspace_of, publish, refuse_system,
    resolve_type,
};
use crate::error::RequestError;
use crate::schema::KeyspaceMetadata;
use crate::schema::table::check_name;

fn type_target(keyspace: &str, name: &str) -> SchemaChangeTarget {
    SchemaChangeTarget::Type {
        keyspace: keyspace.to_owned(),
        name: name.to_owned(),
    }
}

pub(super) fn create(
    statement: &CreateType,
    ctx: &DdlContext<'_>,
) -> Result<DdlOutcome, RequestError> {
    let keyspace = keyspace_of(&statement.name, ctx.keyspace)?.to_owned();
    let name = statement.name.name.as_str().to_owned();
    check_name("Type", &name)?;
    refuse_system(&keyspace)?;
    ctx.store.update(|schema| {
        let ks = existing_keyspace(schema, &keyspace)?;
        if ks.types.contains_key(&name) {
            if statement.if_not_exists {
                return Ok((None, DdlOutcome::nothing()));
            }
            return Err(RequestError::AlreadyExists {
                keyspace: keyspace.clone(),
                table: name.clone(),
                message: format!("A user type with name '{name}' already exists"),
            });
        }
        let mut fields: Vec<(String, sibyl_protocol::value::CqlType)> = Vec::new();
        for (field, ty) in &statement.fields {
            if fields.iter().any(|(n, _)| n == field.as_str()) {
                return Err(RequestError::invalid(format!(
                    "Duplicate field name {} in type {name}",
                    field.as_str()
                )));
            }
            let ty = resolve_type(ty, ks)?;
            check_nesting(field.as_str(), &ty, true)?;
            fields.push((field.as_str().to_owned(), ty));
        }
        let mut ks = KeyspaceMetadata::clone(ks);
        ks.types.insert(
            name.clone(),
            UdtDef {
                keyspace: keyspace.clone(),
                name: name.clone(),
                fields,
            },
        );
        publish(
            schema,
            ks,
            SchemaChangeType::Created,
            type_target(&keyspace, &name),
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
        if !ks.types.contains_key(&name) {
            if statement.if_exists {
                return Ok((None, DdlOutcome::nothing()));
            }
            return Err(RequestError::invalid(format!(
                "No user type named {keyspace}.{name} exists."
            )));
        }
        let users = ks.users_of_type(&name);
        if let Some(user) = users.first() {
            return Err(RequestError::invalid(format!(
                "Cannot drop user type {keyspace}.{name} as it is still used by {user}"
            )));
        }
        let mut ks = KeyspaceMetadata::clone(ks);
        ks.types.remove(&name);
        publish(
            schema,
            ks,
            SchemaChangeType::Dropped,
            type_target(&keyspace, &name),
        )
    })
}

pub(super) fn alter(
    statement: &AlterType,
    ctx: &DdlContext<'_>,
) -> Result<DdlOutcome, RequestError> {
    let keyspace = keyspace_of(&statement.name, ctx.keyspace)?.to_owned();
    let name = statement.name.name.as_str().to_owned();
    refuse_system(&keyspace)?;
    ctx.store.update(|schema| {
        let ks = existing_keyspace(schema, &keyspace)?;
        let Some(current) = ks.types.get(&name) else {
            if statement.if_exists {
                return Ok((None, DdlOutcome::nothing()));
            }
            return Err(RequestError::invalid(format!("No user type named {keyspace}.{name} exists.")));
        };
        let mut udt = current.clone();
        match &statement.action {
            AlterTypeAction::Add { if_not_exists, field, ty } => {
                if udt.fields.iter().any(|(n, _)| n == field.as_str()) {
                    if !*if_not_exists {
                        return Err(RequestError::invalid(format!("Cannot add new field {} to type {name}: a field with name {} already exists", field.as_str(), field.as_str())));
                    }
                } else {
                    let ty = resolve_type(ty, ks)?;
                    udt.fields.push((field.as_str().to_owned(), ty));
                }
            }
            AlterTypeAction::Rename { renames, .. } => {
                for (from, to) in renames {
                    let Some(slot) = udt.fields.iter_mut().find(|(n, _)| n == from.as_str()) else {
                        return Err(RequestError::invalid(format!("Unkown field {} in user type {name}", from.as_str())));
                    };
                    to.as_str().clone_into(&mut slot.0);
                }
            }
        }
        // Columns embed the type's definition: give every table (and type) using it the new one.
        let mut ks = KeyspaceMetadata::clone(ks);
        for table in ks.tables.values_mut() {
            if table.columns.iter().any(|c| crate::schema::keyspace::ty_mentions(&c.ty, &name)) {
                let mut updated = crate::schema::TableMetadata::clone(table);
                for column in &mut updated.columns {
                    column.ty = with_udt(&column.ty, &udt);
                }
                *table = Arc::new(updated);
            }
        }
        for other in ks.types.values_mut() {
            for (_, ty) in &mut other.fields {
                *ty = with_udt(ty, &udt);
            }
        }
        ks.types.insert(name.clone(), udt);
        publish(schema, ks, SchemaChangeType::Updated, type_target(&keyspace, &name))
    })
}

/// `ty` with every occurrence of the user type named like `udt` replaced by `udt`.
fn with_udt(ty: &CqlType, udt: &UdtDef) -> CqlType {
    let boxed = |t: &CqlType| Box::new(with_udt(t, udt));
    match ty {
        CqlType::Udt(def) if def.name == udt.name => CqlType::Udt(udt.clone()),
        CqlType::Udt(def) => CqlType::Udt(UdtDef {
            keyspace: def.keyspace.clone(),
            name: def.name.clone(),
            fields: def
                .fields
                .iter()
                .map(|(n, t)| (n.clone(), with_udt(t, udt)))
                .collect(),
        }),
        CqlType::List(t) => CqlType::List(boxed(t)),
        CqlType::Set(t) => CqlType::Set(boxed(t)),
        CqlType::Frozen(t) => CqlType::Frozen(boxed(t)),
        CqlType::Vector(t, n) => CqlType::Vector(boxed(t), *n),
        CqlType::Map(k, v) => CqlType::Map(boxed(k), boxed(v)),
        CqlType::Tuple(items) => CqlType::Tuple(items.iter().map(|t| with_udt(t, udt)).collect()),
        other => other.clone(),
    }
}
