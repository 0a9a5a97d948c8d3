//! The engine's error type: one `#[non_exhaustive]` enum that every module
//! returns, with structured context (which file, which offset, what failed)
//! so that an operator can act on a single log line (DESIGN §7, STYLE §5-6).
//!
//! Invariant: corruption is never reported as a generic I/O error; it always
//! names the file and the byte offset of the failed check.

use std::path::{Path, PathBuf};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong inside the storage engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system I/O call failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory the call was about.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A persisted structure failed a structural check (bad magic, impossible
    /// length, record in the middle of a log that does not parse, ...).
    #[error("corruption in {} at offset {offset}: {what}", file.display())]
    Corruption {
        /// The damaged file.
        file: PathBuf,
        /// Byte offset of the damaged unit inside `file`.
        offset: u64,
        /// What was wrong.
        what: String,
    },
    /// A persisted unit's checksum does not match its bytes.
    #[error(
        "checksum mismatch in {} at offset {offset}: expected {expected:#010x}, got {got:#010x}",
        file.display()
    )]
    ChecksumMismatch {
        /// The damaged file.
        file: PathBuf,
        /// Byte offset of the unit whose checksum failed.
        offset: u64,
        /// The checksum stored with the unit.
        expected: u32,
        /// The checksum computed over the bytes read.
        got: u32,
    },
    /// Bytes that came from outside (disk, network) do not decode.
    #[error("decode error: {0}")]
    Decode(#[from] DecodeError),
    /// The engine, table or log has been closed.
    #[error("the storage engine is closed")]
    Closed,
    /// A caller passed an argument the engine cannot accept.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A size limit was exceeded.
    #[error("{what} is {got} bytes, more than the limit of {max}")]
    LimitExceeded {
        /// What was too large.
        what: &'static str,
        /// The offending size.
        got: u64,
        /// The configured maximum.
        max: u64,
    },
    /// A file that must exist does not.
    #[error("not found: {}", path.display())]
    NotFound {
        /// The missing path.
        path: PathBuf,
    },
}

impl Error {
    /// Wraps an `std::io::Error` with the path it concerns.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// Builds a [`Error::Corruption`].
    pub fn corruption(file: impl AsRef<Path>, offset: u64, what: impl Into<String>) -> Self {
        Self::Corruption {
            file: file.as_ref().to_path_buf(),
            offset,
            what: what.into(),
        }
    }

    /// True for the errors that mean "the bytes on disk are damaged".
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            Self::Corruption { .. } | Self::ChecksumMismatch { .. } | Self::Decode(_)
        )
    }
}

/// Why a byte string failed to decode. Offsets are relative to the start of
/// the buffer handed to the decoder; callers that know the file add context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before `what` was complete.
    #[error("truncated input: {what} needs more bytes at offset {offset}")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Where the field starts.
        offset: usize,
    },
    /// The format version byte is not one this build understands.
    #[error("unsupported {what} version {got}")]
    UnsupportedVersion {
        /// The versioned structure.
        what: &'static str,
        /// The version found.
        got: u8,
    },
    /// A tag/discriminant byte has no meaning.
    #[error("invalid {what} tag {tag:#04x} at offset {offset}")]
    BadTag {
        /// The enum being decoded.
        what: &'static str,
        /// The tag found.
        tag: u8,
        /// Where the tag is.
        offset: usize,
    },
    /// A length or count is larger than the limit or the remaining input.
    #[error("{what} of {len} exceeds the limit {max}")]
    TooLarge {
        /// The field.
        what: &'static str,
        /// The declared length or count.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// The decoded value breaks an invariant (ordering, uniqueness, ...).
    #[error("invalid {what} at offset {offset}")]
    Invalid {
        /// What invariant failed.
        what: &'static str,
        /// Where it was detected.
        offset: usize,
    },
    /// Bytes were left over after a complete value.
    #[error("{count} trailing bytes after a complete value")]
    TrailingBytes {
        /// How many bytes remained.
        count: usize,
    },
}
