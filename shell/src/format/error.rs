//! Error lines as cqlsh prints them: `<driver exception class>: <text>`
//! (`cqlshmain.py` `perform_simple_statement`), where the class and text are
//! those the Python driver 3.30 builds for each error code
//! (`cassandra/protocol.py` `to_exception`, `cassandra/__init__.py`).

use sibyl_protocol::client::ClientError;
use sibyl_protocol::response::{ErrorKind, Failures};
use sibyl_protocol::types::Consistency;

/// The driver's summary of each error code (`ErrorMessage.summary`).
fn summary(code: i32) -> &'static str {
    match code {
        0x0000 => "Server error",
        0x000A => "Protocol error",
        0x0100 => "Bad credentials",
        0x1000 => "Unavailable exception",
        0x1001 => "Coordinator node overloaded",
        0x1002 => "Coordinator node is bootstrapping",
        0x1003 => "Error during truncate",
        0x1100 | 0x1200 => "Coordinator node timed out waiting for replica nodes' responses",
        0x1300 => "Replica(s) failed to execute read",
        0x1400 => "User Defined Function failure",
        0x1500 => "Replica(s) failed to execute write",
        0x1600 => "Failed to execute write due to CDC space exhaustion.",
        0x2000 => "Syntax error in CQL query",
        0x2100 => "Unauthorized",
        0x2200 => "Invalid query",
        0x2300 => "Query invalid because of configuration issue",
        0x2400 => "Item already exists",
        0x2500 => "Matching prepared statement not found on this node",
        _ => "Unknown",
    }
}

/// The class name of the driver's `ErrorMessage` subclass for a code, for
/// the codes whose exception is the message itself (text = server message).
fn message_class(code: i32) -> &'static str {
    match code {
        0x0000 => "ServerError",
        0x000A => "ProtocolException",
        0x0100 => "BadCredentials",
        0x1001 => "OverloadedErrorMessage",
        0x1002 => "IsBootstrappingErrorMessage",
        0x1003 => "TruncateError",
        0x1600 => "CDCWriteException",
        0x2000 => "SyntaxException",
        0x2300 => "ConfigurationException",
        0x2500 => "PreparedQueryNotFound",
        _ => "ErrorMessage",
    }
}

/// `Error from server: code=2200 [Invalid query] message="..."`.
pub fn summary_msg(code: i32, message: &str) -> String {
    format!(
        "Error from server: code={code:04x} [{}] message=\"{message}\"",
        summary(code)
    )
}

/// Python `repr` of a str (single quotes unless the text holds one).
fn py_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// `info={'consistency': 'ONE', ...}` for the coordination errors.
fn info(consistency: Consistency, fields: &[(&str, String)]) -> String {
    let mut parts = vec![format!("'consistency': {}", py_repr(consistency.name()))];
    parts.extend(fields.iter().map(|(k, v)| format!("'{k}': {v}")));
    format!(" info={{{}}}", parts.join(", "))
}

/// The failures fields of Read/WriteFailure (`failures`, v5 `error_code_map`).
fn failure_fields(
    received: i32,
    block_for: i32,
    failures: &Failures,
) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("required_responses", block_for.to_string()),
        ("received_responses", received.to_string()),
    ];
    match failures {
        Failures::Count(n) => f.push(("failures", n.to_string())),
        Failures::ReasonMap(map) => {
            f.push(("failures", map.len().to_string()));
            let entries: Vec<String> = map
                .iter()
                .map(|(ip, code)| format!("'{ip}': '0x{code:04x}'"))
                .collect();
            f.push(("error_code_map", format!("{{{}}}", entries.join(", "))));
        }
    }
    f
}

/// The class and `info={...}` suffix of the coordination errors.
fn coordination(details: &ErrorKind) -> Option<(&'static str, String)> {
    let pair = |k: &'static str, v: &i32| (k, v.to_string());
    Some(match details {
        ErrorKind::Unavailable {
            consistency,
            required,
            alive,
        } => (
            "Unavailable",
            info(
                *consistency,
                &[
                    pair("required_replicas", required),
                    pair("alive_replicas", alive),
                ],
            ),
        ),
        ErrorKind::WriteTimeout {
            consistency,
            received,
            block_for,
            write_type,
            ..
        } => {
            let fields = [
                pair("required_responses", block_for),
                pair("received_responses", received),
                ("write_type", py_repr(write_type.name())),
            ];
            ("WriteTimeout", info(*consistency, &fields))
        }
        ErrorKind::ReadTimeout {
            consistency,
            received,
            block_for,
            ..
        } => {
            let fields = [
                pair("required_responses", block_for),
                pair("received_responses", received),
            ];
            ("ReadTimeout", info(*consistency, &fields))
        }
        ErrorKind::ReadFailure {
            consistency,
            received,
            block_for,
            failures,
            ..
        } => (
            "ReadFailure",
            info(
                *consistency,
                &failure_fields(*received, *block_for, failures),
            ),
        ),
        ErrorKind::WriteFailure {
            consistency,
            received,
            block_for,
            failures,
            ..
        } => (
            "WriteFailure",
            info(
                *consistency,
                &failure_fields(*received, *block_for, failures),
            ),
        ),
        _ => return None,
    })
}

/// The line cqlsh prints for a server error.
pub fn format_server_error(code: i32, message: &str, details: &ErrorKind) -> String {
    let s = summary_msg(code, message);
    if let Some((class, info)) = coordination(details) {
        return format!("{class}: {s}{info}");
    }
    match details {
        ErrorKind::FunctionFailure { .. } => format!("FunctionFailure: {s}"),
        ErrorKind::Unauthorized => format!("Unauthorized: {s}"),
        ErrorKind::Invalid => format!("InvalidRequest: {s}"),
        ErrorKind::AlreadyExists { keyspace, table } if table.is_empty() => {
            format!("AlreadyExists: Keyspace '{keyspace}' already exists")
        }
        ErrorKind::AlreadyExists { keyspace, table } => {
            format!("AlreadyExists: Table '{keyspace}.{table}' already exists")
        }
        _ => format!("{}: {message}", message_class(code)),
    }
}

/// The line printed for any failed statement.
pub fn format_client_error(err: &ClientError) -> String {
    match err {
        ClientError::Server {
            code,
            message,
            details,
        } => format_server_error(*code, message, details),
        ClientError::Timeout { .. } => {
            "OperationTimedOut: errors={}, last_host=None (client request timeout)".into()
        }
        other => format!("ConnectionException: {other}"),
    }
}

/// Expected strings were produced by the pinned Python driver 3.30.1:
/// `cls(code, msg, info).to_exception()` printed the way cqlsh prints it.
#[cfg(test)]
mod tests {
    use sibyl_protocol::response::WriteType;

    use super::*;

    #[test]
    fn validation_errors() {
        assert_eq!(
            format_server_error(0x2200, "unconfigured table t", &ErrorKind::Invalid),
            "InvalidRequest: Error from server: code=2200 [Invalid query] message=\"unconfigured table t\""
        );
        assert_eq!(
            format_server_error(
                0x2000,
                "line 1:7 no viable alternative at input 'x'",
                &ErrorKind::Syntax
            ),
            "SyntaxException: line 1:7 no viable alternative at input 'x'"
        );
        assert_eq!(
            format_server_error(0x2100, "no perms", &ErrorKind::Unauthorized),
            "Unauthorized: Error from server: code=2100 [Unauthorized] message=\"no perms\""
        );
        assert_eq!(
            format_server_error(0x2300, "bad rf", &ErrorKind::Config),
            "ConfigurationException: bad rf"
        );
        assert_eq!(
            format_server_error(0x0000, "boom", &ErrorKind::Server),
            "ServerError: boom"
        );
    }

    #[test]
    fn already_exists() {
        let ks = ErrorKind::AlreadyExists {
            keyspace: "ks".into(),
            table: String::new(),
        };
        assert_eq!(
            format_server_error(0x2400, "x", &ks),
            "AlreadyExists: Keyspace 'ks' already exists"
        );
        let t = ErrorKind::AlreadyExists {
            keyspace: "ks".into(),
            table: "t".into(),
        };
        assert_eq!(
            format_server_error(0x2400, "x", &t),
            "AlreadyExists: Table 'ks.t' already exists"
        );
    }

    #[test]
    fn coordination_errors_carry_info() {
        let u = ErrorKind::Unavailable {
            consistency: Consistency::Quorum,
            required: 2,
            alive: 1,
        };
        assert_eq!(
            format_server_error(0x1000, "Cannot achieve consistency level QUORUM", &u),
            "Unavailable: Error from server: code=1000 [Unavailable exception] message=\"Cannot achieve \
             consistency level QUORUM\" info={'consistency': 'QUORUM', 'required_replicas': 2, 'alive_replicas': 1}"
        );
        let w = ErrorKind::WriteTimeout {
            consistency: Consistency::One,
            received: 0,
            block_for: 1,
            write_type: WriteType::Simple,
            contentions: None,
        };
        assert_eq!(
            format_server_error(0x1100, "timeout", &w),
            "WriteTimeout: Error from server: code=1100 [Coordinator node timed out waiting for replica \
             nodes' responses] message=\"timeout\" info={'consistency': 'ONE', 'required_responses': 1, \
             'received_responses': 0, 'write_type': 'SIMPLE'}"
        );
        let r = ErrorKind::ReadTimeout {
            consistency: Consistency::All,
            received: 1,
            block_for: 3,
            data_present: false,
        };
        let f = ErrorKind::ReadFailure {
            consistency: Consistency::One,
            received: 0,
            block_for: 1,
            failures: Failures::Count(1),
            data_present: false,
        };
        assert_eq!(
            format_server_error(0x1300, "rf", &f),
            "ReadFailure: Error from server: code=1300 [Replica(s) failed to execute read] message=\"rf\" \
             info={'consistency': 'ONE', 'required_responses': 1, 'received_responses': 0, 'failures': 1}"
        );
        assert_eq!(
            format_server_error(0x1001, "busy", &ErrorKind::Overloaded),
            "OverloadedErrorMessage: busy"
        );
        assert!(format_server_error(0x1200, "t", &r).ends_with(
            "info={'consistency': 'ALL', 'required_responses': 3, 'received_responses': 1}"
        ));
    }
}
