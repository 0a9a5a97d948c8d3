//! The internode wire format (version 1), sans IO.
//!
//! A connection opens with a handshake: magic `SBYL`, the protocol version
//! (one byte), then the sender's listen address (one byte 4 or 16, then the
//! address bytes). Messages follow, each one frame:
//!
//! ```text
//! u32 body length | u8 verb | u64 request id | body | u32 CRC-32 of (verb, id, body)
//! ```
//!
//! All integers are big-endian. A frame longer than [`FRAME_BODY_BYTES_MAX`]
//! or with a bad checksum or unknown verb ends the connection: the stream
//! cannot be trusted after it.

use std::net::IpAddr;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::verb::Verb;

/// The handshake magic.
pub const MAGIC: [u8; 4] = *b"SBYL";
/// The internode protocol version this build speaks.
pub const VERSION: u8 = 1;
/// Largest message body accepted (a mutation or a page of partitions).
pub const FRAME_BODY_BYTES_MAX: u32 = 256 * 1024 * 1024;
/// Bytes before the body: length, verb, id.
const HEADER_LEN: usize = 4 + 1 + 8;
/// The trailing checksum.
const TRAILER_LEN: usize = 4;

/// One internode message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// What it is.
    pub verb: Verb,
    /// The request id (a response carries its request's id).
    pub id: u64,
    /// The verb's payload.
    pub body: Bytes,
}

/// Why bytes are not a frame.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The body length passes the limit.
    #[error("internode frame of {got} bytes exceeds the {max} byte limit")]
    TooLarge {
        /// The announced length.
        got: u32,
        /// The limit.
        max: u32,
    },
    /// An unknown verb byte.
    #[error("unknown internode verb {0}")]
    UnknownVerb(u8),
    /// The checksum does not match.
    #[error("internode frame checksum mismatch (expected {expected:#010x}, got {got:#010x})")]
    Checksum {
        /// Stored.
        expected: u32,
        /// Computed.
        got: u32,
    },
    /// A handshake that is not ours.
    #[error("bad internode handshake: {0}")]
    Handshake(&'static str),
}

/// Encodes the handshake of a node listening on `address`.
pub fn encode_handshake(address: IpAddr, out: &mut BytesMut) {
    out.put_slice(&MAGIC);
    out.put_u8(VERSION);
    match address {
        IpAddr::V4(v4) => {
            out.put_u8(4);
            out.put_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            out.put_u8(16);
            out.put_slice(&v6.octets());
        }
    }
}

/// Decodes a handshake from the front of `buf`: `Ok(None)` when more bytes
/// are needed, else the peer's address (the bytes are consumed).
///
/// # Errors
/// Wrong magic, version or address length.
pub fn decode_handshake(buf: &mut BytesMut) -> Result<Option<IpAddr>, FrameError> {
    if buf.len() < 6 {
        return Ok(None);
    }
    if buf.get(..4) != Some(&MAGIC[..]) {
        return Err(FrameError::Handshake("wrong magic"));
    }
    if buf.get(4) != Some(&VERSION) {
        return Err(FrameError::Handshake("unsupported version"));
    }
    let len = usize::from(buf.get(5).copied().unwrap_or(0));
    if buf.len() < 6 + len {
        return Ok(None);
    }
    let address = match len {
        4 => {
            let mut octets = [0_u8; 4];
            octets.copy_from_slice(buf.get(6..10).unwrap_or(&[0; 4]));
            IpAddr::from(octets)
        }
        16 => {
            let mut octets = [0_u8; 16];
            octets.copy_from_slice(buf.get(6..22).unwrap_or(&[0; 16]));
            IpAddr::from(octets)
        }
        _ => return Err(FrameError::Handshake("bad address length")),
    };
    buf.advance(6 + len);
    Ok(Some(address))
}

fn checksum(verb: u8, id: u64, body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&[verb]);
    hasher.update(&id.to_be_bytes());
    hasher.update(body);
    hasher.finalize()
}

/// Appends `frame` to `out`.
///
/// # Errors
/// The body is larger than [`FRAME_BODY_BYTES_MAX`].
pub fn encode(frame: &Frame, out: &mut BytesMut) -> Result<(), FrameError> {
    let len = u32::try_from(frame.body.len())
        .ok()
        .filter(|l| *l <= FRAME_BODY_BYTES_MAX)
        .ok_or(FrameError::TooLarge {
            got: u32::try_from(frame.body.len()).unwrap_or(u32::MAX),
            max: FRAME_BODY_BYTES_MAX,
        })?;
    out.reserve(HEADER_LEN + frame.body.len() + TRAILER_LEN);
    out.put_u32(len);
    out.put_u8(frame.verb.code());
    out.put_u64(frame.id);
    out.put_slice(&frame.body);
    out.put_u32(checksum(frame.verb.code(), frame.id, &frame.body));
    Ok(())
}

/// Decodes one frame from the front of `buf`: `Ok(None)` when it is not
/// complete yet (the header is checked first, so an oversized length fails
/// before anything is buffered for it).
///
/// # Errors
/// Oversized, unknown verb, or checksum mismatch.
pub fn decode(buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
    let Some(header) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let mut header = header;
    let len = header.get_u32();
    let code = header.get_u8();
    let id = header.get_u64();
    if len > FRAME_BODY_BYTES_MAX {
        return Err(FrameError::TooLarge {
            got: len,
            max: FRAME_BODY_BYTES_MAX,
        });
    }
    let verb = Verb::from_code(code).ok_or(FrameError::UnknownVerb(code))?;
    let body_len = usize::try_from(len).map_err(|_| FrameError::TooLarge {
        got: len,
        max: FRAME_BODY_BYTES_MAX,
    })?;
    let total = HEADER_LEN + body_len + TRAILER_LEN;
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return Ok(None);
    }
    let mut frame = buf.split_to(total);
    frame.advance(HEADER_LEN);
    let body = frame.split_to(body_len).freeze();
    let expected = frame.get_u32();
    let got = checksum(code, id, &body);
    if expected != got {
        return Err(FrameError::Checksum { expected, got });
    }
    Ok(Some(Frame { verb, id, body }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_in_pieces() {
        let frames = [
            Frame {
                verb: Verb::MutationReq,
                id: 7,
                body: Bytes::from_static(b"hello"),
            },
            Frame {
                verb: Verb::ReadRsp,
                id: u64::MAX,
                body: Bytes::new(),
            },
        ];
        let mut wire = BytesMut::new();
        encode_handshake(IpAddr::from([127, 0, 0, 3]), &mut wire);
        for f in &frames {
            encode(f, &mut wire).unwrap();
        }
        // Feed byte by byte: nothing decodes early, everything decodes once.
        let mut buf = BytesMut::new();
        let mut address = None;
        let mut got = Vec::new();
        for b in wire.iter() {
            buf.put_u8(*b);
            if address.is_none() {
                address = decode_handshake(&mut buf).unwrap();
                continue;
            }
            while let Some(f) = decode(&mut buf).unwrap() {
                got.push(f);
            }
        }
        assert_eq!(address, Some(IpAddr::from([127, 0, 0, 3])));
        assert_eq!(got, frames);
    }

    #[test]
    fn corrupt_frames_are_errors() {
        let mut wire = BytesMut::new();
        encode(
            &Frame {
                verb: Verb::GossipSyn,
                id: 1,
                body: Bytes::from_static(b"state"),
            },
            &mut wire,
        )
        .unwrap();
        let mut flipped = wire.clone();
        if let Some(b) = flipped.get_mut(14) {
            *b ^= 0x40;
        }
        assert!(matches!(
            decode(&mut flipped),
            Err(FrameError::Checksum { .. })
        ));
        let mut unknown = wire.clone();
        if let Some(b) = unknown.get_mut(4) {
            *b = 250;
        }
        assert_eq!(decode(&mut unknown), Err(FrameError::UnknownVerb(250)));
        let mut huge = BytesMut::new();
        huge.put_u32(u32::MAX);
        huge.put_u8(1);
        huge.put_u64(0);
        assert!(matches!(
            decode(&mut huge),
            Err(FrameError::TooLarge { .. })
        ));
        let mut bad = BytesMut::from(&b"HTTP/1.1 200"[..]);
        assert!(decode_handshake(&mut bad).is_err());
    }
}
