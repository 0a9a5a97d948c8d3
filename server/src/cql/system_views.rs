//! The system tables drivers read at connect and after schema changes,
//! generated from the node's state and the schema snapshot (COMPAT §2):
//! `system.local`, `system.peers`, `system.peers_v2` and `system_schema.*`.
//!
//! Rows come out in the table's `SELECT *` column order, as `CqlValue`s, so
//! the ordinary SELECT machinery filters and projects them.

use std::collections::BTreeMap;
use std::net::IpAddr;

use sibyl_protocol::value::{CqlType, CqlValue};

use crate::schema::system_keyspaces::{SYSTEM, SYSTEM_SCHEMA};
use crate::schema::{KeyspaceMetadata, Schema, TableMetadata};

/// The Cassandra version Sibyl presents itself as (drivers pick parsers by it).
pub const RELEASE_VERSION: &str = "5.0.0";
/// The CQL version announced.
pub const CQL_VERSION: &str = "3.4.7";
/// The partitioner drivers expect for token-aware routing.
pub const PARTITIONER: &str = "org.apache.cassandra.dht.Murmur3Partitioner";

/// What `system.local` says about this node.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalNode {
    /// Cluster name.
    pub cluster_name: String,
    /// Data center.
    pub dc: String,
    /// Rack.
    pub rack: String,
    /// Stable host id.
    pub host_id: uuid::Uuid,
    /// The node's listen address.
    pub listen_address: IpAddr,
    /// Native protocol port.
    pub native_port: u16,
    /// Internode port.
    pub storage_port: u16,
    /// The node's tokens.
    pub tokens: Vec<i64>,
    /// Seconds-since-epoch generation of this process.
    pub gossip_generation: i32,
}

/// Values of one row by column name; converted to the table's column order.
type NamedRow = BTreeMap<&'static str, CqlValue>;

fn text(s: &str) -> CqlValue {
    CqlValue::Text(s.to_owned())
}

fn text_list(items: impl IntoIterator<Item = String>) -> CqlValue {
    CqlValue::List(items.into_iter().map(CqlValue::Text).collect())
}

fn text_map(map: &BTreeMap<String, String>) -> CqlValue {
    CqlValue::Map(map.iter().map(|(k, v)| (text(k), text(v))).collect())
}

fn ordered(table: &TableMetadata, mut row: NamedRow) -> Vec<Option<CqlValue>> {
    table
        .select_star_order()
        .map(|c| row.remove(c.name.as_str()))
        .collect()
}

/// The rows of a generated system table, or `None` if `keyspace.table` is not one.
pub fn rows(
    schema: &Schema,
    keyspace: &str,
    table: &TableMetadata,
    local: &LocalNode,
    rpc_address: IpAddr,
) -> Option<Vec<Vec<Option<CqlValue>>>> {
    let named = match (keyspace, table.name.as_str()) {
        (SYSTEM, "local") => vec![local_row(local, schema, rpc_address)],
        (SYSTEM, "peers" | "peers_v2") => Vec::new(),
        (SYSTEM_SCHEMA, "keyspaces") => schema
            .keyspaces
            .values()
            .map(|ks| keyspace_row(ks))
            .collect(),
        (SYSTEM_SCHEMA, "tables") => all_tables(schema).map(table_row).collect(),
        (SYSTEM_SCHEMA, "columns") => all_tables(schema).flat_map(column_rows).collect(),
        (SYSTEM_SCHEMA, "dropped_columns") => all_tables(schema).flat_map(dropped_rows).collect(),
        (SYSTEM_SCHEMA, "types") => schema
            .keyspaces
            .values()
            .flat_map(|ks| type_rows(ks))
            .collect(),
        (SYSTEM_SCHEMA, "functions" | "aggregates" | "indexes" | "triggers" | "views") => {
            Vec::new()
        }
        _ => return None,
    };
    Some(named.into_iter().map(|row| ordered(table, row)).collect())
}

/// True when `keyspace.table` is generated here rather than stored.
pub fn is_generated(keyspace: &str) -> bool {
    keyspace == SYSTEM || keyspace == SYSTEM_SCHEMA
}

fn local_row(local: &LocalNode, schema: &Schema, rpc_address: IpAddr) -> NamedRow {
    let tokens = local.tokens.iter().map(|t| text(&t.to_string())).collect();
    BTreeMap::from([
        ("key", text("local")),
        ("bootstrapped", text("COMPLETED")),
        ("broadcast_address", CqlValue::Inet(local.listen_address)),
        (
            "broadcast_port",
            CqlValue::Int(i32::from(local.storage_port)),
        ),
        ("cluster_name", text(&local.cluster_name)),
        ("cql_version", text(CQL_VERSION)),
        ("data_center", text(&local.dc)),
        ("gossip_generation", CqlValue::Int(local.gossip_generation)),
        ("host_id", CqlValue::Uuid(local.host_id)),
        ("listen_address", CqlValue::Inet(local.listen_address)),
        ("listen_port", CqlValue::Int(i32::from(local.storage_port))),
        ("native_protocol_version", text("5")),
        ("partitioner", text(PARTITIONER)),
        ("rack", text(&local.rack)),
        ("release_version", text(RELEASE_VERSION)),
        ("rpc_address", CqlValue::Inet(rpc_address)),
        ("rpc_port", CqlValue::Int(i32::from(local.native_port))),
        ("schema_version", CqlValue::Uuid(schema.version())),
        ("tokens", CqlValue::Set(tokens)),
    ])
}

fn all_tables(schema: &Schema) -> impl Iterator<Item = &TableMetadata> {
    schema
        .keyspaces
        .values()
        .flat_map(|ks| ks.tables.values().map(AsRef::as_ref))
}

fn keyspace_row(ks: &KeyspaceMetadata) -> NamedRow {
    BTreeMap::from([
        ("keyspace_name", text(&ks.name)),
        ("durable_writes", CqlValue::Boolean(ks.durable_writes)),
        ("replication", text_map(&ks.replication.to_options())),
    ])
}

fn table_row(table: &TableMetadata) -> NamedRow {
    let p = &table.params;
    BTreeMap::from([
        ("keyspace_name", text(&table.keyspace)),
        ("table_name", text(&table.name)),
        ("additional_write_policy", text(&p.additional_write_policy)),
        (
            "bloom_filter_fp_chance",
            CqlValue::Double(p.bloom_filter_fp_chance),
        ),
        ("caching", text_map(&p.caching)),
        ("cdc", CqlValue::Boolean(p.cdc)),
        ("comment", text(&p.comment)),
        ("compaction", text_map(&p.compaction)),
        ("compression", text_map(&p.compression)),
        ("crc_check_chance", CqlValue::Double(p.crc_check_chance)),
        (
            "default_time_to_live",
            CqlValue::Int(i32::try_from(p.default_time_to_live).unwrap_or(i32::MAX)),
        ),
        ("extensions", CqlValue::Map(Vec::new())),
        ("flags", CqlValue::Set(vec![text("compound")])),
        (
            "gc_grace_seconds",
            CqlValue::Int(i32::try_from(p.gc_grace_seconds).unwrap_or(i32::MAX)),
        ),
        ("id", CqlValue::Uuid(table.id)),
        (
            "max_index_interval",
            CqlValue::Int(i32::try_from(p.max_index_interval).unwrap_or(i32::MAX)),
        ),
        (
            "memtable_flush_period_in_ms",
            CqlValue::Int(i32::try_from(p.memtable_flush_period_in_ms).unwrap_or(i32::MAX)),
        ),
        (
            "min_index_interval",
            CqlValue::Int(i32::try_from(p.min_index_interval).unwrap_or(i32::MAX)),
        ),
        ("read_repair", text(&p.read_repair)),
        ("speculative_retry", text(&p.speculative_retry)),
    ])
}

fn column_rows(table: &TableMetadata) -> Vec<NamedRow> {
    table
        .columns
        .iter()
        .map(|c| {
            BTreeMap::from([
                ("keyspace_name", text(&table.keyspace)),
                ("table_name", text(&table.name)),
                ("column_name", text(&c.name)),
                ("clustering_order", text(c.schema_clustering_order())),
                (
                    "column_name_bytes",
                    CqlValue::Blob(c.name.as_bytes().to_vec()),
                ),
                ("kind", text(c.kind.schema_name())),
                ("position", CqlValue::Int(c.schema_position())),
                ("type", text(&schema_type(&c.ty))),
            ])
        })
        .collect()
}

fn dropped_rows(table: &TableMetadata) -> Vec<NamedRow> {
    table
        .dropped
        .iter()
        .map(|(name, dropped)| {
            BTreeMap::from([
                ("keyspace_name", text(&table.keyspace)),
                ("table_name", text(&table.name)),
                ("column_name", text(name)),
                (
                    "dropped_time",
                    CqlValue::Timestamp(dropped.dropped_at_us.div_euclid(1000)),
                ),
                ("kind", text(dropped.kind.schema_name())),
                ("type", text(&schema_type(&dropped.ty))),
            ])
        })
        .collect()
}

fn type_rows(ks: &KeyspaceMetadata) -> Vec<NamedRow> {
    ks.types
        .values()
        .map(|udt| {
            BTreeMap::from([
                ("keyspace_name", text(&ks.name)),
                ("type_name", text(&udt.name)),
                (
                    "field_names",
                    text_list(udt.fields.iter().map(|(n, _)| n.clone())),
                ),
                (
                    "field_types",
                    text_list(udt.fields.iter().map(|(_, t)| schema_type(t))),
                ),
            ])
        })
        .collect()
}

/// A type as `system_schema` spells it: CQL text, user types by name
/// (quoted when needed), `text` never `varchar`.
pub fn schema_type(ty: &CqlType) -> String {
    crate::schema::describe::type_cql(ty)
}
