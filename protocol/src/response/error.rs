//! ERROR bodies (spec v4 §9, v5 §9): `<code: [int]><message: [string]>` and the
//! code's extra fields. Read/Write_failure carry `<numfailures: [int]>` before v5
//! and a `<reasonmap>` of `[inetaddr]` to `[short]` reason code from v5.
//! Write_timeout of type CAS carries `<contentions: [short]>` in v5.

use std::net::IpAddr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::frame::ProtocolVersion;
use crate::types::{self, Consistency, Reader};

/// Error code constants (spec §9).
pub mod code {
    /// Server error.
    pub const SERVER_ERROR: i32 = 0x0000;
    /// Protocol error.
    pub const PROTOCOL_ERROR: i32 = 0x000A;
    /// Authentication error (bad credentials).
    pub const AUTHENTICATION_ERROR: i32 = 0x0100;
    /// Unavailable.
    pub const UNAVAILABLE: i32 = 0x1000;
    /// Overloaded.
    pub const OVERLOADED: i32 = 0x1001;
    /// Is bootstrapping.
    pub const IS_BOOTSTRAPPING: i32 = 0x1002;
    /// Truncate error.
    pub const TRUNCATE_ERROR: i32 = 0x1003;
    /// Write timeout.
    pub const WRITE_TIMEOUT: i32 = 0x1100;
    /// Read timeout.
    pub const READ_TIMEOUT: i32 = 0x1200;
    /// Read failure.
    pub const READ_FAILURE: i32 = 0x1300;
    /// Function failure.
    pub const FUNCTION_FAILURE: i32 = 0x1400;
    /// Write failure.
    pub const WRITE_FAILURE: i32 = 0x1500;
    /// CDC write failure (v5).
    pub const CDC_WRITE_FAILURE: i32 = 0x1600;
    /// CAS write unknown (v5).
    pub const CAS_WRITE_UNKNOWN: i32 = 0x1700;
    /// Syntax error.
    pub const SYNTAX_ERROR: i32 = 0x2000;
    /// Unauthorized.
    pub const UNAUTHORIZED: i32 = 0x2100;
    /// Invalid.
    pub const INVALID: i32 = 0x2200;
    /// Config error.
    pub const CONFIG_ERROR: i32 = 0x2300;
    /// Already exists.
    pub const ALREADY_EXISTS: i32 = 0x2400;
    /// Unprepared.
    pub const UNPREPARED: i32 = 0x2500;
}

/// The type of a write that timed out or failed. Drivers map these strings to
/// enums and fail on unknown ones, so there is no catch-all variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteType {
    /// `SIMPLE`.
    Simple,
    /// `BATCH`.
    Batch,
    /// `UNLOGGED_BATCH`.
    UnloggedBatch,
    /// `COUNTER`.
    Counter,
    /// `BATCH_LOG`.
    BatchLog,
    /// `CAS`.
    Cas,
    /// `VIEW`.
    View,
    /// `CDC`.
    Cdc,
}

impl WriteType {
    /// Every write type.
    pub const ALL: [WriteType; 8] = [
        WriteType::Simple,
        WriteType::Batch,
        WriteType::UnloggedBatch,
        WriteType::Counter,
        WriteType::BatchLog,
        WriteType::Cas,
        WriteType::View,
        WriteType::Cdc,
    ];

    /// The wire string.
    pub fn name(self) -> &'static str {
        match self {
            WriteType::Simple => "SIMPLE",
            WriteType::Batch => "BATCH",
            WriteType::UnloggedBatch => "UNLOGGED_BATCH",
            WriteType::Counter => "COUNTER",
            WriteType::BatchLog => "BATCH_LOG",
            WriteType::Cas => "CAS",
            WriteType::View => "VIEW",
            WriteType::Cdc => "CDC",
        }
    }

    /// The type for a wire string.
    ///
    /// # Errors
    /// [`ProtocolError::UnknownName`].
    pub fn from_name(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| ProtocolError::UnknownName {
                what: "write type",
                value: s.into(),
            })
    }
}

/// Replica failures in Read_failure / Write_failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failures {
    /// v3/v4: just how many replicas failed.
    Count(i32),
    /// v5: each failed replica and its reason code. Encoded as its length in v3/v4.
    ReasonMap(Vec<(IpAddr, u16)>),
}

/// The code-specific part of an ERROR.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 0x0000.
    Server,
    /// 0x000A.
    Protocol,
    /// 0x0100.
    AuthenticationError,
    /// 0x1000.
    Unavailable {
        /// Requested level.
        consistency: Consistency,
        /// Replicas needed.
        required: i32,
        /// Replicas alive.
        alive: i32,
    },
    /// 0x1001.
    Overloaded,
    /// 0x1002.
    IsBootstrapping,
    /// 0x1003.
    Truncate,
    /// 0x1100.
    WriteTimeout {
        /// Requested level.
        consistency: Consistency,
        /// Acknowledgements received.
        received: i32,
        /// Acknowledgements required.
        block_for: i32,
        /// What kind of write.
        write_type: WriteType,
        /// Paxos contentions; on the wire only for CAS in v5 (0 when absent there).
        contentions: Option<u16>,
    },
    /// 0x1200.
    ReadTimeout {
        /// Requested level.
        consistency: Consistency,
        /// Responses received.
        received: i32,
        /// Responses required.
        block_for: i32,
        /// Whether the data replica answered.
        data_present: bool,
    },
    /// 0x1300.
    ReadFailure {
        /// Requested level.
        consistency: Consistency,
        /// Responses received.
        received: i32,
        /// Responses required.
        block_for: i32,
        /// The failed replicas.
        failures: Failures,
        /// Whether the data replica answered.
        data_present: bool,
    },
    /// 0x1400.
    FunctionFailure {
        /// Keyspace of the function.
        keyspace: String,
        /// Function name.
        function: String,
        /// CQL types of its arguments.
        arg_types: Vec<String>,
    },
    /// 0x1500.
    WriteFailure {
        /// Requested level.
        consistency: Consistency,
        /// Acknowledgements received.
        received: i32,
        /// Acknowledgements required.
        block_for: i32,
        /// The failed replicas.
        failures: Failures,
        /// What kind of write.
        write_type: WriteType,
    },
    /// 0x1600 (v5).
    CdcWriteFailure,
    /// 0x1700 (v5).
    CasWriteUnknown {
        /// Requested level.
        consistency: Consistency,
        /// Acknowledgements received.
        received: i32,
        /// Acknowledgements required.
        block_for: i32,
    },
    /// 0x2000.
    Syntax,
    /// 0x2100.
    Unauthorized,
    /// 0x2200.
    Invalid,
    /// 0x2300.
    Config,
    /// 0x2400: `table` is empty for a keyspace.
    AlreadyExists {
        /// Keyspace.
        keyspace: String,
        /// Table, or empty.
        table: String,
    },
    /// 0x2500.
    Unprepared {
        /// The unknown prepared id.
        id: Bytes,
    },
    /// A code this crate does not know; the body after the message is dropped.
    Other(i32),
}

/// An ERROR response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// Code and extra fields.
    pub kind: ErrorKind,
    /// Human-readable message.
    pub message: String,
}

impl ErrorKind {
    /// The wire code.
    pub fn code(&self) -> i32 {
        use code::*;
        match self {
            ErrorKind::Server => SERVER_ERROR,
            ErrorKind::Protocol => PROTOCOL_ERROR,
            ErrorKind::AuthenticationError => AUTHENTICATION_ERROR,
            ErrorKind::Unavailable { .. } => UNAVAILABLE,
            ErrorKind::Overloaded => OVERLOADED,
            ErrorKind::IsBootstrapping => IS_BOOTSTRAPPING,
            ErrorKind::Truncate => TRUNCATE_ERROR,
            ErrorKind::WriteTimeout { .. } => WRITE_TIMEOUT,
            ErrorKind::ReadTimeout { .. } => READ_TIMEOUT,
            ErrorKind::ReadFailure { .. } => READ_FAILURE,
            ErrorKind::FunctionFailure { .. } => FUNCTION_FAILURE,
            ErrorKind::WriteFailure { .. } => WRITE_FAILURE,
            ErrorKind::CdcWriteFailure => CDC_WRITE_FAILURE,
            ErrorKind::CasWriteUnknown { .. } => CAS_WRITE_UNKNOWN,
            ErrorKind::Syntax => SYNTAX_ERROR,
            ErrorKind::Unauthorized => UNAUTHORIZED,
            ErrorKind::Invalid => INVALID,
            ErrorKind::Config => CONFIG_ERROR,
            ErrorKind::AlreadyExists { .. } => ALREADY_EXISTS,
            ErrorKind::Unprepared { .. } => UNPREPARED,
            ErrorKind::Other(c) => *c,
        }
    }
}

fn put_counts(buf: &mut BytesMut, c: Consistency, received: i32, block_for: i32) {
    types::put_consistency(buf, c);
    types::put_int(buf, received);
    types::put_int(buf, block_for);
}

fn put_failures(buf: &mut BytesMut, f: &Failures, version: ProtocolVersion) -> Result<()> {
    match (f, version >= ProtocolVersion::V5) {
        (Failures::Count(n), false) => types::put_int(buf, *n),
        (Failures::ReasonMap(m), false) => types::put_int_count(buf, m.len(), "failures")?,
        (Failures::ReasonMap(m), true) => {
            types::put_int_count(buf, m.len(), "reason map")?;
            for (ip, reason) in m {
                types::put_inetaddr(buf, ip);
                types::put_short(buf, *reason);
            }
        }
        (Failures::Count(_), true) => {
            return Err(ProtocolError::Invalid(
                "v5 failures need a reason map".into(),
            ));
        }
    }
    Ok(())
}

fn read_failures(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Failures> {
    if version < ProtocolVersion::V5 {
        return Ok(Failures::Count(r.read_int("numfailures")?));
    }
    let n = r.read_int("reason map")?;
    let n = r.check_count(i64::from(n), 7, "reason map")?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let ip = r.read_inetaddr("reason endpoint")?;
        out.push((ip, r.read_short("reason code")?));
    }
    Ok(Failures::ReasonMap(out))
}

impl ErrorResponse {
    /// The ERROR a server sends for a frame it could not decode: code 0x000A
    /// (Protocol error) with the decoder's message, as Cassandra answers a
    /// `ProtocolException`.
    pub fn protocol_error(err: &ProtocolError) -> Self {
        ErrorResponse {
            kind: ErrorKind::Protocol,
            message: err.to_string(),
        }
    }

    /// Appends the body.
    ///
    /// # Errors
    /// Over-long strings, or a failure count where v5 needs a reason map.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        types::put_int(buf, self.kind.code());
        types::put_string(buf, &self.message, "error message")?;
        encode_replica_kind(&self.kind, version, buf)?;
        match &self.kind {
            ErrorKind::FunctionFailure {
                keyspace,
                function,
                arg_types,
            } => {
                types::put_string(buf, keyspace, "keyspace")?;
                types::put_string(buf, function, "function")?;
                types::put_string_list(buf, arg_types, "arg types")?;
            }
            ErrorKind::AlreadyExists { keyspace, table } => {
                types::put_string(buf, keyspace, "keyspace")?;
                types::put_string(buf, table, "table")?;
            }
            ErrorKind::Unprepared { id } => types::put_short_bytes(buf, id, "prepared id")?,
            _ => {}
        }
        Ok(())
    }

    /// Reads the body.
    ///
    /// # Errors
    /// Truncated or malformed input.
    pub fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self> {
        let code = r.read_int("error code")?;
        let message = r.read_string("error message")?.to_owned();
        let kind = decode_kind(code, r, version)?;
        Ok(ErrorResponse { kind, message })
    }
}

/// Writes the extra fields of the replica-count errors (0x1000, 0x11xx..0x17xx).
fn encode_replica_kind(
    kind: &ErrorKind,
    version: ProtocolVersion,
    buf: &mut BytesMut,
) -> Result<()> {
    match kind {
        ErrorKind::Unavailable {
            consistency,
            required,
            alive,
        } => {
            put_counts(buf, *consistency, *required, *alive);
        }
        ErrorKind::WriteTimeout {
            consistency,
            received,
            block_for,
            write_type,
            contentions,
        } => {
            put_counts(buf, *consistency, *received, *block_for);
            types::put_string(buf, write_type.name(), "write type")?;
            if version >= ProtocolVersion::V5 && *write_type == WriteType::Cas {
                types::put_short(buf, contentions.unwrap_or(0));
            }
        }
        ErrorKind::ReadTimeout {
            consistency,
            received,
            block_for,
            data_present,
        } => {
            put_counts(buf, *consistency, *received, *block_for);
            buf.put_u8(u8::from(*data_present));
        }
        ErrorKind::ReadFailure {
            consistency,
            received,
            block_for,
            failures,
            data_present,
        } => {
            put_counts(buf, *consistency, *received, *block_for);
            put_failures(buf, failures, version)?;
            buf.put_u8(u8::from(*data_present));
        }
        ErrorKind::WriteFailure {
            consistency,
            received,
            block_for,
            failures,
            write_type,
        } => {
            put_counts(buf, *consistency, *received, *block_for);
            put_failures(buf, failures, version)?;
            types::put_string(buf, write_type.name(), "write type")?;
        }
        ErrorKind::CasWriteUnknown {
            consistency,
            received,
            block_for,
        } => {
            put_counts(buf, *consistency, *received, *block_for);
        }
        _ => {}
    }
    Ok(())
}

/// Reads the extra fields of the replica-count errors; `None` for other codes.
fn decode_replica_kind(
    code: i32,
    r: &mut Reader<'_>,
    version: ProtocolVersion,
) -> Result<Option<ErrorKind>> {
    use code::*;
    let counts = |r: &mut Reader<'_>| -> Result<(Consistency, i32, i32)> {
        Ok((
            r.read_consistency("consistency")?,
            r.read_int("received")?,
            r.read_int("block for")?,
        ))
    };
    Ok(Some(match code {
        UNAVAILABLE => {
            let (consistency, required, alive) = counts(r)?;
            ErrorKind::Unavailable {
                consistency,
                required,
                alive,
            }
        }
        WRITE_TIMEOUT => {
            let (consistency, received, block_for) = counts(r)?;
            decode_write_timeout(r, version, consistency, received, block_for)?
        }
        READ_TIMEOUT => {
            let (consistency, received, block_for) = counts(r)?;
            let data_present = r.read_u8("data present")? != 0;
            ErrorKind::ReadTimeout {
                consistency,
                received,
                block_for,
                data_present,
            }
        }
        READ_FAILURE => {
            let (consistency, received, block_for) = counts(r)?;
            let failures = read_failures(r, version)?;
            let data_present = r.read_u8("data present")? != 0;
            ErrorKind::ReadFailure {
                consistency,
                received,
                block_for,
                failures,
                data_present,
            }
        }
        WRITE_FAILURE => {
            let (consistency, received, block_for) = counts(r)?;
            let failures = read_failures(r, version)?;
            let write_type = WriteType::from_name(r.read_string("write type")?)?;
            ErrorKind::WriteFailure {
                consistency,
                received,
                block_for,
                failures,
                write_type,
            }
        }
        CAS_WRITE_UNKNOWN => {
            let (consistency, received, block_for) = counts(r)?;
            ErrorKind::CasWriteUnknown {
                consistency,
                received,
                block_for,
            }
        }
        _ => return Ok(None),
    }))
}

fn decode_kind(code: i32, r: &mut Reader<'_>, version: ProtocolVersion) -> Result<ErrorKind> {
    use code::*;
    if let Some(kind) = decode_replica_kind(code, r, version)? {
        return Ok(kind);
    }
    Ok(match code {
        SERVER_ERROR => ErrorKind::Server,
        PROTOCOL_ERROR => ErrorKind::Protocol,
        AUTHENTICATION_ERROR => ErrorKind::AuthenticationError,
        OVERLOADED => ErrorKind::Overloaded,
        IS_BOOTSTRAPPING => ErrorKind::IsBootstrapping,
        TRUNCATE_ERROR => ErrorKind::Truncate,
        FUNCTION_FAILURE => ErrorKind::FunctionFailure {
            keyspace: r.read_string("keyspace")?.to_owned(),
            function: r.read_string("function")?.to_owned(),
            arg_types: r.read_string_list("arg types")?,
        },
        CDC_WRITE_FAILURE => ErrorKind::CdcWriteFailure,
        SYNTAX_ERROR => ErrorKind::Syntax,
        UNAUTHORIZED => ErrorKind::Unauthorized,
        INVALID => ErrorKind::Invalid,
        CONFIG_ERROR => ErrorKind::Config,
        ALREADY_EXISTS => ErrorKind::AlreadyExists {
            keyspace: r.read_string("keyspace")?.to_owned(),
            table: r.read_string("table")?.to_owned(),
        },
        UNPREPARED => ErrorKind::Unprepared {
            id: r.read_short_bytes("prepared id")?,
        },
        other => ErrorKind::Other(other),
    })
}

fn decode_write_timeout(
    r: &mut Reader<'_>,
    version: ProtocolVersion,
    consistency: Consistency,
    received: i32,
    block_for: i32,
) -> Result<ErrorKind> {
    let write_type = WriteType::from_name(r.read_string("write type")?)?;
    let contentions = if version >= ProtocolVersion::V5 && write_type == WriteType::Cas {
        Some(r.read_short("contentions")?)
    } else {
        None
    };
    Ok(ErrorKind::WriteTimeout {
        consistency,
        received,
        block_for,
        write_type,
        contentions,
    })
}
