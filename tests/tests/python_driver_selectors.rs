//! Goal: element and slice selection on maps and sets, functions inside
//! aggregates (with GROUP BY) and `now()`-style selectors behave as in
//! Cassandra 4 through the Python driver: values, nulls, result column names
//! and types, bind markers typed in PREPARE metadata, and the errors for lists,
//! non-collections and nested aggregates.
//! Method: run `tests/python/select_elements_aggregates.py` against a real node.

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn selectors_through_the_python_driver() {
    let node = Node::start(&[]).expect("sibyld starts");
    if let Err(report) = run_python_checks("select_elements_aggregates.py", &node) {
        panic!("{report}");
    }
}
