//! Goal: the ScyllaDB Rust driver 1.x gets query traces from a real node:
//! a traced unprepared and a traced prepared statement come back with a
//! tracing id, and `Session::get_tracing_info` (which PREPAREs its
//! `system_traces` queries and decodes rows strictly by type) finds the
//! session with its duration, request, parameters and events.
//! Method: start a node, drive it with `scylla::client::session::Session`.

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::Statement;
use sibyl_tests::node::Node;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scylla_driver_reads_query_traces() {
    let node = tokio::task::spawn_blocking(|| Node::start(&[]))
        .await
        .unwrap()
        .expect("sibyld starts");
    let session = SessionBuilder::new()
        .known_node(node.native().to_string())
        .build()
        .await
        .expect("the scylla driver connects");
    session
        .query_unpaged(
            "CREATE KEYSPACE rt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            &[],
        )
        .await
        .expect("create keyspace");
    session
        .query_unpaged("CREATE TABLE rt.t (k int PRIMARY KEY, v text)", &[])
        .await
        .expect("create table");

    traced_write(&session, node.address).await;
    traced_prepared_read(&session).await;
}

async fn traced_write(session: &Session, address: std::net::IpAddr) {
    let mut insert = Statement::new("INSERT INTO rt.t (k, v) VALUES (1, 'one')");
    insert.set_tracing(true);
    let result = session.query_unpaged(insert, &[]).await.expect("insert");
    let id = result
        .tracing_id()
        .expect("a traced request has a tracing id");
    let info = session.get_tracing_info(&id).await.expect("the trace");
    assert!(info.duration.is_some_and(|d| d > 0), "{info:?}");
    assert_eq!(info.command.as_deref(), Some("QUERY"));
    assert_eq!(info.request.as_deref(), Some("Execute CQL3 query"));
    assert_eq!(info.coordinator, Some(address));
    let parameters = info.parameters.clone().unwrap_or_default();
    assert_eq!(
        parameters.get("query").map(String::as_str),
        Some("INSERT INTO rt.t (k, v) VALUES (1, 'one')")
    );
    let activities: Vec<String> = info
        .events
        .iter()
        .filter_map(|e| e.activity.clone())
        .collect();
    assert!(
        activities.iter().any(|a| a.starts_with("Parsing INSERT")),
        "{activities:?}"
    );
    assert!(info.events.iter().all(|e| e.source == Some(address)));
}

async fn traced_prepared_read(session: &Session) {
    let mut select = session
        .prepare("SELECT v FROM rt.t WHERE k = ?")
        .await
        .expect("prepare");
    select.set_tracing(true);
    let result = session
        .execute_unpaged(&select, (1,))
        .await
        .expect("select");
    let id = result
        .tracing_id()
        .expect("a traced execute has a tracing id");
    let info = session.get_tracing_info(&id).await.expect("the trace");
    assert_eq!(info.request.as_deref(), Some("Execute CQL3 prepared query"));
    let activities: Vec<String> = info
        .events
        .iter()
        .filter_map(|e| e.activity.clone())
        .collect();
    assert!(
        activities.iter().any(|a| a.starts_with("Read 1 live rows")),
        "{activities:?}"
    );

    let untraced = session
        .query_unpaged("SELECT v FROM rt.t WHERE k = 1", &[])
        .await
        .expect("select");
    assert_eq!(untraced.tracing_id(), None);
}
