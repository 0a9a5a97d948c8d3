//! Frame body compression for protocol v3/v4 (spec v4 §5) and the raw LZ4 block
//! helpers v5 segments use.
//!
//! A v4 LZ4 body is a 4-byte **big-endian** uncompressed length followed by one
//! LZ4 block. The declared length is checked against the frame limit before the
//! output buffer is allocated. Only LZ4 is implemented; Snappy is not (so a
//! server must not advertise it).

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{ProtocolError, Result};

/// A body compression algorithm negotiated in STARTUP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// `lz4`.
    Lz4,
}

impl Compression {
    /// The name used in STARTUP and SUPPORTED.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Lz4 => "lz4",
        }
    }

    /// The algorithm for a STARTUP `COMPRESSION` value (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        name.eq_ignore_ascii_case("lz4").then_some(Compression::Lz4)
    }
}

/// Compresses a v4 frame body: BE length prefix + LZ4 block.
///
/// # Errors
/// [`ProtocolError::TooLong`] for a body over `i32::MAX` bytes.
pub fn compress_body(body: &[u8]) -> Result<Bytes> {
    let len = u32::try_from(body.len()).map_err(|_| ProtocolError::TooLong {
        what: "compressed body",
        length: body.len(),
        max: u32::MAX as usize,
    })?;
    let block = lz4_flex::block::compress(body);
    let mut out = BytesMut::with_capacity(4 + block.len());
    out.put_u32(len);
    out.put_slice(&block);
    Ok(out.freeze())
}

/// Decompresses a v4 frame body, refusing an uncompressed length over `max`.
///
/// # Errors
/// Truncated prefix, [`ProtocolError::FrameTooLarge`], or
/// [`ProtocolError::Decompression`] for a corrupt block.
pub fn decompress_body(body: &[u8], max: u32) -> Result<Bytes> {
    let (prefix, block) = body.split_at_checked(4).ok_or(ProtocolError::Truncated {
        what: "lz4 length prefix",
        needed: 4,
        available: body.len(),
    })?;
    let mut len = [0u8; 4];
    len.copy_from_slice(prefix);
    let len = u32::from_be_bytes(len);
    decompress_block(block, len, max).map(Bytes::from)
}

/// Decompresses one raw LZ4 block whose uncompressed size is `len`.
///
/// # Errors
/// [`ProtocolError::FrameTooLarge`] when `len > max`, or
/// [`ProtocolError::Decompression`] when the block is corrupt or its size differs.
pub fn decompress_block(block: &[u8], len: u32, max: u32) -> Result<Vec<u8>> {
    if len > max {
        return Err(ProtocolError::FrameTooLarge {
            length: u64::from(len),
            max: u64::from(max),
        });
    }
    let size = usize::try_from(len).map_err(|_| ProtocolError::Decompression("size".into()))?;
    let out = lz4_flex::block::decompress(block, size)
        .map_err(|e| ProtocolError::Decompression(e.to_string()))?;
    if out.len() != size {
        return Err(ProtocolError::Decompression(format!(
            "declared {size} bytes, got {}",
            out.len()
        )));
    }
    Ok(out)
}
