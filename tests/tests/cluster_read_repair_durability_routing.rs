//! Goal: on a 3-node cluster, as Cassandra: (1) replicas made to diverge are
//! repaired by reads at ALL (blocking read repair), so each then answers
//! correctly on its own; (2) token-aware drivers land every request on its
//! replica (no coordinator forwards a mutation, by the nodes' message
//! counters); (3) under a QUORUM write load from several clients while a
//! node is killed and restarted, every acknowledged write is readable at
//! QUORUM afterwards (lost = 0).
//! Method: real nodes through the `sibyl-cluster` library with hinted
//! handoff off (only read repair may heal); divergence by a message filter;
//! phases of `tests/python/cluster_repair_and_routing.py` through the
//! Python driver; the kill happens while the load phase runs on its own thread.

use std::time::Duration;

use sibyl_tests::cluster::{TestCluster, python_phase};
use sibyl_tools::cluster::Topology;

const SCRIPT: &str = "cluster_repair_and_routing.py";

#[test]
fn read_repair_routing_and_no_acknowledged_write_lost() {
    let mut c = TestCluster::start(
        Topology::single_dc(3, 1),
        &[("hinted_handoff_enabled", false.into())],
    )
    .expect("the cluster starts");
    c.phase(SCRIPT, "setup");
    c.phase(SCRIPT, "diverge");
    c.phase(SCRIPT, "repair");
    c.phase(SCRIPT, "routing");

    let env = vec![(
        "ACKED".to_owned(),
        c.cluster.dir().join("acked.txt").display().to_string(),
    )];
    let addresses = c.addresses();
    let load_env = env.clone();
    let load = std::thread::spawn(move || python_phase(SCRIPT, "load", &addresses, &load_env));
    std::thread::sleep(Duration::from_secs(3));
    c.cluster.kill("node2").expect("node2 is killed");
    std::thread::sleep(Duration::from_secs(3));
    c.cluster.start("node2").expect("node2 restarts");
    let output = load.join().expect("the load thread finishes");
    let output = output.unwrap_or_else(|e| panic!("{e}"));
    if let Err(report) = c.judge(SCRIPT, "load", &output) {
        panic!("{report}");
    }
    if let Err(report) = c.run_phase_with_env(SCRIPT, "verify", &env) {
        panic!("{report}");
    }
}
