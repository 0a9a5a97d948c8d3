//! CQL data types and values: what a column holds and how it looks on the wire.
//!
//! - [`types`]: [`CqlType`], the description of a column's type, shared by the
//!   frame layer (type options in result metadata), the parser (type names in
//!   DDL) and the value codecs.

pub mod types;

pub use types::{CqlType, UdtDef};
