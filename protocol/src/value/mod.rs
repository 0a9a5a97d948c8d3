//! CQL data types and values: what a column holds and how it looks on the wire,
//! in CQL text and inside a clustering key.
//!
//! - [`types`]: [`CqlType`], the description of a column's type, shared by the
//!   frame layer (type options in result metadata), the parser (type names in
//!   DDL) and the value codecs.
//! - [`value`](mod@value): [`CqlValue`], one value of any type (null is `Option`).
//! - [`codec`]: the native protocol's binary form ([`encode`], [`decode`]).
//! - [`compare`]: Cassandra's ordering of values ([`cql_cmp`]) and set/map
//!   normalization.
//! - [`order`]: the order-preserving byte form of clustering keys.
//! - [`literal`]: CQL literal text: [`parse_literal`] and [`format_literal`].
//! - [`error`]: the error type, [`ValueError`].
//!
//! `docs/cql-types.md` describes every format.

pub mod codec;
pub mod compare;
pub mod error;
pub mod literal;
pub mod order;
pub mod temporal;
pub mod types;
#[expect(
    clippy::module_inception,
    reason = "value::value holds CqlValue, one noun per file"
)]
pub mod value;

pub use codec::{decode, encode, encode_to_vec};
pub use compare::cql_cmp;
pub use error::ValueError;
pub use literal::{format_literal, parse_literal};
pub use order::{
    Order, check_clusterable, decode_clustering_component, decode_clustering_key,
    encode_clustering_component, encode_clustering_key,
};
pub use types::{CqlType, UdtDef};
pub use value::{CqlDuration, CqlValue};
