//! Schema between nodes: the snapshot a node pushes after a change (and
//! answers a pull with), and the SCHEMA_CHANGE events a node that adopts a
//! peer's schema sends its own clients.
//!
//! The rule is last-writer-wins on the whole schema: a snapshot replaces
//! ours when its change time is later (equal times: the greater version),
//! so every node converges on the same schema. Two DDL statements made on
//! different nodes within the same gossip round can therefore lose one of
//! them; make schema changes through one node at a time (drivers do: they
//! wait for schema agreement after each change).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use sibyl_protocol::response::{SchemaChange, SchemaChangeTarget, SchemaChangeType};

use super::system_keyspaces::is_system_keyspace;
use super::{KeyspaceMetadata, Schema};

/// Largest schema snapshot accepted from a peer.
pub const SCHEMA_SNAPSHOT_BYTES_MAX: usize = 64 * 1024 * 1024;

/// A node's user schema as sent to peers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SchemaSnapshot {
    /// When it last changed (microseconds).
    pub modified_us: i64,
    /// The user keyspaces.
    pub keyspaces: BTreeMap<String, Arc<KeyspaceMetadata>>,
}

impl SchemaSnapshot {
    /// The user part of `schema`.
    pub fn of(schema: &Schema) -> Self {
        Self {
            modified_us: schema.modified_us,
            keyspaces: schema
                .keyspaces
                .iter()
                .filter(|(name, _)| !is_system_keyspace(name))
                .map(|(name, ks)| (name.clone(), Arc::clone(ks)))
                .collect(),
        }
    }

    /// The message body.
    pub fn encode(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decodes a message body.
    ///
    /// # Errors
    /// Oversized or not a snapshot.
    pub fn decode(body: &[u8]) -> Result<Self, String> {
        if body.len() > SCHEMA_SNAPSHOT_BYTES_MAX {
            return Err(format!(
                "schema snapshot of {} bytes is too large",
                body.len()
            ));
        }
        serde_json::from_slice(body).map_err(|e| e.to_string())
    }
}

fn change(change: SchemaChangeType, target: SchemaChangeTarget) -> SchemaChange {
    SchemaChange { change, target }
}

/// What changed from `old` to `new`, as clients are told.
pub fn changes(old: &Schema, new: &Schema) -> Vec<SchemaChange> {
    let mut out = Vec::new();
    for name in old
        .keyspaces
        .keys()
        .filter(|n| !new.keyspaces.contains_key(*n))
    {
        out.push(change(
            SchemaChangeType::Dropped,
            SchemaChangeTarget::Keyspace {
                keyspace: name.clone(),
            },
        ));
    }
    for (name, ks) in &new.keyspaces {
        let Some(before) = old.keyspaces.get(name) else {
            out.push(change(
                SchemaChangeType::Created,
                SchemaChangeTarget::Keyspace {
                    keyspace: name.clone(),
                },
            ));
            out.extend(keyspace_contents(name, None, ks));
            continue;
        };
        if before.replication != ks.replication || before.durable_writes != ks.durable_writes {
            out.push(change(
                SchemaChangeType::Updated,
                SchemaChangeTarget::Keyspace {
                    keyspace: name.clone(),
                },
            ));
        }
        out.extend(keyspace_contents(name, Some(before), ks));
    }
    out
}

/// Table and type changes inside one keyspace.
fn keyspace_contents(
    keyspace: &str,
    before: Option<&Arc<KeyspaceMetadata>>,
    after: &KeyspaceMetadata,
) -> Vec<SchemaChange> {
    let mut out = Vec::new();
    let table = |name: &str| SchemaChangeTarget::Table {
        keyspace: keyspace.to_owned(),
        name: name.to_owned(),
    };
    let ty = |name: &str| SchemaChangeTarget::Type {
        keyspace: keyspace.to_owned(),
        name: name.to_owned(),
    };
    if let Some(before) = before {
        for name in before
            .tables
            .keys()
            .filter(|n| !after.tables.contains_key(*n))
        {
            out.push(change(SchemaChangeType::Dropped, table(name)));
        }
        for name in before
            .types
            .keys()
            .filter(|n| !after.types.contains_key(*n))
        {
            out.push(change(SchemaChangeType::Dropped, ty(name)));
        }
    }
    for (name, t) in &after.types {
        match before.and_then(|b| b.types.get(name)) {
            None => out.push(change(SchemaChangeType::Created, ty(name))),
            Some(old) if old != t => out.push(change(SchemaChangeType::Updated, ty(name))),
            Some(_) => {}
        }
    }
    for (name, t) in &after.tables {
        match before.and_then(|b| b.tables.get(name)) {
            None => out.push(change(SchemaChangeType::Created, table(name))),
            Some(old) if old != t => out.push(change(SchemaChangeType::Updated, table(name))),
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Replication;

    #[test]
    fn snapshots_round_trip_and_changes_are_listed() {
        let mut old = Schema::default();
        let ks = |rf| {
            Arc::new(KeyspaceMetadata::new(
                "ks",
                Replication::Simple {
                    replication_factor: rf,
                },
                true,
            ))
        };
        old.keyspaces.insert("gone".into(), ks(1));
        old.keyspaces.insert("ks".into(), ks(1));
        let mut new = Schema::default();
        new.keyspaces.insert("ks".into(), ks(3));
        new.keyspaces.insert("fresh".into(), ks(1));
        new.modified_us = 5;
        let snapshot = SchemaSnapshot::of(&new);
        assert_eq!(
            SchemaSnapshot::decode(&snapshot.encode()).unwrap(),
            snapshot
        );
        assert!(SchemaSnapshot::decode(b"{").is_err());
        let listed = changes(&old, &new);
        let kinds: Vec<(SchemaChangeType, String)> = listed
            .iter()
            .map(|c| match &c.target {
                SchemaChangeTarget::Keyspace { keyspace } => (c.change, keyspace.clone()),
                other => (c.change, format!("{other:?}")),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (SchemaChangeType::Dropped, "gone".to_owned()),
                (SchemaChangeType::Created, "fresh".to_owned()),
                (SchemaChangeType::Updated, "ks".to_owned()),
            ]
        );
    }
}
