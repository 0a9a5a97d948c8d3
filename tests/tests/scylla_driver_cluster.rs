//! Goal: the ScyllaDB Rust driver sees a whole 2-DC cluster as Cassandra
//! would show it (every node with its data center and rack, tokens for
//! routing), runs DDL with schema agreement across nodes, and its
//! token-aware routing lands each write on a replica: with RF 1 no
//! coordinator forwards a single mutation (by the nodes' message counters).
//! Method: 2 DCs x 2 nodes through the `sibyl-cluster` library; the scylla
//! driver connected to one node; `/metrics` on every node.

use scylla::client::session_builder::SessionBuilder;
use sibyl_tests::cluster::TestCluster;
use sibyl_tools::cluster::Topology;

fn forwarded_mutations(c: &TestCluster) -> u64 {
    c.names()
        .iter()
        .map(|n| {
            let text = c.cluster.metrics(n).expect("metrics answer");
            text.lines()
                .find(|l| l.starts_with("sibyl_messages_sent_total{verb=\"MUTATION_REQ\"}"))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

fn assert_topology(session: &scylla::client::session::Session, c: &TestCluster) {
    let state = session.get_cluster_state();
    let mut seen: Vec<(String, String, String)> = state
        .get_nodes_info()
        .iter()
        .map(|n| {
            (
                n.address.ip().to_string(),
                n.datacenter.clone().unwrap_or_default(),
                n.rack.clone().unwrap_or_default(),
            )
        })
        .collect();
    seen.sort();
    let mut want: Vec<(String, String, String)> = c
        .cluster
        .nodes()
        .iter()
        .map(|n| (n.address.to_string(), n.dc.clone(), n.rack.clone()))
        .collect();
    want.sort();
    assert_eq!(seen, want, "every node with its data center and rack");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scylla_driver_sees_the_cluster_and_routes_to_replicas() {
    let c = tokio::task::spawn_blocking(|| TestCluster::start(Topology::multi_dc(2, 2, 2), &[]))
        .await
        .unwrap()
        .expect("the cluster starts");
    let first = c.cluster.native_addresses()[0];
    let session = SessionBuilder::new()
        .known_node(first.to_string())
        .build()
        .await
        .expect("the scylla driver connects");
    assert_topology(&session, &c);

    session
        .query_unpaged(
            "CREATE KEYSPACE solo WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1, 'dc2': 0}",
            &[],
        )
        .await
        .expect("create keyspace");
    session
        .query_unpaged("CREATE TABLE solo.t (k int PRIMARY KEY, v text)", &[])
        .await
        .expect("create table");
    session
        .await_schema_agreement()
        .await
        .expect("schema agreement across the cluster");
    session.refresh_metadata().await.expect("metadata refresh");
    let before = forwarded_mutations(&c);
    let mut insert = session
        .prepare("INSERT INTO solo.t (k, v) VALUES (?, ?)")
        .await
        .expect("prepare");
    insert.set_consistency(scylla::statement::Consistency::One);
    for k in 0..200_i32 {
        session
            .execute_unpaged(&insert, (k, format!("v{k}")))
            .await
            .expect("write");
    }
    let after = forwarded_mutations(&c);
    assert_eq!(
        after, before,
        "token-aware writes were forwarded to another node"
    );
    // ONE: a coordinator in dc2 has no local replica, so LOCAL_QUORUM (the
    // driver's default) would be Unavailable there, as in Cassandra.
    let mut count = scylla::statement::unprepared::Statement::new("SELECT count(*) FROM solo.t");
    count.set_consistency(scylla::statement::Consistency::One);
    let count = session
        .query_unpaged(count, &[])
        .await
        .expect("count")
        .into_rows_result()
        .expect("rows")
        .single_row::<(i64,)>()
        .expect("one row");
    assert_eq!(count.0, 200);
}
