//! Goal: the unmodified Python `cassandra-driver` 3.30.1 works against one real
//! `sibyld`: it negotiates v5 (and v4 forced, with and without LZ4), reads the
//! system tables into correct metadata, runs DDL with schema agreement, maps
//! errors to its own exceptions and prepares statements with stable ids.
//! Method: start a node, run `tests/python/single_node_schema.py` with the
//! harness's pinned driver; the script asserts and prints OK.

use sibyl_tests::node::Node;
use sibyl_tests::python::{clients, workspace_root};

#[test]
fn python_driver_connects_reads_metadata_and_runs_ddl() {
    let clients = clients().expect("the pinned Python driver installs");
    let node = Node::start(&[]).expect("sibyld starts");
    let script = workspace_root().join("tests/python/single_node_schema.py");
    let output = std::process::Command::new(&clients.python)
        .arg(&script)
        .arg(node.address.to_string())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("OK"),
        "driver checks failed\nstdout:\n{stdout}\nstderr:\n{stderr}\nnode log:\n{}",
        node.log_text()
    );
}
