//! Compaction tests: pure strategy tables, then merges on real temporary directories.

mod invariants;
mod strategies;
mod task;
