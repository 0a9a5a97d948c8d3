//! Goal: the ScyllaDB Rust driver 1.x (protocol v4, prepares and pages every
//! metadata query, decodes rows strictly by type) works against one real
//! `sibyld`: it builds full cluster metadata, runs DDL with schema agreement,
//! and round-trips prepared writes and reads with token-aware routing data.
//! Method: start a node, drive it with `scylla::client::session::Session`.

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use sibyl_tests::node::Node;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scylla_driver_metadata_ddl_and_prepared_round_trip() {
    let node = tokio::task::spawn_blocking(|| Node::start(&[]))
        .await
        .unwrap()
        .expect("sibyld starts");
    let session = SessionBuilder::new()
        .known_node(node.native().to_string())
        .build()
        .await
        .expect("the scylla driver connects");
    create_schema_and_check_metadata(&session).await;
    round_trip_prepared(&session).await;
}

async fn create_schema_and_check_metadata(session: &Session) {
    session
        .query_unpaged("CREATE KEYSPACE rs WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", &[])
        .await
        .expect("create keyspace");
    session
        .query_unpaged(
            "CREATE TABLE rs.t (k int, c text, v bigint, PRIMARY KEY (k, c))",
            &[],
        )
        .await
        .expect("create table");
    assert!(
        session.await_schema_agreement().await.is_ok(),
        "schema agreement"
    );
    session.refresh_metadata().await.expect("metadata refresh");
    let state = session.get_cluster_state();
    let keyspace = state
        .get_keyspace("rs")
        .expect("keyspace rs in the driver's metadata");
    let table = keyspace
        .tables
        .get("t")
        .expect("table t in the driver's metadata");
    assert_eq!(table.partition_key, vec!["k".to_owned()]);
    assert_eq!(table.clustering_key, vec!["c".to_owned()]);
    assert_eq!(state.get_nodes_info().len(), 1);
}

async fn round_trip_prepared(session: &Session) {
    let insert = session
        .prepare("INSERT INTO rs.t (k, c, v) VALUES (?, ?, ?)")
        .await
        .expect("prepare insert");
    for i in 0..50_i32 {
        session
            .execute_unpaged(&insert, (i, format!("c{i}"), i64::from(i) * 1_000))
            .await
            .expect("insert");
    }
    let select = session
        .prepare("SELECT c, v FROM rs.t WHERE k = ?")
        .await
        .expect("prepare select");
    let token = select
        .calculate_token(&(7_i32,))
        .expect("token computed")
        .expect("a token");
    let rows = session
        .execute_unpaged(&select, (7_i32,))
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    let (c, v): (String, i64) = rows.single_row().expect("one row of (text, bigint)");
    assert_eq!((c.as_str(), v), ("c7", 7_000));

    let token_rows = session
        .query_unpaged("SELECT token(k) FROM rs.t WHERE k = 7", &[])
        .await
        .expect("token select")
        .into_rows_result()
        .expect("rows");
    let (server_token,): (i64,) = token_rows.single_row().expect("one token");
    assert_eq!(
        server_token,
        token.value(),
        "server token() equals the driver's routing token"
    );

    let count = session
        .query_unpaged("SELECT count(*) FROM rs.t", &[])
        .await
        .expect("count")
        .into_rows_result()
        .expect("rows");
    let (n,): (i64,) = count.single_row().expect("a count");
    assert_eq!(n, 50);
}
