//! Goal: data written through the unmodified Python driver reads back exactly:
//! every CQL type (prepared and unprepared, null and unset), collections,
//! statics, TTL expiry, deletes at every level, slices, IN, ORDER BY, batches,
//! and `token()` equal to the driver's Murmur3 for 1,000 composite keys.
//! Method: run `tests/python/single_node_data.py` against a real node.

use sibyl_tests::node::Node;
use sibyl_tests::python::{clients, workspace_root};

#[test]
fn every_type_and_statement_round_trips_through_the_python_driver() {
    let clients = clients().expect("the pinned Python driver installs");
    let node = Node::start(&[]).expect("sibyld starts");
    let output = std::process::Command::new(&clients.python)
        .arg(workspace_root().join("tests/python/single_node_data.py"))
        .arg(node.address.to_string())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("OK"),
        "driver checks failed\nstdout:\n{stdout}\nstderr:\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        node.log_text()
    );
}
