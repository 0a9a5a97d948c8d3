//! Goal: the tombstone and batch-size thresholds behave as Cassandra's: past
//! the warn level the client gets a warning, past the fail level a
//! ReadFailure (tombstones) or InvalidRequest (batch) and nothing is written;
//! a value over `max_value_size_mb` is refused (InvalidRequest), also in an LWT,
//! and so is a write putting more than `items_per_collection_fail_threshold`
//! elements in a collection.
//! Method: a node with low thresholds (`--set`), driven by the Python driver.

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn thresholds_warn_then_fail_through_the_python_driver() {
    let node = Node::start(&[
        "--set",
        "tombstone_warn_threshold=10",
        "--set",
        "tombstone_failure_threshold=50",
        "--set",
        "batch_size_warn_threshold_kb=1",
        "--set",
        "batch_size_fail_threshold_kb=4",
        "--set",
        "max_value_size_mb=1",
        "--set",
        "items_per_collection_fail_threshold=100",
    ])
    .expect("sibyld starts");
    if let Err(report) = run_python_checks("thresholds.py", &node) {
        panic!("{report}");
    }
}
