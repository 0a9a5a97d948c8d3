//! Goal: the `sibyl-cluster` library runs a real 3-node cluster on loopback
//! and controls it: every node starts and is ready, status comes from each
//! node's admin port, a paused node shows DN and comes back UN, partitions
//! and heal reach every node's fault rules, a killed node restarts with its
//! identity, stop ends every process, and dropping the cluster leaves nothing.
//! Method: `Cluster::for_tests` (free 127.0.X block, temp dir), every wait
//! polled with a deadline.

use std::time::Duration;

use serde_json::json;
use sibyl_tests::local_cluster::{self, Cluster, NodeStatus, Topology};
use sibyl_tools::cluster::{ClusterError, process};

const WAIT: Duration = Duration::from_secs(20);

fn states(cluster: &Cluster) -> Vec<String> {
    cluster.status().into_iter().map(|s| s.state).collect()
}

fn peers(rules: &serde_json::Value) -> Vec<String> {
    let mut peers: Vec<String> = rules["rules"]
        .as_array()
        .expect("a rule list")
        .iter()
        .map(|r| {
            assert_eq!(r["direction"], "both");
            assert_eq!(r["action"], "drop");
            r["peer"].as_str().expect("a peer").to_owned()
        })
        .collect();
    peers.sort();
    peers
}

/// Partition, accumulate, heal: checked through every node's `/admin/faults`.
fn partitions_and_heal_reach_every_node(cluster: &mut Cluster) {
    let addresses: Vec<String> = cluster
        .nodes()
        .iter()
        .map(|n| n.address.to_string())
        .collect();
    let address = |n: &str| addresses[n[4..].parse::<usize>().expect("nodeN") - 1].clone();
    let faults = |cluster: &Cluster, n: &str| cluster.faults(n).expect("faults answer");
    cluster
        .partition(&["node1"], &["node2", "node3"])
        .expect("admin call");
    assert_eq!(
        peers(&faults(cluster, "node1")),
        [address("node2"), address("node3")]
    );
    assert_eq!(peers(&faults(cluster, "node2")), [address("node1")]);
    cluster
        .partition(&["node2"], &["node3"])
        .expect("admin call");
    assert_eq!(
        peers(&faults(cluster, "node2")),
        [address("node1"), address("node3")]
    );
    cluster.heal().expect("admin call");
    for name in &cluster.node_names() {
        assert_eq!(faults(cluster, name), json!({"rules": []}));
    }
    let refused = cluster.set_faults("node1", &json!({"rules": [{"peer": 7}]}));
    assert!(refused.is_err(), "bad rules are refused with 400");
    assert!(
        cluster
            .metrics("node1")
            .expect("metrics answer")
            .contains("sibyl_native_requests_total")
    );
}

#[test]
fn a_three_node_cluster_is_started_faulted_and_stopped() {
    let mut cluster = local_cluster::start(Topology::single_dc(3, 1)).expect("cluster starts");
    cluster.admin_timeout = Duration::from_millis(500);
    let names = cluster.node_names();
    assert_eq!(names, ["node1", "node2", "node3"]);
    assert_eq!(cluster.nodes_in_dc("datacenter1"), names);
    assert_eq!(
        cluster.native_addresses()[1],
        cluster.native_address("node2").unwrap()
    );
    let status = cluster.status();
    assert_eq!(states(&cluster), ["UN", "UN", "UN"], "{status:?}");
    let mut host_ids: Vec<String> = status.iter().map(|s| s.host_id.clone().unwrap()).collect();
    host_ids.dedup();
    assert_eq!(host_ids.len(), 3);
    assert!(
        status
            .iter()
            .all(|s| s.tokens == Some(16) && s.dc == "datacenter1")
    );
    assert!(status.iter().all(|s| s.load_bytes.is_some()));

    cluster.pause("node2").unwrap();
    assert_eq!(states(&cluster), ["UN", "DN", "UN"]);
    cluster.resume("node2").unwrap();
    cluster
        .status_until("node2 resumed", WAIT, |s| s.iter().all(NodeStatus::is_up))
        .unwrap();

    partitions_and_heal_reach_every_node(&mut cluster);

    let node3_id = status[2].host_id.clone();
    cluster.kill("node3").unwrap();
    assert!(!cluster.is_running("node3").unwrap());
    assert_eq!(states(&cluster), ["UN", "UN", "DN"]);
    cluster.start("node3").unwrap();
    let again = cluster.status();
    assert_eq!(again[2].state, "UN");
    assert_eq!(
        again[2].host_id, node3_id,
        "a restarted node keeps its identity"
    );

    let pids: Vec<u32> = names
        .iter()
        .map(|n| cluster.running_pid(n).unwrap().unwrap())
        .collect();
    cluster.stop("node1").unwrap();
    assert!(!cluster.is_running("node1").unwrap());
    assert!(
        cluster.log_text("node1").contains("sibyld stopped"),
        "a graceful stop"
    );
    let dir = cluster.dir().to_path_buf();
    drop(cluster);
    assert!(
        pids.iter().all(|pid| !process::alive(*pid)),
        "drop kills every node"
    );
    assert!(!dir.exists(), "drop removes the cluster's directory");
}

#[test]
fn stop_all_ends_a_paused_node_too() {
    let mut cluster = local_cluster::start(Topology::multi_dc(2, 1, 1)).expect("cluster starts");
    cluster.admin_timeout = Duration::from_millis(500);
    let status = cluster.status();
    assert_eq!(
        status.iter().map(|s| s.dc.as_str()).collect::<Vec<_>>(),
        ["dc1", "dc2"]
    );
    cluster.pause("node2").unwrap();
    cluster.stop_all().unwrap();
    assert!(!cluster.is_running("node1").unwrap());
    assert!(!cluster.is_running("node2").unwrap());
    assert_eq!(states(&cluster), ["DN", "DN"]);
    assert!(
        cluster.pause("node1").is_err(),
        "a stopped node cannot be paused"
    );
    let never = cluster.status_until("never", Duration::from_millis(100), |_| false);
    assert!(
        matches!(never, Err(ClusterError::Timeout { .. })),
        "{never:?}"
    );
    cluster.restart("node1").unwrap();
    assert!(cluster.is_running("node1").unwrap());
}
