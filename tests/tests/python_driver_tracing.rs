//! Goal: query tracing works end to end for the Python driver: with
//! `trace=True` the response carries a tracing session id (v4 and v5), and
//! `get_query_trace()` finds the session in `system_traces.sessions` with a
//! duration, request, parameters and events from the request path (parsing,
//! preparing, the read or write), for simple, prepared and batch statements.
//! Method: run `tests/python/tracing.py` against a real node.

use sibyl_tests::node::{Node, run_python_checks};

#[test]
fn python_driver_gets_query_traces() {
    let node = Node::start(&[]).expect("sibyld starts");
    if let Err(report) = run_python_checks("tracing.py", &node) {
        panic!("{report}");
    }
}
