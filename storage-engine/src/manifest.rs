//! The manifest: an append-only, checksummed log of which SSTables each
//! table has, at which level, and up to which commitlog position each
//! table's data is flushed (so start-up replay can skip what SSTables hold).
//!
//! File `MANIFEST` in the data directory:
//!
//! ```text
//! file   := header record*
//! header := "SBMF" | u16 version (1) | u32 crc32(previous 6 bytes)
//! record := the commitlog record framing (u32 len | u32 crc32(len) | payload | u32 crc32)
//! payload:= u8 edit version (1) | u8 tag | fields (big-endian, see `encode_edit`)
//! ```
//!
//! Every edit is fsynced before [`Manifest::apply`] returns, so an edit is
//! durable before anything depends on it (e.g. deleting compacted inputs
//! or discarding commitlog segments). Open replays the edits (a torn tail is
//! ignored; damage followed by valid records is [`Error::Corruption`]) and
//! then rewrites the file as a snapshot (one `Snapshot` edit per table) to a
//! temporary name, fsynced and renamed over `MANIFEST` (directory fsynced),
//! which also drops any torn tail. The log is rewritten the same way once it
//! holds `edits_before_rewrite` edits. Lock order: the manifest's one mutex
//! is held across the append and fsync of an edit (edits are rare).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use parking_lot::Mutex;

use crate::commitlog::Position;
use crate::commitlog::record::{RecordRead, encode_record, find_next_valid, read_record};
use crate::error::{DecodeError, Error, Result};
use crate::fs::{FileSystem, WritableFile};
use crate::model::TableId;

const MAGIC: [u8; 4] = *b"SBMF";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 10;
const EDIT_VERSION: u8 = 1;
/// Largest manifest edit (bytes).
pub const MANIFEST_EDIT_BYTES_MAX: u64 = 64 * 1024 * 1024;
/// Largest manifest file read at open (bytes).
pub const MANIFEST_FILE_BYTES_MAX: u64 = 1024 * 1024 * 1024;

/// One SSTable as the manifest knows it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct SsTableEntry {
    /// The SSTable's generation in its table directory.
    pub generation: u64,
    /// Its compaction level (0 for flushes and non-leveled strategies).
    pub level: u32,
}

/// A change to the manifest.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ManifestEdit {
    /// A memtable flush published `sstable`; the table's data up to `up_to`
    /// is now in SSTables.
    Flushed {
        /// The table.
        table: TableId,
        /// The new SSTable.
        sstable: SsTableEntry,
        /// Commitlog position covered by the flush.
        up_to: Position,
    },
    /// A compaction replaced `removed` by `added`, atomically.
    Compacted {
        /// The table.
        table: TableId,
        /// Generations removed.
        removed: Vec<u64>,
        /// SSTables added.
        added: Vec<SsTableEntry>,
    },
    /// Every SSTable of the table was discarded (truncate): data up to
    /// `up_to` is gone.
    Truncated {
        /// The table.
        table: TableId,
        /// Commitlog position the truncation covers.
        up_to: Position,
    },
    /// The table was dropped.
    Dropped {
        /// The table.
        table: TableId,
    },
    /// The whole state of one table (written by rewrites).
    Snapshot {
        /// The table.
        table: TableId,
        /// Its flushed position.
        flushed_up_to: Position,
        /// Its SSTables.
        sstables: Vec<SsTableEntry>,
    },
}

/// What the manifest says about one table.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct TableManifest {
    /// Live SSTables: generation -> level.
    pub sstables: BTreeMap<u64, u32>,
    /// Commitlog records at or below this position are in SSTables.
    pub flushed_up_to: Position,
}

/// The state folded from all edits.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ManifestState {
    /// Per table.
    pub tables: BTreeMap<TableId, TableManifest>,
}

impl ManifestState {
    /// Applies one edit. `strict` rejects removals of unknown SSTables
    /// (a caller bug); replay is lenient.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an inconsistent edit when `strict`.
    pub fn apply(&mut self, edit: &ManifestEdit, strict: bool) -> Result<()> {
        match edit {
            ManifestEdit::Flushed {
                table,
                sstable,
                up_to,
            } => {
                let t = self.tables.entry(*table).or_default();
                t.sstables.insert(sstable.generation, sstable.level);
                t.flushed_up_to = t.flushed_up_to.max(*up_to);
            }
            ManifestEdit::Compacted {
                table,
                removed,
                added,
            } => {
                let t = self.tables.entry(*table).or_default();
                if strict && let Some(g) = removed.iter().find(|g| !t.sstables.contains_key(g)) {
                    return Err(Error::InvalidArgument(format!(
                        "compaction removes sstable generation {g} unknown to table {table}"
                    )));
                }
                for g in removed {
                    t.sstables.remove(g);
                }
                for s in added {
                    t.sstables.insert(s.generation, s.level);
                }
            }
            ManifestEdit::Truncated { table, up_to } => {
                let t = self.tables.entry(*table).or_default();
                t.sstables.clear();
                t.flushed_up_to = t.flushed_up_to.max(*up_to);
            }
            ManifestEdit::Dropped { table } => {
                self.tables.remove(table);
            }
            ManifestEdit::Snapshot {
                table,
                flushed_up_to,
                sstables,
            } => {
                let sstables = sstables.iter().map(|s| (s.generation, s.level)).collect();
                self.tables.insert(
                    *table,
                    TableManifest {
                        sstables,
                        flushed_up_to: *flushed_up_to,
                    },
                );
            }
        }
        Ok(())
    }

    fn snapshot_edits(&self) -> Vec<ManifestEdit> {
        self.tables
            .iter()
            .map(|(table, t)| ManifestEdit::Snapshot {
                table: *table,
                flushed_up_to: t.flushed_up_to,
                sstables: t
                    .sstables
                    .iter()
                    .map(|(g, l)| SsTableEntry {
                        generation: *g,
                        level: *l,
                    })
                    .collect(),
            })
            .collect()
    }
}

#[derive(Debug)]
struct Inner {
    file: Arc<dyn WritableFile>,
    state: ManifestState,
    edits_in_file: usize,
}

/// The open manifest of one data directory.
#[derive(Debug)]
pub struct Manifest {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    edits_before_rewrite: usize,
    inner: Mutex<Inner>,
}

impl Manifest {
    /// Opens (or creates) the manifest in `dir`, replays it and rewrites it
    /// as a snapshot.
    ///
    /// # Errors
    /// I/O errors; [`Error::Corruption`] for damage before valid records.
    pub fn open(fs: Arc<dyn FileSystem>, dir: &Path, edits_before_rewrite: usize) -> Result<Self> {
        fs.create_dir_all(dir)?;
        let path = dir.join("MANIFEST");
        let state = if fs.exists(&path) {
            let buf = fs.read_all(&path, MANIFEST_FILE_BYTES_MAX)?;
            replay(&path, &Bytes::from(buf))?
        } else {
            ManifestState::default()
        };
        let (file, edits_in_file) = write_snapshot(fs.as_ref(), dir, &state)?;
        let inner = Mutex::new(Inner {
            file,
            state,
            edits_in_file,
        });
        Ok(Self {
            fs,
            dir: dir.to_path_buf(),
            edits_before_rewrite: edits_before_rewrite.max(1),
            inner,
        })
    }

    /// Makes `edit` durable, then applies it to the state.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an inconsistent edit; I/O errors.
    pub fn apply(&self, edit: &ManifestEdit) -> Result<()> {
        let mut inner = self.inner.lock();
        let mut next = inner.state.clone();
        next.apply(edit, true)?;
        let mut frame = Vec::new();
        encode_record(&encode_edit(edit), &mut frame);
        inner.file.append(&frame)?;
        inner.file.sync()?;
        inner.state = next;
        inner.edits_in_file += 1;
        if inner.edits_in_file >= self.edits_before_rewrite {
            let (file, edits) = write_snapshot(self.fs.as_ref(), &self.dir, &inner.state)?;
            inner.file = file;
            inner.edits_in_file = edits;
        }
        Ok(())
    }

    /// A copy of the current state.
    pub fn state(&self) -> ManifestState {
        self.inner.lock().state.clone()
    }

    /// The state of one table.
    pub fn table(&self, table: TableId) -> Option<TableManifest> {
        self.inner.lock().state.tables.get(&table).cloned()
    }
}

fn header() -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    let mut body = Vec::with_capacity(HEADER_LEN);
    body.extend_from_slice(&MAGIC);
    body.extend_from_slice(&VERSION.to_be_bytes());
    body.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    out.copy_from_slice(&body);
    out
}

/// Writes `state` as a fresh manifest (temporary name, fsync, rename,
/// directory fsync); returns the open file and how many edits it holds.
fn write_snapshot(
    fs: &dyn FileSystem,
    dir: &Path,
    state: &ManifestState,
) -> Result<(Arc<dyn WritableFile>, usize)> {
    let tmp = dir.join("MANIFEST.tmp");
    let path = dir.join("MANIFEST");
    let file = fs.create(&tmp)?;
    let mut buf = header().to_vec();
    let edits = state.snapshot_edits();
    for edit in &edits {
        encode_record(&encode_edit(edit), &mut buf);
    }
    file.append(&buf)?;
    file.sync()?;
    fs.rename(&tmp, &path)?;
    fs.sync_dir(dir)?;
    Ok((fs.open_append(&path)?, edits.len()))
}

fn replay(path: &Path, buf: &Bytes) -> Result<ManifestState> {
    let mut state = ManifestState::default();
    match buf.get(..HEADER_LEN) {
        Some(h) if h == header() => {}
        // A manifest is only ever published whole (rename), so a bad header is damage.
        _ => return Err(Error::corruption(path, 0, "bad manifest header")),
    }
    let mut offset = HEADER_LEN;
    loop {
        match read_record(buf, offset, MANIFEST_EDIT_BYTES_MAX) {
            RecordRead::Valid { payload, next } => {
                let edit = decode_edit(&buf.slice(payload)).map_err(|e| {
                    Error::corruption(path, offset as u64, format!("manifest edit: {e}"))
                })?;
                state.apply(&edit, false)?;
                offset = next;
            }
            RecordRead::End if offset >= buf.len() => return Ok(state),
            RecordRead::End | RecordRead::Invalid(_) => {
                if find_next_valid(buf, offset + 1, MANIFEST_EDIT_BYTES_MAX).is_some() {
                    return Err(Error::corruption(
                        path,
                        offset as u64,
                        "damaged manifest record",
                    ));
                }
                tracing::info!(file = %path.display(), offset, "manifest: torn tail ignored");
                return Ok(state);
            }
        }
    }
}

fn put_position(out: &mut BytesMut, p: Position) {
    out.put_u64(p.segment);
    out.put_u64(p.offset);
}

fn put_entries(out: &mut BytesMut, entries: &[SsTableEntry]) {
    out.put_u32(u32::try_from(entries.len()).unwrap_or(u32::MAX));
    for e in entries {
        out.put_u64(e.generation);
        out.put_u32(e.level);
    }
}

/// Encodes an edit (`u8 version | u8 tag | u128 table | fields`).
pub fn encode_edit(edit: &ManifestEdit) -> Vec<u8> {
    let mut out = BytesMut::new();
    out.put_u8(EDIT_VERSION);
    match edit {
        ManifestEdit::Flushed {
            table,
            sstable,
            up_to,
        } => {
            out.put_u8(1);
            out.put_u128(table.0);
            put_entries(&mut out, &[*sstable]);
            put_position(&mut out, *up_to);
        }
        ManifestEdit::Compacted {
            table,
            removed,
            added,
        } => {
            out.put_u8(2);
            out.put_u128(table.0);
            out.put_u32(u32::try_from(removed.len()).unwrap_or(u32::MAX));
            for g in removed {
                out.put_u64(*g);
            }
            put_entries(&mut out, added);
        }
        ManifestEdit::Truncated { table, up_to } => {
            out.put_u8(3);
            out.put_u128(table.0);
            put_position(&mut out, *up_to);
        }
        ManifestEdit::Dropped { table } => {
            out.put_u8(4);
            out.put_u128(table.0);
        }
        ManifestEdit::Snapshot {
            table,
            flushed_up_to,
            sstables,
        } => {
            out.put_u8(5);
            out.put_u128(table.0);
            put_position(&mut out, *flushed_up_to);
            put_entries(&mut out, sstables);
        }
    }
    out.to_vec()
}

fn need(buf: &Bytes, n: usize, what: &'static str) -> Result<(), DecodeError> {
    if buf.remaining() < n {
        Err(DecodeError::Truncated { what, offset: 0 })
    } else {
        Ok(())
    }
}

fn get_position(buf: &mut Bytes) -> Result<Position, DecodeError> {
    need(buf, 16, "position")?;
    Ok(Position {
        segment: buf.get_u64(),
        offset: buf.get_u64(),
    })
}

fn get_count(buf: &mut Bytes, each: usize, what: &'static str) -> Result<usize, DecodeError> {
    need(buf, 4, what)?;
    let n = buf.get_u32();
    let count = usize::try_from(n).map_err(|_| DecodeError::Invalid { what, offset: 0 })?;
    let len = count
        .checked_mul(each)
        .ok_or(DecodeError::Invalid { what, offset: 0 })?;
    if len > buf.remaining() {
        return Err(DecodeError::TooLarge {
            what,
            len: len as u64,
            max: buf.remaining() as u64,
        });
    }
    Ok(count)
}

fn get_entries(buf: &mut Bytes) -> Result<Vec<SsTableEntry>, DecodeError> {
    let n = get_count(buf, 12, "sstable entries")?;
    Ok((0..n)
        .map(|_| SsTableEntry {
            generation: buf.get_u64(),
            level: buf.get_u32(),
        })
        .collect())
}

/// Decodes an edit, checking every length.
///
/// # Errors
/// [`DecodeError`] for anything but exactly one valid edit.
pub fn decode_edit(input: &Bytes) -> Result<ManifestEdit, DecodeError> {
    let mut buf = input.clone();
    need(&buf, 2 + 16, "edit header")?;
    let version = buf.get_u8();
    if version != EDIT_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            what: "manifest edit",
            got: version,
        });
    }
    let tag = buf.get_u8();
    let table = TableId(buf.get_u128());
    let edit = match tag {
        1 => {
            let mut entries = get_entries(&mut buf)?;
            let sstable = entries.pop().ok_or(DecodeError::Invalid {
                what: "flush",
                offset: 0,
            })?;
            if !entries.is_empty() {
                return Err(DecodeError::Invalid {
                    what: "flush adds one sstable",
                    offset: 0,
                });
            }
            ManifestEdit::Flushed {
                table,
                sstable,
                up_to: get_position(&mut buf)?,
            }
        }
        2 => {
            let n = get_count(&mut buf, 8, "removed generations")?;
            let removed = (0..n).map(|_| buf.get_u64()).collect();
            ManifestEdit::Compacted {
                table,
                removed,
                added: get_entries(&mut buf)?,
            }
        }
        3 => ManifestEdit::Truncated {
            table,
            up_to: get_position(&mut buf)?,
        },
        4 => ManifestEdit::Dropped { table },
        5 => {
            let flushed_up_to = get_position(&mut buf)?;
            ManifestEdit::Snapshot {
                table,
                flushed_up_to,
                sstables: get_entries(&mut buf)?,
            }
        }
        tag => {
            return Err(DecodeError::BadTag {
                what: "manifest edit",
                tag,
                offset: 1,
            });
        }
    };
    if buf.has_remaining() {
        return Err(DecodeError::TrailingBytes {
            count: buf.remaining(),
        });
    }
    Ok(edit)
}
