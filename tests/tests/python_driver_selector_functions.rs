//! Goal: scalar selector functions behave as in Cassandra through the Python
//! driver: time and blob conversions, `toJson`, `CAST`, UDT field selection,
//! result column names and types (prepared too), nulls, and the errors for
//! unknown functions, wrong argument types and impossible casts.
//! Method: run `tests/python/selector_functions.py` against a real node.

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn selector_functions_through_the_python_driver() {
    let node = Node::start(&[]).expect("sibyld starts");
    if let Err(report) = run_python_checks("selector_functions.py", &node) {
        panic!("{report}");
    }
}
