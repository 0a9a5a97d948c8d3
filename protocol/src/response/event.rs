//! EVENT bodies (spec §4.2.6) and the schema change description shared with
//! RESULT kind 5 (§4.2.5.5).
//!
//! Schema change: `<change_type: [string]><target: [string]><options>` where the
//! options are `[string] keyspace` for KEYSPACE, `keyspace name` for TABLE and
//! TYPE, and `keyspace name [string list] arg_types` for FUNCTION and AGGREGATE.

use std::net::SocketAddr;

use bytes::BytesMut;

use crate::error::{ProtocolError, Result};
use crate::types::{self, Reader};

/// What happened to a schema element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaChangeType {
    /// `CREATED`.
    Created,
    /// `UPDATED`.
    Updated,
    /// `DROPPED`.
    Dropped,
}

impl SchemaChangeType {
    fn name(self) -> &'static str {
        match self {
            SchemaChangeType::Created => "CREATED",
            SchemaChangeType::Updated => "UPDATED",
            SchemaChangeType::Dropped => "DROPPED",
        }
    }

    fn from_name(s: &str) -> Result<Self> {
        match s {
            "CREATED" => Ok(SchemaChangeType::Created),
            "UPDATED" => Ok(SchemaChangeType::Updated),
            "DROPPED" => Ok(SchemaChangeType::Dropped),
            other => Err(ProtocolError::UnknownName {
                what: "schema change type",
                value: other.into(),
            }),
        }
    }
}

/// The schema element that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaChangeTarget {
    /// `KEYSPACE`.
    Keyspace {
        /// Keyspace name.
        keyspace: String,
    },
    /// `TABLE` (also views).
    Table {
        /// Keyspace name.
        keyspace: String,
        /// Table name.
        name: String,
    },
    /// `TYPE`.
    Type {
        /// Keyspace name.
        keyspace: String,
        /// Type name.
        name: String,
    },
    /// `FUNCTION`.
    Function {
        /// Keyspace name.
        keyspace: String,
        /// Function name.
        name: String,
        /// CQL argument types.
        arg_types: Vec<String>,
    },
    /// `AGGREGATE`.
    Aggregate {
        /// Keyspace name.
        keyspace: String,
        /// Aggregate name.
        name: String,
        /// CQL argument types.
        arg_types: Vec<String>,
    },
}

/// A schema change (RESULT kind 5 and SCHEMA_CHANGE events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChange {
    /// Created, updated or dropped.
    pub change: SchemaChangeType,
    /// What changed.
    pub target: SchemaChangeTarget,
}

impl SchemaChange {
    /// Appends the body.
    ///
    /// # Errors
    /// Over-long names.
    pub fn encode(&self, buf: &mut BytesMut) -> Result<()> {
        types::put_string(buf, self.change.name(), "change type")?;
        let (target, ks, name, args) = match &self.target {
            SchemaChangeTarget::Keyspace { keyspace } => ("KEYSPACE", keyspace, None, None),
            SchemaChangeTarget::Table { keyspace, name } => ("TABLE", keyspace, Some(name), None),
            SchemaChangeTarget::Type { keyspace, name } => ("TYPE", keyspace, Some(name), None),
            SchemaChangeTarget::Function {
                keyspace,
                name,
                arg_types,
            } => ("FUNCTION", keyspace, Some(name), Some(arg_types)),
            SchemaChangeTarget::Aggregate {
                keyspace,
                name,
                arg_types,
            } => ("AGGREGATE", keyspace, Some(name), Some(arg_types)),
        };
        types::put_string(buf, target, "target")?;
        types::put_string(buf, ks, "keyspace")?;
        if let Some(name) = name {
            types::put_string(buf, name, "name")?;
        }
        if let Some(args) = args {
            types::put_string_list(buf, args, "arg types")?;
        }
        Ok(())
    }

    /// Reads the body.
    ///
    /// # Errors
    /// Unknown change types or targets, or truncation.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let change = SchemaChangeType::from_name(r.read_string("change type")?)?;
        let target = r.read_string("target")?;
        let keyspace = r.read_string("keyspace")?.to_owned();
        let target = match target {
            "KEYSPACE" => SchemaChangeTarget::Keyspace { keyspace },
            "TABLE" => SchemaChangeTarget::Table {
                keyspace,
                name: r.read_string("name")?.to_owned(),
            },
            "TYPE" => SchemaChangeTarget::Type {
                keyspace,
                name: r.read_string("name")?.to_owned(),
            },
            "FUNCTION" | "AGGREGATE" => {
                let name = r.read_string("name")?.to_owned();
                let arg_types = r.read_string_list("arg types")?;
                if target == "FUNCTION" {
                    SchemaChangeTarget::Function {
                        keyspace,
                        name,
                        arg_types,
                    }
                } else {
                    SchemaChangeTarget::Aggregate {
                        keyspace,
                        name,
                        arg_types,
                    }
                }
            }
            other => {
                return Err(ProtocolError::UnknownName {
                    what: "schema change target",
                    value: other.into(),
                });
            }
        };
        Ok(SchemaChange { change, target })
    }
}

/// A topology change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopologyChange {
    /// `NEW_NODE`.
    NewNode,
    /// `REMOVED_NODE`.
    RemovedNode,
    /// `MOVED_NODE`.
    MovedNode,
}

/// A status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusChange {
    /// `UP`.
    Up,
    /// `DOWN`.
    Down,
}

/// An EVENT pushed to clients that REGISTERed (stream id -1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `TOPOLOGY_CHANGE <change> [inet]`.
    TopologyChange {
        /// What happened.
        change: TopologyChange,
        /// The node's native transport address.
        address: SocketAddr,
    },
    /// `STATUS_CHANGE <change> [inet]`.
    StatusChange {
        /// What happened.
        change: StatusChange,
        /// The node's native transport address.
        address: SocketAddr,
    },
    /// `SCHEMA_CHANGE <schema change>`.
    SchemaChange(SchemaChange),
}

impl Event {
    /// Appends the body.
    ///
    /// # Errors
    /// Over-long names.
    pub fn encode(&self, buf: &mut BytesMut) -> Result<()> {
        match self {
            Event::TopologyChange { change, address } => {
                types::put_string(buf, "TOPOLOGY_CHANGE", "event type")?;
                let name = match change {
                    TopologyChange::NewNode => "NEW_NODE",
                    TopologyChange::RemovedNode => "REMOVED_NODE",
                    TopologyChange::MovedNode => "MOVED_NODE",
                };
                types::put_string(buf, name, "topology change")?;
                types::put_inet(buf, address);
            }
            Event::StatusChange { change, address } => {
                types::put_string(buf, "STATUS_CHANGE", "event type")?;
                let name = match change {
                    StatusChange::Up => "UP",
                    StatusChange::Down => "DOWN",
                };
                types::put_string(buf, name, "status change")?;
                types::put_inet(buf, address);
            }
            Event::SchemaChange(sc) => {
                types::put_string(buf, "SCHEMA_CHANGE", "event type")?;
                sc.encode(buf)?;
            }
        }
        Ok(())
    }

    /// Reads the body.
    ///
    /// # Errors
    /// Unknown event or change names, or truncation.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let unknown = |what: &'static str, v: &str| ProtocolError::UnknownName {
            what,
            value: v.into(),
        };
        match r.read_string("event type")? {
            "TOPOLOGY_CHANGE" => {
                let change = match r.read_string("topology change")? {
                    "NEW_NODE" => TopologyChange::NewNode,
                    "REMOVED_NODE" => TopologyChange::RemovedNode,
                    "MOVED_NODE" => TopologyChange::MovedNode,
                    other => return Err(unknown("topology change", other)),
                };
                Ok(Event::TopologyChange {
                    change,
                    address: r.read_inet("address")?,
                })
            }
            "STATUS_CHANGE" => {
                let change = match r.read_string("status change")? {
                    "UP" => StatusChange::Up,
                    "DOWN" => StatusChange::Down,
                    other => return Err(unknown("status change", other)),
                };
                Ok(Event::StatusChange {
                    change,
                    address: r.read_inet("address")?,
                })
            }
            "SCHEMA_CHANGE" => Ok(Event::SchemaChange(SchemaChange::decode(r)?)),
            other => Err(unknown("event type", other)),
        }
    }
}
