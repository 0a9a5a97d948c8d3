//! The manifest: the engine's append-only log of table and SSTable edits.
//!
//! One file, `MANIFEST`, in the data directory. Each record is
//! `[u32 body length][u32 CRC-32 of body][body]` (little endian) and holds a
//! batch of [`Edit`]s applied atomically: a flush publishes "SSTable added"
//! and "flushed up to commitlog position" in one record, so a crash never
//! records one without the other.
//!
//! Recovery folds every record into a [`ManifestState`]. A record cut short
//! by a crash, or a bad checksum in the last record of the file, is a torn
//! tail and ends the fold; a bad record followed by further bytes is
//! corruption. Every open rewrites the folded state as a fresh manifest
//! (temporary name, fsync, rename, directory fsync), which both drops the torn
//! tail before new records are appended and keeps the file small.
//!
//! Invariant: an SSTable generation is live iff the manifest says so; files on
//! disk that the manifest does not list are leftovers of an interrupted flush
//! (their data is still in the commitlog) and are removed at start-up.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use crate::commitlog::Position;
use crate::error::{Error, Result};
use crate::fs::{FileSystem, WritableFile};
use crate::model::TableId;
use crate::table::TableOptions;

/// File name of the manifest inside the data directory.
pub const MANIFEST_FILE: &str = "MANIFEST";
const MANIFEST_TMP: &str = "MANIFEST.tmp";
/// Largest manifest record body accepted (bytes).
pub const RECORD_BYTES_MAX: u32 = 16 * 1024 * 1024;
/// Largest manifest file read at open (bytes).
pub const MANIFEST_BYTES_MAX: u64 = 1024 * 1024 * 1024;
const HEADER_LEN: usize = 8;

/// One change to the engine's durable state.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// A table was created with these options.
    CreateTable(TableId, TableOptions),
    /// A table was dropped; its SSTables are gone.
    DropTable(TableId),
    /// An SSTable generation became live.
    AddSsTable(TableId, u64),
    /// An SSTable generation stopped being live.
    RemoveSsTable(TableId, u64),
    /// Every commitlog record of the table at or below this position is in
    /// live SSTables (or was truncated away).
    Flushed(TableId, Position),
    /// What compaction knows of a live SSTable beyond its files: its level
    /// (leveled compaction) and when it was created (seconds; time-window and
    /// leveled choices), so both survive a restart.
    SsTableMeta {
        /// The table.
        table: TableId,
        /// The SSTable generation.
        generation: u64,
        /// Its level.
        level: u32,
        /// Creation time (seconds since the epoch).
        created_at_s: u64,
    },
}

/// What the manifest knows about one table.
#[derive(Clone, Debug, PartialEq)]
pub struct TableManifest {
    /// The table's options.
    pub options: TableOptions,
    /// Live SSTable generations.
    pub sstables: BTreeSet<u64>,
    /// Commitlog position up to which the table's data is flushed.
    pub flushed: Position,
    /// Per live generation: `(level, created_at_s)` when recorded.
    pub meta: BTreeMap<u64, (u32, u64)>,
}

/// The fold of every manifest record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ManifestState {
    /// Live tables.
    pub tables: BTreeMap<TableId, TableManifest>,
}

impl ManifestState {
    /// Applies one edit. Edits naming an unknown table are ignored (a table
    /// dropped in the same batch).
    pub fn apply(&mut self, edit: &Edit) {
        match edit {
            Edit::CreateTable(id, options) => {
                self.tables.insert(
                    *id,
                    TableManifest {
                        options: options.clone(),
                        sstables: BTreeSet::new(),
                        flushed: Position::ZERO,
                        meta: BTreeMap::new(),
                    },
                );
            }
            Edit::DropTable(id) => {
                self.tables.remove(id);
            }
            Edit::AddSsTable(id, generation) => {
                if let Some(t) = self.tables.get_mut(id) {
                    t.sstables.insert(*generation);
                }
            }
            Edit::RemoveSsTable(id, generation) => {
                if let Some(t) = self.tables.get_mut(id) {
                    t.sstables.remove(generation);
                    t.meta.remove(generation);
                }
            }
            Edit::Flushed(id, position) => {
                if let Some(t) = self.tables.get_mut(id) {
                    t.flushed = t.flushed.max(*position);
                }
            }
            Edit::SsTableMeta {
                table,
                generation,
                level,
                created_at_s,
            } => {
                if let Some(t) = self.tables.get_mut(table)
                    && t.sstables.contains(generation)
                {
                    t.meta.insert(*generation, (*level, *created_at_s));
                }
            }
        }
    }

    /// The lowest commitlog segment id the next run may use: above every
    /// recorded flushed position, so new records always replay.
    pub fn min_segment_id(&self) -> u64 {
        let max = self.tables.values().map(|t| t.flushed.segment).max();
        max.map_or(1, |m| m.saturating_add(1))
    }

    /// The edits that rebuild this state from nothing.
    pub fn snapshot_edits(&self) -> Vec<Edit> {
        let mut edits = Vec::new();
        for (id, t) in &self.tables {
            edits.push(Edit::CreateTable(*id, t.options.clone()));
            edits.extend(t.sstables.iter().map(|g| Edit::AddSsTable(*id, *g)));
            edits.extend(
                t.meta
                    .iter()
                    .map(|(g, (level, created_at_s))| Edit::SsTableMeta {
                        table: *id,
                        generation: *g,
                        level: *level,
                        created_at_s: *created_at_s,
                    }),
            );
            edits.push(Edit::Flushed(*id, t.flushed));
        }
        edits
    }
}

/// The open manifest, appending edits.
#[derive(Debug)]
pub struct Manifest {
    fs: Arc<dyn FileSystem>,
    path: PathBuf,
    file: Mutex<Arc<dyn WritableFile>>,
    /// Set after a failed append: a partial record may sit at the end of the
    /// file, so nothing may be appended after it (the next open drops it as
    /// a torn tail).
    failed: AtomicBool,
}

impl Manifest {
    /// Opens (or creates) the manifest in `dir`, folds it, and rewrites it
    /// compacted.
    ///
    /// # Errors
    /// I/O errors; [`Error::Corruption`] for a bad record before the tail.
    pub fn open(fs: Arc<dyn FileSystem>, dir: &Path) -> Result<(Manifest, ManifestState)> {
        let path = dir.join(MANIFEST_FILE);
        let mut state = ManifestState::default();
        if fs.exists(&path) {
            let bytes = fs.read_all(&path, MANIFEST_BYTES_MAX)?;
            for edit in decode_records(&bytes, &path)? {
                state.apply(&edit);
            }
        }
        let tmp = dir.join(MANIFEST_TMP);
        let file = fs.create(&tmp)?;
        let mut record = Vec::new();
        encode_record(&state.snapshot_edits(), &mut record)?;
        file.append(&record)?;
        file.sync()?;
        fs.rename(&tmp, &path)?;
        fs.sync_dir(dir)?;
        let file = fs.open_append(&path)?;
        Ok((
            Manifest {
                fs,
                path,
                file: Mutex::new(file),
                failed: AtomicBool::new(false),
            },
            state,
        ))
    }

    /// Appends one batch of edits and fsyncs it.
    ///
    /// # Errors
    /// I/O errors (the manifest then refuses every later append:
    /// [`Error::Closed`]); [`Error::LimitExceeded`] for an oversized batch.
    pub fn append(&self, edits: &[Edit]) -> Result<()> {
        let mut record = Vec::new();
        encode_record(edits, &mut record)?;
        let file = self.file.lock();
        if self.failed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        let result = file.append(&record).and_then(|()| file.sync());
        if let Err(e) = &result {
            tracing::error!(file = %self.path.display(), error = %e,
                "manifest append failed; no further table changes until restart");
            self.failed.store(true, Ordering::Release);
        }
        result
    }

    /// Where the manifest lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file system the manifest writes to.
    pub fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.fs
    }
}

/// Encodes a batch of edits as one framed record appended to `out`.
///
/// # Errors
/// [`Error::LimitExceeded`] when the body passes [`RECORD_BYTES_MAX`].
pub fn encode_record(edits: &[Edit], out: &mut Vec<u8>) -> Result<()> {
    let mut body = Vec::new();
    for edit in edits {
        encode_edit(edit, &mut body)?;
    }
    let len = u32::try_from(body.len())
        .ok()
        .filter(|l| *l <= RECORD_BYTES_MAX)
        .ok_or(Error::LimitExceeded {
            what: "manifest record",
            got: body.len() as u64,
            max: u64::from(RECORD_BYTES_MAX),
        })?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(())
}

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<()> {
    let len = u16::try_from(s.len()).map_err(|_| Error::LimitExceeded {
        what: "compaction option",
        got: s.len() as u64,
        max: u64::from(u16::MAX),
    })?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn encode_edit(edit: &Edit, out: &mut Vec<u8>) -> Result<()> {
    match edit {
        Edit::CreateTable(id, o) => {
            // Tag 6: tag 1's layout followed by `chunk_bytes u32` (tag 1, from before
            // per-table chunk sizes, still decodes with the default).
            out.push(6);
            out.extend_from_slice(&id.0.to_le_bytes());
            out.extend_from_slice(&o.gc_grace_seconds.to_le_bytes());
            out.extend_from_slice(&o.default_ttl_s.unwrap_or(0).to_le_bytes());
            out.extend_from_slice(&o.bloom_fp_chance.to_bits().to_le_bytes());
            out.extend_from_slice(&o.flush_threshold_bytes.to_le_bytes());
            let n = u16::try_from(o.compaction.len()).map_err(|_| Error::LimitExceeded {
                what: "compaction options",
                got: o.compaction.len() as u64,
                max: u64::from(u16::MAX),
            })?;
            out.extend_from_slice(&n.to_le_bytes());
            for (k, v) in &o.compaction {
                put_str(out, k)?;
                put_str(out, v)?;
            }
            out.extend_from_slice(&o.chunk_bytes.to_le_bytes());
        }
        Edit::DropTable(id) => {
            out.push(2);
            out.extend_from_slice(&id.0.to_le_bytes());
        }
        Edit::AddSsTable(id, g) | Edit::RemoveSsTable(id, g) => {
            out.push(if matches!(edit, Edit::AddSsTable(..)) {
                3
            } else {
                4
            });
            out.extend_from_slice(&id.0.to_le_bytes());
            out.extend_from_slice(&g.to_le_bytes());
        }
        Edit::Flushed(id, p) => {
            out.push(5);
            out.extend_from_slice(&id.0.to_le_bytes());
            out.extend_from_slice(&p.segment.to_le_bytes());
            out.extend_from_slice(&p.offset.to_le_bytes());
        }
        Edit::SsTableMeta {
            table,
            generation,
            level,
            created_at_s,
        } => {
            out.push(7);
            out.extend_from_slice(&table.0.to_le_bytes());
            out.extend_from_slice(&generation.to_le_bytes());
            out.extend_from_slice(&level.to_le_bytes());
            out.extend_from_slice(&created_at_s.to_le_bytes());
        }
    }
    Ok(())
}

/// Decodes every complete record of a manifest file; a torn tail ends the
/// list.
///
/// # Errors
/// [`Error::Corruption`] naming `file` and offset for a bad record that is
/// not the last one.
pub fn decode_records(bytes: &[u8], file: &Path) -> Result<Vec<Edit>> {
    let mut edits = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let rest = bytes.get(offset..).unwrap_or_default();
        let Some((header, after)) = rest.split_at_checked(HEADER_LEN) else {
            break; // torn header
        };
        let len = read_u32(header, 0);
        let crc = read_u32(header, 4);
        let Some(body) = usize::try_from(len).ok().and_then(|l| after.get(..l)) else {
            break; // torn body
        };
        let end = offset + HEADER_LEN + body.len();
        if len > RECORD_BYTES_MAX || crc32fast::hash(body) != crc {
            if end >= bytes.len() {
                tracing::warn!(file = %file.display(), offset, "torn manifest tail ignored");
                break;
            }
            return Err(Error::corruption(
                file,
                offset as u64,
                "manifest record checksum",
            ));
        }
        decode_body(body, &mut edits)
            .map_err(|what| Error::corruption(file, offset as u64, what))?;
        offset = end;
    }
    Ok(edits)
}

fn read_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], &'static str> {
        let (head, tail) = self
            .0
            .split_at_checked(n)
            .ok_or("truncated manifest edit")?;
        self.0 = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> std::result::Result<[u8; N], &'static str> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u16(&mut self) -> std::result::Result<u16, &'static str> {
        self.array().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> std::result::Result<u32, &'static str> {
        self.array().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> std::result::Result<u64, &'static str> {
        self.array().map(u64::from_le_bytes)
    }
    fn table(&mut self) -> std::result::Result<TableId, &'static str> {
        self.array().map(|a| TableId(u128::from_le_bytes(a)))
    }
    fn string(&mut self) -> std::result::Result<String, &'static str> {
        let n = usize::from(self.u16()?);
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "manifest string is not UTF-8")
    }
}

fn decode_body(body: &[u8], edits: &mut Vec<Edit>) -> std::result::Result<(), &'static str> {
    let mut r = Reader(body);
    while !r.0.is_empty() {
        let tag = r.take(1)?.first().copied().unwrap_or(0);
        let edit = match tag {
            tag @ (1 | 6) => {
                let id = r.table()?;
                let gc_grace_seconds = r.u32()?;
                let ttl = r.u32()?;
                let bloom_fp_chance = f64::from_bits(r.u64()?);
                let flush_threshold_bytes = r.u64()?;
                let n = r.u16()?;
                let mut compaction = BTreeMap::new();
                for _ in 0..n {
                    let k = r.string()?;
                    compaction.insert(k, r.string()?);
                }
                let chunk_bytes = if tag == 6 {
                    r.u32()?
                } else {
                    crate::sstable::format::CHUNK_BYTES_DEFAULT
                };
                let options = TableOptions {
                    gc_grace_seconds,
                    default_ttl_s: (ttl != 0).then_some(ttl),
                    bloom_fp_chance,
                    flush_threshold_bytes,
                    compaction,
                    chunk_bytes,
                };
                Edit::CreateTable(id, options)
            }
            2 => Edit::DropTable(r.table()?),
            3 => Edit::AddSsTable(r.table()?, r.u64()?),
            4 => Edit::RemoveSsTable(r.table()?, r.u64()?),
            5 => {
                let id = r.table()?;
                let segment = r.u64()?;
                Edit::Flushed(
                    id,
                    Position {
                        segment,
                        offset: r.u64()?,
                    },
                )
            }
            7 => Edit::SsTableMeta {
                table: r.table()?,
                generation: r.u64()?,
                level: r.u32()?,
                created_at_s: r.u64()?,
            },
            _ => return Err("unknown manifest edit tag"),
        };
        edits.push(edit);
    }
    Ok(())
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
