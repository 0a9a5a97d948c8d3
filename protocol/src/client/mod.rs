//! `client`: a small async (tokio) client of the native protocol, used by the
//! shell, the tools and the tests. Compatibility with real drivers is proven by
//! the drivers themselves; this client is a convenience (docs/client.md).
//!
//! - [`framing`]: sans-IO reading and writing of raw frames, plain (v3/v4) or
//!   inside v5 segments. No tokio in it.
//! - [`connection`]: [`Connection`], one TCP connection with version
//!   negotiation, STARTUP, SASL PLAIN, many concurrent streams and events.
//! - [`session`]: [`Session`], typed queries, prepared statements, paging and
//!   batches on top of a connection.
//! - [`tls`]: [`TlsOptions`] and the TLS wrapping of a socket.
//! - [`options`], [`error`]: [`ConnectOptions`] and [`ClientError`].
//!
//! Invariants: every spawned task is owned by the connection and aborted when the
//! last handle is dropped or [`Connection::close`] runs; when the socket fails,
//! every pending request receives an error (never hangs); a stream id is reused
//! only after its response arrived (or the connection ended).

pub mod connection;
pub mod error;
pub mod framing;
mod handshake;
pub mod options;
pub mod rows;
pub mod session;
mod streams;
pub mod tls;

pub use connection::Connection;
pub use error::ClientError;
pub use options::ConnectOptions;
pub use rows::{QueryResult, RowSet};
pub use session::{BatchItem, PreparedStatement, QueryOptions, RowPager, Session};
pub use tls::TlsOptions;
