//! Goal: lightweight transactions are linearizable (issue 7): a CAS register
//! and a unique-insert set driven by 8 concurrent Python-driver clients
//! (2,000 operations per run) on a 3-node RF 3 cluster show zero violations,
//! with all nodes up, while a node is killed and restarted, while a replica
//! is paused, while one node (still taking client requests) is cut off from
//! the others, while one node can hear the others but not reach them (its
//! outbound messages lost), and on two data centers at LOCAL_SERIAL while
//! they are cut apart (clients of one DC).
//! Method: `tests/python/lwt_workload.py` records each run's history as JSON
//! lines; the Wing–Gong–Lowe checker (`sibyl_tests::linearizability`) judges
//! it per key and prints the shortest violating prefix on failure. The same
//! script against its in-process fake store (linearizable, then serving
//! stale reads) checks the recording and the checker end to end without a
//! cluster.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use sibyl_tests::cluster::{TestCluster, python_phase};
use sibyl_tests::linearizability::{Report, check_file};
use sibyl_tests::python::workspace_root;
use sibyl_tools::cluster::Topology;

const SCRIPT: &str = "lwt_workload.py";
const WORKLOADS: [&str; 2] = ["register", "set"];

/// Runs the script against a fake store with the system `python3` (the fake
/// needs no driver) and checks the history it wrote.
fn fake_run(workload: &str, store: &str, dir: &Path) -> Report {
    let out = dir.join(format!("{workload}-{store}.json"));
    let output = Command::new("python3")
        .arg(workspace_root().join("tests/python").join(SCRIPT))
        .args([workload, &out.display().to_string(), store])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_file(&out).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn fake_store_histories_pass_and_its_stale_reads_are_caught() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for workload in WORKLOADS {
        let report = fake_run(workload, "fake", dir.path());
        assert!(report.is_linearizable(), "{workload}:\n{report}");
        assert!(
            report.ops() >= 1_900,
            "{workload}: {} operations",
            report.ops()
        );
        let report = fake_run(workload, "fake-stale", dir.path());
        assert!(
            !report.violations().is_empty(),
            "{workload}: stale reads pass:\n{report}"
        );
    }
}

/// A fault injected a few seconds into a run and repaired a few seconds later.
struct Fault {
    inject: fn(&mut TestCluster),
    repair: fn(&mut TestCluster),
}

/// Seconds of load a faulted run lasts at least, so the fault lands mid-run.
const FAULT_RUN_S: &str = "12";

/// Runs both workloads through `hosts` (with `flags`), each under `fault`,
/// and asserts their histories linearizable.
fn run_workloads(c: &mut TestCluster, hosts: &[String], flags: &[&str], fault: Option<&Fault>) {
    for workload in WORKLOADS {
        let out = c.cluster.dir().join(format!("{workload}-history.json"));
        let mut args = vec![out.display().to_string()];
        args.extend(hosts.iter().cloned());
        args.extend(flags.iter().map(|f| (*f).to_owned()));
        let env = match fault {
            Some(_) => vec![("LWT_MIN_SECONDS".to_owned(), FAULT_RUN_S.to_owned())],
            None => Vec::new(),
        };
        let run = std::thread::spawn(move || python_phase(SCRIPT, workload, &args, &env));
        if let Some(fault) = fault {
            std::thread::sleep(Duration::from_secs(3));
            (fault.inject)(c);
            std::thread::sleep(Duration::from_secs(4));
            (fault.repair)(c);
        }
        let output = run.join().expect("the workload thread finishes");
        let output = output.unwrap_or_else(|e| panic!("{e}"));
        if let Err(report) = c.judge(SCRIPT, workload, &output) {
            panic!("{report}");
        }
        let report = check_file(&out).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            report.violations().is_empty() && report.unknown().is_empty(),
            "{workload} ({}):\n{report}",
            out.display()
        );
        c.wait_all_up(Duration::from_secs(30))
            .expect("every node is up again");
    }
}

fn names(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A 3-node RF 3 cluster with the schema.
fn three_nodes() -> TestCluster {
    let c = TestCluster::start(Topology::single_dc(3, 3), &[]).expect("the cluster starts");
    c.phase(SCRIPT, "setup");
    c
}

fn single_dc_under(fault: Option<&Fault>) {
    let mut c = three_nodes();
    let hosts = c.addresses();
    run_workloads(&mut c, &hosts, &[], fault);
}

#[test]
fn register_and_set_are_linearizable_on_three_nodes() {
    single_dc_under(None);
}

#[test]
fn register_and_set_stay_linearizable_while_a_node_is_killed_and_restarted() {
    single_dc_under(Some(&Fault {
        inject: |c| c.cluster.kill("node2").expect("node2 is killed"),
        repair: |c| c.cluster.start("node2").expect("node2 restarts"),
    }));
}

#[test]
fn register_and_set_stay_linearizable_while_a_replica_is_paused() {
    single_dc_under(Some(&Fault {
        inject: |c| c.cluster.pause("node3").expect("node3 pauses"),
        repair: |c| c.cluster.resume("node3").expect("node3 resumes"),
    }));
}

#[test]
fn register_and_set_stay_linearizable_while_a_coordinator_is_cut_off_from_the_others() {
    // node3 still takes client requests but reaches no replica but itself: a
    // minority partition, and a coordinator cut off from a quorum.
    single_dc_under(Some(&Fault {
        inject: |c| {
            c.cluster
                .partition(&["node3"], &["node1", "node2"])
                .expect("node3 is cut off");
        },
        repair: |c| c.cluster.heal().expect("the partition heals"),
    }));
}

/// node3 hears everything but every message it sends to node1 and node2 is
/// lost: rounds it coordinates stop part-way (promises and acceptances it
/// never learns of, commits that never arrive) while node1 and node2, which
/// soon see node3 as down, keep serving.
fn cut_node3_outbound(c: &mut TestCluster) {
    let peers = ["node1", "node2"].map(|n| {
        c.cluster
            .native_address(n)
            .expect("a node")
            .ip()
            .to_string()
    });
    let rules: Vec<serde_json::Value> = peers
        .iter()
        .map(|p| serde_json::json!({"peer": p, "direction": "outbound", "verb": null, "action": "drop"}))
        .collect();
    c.cluster
        .set_faults("node3", &serde_json::json!({ "rules": rules }))
        .expect("node3 takes the rules");
}

#[test]
fn register_and_set_stay_linearizable_while_a_coordinator_cannot_reach_the_replicas() {
    single_dc_under(Some(&Fault {
        inject: cut_node3_outbound,
        repair: |c| {
            let metrics = c.cluster.metrics("node3").expect("node3's metrics");
            let filtered = metrics
                .lines()
                .find_map(|l| l.strip_prefix("sibyl_messages_filtered_total "))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.0);
            assert!(filtered > 0.0, "the fault dropped nothing:\n{metrics}");
            c.cluster.heal().expect("the partition heals");
        },
    }));
}

#[test]
fn local_serial_stays_linearizable_in_one_dc_while_the_dcs_are_cut_apart() {
    let mut c = TestCluster::start(Topology::multi_dc(2, 3, 3), &[]).expect("the cluster starts");
    let replication = "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}";
    let env = [("LWT_REPLICATION".to_owned(), replication.to_owned())];
    if let Err(report) = c.run_phase_with_env(SCRIPT, "setup", &env) {
        panic!("{report}");
    }
    let dc1 = c.cluster.nodes_in_dc("dc1");
    let hosts: Vec<String> = dc1
        .iter()
        .map(|n| {
            let address = c.cluster.native_address(n).expect("a dc1 node");
            address.ip().to_string()
        })
        .collect();
    run_workloads(
        &mut c,
        &hosts,
        &["--local-serial"],
        Some(&Fault {
            inject: |c| {
                let (dc1, dc2) = (c.cluster.nodes_in_dc("dc1"), c.cluster.nodes_in_dc("dc2"));
                c.cluster
                    .partition(&names(&dc1), &names(&dc2))
                    .expect("the data centers are cut apart");
            },
            repair: |c| c.cluster.heal().expect("the partition heals"),
        }),
    );
}
