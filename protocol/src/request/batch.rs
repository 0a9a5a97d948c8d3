//! BATCH body (spec v4/v5 §4.1.7):
//! `<type: [byte]><n: [short]><query_1>...<query_n><consistency><flags>
//! [<serial_consistency>][<timestamp>][<keyspace>][<now_in_seconds>]`,
//! each query being `<kind: [byte]><string_or_id><n: [short]>[name_1]<value_1>...`.
//!
//! The names-for-values flag (0x40) cannot work for BATCH (the values come
//! before the flags; the v4 spec itself says so, CASSANDRA-10246), so values are
//! positional only and a batch with that flag set is rejected, as Cassandra does.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::frame::ProtocolVersion;
use crate::request::params::{
    self, FLAG_DEFAULT_TIMESTAMP, FLAG_KEYSPACE, FLAG_NAMES_FOR_VALUES, FLAG_NOW_IN_SECONDS,
    FLAG_SERIAL_CONSISTENCY,
};
use crate::types::{self, Consistency, Reader, Value};

/// The kind of batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BatchType {
    /// Logged (atomic via the batchlog).
    Logged = 0,
    /// Unlogged.
    Unlogged = 1,
    /// Counter updates.
    Counter = 2,
}

/// What one batch statement runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchQuery {
    /// Kind 0: CQL text.
    Text(String),
    /// Kind 1: a prepared statement id.
    Prepared(Bytes),
}

/// One statement of a batch and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStatement {
    /// Text or prepared id.
    pub query: BatchQuery,
    /// Bound values, by position.
    pub values: Vec<Value>,
}

/// A BATCH request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Logged, unlogged or counter.
    pub batch_type: BatchType,
    /// The statements, in order.
    pub statements: Vec<BatchStatement>,
    /// Consistency level.
    pub consistency: Consistency,
    /// Serial consistency for conditional batches.
    pub serial_consistency: Option<Consistency>,
    /// Client-side timestamp in microseconds.
    pub default_timestamp: Option<i64>,
    /// Keyspace (v5).
    pub keyspace: Option<String>,
    /// "Now" in seconds (v5).
    pub now_in_seconds: Option<i32>,
}

impl Batch {
    fn flags(&self) -> u32 {
        let set = |on: bool, bit: u32| if on { bit } else { 0 };
        set(self.serial_consistency.is_some(), FLAG_SERIAL_CONSISTENCY)
            | set(self.default_timestamp.is_some(), FLAG_DEFAULT_TIMESTAMP)
            | set(self.keyspace.is_some(), FLAG_KEYSPACE)
            | set(self.now_in_seconds.is_some(), FLAG_NOW_IN_SECONDS)
    }

    /// Appends the body.
    ///
    /// # Errors
    /// v5-only fields before v5, or over-long fields.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        if version < ProtocolVersion::V5
            && (self.keyspace.is_some() || self.now_in_seconds.is_some())
        {
            return Err(ProtocolError::NotInVersion {
                feature: "batch keyspace/now",
                version,
            });
        }
        buf.put_u8(self.batch_type as u8);
        types::put_short_count(buf, self.statements.len(), "batch statements")?;
        for s in &self.statements {
            match &s.query {
                BatchQuery::Text(q) => {
                    buf.put_u8(0);
                    types::put_long_string(buf, q, "batch query")?;
                }
                BatchQuery::Prepared(id) => {
                    buf.put_u8(1);
                    types::put_short_bytes(buf, id, "batch prepared id")?;
                }
            }
            types::put_short_count(buf, s.values.len(), "batch values")?;
            for v in &s.values {
                types::put_value(buf, v, "batch value")?;
            }
        }
        types::put_consistency(buf, self.consistency);
        params::put_flags(buf, version, self.flags())?;
        params::put_trailing(
            buf,
            self.serial_consistency,
            self.default_timestamp,
            self.keyspace.as_deref(),
            self.now_in_seconds,
        )
    }

    /// Reads the body.
    ///
    /// # Errors
    /// Truncated or malformed input.
    pub fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self> {
        let batch_type = match r.read_u8("batch type")? {
            0 => BatchType::Logged,
            1 => BatchType::Unlogged,
            2 => BatchType::Counter,
            other => {
                return Err(ProtocolError::UnknownName {
                    what: "batch type",
                    value: other.to_string(),
                });
            }
        };
        let n = r.read_short("batch statements")?;
        let n = r.check_count(i64::from(n), 5, "batch statements")?;
        let statements = (0..n)
            .map(|_| read_statement(r))
            .collect::<Result<Vec<_>>>()?;
        let consistency = r.read_consistency("consistency")?;
        let flags = params::read_flags(r, version)?;
        if flags & FLAG_NAMES_FOR_VALUES != 0 {
            return Err(ProtocolError::Invalid(
                "names for values are not supported in BATCH (CASSANDRA-10246)".into(),
            ));
        }
        let params::Trailing {
            serial_consistency,
            default_timestamp,
            keyspace,
            now_in_seconds,
        } = params::read_trailing(r, version, flags)?;
        Ok(Batch {
            batch_type,
            statements,
            consistency,
            serial_consistency,
            default_timestamp,
            keyspace,
            now_in_seconds,
        })
    }
}

fn read_statement(r: &mut Reader<'_>) -> Result<BatchStatement> {
    let query = match r.read_u8("batch query kind")? {
        0 => BatchQuery::Text(r.read_long_string("batch query")?.to_owned()),
        1 => BatchQuery::Prepared(r.read_short_bytes("batch prepared id")?),
        other => {
            return Err(ProtocolError::UnknownName {
                what: "batch query kind",
                value: other.to_string(),
            });
        }
    };
    let n = r.read_short("batch values")?;
    let n = r.check_count(i64::from(n), 4, "batch values")?;
    let values = (0..n)
        .map(|_| r.read_value("batch value"))
        .collect::<Result<Vec<_>>>()?;
    Ok(BatchStatement { query, values })
}
