//! CQL values: binary codec round trips and golden vectors, clustering order
//! encoding against Cassandra's comparator, literal parsing and formatting, and
//! "arbitrary input never panics" for every decoder and parser.

mod values {
    pub mod codec;
    pub mod literal;
    pub mod order;
    pub mod strategies;
}
