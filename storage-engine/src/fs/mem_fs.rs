//! [`MemFs`]: an in-memory file system for crash tests.
//!
//! Files are inodes holding their bytes and how many of them were synced;
//! names map to inodes twice: the volatile namespace (what the running
//! program sees) and the durable one (what survives a crash, updated by
//! `sync_dir`). [`MemFs::crash`] keeps only durable names and synced bytes,
//! and invalidates every open handle. Truncation by `create` of an existing
//! name is treated as immediately durable (the pessimistic choice). One
//! mutex guards the namespace; lock order: namespace, then inode.
//! [`Faults`] makes appends or fsyncs fail, for error-path tests.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{FileSystem, ReadableFile, WritableFile, parent_dir};
use crate::error::{Error, Result};

#[derive(Debug, Default)]
struct Inode {
    data: Vec<u8>,
    synced_len: usize,
}

type InodeRef = Arc<Mutex<Inode>>;

#[derive(Debug, Default)]
struct State {
    generation: u64,
    next_inode: u64,
    inodes: HashMap<u64, InodeRef>,
    names: BTreeMap<PathBuf, u64>,
    durable_names: BTreeMap<PathBuf, u64>,
    dirs: BTreeSet<PathBuf>,
    syncs: u64,
    faults: Faults,
}

/// Failures [`MemFs`] injects into file operations (fault tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Every `WritableFile::sync` fails (as a full or failing disk would).
    pub sync: bool,
    /// Every `WritableFile::append` fails.
    pub append: bool,
}

/// An in-memory [`FileSystem`] that can simulate a power loss.
#[derive(Debug, Default, Clone)]
pub struct MemFs {
    state: Arc<Mutex<State>>,
}

fn not_found(path: &Path) -> Error {
    Error::io(
        path,
        io::Error::new(io::ErrorKind::NotFound, "no such file"),
    )
}

fn stale(path: &Path) -> Error {
    Error::io(
        path,
        io::Error::other("handle invalidated by a simulated crash"),
    )
}

impl State {
    fn inode(&self, path: &Path) -> Result<(u64, InodeRef)> {
        let id = *self.names.get(path).ok_or_else(|| not_found(path))?;
        let inode = self.inodes.get(&id).ok_or_else(|| not_found(path))?;
        Ok((id, Arc::clone(inode)))
    }

    fn check_dir(&self, path: &Path) -> Result<()> {
        let dir = parent_dir(path);
        if self.dirs.contains(&dir) {
            Ok(())
        } else {
            Err(Error::io(
                path,
                io::Error::new(io::ErrorKind::NotFound, "no such directory"),
            ))
        }
    }
}

impl MemFs {
    /// An empty file system (the directory `.` exists).
    pub fn new() -> Self {
        let fs = Self::default();
        fs.state.lock().dirs.insert(PathBuf::from("."));
        fs
    }

    /// Simulates a power loss: unsynced bytes and names not made durable by
    /// `sync_dir` vanish; every open handle fails from now on. The `MemFs`
    /// itself stays usable: it stands for the machine after the restart, so
    /// a test must stop threads of the "crashed" process before reopening
    /// (they could otherwise create fresh files and carry on).
    pub fn crash(&self) {
        let mut st = self.state.lock();
        st.generation += 1;
        st.names = st.durable_names.clone();
        let live: BTreeSet<u64> = st.names.values().copied().collect();
        st.inodes.retain(|id, _| live.contains(id));
        for inode in st.inodes.values() {
            let mut inode = inode.lock();
            let keep = inode.synced_len;
            inode.data.truncate(keep);
        }
    }

    /// Overwrites bytes of a file in place, durable or not (corruption tests).
    ///
    /// # Errors
    /// [`Error::Io`] when the file does not exist or is too short.
    pub fn overwrite(&self, path: &Path, offset: usize, bytes: &[u8]) -> Result<()> {
        let st = self.state.lock();
        let (_, inode) = st.inode(path)?;
        let mut inode = inode.lock();
        let target = offset
            .checked_add(bytes.len())
            .and_then(|end| inode.data.get_mut(offset..end))
            .ok_or_else(|| Error::io(path, io::Error::other("overwrite past end of file")))?;
        target.copy_from_slice(bytes);
        Ok(())
    }

    /// Sets the failures to inject from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.state.lock().faults = faults;
    }

    /// How many file syncs have happened (group-commit tests).
    pub fn sync_count(&self) -> u64 {
        self.state.lock().syncs
    }

    /// The number of synced bytes of a file (0 when missing).
    pub fn synced_len(&self, path: &Path) -> usize {
        let st = self.state.lock();
        st.inode(path)
            .map_or(0, |(_, inode)| inode.lock().synced_len)
    }
}

#[derive(Debug)]
struct MemHandle {
    state: Arc<Mutex<State>>,
    inode: InodeRef,
    path: PathBuf,
    generation: u64,
}

impl MemHandle {
    fn check(&self) -> Result<parking_lot::MutexGuard<'_, State>> {
        let st = self.state.lock();
        if st.generation == self.generation {
            Ok(st)
        } else {
            Err(stale(&self.path))
        }
    }
}

impl WritableFile for MemHandle {
    fn append(&self, buf: &[u8]) -> Result<()> {
        let st = self.check()?;
        if st.faults.append {
            return Err(Error::io(
                &self.path,
                io::Error::other("injected append failure"),
            ));
        }
        self.inode.lock().data.extend_from_slice(buf);
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        let mut st = self.check()?;
        if st.faults.sync {
            return Err(Error::io(
                &self.path,
                io::Error::other("injected fsync failure"),
            ));
        }
        st.syncs += 1;
        let mut inode = self.inode.lock();
        inode.synced_len = inode.data.len();
        Ok(())
    }

    fn len(&self) -> u64 {
        self.inode.lock().data.len() as u64
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl ReadableFile for MemHandle {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let _st = self.check()?;
        let inode = self.inode.lock();
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(inode.data.len());
        let src = inode.data.get(start..).unwrap_or_default();
        let n = src.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }

    fn len(&self) -> Result<u64> {
        let _st = self.check()?;
        Ok(self.inode.lock().data.len() as u64)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl MemFs {
    fn handle(&self, st: &State, inode: InodeRef, path: &Path) -> Arc<MemHandle> {
        Arc::new(MemHandle {
            state: Arc::clone(&self.state),
            inode,
            path: path.to_path_buf(),
            generation: st.generation,
        })
    }
}

impl FileSystem for MemFs {
    fn create(&self, path: &Path) -> Result<Arc<dyn WritableFile>> {
        let mut st = self.state.lock();
        st.check_dir(path)?;
        if let Ok((_, inode)) = st.inode(path) {
            let mut i = inode.lock();
            i.data.clear();
            i.synced_len = 0;
            drop(i);
            return Ok(self.handle(&st, inode, path));
        }
        let id = st.next_inode;
        st.next_inode += 1;
        let inode: InodeRef = Arc::default();
        st.inodes.insert(id, Arc::clone(&inode));
        st.names.insert(path.to_path_buf(), id);
        Ok(self.handle(&st, inode, path))
    }

    fn open_append(&self, path: &Path) -> Result<Arc<dyn WritableFile>> {
        let st = self.state.lock();
        let (_, inode) = st.inode(path)?;
        Ok(self.handle(&st, inode, path))
    }

    fn open_read(&self, path: &Path) -> Result<Arc<dyn ReadableFile>> {
        let st = self.state.lock();
        let (_, inode) = st.inode(path)?;
        Ok(self.handle(&st, inode, path))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let mut st = self.state.lock();
        st.check_dir(to)?;
        let id = st.names.remove(from).ok_or_else(|| not_found(from))?;
        st.names.insert(to.to_path_buf(), id);
        Ok(())
    }

    fn remove(&self, path: &Path) -> Result<()> {
        let mut st = self.state.lock();
        st.names
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let st = self.state.lock();
        if !st.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        Ok(st
            .names
            .keys()
            .filter(|p| parent_dir(p) == dir)
            .cloned()
            .collect())
    }

    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        let mut st = self.state.lock();
        let mut cur = Some(dir);
        while let Some(d) = cur {
            if d.as_os_str().is_empty() {
                break;
            }
            st.dirs.insert(d.to_path_buf());
            cur = d.parent();
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        let mut st = self.state.lock();
        if !st.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        st.durable_names.retain(|p, _| parent_dir(p) != dir);
        let entries: Vec<(PathBuf, u64)> = st
            .names
            .iter()
            .filter(|(p, _)| parent_dir(p) == dir)
            .map(|(p, id)| (p.clone(), *id))
            .collect();
        st.durable_names.extend(entries);
        Ok(())
    }

    fn hard_link(&self, original: &Path, link: &Path) -> Result<()> {
        let mut st = self.state.lock();
        st.check_dir(link)?;
        let (id, _) = st.inode(original)?;
        if st.names.contains_key(link) {
            return Err(Error::io(
                link,
                io::Error::new(io::ErrorKind::AlreadyExists, "exists"),
            ));
        }
        st.names.insert(link.to_path_buf(), id);
        Ok(())
    }

    fn file_len(&self, path: &Path) -> Result<u64> {
        let st = self.state.lock();
        let (_, inode) = st.inode(path)?;
        let len = inode.lock().data.len() as u64;
        Ok(len)
    }

    fn exists(&self, path: &Path) -> bool {
        self.state.lock().names.contains_key(path)
    }

    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        let st = self.state.lock();
        let (_, inode) = st.inode(path)?;
        let mut inode = inode.lock();
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= inode.data.len())
            .ok_or_else(|| Error::io(path, io::Error::other("truncate past end of file")))?;
        inode.data.truncate(len);
        inode.synced_len = inode.synced_len.min(len);
        Ok(())
    }
}
