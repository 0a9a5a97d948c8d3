//! Protocol version negotiation: what the server answers to the first frame of
//! a connection that uses a version it does not speak.
//!
//! Drivers downgrade only on an ERROR frame (never on a closed socket): code
//! 0x000A with the text `Invalid or unsupported protocol version (N); supported
//! versions are (3/v3, 4/v4, 5/v5)` (Cassandra's `ProtocolVersion.invalidVersionMessage`).
//! The Python driver matches `unsupported protocol version`, Node
//! `Invalid or unsupported protocol version`. The reply uses a 9-byte header whose
//! version byte is `0x80 | highest supported`, on the request's stream, and is
//! never wrapped in v5 segments. A beta version used without the USE_BETA flag
//! gets `Beta version of the protocol used (5/v5-beta), but USE_BETA flag is unset`
//! in that same version, which the Python driver also treats as "step down".

use bytes::Bytes;

use crate::frame::header::{FrameFlags, ProtocolVersion};
use crate::frame::message::ResponseFrame;
use crate::response::{ErrorKind, ErrorResponse, Response};

/// Which versions a server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionPolicy {
    /// Accepted versions (any order).
    pub supported: Vec<ProtocolVersion>,
    /// A version accepted only with the USE_BETA flag.
    pub beta: Option<ProtocolVersion>,
}

impl Default for VersionPolicy {
    /// v3 and v4: the safe choice until a server wires v5 segment framing
    /// (COMPAT §8). Use [`VersionPolicy::all`] once it does.
    fn default() -> Self {
        VersionPolicy {
            supported: vec![ProtocolVersion::V3, ProtocolVersion::V4],
            beta: None,
        }
    }
}

/// The verdict on the first bytes of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionCheck {
    /// Fewer than the 5 bytes needed to see version, flags, stream and opcode.
    NeedMoreBytes,
    /// The version is accepted.
    Accept(ProtocolVersion),
    /// Send `reply` (a complete ERROR frame) and keep or close the connection.
    Reject {
        /// The encoded ERROR frame.
        reply: Bytes,
        /// The message it carries.
        message: String,
    },
}

impl VersionPolicy {
    /// v3, v4 and v5, none of them beta.
    pub fn all() -> Self {
        VersionPolicy {
            supported: ProtocolVersion::ALL.to_vec(),
            beta: None,
        }
    }

    fn highest(&self) -> ProtocolVersion {
        self.supported
            .iter()
            .copied()
            .max()
            .unwrap_or(ProtocolVersion::V4)
    }

    /// The `supported versions` list as Cassandra prints it: `3/v3, 4/v4, 5/v5-beta`.
    pub fn supported_list(&self) -> String {
        let mut versions = self.supported.clone();
        versions.sort();
        versions
            .iter()
            .map(|v| {
                if Some(*v) == self.beta {
                    format!("{}-beta", v.label())
                } else {
                    v.label()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Looks at the first bytes of a request frame and decides.
    pub fn check(&self, src: &[u8]) -> VersionCheck {
        let (Some(&version_byte), Some(&flags)) = (src.first(), src.get(1)) else {
            return VersionCheck::NeedMoreBytes;
        };
        let number = version_byte & 0x7F;
        // Versions 1 and 2 have a one-byte stream id; later ones two bytes.
        let stream = if number <= 2 {
            src.get(2).map(|b| i16::from(i8::from_ne_bytes([*b])))
        } else {
            src.get(2..4).map(|s| i16::from_be_bytes([s[0], s[1]]))
        };
        let Some(stream) = stream else {
            return VersionCheck::NeedMoreBytes;
        };
        let accepted = ProtocolVersion::from_number(number)
            .ok()
            .filter(|v| self.supported.contains(v));
        let Some(version) = accepted else {
            let message = format!(
                "Invalid or unsupported protocol version ({number}); supported versions are ({})",
                self.supported_list()
            );
            return self.reject(self.highest(), stream, message);
        };
        if Some(version) == self.beta && flags & FrameFlags::USE_BETA == 0 {
            let message = format!(
                "Beta version of the protocol used ({}-beta), but USE_BETA flag is unset",
                version.label()
            );
            return self.reject(version, stream, message);
        }
        VersionCheck::Accept(version)
    }

    fn reject(&self, version: ProtocolVersion, stream: i16, message: String) -> VersionCheck {
        let frame = ResponseFrame::new(
            version,
            stream,
            Response::Error(ErrorResponse {
                kind: ErrorKind::Protocol,
                message: message.clone(),
            }),
        );
        match frame.to_raw(None) {
            Ok(raw) => VersionCheck::Reject {
                reply: raw.to_bytes(),
                message,
            },
            // A protocol-error body is a code and a short message: it always encodes.
            Err(_) => VersionCheck::Reject {
                reply: Bytes::new(),
                message,
            },
        }
    }
}
