//! Byte layout of commitlog segments and records.
//!
//! A segment file `commitlog-<id, 20 decimal digits>.log` is:
//!
//! ```text
//! header := magic "SBCL" | u16 version (=1) | u64 segment id | u32 crc32(previous 14 bytes)
//! record := u32 len | u32 crc32(len bytes) | payload (len bytes) | u32 crc32(payload)
//! ```
//!
//! followed by records back to back until the end of the file. Integers are
//! big-endian, CRC-32 is IEEE (`crc32fast`). The payload is one
//! `PartitionUpdate` in the versioned model codec. A position is the end
//! offset of a record in its segment.
//!
//! The length has its own CRC so that a damaged length is recognised before
//! it is trusted; a header of eight zero bytes (a zero-filled tail) can never
//! be valid because crc32 of four zero bytes is not zero.

use std::ops::Range;

/// The segment magic.
pub const SEGMENT_MAGIC: [u8; 4] = *b"SBCL";
/// The segment format version written by this build.
pub const SEGMENT_VERSION: u16 = 1;
/// Length of the segment header (bytes).
pub const SEGMENT_HEADER_LEN: usize = 18;
/// Bytes a record adds around its payload.
pub const RECORD_OVERHEAD: usize = 12;

/// Bytes before a record's payload: its length and the length's CRC.
pub const RECORD_HEADER_LEN: usize = 8;

const _: () = assert!(SEGMENT_HEADER_LEN == 4 + 2 + 8 + 4);

/// Encodes a segment header.
pub fn encode_header(segment_id: u64) -> [u8; SEGMENT_HEADER_LEN] {
    let mut out = [0u8; SEGMENT_HEADER_LEN];
    let (body, crc) = out.split_at_mut(SEGMENT_HEADER_LEN - 4);
    let (magic, rest) = body.split_at_mut(4);
    let (version, id) = rest.split_at_mut(2);
    magic.copy_from_slice(&SEGMENT_MAGIC);
    version.copy_from_slice(&SEGMENT_VERSION.to_be_bytes());
    id.copy_from_slice(&segment_id.to_be_bytes());
    crc.copy_from_slice(&crc32fast::hash(body).to_be_bytes());
    out
}

/// Why a segment header is unusable.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HeaderError {
    /// Shorter than a header (a segment created just before a crash).
    Truncated,
    /// Magic, version or checksum wrong.
    Invalid(&'static str),
}

/// Parses a segment header; returns the segment id.
///
/// # Errors
/// [`HeaderError`] when the bytes are not a valid header.
pub fn decode_header(buf: &[u8]) -> Result<u64, HeaderError> {
    let header = buf
        .get(..SEGMENT_HEADER_LEN)
        .ok_or(HeaderError::Truncated)?;
    let (body, crc) = header.split_at(SEGMENT_HEADER_LEN - 4);
    if be_u32(crc) != Some(crc32fast::hash(body)) {
        return Err(HeaderError::Invalid("segment header checksum mismatch"));
    }
    let (magic, rest) = body.split_at(4);
    let (version, id) = rest.split_at(2);
    if magic != SEGMENT_MAGIC {
        return Err(HeaderError::Invalid("bad segment magic"));
    }
    if version != SEGMENT_VERSION.to_be_bytes() {
        return Err(HeaderError::Invalid("unsupported segment version"));
    }
    let id: [u8; 8] = id.try_into().map_err(|_| HeaderError::Truncated)?;
    Ok(u64::from_be_bytes(id))
}

/// Appends one framed record holding `payload` to `out`.
///
/// # Panics
/// Never for payloads the caller bounded by `record_bytes_max` (< 4 GiB);
/// `u32::try_from` failing would be a caller bug caught by the assertion.
pub fn encode_record(payload: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(payload.len()).expect("record length checked against the limit");
    let len_bytes = len.to_be_bytes();
    out.reserve(payload.len() + RECORD_OVERHEAD);
    out.extend_from_slice(&len_bytes);
    out.extend_from_slice(&crc32fast::hash(&len_bytes).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(payload).to_be_bytes());
}

/// Frames a record in place: `frame` holds [`RECORD_HEADER_LEN`] placeholder
/// bytes then the payload; fills the header and appends the payload's CRC
/// (the same bytes as [`encode_record`], without copying the payload).
pub fn frame_record_in_place(frame: &mut bytes::BytesMut) {
    let payload_len = frame.len().saturating_sub(RECORD_HEADER_LEN);
    let len = u32::try_from(payload_len).expect("record length checked against the limit");
    let len_bytes = len.to_be_bytes();
    let crc = crc32fast::hash(frame.get(RECORD_HEADER_LEN..).unwrap_or_default());
    if let Some(header) = frame.get_mut(..RECORD_HEADER_LEN) {
        let (l, c) = header.split_at_mut(4);
        l.copy_from_slice(&len_bytes);
        c.copy_from_slice(&crc32fast::hash(&len_bytes).to_be_bytes());
    }
    frame.extend_from_slice(&crc.to_be_bytes());
}

/// The outcome of reading the record that starts at some offset.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RecordRead {
    /// A valid record: where its payload is, and where the next one starts.
    Valid {
        /// Byte range of the payload in the buffer.
        payload: Range<usize>,
        /// Offset just past the record.
        next: usize,
    },
    /// Nothing more: the buffer ends, or the bytes are zeros.
    End,
    /// The bytes here are not a record (damaged, torn, or garbage).
    Invalid(&'static str),
}

fn be_u32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}

/// Reads the record starting at `offset` in `buf`, trusting nothing.
pub fn read_record(buf: &[u8], offset: usize, record_bytes_max: u64) -> RecordRead {
    let Some(rest) = buf.get(offset..) else {
        return RecordRead::End;
    };
    if rest.is_empty() {
        return RecordRead::End;
    }
    let Some(header) = rest.get(..8) else {
        return if rest.iter().all(|&b| b == 0) {
            RecordRead::End
        } else {
            RecordRead::Invalid("partial record header")
        };
    };
    if header.iter().all(|&b| b == 0) {
        return RecordRead::End;
    }
    let (len_bytes, len_crc) = header.split_at(4);
    if be_u32(len_crc) != Some(crc32fast::hash(len_bytes)) {
        return RecordRead::Invalid("record length checksum mismatch");
    }
    let Some(len) = be_u32(len_bytes) else {
        return RecordRead::Invalid("record length");
    };
    if len == 0 {
        return RecordRead::Invalid("empty record");
    }
    if u64::from(len) > record_bytes_max {
        return RecordRead::Invalid("record longer than record_bytes_max");
    }
    let Ok(len) = usize::try_from(len) else {
        return RecordRead::Invalid("record length");
    };
    let start = offset + 8;
    let end = start + len;
    let (Some(payload), Some(crc)) = (buf.get(start..end), buf.get(end..end + 4)) else {
        return RecordRead::Invalid("record cut short");
    };
    if be_u32(crc) != Some(crc32fast::hash(payload)) {
        return RecordRead::Invalid("record payload checksum mismatch");
    }
    RecordRead::Valid {
        payload: start..end,
        next: end + 4,
    }
}

/// The first offset at or after `from` where a valid record starts, if any
/// (used only after a failure, to tell a torn tail from mid-log damage).
pub fn find_next_valid(buf: &[u8], from: usize, record_bytes_max: u64) -> Option<usize> {
    let last = buf.len().saturating_sub(RECORD_OVERHEAD - 1);
    let mut at = from;
    while at < last {
        // A record never starts with eight zero bytes (see the module doc):
        // jump over zero runs (the unwritten end of a mapped segment).
        if buf
            .get(at..at + 8)
            .is_some_and(|h| h.iter().all(|&b| b == 0))
        {
            let run = buf
                .get(at..)
                .and_then(|rest| rest.iter().position(|&b| b != 0))
                .unwrap_or(buf.len() - at);
            at += run.saturating_sub(7).max(1);
            continue;
        }
        if matches!(
            read_record(buf, at, record_bytes_max),
            RecordRead::Valid { .. }
        ) {
            return Some(at);
        }
        at += 1;
    }
    None
}
