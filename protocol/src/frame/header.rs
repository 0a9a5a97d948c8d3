//! The 9-byte frame header of protocol v3, v4 and v5 (spec §2):
//! `version(1) flags(1) stream(2, signed) opcode(1) length(4)`, big-endian.
//!
//! The version byte's high bit is the direction (0 request, 1 response).
//! Decoding validates the version, the opcode and the body length against the
//! configured maximum before anyone allocates a body buffer.

use bytes::{BufMut, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::limits::FRAME_HEADER_BYTES;

/// A protocol version this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ProtocolVersion {
    /// Protocol v3 (Cassandra 2.1).
    V3 = 3,
    /// Protocol v4 (Cassandra 2.2 to 5.0): what every driver speaks.
    V4 = 4,
    /// Protocol v5 (Cassandra 4.0+): segment framing after STARTUP.
    V5 = 5,
}

impl ProtocolVersion {
    /// Every supported version, lowest first.
    pub const ALL: [ProtocolVersion; 3] = [
        ProtocolVersion::V3,
        ProtocolVersion::V4,
        ProtocolVersion::V5,
    ];

    /// The version for a number (direction bit already removed).
    ///
    /// # Errors
    /// [`ProtocolError::UnsupportedVersion`] for anything but 3, 4 and 5.
    pub fn from_number(n: u8) -> Result<Self> {
        match n {
            3 => Ok(ProtocolVersion::V3),
            4 => Ok(ProtocolVersion::V4),
            5 => Ok(ProtocolVersion::V5),
            version => Err(ProtocolError::UnsupportedVersion { version }),
        }
    }

    /// The version number.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// How Cassandra names it in SUPPORTED and in errors: `4/v4`.
    pub fn label(self) -> String {
        format!("{0}/v{0}", self.number())
    }
}

/// Who sent a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server (version byte high bit 0).
    Request,
    /// Server to client (version byte high bit 1).
    Response,
}

/// The header flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FrameFlags(pub u8);

impl FrameFlags {
    /// 0x01: the body is compressed (v3/v4 only; v5 compresses segments).
    pub const COMPRESSION: u8 = 0x01;
    /// 0x02: tracing requested (request) / tracing id present (response).
    pub const TRACING: u8 = 0x02;
    /// 0x04: a `[bytes map]` custom payload is present.
    pub const CUSTOM_PAYLOAD: u8 = 0x04;
    /// 0x08: a `[string list]` of warnings is present (responses, v4+).
    pub const WARNING: u8 = 0x08;
    /// 0x10: the client opts in to a beta protocol version.
    pub const USE_BETA: u8 = 0x10;

    /// True when every bit of `flag` is set.
    pub fn contains(self, flag: u8) -> bool {
        self.0 & flag == flag
    }

    /// Sets or clears `flag`.
    pub fn set(&mut self, flag: u8, on: bool) {
        if on {
            self.0 |= flag;
        } else {
            self.0 &= !flag;
        }
    }
}

/// A message type (spec §2.4), with its wire value as discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Opcode {
    /// ERROR (response).
    Error = 0x00,
    /// STARTUP (request).
    Startup = 0x01,
    /// READY (response).
    Ready = 0x02,
    /// AUTHENTICATE (response).
    Authenticate = 0x03,
    /// OPTIONS (request).
    Options = 0x05,
    /// SUPPORTED (response).
    Supported = 0x06,
    /// QUERY (request).
    Query = 0x07,
    /// RESULT (response).
    Result = 0x08,
    /// PREPARE (request).
    Prepare = 0x09,
    /// EXECUTE (request).
    Execute = 0x0A,
    /// REGISTER (request).
    Register = 0x0B,
    /// EVENT (response).
    Event = 0x0C,
    /// BATCH (request).
    Batch = 0x0D,
    /// AUTH_CHALLENGE (response).
    AuthChallenge = 0x0E,
    /// AUTH_RESPONSE (request).
    AuthResponse = 0x0F,
    /// AUTH_SUCCESS (response).
    AuthSuccess = 0x10,
}

impl Opcode {
    /// The opcode for a byte.
    ///
    /// # Errors
    /// [`ProtocolError::UnknownOpcode`].
    pub fn from_byte(b: u8) -> Result<Self> {
        Ok(match b {
            0x00 => Opcode::Error,
            0x01 => Opcode::Startup,
            0x02 => Opcode::Ready,
            0x03 => Opcode::Authenticate,
            0x05 => Opcode::Options,
            0x06 => Opcode::Supported,
            0x07 => Opcode::Query,
            0x08 => Opcode::Result,
            0x09 => Opcode::Prepare,
            0x0A => Opcode::Execute,
            0x0B => Opcode::Register,
            0x0C => Opcode::Event,
            0x0D => Opcode::Batch,
            0x0E => Opcode::AuthChallenge,
            0x0F => Opcode::AuthResponse,
            0x10 => Opcode::AuthSuccess,
            other => return Err(ProtocolError::UnknownOpcode(other)),
        })
    }

    /// The direction this message travels in.
    pub fn direction(self) -> Direction {
        match self {
            Opcode::Startup
            | Opcode::Options
            | Opcode::Query
            | Opcode::Prepare
            | Opcode::Execute
            | Opcode::Register
            | Opcode::Batch
            | Opcode::AuthResponse => Direction::Request,
            _ => Direction::Response,
        }
    }
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// Protocol version.
    pub version: ProtocolVersion,
    /// Request or response.
    pub direction: Direction,
    /// Flags byte.
    pub flags: FrameFlags,
    /// Stream id (negative for server-initiated EVENTs).
    pub stream: i16,
    /// Message type.
    pub opcode: Opcode,
    /// Body length in bytes.
    pub body_len: u32,
}

impl FrameHeader {
    /// Appends the 9 header bytes.
    pub fn encode(&self, buf: &mut BytesMut) {
        let dir = match self.direction {
            Direction::Request => 0x00,
            Direction::Response => 0x80,
        };
        buf.put_u8(dir | self.version.number());
        buf.put_u8(self.flags.0);
        buf.put_i16(self.stream);
        buf.put_u8(self.opcode as u8);
        buf.put_u32(self.body_len);
    }

    /// Parses a header from the start of `src`; `Ok(None)` when fewer than 9
    /// bytes are available (need more input).
    ///
    /// # Errors
    /// Unsupported version, unknown opcode, an opcode travelling the wrong way,
    /// or a body longer than `body_bytes_max`.
    pub fn decode(src: &[u8], body_bytes_max: u32) -> Result<Option<Self>> {
        let Some(bytes) = src.get(..FRAME_HEADER_BYTES) else {
            return Ok(None);
        };
        let mut h = [0u8; FRAME_HEADER_BYTES];
        h.copy_from_slice(bytes);
        let direction = if h[0] & 0x80 == 0 {
            Direction::Request
        } else {
            Direction::Response
        };
        let version = ProtocolVersion::from_number(h[0] & 0x7F)?;
        let opcode = Opcode::from_byte(h[4])?;
        if opcode.direction() != direction {
            return Err(ProtocolError::UnexpectedOpcode { opcode });
        }
        let body_len = u32::from_be_bytes([h[5], h[6], h[7], h[8]]);
        if body_len > body_bytes_max {
            return Err(ProtocolError::FrameTooLarge {
                length: u64::from(body_len),
                max: u64::from(body_bytes_max),
            });
        }
        Ok(Some(FrameHeader {
            version,
            direction,
            flags: FrameFlags(h[1]),
            stream: i16::from_be_bytes([h[2], h[3]]),
            opcode,
            body_len,
        }))
    }
}
