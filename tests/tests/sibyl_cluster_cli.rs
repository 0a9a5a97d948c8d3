//! Goal: the `sibyl-cluster` program works across separate runs, as an
//! operator uses it: create makes the cluster current, start leaves detached
//! nodes running after the program exits, later runs find them by the pids
//! in the state file to pause, partition, kill and stop them, and remove
//! leaves nothing. Method: run the built binary in a temporary `--dir` on a
//! free 127.0.X block; a guard kills whatever the state file lists if a step
//! fails.

use std::path::Path;
use std::process::Command;

use sibyl_tests::local_cluster::{Cluster, sibyl_cluster_binary};
use sibyl_tests::node::sibyld_binary;
use sibyl_tools::cluster::address::{DEFAULT_PORTS, free_block};
use sibyl_tools::cluster::process;

/// Runs `sibyl-cluster --dir DIR args...`; its stdout, or a panic with stderr.
fn run(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(sibyl_cluster_binary().expect("sibyl-cluster builds"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("sibyl-cluster runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "sibyl-cluster {args:?} failed:\n{stderr}"
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn count(text: &str, state: &str) -> usize {
    text.lines().filter(|l| l.starts_with(state)).count()
}

#[test]
fn the_cli_controls_detached_nodes_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let sibyld = sibyld_binary().unwrap();
    let base = free_block(2, &DEFAULT_PORTS).unwrap().to_string();
    let created = run(
        dir.path(),
        &[
            "create",
            "cli",
            "--dcs",
            "2",
            "--nodes-per-dc",
            "1",
            "--base-address",
            &base,
            "--sibyld",
            sibyld.to_str().unwrap(),
            "--start",
        ],
    );
    assert!(created.starts_with("created cli in "), "{created}");
    assert!(created.contains("\nnode2 ready: native="), "{created}");
    let mut guard = Cluster::open(&dir.path().join("cli")).unwrap();
    guard.set_kill_on_drop(true);
    assert_eq!(run(dir.path(), &["list"]), "* cli\n");

    let status = run(dir.path(), &["status"]);
    assert_eq!(count(&status, "UN "), 2, "{status}");
    assert!(status.contains("Datacenter: dc1") && status.contains("Datacenter: dc2"));

    run(dir.path(), &["pause", "node2"]);
    assert_eq!(count(&run(dir.path(), &["status"]), "DN "), 1);
    run(dir.path(), &["resume", "node2"]);
    run(dir.path(), &["partition", "node1", "--from", "node2"]);
    let faults = guard.faults("node2").unwrap();
    assert_eq!(faults["rules"][0]["peer"], base.as_str());
    let shown = run(dir.path(), &["faults", "node1"]);
    assert!(
        shown.contains(&format!(
            "\"peer\":\"{}\"",
            guard.node("node2").unwrap().address
        )),
        "{shown}"
    );
    run(dir.path(), &["heal"]);
    let delay =
        r#"{"rules":[{"direction":"outbound","verb":"MUTATION_REQ","action":{"delay_ms":300}}]}"#;
    let shown = run(dir.path(), &["faults", "node2", "--set", delay]);
    assert!(shown.contains("\"delay_ms\":300"), "{shown}");
    run(dir.path(), &["heal"]);
    let json = run(dir.path(), &["status", "--json"]);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(
        (first["name"].as_str(), first["state"].as_str()),
        (Some("node1"), Some("UN"))
    );
    assert_eq!(
        guard.faults("node1").unwrap()["rules"],
        serde_json::json!([])
    );

    let logs = run(dir.path(), &["logs", "node1", "--tail", "50"]);
    assert!(logs.contains("sibyld ready:"), "{logs}");
    let pid = guard.running_pid("node2").unwrap().unwrap();
    run(dir.path(), &["-c", "cli", "kill", "node2"]);
    assert!(!process::alive(pid));
    assert_eq!(count(&run(dir.path(), &["status"]), "DN "), 1);
    let started = run(dir.path(), &["start", "node2"]);
    assert!(started.starts_with("node2 ready: native="), "{started}");
    run(dir.path(), &["stop"]);
    assert_eq!(count(&run(dir.path(), &["status"]), "DN "), 2);
    run(dir.path(), &["remove"]);
    assert!(!dir.path().join("cli").exists());
    assert_eq!(run(dir.path(), &["list"]), "");
}
