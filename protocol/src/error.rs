//! [`ProtocolError`]: every way bytes from the wire (or a message we are asked to
//! encode) can be wrong. Decoders return it as a value; nothing here panics.

use crate::frame::{Opcode, ProtocolVersion};

/// A malformed, oversized or unsupported frame, segment or message body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The input ended inside a field.
    #[error("truncated {what}: need {needed} bytes, {available} available")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// A frame body longer than the configured maximum.
    #[error("frame body of {length} bytes exceeds the maximum of {max} bytes")]
    FrameTooLarge {
        /// Declared body length.
        length: u64,
        /// The limit.
        max: u64,
    },
    /// A protocol version we do not speak.
    #[error("unsupported protocol version {version}")]
    UnsupportedVersion {
        /// The version number (direction bit removed).
        version: u8,
    },
    /// A beta protocol version used without the USE_BETA flag.
    #[error("beta protocol version {version} used without the USE_BETA flag")]
    BetaFlagUnset {
        /// The version number.
        version: u8,
    },
    /// A request where a response was expected or the reverse.
    #[error("frame direction mismatch: version byte {version_byte:#04x}")]
    WrongDirection {
        /// The raw version byte.
        version_byte: u8,
    },
    /// An opcode byte that names no message.
    #[error("unknown opcode {0:#04x}")]
    UnknownOpcode(u8),
    /// A known opcode in the wrong direction (e.g. RESULT sent by a client).
    #[error("opcode {opcode:?} is not valid in this direction")]
    UnexpectedOpcode {
        /// The opcode.
        opcode: Opcode,
    },
    /// Text that is not UTF-8.
    #[error("invalid UTF-8 in {what}")]
    InvalidUtf8 {
        /// The field.
        what: &'static str,
    },
    /// A length that must not be negative was.
    #[error("negative length {length} for {what}")]
    NegativeLength {
        /// The field.
        what: &'static str,
        /// The length read.
        length: i32,
    },
    /// A `[value]` length below -2.
    #[error("invalid [value] length {0}")]
    InvalidValueLength(i32),
    /// A count over the configured maximum, or impossible for the bytes left.
    #[error("{what}: {count} elements exceeds the maximum of {max}")]
    TooManyElements {
        /// The structure.
        what: &'static str,
        /// Elements declared.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A value too long for its length prefix on encode.
    #[error("{what} of {length} bytes does not fit its length prefix (max {max})")]
    TooLong {
        /// The field.
        what: &'static str,
        /// Its length.
        length: usize,
        /// The prefix's maximum.
        max: usize,
    },
    /// A consistency level code that names no level.
    #[error("unknown consistency level {0:#06x}")]
    UnknownConsistency(u16),
    /// A RESULT kind that names no result.
    #[error("unknown result kind {0}")]
    UnknownResultKind(i32),
    /// A type option id that names no type.
    #[error("unknown type option id {0:#06x}")]
    UnknownTypeId(u16),
    /// Type options nested deeper than the limit.
    #[error("type nesting deeper than {max}")]
    TypeNestingTooDeep {
        /// The limit.
        max: usize,
    },
    /// An address length other than 4 or 16.
    #[error("invalid inet address length {0}")]
    InvalidInetLength(u8),
    /// A port outside 0..=65535.
    #[error("invalid port {0}")]
    InvalidPort(i32),
    /// An enumerated string or byte this protocol does not define.
    #[error("unknown {what}: {value}")]
    UnknownName {
        /// What kind of name.
        what: &'static str,
        /// The value received.
        value: String,
    },
    /// A message field the chosen protocol version cannot carry.
    #[error("{feature} is not supported by protocol {version:?}")]
    NotInVersion {
        /// The field.
        feature: &'static str,
        /// The version.
        version: ProtocolVersion,
    },
    /// A message that breaks a rule of the spec beyond its layout.
    #[error("invalid message: {0}")]
    Invalid(String),
    /// LZ4 data that does not decompress.
    #[error("decompression failed: {0}")]
    Decompression(String),
    /// A v5 segment header whose CRC24 does not match.
    #[error("segment header CRC24 mismatch: received {received:#08x}, computed {computed:#08x}")]
    SegmentHeaderCrc {
        /// CRC in the segment.
        received: u32,
        /// CRC of the bytes.
        computed: u32,
    },
    /// A v5 segment payload whose CRC32 does not match.
    #[error("segment payload CRC32 mismatch: received {received:#010x}, computed {computed:#010x}")]
    SegmentPayloadCrc {
        /// CRC in the segment.
        received: u32,
        /// CRC of the bytes.
        computed: u32,
    },
}

/// Result alias for the wire layer.
pub type Result<T, E = ProtocolError> = std::result::Result<T, E>;
