//! Keyspace metadata: replication, durability, and the tables and user types it holds.

use std::collections::BTreeMap;
use std::sync::Arc;

use sibyl_protocol::value::UdtDef;

use super::replication::Replication;
use super::table::TableMetadata;

/// A keyspace's schema. Tables are shared snapshots: cloning a keyspace is cheap.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyspaceMetadata {
    /// Keyspace name as stored.
    pub name: String,
    /// Replica placement.
    pub replication: Replication,
    /// Whether writes go through the commitlog (`durable_writes`).
    pub durable_writes: bool,
    /// Tables by name.
    pub tables: BTreeMap<String, Arc<TableMetadata>>,
    /// User-defined types by name.
    pub types: BTreeMap<String, UdtDef>,
}

impl KeyspaceMetadata {
    /// An empty keyspace.
    pub fn new(name: &str, replication: Replication, durable_writes: bool) -> Self {
        Self {
            name: name.to_owned(),
            replication,
            durable_writes,
            tables: BTreeMap::new(),
            types: BTreeMap::new(),
        }
    }

    /// A table by name.
    pub fn table(&self, name: &str) -> Option<&Arc<TableMetadata>> {
        self.tables.get(name)
    }

    /// Tables and types that use the user type `name` (which blocks dropping it).
    pub fn users_of_type(&self, name: &str) -> Vec<String> {
        let mentions = |ty: &sibyl_protocol::value::CqlType| ty_mentions(ty, name);
        let tables = self
            .tables
            .values()
            .filter(|t| t.columns.iter().any(|c| mentions(&c.ty)))
            .map(|t| t.name.clone());
        let types = self
            .types
            .values()
            .filter(|u| u.name != name && u.fields.iter().any(|(_, ty)| mentions(ty)))
            .map(|u| u.name.clone());
        tables.chain(types).collect()
    }
}

/// True when `ty` uses the user type named `udt`, at any depth.
pub(crate) fn ty_mentions(ty: &sibyl_protocol::value::CqlType, udt: &str) -> bool {
    use sibyl_protocol::value::CqlType as T;
    match ty {
        T::Udt(def) => def.name == udt || def.fields.iter().any(|(_, f)| ty_mentions(f, udt)),
        T::List(inner) | T::Set(inner) | T::Frozen(inner) | T::Vector(inner, _) => {
            ty_mentions(inner, udt)
        }
        T::Map(k, v) => ty_mentions(k, udt) || ty_mentions(v, udt),
        T::Tuple(items) => items.iter().any(|t| ty_mentions(t, udt)),
        _ => false,
    }
}
