//! Server-to-client messages (spec §4.2): the [`Response`] enum, one variant per
//! response opcode, with body encode (our server) and decode (our client).
//!
//! - [`error`] holds ERROR codes and their bodies.
//! - [`result`] holds RESULT kinds, [`metadata`] column specs, [`type_option`] and
//!   [`type_class`] the `[option]` type codec.
//! - [`event`] holds EVENT and the schema change description.

pub mod error;
pub mod event;
pub mod metadata;
pub mod result;
pub mod type_class;
pub mod type_option;

use bytes::{Bytes, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::frame::{Opcode, ProtocolVersion};
use crate::types::{self, Reader, StringMultimap};

pub use error::{ErrorKind, ErrorResponse, Failures, WriteType};
pub use event::{
    Event, SchemaChange, SchemaChangeTarget, SchemaChangeType, StatusChange, TopologyChange,
};
pub use metadata::{ColumnSpec, PreparedMetadata, RowsMetadata};
pub use result::{Prepared, ResultBody, Rows};

/// A response message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// ERROR.
    Error(ErrorResponse),
    /// READY: empty body.
    Ready,
    /// AUTHENTICATE: the authenticator's Java class name.
    Authenticate(String),
    /// SUPPORTED: `[string multimap]` (must hold `CQL_VERSION` and `COMPRESSION`).
    Supported(StringMultimap),
    /// RESULT.
    Result(ResultBody),
    /// EVENT.
    Event(Event),
    /// AUTH_CHALLENGE: a SASL token.
    AuthChallenge(Option<Bytes>),
    /// AUTH_SUCCESS: final SASL token (null or empty is best: drivers decode it as text).
    AuthSuccess(Option<Bytes>),
}

/// The SUPPORTED options a server should send (COMPAT §1.2): `CQL_VERSION`,
/// `COMPRESSION` (present even when empty: the Python driver indexes it) and
/// `PROTOCOL_VERSIONS` as Cassandra spells them (`4/v4`).
pub fn supported_options(
    cql_version: &str,
    compressions: &[crate::compression::Compression],
    versions: &[ProtocolVersion],
) -> StringMultimap {
    let mut options = StringMultimap::new();
    options.insert("CQL_VERSION".into(), vec![cql_version.to_owned()]);
    options.insert(
        "COMPRESSION".into(),
        compressions.iter().map(|c| c.name().to_owned()).collect(),
    );
    options.insert(
        "PROTOCOL_VERSIONS".into(),
        versions.iter().map(|v| v.label()).collect(),
    );
    options
}

impl Response {
    /// The opcode of this response.
    pub fn opcode(&self) -> Opcode {
        match self {
            Response::Error(_) => Opcode::Error,
            Response::Ready => Opcode::Ready,
            Response::Authenticate(_) => Opcode::Authenticate,
            Response::Supported(_) => Opcode::Supported,
            Response::Result(_) => Opcode::Result,
            Response::Event(_) => Opcode::Event,
            Response::AuthChallenge(_) => Opcode::AuthChallenge,
            Response::AuthSuccess(_) => Opcode::AuthSuccess,
        }
    }

    /// Appends the body for `version`.
    ///
    /// # Errors
    /// A field the version cannot carry, or one too long for its prefix.
    pub fn encode_body(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        match self {
            Response::Error(e) => e.encode(version, buf),
            Response::Ready => Ok(()),
            Response::Authenticate(class) => types::put_string(buf, class, "authenticator"),
            Response::Supported(options) => types::put_string_multimap(buf, options, "supported"),
            Response::Result(r) => r.encode(version, buf),
            Response::Event(e) => e.encode(buf),
            Response::AuthChallenge(t) | Response::AuthSuccess(t) => {
                types::put_bytes(buf, t.as_deref(), "auth token")
            }
        }
    }

    /// Reads a body of the given opcode.
    ///
    /// # Errors
    /// [`ProtocolError::UnexpectedOpcode`] for a request opcode, or malformed input.
    pub fn decode_body(
        opcode: Opcode,
        version: ProtocolVersion,
        r: &mut Reader<'_>,
    ) -> Result<Self> {
        Ok(match opcode {
            Opcode::Error => Response::Error(ErrorResponse::decode(r, version)?),
            Opcode::Ready => Response::Ready,
            Opcode::Authenticate => {
                Response::Authenticate(r.read_string("authenticator")?.to_owned())
            }
            Opcode::Supported => Response::Supported(r.read_string_multimap("supported")?),
            Opcode::Result => Response::Result(ResultBody::decode(r, version)?),
            Opcode::Event => Response::Event(Event::decode(r)?),
            Opcode::AuthChallenge => Response::AuthChallenge(r.read_bytes_owned("auth token")?),
            Opcode::AuthSuccess => Response::AuthSuccess(r.read_bytes_owned("auth token")?),
            other => return Err(ProtocolError::UnexpectedOpcode { opcode: other }),
        })
    }
}
