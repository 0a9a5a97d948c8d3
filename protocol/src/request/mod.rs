//! Client-to-server messages (spec §4.1): the [`Request`] enum, one variant per
//! request opcode, with body encode (our client) and decode (our server).
//!
//! - [`params`] holds the query parameters shared by QUERY and EXECUTE.
//! - [`statement`] holds QUERY, PREPARE and EXECUTE.
//! - [`batch`] holds BATCH.
//!
//! STARTUP, AUTH_RESPONSE, OPTIONS and REGISTER are small and live here.

pub mod batch;
pub mod params;
pub mod statement;

use bytes::{Bytes, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::frame::{Opcode, ProtocolVersion};
use crate::types::{self, Reader, StringMap};

pub use batch::{Batch, BatchQuery, BatchStatement, BatchType};
pub use params::{QueryParameters, QueryValues};
pub use statement::{Execute, Prepare, Query};

/// The STARTUP option naming the CQL version.
pub const STARTUP_CQL_VERSION: &str = "CQL_VERSION";
/// The STARTUP option naming the compression algorithm.
pub const STARTUP_COMPRESSION: &str = "COMPRESSION";

/// An event type a client can REGISTER for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `TOPOLOGY_CHANGE`.
    TopologyChange,
    /// `STATUS_CHANGE`.
    StatusChange,
    /// `SCHEMA_CHANGE`.
    SchemaChange,
}

impl EventType {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            EventType::TopologyChange => "TOPOLOGY_CHANGE",
            EventType::StatusChange => "STATUS_CHANGE",
            EventType::SchemaChange => "SCHEMA_CHANGE",
        }
    }

    /// The type for a wire name.
    ///
    /// # Errors
    /// [`ProtocolError::UnknownName`].
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "TOPOLOGY_CHANGE" => Ok(EventType::TopologyChange),
            "STATUS_CHANGE" => Ok(EventType::StatusChange),
            "SCHEMA_CHANGE" => Ok(EventType::SchemaChange),
            other => Err(ProtocolError::UnknownName {
                what: "event type",
                value: other.into(),
            }),
        }
    }
}

/// A request message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// STARTUP: `[string map]` of options (`CQL_VERSION`, `COMPRESSION`, driver info).
    Startup(StringMap),
    /// AUTH_RESPONSE: a SASL token (`[bytes]`, may be null).
    AuthResponse(Option<Bytes>),
    /// OPTIONS: empty body.
    Options,
    /// QUERY.
    Query(Query),
    /// PREPARE.
    Prepare(Prepare),
    /// EXECUTE.
    Execute(Execute),
    /// BATCH.
    Batch(Batch),
    /// REGISTER: `[string list]` of event types.
    Register(Vec<EventType>),
}

impl Request {
    /// The opcode of this request.
    pub fn opcode(&self) -> Opcode {
        match self {
            Request::Startup(_) => Opcode::Startup,
            Request::AuthResponse(_) => Opcode::AuthResponse,
            Request::Options => Opcode::Options,
            Request::Query(_) => Opcode::Query,
            Request::Prepare(_) => Opcode::Prepare,
            Request::Execute(_) => Opcode::Execute,
            Request::Batch(_) => Opcode::Batch,
            Request::Register(_) => Opcode::Register,
        }
    }

    /// Appends the body for `version`.
    ///
    /// # Errors
    /// A field the version cannot carry, or one too long for its prefix.
    pub fn encode_body(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        match self {
            Request::Startup(options) => types::put_string_map(buf, options, "startup options"),
            Request::AuthResponse(token) => types::put_bytes(buf, token.as_deref(), "auth token"),
            Request::Options => Ok(()),
            Request::Query(q) => q.encode(version, buf),
            Request::Prepare(p) => p.encode(version, buf),
            Request::Execute(e) => e.encode(version, buf),
            Request::Batch(b) => b.encode(version, buf),
            Request::Register(events) => {
                let names: Vec<String> = events.iter().map(|e| e.name().to_owned()).collect();
                types::put_string_list(buf, &names, "event types")
            }
        }
    }

    /// Reads a body of the given opcode.
    ///
    /// # Errors
    /// [`ProtocolError::UnexpectedOpcode`] for a response opcode, or malformed input.
    pub fn decode_body(
        opcode: Opcode,
        version: ProtocolVersion,
        r: &mut Reader<'_>,
    ) -> Result<Self> {
        Ok(match opcode {
            Opcode::Startup => Request::Startup(r.read_string_map("startup options")?),
            Opcode::AuthResponse => Request::AuthResponse(r.read_bytes_owned("auth token")?),
            Opcode::Options => Request::Options,
            Opcode::Query => Request::Query(Query::decode(r, version)?),
            Opcode::Prepare => Request::Prepare(Prepare::decode(r, version)?),
            Opcode::Execute => Request::Execute(Execute::decode(r, version)?),
            Opcode::Batch => Request::Batch(Batch::decode(r, version)?),
            Opcode::Register => {
                let names = r.read_string_list("event types")?;
                Request::Register(
                    names
                        .iter()
                        .map(|n| EventType::from_name(n))
                        .collect::<Result<Vec<_>>>()?,
                )
            }
            other => return Err(ProtocolError::UnexpectedOpcode { opcode: other }),
        })
    }
}
