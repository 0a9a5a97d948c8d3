//! v5 segment framing (spec v5 §2): once the server has answered STARTUP with
//! READY or AUTHENTICATE, every later frame in both directions travels inside
//! segments (so a SASL exchange is already segmented; the Python driver switches
//! at exactly that point).
//!
//! A segment is a header (3 bytes uncompressed, 5 bytes with compression),
//! a CRC24 of that header (3 bytes), the payload and a CRC32 of the payload
//! (4 bytes), all little-endian. Uncompressed header bits: payload length (17),
//! self-contained (1). Compressed: compressed length (17), uncompressed length
//! (17, 0 = stored uncompressed), self-contained (1). Payloads are at most
//! 128 KiB - 1. A self-contained segment holds one or more whole frames; a frame
//! too large for one segment is cut into non-self-contained segments that hold
//! nothing else. Both CRCs are checked before anything else is trusted.

pub mod crc;

use bytes::{BufMut, Bytes, BytesMut};

use crate::compression::{self, Compression};
use crate::error::{ProtocolError, Result};
use crate::frame::RawFrame;
use crate::limits::{FRAME_HEADER_BYTES, SEGMENT_PAYLOAD_BYTES_MAX};

const CRC24_BYTES: usize = 3;
const CRC32_BYTES: usize = 4;
const PAYLOAD_MASK: u64 = (1 << 17) - 1;

/// One decoded segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The (decompressed) payload.
    pub payload: Bytes,
    /// True when the payload is one or more whole frames.
    pub self_contained: bool,
}

/// Encodes and decodes segments for one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SegmentCodec {
    /// LZ4 per segment when negotiated in STARTUP.
    pub compression: Option<Compression>,
}

impl SegmentCodec {
    /// A codec with or without compression.
    pub fn new(compression: Option<Compression>) -> Self {
        SegmentCodec { compression }
    }

    fn header_bytes(&self) -> usize {
        if self.compression.is_some() { 5 } else { 3 }
    }

    /// Wraps `frames` (one or more encoded frames) into segments: one
    /// self-contained segment if it fits, else non-self-contained pieces.
    ///
    /// # Errors
    /// None in practice; the signature leaves room for compression failures.
    pub fn encode(&self, frames: &[u8], out: &mut BytesMut) -> Result<()> {
        if frames.len() <= SEGMENT_PAYLOAD_BYTES_MAX {
            return self.encode_one(frames, true, out);
        }
        for chunk in frames.chunks(SEGMENT_PAYLOAD_BYTES_MAX) {
            self.encode_one(chunk, false, out)?;
        }
        Ok(())
    }

    /// Packs encoded frames into segments: consecutive small frames share
    /// self-contained segments (up to the payload limit); a frame larger than
    /// one segment is split on its own.
    ///
    /// # Errors
    /// As [`SegmentCodec::encode`].
    pub fn encode_frames(&self, frames: &[RawFrame], out: &mut BytesMut) -> Result<()> {
        let mut pending = BytesMut::new();
        for frame in frames {
            let bytes = frame.to_bytes();
            if pending.len() + bytes.len() > SEGMENT_PAYLOAD_BYTES_MAX && !pending.is_empty() {
                self.encode_one(&pending, true, out)?;
                pending.clear();
            }
            if bytes.len() > SEGMENT_PAYLOAD_BYTES_MAX {
                self.encode(&bytes, out)?;
            } else {
                pending.extend_from_slice(&bytes);
            }
        }
        if !pending.is_empty() {
            self.encode_one(&pending, true, out)?;
        }
        Ok(())
    }

    fn encode_one(&self, payload: &[u8], self_contained: bool, out: &mut BytesMut) -> Result<()> {
        assert!(
            payload.len() <= SEGMENT_PAYLOAD_BYTES_MAX,
            "segment payload over 17 bits"
        );
        let sc = u64::from(self_contained);
        let len = |n: usize| u64::try_from(n).unwrap_or(PAYLOAD_MASK) & PAYLOAD_MASK;
        let (header, body): (u64, Vec<u8>) = match self.compression {
            None => (len(payload.len()) | (sc << 17), payload.to_vec()),
            Some(Compression::Lz4) => {
                let compressed = lz4_flex::block::compress(payload);
                if compressed.len() < payload.len() {
                    let h = len(compressed.len()) | (len(payload.len()) << 17) | (sc << 34);
                    (h, compressed)
                } else {
                    // Not worth it: uncompressed length 0 marks a stored payload.
                    (len(payload.len()) | (sc << 34), payload.to_vec())
                }
            }
        };
        let hb = self.header_bytes();
        let header_le = header.to_le_bytes();
        out.reserve(hb + CRC24_BYTES + body.len() + CRC32_BYTES);
        out.put_slice(header_le.get(..hb).unwrap_or(&header_le));
        let crc24 = crc::crc24(header, hb).to_le_bytes();
        out.put_slice(crc24.get(..CRC24_BYTES).unwrap_or(&crc24));
        out.put_slice(&body);
        out.put_u32_le(crc::crc32(&body));
        Ok(())
    }

    /// Cuts one segment off the front of `src`; `Ok(None)` when incomplete.
    ///
    /// # Errors
    /// [`ProtocolError::SegmentHeaderCrc`], [`ProtocolError::SegmentPayloadCrc`],
    /// or a corrupt compressed payload.
    pub fn decode(&self, src: &mut BytesMut) -> Result<Option<Segment>> {
        let hb = self.header_bytes();
        let Some(head) = src.get(..hb + CRC24_BYTES) else {
            return Ok(None);
        };
        let mut le = [0u8; 8];
        le.get_mut(..hb)
            .ok_or_else(|| ProtocolError::Invalid("header".into()))?
            .copy_from_slice(head.get(..hb).unwrap_or_default());
        let header = u64::from_le_bytes(le);
        let mut crc_le = [0u8; 4];
        crc_le
            .get_mut(..CRC24_BYTES)
            .ok_or_else(|| ProtocolError::Invalid("crc".into()))?
            .copy_from_slice(head.get(hb..).unwrap_or_default());
        let received = u32::from_le_bytes(crc_le);
        let computed = crc::crc24(header, hb);
        if received != computed {
            return Err(ProtocolError::SegmentHeaderCrc { received, computed });
        }
        let to_usize = |v: u64| usize::try_from(v & PAYLOAD_MASK).unwrap_or(usize::MAX);
        let payload_len = to_usize(header);
        let (uncompressed_len, sc_bit) = if self.compression.is_some() {
            (to_usize(header >> 17), 34)
        } else {
            (0, 17)
        };
        let self_contained = (header >> sc_bit) & 1 == 1;
        let total = hb + CRC24_BYTES + payload_len + CRC32_BYTES;
        if src.len() < total {
            src.reserve(total - src.len());
            return Ok(None);
        }
        let _ = src.split_to(hb + CRC24_BYTES);
        let payload = src.split_to(payload_len).freeze();
        let trailer = src.split_to(CRC32_BYTES);
        let mut t = [0u8; 4];
        t.copy_from_slice(&trailer);
        let received = u32::from_le_bytes(t);
        let computed = crc::crc32(&payload);
        if received != computed {
            return Err(ProtocolError::SegmentPayloadCrc { received, computed });
        }
        let payload = if self.compression.is_some() && uncompressed_len > 0 {
            let max = u32::try_from(SEGMENT_PAYLOAD_BYTES_MAX).unwrap_or(u32::MAX);
            let len = u32::try_from(uncompressed_len).unwrap_or(u32::MAX);
            Bytes::from(compression::decompress_block(&payload, len, max)?)
        } else {
            payload
        };
        Ok(Some(Segment {
            payload,
            self_contained,
        }))
    }
}

/// Turns a stream of segments back into frames.
#[derive(Debug, Clone)]
pub struct FrameAssembler {
    partial: BytesMut,
    body_bytes_max: u32,
}

impl FrameAssembler {
    /// An assembler refusing frame bodies over `body_bytes_max`.
    pub fn new(body_bytes_max: u32) -> Self {
        FrameAssembler {
            partial: BytesMut::new(),
            body_bytes_max,
        }
    }

    /// True while a large frame is half-received.
    pub fn in_progress(&self) -> bool {
        !self.partial.is_empty()
    }

    /// Feeds one segment; returns the frames it completes.
    ///
    /// # Errors
    /// A self-contained segment that does not hold whole frames, one arriving
    /// while a large frame is incomplete, trailing bytes after a large frame,
    /// or any frame header error (including an over-limit length).
    pub fn push(&mut self, segment: Segment) -> Result<Vec<RawFrame>> {
        if segment.self_contained {
            if self.in_progress() {
                return Err(ProtocolError::Invalid(
                    "self-contained segment inside a split frame".into(),
                ));
            }
            return self.split_whole(&segment.payload);
        }
        self.partial.extend_from_slice(&segment.payload);
        let Some(header) = crate::frame::FrameHeader::decode(&self.partial, self.body_bytes_max)?
        else {
            return Ok(Vec::new());
        };
        let total = FRAME_HEADER_BYTES
            + usize::try_from(header.body_len)
                .map_err(|_| ProtocolError::Invalid("length".into()))?;
        match self.partial.len().cmp(&total) {
            std::cmp::Ordering::Less => Ok(Vec::new()),
            std::cmp::Ordering::Greater => Err(ProtocolError::Invalid(
                "bytes after a frame split across segments".into(),
            )),
            std::cmp::Ordering::Equal => {
                let mut whole = std::mem::take(&mut self.partial);
                match RawFrame::decode(&mut whole, self.body_bytes_max)? {
                    Some(frame) => Ok(vec![frame]),
                    None => Err(ProtocolError::Invalid(
                        "incomplete reassembled frame".into(),
                    )),
                }
            }
        }
    }

    fn split_whole(&self, payload: &[u8]) -> Result<Vec<RawFrame>> {
        let mut frames = Vec::new();
        let mut rest = payload;
        while !rest.is_empty() {
            let Some((frame, used)) = RawFrame::decode_slice(rest, self.body_bytes_max)? else {
                return Err(ProtocolError::Invalid(
                    "partial frame in a self-contained segment".into(),
                ));
            };
            frames.push(frame);
            rest = rest.get(used..).unwrap_or_default();
        }
        Ok(frames)
    }
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
