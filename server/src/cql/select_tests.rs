use std::sync::Arc;

use sibyl_protocol::cql::ast::Statement;
use sibyl_protocol::cql::parse;
use sibyl_protocol::value::{CqlType, CqlValue};

use super::*;
use crate::cql::system_views::{LocalNode, rows};
use crate::schema::system_keyspaces::bootstrap_schema;
use crate::schema::{KeyspaceMetadata, Replication, Schema, TableDefinition, TableMetadata};

fn schema() -> Schema {
    let mut schema = bootstrap_schema();
    let mut ks = KeyspaceMetadata::new(
        "ks",
        Replication::Simple {
            replication_factor: 1,
        },
        true,
    );
    for name in ["a", "b"] {
        let def = TableDefinition {
            columns: vec![
                ("k".into(), CqlType::Int, false),
                ("c".into(), CqlType::Text, false),
                ("v".into(), CqlType::Text, false),
            ],
            partition_key: vec!["k".into()],
            clustering: vec!["c".into()],
            ..Default::default()
        };
        let table = TableMetadata::create("ks", name, uuid::Uuid::from_u128(9), def).unwrap();
        ks.tables.insert(name.into(), Arc::new(table));
    }
    schema.keyspaces.insert("ks".into(), Arc::new(ks));
    schema
}

fn local() -> LocalNode {
    LocalNode {
        cluster_name: "Test Cluster".into(),
        dc: "datacenter1".into(),
        rack: "rack1".into(),
        host_id: uuid::Uuid::from_u128(42),
        listen_address: "127.0.0.1".parse().unwrap(),
        native_port: 9042,
        storage_port: 7000,
        tokens: vec![-5, 7],
        gossip_generation: 1,
    }
}

fn run(schema: &Schema, cql: &str) -> Result<ResultSet, RequestError> {
    let Statement::Select(select) = parse(cql).unwrap() else {
        panic!("not a select")
    };
    let keyspace = select.table.keyspace.as_ref().unwrap().as_str().to_owned();
    let table = schema
        .table(&keyspace, select.table.name.as_str())
        .unwrap()
        .clone();
    let all = rows(
        schema,
        &keyspace,
        &table,
        &local(),
        "127.0.0.1".parse().unwrap(),
    )
    .unwrap();
    static MAKE: fn(i64) -> uuid::Uuid = |_| uuid::Uuid::nil();
    let ctx = BindContext {
        values: &[],
        now_us: 0,
        timeuuid: &MAKE,
    };
    execute(&table, &select, all, &ctx)
}

#[test]
fn system_local_answers_what_drivers_ask() {
    let schema = schema();
    let result = run(&schema, "SELECT * FROM system.local WHERE key='local'").unwrap();
    assert_eq!(result.rows.len(), 1);
    let by_name = |name: &str| {
        let i = result.columns.iter().position(|c| c.name == name).unwrap();
        result.rows[0][i].clone()
    };
    assert_eq!(
        by_name("release_version"),
        Some(CqlValue::Text("5.0.0".into()))
    );
    assert_eq!(
        by_name("partitioner"),
        Some(CqlValue::Text(
            "org.apache.cassandra.dht.Murmur3Partitioner".into()
        ))
    );
    assert_eq!(
        by_name("schema_version"),
        Some(CqlValue::Uuid(schema.version()))
    );
    assert_eq!(
        by_name("tokens"),
        Some(CqlValue::Set(vec![
            CqlValue::Text("-5".into()),
            CqlValue::Text("7".into())
        ]))
    );
    let version = run(&schema, "SELECT schema_version FROM system.local").unwrap();
    assert_eq!(version.columns.len(), 1);
    assert_eq!(version.columns[0].name, "schema_version");
    assert!(
        run(&schema, "SELECT * FROM system.peers")
            .unwrap()
            .rows
            .is_empty()
    );
}

#[test]
fn schema_tables_filter_by_keyspace_and_table() {
    let schema = schema();
    let tables = run(
        &schema,
        "SELECT keyspace_name, table_name FROM system_schema.tables WHERE keyspace_name = 'ks'",
    )
    .unwrap();
    let names: Vec<_> = tables.rows.iter().map(|r| r[1].clone().unwrap()).collect();
    assert_eq!(
        names,
        [CqlValue::Text("a".into()), CqlValue::Text("b".into())]
    );
    let columns = run(&schema, "SELECT column_name, kind, position, type FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 'a'").unwrap();
    assert_eq!(columns.rows.len(), 3);
    let kinds: Vec<_> = columns
        .rows
        .iter()
        .map(|r| {
            (
                r[0].clone().unwrap(),
                r[1].clone().unwrap(),
                r[2].clone().unwrap(),
            )
        })
        .collect();
    assert!(kinds.contains(&(
        CqlValue::Text("k".into()),
        CqlValue::Text("partition_key".into()),
        CqlValue::Int(0)
    )));
    assert!(kinds.contains(&(
        CqlValue::Text("v".into()),
        CqlValue::Text("regular".into()),
        CqlValue::Int(-1)
    )));
    let keyspaces = run(&schema, "SELECT * FROM system_schema.keyspaces").unwrap();
    assert!(
        keyspaces.rows.len() >= 6,
        "user keyspace plus the system ones"
    );
}

#[test]
fn in_ranges_limits_counts_and_aliases() {
    let schema = schema();
    let r = run(&schema, "SELECT table_name AS t FROM system_schema.tables WHERE keyspace_name IN ('ks', 'nope') AND table_name > 'a'").unwrap();
    assert_eq!(r.columns[0].name, "t");
    assert_eq!(r.rows, vec![vec![Some(CqlValue::Text("b".into()))]]);
    let count = run(
        &schema,
        "SELECT count(*) FROM system_schema.tables WHERE keyspace_name = 'ks'",
    )
    .unwrap();
    assert_eq!(count.rows, vec![vec![Some(CqlValue::Bigint(2))]]);
    let limited = run(&schema, "SELECT * FROM system_schema.keyspaces LIMIT 2").unwrap();
    assert_eq!(limited.rows.len(), 2);
    let err = run(&schema, "SELECT nope FROM system_schema.keyspaces").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Undefined column name nope in table system_schema.keyspaces"
    );
}
