//! The system keyspaces every node has (`system`, `system_schema`, `system_auth`,
//! `system_distributed`, `system_traces`), with the tables and column types that
//! drivers and cqlsh read from Cassandra 4/5 (COMPAT §2).
//!
//! They are listed in `system_schema` like user keyspaces, because cqlsh refuses
//! to print rows of a table missing from the driver's metadata.

use std::sync::Arc;

use sibyl_protocol::value::CqlType;

use super::keyspace::KeyspaceMetadata;
use super::replication::Replication;
use super::table::{TableDefinition, TableMetadata};
use super::{Schema, TableParams};

/// Node-local keyspace: `local`, `peers`, `peers_v2`.
pub const SYSTEM: &str = "system";
/// Schema tables drivers read.
pub const SYSTEM_SCHEMA: &str = "system_schema";
/// Roles and permissions.
pub const SYSTEM_AUTH: &str = "system_auth";
/// Repair history and other cluster-wide bookkeeping.
pub const SYSTEM_DISTRIBUTED: &str = "system_distributed";
/// Query traces.
pub const SYSTEM_TRACES: &str = "system_traces";

/// True for the keyspaces users may not alter or drop.
pub fn is_system_keyspace(name: &str) -> bool {
    matches!(
        name,
        SYSTEM | SYSTEM_SCHEMA | SYSTEM_AUTH | SYSTEM_DISTRIBUTED | SYSTEM_TRACES
    )
}

fn text() -> CqlType {
    CqlType::Text
}
fn frozen(ty: CqlType) -> CqlType {
    CqlType::Frozen(Box::new(ty))
}
fn set_of(ty: CqlType) -> CqlType {
    CqlType::Set(Box::new(ty))
}
fn list_of(ty: CqlType) -> CqlType {
    CqlType::List(Box::new(ty))
}
fn map_of(k: CqlType, v: CqlType) -> CqlType {
    CqlType::Map(Box::new(k), Box::new(v))
}
fn text_map() -> CqlType {
    frozen(map_of(text(), text()))
}

/// Fixed id of a system table, the same on every node.
pub fn system_table_id(keyspace: &str, table: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(
        &SYSTEM_TABLE_NAMESPACE,
        format!("{keyspace}.{table}").as_bytes(),
    )
}

const SYSTEM_TABLE_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x9e3c_4f2a_1b7d_4c8e_a5f0_3d2b_6e1c_7f40);

fn table(
    keyspace: &str,
    name: &str,
    pk: &[&str],
    ck: &[&str],
    columns: Vec<(&str, CqlType)>,
) -> Arc<TableMetadata> {
    let def = TableDefinition {
        columns: columns
            .into_iter()
            .map(|(n, t)| (n.to_owned(), t, false))
            .collect(),
        partition_key: pk.iter().map(|s| (*s).to_owned()).collect(),
        clustering: ck.iter().map(|s| (*s).to_owned()).collect(),
        clustering_order: Vec::new(),
        params: TableParams::default(),
    };
    let id = system_table_id(keyspace, name);
    match TableMetadata::create(keyspace, name, id, def) {
        Ok(t) => Arc::new(t),
        // The definitions below are constants; the unit tests build every one.
        Err(e) => panic!("invalid built-in table {keyspace}.{name}: {e}"),
    }
}

fn keyspace(
    name: &str,
    replication: Replication,
    tables: Vec<Arc<TableMetadata>>,
) -> KeyspaceMetadata {
    let mut ks = KeyspaceMetadata::new(name, replication, true);
    for t in tables {
        ks.tables.insert(t.name.clone(), t);
    }
    ks
}

fn system() -> KeyspaceMetadata {
    let local = table(
        SYSTEM,
        "local",
        &["key"],
        &[],
        vec![
            ("key", text()),
            ("bootstrapped", text()),
            ("broadcast_address", CqlType::Inet),
            ("broadcast_port", CqlType::Int),
            ("cluster_name", text()),
            ("cql_version", text()),
            ("data_center", text()),
            ("gossip_generation", CqlType::Int),
            ("host_id", CqlType::Uuid),
            ("listen_address", CqlType::Inet),
            ("listen_port", CqlType::Int),
            ("native_protocol_version", text()),
            ("partitioner", text()),
            ("rack", text()),
            ("release_version", text()),
            ("rpc_address", CqlType::Inet),
            ("rpc_port", CqlType::Int),
            ("schema_version", CqlType::Uuid),
            ("tokens", set_of(text())),
            ("truncated_at", map_of(CqlType::Uuid, CqlType::Blob)),
        ],
    );
    let peer_common = || {
        vec![
            ("data_center", text()),
            ("host_id", CqlType::Uuid),
            ("preferred_ip", CqlType::Inet),
            ("rack", text()),
            ("release_version", text()),
            ("schema_version", CqlType::Uuid),
            ("tokens", set_of(text())),
        ]
    };
    let mut peers_columns = peer_common();
    peers_columns.extend([("peer", CqlType::Inet), ("rpc_address", CqlType::Inet)]);
    let peers = table(SYSTEM, "peers", &["peer"], &[], peers_columns);
    let mut v2_columns = peer_common();
    v2_columns.extend([
        ("peer", CqlType::Inet),
        ("peer_port", CqlType::Int),
        ("native_address", CqlType::Inet),
        ("native_port", CqlType::Int),
        ("preferred_port", CqlType::Int),
    ]);
    let peers_v2 = table(SYSTEM, "peers_v2", &["peer"], &["peer_port"], v2_columns);
    keyspace(SYSTEM, Replication::Local, vec![local, peers, peers_v2])
}

/// The option columns `system_schema.tables` and `.views` share.
fn table_option_columns() -> Vec<(&'static str, CqlType)> {
    vec![
        ("additional_write_policy", text()),
        ("bloom_filter_fp_chance", CqlType::Double),
        ("caching", text_map()),
        ("cdc", CqlType::Boolean),
        ("comment", text()),
        ("compaction", text_map()),
        ("compression", text_map()),
        ("crc_check_chance", CqlType::Double),
        ("default_time_to_live", CqlType::Int),
        ("extensions", frozen(map_of(text(), CqlType::Blob))),
        ("gc_grace_seconds", CqlType::Int),
        ("id", CqlType::Uuid),
        ("max_index_interval", CqlType::Int),
        ("memtable_flush_period_in_ms", CqlType::Int),
        ("min_index_interval", CqlType::Int),
        ("read_repair", text()),
        ("speculative_retry", text()),
    ]
}

#[expect(
    clippy::too_many_lines,
    reason = "a declarative list of table definitions; splitting it hides nothing"
)]
fn system_schema() -> KeyspaceMetadata {
    let ks = SYSTEM_SCHEMA;
    let keyspaces = table(
        ks,
        "keyspaces",
        &["keyspace_name"],
        &[],
        vec![
            ("keyspace_name", text()),
            ("durable_writes", CqlType::Boolean),
            ("replication", text_map()),
        ],
    );
    let mut table_columns = table_option_columns();
    table_columns.extend([
        ("keyspace_name", text()),
        ("table_name", text()),
        ("flags", frozen(set_of(text()))),
    ]);
    let tables = table(
        ks,
        "tables",
        &["keyspace_name"],
        &["table_name"],
        table_columns,
    );
    let columns = table(
        ks,
        "columns",
        &["keyspace_name"],
        &["table_name", "column_name"],
        vec![
            ("keyspace_name", text()),
            ("table_name", text()),
            ("column_name", text()),
            ("clustering_order", text()),
            ("column_name_bytes", CqlType::Blob),
            ("kind", text()),
            ("position", CqlType::Int),
            ("type", text()),
        ],
    );
    let dropped = table(
        ks,
        "dropped_columns",
        &["keyspace_name"],
        &["table_name", "column_name"],
        vec![
            ("keyspace_name", text()),
            ("table_name", text()),
            ("column_name", text()),
            ("dropped_time", CqlType::Timestamp),
            ("kind", text()),
            ("type", text()),
        ],
    );
    let types = table(
        ks,
        "types",
        &["keyspace_name"],
        &["type_name"],
        vec![
            ("keyspace_name", text()),
            ("type_name", text()),
            ("field_names", frozen(list_of(text()))),
            ("field_types", frozen(list_of(text()))),
        ],
    );
    let functions = table(
        ks,
        "functions",
        &["keyspace_name"],
        &["function_name", "argument_types"],
        vec![
            ("keyspace_name", text()),
            ("function_name", text()),
            ("argument_types", frozen(list_of(text()))),
            ("argument_names", frozen(list_of(text()))),
            ("body", text()),
            ("called_on_null_input", CqlType::Boolean),
            ("language", text()),
            ("return_type", text()),
        ],
    );
    let aggregates = table(
        ks,
        "aggregates",
        &["keyspace_name"],
        &["aggregate_name", "argument_types"],
        vec![
            ("keyspace_name", text()),
            ("aggregate_name", text()),
            ("argument_types", frozen(list_of(text()))),
            ("final_func", text()),
            ("initcond", text()),
            ("return_type", text()),
            ("state_func", text()),
            ("state_type", text()),
        ],
    );
    let indexes = table(
        ks,
        "indexes",
        &["keyspace_name"],
        &["table_name", "index_name"],
        vec![
            ("keyspace_name", text()),
            ("table_name", text()),
            ("index_name", text()),
            ("kind", text()),
            ("options", text_map()),
        ],
    );
    let triggers = table(
        ks,
        "triggers",
        &["keyspace_name"],
        &["table_name", "trigger_name"],
        vec![
            ("keyspace_name", text()),
            ("table_name", text()),
            ("trigger_name", text()),
            ("options", text_map()),
        ],
    );
    let mut view_columns = table_option_columns();
    view_columns.extend([
        ("keyspace_name", text()),
        ("view_name", text()),
        ("base_table_id", CqlType::Uuid),
        ("base_table_name", text()),
        ("include_all_columns", CqlType::Boolean),
        ("where_clause", text()),
    ]);
    let views = table(
        ks,
        "views",
        &["keyspace_name"],
        &["view_name"],
        view_columns,
    );
    let all = vec![
        keyspaces, tables, columns, dropped, types, functions, aggregates, indexes, triggers, views,
    ];
    keyspace(ks, Replication::Local, all)
}

fn system_auth() -> KeyspaceMetadata {
    let ks = SYSTEM_AUTH;
    let roles = table(
        ks,
        "roles",
        &["role"],
        &[],
        vec![
            ("role", text()),
            ("can_login", CqlType::Boolean),
            ("is_superuser", CqlType::Boolean),
            ("member_of", set_of(text())),
            ("salted_hash", text()),
        ],
    );
    let members = table(
        ks,
        "role_members",
        &["role"],
        &["member"],
        vec![("role", text()), ("member", text())],
    );
    let permissions = table(
        ks,
        "role_permissions",
        &["role"],
        &["resource"],
        vec![
            ("role", text()),
            ("resource", text()),
            ("permissions", set_of(text())),
        ],
    );
    keyspace(
        ks,
        Replication::Simple {
            replication_factor: 1,
        },
        vec![roles, members, permissions],
    )
}

fn system_traces() -> KeyspaceMetadata {
    let ks = SYSTEM_TRACES;
    let sessions = table(
        ks,
        "sessions",
        &["session_id"],
        &[],
        vec![
            ("session_id", CqlType::Uuid),
            ("client", CqlType::Inet),
            ("command", text()),
            ("coordinator", CqlType::Inet),
            ("coordinator_port", CqlType::Int),
            ("duration", CqlType::Int),
            ("parameters", map_of(text(), text())),
            ("request", text()),
            ("started_at", CqlType::Timestamp),
        ],
    );
    let events = table(
        ks,
        "events",
        &["session_id"],
        &["event_id"],
        vec![
            ("session_id", CqlType::Uuid),
            ("event_id", CqlType::Timeuuid),
            ("activity", text()),
            ("source", CqlType::Inet),
            ("source_elapsed", CqlType::Int),
            ("source_port", CqlType::Int),
            ("thread", text()),
        ],
    );
    keyspace(
        ks,
        Replication::Simple {
            replication_factor: 2,
        },
        vec![sessions, events],
    )
}

fn system_distributed() -> KeyspaceMetadata {
    let ks = SYSTEM_DISTRIBUTED;
    let history = table(
        ks,
        "repair_history",
        &["keyspace_name", "columnfamily_name"],
        &["id"],
        vec![
            ("keyspace_name", text()),
            ("columnfamily_name", text()),
            ("id", CqlType::Timeuuid),
            ("coordinator", CqlType::Inet),
            ("exception_message", text()),
            ("finished_at", CqlType::Timestamp),
            ("range_begin", text()),
            ("range_end", text()),
            ("started_at", CqlType::Timestamp),
            ("status", text()),
        ],
    );
    keyspace(
        ks,
        Replication::Simple {
            replication_factor: 3,
        },
        vec![history],
    )
}

/// A schema holding only the system keyspaces: what a fresh node starts from.
pub fn bootstrap_schema() -> Schema {
    let mut schema = Schema::default();
    for ks in [
        system(),
        system_schema(),
        system_auth(),
        system_distributed(),
        system_traces(),
    ] {
        schema.keyspaces.insert(ks.name.clone(), Arc::new(ks));
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ColumnKind;

    #[test]
    fn every_system_table_builds_with_driver_visible_types() {
        let schema = bootstrap_schema();
        let local = schema.table(SYSTEM, "local").unwrap();
        assert_eq!(local.column("tokens").unwrap().ty.to_string(), "set<text>");
        assert_eq!(local.column("schema_version").unwrap().ty, CqlType::Uuid);
        assert_eq!(local.column("rpc_address").unwrap().ty, CqlType::Inet);
        let v2 = schema.table(SYSTEM, "peers_v2").unwrap();
        assert_eq!(v2.column("peer_port").unwrap().kind, ColumnKind::Clustering);
        let ks = schema.table(SYSTEM_SCHEMA, "keyspaces").unwrap();
        assert_eq!(
            ks.column("replication").unwrap().ty.to_string(),
            "frozen<map<text, text>>"
        );
        let tables = schema.table(SYSTEM_SCHEMA, "tables").unwrap();
        assert_eq!(
            tables.column("flags").unwrap().ty.to_string(),
            "frozen<set<text>>"
        );
        for name in [
            "keyspaces",
            "tables",
            "columns",
            "types",
            "functions",
            "aggregates",
            "triggers",
            "indexes",
            "views",
        ] {
            assert!(
                schema.table(SYSTEM_SCHEMA, name).is_some(),
                "system_schema.{name}"
            );
        }
        let events = schema.table(SYSTEM_TRACES, "events").unwrap();
        assert_eq!(events.column("event_id").unwrap().ty, CqlType::Timeuuid);
    }

    #[test]
    fn system_table_ids_are_stable_and_distinct() {
        assert_eq!(
            system_table_id(SYSTEM, "local"),
            system_table_id(SYSTEM, "local")
        );
        assert_ne!(
            system_table_id(SYSTEM, "local"),
            system_table_id(SYSTEM, "peers")
        );
        assert_eq!(bootstrap_schema().version(), bootstrap_schema().version());
    }
}
