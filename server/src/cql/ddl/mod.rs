//! Schema statements: each builds a new schema snapshot from the current one
//! (through the [`SchemaStore`], which persists before publishing) and answers
//! with a SchemaChange result, or Void when `IF [NOT] EXISTS` made it a no-op.
//!
//! Messages and error codes follow Cassandra: a missing keyspace on DROP is a
//! ConfigurationException, an unknown table an InvalidRequest, a duplicate an
//! AlreadyExists.

mod keyspace;
mod table;
mod types;

use std::collections::BTreeMap;

use sibyl_protocol::cql::ast::{CqlTypeName, Property, QualifiedName, Statement, Term};
use sibyl_protocol::response::{ResultBody, SchemaChange, SchemaChangeTarget, SchemaChangeType};
use sibyl_protocol::value::CqlType;

use crate::error::RequestError;
use crate::schema::store::SchemaStore;
use crate::schema::system_keyspaces::is_system_keyspace;
use crate::schema::{KeyspaceMetadata, OptionValue, Schema};

/// What a schema statement did.
#[derive(Debug, Clone, PartialEq)]
pub struct DdlOutcome {
    /// The result for the client.
    pub result: ResultBody,
    /// The change to announce to registered connections, if any.
    pub change: Option<SchemaChange>,
}

impl DdlOutcome {
    fn changed(change: SchemaChange) -> Self {
        Self {
            result: ResultBody::SchemaChange(change.clone()),
            change: Some(change),
        }
    }

    fn nothing() -> Self {
        Self {
            result: ResultBody::Void,
            change: None,
        }
    }
}

/// What DDL needs besides the statement.
pub struct DdlContext<'a> {
    /// The schema.
    pub store: &'a SchemaStore,
    /// The session's keyspace (`USE`), for unqualified names.
    pub keyspace: Option<&'a str>,
    /// Data centers known to the node (NetworkTopologyStrategy's shorthand).
    pub data_centers: &'a [String],
    /// Request time, µs.
    pub now_us: i64,
}

/// Runs a schema statement; `None` when `statement` is not one.
pub fn execute(
    statement: &Statement,
    ctx: &DdlContext<'_>,
) -> Option<Result<DdlOutcome, RequestError>> {
    let outcome = match statement {
        Statement::CreateKeyspace(s) => keyspace::create(s, ctx),
        Statement::AlterKeyspace(s) => keyspace::alter(s, ctx),
        Statement::DropKeyspace(s) => keyspace::drop(s, ctx),
        Statement::CreateTable(s) => table::create(s, ctx),
        Statement::AlterTable(s) => table::alter(s, ctx),
        Statement::DropTable(s) => table::drop(s, ctx),
        Statement::CreateType(s) => types::create(s, ctx),
        Statement::AlterType(s) => types::alter(s, ctx),
        Statement::DropType(s) => types::drop(s, ctx),
        _ => return None,
    };
    Some(outcome)
}

fn change(change: SchemaChangeType, target: SchemaChangeTarget) -> SchemaChange {
    SchemaChange { change, target }
}

/// The schema with `keyspace` replaced, and the SchemaChange to announce:
/// the common tail of every table and type statement.
fn publish(
    schema: &Schema,
    keyspace: KeyspaceMetadata,
    kind: SchemaChangeType,
    target: SchemaChangeTarget,
) -> Result<(Option<Schema>, DdlOutcome), RequestError> {
    let mut next = schema.clone();
    next.keyspaces
        .insert(keyspace.name.clone(), std::sync::Arc::new(keyspace));
    Ok((Some(next), DdlOutcome::changed(change(kind, target))))
}

/// The keyspace a possibly unqualified name lives in.
///
/// # Errors
/// No keyspace given and none in use.
pub fn keyspace_of<'a>(
    name: &'a QualifiedName,
    session: Option<&'a str>,
) -> Result<&'a str, RequestError> {
    name.keyspace
        .as_ref()
        .map(|k| k.as_str())
        .or(session)
        .ok_or_else(|| RequestError::invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename"))
}

fn existing_keyspace<'s>(
    schema: &'s Schema,
    name: &str,
) -> Result<&'s std::sync::Arc<KeyspaceMetadata>, RequestError> {
    schema
        .keyspace(name)
        .ok_or_else(|| RequestError::invalid(format!("Keyspace '{name}' does not exist")))
}

fn refuse_system(keyspace: &str) -> Result<(), RequestError> {
    if is_system_keyspace(keyspace) {
        return Err(RequestError::Unauthorized(format!(
            "{keyspace} keyspace is not user-modifiable."
        )));
    }
    Ok(())
}

/// A `WITH` property value as an option value.
fn option_value(property: &Property) -> Result<OptionValue, RequestError> {
    let scalar = |term: &Term| -> Option<String> {
        match term {
            Term::Str(s) | Term::Integer(s) | Term::Float(s) => Some(s.clone()),
            Term::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    match &property.value {
        Term::Str(s) => Ok(OptionValue::Text(s.clone())),
        Term::Integer(s) | Term::Float(s) => Ok(OptionValue::Number(s.clone())),
        Term::Bool(b) => Ok(OptionValue::Bool(*b)),
        Term::Map(entries) => {
            let mut map = BTreeMap::new();
            for (k, v) in entries {
                match (scalar(k), scalar(v)) {
                    (Some(k), Some(v)) => map.insert(k, v),
                    _ => {
                        return Err(RequestError::Syntax(format!(
                            "Invalid value for property '{}'",
                            property.name.as_str()
                        )));
                    }
                };
            }
            Ok(OptionValue::Map(map))
        }
        Term::Set(items) if items.is_empty() => Ok(OptionValue::Map(BTreeMap::new())),
        _ => Err(RequestError::Syntax(format!(
            "Invalid value for property '{}'",
            property.name.as_str()
        ))),
    }
}

/// Resolves a type name, looking user types up in `keyspace`.
///
/// # Errors
/// An unknown user type, or one from another keyspace.
pub fn resolve_type(
    name: &CqlTypeName,
    keyspace: &KeyspaceMetadata,
) -> Result<CqlType, RequestError> {
    let boxed = |t: &CqlTypeName| resolve_type(t, keyspace).map(Box::new);
    Ok(match name {
        CqlTypeName::Native(t) => t.clone(),
        CqlTypeName::List(t) => CqlType::List(boxed(t)?),
        CqlTypeName::Set(t) => CqlType::Set(boxed(t)?),
        CqlTypeName::Map(k, v) => CqlType::Map(boxed(k)?, boxed(v)?),
        CqlTypeName::Tuple(items) => CqlType::Tuple(
            items
                .iter()
                .map(|t| resolve_type(t, keyspace))
                .collect::<Result<_, _>>()?,
        ),
        CqlTypeName::Frozen(t) => CqlType::Frozen(boxed(t)?),
        CqlTypeName::Vector(t, n) => CqlType::Vector(boxed(t)?, *n),
        CqlTypeName::Custom(class) => CqlType::Custom(class.clone()),
        CqlTypeName::UserDefined(q) => {
            if let Some(other) = &q.keyspace
                && other.as_str() != keyspace.name
            {
                return Err(RequestError::invalid(format!(
                    "Statement on keyspace {} cannot refer to a user type in keyspace {}; user types can only be used in the keyspace they are defined in",
                    keyspace.name,
                    other.as_str()
                )));
            }
            let def = keyspace.types.get(q.name.as_str()).ok_or_else(|| {
                RequestError::invalid(format!(
                    "Unknown type {}.{}",
                    keyspace.name,
                    q.name.as_str()
                ))
            })?;
            CqlType::Udt(def.clone())
        }
        _ => return Err(RequestError::invalid("Unsupported type")),
    })
}

/// Rejects collection nestings Cassandra rejects (non-frozen inside collections).
fn check_nesting(column: &str, ty: &CqlType, top: bool) -> Result<(), RequestError> {
    let inner: Vec<&CqlType> = match ty {
        CqlType::List(t) | CqlType::Set(t) => vec![t],
        CqlType::Map(k, v) => vec![k, v],
        CqlType::Frozen(t) => return check_nesting(column, t, false).map(|_| ()),
        _ => return Ok(()),
    };
    for t in inner {
        if top && t.is_multi_cell() {
            return Err(RequestError::invalid(format!(
                "Non-frozen collections are not allowed inside collections: {ty} (column {column})"
            )));
        }
        if matches!(ty, CqlType::Set(_)) && matches!(t.unfrozen(), CqlType::Duration) {
            return Err(RequestError::invalid(
                "Durations are not allowed inside sets: set<duration>",
            ));
        }
        check_nesting(column, t, false)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "ddl_tests.rs"]
mod tests;
