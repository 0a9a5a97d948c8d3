//! Goal: counter columns behave as in Cassandra through the Python driver:
//! increments/decrements, concurrent increments from four clients with none
//! lost, counter batches (protocol and CQL), deletes, and the errors for
//! INSERT, SET, TTL, logged batches and mixed tables.
//! Method: run `tests/python/counters.py` against a real node.

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn counters_through_the_python_driver() {
    let node = Node::start(&[]).expect("sibyld starts");
    if let Err(report) = run_python_checks("counters.py", &node) {
        panic!("{report}");
    }
}
