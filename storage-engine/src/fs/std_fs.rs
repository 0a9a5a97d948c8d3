//! [`StdFs`]: the real file system through `std::fs`.
//!
//! Appends to one file must not race each other (callers serialise them;
//! the commitlog holds its append lock); `sync` may run concurrently with
//! an append and covers at least the bytes appended before it started.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{FileSystem, MappedFile, ReadableFile, WritableFile};
use crate::error::{Error, Result};

/// The operating system's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct StdFs;

#[derive(Debug)]
struct StdWritable {
    file: File,
    path: PathBuf,
    len: AtomicU64,
}

impl WritableFile for StdWritable {
    fn append(&self, buf: &[u8]) -> Result<()> {
        (&self.file)
            .write_all(buf)
            .map_err(|e| Error::io(&self.path, e))?;
        self.len.fetch_add(buf.len() as u64, Ordering::AcqRel);
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        self.file.sync_data().map_err(|e| Error::io(&self.path, e))
    }

    fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

#[derive(Debug)]
struct StdReadable {
    file: File,
    path: PathBuf,
}

impl ReadableFile for StdReadable {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        loop {
            match self.file.read_at(buf, offset) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                other => return other.map_err(|e| Error::io(&self.path, e)),
            }
        }
    }

    fn len(&self) -> Result<u64> {
        Ok(self
            .file
            .metadata()
            .map_err(|e| Error::io(&self.path, e))?
            .len())
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl FileSystem for StdFs {
    fn create(&self, path: &Path) -> Result<Arc<dyn WritableFile>> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Arc::new(StdWritable {
            file,
            path: path.to_path_buf(),
            len: AtomicU64::new(0),
        }))
    }

    fn open_append(&self, path: &Path) -> Result<Arc<dyn WritableFile>> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok(Arc::new(StdWritable {
            file,
            path: path.to_path_buf(),
            len: AtomicU64::new(len),
        }))
    }

    fn open_read(&self, path: &Path) -> Result<Arc<dyn ReadableFile>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(Arc::new(StdReadable {
            file,
            path: path.to_path_buf(),
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        std::fs::rename(from, to).map_err(|e| Error::io(from, e))
    }

    fn remove(&self, path: &Path) -> Result<()> {
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))
    }

    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            if entry.file_type().map_err(|e| Error::io(dir, e))?.is_file() {
                out.push(entry.path());
            }
        }
        out.sort();
        Ok(out)
    }

    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, e))
    }

    fn hard_link(&self, original: &Path, link: &Path) -> Result<()> {
        std::fs::hard_link(original, link).map_err(|e| Error::io(link, e))
    }

    fn file_len(&self, path: &Path) -> Result<u64> {
        Ok(std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len())
    }

    fn exists(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn real_path(&self, path: &Path) -> Option<PathBuf> {
        Some(path.to_path_buf())
    }

    fn create_mapped(&self, path: &Path, capacity: u64) -> Result<Option<Arc<dyn MappedFile>>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        allocate(&file, capacity).map_err(|e| Error::io(path, e))?;
        // The map itself is safe to make (memmap2 hands out a raw pointer);
        // writes through it are bounds-checked copies (`write_at`).
        let map = memmap2::MmapOptions::new()
            .map_raw(&file)
            .map_err(|e| Error::io(path, e))?;
        Ok(Some(Arc::new(StdMapped {
            map,
            path: path.to_path_buf(),
        })))
    }

    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let now = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len > now {
            return Err(Error::io(
                path,
                std::io::Error::other(format!("cannot truncate {now} bytes to {len}")),
            ));
        }
        file.set_len(len)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(path, e))
    }
}

/// A [`MappedFile`] over a real file.
#[derive(Debug)]
struct StdMapped {
    map: memmap2::MmapRaw,
    path: PathBuf,
}

impl MappedFile for StdMapped {
    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()> {
        let start = usize::try_from(offset).ok();
        let end = start.and_then(|s| s.checked_add(buf.len()));
        let (Some(start), Some(end)) = (start, end) else {
            return Err(past_capacity(offset, buf.len(), self.map.len()));
        };
        if end > self.map.len() {
            return Err(past_capacity(offset, buf.len(), self.map.len()));
        }
        #[expect(unsafe_code, reason = "a copy into the map, bounds checked above")]
        // SAFETY: `start..end` lies inside the mapping (checked above), the
        // source is a live slice that cannot overlap our private mapping, and
        // the commitlog serialises writers.
        unsafe {
            std::ptr::copy_nonoverlapping(
                buf.as_ptr(),
                self.map.as_mut_ptr().add(start),
                buf.len(),
            );
        }
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        self.map.flush().map_err(|e| Error::io(&self.path, e))
    }

    fn capacity(&self) -> u64 {
        self.map.len() as u64
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

fn past_capacity(offset: u64, len: usize, capacity: usize) -> Error {
    Error::LimitExceeded {
        what: "mapped file write",
        got: offset.saturating_add(len as u64),
        max: capacity as u64,
    }
}

/// Gives `file` `len` bytes of real disk blocks (reading as zeros). A mapped
/// file must not have holes: a write into a hole on a full disk is a SIGBUS
/// that kills the process, where an allocation failing here is an error the
/// commitlog reports.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn allocate(file: &File, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let len = libc::off_t::try_from(len).map_err(|_| std::io::Error::other("file too large"))?;
    #[expect(unsafe_code, reason = "posix_fallocate has no safe std wrapper")]
    // SAFETY: the descriptor is open for writing and owned by `file`, alive
    // for the call; the call takes plain integers.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(rc))
    }
}

/// Where `posix_fallocate` is missing, the blocks are allocated by writing
/// zeros over the whole length.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn allocate(file: &File, len: u64) -> std::io::Result<()> {
    const CHUNK: usize = 1 << 20;
    let zeros = vec![0u8; CHUNK];
    let mut at = 0u64;
    while at < len {
        let n = usize::try_from((len - at).min(CHUNK as u64)).unwrap_or(CHUNK);
        file.write_all_at(zeros.get(..n).unwrap_or(&zeros), at)?;
        at += n as u64;
    }
    Ok(())
}
