//! Table administration: create, drop, truncate, snapshot.
//!
//! Each change is one manifest record. Dropped and truncated SSTables are
//! marked obsolete: their files go when the last reader lets go of them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Engine;
use crate::error::{Error, Result};
use crate::manifest::Edit;
use crate::memtable::Memtable;
use crate::model::TableId;
use crate::sstable::Component;
use crate::table::{Table, TableOptions, TableState};
use crate::version::Version;

impl Engine {
    /// Creates table `id`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when it exists or the options are invalid;
    /// I/O errors.
    pub fn create_table(&self, id: TableId, options: TableOptions) -> Result<Table> {
        options.validate()?;
        let shared = &self.shared;
        if shared.is_closed() {
            return Err(Error::Closed);
        }
        let mut tables = shared.tables.write();
        if tables.contains_key(&id) {
            return Err(Error::InvalidArgument(format!("table {id} exists")));
        }
        let dir = shared.tables_dir().join(id.to_string());
        shared.fs.create_dir_all(&dir)?;
        shared.fs.sync_dir(&shared.tables_dir())?;
        // Records of an earlier table with this id must never replay into it.
        let position = shared.commitlog.current_position();
        shared.manifest.append(&[
            Edit::CreateTable(id, options.clone()),
            Edit::Flushed(id, position),
        ])?;
        let version = Version {
            active: Arc::new(Memtable::new(id)),
            flushing: Vec::new(),
            sstables: Vec::new(),
        };
        let next = crate::sstable::next_generation(shared.fs.as_ref(), &dir)?;
        let state = Arc::new(TableState::new(
            id,
            dir,
            options,
            version,
            next,
            BTreeMap::new(),
        ));
        tables.insert(id, Arc::clone(&state));
        Ok(Table {
            shared: Arc::clone(shared),
            state,
        })
    }

    /// Drops table `id` and all its data.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no such table; I/O errors.
    pub fn drop_table(&self, id: TableId) -> Result<()> {
        let shared = &self.shared;
        let state = shared
            .tables
            .write()
            .remove(&id)
            .ok_or_else(|| Error::InvalidArgument(format!("no table {id}")))?;
        state.dropped.store(true, Ordering::Release);
        let _flush = state.flush_lock.lock();
        let _writers = state.switch.write();
        shared.manifest.append(&[Edit::DropTable(id)])?;
        shared.commitlog.discard_table(id)?;
        clear_version(&state);
        shared.notify_flushed();
        Ok(())
    }

    /// Removes every row of table `id`, keeping the table.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when no such table; I/O errors.
    pub fn truncate(&self, id: TableId) -> Result<()> {
        let shared = &self.shared;
        let state = self.table(id)?.state;
        let _flush = state.flush_lock.lock();
        let _writers = state.switch.write();
        let position = shared.commitlog.current_position();
        let current = state.version.current();
        let mut edits: Vec<Edit> = current
            .sstables
            .iter()
            .map(|t| Edit::RemoveSsTable(id, t.generation()))
            .collect();
        edits.push(Edit::Flushed(id, position));
        shared.manifest.append(&edits)?;
        clear_version(&state);
        shared.commitlog.discard_completed(id, position)?;
        shared.notify_flushed();
        Ok(())
    }

    /// Flushes every table, then hard-links every live SSTable into
    /// `snapshots/<name>/<table id>/`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a name that is not one path component;
    /// flush and I/O errors.
    pub fn snapshot(&self, name: &str) -> Result<()> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            && name != "."
            && name != "..";
        if !valid {
            return Err(Error::InvalidArgument(format!(
                "bad snapshot name {name:?}"
            )));
        }
        let fs = &self.shared.fs;
        for id in self.table_ids() {
            let table = self.table(id)?;
            table.flush()?;
            let version = table.version();
            let dir = self
                .shared
                .options
                .data_dir
                .join("snapshots")
                .join(name)
                .join(id.to_string());
            fs.create_dir_all(&dir)?;
            for t in &version.sstables {
                for c in Component::ALL {
                    let from = t.reader().descriptor().path(c);
                    let file = from.file_name().map(std::path::PathBuf::from);
                    let to = dir.join(file.unwrap_or_default());
                    fs.hard_link(&from, &to)?;
                }
            }
            fs.sync_dir(&dir)?;
        }
        Ok(())
    }
}

/// Empties a table's version, marking its SSTables obsolete.
fn clear_version(state: &TableState) {
    state.version.update(|v| {
        for t in &v.sstables {
            t.mark_obsolete();
        }
        Version {
            active: Arc::new(Memtable::new(state.id)),
            flushing: Vec::new(),
            sstables: Vec::new(),
        }
    });
}
