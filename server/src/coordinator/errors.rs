//! The protocol errors of coordination (Unavailable, ReadTimeout,
//! ReadFailure, WriteTimeout), with Cassandra's figures and messages, built
//! in one place for the coordinator and the Paxos proposer.

use std::net::IpAddr;

use sibyl_protocol::response::{ErrorKind, ErrorResponse, Failures, WriteType};
use sibyl_protocol::types::Consistency;

use crate::error::RequestError;

/// The Unavailable error for `consistency`.
pub(crate) fn unavailable(consistency: Consistency, required: usize, alive: usize) -> RequestError {
    RequestError::Protocol(ErrorResponse {
        kind: ErrorKind::Unavailable {
            consistency,
            required: count(required),
            alive: count(alive),
        },
        message: format!("Cannot achieve consistency level {}", consistency.name()),
    })
}

/// The ReadFailure or WriteFailure figures' failure list.
pub(crate) fn failures(replicas: &[IpAddr]) -> Failures {
    Failures::ReasonMap(replicas.iter().map(|a| (*a, 0x0000)).collect())
}

pub(crate) fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The ReadTimeout error: `received` of `block_for` answers came in time.
pub(crate) fn read_timeout(
    consistency: Consistency,
    received: usize,
    block_for: usize,
) -> RequestError {
    RequestError::Protocol(ErrorResponse {
        kind: ErrorKind::ReadTimeout {
            consistency,
            received: count(received),
            block_for: count(block_for),
            data_present: received > 0,
        },
        message: format!("Operation timed out - received only {received} responses."),
    })
}

/// The ReadFailure error: `failed` replicas reported errors.
pub(crate) fn read_failure(
    consistency: Consistency,
    received: usize,
    block_for: usize,
    failed: &[IpAddr],
) -> RequestError {
    RequestError::Protocol(ErrorResponse {
        kind: ErrorKind::ReadFailure {
            consistency,
            received: count(received),
            block_for: count(block_for),
            failures: failures(failed),
            data_present: received > 0,
        },
        message: format!(
            "Operation failed - received {received} responses and {} failures",
            failed.len()
        ),
    })
}

/// The WriteTimeout error: `received` of `block_for` acknowledgements came in
/// time (`contentions`: Paxos retries, for CAS writes).
pub(crate) fn write_timeout(
    consistency: Consistency,
    (received, block_for): (usize, usize),
    write_type: WriteType,
    contentions: Option<u16>,
) -> RequestError {
    let message = match contentions {
        Some(n) => format!(
            "CAS operation timed out: received {received} of {block_for} required responses after {n} contention retries"
        ),
        None => format!("Operation timed out - received only {received} responses."),
    };
    RequestError::Protocol(ErrorResponse {
        kind: ErrorKind::WriteTimeout {
            consistency,
            received: count(received),
            block_for: count(block_for),
            write_type,
            contentions,
        },
        message,
    })
}
