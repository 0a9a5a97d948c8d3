//! The disk seam: every file the engine touches goes through [`FileSystem`]
//! (STYLE §3), so crash tests can run the same code on [`MemFs`], which keeps
//! durable and unsynced bytes apart and can `crash()`.
//!
//! Semantics every implementation keeps (POSIX-like, the strict reading):
//! - appended bytes are durable only after [`WritableFile::sync`];
//! - a created, renamed, linked or removed *name* is durable only after
//!   [`FileSystem::sync_dir`] on its parent directory;
//! - files are append-only once created ([`FileSystem::create`] truncates).
//!
//! SSTable readers may map real files with `memmap2` directly: they call
//! [`FileSystem::real_path`], which is `Some` for [`StdFs`] only, and fall
//! back to [`ReadableFile::read_at`] otherwise.

mod mem_fs;
mod std_fs;
#[cfg(test)]
mod tests;

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use mem_fs::{Faults, MemFs};
pub use std_fs::StdFs;

use crate::error::{Error, Result};

/// A file open for appending. Methods take `&self` so that one thread can
/// `sync` while another appends (group commit).
pub trait WritableFile: Send + Sync + Debug {
    /// Appends `buf` at the end of the file.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn append(&self, buf: &[u8]) -> Result<()>;

    /// Makes every byte appended so far durable (`fdatasync`).
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn sync(&self) -> Result<()>;

    /// The file's length including unsynced bytes.
    fn len(&self) -> u64;

    /// True when the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file's path.
    fn path(&self) -> &Path;
}

/// A file of fixed capacity written through a shared memory map (commitlog
/// segments): a write is a copy into the page cache, with no system call,
/// and survives a crash of the process (not of the machine) before any
/// sync, like an appended write. Bytes never written read as zero.
pub trait MappedFile: Send + Sync + Debug {
    /// Copies `buf` to `offset`; the range must lie inside the capacity.
    /// Callers serialise writes (methods take `&self` so that one thread can
    /// `sync` while another writes).
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] past the capacity.
    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()>;

    /// Makes every byte written so far durable (`msync`).
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn sync(&self) -> Result<()>;

    /// The file's fixed length.
    fn capacity(&self) -> u64;

    /// The file's path.
    fn path(&self) -> &Path;
}

/// A file open for positional reads.
pub trait ReadableFile: Send + Sync + Debug {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read
    /// (fewer only at the end of the file).
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// The file's length.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn len(&self) -> Result<u64>;

    /// True when the file is empty.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The file's path.
    fn path(&self) -> &Path;

    /// Reads exactly `buf.len()` bytes at `offset`.
    ///
    /// # Errors
    /// [`Error::Corruption`] when the file is shorter; [`Error::Io`] on failure.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let mut done = 0;
        while done < buf.len() {
            let at = offset + done as u64;
            let n = self.read_at(at, buf.get_mut(done..).unwrap_or_default())?;
            if n == 0 {
                return Err(Error::corruption(self.path(), at, "unexpected end of file"));
            }
            done += n;
        }
        Ok(())
    }
}

/// The file system operations the engine needs.
pub trait FileSystem: Send + Sync + Debug {
    /// Creates (or truncates) a file and opens it for appending.
    ///
    /// # Errors
    /// [`Error::Io`] on failure (missing directory, ...).
    fn create(&self, path: &Path) -> Result<Arc<dyn WritableFile>>;

    /// Opens an existing file for appending at its end.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn open_append(&self, path: &Path) -> Result<Arc<dyn WritableFile>>;

    /// Opens an existing file for reading.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn open_read(&self, path: &Path) -> Result<Arc<dyn ReadableFile>>;

    /// Renames `from` to `to`, replacing `to` if it exists.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn rename(&self, from: &Path, to: &Path) -> Result<()>;

    /// Removes a file.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn remove(&self, path: &Path) -> Result<()>;

    /// The paths of the files directly inside `dir`, sorted.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>>;

    /// Creates `dir` and its parents.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn create_dir_all(&self, dir: &Path) -> Result<()>;

    /// Makes the names created, renamed and removed in `dir` durable.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn sync_dir(&self, dir: &Path) -> Result<()>;

    /// Makes `link` a second name of the file at `original` (snapshots).
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn hard_link(&self, original: &Path, link: &Path) -> Result<()>;

    /// The length of the file at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn file_len(&self, path: &Path) -> Result<u64>;

    /// True when a file exists at `path`.
    fn exists(&self, path: &Path) -> bool;

    /// Creates (or truncates) `path` as `capacity` zero bytes written through
    /// a memory map, when this file system maps files (`Ok(None)` otherwise:
    /// callers then append). Like [`FileSystem::create`], the name is durable
    /// only after [`FileSystem::sync_dir`].
    ///
    /// # Errors
    /// [`Error::Io`] on failure.
    fn create_mapped(&self, path: &Path, capacity: u64) -> Result<Option<Arc<dyn MappedFile>>> {
        let _ = (path, capacity);
        Ok(None)
    }

    /// Cuts the file at `path` to `len` bytes (no longer than it is) and makes
    /// the new length durable.
    ///
    /// # Errors
    /// [`Error::Io`] on failure or when `len` is past the end.
    fn truncate(&self, path: &Path, len: u64) -> Result<()>;

    /// The real path for memory mapping, when the file system is the OS's.
    fn real_path(&self, path: &Path) -> Option<PathBuf> {
        let _ = path;
        None
    }

    /// Reads a whole file (small files: manifests, TOCs).
    ///
    /// # Errors
    /// [`Error::Io`] on failure; [`Error::LimitExceeded`] above `max_bytes`.
    fn read_all(&self, path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
        let file = self.open_read(path)?;
        let len = file.len()?;
        if len > max_bytes {
            return Err(Error::LimitExceeded {
                what: "file",
                got: len,
                max: max_bytes,
            });
        }
        let len = usize::try_from(len).map_err(|_| Error::LimitExceeded {
            what: "file",
            got: len,
            max: max_bytes,
        })?;
        let mut buf = vec![0; len];
        file.read_exact_at(0, &mut buf)?;
        Ok(buf)
    }
}

/// The parent directory of `path` (`.` for a bare name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
