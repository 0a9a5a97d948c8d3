//! `sibyl-storage`: the single-node LSM engine under every Sibyl table.
//!
//! It knows bytes, cells, timestamps and tombstones; no CQL types and no
//! network (DESIGN §2, §4, §5). Writes go commitlog -> memtable; memtables
//! flush to immutable SSTables; compaction merges SSTables; reads merge
//! memtables and SSTables through one reconciliation function.
#![deny(missing_docs)]
pub mod sstable;
