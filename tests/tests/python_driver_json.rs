//! Goal: `SELECT JSON` and `INSERT JSON` behave as in Cassandra through the
//! Python driver: value forms for scalars, collections, tuples and UDTs,
//! `DEFAULT NULL`/`UNSET`, prepared `INSERT JSON ?`, quoted names, and the
//! errors for unknown columns, mistyped values and malformed documents.
//! Method: run `tests/python/json_values.py` against a real node.

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn json_through_the_python_driver() {
    let node = Node::start(&[]).expect("sibyld starts");
    if let Err(report) = run_python_checks("json_values.py", &node) {
        panic!("{report}");
    }
}
