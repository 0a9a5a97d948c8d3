//! Goal: per-request coordinator timeouts are enforced as Cassandra's: a read
//! still running past `read_request_timeout_ms` / `range_request_timeout_ms`
//! answers ReadTimeout (request consistency, 0 of 1 responses, no data) while
//! writes under their own timeout succeed.
//! Method: a node with 1 ms read and range timeouts; a 20,000-row unpaged
//! read through the Python driver (it takes far longer than 1 ms).

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn reads_past_their_timeout_answer_read_timeout() {
    let node = Node::start(&[
        "--set",
        "read_request_timeout_ms=1",
        "--set",
        "range_request_timeout_ms=1",
    ])
    .expect("sibyld starts");
    if let Err(report) = run_python_checks("timeouts.py", &node) {
        panic!("{report}");
    }
}
