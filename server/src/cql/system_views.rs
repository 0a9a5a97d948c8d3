//! The system tables drivers read at connect and after schema changes,
//! generated from the node's state and the schema snapshot (COMPAT §2):
//! `system.local`, `system.peers`, `system.peers_v2` and `system_schema.*`.
//!
//! Rows come out in the table's `SELECT *` column order, as `CqlValue`s, so
//! the ordinary SELECT machinery filters and projects them.
//!
//! `system.peers` and `system.peers_v2` come from gossip's view of the other
//! endpoints ([`EndpointView`]): never this node, never a node that left the
//! ring or announced no tokens yet (Cassandra writes a peer's row once it
//! joins), alive or down alike.

use std::collections::BTreeMap;
use std::net::IpAddr;

use sibyl_protocol::value::{CqlType, CqlValue};

use crate::gossip::EndpointView;
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

/// The rows of a generated system table, or `None` if `keyspace.table` is not one.
/// The peers tables come out empty: a single node's view ([`rows_with_peers`] takes gossip's).
pub fn rows(
    schema: &Schema,
    keyspace: &str,
    table: &TableMetadata,
    local: &LocalNode,
    rpc_address: IpAddr,
) -> Option<Vec<Vec<Option<CqlValue>>>> {
    rows_with_peers(schema, keyspace, table, local, rpc_address, &[])
}

/// The rows of a generated system table, or `None` if `keyspace.table` is not one;
/// `system.peers` and `system.peers_v2` list the endpoints of `peers` (gossip's
/// [`crate::gossip::Gossiper::endpoints`]) other than this node that are in the ring.
pub fn rows_with_peers(
    schema: &Schema,
    keyspace: &str,
    table: &TableMetadata,
    local: &LocalNode,
    rpc_address: IpAddr,
    peers: &[EndpointView],
) -> Option<Vec<Vec<Option<CqlValue>>>> {
    let named = match (keyspace, table.name.as_str()) {
        (SYSTEM, "local") => vec![local_row(local, schema, rpc_address)],
        (SYSTEM, "peers") => listed_peers(local, peers).map(peer_row).collect(),
        (SYSTEM, "peers_v2") => listed_peers(local, peers)
            .map(|p| peer_v2_row(p, local))
            .collect(),
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
    Some(
        named
            .into_iter()
            .map(|row| table.row_in_select_star_order(row))
            .collect(),
    )
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

/// The peers a peers table lists: other nodes that joined the ring.
fn listed_peers<'a>(
    local: &'a LocalNode,
    peers: &'a [EndpointView],
) -> impl Iterator<Item = &'a EndpointView> {
    peers
        .iter()
        .filter(|p| !p.is_local && p.address != local.listen_address && p.in_ring())
}

/// The columns system.peers and system.peers_v2 share. `preferred_ip` stays null as
/// in Cassandra without a reconnecting snitch; a peer that did not gossip its release
/// version yet shows ours (drivers refuse a null one, COMPAT §7 #9).
fn peer_common(peer: &EndpointView) -> NamedRow {
    let tokens = peer.tokens.iter().map(|t| text(&t.to_string())).collect();
    let mut row = BTreeMap::from([
        ("peer", CqlValue::Inet(peer.address)),
        (
            "release_version",
            text(peer.release_version.as_deref().unwrap_or(RELEASE_VERSION)),
        ),
        ("tokens", CqlValue::Set(tokens)),
    ]);
    let optional = [
        ("data_center", peer.dc.as_deref().map(text)),
        ("rack", peer.rack.as_deref().map(text)),
        ("host_id", peer.host_id.map(CqlValue::Uuid)),
        ("schema_version", peer.schema_version.map(CqlValue::Uuid)),
    ];
    row.extend(optional.into_iter().filter_map(|(k, v)| Some((k, v?))));
    row
}

fn peer_row(peer: &EndpointView) -> NamedRow {
    let mut row = peer_common(peer);
    let rpc_address = peer.native_address.unwrap_or(peer.address);
    row.insert("rpc_address", CqlValue::Inet(rpc_address));
    row
}

/// A peers_v2 row. Gossip carries no storage port: every Sibyl node listens on its
/// own address with the same ports, so `peer_port` is this node's storage port.
fn peer_v2_row(peer: &EndpointView, local: &LocalNode) -> NamedRow {
    let mut row = peer_common(peer);
    let native_address = peer.native_address.unwrap_or(peer.address);
    let native_port = peer.native_port.unwrap_or(local.native_port);
    row.extend([
        ("peer_port", CqlValue::Int(i32::from(local.storage_port))),
        ("native_address", CqlValue::Inet(native_address)),
        ("native_port", CqlValue::Int(i32::from(native_port))),
    ]);
    row
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::system_keyspaces::bootstrap_schema;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    fn local() -> LocalNode {
        LocalNode {
            cluster_name: "Test Cluster".into(),
            dc: "dc1".into(),
            rack: "rack1".into(),
            host_id: uuid::Uuid::from_u128(1),
            listen_address: ip(1),
            native_port: 9042,
            storage_port: 7000,
            tokens: vec![10],
            gossip_generation: 1,
        }
    }

    fn view(last: u8) -> EndpointView {
        EndpointView {
            address: ip(last),
            is_local: false,
            alive: true,
            host_id: Some(uuid::Uuid::from_u128(u128::from(last))),
            dc: Some("dc2".into()),
            rack: Some("r2".into()),
            tokens: vec![i64::from(last) * 100, -7],
            status: Some("NORMAL".into()),
            schema_version: Some(uuid::Uuid::from_u128(77)),
            native_address: Some(ip(last)),
            native_port: Some(9043),
            release_version: Some("5.0.1".into()),
            generation: 5,
        }
    }

    /// Gossip's view: this node, a live peer, a down peer with sparse state, one that
    /// left and one that has not announced tokens yet.
    fn views() -> Vec<EndpointView> {
        let mut me = view(1);
        me.is_local = true;
        let mut down = view(3);
        down.alive = false;
        down.status = Some("shutdown".into());
        down.native_address = None;
        down.native_port = None;
        down.release_version = None;
        down.rack = None;
        let mut left = view(4);
        left.status = Some("LEFT".into());
        let mut joining = view(5);
        joining.tokens.clear();
        vec![me, view(2), down, left, joining]
    }

    /// The rows of `system.<name>` as column name -> value maps.
    fn peer_rows(name: &str) -> Vec<BTreeMap<String, Option<CqlValue>>> {
        let schema = bootstrap_schema();
        let table = schema.table(SYSTEM, name).unwrap().clone();
        let rows = rows_with_peers(&schema, SYSTEM, &table, &local(), ip(1), &views()).unwrap();
        let names: Vec<String> = table.select_star_order().map(|c| c.name.clone()).collect();
        rows.into_iter()
            .map(|row| names.iter().cloned().zip(row).collect())
            .collect()
    }

    fn get<'a>(row: &'a BTreeMap<String, Option<CqlValue>>, column: &str) -> Option<&'a CqlValue> {
        row.get(column)
            .unwrap_or_else(|| panic!("no column {column}"))
            .as_ref()
    }

    #[test]
    fn peers_list_other_members_alive_or_down() {
        let rows = peer_rows("peers");
        let peers: Vec<_> = rows.iter().map(|r| get(r, "peer").cloned()).collect();
        assert_eq!(
            peers,
            vec![Some(CqlValue::Inet(ip(2))), Some(CqlValue::Inet(ip(3)))],
            "never this node, a node that left, or one without tokens"
        );
        let live = &rows[0];
        let expected = [
            ("data_center", Some(CqlValue::Text("dc2".into()))),
            ("rack", Some(CqlValue::Text("r2".into()))),
            ("host_id", Some(CqlValue::Uuid(uuid::Uuid::from_u128(2)))),
            ("rpc_address", Some(CqlValue::Inet(ip(2)))),
            ("release_version", Some(CqlValue::Text("5.0.1".into()))),
            (
                "schema_version",
                Some(CqlValue::Uuid(uuid::Uuid::from_u128(77))),
            ),
            ("preferred_ip", None),
            (
                "tokens",
                Some(CqlValue::Set(vec![
                    CqlValue::Text("200".into()),
                    CqlValue::Text("-7".into()),
                ])),
            ),
        ];
        for (column, value) in expected {
            assert_eq!(get(live, column), value.as_ref(), "{column}");
        }
        let down = &rows[1];
        assert_eq!(get(down, "rpc_address"), Some(&CqlValue::Inet(ip(3))));
        assert_eq!(
            get(down, "release_version"),
            Some(&CqlValue::Text(RELEASE_VERSION.into()))
        );
        assert_eq!(get(down, "rack"), None);
    }

    #[test]
    fn peers_v2_add_ports_and_native_address() {
        let rows = peer_rows("peers_v2");
        assert_eq!(rows.len(), 2);
        let expected = [
            (0, "peer_port", Some(CqlValue::Int(7000))),
            (0, "native_address", Some(CqlValue::Inet(ip(2)))),
            (0, "native_port", Some(CqlValue::Int(9043))),
            (0, "preferred_port", None),
            (0, "host_id", Some(CqlValue::Uuid(uuid::Uuid::from_u128(2)))),
            (1, "native_address", Some(CqlValue::Inet(ip(3)))),
            (1, "native_port", Some(CqlValue::Int(9042))),
            (1, "data_center", Some(CqlValue::Text("dc2".into()))),
        ];
        for (index, column, value) in expected {
            assert_eq!(
                get(&rows[index], column),
                value.as_ref(),
                "{index} {column}"
            );
        }
    }

    #[test]
    fn without_gossip_the_peers_tables_are_empty() {
        let schema = bootstrap_schema();
        for name in ["peers", "peers_v2"] {
            let table = schema.table(SYSTEM, name).unwrap().clone();
            let rows = rows(&schema, SYSTEM, &table, &local(), ip(1)).unwrap();
            assert!(rows.is_empty(), "{name}");
            let only_me = &views()[..1];
            let rows = rows_with_peers(&schema, SYSTEM, &table, &local(), ip(1), only_me).unwrap();
            assert!(rows.is_empty(), "{name} never lists this node");
        }
    }
}
