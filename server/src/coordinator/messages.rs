//! Bodies of the coordinator <-> replica verbs, sans IO (one file for encode
//! and decode). Partition data travels in the storage engine's own update
//! codec, so a mutation is serialised once and applied as is.
//!
//! ```text
//! READ_REQ    u128 table | bytes key | u32 now_s | u32 n | n x (bound start, bound end)
//!             | u8 digest only (optional, 0 when absent)
//!             bound = u8 kind | bytes prefix
//! READ_RSP    u8 0 (no data) | u8 1, update | u8 2, 16-byte digest
//! RANGE_REQ   u128 table | start | end | u32 now_s | u32 partitions max
//!             start = u8 0 | u8 1, i64 token, u8 inclusive | u8 2, bytes key
//!             end   = u8 0 | u8 1, i64 token, u8 inclusive
//! RANGE_RSP   u32 n | n x bytes update | u8 0 | u8 1, bytes next key
//! TRUNCATE_REQ u128 table        FAILURE_RSP  utf-8 reason
//! ```
//! `bytes` is a u32 length then the bytes; every length is checked against
//! what is left before anything is allocated.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use sibyl_storage::model::codec::{decode_update, encode_update};
use sibyl_storage::model::{
    BoundKind, ClusteringBound, Partition, PartitionKey, Slice, Slices, TableId,
};
use sibyl_storage::sstable::scanner::{ScanEnd, ScanStart};
use sibyl_storage::{ScanPage, ScanRange};

/// A message body that does not decode.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed {0} message")]
pub struct MalformedMessage(pub &'static str);

/// A single-partition read on a replica.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadCommand {
    /// The table.
    pub table: TableId,
    /// The partition.
    pub key: PartitionKey,
    /// Rows wanted.
    pub slices: Slices,
    /// The reader's `now` (seconds) for TTLs.
    pub now_s: u32,
    /// Answer with a digest of the data instead of the data.
    pub digest: bool,
}

/// A replica's answer to a read.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadReply {
    /// The partition's rows (`None`: no data).
    Data(Box<Option<Partition>>),
    /// The digest of the rows ([`digest`]).
    Digest([u8; 16]),
}

/// The digest of a read's answer: MD5 of the rows' canonical encoding
/// (equal data, equal digest; no data has its own digest).
pub fn digest(table: TableId, partition: Option<&Partition>) -> [u8; 16] {
    use md5::Digest as _;
    let mut hasher = md5::Md5::new();
    if let Some(p) = partition {
        let mut encoded = BytesMut::new();
        encode_update(&p.to_update(table), &mut encoded);
        hasher.update(&encoded);
    } else {
        hasher.update(b"no data");
    }
    hasher.finalize().into()
}

/// The READ_RSP body of a digest answer.
pub fn encode_digest_response(digest: [u8; 16]) -> Bytes {
    let mut out = BytesMut::with_capacity(17);
    out.put_u8(2);
    out.put_slice(&digest);
    out.freeze()
}

/// A token-range scan on a replica.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeCommand {
    /// The table.
    pub table: TableId,
    /// The range.
    pub range: ScanRange,
    /// The reader's `now` (seconds).
    pub now_s: u32,
    /// Most partitions to return.
    pub partitions_max: u32,
}

struct Reader {
    buf: Bytes,
    what: &'static str,
}

impl Reader {
    fn err(&self) -> MalformedMessage {
        MalformedMessage(self.what)
    }
    fn u8(&mut self) -> Result<u8, MalformedMessage> {
        if self.buf.remaining() < 1 {
            return Err(self.err());
        }
        Ok(self.buf.get_u8())
    }
    fn u32(&mut self) -> Result<u32, MalformedMessage> {
        if self.buf.remaining() < 4 {
            return Err(self.err());
        }
        Ok(self.buf.get_u32())
    }
    fn i64(&mut self) -> Result<i64, MalformedMessage> {
        if self.buf.remaining() < 8 {
            return Err(self.err());
        }
        Ok(self.buf.get_i64())
    }
    fn u128(&mut self) -> Result<u128, MalformedMessage> {
        if self.buf.remaining() < 16 {
            return Err(self.err());
        }
        Ok(self.buf.get_u128())
    }
    fn bytes(&mut self) -> Result<Bytes, MalformedMessage> {
        let len = usize::try_from(self.u32()?).map_err(|_| self.err())?;
        if self.buf.remaining() < len {
            return Err(self.err());
        }
        Ok(self.buf.split_to(len))
    }
    fn bound(&mut self) -> Result<ClusteringBound, MalformedMessage> {
        let kind = match self.u8()? {
            0 => BoundKind::InclusiveStart,
            1 => BoundKind::ExclusiveStart,
            2 => BoundKind::InclusiveEnd,
            3 => BoundKind::ExclusiveEnd,
            _ => return Err(self.err()),
        };
        Ok(ClusteringBound::new(self.bytes()?, kind))
    }
    fn update(&mut self) -> Result<Partition, MalformedMessage> {
        let bytes = self.bytes()?;
        let update = decode_update(&bytes).map_err(|_| self.err())?;
        Ok(Partition::from_update(&update))
    }
}

fn put_bytes(out: &mut BytesMut, bytes: &[u8]) {
    out.put_u32(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
    out.put_slice(bytes);
}

fn put_bound(out: &mut BytesMut, bound: &ClusteringBound) {
    out.put_u8(match bound.kind {
        BoundKind::InclusiveStart => 0,
        BoundKind::ExclusiveStart => 1,
        BoundKind::InclusiveEnd => 2,
        BoundKind::ExclusiveEnd => 3,
    });
    put_bytes(out, &bound.prefix);
}

fn put_partition(out: &mut BytesMut, table: TableId, partition: &Partition) {
    let mut encoded = BytesMut::new();
    encode_update(&partition.to_update(table), &mut encoded);
    put_bytes(out, &encoded);
}

impl ReadCommand {
    /// The READ_REQ body.
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(64 + self.key.key().len());
        out.put_u128(self.table.0);
        put_bytes(&mut out, self.key.key());
        out.put_u32(self.now_s);
        let slices = self.slices.as_slice();
        out.put_u32(u32::try_from(slices.len()).unwrap_or(u32::MAX));
        for s in slices {
            put_bound(&mut out, &s.start);
            put_bound(&mut out, &s.end);
        }
        out.put_u8(u8::from(self.digest));
        out.freeze()
    }

    /// Decodes a READ_REQ body.
    ///
    /// # Errors
    /// Truncated or invalid bytes.
    pub fn decode(body: Bytes) -> Result<Self, MalformedMessage> {
        let mut r = Reader {
            buf: body,
            what: "READ_REQ",
        };
        let table = TableId(r.u128()?);
        let key = PartitionKey::new(r.bytes()?);
        let now_s = r.u32()?;
        let n = r.u32()?;
        let mut slices = Vec::new();
        for _ in 0..n {
            let start = r.bound()?;
            let end = r.bound()?;
            slices.push(Slice::new(start, end).map_err(|_| r.err())?);
        }
        let digest = match r.buf.remaining() {
            0 => false,
            _ => r.u8()? != 0,
        };
        Ok(Self {
            table,
            key,
            slices: Slices::new(slices),
            now_s,
            digest,
        })
    }
}

/// The READ_RSP body.
pub fn encode_read_response(table: TableId, partition: Option<&Partition>) -> Bytes {
    let mut out = BytesMut::new();
    match partition {
        None => out.put_u8(0),
        Some(p) => {
            out.put_u8(1);
            put_partition(&mut out, table, p);
        }
    }
    out.freeze()
}

/// Decodes a READ_RSP body.
///
/// # Errors
/// Truncated or invalid bytes.
pub fn decode_read_response(body: Bytes) -> Result<Option<Partition>, MalformedMessage> {
    match decode_read_reply(body)? {
        ReadReply::Data(d) => Ok(*d),
        ReadReply::Digest(_) => Err(MalformedMessage("READ_RSP")),
    }
}

/// Decodes a READ_RSP body that may be a digest.
///
/// # Errors
/// Truncated or invalid bytes.
pub fn decode_read_reply(body: Bytes) -> Result<ReadReply, MalformedMessage> {
    let mut r = Reader {
        buf: body,
        what: "READ_RSP",
    };
    match r.u8()? {
        0 => Ok(ReadReply::Data(Box::new(None))),
        1 => r.update().map(|p| ReadReply::Data(Box::new(Some(p)))),
        2 => {
            if r.buf.remaining() != 16 {
                return Err(r.err());
            }
            let mut digest = [0_u8; 16];
            r.buf.copy_to_slice(&mut digest);
            Ok(ReadReply::Digest(digest))
        }
        _ => Err(r.err()),
    }
}

impl RangeCommand {
    /// The RANGE_REQ body.
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(64);
        out.put_u128(self.table.0);
        match &self.range.start {
            ScanStart::Unbounded => out.put_u8(0),
            ScanStart::Token { token, inclusive } => {
                out.put_u8(1);
                out.put_i64(*token);
                out.put_u8(u8::from(*inclusive));
            }
            ScanStart::AfterKey(key) => {
                out.put_u8(2);
                put_bytes(&mut out, key.key());
            }
        }
        match &self.range.end {
            ScanEnd::Unbounded => out.put_u8(0),
            ScanEnd::Token { token, inclusive } => {
                out.put_u8(1);
                out.put_i64(*token);
                out.put_u8(u8::from(*inclusive));
            }
        }
        out.put_u32(self.now_s);
        out.put_u32(self.partitions_max);
        out.freeze()
    }

    /// Decodes a RANGE_REQ body.
    ///
    /// # Errors
    /// Truncated or invalid bytes.
    pub fn decode(body: Bytes) -> Result<Self, MalformedMessage> {
        let mut r = Reader {
            buf: body,
            what: "RANGE_REQ",
        };
        let table = TableId(r.u128()?);
        let start = match r.u8()? {
            0 => ScanStart::Unbounded,
            1 => ScanStart::Token {
                token: r.i64()?,
                inclusive: r.u8()? != 0,
            },
            2 => ScanStart::AfterKey(PartitionKey::new(r.bytes()?)),
            _ => return Err(r.err()),
        };
        let end = match r.u8()? {
            0 => ScanEnd::Unbounded,
            1 => ScanEnd::Token {
                token: r.i64()?,
                inclusive: r.u8()? != 0,
            },
            _ => return Err(r.err()),
        };
        Ok(Self {
            table,
            range: ScanRange { start, end },
            now_s: r.u32()?,
            partitions_max: r.u32()?,
        })
    }
}

/// The RANGE_RSP body.
pub fn encode_range_response(table: TableId, page: &ScanPage) -> Bytes {
    let mut out = BytesMut::new();
    out.put_u32(u32::try_from(page.partitions.len()).unwrap_or(u32::MAX));
    for p in &page.partitions {
        put_partition(&mut out, table, p);
    }
    match &page.next {
        None => out.put_u8(0),
        Some(key) => {
            out.put_u8(1);
            put_bytes(&mut out, key.key());
        }
    }
    out.freeze()
}

/// Decodes a RANGE_RSP body.
///
/// # Errors
/// Truncated or invalid bytes.
pub fn decode_range_response(body: Bytes) -> Result<ScanPage, MalformedMessage> {
    let mut r = Reader {
        buf: body,
        what: "RANGE_RSP",
    };
    let n = r.u32()?;
    let mut partitions = Vec::new();
    for _ in 0..n {
        partitions.push(r.update()?);
    }
    let next = match r.u8()? {
        0 => None,
        1 => Some(PartitionKey::new(r.bytes()?)),
        _ => return Err(r.err()),
    };
    Ok(ScanPage { partitions, next })
}

/// The TRUNCATE_REQ body.
pub fn encode_table(table: TableId) -> Bytes {
    let mut out = BytesMut::with_capacity(16);
    out.put_u128(table.0);
    out.freeze()
}

/// Decodes a TRUNCATE_REQ body.
///
/// # Errors
/// Not 16 bytes.
pub fn decode_table(body: Bytes) -> Result<TableId, MalformedMessage> {
    Reader {
        buf: body,
        what: "TRUNCATE_REQ",
    }
    .u128()
    .map(TableId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_and_truncations_fail() {
        let read = ReadCommand {
            table: TableId(42),
            key: PartitionKey::new(Bytes::from_static(b"key")),
            slices: Slices::new(vec![
                Slice::prefix(Bytes::from_static(b"a")),
                Slice::new(
                    ClusteringBound::exclusive_start(Bytes::from_static(b"m")),
                    ClusteringBound::TOP,
                )
                .unwrap(),
            ]),
            now_s: 99,
            digest: true,
        };
        let body = read.encode();
        assert_eq!(ReadCommand::decode(body.clone()).unwrap(), read);
        // Every cut fails but the one dropping only the optional digest flag.
        for cut in 0..body.len() - 1 {
            assert!(ReadCommand::decode(body.slice(..cut)).is_err());
        }
        let d = digest(TableId(7), None);
        assert_eq!(
            decode_read_reply(encode_digest_response(d)).unwrap(),
            ReadReply::Digest(d)
        );
        let p = Partition::new(PartitionKey::new(Bytes::from_static(b"p")));
        assert_ne!(digest(TableId(7), Some(&p)), d);
        let range = RangeCommand {
            table: TableId(7),
            range: ScanRange {
                start: ScanStart::AfterKey(PartitionKey::new(Bytes::from_static(b"k"))),
                end: ScanEnd::Token {
                    token: -5,
                    inclusive: true,
                },
            },
            now_s: 3,
            partitions_max: 100,
        };
        let body = range.encode();
        assert_eq!(RangeCommand::decode(body.clone()).unwrap(), range);
        for cut in 0..body.len() {
            assert!(RangeCommand::decode(body.slice(..cut)).is_err());
        }
        let page = ScanPage {
            partitions: vec![Partition::new(PartitionKey::new(Bytes::from_static(b"p")))],
            next: Some(PartitionKey::new(Bytes::from_static(b"p"))),
        };
        let body = encode_range_response(TableId(7), &page);
        assert_eq!(decode_range_response(body).unwrap(), page);
        let body = encode_read_response(TableId(7), None);
        assert_eq!(decode_read_response(body).unwrap(), None);
    }
}
