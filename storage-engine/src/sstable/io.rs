//! The SSTable's direct file-system calls, kept in one place.
//!
//! Writing: components go to `*.tmp` files, are flushed and fsynced, renamed to their
//! published names (TOC last), and the directory is fsynced, so a crash leaves either
//! a complete SSTable or leftovers without a TOC. Reading: published files are
//! memory-mapped. This module uses `std::fs` directly; it is the one place to switch to
//! the crate's `fs::FileSystem` seam for writes (mmap needs a real file either way).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Deref;
use std::path::Path;

use super::error::{Result, SsTableError};

/// Write buffer size for component files.
pub const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// Creates (truncating) a temporary component file for buffered writing.
///
/// # Errors
/// `Io` naming the file.
pub fn create(path: &Path) -> Result<BufWriter<File>> {
    let file = File::create(path).map_err(|e| SsTableError::io(path, e))?;
    Ok(BufWriter::with_capacity(WRITE_BUFFER_BYTES, file))
}

/// Flushes and fsyncs a component file.
///
/// # Errors
/// `Io` naming the file.
pub fn finish(writer: BufWriter<File>, path: &Path) -> Result<()> {
    let file = writer
        .into_inner()
        .map_err(|e| SsTableError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| SsTableError::io(path, e))
}

/// Writes `bytes` as a whole new file and fsyncs it.
///
/// # Errors
/// `Io` naming the file.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut w = create(path)?;
    w.write_all(bytes).map_err(|e| SsTableError::io(path, e))?;
    finish(w, path)
}

/// Renames `from` to `to`.
///
/// # Errors
/// `Io` naming `from`.
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| SsTableError::io(from, e))
}

/// Fsyncs a directory so renames inside it are durable.
///
/// # Errors
/// `Io` naming the directory.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| SsTableError::io(dir, e))
}

/// Removes a file, ignoring a missing one (cleanup after a failed write).
pub fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(file = %path.display(), error = %e, "could not remove sstable temp file");
    }
}

/// Length of a file.
///
/// # Errors
/// `Io` naming the file.
pub fn file_len(path: &Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| SsTableError::io(path, e))
}

/// Reads a whole (small) file.
///
/// # Errors
/// `Io` naming the file.
pub fn read_whole(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| SsTableError::io(path, e))
}

/// A read-only memory map of a published component file.
#[derive(Debug)]
pub struct Mapped(memmap2::Mmap);

impl Mapped {
    /// Maps `path` read-only.
    ///
    /// # Errors
    /// `Io` naming the file.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| SsTableError::io(path, e))?;
        // SAFETY: published SSTable files are immutable: they are never written,
        // truncated or reopened for writing after their rename (the engine only deletes
        // them, and an unlinked file stays mapped intact). Every read of the mapping
        // goes through bounds-checked slices.
        #[expect(unsafe_code, reason = "memmap2 maps are unsafe; files are immutable")]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| SsTableError::io(path, e))?;
        Ok(Self(map))
    }
}

impl Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}
