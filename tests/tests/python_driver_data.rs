//! Goal: data written through the unmodified Python driver reads back exactly:
//! every CQL type (prepared and unprepared, null and unset), collections,
//! statics, TTL expiry, deletes at every level, slices, IN, ORDER BY, batches,
//! and `token()` equal to the driver's Murmur3 for 1,000 composite keys.
//! Method: run `tests/python/single_node_data.py` against a real node.

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn every_type_and_statement_round_trips_through_the_python_driver() {
    let node = Node::start(&[]).expect("sibyld starts");
    if let Err(report) = run_python_checks("single_node_data.py", &node) {
        panic!("{report}");
    }
}
