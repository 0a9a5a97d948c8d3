//! The request error taxonomy, and the one place it becomes a protocol error.
//!
//! Operating errors (bad CQL, invalid requests, unavailable replicas,
//! timeouts) are values sent to the client (STYLE §6); [`RequestError::to_response`]
//! is the single mapping to the protocol's codes and bodies.

use sibyl_protocol::response::{ErrorKind, ErrorResponse};

use crate::schema::SchemaError;

/// Why a request failed, as the client will be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The statement does not parse (0x2000).
    #[error("{0}")]
    Syntax(String),
    /// The statement is not valid for the schema or its values (0x2200).
    #[error("{0}")]
    Invalid(String),
    /// A schema option or setting is wrong (0x2300).
    #[error("{0}")]
    Config(String),
    /// The keyspace or table already exists (0x2400).
    #[error("{message}")]
    AlreadyExists {
        /// Keyspace name.
        keyspace: String,
        /// Table or type name; empty for a keyspace.
        table: String,
        /// The message.
        message: String,
    },
    /// The client is not allowed to do this (0x2100).
    #[error("{0}")]
    Unauthorized(String),
    /// The node is too busy (0x1001).
    #[error("{0}")]
    Overloaded(String),
    /// Something went wrong inside the node (0x0000); the message says what.
    #[error("{0}")]
    Server(String),
    /// A protocol-level error prepared elsewhere (coordinator timeouts,
    /// unavailable, unprepared ...), passed through unchanged.
    #[error("{}", .0.message)]
    Protocol(ErrorResponse),
}

impl RequestError {
    /// An InvalidRequest with this message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// The ERROR response the client receives.
    pub fn to_response(&self) -> ErrorResponse {
        let (kind, message) = match self {
            RequestError::Syntax(m) => (ErrorKind::Syntax, m.clone()),
            RequestError::Invalid(m) => (ErrorKind::Invalid, m.clone()),
            RequestError::Config(m) => (ErrorKind::Config, m.clone()),
            RequestError::AlreadyExists {
                keyspace,
                table,
                message,
            } => (
                ErrorKind::AlreadyExists {
                    keyspace: keyspace.clone(),
                    table: table.clone(),
                },
                message.clone(),
            ),
            RequestError::Unauthorized(m) => (ErrorKind::Unauthorized, m.clone()),
            RequestError::Overloaded(m) => (ErrorKind::Overloaded, m.clone()),
            RequestError::Server(m) => (ErrorKind::Server, m.clone()),
            RequestError::Protocol(response) => return response.clone(),
        };
        ErrorResponse { kind, message }
    }
}

impl From<SchemaError> for RequestError {
    fn from(error: SchemaError) -> Self {
        match error {
            SchemaError::Invalid(m) => RequestError::Invalid(m),
            SchemaError::Config(m) => RequestError::Config(m),
            SchemaError::AlreadyExists { keyspace, table } => {
                let message = SchemaError::AlreadyExists {
                    keyspace: keyspace.clone(),
                    table: table.clone(),
                }
                .to_string();
                RequestError::AlreadyExists {
                    keyspace,
                    table,
                    message,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_maps_to_its_protocol_code() {
        let cases = [
            (RequestError::Syntax("s".into()), 0x2000),
            (RequestError::invalid("i"), 0x2200),
            (RequestError::Config("c".into()), 0x2300),
            (RequestError::Unauthorized("u".into()), 0x2100),
            (RequestError::Overloaded("o".into()), 0x1001),
            (RequestError::Server("x".into()), 0x0000),
        ];
        for (error, code) in cases {
            let response = error.to_response();
            assert_eq!(response.kind.code(), code, "{error:?}");
            assert_eq!(response.message, error.to_string());
        }
    }

    #[test]
    fn schema_errors_keep_their_category_and_names() {
        let exists: RequestError = SchemaError::AlreadyExists {
            keyspace: "ks".into(),
            table: "t".into(),
        }
        .into();
        let response = exists.to_response();
        assert_eq!(response.message, "Object ks.t already exists");
        assert!(
            matches!(response.kind, ErrorKind::AlreadyExists { ref keyspace, ref table } if keyspace == "ks" && table == "t")
        );
        let config: RequestError = SchemaError::Config("bad".into()).into();
        assert_eq!(config.to_response().kind.code(), 0x2300);
    }
}
