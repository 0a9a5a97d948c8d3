//! Segment files: naming, listing, and the per-segment record of which
//! tables still have unflushed data in it.
//!
//! A segment is deleted once no table is dirty in it and it is not the
//! active segment. Segments are never reused in place: a fresh file per
//! segment keeps "the newest segment ends with a torn record" the only way a
//! log can legitimately end badly.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::model::TableId;

const PREFIX: &str = "commitlog-";
const SUFFIX: &str = ".log";

/// The file name of segment `id`.
pub fn segment_file_name(id: u64) -> String {
    format!("{PREFIX}{id:020}{SUFFIX}")
}

/// The segment id encoded in a file name, if it is a segment file.
pub fn parse_segment_file_name(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let digits = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The segment files of `paths`, sorted by id.
pub fn segment_files(paths: Vec<PathBuf>) -> Vec<(u64, PathBuf)> {
    let mut out: Vec<(u64, PathBuf)> = paths
        .into_iter()
        .filter_map(|p| Some((parse_segment_file_name(&p)?, p)))
        .collect();
    out.sort();
    out
}

/// Which tables have unflushed records in one segment, and the end offset
/// of each table's last record there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirtyTables(HashMap<TableId, u64>);

impl DirtyTables {
    /// Notes a record of `table` ending at `offset`.
    pub fn mark(&mut self, table: TableId, offset: u64) {
        let e = self.0.entry(table).or_insert(offset);
        *e = (*e).max(offset);
    }

    /// Forgets `table` if its last record ends at or before `up_to`.
    pub fn clean(&mut self, table: TableId, up_to: u64) {
        if self.0.get(&table).is_some_and(|&end| end <= up_to) {
            self.0.remove(&table);
        }
    }

    /// Forgets `table` entirely.
    pub fn clean_all(&mut self, table: TableId) {
        self.0.remove(&table);
    }

    /// True when no table needs the segment.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The dirty tables.
    pub fn tables(&self) -> impl Iterator<Item = TableId> + '_ {
        self.0.keys().copied()
    }
}
