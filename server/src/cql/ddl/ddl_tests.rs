use sibyl_protocol::cql::parse;
use sibyl_protocol::response::{ResultBody, SchemaChangeTarget, SchemaChangeType};
use sibyl_protocol::value::CqlType;

use super::*;
use crate::schema::store::SchemaStore;

struct Fixture {
    _dir: tempfile::TempDir,
    store: SchemaStore,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SchemaStore::open(dir.path()).unwrap();
    Fixture { _dir: dir, store }
}

fn run(f: &Fixture, keyspace: Option<&str>, cql: &str) -> Result<DdlOutcome, RequestError> {
    let statement = parse(cql).unwrap();
    let dcs = vec!["datacenter1".to_owned()];
    let ctx = DdlContext {
        store: &f.store,
        keyspace,
        data_centers: &dcs,
        now_us: 1_000,
    };
    execute(&statement, &ctx).expect("a schema statement")
}

#[test]
fn create_keyspace_table_and_type_then_drop() {
    let f = fixture();
    let created = run(&f, None, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").unwrap();
    let change = created.change.unwrap();
    assert_eq!(
        (change.change, change.target),
        (
            SchemaChangeType::Created,
            SchemaChangeTarget::Keyspace {
                keyspace: "ks".into()
            }
        )
    );
    run(&f, Some("ks"), "CREATE TYPE address (street text, zip int)").unwrap();
    run(
        &f,
        Some("ks"),
        "CREATE TABLE readings (sensor text, day date, ts timestamp, value double, home frozen<address>, tags set<text>, \
         PRIMARY KEY ((sensor, day), ts)) WITH CLUSTERING ORDER BY (ts DESC) AND comment = 'x' AND default_time_to_live = 60",
    )
    .unwrap();
    let schema = f.store.current();
    let table = schema.table("ks", "readings").unwrap();
    assert_eq!(table.params.comment, "x");
    assert_eq!(table.params.default_time_to_live, 60);
    assert_eq!(
        table.column("ts").unwrap().order,
        Some(crate::schema::ClusteringOrder::Desc)
    );
    assert!(
        matches!(table.column("home").unwrap().ty.unfrozen(), CqlType::Udt(u) if u.name == "address")
    );
    let err = run(&f, Some("ks"), "DROP TYPE address").unwrap_err();
    assert!(err.to_string().contains("still used by readings"), "{err}");
    run(&f, None, "DROP TABLE ks.readings").unwrap();
    run(&f, None, "DROP TYPE ks.address").unwrap();
    let dropped = run(&f, None, "DROP KEYSPACE ks").unwrap();
    assert!(matches!(dropped.result, ResultBody::SchemaChange(_)));
    assert!(f.store.current().keyspace("ks").is_none());
}

#[test]
fn if_not_exists_and_if_exists_are_quiet_no_ops() {
    let f = fixture();
    let ks = "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";
    run(&f, None, ks).unwrap();
    let again = run(&f, None, ks).unwrap();
    assert_eq!(again.result, ResultBody::Void);
    assert!(again.change.is_none());
    assert_eq!(
        run(&f, None, "DROP KEYSPACE IF EXISTS nope")
            .unwrap()
            .result,
        ResultBody::Void
    );
    assert_eq!(
        run(&f, Some("ks"), "DROP TABLE IF EXISTS nope")
            .unwrap()
            .result,
        ResultBody::Void
    );
}

#[test]
fn errors_carry_cassandras_codes_and_words() {
    let f = fixture();
    run(&f, None, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").unwrap();
    let dup = run(&f, None, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").unwrap_err();
    assert_eq!(dup.to_response().kind.code(), 0x2400);
    let missing = run(&f, None, "DROP KEYSPACE nope").unwrap_err();
    assert_eq!(
        missing.to_string(),
        "Cannot drop non existing keyspace 'nope'."
    );
    assert_eq!(missing.to_response().kind.code(), 0x2300);
    let no_ks = run(&f, None, "CREATE TABLE t (k int PRIMARY KEY)").unwrap_err();
    assert!(
        no_ks
            .to_string()
            .starts_with("No keyspace has been specified")
    );
    let system = run(&f, None, "DROP KEYSPACE system").unwrap_err();
    assert_eq!(system.to_response().kind.code(), 0x2100);
    let nested = run(
        &f,
        Some("ks"),
        "CREATE TABLE t (k int PRIMARY KEY, l list<list<int>>)",
    )
    .unwrap_err();
    assert!(
        nested
            .to_string()
            .contains("Non-frozen collections are not allowed inside collections"),
        "{nested}"
    );
    let compact = run(
        &f,
        Some("ks"),
        "CREATE TABLE t (k int PRIMARY KEY, v int) WITH COMPACT STORAGE",
    )
    .unwrap_err();
    assert!(
        compact
            .to_string()
            .contains("Compact tables are not allowed")
    );
    let no_rf = run(
        &f,
        None,
        "CREATE KEYSPACE k2 WITH replication = {'class': 'SimpleStrategy'}",
    )
    .unwrap_err();
    assert_eq!(no_rf.to_response().kind.code(), 0x2300);
}

#[test]
fn alter_table_add_drop_rename_with() {
    let f = fixture();
    run(&f, None, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").unwrap();
    run(
        &f,
        Some("ks"),
        "CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))",
    )
    .unwrap();
    run(&f, Some("ks"), "ALTER TABLE t ADD w int").unwrap();
    run(&f, Some("ks"), "ALTER TABLE t DROP v").unwrap();
    run(&f, Some("ks"), "ALTER TABLE t RENAME c TO c2").unwrap();
    run(&f, Some("ks"), "ALTER TABLE t WITH gc_grace_seconds = 10").unwrap();
    let schema = f.store.current();
    let t = schema.table("ks", "t").unwrap();
    assert!(t.column("w").is_some() && t.column("v").is_none() && t.column("c2").is_some());
    assert_eq!(t.dropped["v"].dropped_at_us, 1_000);
    assert_eq!(t.params.gc_grace_seconds, 10);
    let bad = run(&f, Some("ks"), "ALTER TABLE t WITH bogus = 1").unwrap_err();
    assert!(bad.to_string().contains("Unknown property 'bogus'"));
}

#[test]
fn alter_type_reaches_the_tables_that_use_it() {
    let f = fixture();
    run(&f, None, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").unwrap();
    run(&f, Some("ks"), "CREATE TYPE addr (street text)").unwrap();
    run(
        &f,
        Some("ks"),
        "CREATE TABLE t (k int PRIMARY KEY, home frozen<addr>, many list<frozen<addr>>)",
    )
    .unwrap();
    run(&f, Some("ks"), "ALTER TYPE addr ADD zip int").unwrap();
    let schema = f.store.current();
    let table = schema.table("ks", "t").unwrap();
    for column in ["home", "many"] {
        let text = format!("{:?}", table.column(column).unwrap().ty);
        assert!(
            text.contains("zip"),
            "{column} still has the old definition: {text}"
        );
    }
}
