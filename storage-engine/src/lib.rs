//! `sibyl-storage`: the single-node LSM engine under every Sibyl table.
//!
//! It knows bytes, cells, timestamps and tombstones; no CQL types and no
//! network (DESIGN §2, §4, §5). Writes go commitlog -> memtable; memtables
//! flush to immutable SSTables; compaction merges SSTables; reads merge
//! memtables and SSTables through one reconciliation function.
//!
//! Map of the crate, in data-path order:
//! - [`model`]: keys, bounds, cells, rows, partitions, the Murmur3
//!   partitioner, reconciliation and purge rules, the mutation codec;
//! - [`commitlog`]: the write-ahead log shared by all tables;
//! - [`memtable`]: a table's recent writes, ordered, concurrent;
//! - [`config`]: settings and their defaults;
//! - [`fs`]: the disk seam ([`fs::StdFs`], [`fs::MemFs`] for crash tests);
//! - [`error`]: the crate's error type;
//! - [`engine`]: the facade ([`engine::Engine`], [`table::Table`]): start-up,
//!   tables, apply, flush, close; [`read`] merges sources for reads and scans;
//!   [`version`] holds the immutable snapshots reads use; [`manifest`] logs
//!   table and SSTable edits; [`flush`] turns memtables into SSTables.
#![deny(missing_docs)]

pub mod commitlog;
pub mod compaction;
pub mod config;
pub mod engine;
pub mod error;
mod flush;
pub mod fs;
pub mod manifest;
pub mod memtable;
pub mod model;
pub mod read;
pub mod sstable;
pub mod table;
pub mod version;

pub use engine::{Engine, EngineOptions};
pub use error::{DecodeError, Error, Result};
pub use read::{ReadLimits, ReadResult, ScanPage, ScanRange};
pub use table::{Table, TableOptions, TableStats};
