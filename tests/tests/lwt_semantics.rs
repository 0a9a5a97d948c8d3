//! Goal: lightweight transactions answer as Cassandra's do, judged by the
//! Python driver: `IF NOT EXISTS`, `IF EXISTS`, `IF` conditions on columns,
//! map elements and UDT fields, `[applied]` results with the current values,
//! conditional batches, prepared condition markers, SERIAL/LOCAL_SERIAL
//! reads, the refusals; and compare-and-set under contention loses no
//! update, on one node and on a 3-node RF 3 cluster.
//! Method: `tests/python/lwt_semantics.py` against a real node, then a real
//! cluster (the `sibyl-cluster` library).

use sibyl_tests::cluster::{TestCluster, python_phase};
use sibyl_tests::node::Node;
use sibyl_tools::cluster::Topology;

const SCRIPT: &str = "lwt_semantics.py";

fn check(output: std::process::Output, log: impl FnOnce() -> String) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("OK"),
        "stdout:\n{stdout}\nstderr:\n{}\nlog:\n{}",
        String::from_utf8_lossy(&output.stderr),
        log()
    );
}

#[test]
fn lightweight_transactions_on_one_node() {
    let node = Node::start(&[]).expect("sibyld starts");
    let addresses = vec![node.address.to_string()];
    for phase in ["semantics", "contention"] {
        let output = python_phase(SCRIPT, phase, &addresses, &[]).expect("python runs");
        check(output, || node.log_text());
    }
}

#[test]
fn lightweight_transactions_on_three_nodes() {
    let c = TestCluster::start(Topology::single_dc(3, 3), &[]).expect("the cluster starts");
    c.phase(SCRIPT, "semantics");
    c.phase(SCRIPT, "contention");
}
