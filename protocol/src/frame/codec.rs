//! [`RawFrame`]: a header plus its (possibly compressed) body, and the
//! incremental decoder that cuts frames out of a `BytesMut` read buffer.
//!
//! Incomplete input is `Ok(None)` ("need more bytes"), never an error. The header
//! (and so the declared length) is validated before any buffer is reserved for
//! the body.

use bytes::{Bytes, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::frame::header::FrameHeader;
use crate::limits::FRAME_HEADER_BYTES;

/// One frame as it travels: header and body bytes, body not yet interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    /// The header; `body_len` equals `body.len()`.
    pub header: FrameHeader,
    /// The body, compressed if the header says so.
    pub body: Bytes,
}

impl RawFrame {
    /// Builds a frame, setting the header's length from the body.
    ///
    /// # Errors
    /// [`ProtocolError::FrameTooLarge`] for a body over `u32::MAX` bytes.
    pub fn new(mut header: FrameHeader, body: Bytes) -> Result<Self> {
        header.body_len = u32::try_from(body.len()).map_err(|_| ProtocolError::FrameTooLarge {
            length: u64::try_from(body.len()).unwrap_or(u64::MAX),
            max: u64::from(u32::MAX),
        })?;
        Ok(RawFrame { header, body })
    }

    /// Appends header and body to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        out.reserve(FRAME_HEADER_BYTES + self.body.len());
        self.header.encode(out);
        out.extend_from_slice(&self.body);
    }

    /// The encoded frame as one buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        out.freeze()
    }

    /// Cuts one complete frame off the front of `src`; `Ok(None)` when `src`
    /// does not yet hold a whole frame (nothing is consumed then).
    ///
    /// # Errors
    /// Any header error from [`FrameHeader::decode`], including a body longer
    /// than `body_bytes_max`.
    pub fn decode(src: &mut BytesMut, body_bytes_max: u32) -> Result<Option<Self>> {
        let Some(header) = FrameHeader::decode(src, body_bytes_max)? else {
            return Ok(None);
        };
        let body_len =
            usize::try_from(header.body_len).map_err(|_| ProtocolError::FrameTooLarge {
                length: u64::from(header.body_len),
                max: u64::from(body_bytes_max),
            })?;
        let total = FRAME_HEADER_BYTES + body_len;
        if src.len() < total {
            // The length passed the limit check above, so reserving is bounded.
            src.reserve(total - src.len());
            return Ok(None);
        }
        let _ = src.split_to(FRAME_HEADER_BYTES);
        let body = src.split_to(body_len).freeze();
        Ok(Some(RawFrame { header, body }))
    }

    /// Like [`RawFrame::decode`] but from a slice: returns the frame and the
    /// number of bytes it used, or `Ok(None)` when incomplete.
    ///
    /// # Errors
    /// As [`RawFrame::decode`].
    pub fn decode_slice(src: &[u8], body_bytes_max: u32) -> Result<Option<(Self, usize)>> {
        let Some(header) = FrameHeader::decode(src, body_bytes_max)? else {
            return Ok(None);
        };
        let body_len =
            usize::try_from(header.body_len).map_err(|_| ProtocolError::FrameTooLarge {
                length: u64::from(header.body_len),
                max: u64::from(body_bytes_max),
            })?;
        let total = FRAME_HEADER_BYTES + body_len;
        let Some(body) = src.get(FRAME_HEADER_BYTES..total) else {
            return Ok(None);
        };
        Ok(Some((
            RawFrame {
                header,
                body: Bytes::copy_from_slice(body),
            },
            total,
        )))
    }
}
