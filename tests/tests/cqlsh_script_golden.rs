//! Goal: a 60-statement `cqlsh -f` script (schema, every CQL type, collections,
//! TTL, slices, ORDER BY, ALLOW FILTERING, deletes, batches, ALTER, TRUNCATE,
//! DESCRIBE, system_schema reads and three errors) prints exactly what the
//! golden files say, through the unmodified cqlsh 6.2.2.
//! Method: run the script against a fresh node; compare stdout with
//! `testdata/cqlsh/script.out` and stderr with `script.err` byte for byte.
//! To refresh after an intended change: run the same cqlsh command and review the diff.

use std::process::Command;

use sibyl_tests::node::Node;
use sibyl_tests::python::{clients, workspace_root};

#[test]
fn cqlsh_script_output_matches_the_golden_files() {
    let clients = clients().expect("the pinned cqlsh installs");
    let node = Node::start(&[]).expect("sibyld starts");
    let root = workspace_root();
    let output = Command::new(&clients.cqlsh)
        .arg(node.address.to_string())
        .args(["-f", "testdata/cqlsh/script.cql"])
        .current_dir(&root)
        .output()
        .expect("cqlsh runs");
    let expected_out =
        std::fs::read_to_string(root.join("testdata/cqlsh/script.out")).expect("golden stdout");
    let expected_err =
        std::fs::read_to_string(root.join("testdata/cqlsh/script.err")).expect("golden stderr");
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "the script has failing statements, so cqlsh exits 2"
    );
    assert_eq!(
        err, expected_err,
        "stderr differs from testdata/cqlsh/script.err"
    );
    assert_eq!(
        out, expected_out,
        "stdout differs from testdata/cqlsh/script.out"
    );
}
