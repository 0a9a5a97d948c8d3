//! Goal: list element operations behave as in Cassandra through the Python
//! driver: `l[i] = v` and `l[i] = null`, `DELETE l[i]`, `l = l - [...]`,
//! prepared `l[?] = ?`, static lists, and the errors for out-of-bound indexes
//! and null lists; other elements keep their order.
//! Method: run `tests/python/list_index.py` against a real node.

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn list_index_through_the_python_driver() {
    let node = Node::start(&[]).expect("sibyld starts");
    if let Err(report) = run_python_checks("list_index.py", &node) {
        panic!("{report}");
    }
}
