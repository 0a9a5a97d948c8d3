//! [`ClientError`]: everything a client call can fail with. It is `Clone` so the
//! one reason a connection died can be handed to every pending request.

use std::time::Duration;

use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::response::ErrorKind;
use crate::value::ValueError;

/// A failed client operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The socket failed (connect, read or write).
    #[error("I/O error ({kind:?}): {message}")]
    Io {
        /// The I/O error kind.
        kind: std::io::ErrorKind,
        /// Its text.
        message: String,
    },
    /// Bytes from the server that break the protocol, or a request we cannot encode.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The server answered with an ERROR frame.
    #[error("server error {code:#06x}: {message}")]
    Server {
        /// The error code.
        code: i32,
        /// The server's message.
        message: String,
        /// The code-specific fields.
        details: ErrorKind,
    },
    /// No response within the request timeout.
    #[error("request timed out after {after:?}")]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// Connecting (TCP plus handshake) took longer than the connect timeout.
    #[error("connect timed out after {after:?}")]
    ConnectTimeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection is closed; the text says why.
    #[error("connection closed: {0}")]
    Closed(String),
    /// The server rejected every protocol version we tried.
    #[error("no common protocol version (tried {tried:?}): {message}")]
    UnsupportedVersion {
        /// Versions tried, in order.
        tried: Vec<ProtocolVersion>,
        /// The server's last rejection message.
        message: String,
    },
    /// Authentication failed or was required without credentials.
    #[error("authentication failed: {0}")]
    Authentication(String),
    /// A response of a kind the request cannot have.
    #[error("unexpected response to {request}: {response}")]
    UnexpectedResponse {
        /// The request sent.
        request: &'static str,
        /// What came back (debug form, shortened).
        response: String,
    },
    /// A value that cannot be encoded or a cell that cannot be decoded.
    #[error("value error: {0}")]
    Value(#[from] ValueError),
    /// Bad options or arguments.
    #[error("invalid argument: {0}")]
    Invalid(String),
}

impl From<std::io::Error> for ClientError {
    fn from(e: std::io::Error) -> Self {
        ClientError::Io {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl ClientError {
    /// The server error code, if this is a server error.
    pub fn server_code(&self) -> Option<i32> {
        match self {
            ClientError::Server { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True for the error drivers treat as "try a lower protocol version":
    /// a protocol error (0x000A) saying `unsupported protocol version`, or a
    /// beta version used without the USE_BETA flag.
    pub fn is_version_rejection(&self) -> bool {
        match self {
            ClientError::Server { code, message, .. } => {
                let lower = message.to_ascii_lowercase();
                *code == crate::response::error::code::PROTOCOL_ERROR
                    && (lower.contains("unsupported protocol version")
                        || lower.contains("use_beta flag is unset"))
            }
            _ => false,
        }
    }
}

/// Client result alias.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
