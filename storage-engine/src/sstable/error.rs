//! `SsTableError`: every way reading or writing an SSTable can fail.
//!
//! Corruption always names the file, the byte offset and the failed check, so an
//! operator can find the damage and the engine can quarantine the table (DESIGN §5).
//! The lead bridges this enum into the crate-wide `Error`.

use std::path::PathBuf;

/// An SSTable operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SsTableError {
    /// The operating system refused an I/O operation on `file`.
    #[error("I/O error on {}: {source}", file.display())]
    Io {
        /// The file being read, written, renamed or synced.
        file: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Bytes in `file` at `offset` do not decode as the format says.
    #[error("corrupt sstable file {} at offset {offset}: {what}", file.display())]
    Corruption {
        /// The damaged component file.
        file: PathBuf,
        /// Byte offset in that file where the bad unit starts.
        offset: u64,
        /// What check failed.
        what: String,
    },
    /// A checksummed unit in `file` at `offset` does not match its checksum.
    #[error(
        "checksum mismatch in {} at offset {offset}: expected {expected:#010x}, got {got:#010x}",
        file.display()
    )]
    ChecksumMismatch {
        /// The damaged component file.
        file: PathBuf,
        /// Byte offset of the checksummed unit.
        offset: u64,
        /// The checksum stored in the file.
        expected: u32,
        /// The checksum computed over the bytes read.
        got: u32,
    },
    /// The writer was given partitions out of `(token, key)` order or a value over a limit.
    #[error("invalid sstable input: {0}")]
    InvalidInput(String),
    /// An error from the file-system seam or another engine layer.
    #[error(transparent)]
    Engine(Box<crate::Error>),
}

impl From<crate::Error> for SsTableError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Io { path, source } => Self::Io { file: path, source },
            crate::Error::Corruption { file, offset, what } => {
                Self::Corruption { file, offset, what }
            }
            crate::Error::ChecksumMismatch {
                file,
                offset,
                expected,
                got,
            } => Self::ChecksumMismatch {
                file,
                offset,
                expected,
                got,
            },
            other => Self::Engine(Box::new(other)),
        }
    }
}

impl From<SsTableError> for crate::Error {
    fn from(e: SsTableError) -> Self {
        match e {
            SsTableError::Io { file, source } => crate::Error::Io { path: file, source },
            SsTableError::Corruption { file, offset, what } => {
                crate::Error::Corruption { file, offset, what }
            }
            SsTableError::ChecksumMismatch {
                file,
                offset,
                expected,
                got,
            } => crate::Error::ChecksumMismatch {
                file,
                offset,
                expected,
                got,
            },
            SsTableError::InvalidInput(what) => crate::Error::InvalidArgument(what),
            SsTableError::Engine(inner) => *inner,
        }
    }
}

impl SsTableError {
    /// An I/O error on `file`.
    pub fn io(file: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            file: file.into(),
            source,
        }
    }

    /// A corruption error on `file` at `offset`.
    pub fn corruption(file: impl Into<PathBuf>, offset: u64, what: impl Into<String>) -> Self {
        Self::Corruption {
            file: file.into(),
            offset,
            what: what.into(),
        }
    }

    /// True when the error says the file's bytes are bad (the table should be quarantined).
    #[must_use]
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            Self::Corruption { .. } | Self::ChecksumMismatch { .. }
        )
    }
}

/// Result alias for SSTable operations.
pub type Result<T, E = SsTableError> = std::result::Result<T, E>;
