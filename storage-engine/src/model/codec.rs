//! Compact binary encoding of a [`PartitionUpdate`], version 1.
//!
//! Used by the commitlog (records), and later by internode messages and
//! hints. Integers are big-endian; `varint` is unsigned LEB128 (at most 10
//! bytes); `bytes` is `varint len` + the bytes. Layout:
//!
//! ```text
//! update   := u8 version(=1) | u128 table | i64 token | bytes key
//!             | deletion partition_deletion | u8 has_static (0|1) [row]
//!             | varint n_rows row* | varint n_rts (bound bound deletion)*
//! deletion := i64 marked_for_delete_at | u32 local_deletion_time
//! row      := bytes clustering | u8 flags (1 marker, 2 marker ttl, 4 deletion)
//!             [i64 marker_ts [u32 ttl u32 expiry]] [deletion]
//!             | varint n_complex (varint column deletion)* | varint n_cells cell*
//! cell     := varint column | u8 tag (kind in bits 0-2, 8 = has path) [bytes path]
//!             | i64 timestamp | payload
//! payload  := Live: bytes value | Expiring: u32 ttl u32 expiry bytes value
//!           | Tombstone: u32 local_deletion_time
//!           | Counter: varint n (u128 node i64 clock i64 value)*   (sorted by node)
//! bound    := u8 kind (0 >=, 1 >, 2 <=, 3 <) | bytes prefix
//! ```
//!
//! Decoding is checked: it never panics, never reads past the input, never
//! allocates more than the input's size (every count is checked against the
//! bytes left), and rejects values breaking the model's ordering invariants.
//! Tokens are taken as written (the commitlog's CRC protects them).

use bytes::{BufMut, Bytes, BytesMut};

use super::bound::{BoundKind, ClusteringBound, Slice};
use super::cell::{Cell, CellKind, CounterShard, CounterShards, DeletionTime, LivenessInfo};
use super::key::{ClusteringKey, PartitionKey, TableId, Token};
use super::partition::PartitionUpdate;
use super::row::{RangeTombstone, Row};
use crate::error::DecodeError;

/// The codec version written by this build.
pub const CODEC_VERSION: u8 = 1;

const FLAG_MARKER: u8 = 1;
const FLAG_MARKER_TTL: u8 = 2;
const FLAG_DELETION: u8 = 4;
const TAG_HAS_PATH: u8 = 8;

/// Encodes `update`, appending to `out`.
pub fn encode_update(update: &PartitionUpdate, out: &mut BytesMut) {
    out.put_u8(CODEC_VERSION);
    out.put_u128(update.table.0);
    out.put_i64(update.key.token().0);
    put_bytes(out, update.key.key());
    put_deletion(out, update.partition_deletion);
    match &update.static_row {
        Some(row) => {
            out.put_u8(1);
            put_row(out, row);
        }
        None => out.put_u8(0),
    }
    put_varint(out, update.rows.len() as u64);
    for row in &update.rows {
        put_row(out, row);
    }
    put_varint(out, update.range_tombstones.len() as u64);
    for rt in &update.range_tombstones {
        put_bound(out, &rt.slice.start);
        put_bound(out, &rt.slice.end);
        put_deletion(out, rt.deletion);
    }
}

/// Encodes `update` into a fresh buffer.
pub fn encode_update_to_bytes(update: &PartitionUpdate) -> Bytes {
    let mut out = BytesMut::with_capacity(update.heap_size());
    encode_update(update, &mut out);
    out.freeze()
}

/// Decodes one update that must span all of `input`. Byte strings in the
/// result share `input`'s memory.
///
/// # Errors
/// [`DecodeError`] for truncated, oversized or invalid input.
pub fn decode_update(input: &Bytes) -> Result<PartitionUpdate, DecodeError> {
    let mut r = Reader { buf: input, pos: 0 };
    let version = r.u8("version")?;
    if version != CODEC_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            what: "partition update",
            got: version,
        });
    }
    let table = TableId(u128::from_be_bytes(r.array("table id")?));
    let token = Token(i64::from_be_bytes(r.array("token")?));
    let key = PartitionKey::from_parts(token, r.bytes("partition key")?);
    let partition_deletion = r.deletion()?;
    let static_row = match r.u8("static flag")? {
        0 => None,
        1 => Some(r.row()?),
        tag => {
            return Err(DecodeError::BadTag {
                what: "static flag",
                tag,
                offset: r.pos - 1,
            });
        }
    };
    let n_rows = r.count("row count")?;
    let mut rows = Vec::with_capacity(n_rows);
    for _ in 0..n_rows {
        rows.push(r.row()?);
    }
    let n_rts = r.count("range tombstone count")?;
    let mut range_tombstones = Vec::with_capacity(n_rts);
    for _ in 0..n_rts {
        let start = r.bound()?;
        let end = r.bound()?;
        let deletion = r.deletion()?;
        range_tombstones.push(RangeTombstone {
            slice: Slice { start, end },
            deletion,
        });
    }
    if r.pos != input.len() {
        return Err(DecodeError::TrailingBytes {
            count: input.len() - r.pos,
        });
    }
    let update = PartitionUpdate {
        table,
        key,
        partition_deletion,
        static_row,
        rows,
        range_tombstones,
    };
    update
        .check()
        .map_err(|what| DecodeError::Invalid { what, offset: 0 })?;
    Ok(update)
}

fn put_varint(out: &mut BytesMut, mut v: u64) {
    loop {
        let [low, ..] = v.to_le_bytes();
        v >>= 7;
        if v == 0 {
            out.put_u8(low & 0x7f);
            return;
        }
        out.put_u8(low | 0x80);
    }
}

fn put_bytes(out: &mut BytesMut, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.put_slice(b);
}

fn put_deletion(out: &mut BytesMut, d: DeletionTime) {
    out.put_i64(d.marked_for_delete_at);
    out.put_u32(d.local_deletion_time);
}

fn put_bound(out: &mut BytesMut, b: &ClusteringBound) {
    out.put_u8(match b.kind {
        BoundKind::InclusiveStart => 0,
        BoundKind::ExclusiveStart => 1,
        BoundKind::InclusiveEnd => 2,
        BoundKind::ExclusiveEnd => 3,
    });
    put_bytes(out, &b.prefix);
}

fn put_row(out: &mut BytesMut, row: &Row) {
    put_bytes(out, row.clustering.as_bytes());
    let mut flags = 0;
    if let Some(l) = row.liveness {
        flags |= FLAG_MARKER;
        if l.ttl.is_some() {
            flags |= FLAG_MARKER_TTL;
        }
    }
    if !row.deletion.is_live() {
        flags |= FLAG_DELETION;
    }
    out.put_u8(flags);
    if let Some(l) = row.liveness {
        out.put_i64(l.timestamp);
        if let Some((ttl, expiry)) = l.ttl {
            out.put_u32(ttl);
            out.put_u32(expiry);
        }
    }
    if !row.deletion.is_live() {
        put_deletion(out, row.deletion);
    }
    put_varint(out, row.complex_deletions.len() as u64);
    for (column, d) in &row.complex_deletions {
        put_varint(out, u64::from(*column));
        put_deletion(out, *d);
    }
    put_varint(out, row.cells.len() as u64);
    for cell in &row.cells {
        put_cell(out, cell);
    }
}

fn put_cell(out: &mut BytesMut, cell: &Cell) {
    put_varint(out, u64::from(cell.column));
    let kind = match cell.kind {
        CellKind::Live { .. } => 0,
        CellKind::Expiring { .. } => 1,
        CellKind::Tombstone { .. } => 2,
        CellKind::Counter { .. } => 3,
    };
    out.put_u8(kind | if cell.path.is_some() { TAG_HAS_PATH } else { 0 });
    if let Some(path) = &cell.path {
        put_bytes(out, path);
    }
    out.put_i64(cell.timestamp);
    match &cell.kind {
        CellKind::Live { value } => put_bytes(out, value),
        CellKind::Expiring {
            value,
            ttl_s,
            local_expiration_s,
        } => {
            out.put_u32(*ttl_s);
            out.put_u32(*local_expiration_s);
            put_bytes(out, value);
        }
        CellKind::Tombstone {
            local_deletion_time,
        } => out.put_u32(*local_deletion_time),
        CellKind::Counter { shards } => {
            put_varint(out, shards.shards().len() as u64);
            for s in shards.shards() {
                out.put_u128(s.node);
                out.put_i64(s.clock);
                out.put_i64(s.value);
            }
        }
    }
}

/// A bounds-checked cursor over the input.
struct Reader<'a> {
    buf: &'a Bytes,
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&[u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated {
            what,
            offset: self.pos,
        })?;
        let slice = self.buf.get(self.pos..end).ok_or(DecodeError::Truncated {
            what,
            offset: self.pos,
        })?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let offset = self.pos;
        self.take(N, what)?
            .try_into()
            .map_err(|_| DecodeError::Truncated { what, offset })
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn i64(&mut self, what: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    fn varint(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let offset = self.pos;
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.u8(what)?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(DecodeError::Invalid {
                    what: "varint overflow",
                    offset,
                });
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::Invalid {
            what: "varint longer than 10 bytes",
            offset,
        })
    }

    /// A count of elements, each at least one byte long: bounded by the
    /// bytes left, so allocating `count` slots is bounded by the input.
    fn count(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let n = self.varint(what)?;
        let left = (self.buf.len() - self.pos) as u64;
        if n > left {
            return Err(DecodeError::TooLarge {
                what,
                len: n,
                max: left,
            });
        }
        usize::try_from(n).map_err(|_| DecodeError::TooLarge {
            what,
            len: n,
            max: left,
        })
    }

    fn bytes(&mut self, what: &'static str) -> Result<Bytes, DecodeError> {
        let len = self.count(what)?;
        let start = self.pos;
        self.take(len, what)?;
        Ok(self.buf.slice(start..self.pos))
    }

    fn deletion(&mut self) -> Result<DeletionTime, DecodeError> {
        Ok(DeletionTime::new(
            self.i64("deletion timestamp")?,
            self.u32("local deletion time")?,
        ))
    }

    fn bound(&mut self) -> Result<ClusteringBound, DecodeError> {
        let offset = self.pos;
        let kind = match self.u8("bound kind")? {
            0 => BoundKind::InclusiveStart,
            1 => BoundKind::ExclusiveStart,
            2 => BoundKind::InclusiveEnd,
            3 => BoundKind::ExclusiveEnd,
            tag => {
                return Err(DecodeError::BadTag {
                    what: "bound kind",
                    tag,
                    offset,
                });
            }
        };
        Ok(ClusteringBound {
            prefix: self.bytes("bound prefix")?,
            kind,
        })
    }

    fn row(&mut self) -> Result<Row, DecodeError> {
        let clustering = ClusteringKey(self.bytes("clustering")?);
        let offset = self.pos;
        let flags = self.u8("row flags")?;
        if flags & !(FLAG_MARKER | FLAG_MARKER_TTL | FLAG_DELETION) != 0 {
            return Err(DecodeError::BadTag {
                what: "row flags",
                tag: flags,
                offset,
            });
        }
        let liveness = if flags & FLAG_MARKER != 0 {
            let timestamp = self.i64("marker timestamp")?;
            let ttl = if flags & FLAG_MARKER_TTL != 0 {
                Some((self.u32("marker ttl")?, self.u32("marker expiry")?))
            } else {
                None
            };
            Some(LivenessInfo { timestamp, ttl })
        } else {
            None
        };
        let deletion = if flags & FLAG_DELETION != 0 {
            self.deletion()?
        } else {
            DeletionTime::LIVE
        };
        let n_complex = self.count("complex deletion count")?;
        let mut complex_deletions = Vec::with_capacity(n_complex);
        for _ in 0..n_complex {
            complex_deletions.push((self.column()?, self.deletion()?));
        }
        let n_cells = self.count("cell count")?;
        let mut cells = Vec::with_capacity(n_cells);
        for _ in 0..n_cells {
            cells.push(self.cell()?);
        }
        Ok(Row {
            clustering,
            liveness,
            deletion,
            complex_deletions,
            cells,
        })
    }

    fn column(&mut self) -> Result<u32, DecodeError> {
        let offset = self.pos;
        let v = self.varint("column id")?;
        u32::try_from(v).map_err(|_| DecodeError::Invalid {
            what: "column id",
            offset,
        })
    }

    fn cell(&mut self) -> Result<Cell, DecodeError> {
        let column = self.column()?;
        let offset = self.pos;
        let tag = self.u8("cell tag")?;
        if tag & !(TAG_HAS_PATH | 7) != 0 {
            return Err(DecodeError::BadTag {
                what: "cell tag",
                tag,
                offset,
            });
        }
        let path = if tag & TAG_HAS_PATH != 0 {
            Some(self.bytes("cell path")?)
        } else {
            None
        };
        let timestamp = self.i64("cell timestamp")?;
        let kind = match tag & 7 {
            0 => CellKind::Live {
                value: self.bytes("cell value")?,
            },
            1 => {
                let ttl_s = self.u32("cell ttl")?;
                let local_expiration_s = self.u32("cell expiry")?;
                CellKind::Expiring {
                    value: self.bytes("cell value")?,
                    ttl_s,
                    local_expiration_s,
                }
            }
            2 => CellKind::Tombstone {
                local_deletion_time: self.u32("local deletion time")?,
            },
            3 => CellKind::Counter {
                shards: self.shards()?,
            },
            _ => {
                return Err(DecodeError::BadTag {
                    what: "cell kind",
                    tag,
                    offset,
                });
            }
        };
        Ok(Cell {
            column,
            path,
            timestamp,
            kind,
        })
    }

    fn shards(&mut self) -> Result<CounterShards, DecodeError> {
        let offset = self.pos;
        let n = self.count("counter shard count")?;
        let mut shards = Vec::with_capacity(n);
        for _ in 0..n {
            let node = u128::from_be_bytes(self.array("shard node")?);
            shards.push(CounterShard {
                node,
                clock: self.i64("clock")?,
                value: self.i64("value")?,
            });
        }
        CounterShards::from_sorted(shards).ok_or(DecodeError::Invalid {
            what: "counter shards not sorted by node",
            offset,
        })
    }
}
