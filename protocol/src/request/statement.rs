//! QUERY, PREPARE and EXECUTE bodies (spec v4/v5 §4.1.4–4.1.6).
//!
//! - QUERY: `<query: [long string]><query_parameters>`.
//! - PREPARE: `<query: [long string]>`, and in v5 `<flags: [int]>[<keyspace: [string]>]`.
//! - EXECUTE: `<id: [short bytes]>`, in v5 `<result_metadata_id: [short bytes]>`,
//!   then `<query_parameters>`.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::frame::ProtocolVersion;
use crate::request::params::QueryParameters;
use crate::types::{self, Reader};

/// A QUERY request: CQL text and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The CQL statement.
    pub query: String,
    /// Consistency, values, paging, ...
    pub params: QueryParameters,
}

impl Query {
    /// Appends the body.
    ///
    /// # Errors
    /// As [`QueryParameters::encode`].
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        types::put_long_string(buf, &self.query, "query")?;
        self.params.encode(version, buf)
    }

    /// Reads the body.
    ///
    /// # Errors
    /// Truncated or malformed input.
    pub fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self> {
        let query = r.read_long_string("query")?.to_owned();
        let params = QueryParameters::decode(r, version)?;
        Ok(Query { query, params })
    }
}

/// PREPARE flag (v5): keyspace present.
const PREPARE_FLAG_KEYSPACE: u32 = 0x01;

/// A PREPARE request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepare {
    /// The CQL statement.
    pub query: String,
    /// Keyspace to prepare in (v5).
    pub keyspace: Option<String>,
}

impl Prepare {
    /// Appends the body.
    ///
    /// # Errors
    /// [`ProtocolError::NotInVersion`] for a keyspace before v5.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        types::put_long_string(buf, &self.query, "query")?;
        if version >= ProtocolVersion::V5 {
            match &self.keyspace {
                Some(ks) => {
                    buf.put_u32(PREPARE_FLAG_KEYSPACE);
                    types::put_string(buf, ks, "keyspace")?;
                }
                None => buf.put_u32(0),
            }
        } else if self.keyspace.is_some() {
            return Err(ProtocolError::NotInVersion {
                feature: "prepare keyspace",
                version,
            });
        }
        Ok(())
    }

    /// Reads the body.
    ///
    /// # Errors
    /// Truncated or malformed input.
    pub fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self> {
        let query = r.read_long_string("query")?.to_owned();
        let mut keyspace = None;
        if version >= ProtocolVersion::V5 {
            let flags = r.read_int("prepare flags")?;
            if flags & 0x01 != 0 {
                keyspace = Some(r.read_string("keyspace")?.to_owned());
            }
        }
        Ok(Prepare { query, keyspace })
    }
}

/// An EXECUTE request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execute {
    /// The prepared statement id from the PREPARED result.
    pub id: Bytes,
    /// The result metadata id from the PREPARED result (v5, required there).
    pub result_metadata_id: Option<Bytes>,
    /// Consistency, values, paging, ...
    pub params: QueryParameters,
}

impl Execute {
    /// Appends the body.
    ///
    /// # Errors
    /// [`ProtocolError::NotInVersion`] for a result metadata id before v5, or a
    /// missing one in v5.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        types::put_short_bytes(buf, &self.id, "prepared id")?;
        match (&self.result_metadata_id, version >= ProtocolVersion::V5) {
            (Some(id), true) => types::put_short_bytes(buf, id, "result metadata id")?,
            (None, true) => {
                return Err(ProtocolError::Invalid(
                    "v5 EXECUTE needs a result_metadata_id".into(),
                ));
            }
            (Some(_), false) => {
                return Err(ProtocolError::NotInVersion {
                    feature: "result_metadata_id",
                    version,
                });
            }
            (None, false) => {}
        }
        self.params.encode(version, buf)
    }

    /// Reads the body.
    ///
    /// # Errors
    /// Truncated or malformed input.
    pub fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self> {
        let id = r.read_short_bytes("prepared id")?;
        let result_metadata_id = if version >= ProtocolVersion::V5 {
            Some(r.read_short_bytes("result metadata id")?)
        } else {
            None
        };
        let params = QueryParameters::decode(r, version)?;
        Ok(Execute {
            id,
            result_metadata_id,
            params,
        })
    }
}
