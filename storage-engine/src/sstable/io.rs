//! The SSTable's file operations, all through the crate's `fs::FileSystem` seam.
//!
//! Writing: components go to `*.tmp` files through a buffered append, are fsynced,
//! renamed to their published names (TOC last), and the directory is fsynced, so a
//! crash leaves either a complete SSTable or leftovers without a TOC (see `directory`).
//! Reading: when the file system is the OS's (`real_path`), Data and Index are
//! memory-mapped; otherwise (the in-memory `MemFs` of crash tests) they are read whole.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{Result, SsTableError};
use crate::fs::{FileSystem, WritableFile};

/// Write buffer size for component files.
pub const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// A buffered, append-only component file being written.
#[derive(Debug)]
pub struct BufferedFile {
    file: Arc<dyn WritableFile>,
    buf: Vec<u8>,
}

impl BufferedFile {
    /// Creates (truncating) `path` on `fs`.
    ///
    /// # Errors
    /// When the file cannot be created.
    pub fn create(fs: &dyn FileSystem, path: &Path) -> Result<Self> {
        let file = fs.create(path)?;
        Ok(Self {
            file,
            buf: Vec::with_capacity(WRITE_BUFFER_BYTES),
        })
    }

    fn flush_buffer(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.file.append(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Flushes the buffer and fsyncs the file.
    ///
    /// # Errors
    /// When appending or syncing fails.
    pub fn finish(mut self) -> Result<()> {
        self.flush_buffer()?;
        self.file.sync()?;
        Ok(())
    }
}

impl std::io::Write for BufferedFile {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + bytes.len() > WRITE_BUFFER_BYTES {
            self.flush_buffer().map_err(std::io::Error::other)?;
        }
        if bytes.len() >= WRITE_BUFFER_BYTES {
            self.file.append(bytes).map_err(std::io::Error::other)?;
        } else {
            self.buf.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.flush_buffer().map_err(std::io::Error::other)
    }
}

/// Writes `bytes` as a whole new file and fsyncs it.
///
/// # Errors
/// When creating, appending or syncing fails.
pub fn write_whole(fs: &dyn FileSystem, path: &Path, bytes: &[u8]) -> Result<()> {
    let file = fs.create(path)?;
    file.append(bytes)?;
    file.sync()?;
    Ok(())
}

/// Removes a file, logging (not failing) when that is impossible: cleanup after a
/// failed write must not hide the original error.
pub fn remove_quietly(fs: &dyn FileSystem, path: &Path) {
    if fs.exists(path)
        && let Err(e) = fs.remove(path)
    {
        tracing::warn!(file = %path.display(), error = %e, "could not remove sstable file");
    }
}

/// Component bytes held for reading: a memory map of a real file, or an in-memory copy.
#[derive(Debug)]
pub enum Mapped {
    /// A read-only memory map.
    Map(memmap2::Mmap),
    /// The whole file read into memory (non-OS file systems).
    Owned(Vec<u8>),
}

impl Mapped {
    /// Opens `path` on `fs` for reading: mapped when `fs` is the OS's file system.
    ///
    /// # Errors
    /// When the file cannot be opened, mapped or read.
    pub fn open(fs: &dyn FileSystem, path: &Path) -> Result<Self> {
        match fs.real_path(path) {
            Some(real) => Self::map(&real),
            None => Ok(Self::Owned(fs.read_all(path, u64::MAX)?)),
        }
    }

    fn map(path: &PathBuf) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| SsTableError::io(path, e))?;
        // SAFETY: published SSTable files are immutable: they are never written,
        // truncated or reopened for writing after their rename (the engine only deletes
        // them, and an unlinked file stays mapped intact). Every read of the mapping
        // goes through bounds-checked slices.
        #[expect(unsafe_code, reason = "memmap2 maps are unsafe; files are immutable")]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| SsTableError::io(path, e))?;
        Ok(Self::Map(map))
    }
}

impl Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Mapped::Map(m) => m,
            Mapped::Owned(v) => v,
        }
    }
}
