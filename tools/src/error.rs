//! The tools' error type: what failed, with the context each layer adds
//! ("opening data.csv: No such file"). Binaries print it; nothing matches on
//! the text.

use std::fmt::Display;

/// A failure of a tool operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// A file or socket operation.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A request to a node.
    #[error(transparent)]
    Client(#[from] sibyl_protocol::client::ClientError),
    /// JSON (reports, checkpoints, JSON lines).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A task that panicked or was cancelled.
    #[error(transparent)]
    Join(#[from] tokio::task::JoinError),
    /// Bad arguments or input shape.
    #[error("{0}")]
    Invalid(String),
    /// An error with what was being done.
    #[error("{what}: {source}")]
    Context {
        /// What was being done.
        what: String,
        /// The cause.
        source: Box<ToolError>,
    },
}

macro_rules! from_as_invalid {
    ($($t:ty),*) => {$(
        impl From<$t> for ToolError {
            fn from(e: $t) -> Self {
                ToolError::Invalid(e.to_string())
            }
        }
    )*};
}

from_as_invalid!(
    std::num::ParseIntError,
    std::num::ParseFloatError,
    std::num::TryFromIntError,
    tokio::sync::AcquireError,
    chrono::ParseError
);

/// The tools' result type.
pub type Result<T, E = ToolError> = std::result::Result<T, E>;

/// Adds context to an error, as `anyhow::Context` does.
pub trait Context<T> {
    /// Wraps the error with `what`.
    ///
    /// # Errors
    /// The wrapped error.
    fn context(self, what: impl Display) -> Result<T>;

    /// Wraps the error with the text `f` returns (built only on error).
    ///
    /// # Errors
    /// The wrapped error.
    fn with_context<S: Display>(self, f: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<ToolError>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl Display) -> Result<T> {
        self.map_err(|e| ToolError::Context {
            what: what.to_string(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<S: Display>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| ToolError::Context {
            what: f().to_string(),
            source: Box::new(e.into()),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: impl Display) -> Result<T> {
        self.ok_or_else(|| ToolError::Invalid(what.to_string()))
    }

    fn with_context<S: Display>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.ok_or_else(|| ToolError::Invalid(f().to_string()))
    }
}

/// Returns early with [`ToolError::Invalid`] and a formatted message.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::ToolError::Invalid(format!($($arg)*)))
    };
}
