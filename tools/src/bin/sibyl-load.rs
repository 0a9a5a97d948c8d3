//! `sibyl-load`: bulk loading (placeholder until the loader lands).

fn main() {}
