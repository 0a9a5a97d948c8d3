//! Goal: a flush interrupted at any step (an I/O error, then a power loss)
//! loses no acknowledged write and leaves a directory that opens cleanly.
//! Method: wrap `MemFs` in a file system that fails every mutating operation
//! after a budget; for each budget 0, 1, 2, ... run a flush of batch-logged
//! writes, crash the `MemFs`, reopen and check every write; stop once the
//! budget is large enough for the flush to succeed.

mod engine_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use engine_support::*;
use sibyl_storage::error::{Error, Result};
use sibyl_storage::fs::{FileSystem, MemFs, ReadableFile, WritableFile};
use sibyl_storage::{Engine, TableOptions};

#[derive(Debug)]
struct Faulty {
    inner: Arc<MemFs>,
    budget: Arc<AtomicI64>,
}

fn spend(budget: &AtomicI64, path: &Path) -> Result<()> {
    if budget.fetch_sub(1, Ordering::SeqCst) <= 0 {
        return Err(Error::io(path, std::io::Error::other("injected fault")));
    }
    Ok(())
}

#[derive(Debug)]
struct FaultyFile {
    inner: Arc<dyn WritableFile>,
    budget: Arc<AtomicI64>,
}

impl WritableFile for FaultyFile {
    fn append(&self, buf: &[u8]) -> Result<()> {
        spend(&self.budget, self.inner.path())?;
        self.inner.append(buf)
    }
    fn sync(&self) -> Result<()> {
        spend(&self.budget, self.inner.path())?;
        self.inner.sync()
    }
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn path(&self) -> &Path {
        self.inner.path()
    }
}

impl Faulty {
    fn wrap(&self, file: Arc<dyn WritableFile>) -> Arc<dyn WritableFile> {
        Arc::new(FaultyFile {
            inner: file,
            budget: Arc::clone(&self.budget),
        })
    }
}

impl FileSystem for Faulty {
    fn create(&self, path: &Path) -> Result<Arc<dyn WritableFile>> {
        spend(&self.budget, path)?;
        self.inner.create(path).map(|f| self.wrap(f))
    }
    fn open_append(&self, path: &Path) -> Result<Arc<dyn WritableFile>> {
        self.inner.open_append(path).map(|f| self.wrap(f))
    }
    fn open_read(&self, path: &Path) -> Result<Arc<dyn ReadableFile>> {
        self.inner.open_read(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        spend(&self.budget, from)?;
        self.inner.rename(from, to)
    }
    fn remove(&self, path: &Path) -> Result<()> {
        spend(&self.budget, path)?;
        self.inner.remove(path)
    }
    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        self.inner.list(dir)
    }
    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        self.inner.create_dir_all(dir)
    }
    fn sync_dir(&self, dir: &Path) -> Result<()> {
        spend(&self.budget, dir)?;
        self.inner.sync_dir(dir)
    }
    fn hard_link(&self, original: &Path, link: &Path) -> Result<()> {
        self.inner.hard_link(original, link)
    }
    fn file_len(&self, path: &Path) -> Result<u64> {
        self.inner.file_len(path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.inner.exists(path)
    }
    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        spend(&self.budget, path)?;
        self.inner.truncate(path, len)
    }
}

/// One run: returns true when the flush succeeded within `budget` operations.
fn run(budget: i64) -> bool {
    let mem = Arc::new(MemFs::new());
    let counter = Arc::new(AtomicI64::new(i64::MAX));
    let faulty: Arc<dyn FileSystem> = Arc::new(Faulty {
        inner: Arc::clone(&mem),
        budget: Arc::clone(&counter),
    });
    let dir = Path::new("/d");
    let engine = Engine::open(options(dir, faulty)).expect("open");
    let table = engine
        .create_table(T, TableOptions::default())
        .expect("create");
    for i in 0..20 {
        table
            .apply(&write(&format!("k{}", i % 4), i, 10, "v"))
            .expect("batch write");
    }
    table
        .apply(&write("k0", 0, 5, "older"))
        .expect("batch write");
    counter.store(budget, Ordering::SeqCst);
    let flushed = table.flush().is_ok();
    drop(table);
    drop(engine);
    mem.crash();
    let plain: Arc<dyn FileSystem> = Arc::clone(&mem) as Arc<dyn FileSystem>;
    let engine = open(dir, &plain);
    let table = engine.table(T).expect("table survives");
    for k in 0..4 {
        let values = live_values(&table, &format!("k{k}"), 0);
        assert_eq!(values.len(), 5, "budget {budget}: key k{k}: {values:?}");
        assert!(
            values.iter().all(|(_, v)| v == "v"),
            "budget {budget}: {values:?}"
        );
    }
    // The engine keeps working after the interrupted flush.
    table
        .apply(&write("k9", 1, 10, "v"))
        .expect("write after recovery");
    table.flush().expect("flush after recovery");
    engine.close().expect("close");
    flushed
}

#[test]
fn a_flush_interrupted_at_every_step_loses_nothing() {
    let mut budget = 0;
    while !run(budget) {
        budget += 1;
        assert!(budget < 200, "flush never succeeded");
    }
    assert!(budget > 3, "the flush performs several steps: {budget}");
}
