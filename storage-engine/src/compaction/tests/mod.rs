//! Compaction tests: pure strategy tables, then merges on real temporary directories.

mod invariants;
mod no_resurrection;
mod strategies;
mod task;
