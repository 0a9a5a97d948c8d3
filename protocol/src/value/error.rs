//! [`ValueError`]: everything that can go wrong encoding, decoding, parsing or
//! ordering a CQL value. Every variant names the CQL type involved so a message
//! reaching a client or an operator says what was wrong and where.

use thiserror::Error;

/// Deepest nesting of collections, tuples, UDTs and vectors the codecs accept.
/// Bounds recursion on bytes and text that come from outside.
pub const MAX_NESTING_DEPTH: usize = 32;

/// An error from a CQL value codec, literal parser or clustering encoder.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ValueError {
    /// Serialized bytes that are not a valid value of the type.
    #[error("malformed {ty} value: {what}")]
    Malformed {
        /// The CQL type being decoded.
        ty: String,
        /// What is wrong with the bytes.
        what: String,
    },
    /// A value whose kind does not fit the type it is encoded as.
    #[error("cannot use a {found} value as {ty}")]
    TypeMismatch {
        /// The CQL type expected.
        ty: String,
        /// The kind of value given.
        found: &'static str,
    },
    /// A value the type cannot hold (out of range, too long, wrong version).
    #[error("invalid {ty} value: {what}")]
    Invalid {
        /// The CQL type.
        ty: String,
        /// What is wrong with the value.
        what: String,
    },
    /// Nesting deeper than [`MAX_NESTING_DEPTH`].
    #[error("{ty} nests deeper than {max} levels")]
    TooDeep {
        /// The type at which the limit was hit.
        ty: String,
        /// The limit.
        max: usize,
    },
    /// A CQL literal that does not parse as the type.
    #[error("cannot parse '{input}' as {ty}: {reason}")]
    Parse {
        /// The CQL type.
        ty: String,
        /// The text given (truncated to 100 characters).
        input: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A type that cannot be part of a clustering key (duration, counter, ...).
    #[error("{ty} cannot be used in a clustering key")]
    NotClusterable {
        /// The CQL type.
        ty: String,
    },
}

impl ValueError {
    /// A [`ValueError::Malformed`] for type `ty`.
    pub(crate) fn malformed(ty: &impl ToString, what: impl Into<String>) -> Self {
        ValueError::Malformed {
            ty: ty.to_string(),
            what: what.into(),
        }
    }

    /// A [`ValueError::Invalid`] for type `ty`.
    pub(crate) fn invalid(ty: &impl ToString, what: impl Into<String>) -> Self {
        ValueError::Invalid {
            ty: ty.to_string(),
            what: what.into(),
        }
    }

    /// A [`ValueError::Parse`] for type `ty`; the input is cut to 100 characters.
    pub(crate) fn parse(ty: &impl ToString, input: &str, reason: impl Into<String>) -> Self {
        let input: String = input.chars().take(100).collect();
        ValueError::Parse {
            ty: ty.to_string(),
            input,
            reason: reason.into(),
        }
    }
}
