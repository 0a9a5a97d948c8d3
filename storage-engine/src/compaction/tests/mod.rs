//! Compaction tests: pure strategy tables, then merges on real temporary directories.

mod strategies;
mod task;
