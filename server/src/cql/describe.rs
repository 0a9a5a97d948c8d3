//! Server-side DESCRIBE (what cqlsh 6 sends as plain text; COMPAT §4):
//! listings answer `keyspace_name, type, name`; definitions answer
//! `keyspace_name, type, name, create_statement`, one CQL statement per row.

use sibyl_protocol::cql::ast::{Describe, DescribeTarget, QualifiedName};
use sibyl_protocol::response::ColumnSpec;
use sibyl_protocol::value::{CqlType, CqlValue};

use super::result::ResultSet;
use crate::error::RequestError;
use crate::schema::describe::{keyspace_cql, table_cql, type_definition_cql};
use crate::schema::system_keyspaces::is_system_keyspace;
use crate::schema::{KeyspaceMetadata, Schema};

/// Snitch reported by DESCRIBE CLUSTER.
const SNITCH: &str = "org.apache.cassandra.locator.SimpleSnitch";

fn spec(name: &str) -> ColumnSpec {
    ColumnSpec {
        keyspace: "system".into(),
        table: "describe".into(),
        name: name.into(),
        ty: CqlType::Text,
    }
}

fn text(s: &str) -> Option<CqlValue> {
    Some(CqlValue::Text(s.to_owned()))
}

struct Listing(Vec<(String, &'static str, String)>);
struct Definitions(Vec<(String, &'static str, String, String)>);

impl Listing {
    fn into_result(self) -> ResultSet {
        let columns = vec![spec("keyspace_name"), spec("type"), spec("name")];
        let rows = self
            .0
            .iter()
            .map(|(ks, kind, name)| vec![text(ks), text(kind), text(name)])
            .collect();
        ResultSet { columns, rows }
    }
}

impl Definitions {
    fn keyspace(&mut self, ks: &KeyspaceMetadata, only: bool, internals: bool) {
        self.0.push((
            ks.name.clone(),
            "keyspace",
            ks.name.clone(),
            keyspace_cql(ks),
        ));
        if only {
            return;
        }
        for udt in ks.types.values() {
            self.0.push((
                ks.name.clone(),
                "type",
                udt.name.clone(),
                type_definition_cql(&ks.name, udt),
            ));
        }
        for table in ks.tables.values() {
            self.0.push((
                ks.name.clone(),
                "table",
                table.name.clone(),
                table_cql(table, internals),
            ));
        }
    }

    fn into_result(self) -> ResultSet {
        let columns = vec![
            spec("keyspace_name"),
            spec("type"),
            spec("name"),
            spec("create_statement"),
        ];
        let rows = self
            .0
            .iter()
            .map(|(ks, kind, name, cql)| vec![text(ks), text(kind), text(name), text(cql)])
            .collect();
        ResultSet { columns, rows }
    }
}

fn keyspace<'s>(schema: &'s Schema, name: &str) -> Result<&'s KeyspaceMetadata, RequestError> {
    schema
        .keyspace(name)
        .map(AsRef::as_ref)
        .ok_or_else(|| RequestError::invalid(format!("'{name}' not found in keyspaces")))
}

fn keyspace_name<'a>(
    name: &'a QualifiedName,
    session: Option<&'a str>,
) -> Result<&'a str, RequestError> {
    super::ddl::keyspace_of(name, session)
}

/// Runs a DESCRIBE statement against the schema.
///
/// # Errors
/// [`RequestError::Invalid`] for unknown objects, or no keyspace in use where one is needed.
pub fn execute(
    describe: &Describe,
    schema: &Schema,
    session: Option<&str>,
    cluster_name: &str,
) -> Result<ResultSet, RequestError> {
    let internals = describe.with_internals;
    match &describe.target {
        DescribeTarget::Keyspaces | DescribeTarget::Tables | DescribeTarget::Types => {
            Ok(listing(&describe.target, schema, session).into_result())
        }
        DescribeTarget::Functions | DescribeTarget::Aggregates => {
            Ok(Listing(Vec::new()).into_result())
        }
        DescribeTarget::Keyspace { only, name } => {
            let name = name
                .as_ref()
                .map(|n| n.as_str())
                .or(session)
                .ok_or_else(|| {
                    RequestError::invalid("No keyspace specified and no current keyspace")
                })?;
            let mut out = Definitions(Vec::new());
            out.keyspace(keyspace(schema, name)?, *only, internals);
            Ok(out.into_result())
        }
        DescribeTarget::Schema { full } => {
            let mut out = Definitions(Vec::new());
            for ks in schema
                .keyspaces
                .values()
                .filter(|k| *full || !is_system_keyspace(&k.name))
            {
                out.keyspace(ks, false, internals);
            }
            Ok(out.into_result())
        }
        DescribeTarget::Table(name) => describe_table(schema, name, session, internals),
        DescribeTarget::Type(name) => describe_type(schema, name, session),
        DescribeTarget::Cluster => {
            let columns = vec![spec("cluster"), spec("partitioner"), spec("snitch")];
            let row = vec![
                text(cluster_name),
                text(super::system_views::PARTITIONER),
                text(SNITCH),
            ];
            Ok(ResultSet {
                columns,
                rows: vec![row],
            })
        }
        DescribeTarget::Name(name) => describe_name(schema, name, session, internals),
        DescribeTarget::Function(name)
        | DescribeTarget::Aggregate(name)
        | DescribeTarget::Index(name)
        | DescribeTarget::MaterializedView(name) => {
            let ks = keyspace_name(name, session)?;
            Err(RequestError::invalid(format!(
                "'{}' not found in keyspace '{ks}'",
                name.name.as_str()
            )))
        }
    }
}

fn listing(target: &DescribeTarget, schema: &Schema, session: Option<&str>) -> Listing {
    let in_scope = |ks: &&std::sync::Arc<KeyspaceMetadata>| session.is_none_or(|s| ks.name == s);
    let keyspaces = schema.keyspaces.values();
    match target {
        DescribeTarget::Tables => Listing(
            keyspaces
                .filter(in_scope)
                .flat_map(|k| {
                    k.tables
                        .values()
                        .map(|t| (k.name.clone(), "table", t.name.clone()))
                })
                .collect(),
        ),
        DescribeTarget::Types => Listing(
            keyspaces
                .filter(in_scope)
                .flat_map(|k| {
                    k.types
                        .values()
                        .map(|t| (k.name.clone(), "type", t.name.clone()))
                })
                .collect(),
        ),
        _ => Listing(
            keyspaces
                .map(|k| (k.name.clone(), "keyspace", k.name.clone()))
                .collect(),
        ),
    }
}

fn describe_table(
    schema: &Schema,
    name: &QualifiedName,
    session: Option<&str>,
    internals: bool,
) -> Result<ResultSet, RequestError> {
    let ks_name = keyspace_name(name, session)?;
    let ks = keyspace(schema, ks_name)?;
    let table = ks.tables.get(name.name.as_str()).ok_or_else(|| {
        RequestError::invalid(format!(
            "'{}' not found in keyspace '{ks_name}'",
            name.name.as_str()
        ))
    })?;
    Ok(Definitions(vec![(
        ks.name.clone(),
        "table",
        table.name.clone(),
        table_cql(table, internals),
    )])
    .into_result())
}

fn describe_type(
    schema: &Schema,
    name: &QualifiedName,
    session: Option<&str>,
) -> Result<ResultSet, RequestError> {
    let ks_name = keyspace_name(name, session)?;
    let ks = keyspace(schema, ks_name)?;
    let udt = ks.types.get(name.name.as_str()).ok_or_else(|| {
        RequestError::invalid(format!(
            "'{}' not found in keyspace '{ks_name}'",
            name.name.as_str()
        ))
    })?;
    Ok(Definitions(vec![(
        ks.name.clone(),
        "type",
        udt.name.clone(),
        type_definition_cql(&ks.name, udt),
    )])
    .into_result())
}

fn describe_name(
    schema: &Schema,
    name: &QualifiedName,
    session: Option<&str>,
    internals: bool,
) -> Result<ResultSet, RequestError> {
    if name.keyspace.is_none()
        && let Some(ks) = schema.keyspace(name.name.as_str())
    {
        let mut out = Definitions(Vec::new());
        out.keyspace(ks, false, internals);
        return Ok(out.into_result());
    }
    let ks_name = keyspace_name(name, session)?;
    let ks = keyspace(schema, ks_name)?;
    if ks.tables.contains_key(name.name.as_str()) {
        return describe_table(schema, name, session, internals);
    }
    if ks.types.contains_key(name.name.as_str()) {
        return describe_type(schema, name, session);
    }
    Err(RequestError::invalid(format!(
        "'{}' not found in keyspace '{ks_name}'",
        name.name.as_str()
    )))
}
