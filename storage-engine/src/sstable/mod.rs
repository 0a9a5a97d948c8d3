//! SSTables: immutable, sorted, checksummed files of partitions (DESIGN §5).
//!
//! Flush and compaction hand `Partition`s in `(token, key)` order to [`writer`]; reads
//! open a table with [`reader`] and either look up one partition (token range -> bloom
//! filter -> summary -> index -> row index -> chunks) or scan a token range with
//! [`scanner`]. The byte layout is in [`format`] and `docs/sstable-format.md`.

pub mod block;
pub mod bloom;
pub mod codec;
pub mod directory;
pub mod error;
pub mod format;
pub mod index;
pub mod io;
pub mod layout;
pub mod reader;
pub mod row_index;
pub mod scanner;
pub mod serial;
pub mod stats;
pub mod toc;
pub mod writer;

pub use directory::{delete, list_generations, next_generation, remove_incomplete};
pub use error::SsTableError;
pub use format::{Component, Descriptor, FORMAT_VERSION};
pub use reader::{PartitionFilter, SsTableReader};
pub use scanner::{ScanEnd, ScanStart, Scanner};
pub use stats::Stats;
pub use writer::{SsTableWriter, WriterOptions, WrittenSsTable};

#[cfg(test)]
mod tests;
