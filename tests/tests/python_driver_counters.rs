//! Goal: counter columns behave as in Cassandra through the Python driver:
//! increments/decrements, concurrent increments from four clients with none
//! lost, counter batches (protocol and CQL), deletes, and the errors for
//! INSERT, SET, TTL, logged batches and mixed tables.
//! Method: run `tests/python/counters.py` against a real node.

use sibyl_tests::node::Node;
use sibyl_tests::python::{clients, workspace_root};

#[test]
fn counters_through_the_python_driver() {
    let clients = clients().expect("the pinned Python driver installs");
    let node = Node::start(&[]).expect("sibyld starts");
    let output = std::process::Command::new(&clients.python)
        .arg(workspace_root().join("tests/python/counters.py"))
        .arg(node.address.to_string())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("OK"),
        "counter checks failed\nstdout:\n{stdout}\nstderr:\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        node.log_text()
    );
}
