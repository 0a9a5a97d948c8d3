//! SSTables: immutable, sorted, checksummed files of partitions (DESIGN §5).
//!
//! Flush and compaction hand `Partition`s in `(token, key)` order to [`writer`]; reads
//! open a table with [`reader`] and either look up one partition (token range -> bloom
//! filter -> summary -> index -> row index -> chunks) or scan a token range with
//! [`scanner`], or stream one partition's rows with [`rows`]. [`directory`] lists the
//! published generations and cleans up unfinished writes. The byte layout is in
//! [`format`] and `docs/sstable-format.md`. All I/O goes through `crate::fs` ([`io`]).
//!
//! Invariants: a table is published iff its TOC exists; every persisted unit is
//! checksummed and verified before use; bad bytes give an [`SsTableError`] naming the
//! file and offset, never a panic and never wrong data.

pub mod block;
pub mod bloom;
pub mod chunk_cache;
pub mod codec;
pub mod directory;
pub mod error;
pub mod format;
pub mod index;
pub mod io;
pub mod layout;
pub mod reader;
pub mod row_index;
pub mod rows;
pub mod scanner;
pub mod serial;
pub mod stats;
pub mod toc;
pub mod writer;

pub use chunk_cache::{ChunkCache, ChunkCacheStats};
pub use directory::{delete, list_generations, next_generation, remove_incomplete};
pub use error::SsTableError;
pub use format::{Component, Descriptor, FORMAT_VERSION};
pub use reader::{PartitionFilter, SsTableReader};
pub use rows::PartitionRows;
pub use scanner::{ScanEnd, ScanStart, Scanner};
pub use stats::Stats;
pub use writer::{SsTableWriter, WriterOptions, WrittenSsTable};

#[cfg(test)]
mod tests;
