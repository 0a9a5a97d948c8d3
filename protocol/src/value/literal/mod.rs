//! CQL literal text for values: [`format_literal`] writes a literal that CQL
//! parses back to the same value; [`parse_literal`] reads the text Cassandra
//! accepts for a type from a string or number literal (what `fromString` takes),
//! as the loader, `COPY FROM` and the server's literal terms need.

mod composite;
mod format;
mod parse;
mod temporal;

pub use format::format_literal;
pub use parse::parse_literal;
