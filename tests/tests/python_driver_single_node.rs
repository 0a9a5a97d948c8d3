//! Goal: the unmodified Python `cassandra-driver` 3.30.1 works against one real
//! `sibyld`: it negotiates v5 (and v4 forced, with and without LZ4), reads the
//! system tables into correct metadata, runs DDL with schema agreement, maps
//! errors to its own exceptions and prepares statements with stable ids.
//! Method: start a node, run `tests/python/single_node_schema.py` with the
//! harness's pinned driver; the script asserts and prints OK.

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn python_driver_connects_reads_metadata_and_runs_ddl() {
    let node = Node::start(&[]).expect("sibyld starts");
    if let Err(report) = run_python_checks("single_node_schema.py", &node) {
        panic!("{report}");
    }
}
