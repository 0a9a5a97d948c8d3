//! Goal: an uncontended lightweight transaction coordinated by a replica
//! takes two round trips to the other replicas (issue 7, `docs/paxos.md`
//! "Learning the choice on accept"): on a 3-node RF 3 cluster, N conditional
//! inserts with commit consistency QUORUM (and then ALL) send exactly 2N
//! PAXOS_PREPARE_REQ, 2N PAXOS_PROPOSE_REQ and no PAXOS_COMMIT_REQ, and every
//! row is then visible on each replica alone at ONE (so the commits reached
//! them with the proposals) and at QUORUM. A coordinator that is not a
//! participant keeps the classic three round trips: with RF 1, node1's
//! LWTs on keys another node owns send one prepare, one propose and one
//! commit each, and those on its own keys send nothing.
//! Method: our protocol client connected to node1 only (RF 3 on 3 nodes, so
//! the coordinator is always a replica, as a token-aware driver's would
//! be); the per-verb counters of every node's `/metrics` before and after;
//! reads at ONE through a connection to each node (a replica coordinating a
//! read at ONE reads its own copy), polled with a bounded wait since the
//! third replica commits on its own after the coordinator answered.

use std::time::{Duration, Instant};

use sibyl_protocol::client::{ConnectOptions, QueryOptions, Session};
use sibyl_protocol::types::Consistency;
use sibyl_protocol::value::CqlValue;
use sibyl_tests::cluster::TestCluster;
use sibyl_tools::cluster::Topology;

/// LWTs per commit consistency.
const LWTS: i32 = 40;
/// Longest wait for schema agreement and for the last replica's commits.
const WAIT: Duration = Duration::from_secs(30);

const VERBS: [&str; 3] = ["PAXOS_PREPARE_REQ", "PAXOS_PROPOSE_REQ", "PAXOS_COMMIT_REQ"];

/// Messages of each of [`VERBS`] that `node` has sent.
fn paxos_sent(c: &TestCluster, node: &str) -> [u64; 3] {
    let text = c.cluster.metrics(node).expect("metrics answer");
    VERBS.map(|verb| {
        let prefix = format!("sibyl_messages_sent_total{{verb=\"{verb}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .map_or(0, |v| v.trim().parse::<u64>().expect("a counter"))
    })
}

/// [`paxos_sent`] of every node, in node order.
async fn all_paxos_sent(c: &TestCluster) -> Vec<[u64; 3]> {
    let names = c.names();
    tokio::task::block_in_place(|| names.iter().map(|n| paxos_sent(c, n)).collect())
}

fn options(consistency: Consistency) -> QueryOptions {
    QueryOptions {
        consistency,
        serial_consistency: Some(Consistency::Serial),
        ..QueryOptions::default()
    }
}

/// Waits until `session`'s node knows the table `keyspace.t`.
async fn wait_for_table(session: &Session, keyspace: &str) {
    let deadline = Instant::now() + WAIT;
    let ask = format!(
        "SELECT table_name FROM system_schema.tables \
         WHERE keyspace_name = '{keyspace}' AND table_name = 't'"
    );
    let ask = ask.as_str();
    loop {
        let rows = session
            .query(ask, &[], &QueryOptions::default())
            .await
            .expect("system_schema answers");
        if rows.rows().is_some_and(|r| !r.rows.is_empty()) {
            return;
        }
        assert!(Instant::now() < deadline, "the table did not reach a node");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `LWTS` inserts of keys `first..` at `commit` through node1 and
/// asserts the messages they sent.
async fn lwts_take_two_round_trips(
    c: &TestCluster,
    node1: &Session,
    first: i32,
    commit: Consistency,
) {
    let before = all_paxos_sent(c).await;
    for k in first..first + LWTS {
        let result = node1
            .query(
                "INSERT INTO rt.t (k, v) VALUES (?, ?) IF NOT EXISTS",
                &[CqlValue::Int(k), CqlValue::Text(format!("v{k}"))],
                &options(commit),
            )
            .await
            .expect("the LWT is served");
        let rows = result.rows().expect("an LWT answers with rows");
        assert_eq!(
            rows.rows,
            vec![vec![Some(CqlValue::Boolean(true))]],
            "key {k} applied"
        );
    }
    let after = all_paxos_sent(c).await;
    let n = u64::try_from(LWTS).expect("a small count");
    let node1_sent: Vec<u64> = (0..3).map(|v| after[0][v] - before[0][v]).collect();
    assert_eq!(
        node1_sent,
        vec![2 * n, 2 * n, 0],
        "{commit:?}: node1 sent {VERBS:?} for {n} LWTs"
    );
    for (node, (a, b)) in after.iter().zip(&before).enumerate().skip(1) {
        assert_eq!(a, b, "node{} coordinated no Paxos round", node + 1);
    }
}

/// With RF 1 node1 coordinates `LWTS` inserts, as participant (its own
/// keys: no message) or not (one of each verb to the owner, classic path).
async fn non_participants_keep_three_round_trips(c: &TestCluster, node1: &Session) {
    let before = all_paxos_sent(c).await;
    for k in 0..LWTS {
        node1
            .query(
                "INSERT INTO solo.t (k, v) VALUES (?, ?) IF NOT EXISTS",
                &[CqlValue::Int(k), CqlValue::Text(format!("v{k}"))],
                &options(Consistency::Quorum),
            )
            .await
            .expect("the LWT is served");
    }
    let after = all_paxos_sent(c).await;
    let [prepare, propose, commit] = [0, 1, 2].map(|v| after[0][v] - before[0][v]);
    let n = u64::try_from(LWTS).expect("a small count");
    assert!(
        prepare > 0 && prepare < n,
        "node1 owns some but not all of {n} keys: {prepare} prepares"
    );
    assert_eq!(
        (propose, commit),
        (prepare, prepare),
        "one prepare, propose and commit per LWT node1 does not own a key of"
    );
}

/// Every key of `0..keys` with its value, read through `session` at `level`.
async fn all_rows_visible(session: &Session, keys: i32, level: Consistency) -> bool {
    for k in 0..keys {
        let result = session
            .query(
                "SELECT v FROM rt.t WHERE k = ?",
                &[CqlValue::Int(k)],
                &QueryOptions {
                    consistency: level,
                    ..QueryOptions::default()
                },
            )
            .await
            .expect("the read is served");
        let want = vec![vec![Some(CqlValue::Text(format!("v{k}")))]];
        if result.rows().map(|r| &r.rows) != Some(&want) {
            return false;
        }
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncontended_lwts_take_two_round_trips_from_a_replica_three_from_elsewhere() {
    let c = tokio::task::spawn_blocking(|| TestCluster::start(Topology::single_dc(3, 3), &[]))
        .await
        .expect("the start task runs")
        .expect("the cluster starts");
    let mut sessions = Vec::new();
    for address in c.cluster.native_addresses() {
        let session = Session::connect(address, ConnectOptions::default())
            .await
            .expect("a client connects");
        sessions.push(session);
    }
    let node1 = &sessions[0];
    let ddl = QueryOptions::default();
    node1
        .query(
            "CREATE KEYSPACE rt WITH replication = \
             {'class': 'SimpleStrategy', 'replication_factor': 3}",
            &[],
            &ddl,
        )
        .await
        .expect("create keyspace");
    node1
        .query("CREATE TABLE rt.t (k int PRIMARY KEY, v text)", &[], &ddl)
        .await
        .expect("create table");
    node1
        .query(
            "CREATE KEYSPACE solo WITH replication = \
             {'class': 'SimpleStrategy', 'replication_factor': 1}",
            &[],
            &ddl,
        )
        .await
        .expect("create keyspace");
    node1
        .query("CREATE TABLE solo.t (k int PRIMARY KEY, v text)", &[], &ddl)
        .await
        .expect("create table");
    for session in &sessions {
        wait_for_table(session, "rt").await;
        wait_for_table(session, "solo").await;
    }

    lwts_take_two_round_trips(&c, node1, 0, Consistency::Quorum).await;
    // ALL too: both other replicas answer "committed" to the proposal.
    lwts_take_two_round_trips(&c, node1, LWTS, Consistency::All).await;
    non_participants_keep_three_round_trips(&c, node1).await;

    // ONE first: a read at QUORUM could repair a replica the commits missed.
    let keys = 2 * LWTS;
    for (node, session) in sessions.iter().enumerate() {
        let deadline = Instant::now() + WAIT;
        while !all_rows_visible(session, keys, Consistency::One).await {
            assert!(
                Instant::now() < deadline,
                "node{} does not have every row at ONE",
                node + 1
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(
        all_rows_visible(node1, keys, Consistency::Quorum).await,
        "every row at QUORUM"
    );
}
