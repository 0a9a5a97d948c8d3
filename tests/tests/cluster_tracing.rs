//! Goal: in a cluster the coordinator's trace shows the replica round trips
//! of a traced request: for a write and a read at ALL on a 2-node RF 2
//! cluster, `Sending MUTATION_REQ/READ_REQ message to /<other>` and the
//! other node's answer, as the Python driver's `get_query_trace()` sees them.
//! Method: real `sibyld` processes joined by gossip; run
//! `tests/python/cluster_tracing.py` with the driver pinned to the first node.

use sibyl_tests::cluster::TestCluster;
use sibyl_tools::cluster::Topology;

#[test]
fn traces_record_replica_round_trips() {
    let c = TestCluster::start(Topology::single_dc(2, 1), &[]).expect("the cluster starts");
    c.phase("cluster_tracing.py", "traces");
}
