//! Goal: a 2-DC cluster (3 + 3 nodes, NetworkTopologyStrategy {dc1: 3, dc2: 3})
//! behaves as Cassandra when the data centers lose contact: LOCAL_QUORUM and
//! LOCAL_ONE keep working, EACH_QUORUM and QUORUM are Unavailable with the
//! exact figures, and after healing dc2 gets what it missed (hints); LWTs at
//! LOCAL_SERIAL in dc1 reach dc2's replicas (the commit goes to every replica).
//! Method: real nodes through the `sibyl-cluster` library; the partition is
//! made with every node's message filter (`POST /admin/faults`); phases of
//! `tests/python/cluster_multi_dc.py` judge through the Python driver.

use sibyl_tests::cluster::TestCluster;
use sibyl_tools::cluster::Topology;

const SCRIPT: &str = "cluster_multi_dc.py";

#[test]
fn data_centers_cut_apart_and_healed() {
    let mut c = TestCluster::start(Topology::multi_dc(2, 3, 3), &[]).expect("the cluster starts");
    c.phase(SCRIPT, "setup");
    let dc1 = c.cluster.nodes_in_dc("dc1");
    let dc2 = c.cluster.nodes_in_dc("dc2");
    let dc1: Vec<&str> = dc1.iter().map(String::as_str).collect();
    let dc2: Vec<&str> = dc2.iter().map(String::as_str).collect();
    c.cluster
        .partition(&dc1, &dc2)
        .expect("the data centers are cut apart");
    c.phase(SCRIPT, "partitioned");
    c.cluster.heal().expect("the partition heals");
    c.phase(SCRIPT, "healed");
    c.phase(SCRIPT, "local_serial");
}
