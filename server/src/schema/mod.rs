//! The schema: keyspaces, tables, columns and user types, as immutable snapshots.
//!
//! A [`Schema`] is never mutated in place by readers: DDL builds a new snapshot
//! and publishes it as a whole (`Arc<Schema>`), so a request sees one
//! consistent schema from start to end. The `schema_version` drivers compare
//! across nodes is a pure function of the content, so nodes with the same
//! schema agree on it.

pub mod describe;
pub mod keyspace;
pub mod params;
pub mod replication;
pub mod store;
pub mod sync;
pub mod system_keyspaces;
pub mod table;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use keyspace::KeyspaceMetadata;
pub use params::{OptionValue, TableParams};
pub use replication::Replication;
pub use table::{
    ClusteringOrder, ColumnId, ColumnKind, ColumnMetadata, TableDefinition, TableMetadata,
};

/// Why a schema operation was refused. The variants map to the protocol's
/// error codes: Invalid (0x2200), Config (0x2300) and AlreadyExists (0x2400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// An invalid request (InvalidRequest, 0x2200).
    #[error("{0}")]
    Invalid(String),
    /// A bad option value (ConfigurationException, 0x2300).
    #[error("{0}")]
    Config(String),
    /// The keyspace (and table, when `table` is not empty) exists already.
    #[error("{}", already_exists_message(keyspace, table))]
    AlreadyExists {
        /// Keyspace name.
        keyspace: String,
        /// Table or type name; empty for a keyspace.
        table: String,
    },
}

fn already_exists_message(keyspace: &str, table: &str) -> String {
    if table.is_empty() {
        format!("Keyspace {keyspace} already exists")
    } else {
        format!("Object {keyspace}.{table} already exists")
    }
}

/// One consistent version of the whole schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// Keyspaces by name.
    pub keyspaces: BTreeMap<String, Arc<KeyspaceMetadata>>,
    /// When the last change was made (microseconds since the epoch; strictly
    /// increasing on one node): between nodes, the newer schema wins.
    pub modified_us: i64,
}

impl Schema {
    /// A keyspace by name.
    pub fn keyspace(&self, name: &str) -> Option<&Arc<KeyspaceMetadata>> {
        self.keyspaces.get(name)
    }

    /// A table by keyspace and table name.
    pub fn table(&self, keyspace: &str, table: &str) -> Option<&Arc<TableMetadata>> {
        self.keyspaces.get(keyspace).and_then(|ks| ks.table(table))
    }

    /// A table by id.
    pub fn table_by_id(&self, id: uuid::Uuid) -> Option<&Arc<TableMetadata>> {
        self.keyspaces
            .values()
            .flat_map(|ks| ks.tables.values())
            .find(|t| t.id == id)
    }

    /// The schema version: a name-based UUID of the canonical content, equal on
    /// every node holding the same schema and different after any change.
    pub fn version(&self) -> uuid::Uuid {
        // BTreeMaps make the Debug rendering canonical (sorted, complete).
        let canonical = format!("{:?}", self.keyspaces);
        uuid::Uuid::new_v5(&SCHEMA_VERSION_NAMESPACE, canonical.as_bytes())
    }
}

/// Namespace of schema version UUIDs (a fixed random UUID).
const SCHEMA_VERSION_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5b1b_7e0a_3c1d_4e9f_8a2b_6c4d_0e1f_2a3b);
