use sibyl_protocol::value::{CqlType, UdtDef};

use super::*;
use crate::schema::{KeyspaceMetadata, Replication, TableDefinition, TableMetadata};

#[test]
fn identifiers_are_quoted_only_when_needed() {
    assert_eq!(quote_identifier("sensor_id"), "sensor_id");
    assert_eq!(quote_identifier("Sensor"), "\"Sensor\"");
    assert_eq!(quote_identifier("select"), "\"select\"");
    assert_eq!(
        quote_identifier("key"),
        "key",
        "unreserved keywords stay bare"
    );
    assert_eq!(quote_identifier("1st"), "\"1st\"");
    assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    assert_eq!(quote_string("it's"), "'it''s'");
}

#[test]
fn doubles_print_like_java() {
    assert_eq!(java_double(0.01), "0.01");
    assert_eq!(java_double(1.0), "1.0");
    assert_eq!(java_double(0.1), "0.1");
    assert_eq!(java_double(0.0001), "1.0E-4");
    assert_eq!(java_double(12_345_678.0), "1.2345678E7");
    assert_eq!(java_double(0.0), "0.0");
}

#[test]
fn keyspace_statement_matches_cassandra() {
    let ks = KeyspaceMetadata::new(
        "ks",
        Replication::Simple {
            replication_factor: 1,
        },
        true,
    );
    assert_eq!(
        keyspace_cql(&ks),
        "CREATE KEYSPACE ks WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', \
         'replication_factor': '1'}  AND durable_writes = true;"
    );
}

#[test]
fn table_statement_matches_cassandra_layout() {
    let def = TableDefinition {
        columns: vec![
            ("sensor".into(), CqlType::Text, false),
            ("ts".into(), CqlType::Timestamp, false),
            ("tags".into(), CqlType::Set(Box::new(CqlType::Text)), false),
            ("value".into(), CqlType::Double, false),
            ("unit".into(), CqlType::Text, true),
        ],
        partition_key: vec!["sensor".into()],
        clustering: vec!["ts".into()],
        clustering_order: vec![("ts".into(), ClusteringOrder::Desc)],
        params: Default::default(),
    };
    let t = TableMetadata::create("metrics", "readings", uuid::Uuid::from_u128(1), def).unwrap();
    let expected = "CREATE TABLE metrics.readings (
    sensor text,
    ts timestamp,
    unit text static,
    value double,
    tags set<text>,
    PRIMARY KEY (sensor, ts)
) WITH CLUSTERING ORDER BY (ts DESC)
    AND additional_write_policy = '99p'
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND cdc = false
    AND comment = ''
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND memtable = 'default'
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND extensions = {}
    AND gc_grace_seconds = 864000
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';";
    assert_eq!(table_cql(&t, false), expected);
}

#[test]
fn single_key_and_composite_key_forms() {
    let single = TableDefinition {
        columns: vec![
            ("id".into(), CqlType::Uuid, false),
            ("Name".into(), CqlType::Text, false),
        ],
        partition_key: vec!["id".into()],
        ..Default::default()
    };
    let t = TableMetadata::create("ks", "users", uuid::Uuid::from_u128(2), single).unwrap();
    let text = table_cql(&t, true);
    assert!(
        text.starts_with(
            "CREATE TABLE ks.users (\n    id uuid PRIMARY KEY,\n    \"Name\" text\n) WITH ID = "
        ),
        "{text}"
    );
    let composite = TableDefinition {
        columns: vec![
            ("a".into(), CqlType::Int, false),
            ("b".into(), CqlType::Int, false),
            ("c".into(), CqlType::Int, false),
        ],
        partition_key: vec!["a".into(), "b".into()],
        clustering: vec!["c".into()],
        ..Default::default()
    };
    let t = TableMetadata::create("ks", "t", uuid::Uuid::from_u128(3), composite).unwrap();
    assert!(
        table_cql(&t, false)
            .contains("    PRIMARY KEY ((a, b), c)\n) WITH CLUSTERING ORDER BY (c ASC)\n")
    );
}

#[test]
fn user_types_print_field_per_line() {
    let udt = UdtDef {
        keyspace: "ks".into(),
        name: "address".into(),
        fields: vec![
            ("street".into(), CqlType::Text),
            ("zip".into(), CqlType::Int),
        ],
    };
    assert_eq!(
        type_definition_cql("ks", &udt),
        "CREATE TYPE ks.address (\n    street text,\n    zip int\n);"
    );
    let nested = CqlType::Frozen(Box::new(CqlType::Udt(udt)));
    assert_eq!(type_cql(&nested), "frozen<address>");
}
