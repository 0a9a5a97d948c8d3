//! `sibyl-protocol`: what every Sibyl client and server agree on.
//!
//! The crate is sans-IO except for the optional client: codecs work on byte
//! buffers, and sockets live in the server's transport and in `client`.
//!
//! - [`cql`]: the CQL language: text to a typed AST and back.
//! - [`logging`]: the one tracing setup every binary uses.
//! - [`value`]: CQL data types and values.
#![deny(missing_docs)]

pub mod cql;
pub mod logging;
pub mod value;
