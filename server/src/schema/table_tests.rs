use sibyl_protocol::value::CqlType;

use super::*;
use crate::schema::{KeyspaceMetadata, Replication, Schema};

fn def(columns: &[(&str, CqlType, bool)], pk: &[&str], ck: &[&str]) -> TableDefinition {
    TableDefinition {
        columns: columns
            .iter()
            .map(|(n, t, s)| ((*n).to_owned(), t.clone(), *s))
            .collect(),
        partition_key: pk.iter().map(|s| (*s).to_owned()).collect(),
        clustering: ck.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    }
}

fn id() -> uuid::Uuid {
    uuid::Uuid::from_u128(7)
}

#[test]
fn columns_are_in_select_star_order_with_positions() {
    let mut d = def(
        &[
            ("value", CqlType::Double, false),
            ("sensor", CqlType::Text, false),
            ("ts", CqlType::Timestamp, false),
            ("day", CqlType::Date, false),
            ("alias", CqlType::Text, true),
        ],
        &["sensor", "day"],
        &["ts"],
    );
    d.clustering_order = vec![("ts".into(), ClusteringOrder::Desc)];
    let t = TableMetadata::create("ks", "readings", id(), d).unwrap();
    let names: Vec<_> = t.select_star_order().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["sensor", "day", "ts", "alias", "value"]);
    let day = t.column("day").unwrap();
    assert_eq!(
        (day.kind, day.schema_position()),
        (ColumnKind::PartitionKey, 1)
    );
    let ts = t.column("ts").unwrap();
    assert_eq!(
        (ts.schema_position(), ts.schema_clustering_order()),
        (0, "desc")
    );
    let value = t.column("value").unwrap();
    assert_eq!(
        (value.schema_position(), value.schema_clustering_order()),
        (-1, "none")
    );
    assert_eq!(t.column("alias").unwrap().kind, ColumnKind::Static);
    let mut ids: Vec<_> = t.columns.iter().map(|c| c.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "storage ids are unique");
}

#[test]
fn invalid_definitions_are_refused_with_cassandras_wording() {
    let list = CqlType::List(Box::new(CqlType::Int));
    let cases: Vec<(TableDefinition, &str)> = vec![
        (
            def(&[("k", CqlType::Int, false)], &[], &[]),
            "No PRIMARY KEY",
        ),
        (
            def(&[("k", CqlType::Int, false)], &["x"], &[]),
            "Unknown definition x",
        ),
        (
            def(
                &[("k", CqlType::Int, false), ("k", CqlType::Int, false)],
                &["k"],
                &[],
            ),
            "Multiple definition",
        ),
        (
            def(&[("k", list.clone(), false)], &["k"], &[]),
            "non-frozen collection",
        ),
        (
            def(&[("k", CqlType::Counter, false)], &["k"], &[]),
            "counter type is not supported",
        ),
        (
            def(&[("k", CqlType::Duration, false)], &["k"], &[]),
            "duration type is not supported",
        ),
        (
            def(
                &[("k", CqlType::Int, false), ("s", CqlType::Int, true)],
                &["k"],
                &[],
            ),
            "without clustering",
        ),
        (
            def(
                &[
                    ("k", CqlType::Int, false),
                    ("c", CqlType::Counter, false),
                    ("v", CqlType::Int, false),
                ],
                &["k"],
                &[],
            ),
            "Cannot mix counter",
        ),
    ];
    for (d, message) in cases {
        let err = TableMetadata::create("ks", "t", id(), d)
            .unwrap_err()
            .to_string();
        assert!(err.contains(message), "expected {message:?} in {err:?}");
    }
    let frozen = CqlType::Frozen(Box::new(list));
    assert!(
        TableMetadata::create("ks", "t", id(), def(&[("k", frozen, false)], &["k"], &[])).is_ok()
    );
}

#[test]
fn clustering_order_must_follow_the_key() {
    let base = def(
        &[
            ("k", CqlType::Int, false),
            ("a", CqlType::Int, false),
            ("b", CqlType::Int, false),
        ],
        &["k"],
        &["a", "b"],
    );
    let mut swapped = base.clone();
    swapped.clustering_order = vec![
        ("b".into(), ClusteringOrder::Desc),
        ("a".into(), ClusteringOrder::Asc),
    ];
    assert!(
        TableMetadata::create("ks", "t", id(), swapped)
            .unwrap_err()
            .to_string()
            .contains("must match")
    );
    let mut not_clustering = base.clone();
    not_clustering.clustering_order = vec![("k".into(), ClusteringOrder::Desc)];
    let err = TableMetadata::create("ks", "t", id(), not_clustering)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Only clustering key columns"), "{err}");
    let mut partial = base;
    partial.clustering_order = vec![("a".into(), ClusteringOrder::Desc)];
    let t = TableMetadata::create("ks", "t", id(), partial).unwrap();
    assert_eq!(t.column("b").unwrap().order, Some(ClusteringOrder::Asc));
}

#[test]
fn alter_add_drop_rename() {
    let d = def(
        &[
            ("k", CqlType::Int, false),
            ("c", CqlType::Int, false),
            ("v", CqlType::Text, false),
        ],
        &["k"],
        &["c"],
    );
    let mut t = TableMetadata::create("ks", "t", id(), d).unwrap();
    t.add_column("a", CqlType::Int, false).unwrap();
    t.add_column("z", CqlType::Int, true).unwrap();
    let names: Vec<_> = t.select_star_order().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["k", "c", "a", "v", "z"]);
    assert!(t.add_column("v", CqlType::Int, false).is_err());
    let v_id = t.column("v").unwrap().id;
    t.drop_column("v", 42).unwrap();
    assert_eq!(t.dropped["v"].dropped_at_us, 42);
    assert!(
        t.drop_column("k", 43)
            .unwrap_err()
            .to_string()
            .contains("PRIMARY KEY")
    );
    t.add_column("v", CqlType::Int, false).unwrap();
    assert_ne!(
        t.column("v").unwrap().id,
        v_id,
        "a re-added column gets a new storage id"
    );
    t.rename_column("c", "c2").unwrap();
    assert!(t.column("c2").is_some());
    assert!(
        t.rename_column("a", "b")
            .unwrap_err()
            .to_string()
            .contains("non PRIMARY KEY")
    );
    assert!(t.rename_column("k", "a").is_err());
}

#[test]
fn schema_version_follows_content() {
    let mut schema = Schema::default();
    let v0 = schema.version();
    let ks = KeyspaceMetadata::new(
        "ks",
        Replication::Simple {
            replication_factor: 1,
        },
        true,
    );
    schema
        .keyspaces
        .insert("ks".into(), std::sync::Arc::new(ks.clone()));
    let v1 = schema.version();
    assert_ne!(v0, v1);
    let mut same = Schema::default();
    same.keyspaces.insert("ks".into(), std::sync::Arc::new(ks));
    assert_eq!(
        same.version(),
        v1,
        "equal content, equal version on every node"
    );
}
