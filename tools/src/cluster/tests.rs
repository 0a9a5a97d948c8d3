//! The cluster's files and commands without processes: create, open, names,
//! the node command line, refusals.

use std::path::Path;

use super::*;

fn options(parent: &Path) -> CreateOptions {
    let mut topology = Topology::multi_dc(2, 2, 2);
    topology
        .config
        .insert("write_request_timeout_ms".into(), toml::Value::Integer(500));
    let mut options = CreateOptions::new("c1", parent, topology, Path::new("/opt/sibyld"));
    options.base_address = Ipv4Addr::new(127, 0, 9, 1);
    options.overrides = vec!["admin_port=9999".into()];
    options
}

#[test]
fn create_writes_the_layout_and_open_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::create(options(dir.path())).unwrap();
    assert_eq!(cluster.name(), "c1");
    assert!(cluster.data_dir("node4").is_dir());
    assert_eq!(
        cluster.admin_address("node2").unwrap().to_string(),
        "127.0.9.2:9999"
    );
    assert_eq!(
        cluster.native_address("node3").unwrap().to_string(),
        "127.0.9.3:9042"
    );
    assert_eq!(cluster.nodes_in_dc("dc2"), ["node3", "node4"]);
    let node = cluster.node("node4").unwrap().clone();
    let args = cluster.node_args(&node).join(" ");
    let data = cluster.data_dir("node4").display().to_string();
    assert_eq!(
        args,
        format!(
            "--data-dir {data} --listen-address 127.0.9.4 --dc dc2 --rack rack2 \
             --seeds 127.0.9.1,127.0.9.3 --cluster-name c1 --num-tokens 16 \
             --set write_request_timeout_ms=500 --set admin_port=9999"
        )
    );
    let reopened = Cluster::open(&dir.path().join("c1")).unwrap();
    assert_eq!(reopened.nodes(), cluster.nodes());
    assert!(matches!(
        Cluster::create(options(dir.path())),
        Err(ClusterError::Exists(_))
    ));
    assert!(matches!(
        cluster.node("node9"),
        Err(ClusterError::UnknownNode { .. })
    ));
}

#[test]
fn bad_names_and_missing_clusters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["", "a/b", "..", "with space"] {
        let mut bad = options(dir.path());
        bad.name = name.into();
        assert!(
            matches!(Cluster::create(bad), Err(ClusterError::Topology(_))),
            "{name:?}"
        );
    }
    assert!(matches!(
        Cluster::open(&dir.path().join("none")),
        Err(ClusterError::NotFound(_))
    ));
}

#[test]
fn a_node_that_never_started_is_not_running_and_cannot_be_paused() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::create(options(dir.path())).unwrap();
    assert!(!cluster.is_running("node1").unwrap());
    assert!(cluster.pause("node1").is_err());
    cluster.stop_all().unwrap();
    cluster.kill("node2").unwrap();
    let status = cluster.status();
    assert!(
        status
            .iter()
            .all(|s| s.state == "DN" && s.host_id.is_none())
    );
    assert_eq!(status[3].rack, "rack2");
}

#[test]
fn a_missing_binary_is_a_spawn_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path());
    options.sibyld = dir.path().join("no-such-sibyld");
    let mut cluster = Cluster::create(options).unwrap();
    assert!(matches!(
        cluster.start("node1"),
        Err(ClusterError::Spawn { .. })
    ));
}
