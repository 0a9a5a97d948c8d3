//! The node's schema: the current snapshot, published atomically, and its
//! persistence in `<data_dir>/schema/schema.json`.
//!
//! Writers (DDL) are serialised by one mutex; each builds a new [`Schema`]
//! from the current one, persists it (write to a temporary file, fsync,
//! rename, fsync the directory), and only then publishes it, so a change
//! acknowledged to a client survives a crash. Readers take the current
//! `Arc<Schema>` and never wait on writers. System keyspaces are built in
//! code at start-up and never persisted.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use super::sync::SchemaSnapshot;
use super::system_keyspaces::{bootstrap_schema, is_system_keyspace};
use super::{KeyspaceMetadata, Schema};
use crate::clock::{Clock, SystemClock};
use crate::durable_file::write_atomically;
use crate::error::RequestError;

/// Format version of the schema file.
const SCHEMA_FILE_VERSION: u32 = 1;
/// Largest schema file read at start-up.
const SCHEMA_FILE_BYTES_MAX: u64 = 64 * 1024 * 1024;

#[derive(serde::Serialize, serde::Deserialize)]
struct SchemaFile {
    version: u32,
    keyspaces: BTreeMap<String, Arc<KeyspaceMetadata>>,
    #[serde(default)]
    modified_us: i64,
}

/// Why the schema could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaStoreError {
    /// Reading or writing the schema file failed.
    #[error("schema file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The schema file is not a schema this version can read.
    #[error("schema file {} is unreadable: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A schema adopted from a peer: the one replaced, then the new one.
pub type Adopted = (Arc<Schema>, Arc<Schema>);

/// The current schema and how it changes.
pub struct SchemaStore {
    path: PathBuf,
    current: RwLock<Arc<Schema>>,
    writer: Mutex<()>,
    clock: Arc<dyn Clock>,
}

impl SchemaStore {
    /// Opens (or creates) the schema stored under `data_dir`.
    ///
    /// # Errors
    /// The directory cannot be created, or the file cannot be read or parsed.
    pub fn open(data_dir: &Path) -> Result<Self, SchemaStoreError> {
        Self::open_with_clock(data_dir, Arc::new(SystemClock))
    }

    /// Opens the schema with `clock` stamping changes.
    ///
    /// # Errors
    /// As [`SchemaStore::open`].
    pub fn open_with_clock(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SchemaStoreError> {
        let dir = data_dir.join("schema");
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| SchemaStoreError::Io { path, source }
        };
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join("schema.json");
        let mut schema = bootstrap_schema();
        if path.exists() {
            let len = fs::metadata(&path).map_err(io(&path))?.len();
            if len > SCHEMA_FILE_BYTES_MAX {
                return Err(SchemaStoreError::Corrupt {
                    path,
                    reason: format!("larger than {SCHEMA_FILE_BYTES_MAX} bytes"),
                });
            }
            let text = fs::read_to_string(&path).map_err(io(&path))?;
            let file: SchemaFile =
                serde_json::from_str(&text).map_err(|e| SchemaStoreError::Corrupt {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            if file.version != SCHEMA_FILE_VERSION {
                let reason = format!(
                    "format version {} (this build reads {SCHEMA_FILE_VERSION})",
                    file.version
                );
                return Err(SchemaStoreError::Corrupt { path, reason });
            }
            schema.modified_us = file.modified_us;
            schema.keyspaces.extend(
                file.keyspaces
                    .into_iter()
                    .filter(|(name, _)| !is_system_keyspace(name)),
            );
        }
        Ok(Self {
            path,
            current: RwLock::new(Arc::new(schema)),
            writer: Mutex::new(()),
            clock,
        })
    }

    /// The current schema.
    pub fn current(&self) -> Arc<Schema> {
        Arc::clone(&self.current.read())
    }

    /// Applies a schema change: `change` gets the current schema and returns
    /// the new one (or `None` for "nothing to do") plus an outcome; the new
    /// schema is persisted before it is published.
    ///
    /// # Errors
    /// Whatever `change` returns, or a server error when persisting fails.
    pub fn update<R>(
        &self,
        change: impl FnOnce(&Schema) -> Result<(Option<Schema>, R), RequestError>,
    ) -> Result<R, RequestError> {
        let _writer = self.writer.lock();
        let current = self.current();
        let (next, outcome) = change(&current)?;
        if let Some(mut next) = next {
            next.modified_us = self
                .clock
                .now_micros()
                .max(current.modified_us.saturating_add(1));
            self.persist(&next)
                .map_err(|e| RequestError::Server(e.to_string()))?;
            *self.current.write() = Arc::new(next);
        }
        Ok(outcome)
    }

    /// Adopts a peer's schema when it is newer than ours (later change
    /// time; equal times: the greater version, so every node picks the same
    /// one). Returns the schema replaced and the new one when adopted.
    ///
    /// # Errors
    /// Persisting fails.
    pub fn adopt(&self, snapshot: SchemaSnapshot) -> Result<Option<Adopted>, SchemaStoreError> {
        let _writer = self.writer.lock();
        let current = self.current();
        let mut next = bootstrap_schema();
        next.modified_us = snapshot.modified_us;
        next.keyspaces.extend(
            snapshot
                .keyspaces
                .into_iter()
                .filter(|(name, _)| !is_system_keyspace(name)),
        );
        let newer = (next.modified_us, next.version()) > (current.modified_us, current.version());
        if !newer {
            return Ok(None);
        }
        self.persist(&next)?;
        let next = Arc::new(next);
        *self.current.write() = Arc::clone(&next);
        Ok(Some((current, next)))
    }

    fn persist(&self, schema: &Schema) -> Result<(), SchemaStoreError> {
        let keyspaces = schema
            .keyspaces
            .iter()
            .filter(|(name, _)| !is_system_keyspace(name))
            .map(|(name, ks)| (name.clone(), Arc::clone(ks)))
            .collect();
        let file = SchemaFile {
            version: SCHEMA_FILE_VERSION,
            keyspaces,
            modified_us: schema.modified_us,
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| SchemaStoreError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        write_atomically(&self.path, &text).map_err(|e| SchemaStoreError::Io {
            path: e.path,
            source: e.source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Replication, TableDefinition, TableMetadata};
    use sibyl_protocol::value::CqlType;

    #[test]
    fn changes_survive_reopen_with_column_ids_and_system_keyspaces_are_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let store = SchemaStore::open(dir.path()).unwrap();
        let version0 = store.current().version();
        store
            .update(|schema| {
                let mut next = schema.clone();
                let mut ks = KeyspaceMetadata::new(
                    "ks",
                    Replication::Simple {
                        replication_factor: 1,
                    },
                    true,
                );
                let def = TableDefinition {
                    columns: vec![
                        ("k".into(), CqlType::Int, false),
                        ("v".into(), CqlType::List(Box::new(CqlType::Text)), false),
                    ],
                    partition_key: vec!["k".into()],
                    ..Default::default()
                };
                let mut table = TableMetadata::create("ks", "t", uuid::Uuid::from_u128(5), def)?;
                table.add_column("a", CqlType::Int, false)?;
                ks.tables.insert("t".into(), Arc::new(table));
                next.keyspaces.insert("ks".into(), Arc::new(ks));
                Ok((Some(next), ()))
            })
            .unwrap();
        let after = store.current();
        assert_ne!(after.version(), version0);
        drop(store);
        let reopened = SchemaStore::open(dir.path()).unwrap();
        assert_eq!(
            *reopened.current(),
            *after,
            "the whole schema, ids included, comes back"
        );
        let table = reopened.current().table("ks", "t").unwrap().clone();
        assert_eq!(
            table.column("a").unwrap().id,
            2,
            "an added column keeps its storage id"
        );
        assert!(reopened.current().keyspace("system").is_some());
    }

    #[test]
    fn a_failed_change_publishes_nothing_and_a_corrupt_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = SchemaStore::open(dir.path()).unwrap();
        let before = store.current();
        let result: Result<(), _> = store.update(|_| Err(RequestError::invalid("no")));
        assert!(result.is_err());
        assert!(Arc::ptr_eq(&before, &store.current()));
        fs::write(dir.path().join("schema/schema.json"), b"{not json").unwrap();
        let err = SchemaStore::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("schema.json is unreadable"), "{err}");
    }
}
