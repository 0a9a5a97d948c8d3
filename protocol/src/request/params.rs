//! Query parameters shared by QUERY and EXECUTE (spec v4 §4.1.4, v5 §4.1.4):
//! `<consistency><flags>[<n>[name_1]<value_1>...][<result_page_size>]
//! [<paging_state>][<serial_consistency>][<timestamp>][<keyspace>][<now_in_seconds>]`.
//!
//! Flags are a `[byte]` up to v4 and an `[int]` in v5; the keyspace (0x80) and
//! now_in_seconds (0x100) fields exist only in v5, and encoding them for an older
//! version is an error rather than a silent drop.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::frame::ProtocolVersion;
use crate::types::{self, Consistency, Reader, Value};

/// Query flag: values are present.
pub const FLAG_VALUES: u32 = 0x01;
/// Query flag: skip result metadata.
pub const FLAG_SKIP_METADATA: u32 = 0x02;
/// Query flag: page size present.
pub const FLAG_PAGE_SIZE: u32 = 0x04;
/// Query flag: paging state present.
pub const FLAG_PAGING_STATE: u32 = 0x08;
/// Query flag: serial consistency present.
pub const FLAG_SERIAL_CONSISTENCY: u32 = 0x10;
/// Query flag: default timestamp present.
pub const FLAG_DEFAULT_TIMESTAMP: u32 = 0x20;
/// Query flag: values are named.
pub const FLAG_NAMES_FOR_VALUES: u32 = 0x40;
/// Query flag (v5): keyspace present.
pub const FLAG_KEYSPACE: u32 = 0x80;
/// Query flag (v5): now_in_seconds present.
pub const FLAG_NOW_IN_SECONDS: u32 = 0x100;

/// Bound values: by position or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryValues {
    /// `?` markers in order. Empty means "no values" (flag 0x01 unset).
    Positional(Vec<Value>),
    /// `:name` markers (flag 0x40).
    Named(Vec<(String, Value)>),
}

impl Default for QueryValues {
    fn default() -> Self {
        QueryValues::Positional(Vec::new())
    }
}

impl QueryValues {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            QueryValues::Positional(v) => v.len(),
            QueryValues::Named(v) => v.len(),
        }
    }

    /// True when no values are bound.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The flag bits these values need (0x01 and/or 0x40).
    pub fn flags(&self) -> u32 {
        match self {
            QueryValues::Positional(v) if v.is_empty() => 0,
            QueryValues::Positional(_) => FLAG_VALUES,
            QueryValues::Named(_) => FLAG_VALUES | FLAG_NAMES_FOR_VALUES,
        }
    }

    /// Writes `<n>[name_1]<value_1>...` (without any flag).
    ///
    /// # Errors
    /// Too many values or an over-long value.
    pub fn encode(&self, buf: &mut BytesMut) -> Result<()> {
        types::put_short_count(buf, self.len(), "values")?;
        match self {
            QueryValues::Positional(vals) => {
                for v in vals {
                    types::put_value(buf, v, "value")?;
                }
            }
            QueryValues::Named(vals) => {
                for (name, v) in vals {
                    types::put_string(buf, name, "value name")?;
                    types::put_value(buf, v, "value")?;
                }
            }
        }
        Ok(())
    }

    /// Reads `<n>[name_1]<value_1>...`.
    ///
    /// # Errors
    /// Truncated or oversized input.
    pub fn decode(r: &mut Reader<'_>, named: bool) -> Result<Self> {
        let n = r.read_short("values count")?;
        let n = r.check_count(i64::from(n), 4, "values")?;
        if named {
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                let name = r.read_string("value name")?.to_owned();
                out.push((name, r.read_value("value")?));
            }
            Ok(QueryValues::Named(out))
        } else {
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(r.read_value("value")?);
            }
            Ok(QueryValues::Positional(out))
        }
    }
}

/// Writes the flags field: `[byte]` before v5, `[int]` from v5.
///
/// # Errors
/// [`ProtocolError::NotInVersion`] for bits above 0xFF before v5.
pub fn put_flags(buf: &mut BytesMut, version: ProtocolVersion, flags: u32) -> Result<()> {
    if version >= ProtocolVersion::V5 {
        buf.put_u32(flags);
    } else {
        let byte = u8::try_from(flags).map_err(|_| ProtocolError::NotInVersion {
            feature: "query flags above 0xFF",
            version,
        })?;
        buf.put_u8(byte);
    }
    Ok(())
}

/// Reads the flags field. Before v5 the v5-only bits are masked out.
///
/// # Errors
/// Truncated input.
pub fn read_flags(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<u32> {
    if version >= ProtocolVersion::V5 {
        Ok(u32::from_be_bytes(r.read_int("query flags")?.to_be_bytes()))
    } else {
        Ok(u32::from(r.read_u8("query flags")?) & !FLAG_KEYSPACE)
    }
}

/// The parameters of a QUERY or EXECUTE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryParameters {
    /// Consistency level.
    pub consistency: Consistency,
    /// Bound values.
    pub values: QueryValues,
    /// Ask the server to omit result metadata (the client has it from PREPARE).
    pub skip_metadata: bool,
    /// Rows per page; `None` disables paging.
    pub page_size: Option<i32>,
    /// Where the previous page stopped.
    pub paging_state: Option<Bytes>,
    /// Consistency of the Paxos phase of a conditional update.
    pub serial_consistency: Option<Consistency>,
    /// Client-side write timestamp in microseconds.
    pub default_timestamp: Option<i64>,
    /// Keyspace to run in (v5).
    pub keyspace: Option<String>,
    /// "Now" for TTL and function purposes, seconds since the epoch (v5).
    pub now_in_seconds: Option<i32>,
}

impl Default for QueryParameters {
    fn default() -> Self {
        QueryParameters {
            consistency: Consistency::One,
            values: QueryValues::default(),
            skip_metadata: false,
            page_size: None,
            paging_state: None,
            serial_consistency: None,
            default_timestamp: None,
            keyspace: None,
            now_in_seconds: None,
        }
    }
}

impl QueryParameters {
    fn flags(&self) -> u32 {
        let mut f = self.values.flags();
        let set = |on: bool, bit: u32| if on { bit } else { 0 };
        f |= set(self.skip_metadata, FLAG_SKIP_METADATA);
        f |= set(self.page_size.is_some(), FLAG_PAGE_SIZE);
        f |= set(self.paging_state.is_some(), FLAG_PAGING_STATE);
        f |= set(self.serial_consistency.is_some(), FLAG_SERIAL_CONSISTENCY);
        f |= set(self.default_timestamp.is_some(), FLAG_DEFAULT_TIMESTAMP);
        f |= set(self.keyspace.is_some(), FLAG_KEYSPACE);
        f |= set(self.now_in_seconds.is_some(), FLAG_NOW_IN_SECONDS);
        f
    }

    /// Appends the parameters.
    ///
    /// # Errors
    /// [`ProtocolError::NotInVersion`] for v5-only fields in v3/v4, or an
    /// over-long field.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        if version < ProtocolVersion::V5 {
            if self.keyspace.is_some() {
                return Err(ProtocolError::NotInVersion {
                    feature: "query keyspace",
                    version,
                });
            }
            if self.now_in_seconds.is_some() {
                return Err(ProtocolError::NotInVersion {
                    feature: "now_in_seconds",
                    version,
                });
            }
        }
        types::put_consistency(buf, self.consistency);
        put_flags(buf, version, self.flags())?;
        if !self.values.is_empty() || matches!(self.values, QueryValues::Named(_)) {
            self.values.encode(buf)?;
        }
        if let Some(n) = self.page_size {
            types::put_int(buf, n);
        }
        if let Some(state) = &self.paging_state {
            types::put_bytes(buf, Some(state), "paging state")?;
        }
        put_trailing(
            buf,
            self.serial_consistency,
            self.default_timestamp,
            self.keyspace.as_deref(),
            self.now_in_seconds,
        )
    }

    /// Reads the parameters.
    ///
    /// # Errors
    /// Truncated or malformed input.
    pub fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self> {
        let consistency = r.read_consistency("consistency")?;
        let flags = read_flags(r, version)?;
        let has = |bit: u32| flags & bit != 0;
        let values = if has(FLAG_VALUES) {
            QueryValues::decode(r, has(FLAG_NAMES_FOR_VALUES))?
        } else {
            QueryValues::default()
        };
        let page_size = if has(FLAG_PAGE_SIZE) {
            Some(r.read_int("page size")?)
        } else {
            None
        };
        let paging_state = if has(FLAG_PAGING_STATE) {
            r.read_bytes_owned("paging state")?
        } else {
            None
        };
        let Trailing {
            serial_consistency,
            default_timestamp,
            keyspace,
            now_in_seconds,
        } = read_trailing(r, version, flags)?;
        Ok(QueryParameters {
            consistency,
            values,
            skip_metadata: has(FLAG_SKIP_METADATA),
            page_size,
            paging_state,
            serial_consistency,
            default_timestamp,
            keyspace,
            now_in_seconds,
        })
    }
}

/// The optional fields QUERY/EXECUTE parameters and BATCH both end with, in wire order.
pub(crate) struct Trailing {
    pub(crate) serial_consistency: Option<Consistency>,
    pub(crate) default_timestamp: Option<i64>,
    pub(crate) keyspace: Option<String>,
    pub(crate) now_in_seconds: Option<i32>,
}

/// Writes the trailing fields that are present (their flags are already written).
pub(crate) fn put_trailing(
    buf: &mut BytesMut,
    serial_consistency: Option<Consistency>,
    default_timestamp: Option<i64>,
    keyspace: Option<&str>,
    now_in_seconds: Option<i32>,
) -> Result<()> {
    if let Some(c) = serial_consistency {
        types::put_consistency(buf, c);
    }
    if let Some(ts) = default_timestamp {
        types::put_long(buf, ts);
    }
    if let Some(ks) = keyspace {
        types::put_string(buf, ks, "keyspace")?;
    }
    if let Some(now) = now_in_seconds {
        types::put_int(buf, now);
    }
    Ok(())
}

/// Reads the trailing fields `flags` announce (keyspace and now only from v5).
pub(crate) fn read_trailing(
    r: &mut Reader<'_>,
    version: ProtocolVersion,
    flags: u32,
) -> Result<Trailing> {
    let has = |bit: u32| flags & bit != 0;
    let v5 = version >= ProtocolVersion::V5;
    Ok(Trailing {
        serial_consistency: if has(FLAG_SERIAL_CONSISTENCY) {
            Some(r.read_consistency("serial consistency")?)
        } else {
            None
        },
        default_timestamp: if has(FLAG_DEFAULT_TIMESTAMP) {
            Some(r.read_long("timestamp")?)
        } else {
            None
        },
        keyspace: if v5 && has(FLAG_KEYSPACE) {
            Some(r.read_string("keyspace")?.to_owned())
        } else {
            None
        },
        now_in_seconds: if v5 && has(FLAG_NOW_IN_SECONDS) {
            Some(r.read_int("now_in_seconds")?)
        } else {
            None
        },
    })
}
