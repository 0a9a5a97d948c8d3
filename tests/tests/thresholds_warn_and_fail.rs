//! Goal: the tombstone and batch-size thresholds behave as Cassandra's: past
//! the warn level the client gets a warning, past the fail level a
//! ReadFailure (tombstones) or InvalidRequest (batch) and nothing is written.
//! Method: a node with low thresholds (`--set`), driven by the Python driver.

use sibyl_tests::node::Node;
use sibyl_tests::python::{clients, workspace_root};

#[test]
fn thresholds_warn_then_fail_through_the_python_driver() {
    let clients = clients().expect("the pinned Python driver installs");
    let node = Node::start(&[
        "--set",
        "tombstone_warn_threshold=10",
        "--set",
        "tombstone_failure_threshold=50",
        "--set",
        "batch_size_warn_threshold_kb=1",
        "--set",
        "batch_size_fail_threshold_kb=4",
    ])
    .expect("sibyld starts");
    let output = std::process::Command::new(&clients.python)
        .arg(workspace_root().join("tests/python/thresholds.py"))
        .arg(node.address.to_string())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("OK"),
        "threshold checks failed\nstdout:\n{stdout}\nstderr:\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        node.log_text()
    );
}
