//! `sibyl-protocol`: what every Sibyl client and server agree on.
//!
//! The crate is sans-IO except for the optional client: codecs work on byte
//! buffers, and sockets live in the server's transport and in `client`.
//!
//! - [`cql`]: the CQL language: text to a typed AST and back.
//! - [`logging`]: the one tracing setup every binary uses.
//! - [`value`]: CQL data types and values.
//! - [`frame`], [`request`], [`response`], [`types`], [`compression`],
//!   [`segment`]: the native protocol wire layer (docs/native-protocol.md).
//! - [`client`]: the async (tokio) connection and session our tools use
//!   (docs/client.md).
//! - [`error`], [`limits`]: [`ProtocolError`] and the maxima decoders enforce.
#![deny(missing_docs)]

pub mod cql;
pub mod logging;
pub mod value;

pub mod client;
pub mod compression;
pub mod error;
pub mod frame;
pub mod limits;
pub mod request;
pub mod response;
pub mod segment;
pub mod types;

pub use error::ProtocolError;
pub use frame::{ProtocolVersion, RawFrame, RequestFrame, ResponseFrame};
pub use request::Request;
pub use response::Response;
