//! One partition in the Data stream: header, rows, and the row index built while
//! writing it.
//!
//! Partition: `token i64 | key bytes | partition deletion | static flag u8 | [static row] |
//! range tombstone count varint | range tombstone* | row*`. The header (everything
//! before the first row) is read on every lookup; rows follow in clustering order and
//! are cut into row-index blocks of about `ROW_INDEX_BLOCK_BYTES`, each starting with a
//! full (unshared) clustering key. Range tombstones live in the header rather than as
//! markers between rows, so a slice read never needs an "open marker" from an earlier
//! block; they are few in practice.

use bytes::Bytes;

use super::codec::{ByteReader, DecodeError, DecodeResult, len_u64, put_bytes};
use super::format::{ITEMS_MAX, KEY_BYTES_MAX};
use super::index::RowIndex;
use super::serial::{
    get_deletion, get_range_tombstone, get_row, get_row_body_in, put_deletion, put_range_tombstone,
    put_row, read_clustering, shared_prefix, skip_row_body,
};
use super::stats::Stats;
use crate::model::{
    ClusteringKey, DeletionTime, PartitionKey, PartitionView, RangeTombstone, Row, Token,
};

/// Where the writer put the parts of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPartition {
    /// Bytes of the header (key, deletion, static row, range tombstones).
    pub header_size: u64,
    /// Whole serialized size.
    pub size: u64,
    /// Row index; empty when the rows fit in one block.
    pub blocks: RowIndex,
}

/// Appends the serialized `partition` to `out` and records it in `stats`.
pub fn encode_partition<'a, R>(
    p: &PartitionView<'a, R>,
    out: &mut Vec<u8>,
    stats: &mut Stats,
    block_bytes: u64,
) -> EncodedPartition
where
    R: Iterator<Item = &'a Row> + ExactSizeIterator + Clone,
{
    let start = out.len();
    out.extend_from_slice(&p.key.token().0.to_le_bytes());
    put_bytes(out, p.key.key());
    put_deletion(out, p.partition_deletion, 0);
    if !p.partition_deletion.is_live() {
        stats.tombstones.partition += 1;
        stats.observe_timestamp(p.partition_deletion.marked_for_delete_at);
        stats.observe_local_deletion_time(i64::from(p.partition_deletion.local_deletion_time));
    }
    out.push(u8::from(p.static_row.is_some()));
    if let Some(row) = p.static_row {
        put_row(out, row, 0, stats);
        stats.static_rows = Some(stats.static_rows.unwrap_or(0) + 1);
    }
    super::codec::put_varint(out, len_u64(p.range_tombstones.len()));
    for rt in p.range_tombstones {
        put_range_tombstone(out, rt, stats);
    }
    let header_size = len_u64(out.len() - start);
    let blocks = encode_rows(p.rows.clone(), out, start, stats, block_bytes);
    let size = len_u64(out.len() - start);
    stats.observe_partition(p.key.token().0, size);
    if let (Some(first), Some(last)) = (p.rows.clone().next(), p.rows.clone().last()) {
        stats.observe_clustering(first.clustering.as_bytes());
        stats.observe_clustering(last.clustering.as_bytes());
    }
    EncodedPartition {
        header_size,
        size,
        blocks,
    }
}

fn encode_rows<'a>(
    rows: impl ExactSizeIterator<Item = &'a Row>,
    out: &mut Vec<u8>,
    partition_start: usize,
    stats: &mut Stats,
    block_bytes: u64,
) -> RowIndex {
    let count = rows.len();
    let mut blocks = RowIndex::default();
    let mut block_start = out.len();
    let mut block_first: Option<&Row> = None;
    let mut prev: &[u8] = &[];
    for (i, row) in rows.enumerate() {
        let shared = if block_first.is_none() {
            0
        } else {
            shared_prefix(prev, row.clustering.as_bytes())
        };
        if block_first.is_none() {
            block_start = out.len();
            block_first = Some(row);
        }
        put_row(out, row, shared, stats);
        prev = row.clustering.as_bytes();
        let full = len_u64(out.len() - block_start) >= block_bytes;
        if let Some(first) = block_first.filter(|_| full || i + 1 == count) {
            blocks.push(
                first.clustering.as_bytes(),
                row.clustering.as_bytes(),
                len_u64(block_start - partition_start),
                len_u64(out.len() - block_start),
            );
            block_first = None;
        }
    }
    if blocks.len() <= 1 {
        blocks.clear();
    }
    blocks
}

/// The decoded header of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionHeader {
    /// The key (token as stored).
    pub key: PartitionKey,
    /// Partition-level deletion.
    pub deletion: DeletionTime,
    /// The static row.
    pub static_row: Option<Row>,
    /// Range tombstones in order.
    pub range_tombstones: Vec<RangeTombstone>,
}

/// Decodes a partition header from the start of `bytes`; returns it and its length.
///
/// # Errors
/// On malformed bytes.
pub fn decode_header(bytes: &[u8]) -> DecodeResult<(PartitionHeader, usize)> {
    let mut r = ByteReader::new(bytes);
    let token = Token(r.i64("partition token")?);
    let key = Bytes::copy_from_slice(r.bytes(KEY_BYTES_MAX, "partition key")?);
    let deletion = get_deletion(&mut r, 0)?;
    let static_row = match r.u8("static row flag")? {
        0 => None,
        1 => Some(get_row(&mut r, &mut Vec::new())?),
        _ => {
            return Err(DecodeError {
                offset: r.position(),
                what: "static row flag",
            });
        }
    };
    let n = r.count(ITEMS_MAX, "range tombstone count")?;
    let mut range_tombstones = Vec::with_capacity(n.min(r.remaining() / 8));
    for _ in 0..n {
        range_tombstones.push(get_range_tombstone(&mut r)?);
    }
    let header = PartitionHeader {
        key: PartitionKey::from_parts(token, key),
        deletion,
        static_row,
        range_tombstones,
    };
    Ok((header, r.position()))
}

/// What [`decode_rows`] does with the row at a clustering key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowChoice {
    /// Decode and keep it.
    Keep,
    /// Step over it without decoding its cells.
    Skip,
    /// Stop: no later row is wanted.
    Stop,
}

/// Decodes rows until `bytes` is exhausted (a whole row area or one row-index block),
/// `choose` deciding per clustering key, stopping once `out` holds `max_rows` rows.
///
/// # Errors
/// On malformed bytes.
pub fn decode_rows(
    bytes: &[u8],
    out: &mut Vec<Row>,
    max_rows: usize,
    choose: impl FnMut(&[u8]) -> RowChoice,
) -> DecodeResult<()> {
    decode_row_pieces(&[Bytes::copy_from_slice(bytes)], out, max_rows, choose)
}

/// One row read at `pos` of `buf`: the position after it, or `None` to stop.
fn decode_one(
    buf: &Bytes,
    pos: usize,
    prev: &mut Vec<u8>,
    out: &mut Vec<Row>,
    choose: &mut impl FnMut(&[u8]) -> RowChoice,
) -> DecodeResult<Option<usize>> {
    let rest = buf.get(pos..).unwrap_or_default();
    let mut r = ByteReader::new(rest);
    let at = |e: DecodeError| DecodeError {
        offset: e.offset.saturating_add(pos),
        what: e.what,
    };
    read_clustering(&mut r, prev).map_err(at)?;
    match choose(prev) {
        RowChoice::Keep => {
            let clustering = ClusteringKey::new(Bytes::copy_from_slice(prev));
            out.push(get_row_body_in(&mut r, clustering, Some(buf)).map_err(at)?);
        }
        RowChoice::Skip => skip_row_body(&mut r).map_err(at)?,
        RowChoice::Stop => return Ok(None),
    }
    Ok(Some(pos.saturating_add(r.position())))
}

/// [`decode_rows`] over a byte range given as consecutive pieces (the views of the
/// chunks covering a row-index block), without joining them: rows inside a piece are
/// decoded in place (values are views of it); only a row straddling two pieces is
/// decoded from a small joined copy. Error offsets are relative to the range start.
///
/// # Errors
/// On malformed bytes.
pub fn decode_row_pieces(
    pieces: &[Bytes],
    out: &mut Vec<Row>,
    max_rows: usize,
    mut choose: impl FnMut(&[u8]) -> RowChoice,
) -> DecodeResult<()> {
    let mut prev = Vec::new();
    // Current piece, position in it, and the range offset where it starts.
    let (mut piece, mut pos, mut base) = (0usize, 0usize, 0usize);
    while out.len() < max_rows {
        let Some(buf) = pieces.get(piece) else {
            break;
        };
        if pos >= buf.len() {
            piece += 1;
            base += buf.len();
            pos = 0;
            continue;
        }
        let result = decode_one(buf, pos, &mut prev, out, &mut choose);
        let at_base = |e: DecodeError| DecodeError {
            offset: e.offset.saturating_add(base),
            what: e.what,
        };
        match result {
            Ok(Some(next)) => pos = next,
            Ok(None) => break,
            Err(e) if piece + 1 >= pieces.len() => return Err(at_base(e)),
            Err(_) => {
                // The row runs into the next pieces. A failed attempt leaves `prev`
                // either untouched or as `prev[..shared] + suffix`, whose first
                // `shared` bytes are the same, so the retry reads the same key.
                let Some(row_end) =
                    decode_straddling(pieces, piece, pos, &mut prev, out, &mut choose)
                        .map_err(at_base)?
                else {
                    break;
                };
                // `row_end` is relative to the start of `pieces[piece]`.
                let mut end = row_end;
                while let Some(p) = pieces.get(piece).filter(|p| end >= p.len()) {
                    end -= p.len();
                    base += p.len();
                    piece += 1;
                }
                pos = end;
            }
        }
    }
    Ok(())
}

/// Decodes the row at `pos` of `pieces[piece]` that runs past that piece, from a copy
/// of the rest of the piece joined with as few following bytes as it needs (doubling
/// from 256). Returns where the row ends, relative to the start of `pieces[piece]`, or
/// `None` to stop.
fn decode_straddling(
    pieces: &[Bytes],
    piece: usize,
    pos: usize,
    prev: &mut Vec<u8>,
    out: &mut Vec<Row>,
    choose: &mut impl FnMut(&[u8]) -> RowChoice,
) -> DecodeResult<Option<usize>> {
    let head = pieces
        .get(piece)
        .and_then(|p| p.get(pos..))
        .unwrap_or_default();
    let following: usize = pieces.iter().skip(piece + 1).map(Bytes::len).sum();
    let mut extra = 256usize;
    loop {
        let take = extra.min(following);
        let mut joined = Vec::with_capacity(head.len() + take);
        joined.extend_from_slice(head);
        for p in pieces.iter().skip(piece + 1) {
            let room = head.len() + take - joined.len();
            if room == 0 {
                break;
            }
            joined.extend_from_slice(p.get(..room.min(p.len())).unwrap_or_default());
        }
        let joined = Bytes::from(joined);
        match decode_one(&joined, 0, prev, out, choose) {
            Ok(next) => return Ok(next.map(|n| n + pos)),
            Err(e) if take == following => {
                return Err(DecodeError {
                    offset: e.offset.saturating_add(pos),
                    what: e.what,
                });
            }
            Err(_) => extra = extra.saturating_mul(2),
        }
    }
}
