//! Tests of the model: partitioner vectors, bounds, reconciliation, codec.

mod bound;
mod codec;
mod partitioner;
mod reconcile;
mod rules;
