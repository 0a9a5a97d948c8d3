//! Encoding and decoding of rows, cells, deletions and clustering bounds inside the
//! Data stream (the uncompressed bytes the chunk layer compresses).
//!
//! Row: `clustering (shared-prefix varint | suffix bytes) | flags u8 | base_ts zigzag |
//! [liveness] | [deletion] | [complex deletions] | cell_count varint | cell*`.
//! Every other timestamp in the row is a zigzag delta from `base_ts`, so the common
//! case (one write per row) costs one byte per cell. The clustering shares a prefix
//! with the previous row's, except at a row-index block start where `shared = 0`,
//! so every block decodes on its own. Decoders check every length against the
//! `format` limits and fail with the offset; they never panic on bad bytes.

use bytes::Bytes;

use super::codec::{
    ByteReader, DecodeError, DecodeResult, len_u64, put_bytes, put_varint, put_varint_signed,
};
use super::format::{CLUSTERING_BYTES_MAX, ITEMS_MAX, VALUE_BYTES_MAX};
use super::stats::Stats;
use crate::model::{
    BoundKind, Cell, CellKind, ClusteringBound, ClusteringKey, ColumnId, CounterShard,
    CounterShards, DeletionTime, LivenessInfo, RangeTombstone, Row, Slice,
};

const HAS_LIVENESS: u8 = 1;
const LIVENESS_TTL: u8 = 1 << 1;
const HAS_DELETION: u8 = 1 << 2;
const HAS_COMPLEX: u8 = 1 << 3;
const ROW_FLAGS_ALL: u8 = 0x0f;

const KIND_LIVE: u8 = 0;
const KIND_EXPIRING: u8 = 1;
const KIND_TOMBSTONE: u8 = 2;
const KIND_COUNTER: u8 = 3;
const CELL_HAS_PATH: u8 = 1 << 4;

fn bad(r: &ByteReader<'_>, what: &'static str) -> DecodeError {
    DecodeError {
        offset: r.position(),
        what,
    }
}

fn to_u32(r: &ByteReader<'_>, v: u64, what: &'static str) -> DecodeResult<u32> {
    u32::try_from(v).map_err(|_| bad(r, what))
}

/// Appends a deletion time: `present u8 | [mark zigzag delta from base | ldt varint]`.
pub fn put_deletion(out: &mut Vec<u8>, d: DeletionTime, base: i64) {
    out.push(u8::from(!d.is_live()));
    if !d.is_live() {
        put_varint_signed(out, d.marked_for_delete_at.wrapping_sub(base));
        put_varint(out, u64::from(d.local_deletion_time));
    }
}

/// Reads a deletion time written by [`put_deletion`].
///
/// # Errors
/// On truncated or malformed bytes.
pub fn get_deletion(r: &mut ByteReader<'_>, base: i64) -> DecodeResult<DeletionTime> {
    match r.u8("deletion presence")? {
        0 => Ok(DeletionTime::LIVE),
        1 => {
            let mark = base.wrapping_add(r.varint_signed("deletion mark")?);
            let ldt = r.varint("local deletion time")?;
            Ok(DeletionTime::new(
                mark,
                to_u32(r, ldt, "local deletion time")?,
            ))
        }
        _ => Err(bad(r, "deletion presence")),
    }
}

fn observe_deletion(stats: &mut Stats, d: DeletionTime) {
    if !d.is_live() {
        stats.observe_timestamp(d.marked_for_delete_at);
        stats.observe_local_deletion_time(i64::from(d.local_deletion_time));
    }
}

/// Appends a clustering bound: `kind u8 | prefix bytes`.
pub fn put_bound(out: &mut Vec<u8>, b: &ClusteringBound) {
    out.push(match b.kind {
        BoundKind::InclusiveStart => 0,
        BoundKind::ExclusiveStart => 1,
        BoundKind::InclusiveEnd => 2,
        BoundKind::ExclusiveEnd => 3,
    });
    put_bytes(out, &b.prefix);
}

/// Reads a clustering bound.
///
/// # Errors
/// On an unknown kind or bad length.
pub fn get_bound(r: &mut ByteReader<'_>) -> DecodeResult<ClusteringBound> {
    let kind = match r.u8("bound kind")? {
        0 => BoundKind::InclusiveStart,
        1 => BoundKind::ExclusiveStart,
        2 => BoundKind::InclusiveEnd,
        3 => BoundKind::ExclusiveEnd,
        _ => return Err(bad(r, "bound kind")),
    };
    let prefix = Bytes::copy_from_slice(r.bytes(CLUSTERING_BYTES_MAX, "bound prefix")?);
    Ok(ClusteringBound::new(prefix, kind))
}

/// Appends a range tombstone (deletion mark relative to 0) and records it in `stats`.
pub fn put_range_tombstone(out: &mut Vec<u8>, rt: &RangeTombstone, stats: &mut Stats) {
    put_bound(out, &rt.slice.start);
    put_bound(out, &rt.slice.end);
    put_deletion(out, rt.deletion, 0);
    observe_deletion(stats, rt.deletion);
    stats.tombstones.range += 1;
    // Positions, not prefixes: `<= p` covers keys extending `p`, which sort after `p`.
    stats.observe_clustering(&rt.slice.start.position_bytes().unwrap_or_default());
    match rt.slice.end.position_bytes() {
        Some(end) => stats.observe_clustering(&end),
        None => stats.max_clustering_unbounded = true,
    }
}

/// Reads a range tombstone.
///
/// # Errors
/// On malformed bytes or a start/end swap.
pub fn get_range_tombstone(r: &mut ByteReader<'_>) -> DecodeResult<RangeTombstone> {
    let start = get_bound(r)?;
    let end = get_bound(r)?;
    if !start.is_start() || end.is_start() {
        return Err(bad(r, "range tombstone bounds swapped"));
    }
    let deletion = get_deletion(r, 0)?;
    Ok(RangeTombstone::new(Slice { start, end }, deletion))
}

fn row_base(row: &Row) -> i64 {
    row.liveness
        .map(|l| l.timestamp)
        .or_else(|| row.cells.first().map(|c| c.timestamp))
        .or_else(|| (!row.deletion.is_live()).then_some(row.deletion.marked_for_delete_at))
        .unwrap_or(0)
}

/// Appends `row`, sharing `shared` leading clustering bytes with the previous row.
pub fn put_row(out: &mut Vec<u8>, row: &Row, shared: usize, stats: &mut Stats) {
    let key = row.clustering.as_bytes();
    let shared = shared.min(key.len());
    put_varint(out, len_u64(shared));
    put_bytes(out, key.get(shared..).unwrap_or_default());
    let mut flags = 0u8;
    if let Some(l) = &row.liveness {
        flags |= HAS_LIVENESS | if l.ttl.is_some() { LIVENESS_TTL } else { 0 };
    }
    flags |= if row.deletion.is_live() {
        0
    } else {
        HAS_DELETION
    };
    flags |= if row.complex_deletions.is_empty() {
        0
    } else {
        HAS_COMPLEX
    };
    out.push(flags);
    let base = row_base(row);
    put_varint_signed(out, base);
    stats.row_count += 1;
    if let Some(l) = &row.liveness {
        put_varint_signed(out, l.timestamp.wrapping_sub(base));
        stats.observe_timestamp(l.timestamp);
        match l.ttl {
            Some((ttl, expires)) => {
                put_varint(out, u64::from(ttl));
                put_varint(out, u64::from(expires));
                stats.observe_expiry(i64::from(expires));
            }
            None => stats.has_non_expiring_data = true,
        }
    }
    if !row.deletion.is_live() {
        put_deletion_body(out, row.deletion, base);
        observe_deletion(stats, row.deletion);
        stats.tombstones.row += 1;
    }
    if !row.complex_deletions.is_empty() {
        put_varint(out, len_u64(row.complex_deletions.len()));
        for (column, d) in &row.complex_deletions {
            put_varint(out, u64::from(*column));
            put_deletion_body(out, *d, base);
            observe_deletion(stats, *d);
        }
    }
    put_varint(out, len_u64(row.cells.len()));
    for cell in &row.cells {
        put_cell(out, cell, base, stats);
    }
}

fn put_deletion_body(out: &mut Vec<u8>, d: DeletionTime, base: i64) {
    put_varint_signed(out, d.marked_for_delete_at.wrapping_sub(base));
    put_varint(out, u64::from(d.local_deletion_time));
}

fn get_deletion_body(r: &mut ByteReader<'_>, base: i64) -> DecodeResult<DeletionTime> {
    let mark = base.wrapping_add(r.varint_signed("deletion mark")?);
    let ldt = r.varint("local deletion time")?;
    Ok(DeletionTime::new(
        mark,
        to_u32(r, ldt, "local deletion time")?,
    ))
}

fn put_cell(out: &mut Vec<u8>, cell: &Cell, base: i64, stats: &mut Stats) {
    let kind = match &cell.kind {
        CellKind::Live { .. } => KIND_LIVE,
        CellKind::Expiring { .. } => KIND_EXPIRING,
        CellKind::Tombstone { .. } => KIND_TOMBSTONE,
        CellKind::Counter { .. } => KIND_COUNTER,
    };
    out.push(
        kind | if cell.path.is_some() {
            CELL_HAS_PATH
        } else {
            0
        },
    );
    put_varint(out, u64::from(cell.column));
    if let Some(path) = &cell.path {
        put_bytes(out, path);
    }
    put_varint_signed(out, cell.timestamp.wrapping_sub(base));
    stats.cell_count += 1;
    stats.observe_timestamp(cell.timestamp);
    match &cell.kind {
        CellKind::Live { value } => {
            put_bytes(out, value);
            stats.has_non_expiring_data = true;
        }
        CellKind::Expiring {
            value,
            ttl_s,
            local_expiration_s,
        } => {
            put_bytes(out, value);
            put_varint(out, u64::from(*ttl_s));
            put_varint(out, u64::from(*local_expiration_s));
            stats.observe_expiry(i64::from(*local_expiration_s));
        }
        CellKind::Tombstone {
            local_deletion_time,
        } => {
            put_varint(out, u64::from(*local_deletion_time));
            stats.observe_local_deletion_time(i64::from(*local_deletion_time));
            stats.tombstones.cell += 1;
        }
        CellKind::Counter { shards } => {
            put_varint(out, len_u64(shards.shards().len()));
            for s in shards.shards() {
                out.extend_from_slice(&s.node.to_le_bytes());
                put_varint_signed(out, s.clock);
                put_varint_signed(out, s.value);
            }
            stats.has_non_expiring_data = true;
        }
    }
}

/// Reads one row; `prev` holds the previous row's clustering bytes and is updated.
///
/// # Errors
/// On malformed bytes or a limit exceeded.
pub fn get_row(r: &mut ByteReader<'_>, prev: &mut Vec<u8>) -> DecodeResult<Row> {
    let clustering = get_clustering(r, prev)?;
    get_row_body(r, clustering)
}

/// Reads a row's clustering key; `prev` holds the previous row's and is updated.
///
/// # Errors
/// On malformed bytes or a limit exceeded.
pub fn get_clustering(r: &mut ByteReader<'_>, prev: &mut Vec<u8>) -> DecodeResult<ClusteringKey> {
    read_clustering(r, prev)?;
    Ok(ClusteringKey::new(Bytes::copy_from_slice(prev)))
}

/// As [`get_clustering`], leaving the key in `prev` without allocating one.
///
/// # Errors
/// On malformed bytes.
pub fn read_clustering(r: &mut ByteReader<'_>, prev: &mut Vec<u8>) -> DecodeResult<()> {
    let shared = r.count(CLUSTERING_BYTES_MAX, "clustering shared prefix")?;
    let suffix = r.bytes(CLUSTERING_BYTES_MAX, "clustering suffix")?;
    if shared > prev.len() || shared + suffix.len() > CLUSTERING_BYTES_MAX {
        return Err(bad(r, "clustering shared prefix"));
    }
    prev.truncate(shared);
    prev.extend_from_slice(suffix);
    Ok(())
}

/// Steps over the rest of a row (after its clustering key) without allocating.
///
/// # Errors
/// On malformed bytes.
pub fn skip_row_body(r: &mut ByteReader<'_>) -> DecodeResult<()> {
    let flags = r.u8("row flags")?;
    if flags & !ROW_FLAGS_ALL != 0 {
        return Err(bad(r, "row flags"));
    }
    r.varint("row base timestamp")?;
    let liveness_varints = match (flags & HAS_LIVENESS != 0, flags & LIVENESS_TTL != 0) {
        (true, true) => 3,
        (true, false) => 1,
        _ => 0,
    };
    let deletion_varints = if flags & HAS_DELETION != 0 { 2 } else { 0 };
    for _ in 0..liveness_varints + deletion_varints {
        r.varint("row timestamps")?;
    }
    if flags & HAS_COMPLEX != 0 {
        for _ in 0..r.count(ITEMS_MAX, "complex deletion count")? {
            (0..3).try_for_each(|_| r.varint("complex deletion").map(drop))?;
        }
    }
    for _ in 0..r.count(ITEMS_MAX, "cell count")? {
        let flags = r.u8("cell flags")?;
        r.varint("cell column")?;
        if flags & CELL_HAS_PATH != 0 {
            r.bytes(VALUE_BYTES_MAX, "cell path")?;
        }
        r.varint("cell timestamp")?;
        let (values, varints) = match flags & !CELL_HAS_PATH {
            KIND_LIVE => (1, 0),
            KIND_EXPIRING => (1, 2),
            KIND_TOMBSTONE => (0, 1),
            KIND_COUNTER => {
                for _ in 0..r.count(ITEMS_MAX, "counter shard count")? {
                    r.take(16, "counter node")?;
                    r.varint("counter clock")?;
                    r.varint("counter value")?;
                }
                (0, 0)
            }
            _ => return Err(bad(r, "cell kind")),
        };
        for _ in 0..values {
            r.bytes(VALUE_BYTES_MAX, "cell value")?;
        }
        for _ in 0..varints {
            r.varint("cell payload")?;
        }
    }
    Ok(())
}

/// Reads the rest of a row (after its clustering key).
///
/// # Errors
/// On malformed bytes or a limit exceeded.
pub fn get_row_body(r: &mut ByteReader<'_>, clustering: ClusteringKey) -> DecodeResult<Row> {
    get_row_body_in(r, clustering, None)
}

/// As [`get_row_body`]; when `src` is the buffer `r` reads, values and paths are
/// views of it rather than copies.
///
/// # Errors
/// On malformed bytes or a limit exceeded.
pub fn get_row_body_in(
    r: &mut ByteReader<'_>,
    clustering: ClusteringKey,
    src: Option<&Bytes>,
) -> DecodeResult<Row> {
    let mut row = Row::new(clustering);
    let flags = r.u8("row flags")?;
    if flags & !ROW_FLAGS_ALL != 0 {
        return Err(bad(r, "row flags"));
    }
    let base = r.varint_signed("row base timestamp")?;
    if flags & HAS_LIVENESS != 0 {
        let timestamp = base.wrapping_add(r.varint_signed("liveness timestamp")?);
        let ttl = if flags & LIVENESS_TTL != 0 {
            let ttl = r.varint("liveness ttl")?;
            let exp = r.varint("liveness expiry")?;
            Some((to_u32(r, ttl, "ttl")?, to_u32(r, exp, "expiry")?))
        } else {
            None
        };
        row.liveness = Some(LivenessInfo { timestamp, ttl });
    }
    if flags & HAS_DELETION != 0 {
        row.deletion = get_deletion_body(r, base)?;
    }
    if flags & HAS_COMPLEX != 0 {
        let n = r.count(ITEMS_MAX, "complex deletion count")?;
        row.complex_deletions.reserve(n.min(r.remaining()));
        for _ in 0..n {
            let v = r.varint("complex deletion column")?;
            let column = to_u32(r, v, "complex deletion column")?;
            row.complex_deletions
                .push((column, get_deletion_body(r, base)?));
        }
    }
    let n = r.count(ITEMS_MAX, "cell count")?;
    row.cells.reserve(n.min(r.remaining()));
    for _ in 0..n {
        row.cells.push(get_cell(r, base, src)?);
    }
    Ok(row)
}

/// `bytes` (read from `src` when given) as a view of `src`, else copied.
fn to_bytes(bytes: &[u8], src: Option<&Bytes>) -> Bytes {
    let inside = |src: &Bytes| {
        let (s, b) = (src.as_ptr() as usize, bytes.as_ptr() as usize);
        b >= s && b.saturating_add(bytes.len()) <= s.saturating_add(src.len())
    };
    match src {
        // Checked, so a caller passing another buffer gets a copy, never a panic.
        Some(src) if !bytes.is_empty() && inside(src) => src.slice_ref(bytes),
        _ => Bytes::copy_from_slice(bytes),
    }
}

fn get_cell(r: &mut ByteReader<'_>, base: i64, src: Option<&Bytes>) -> DecodeResult<Cell> {
    let flags = r.u8("cell flags")?;
    let column: ColumnId = {
        let v = r.varint("cell column")?;
        to_u32(r, v, "cell column")?
    };
    let path = if flags & CELL_HAS_PATH != 0 {
        Some(to_bytes(r.bytes(VALUE_BYTES_MAX, "cell path")?, src))
    } else {
        None
    };
    let timestamp = base.wrapping_add(r.varint_signed("cell timestamp")?);
    let value = |r: &mut ByteReader<'_>| -> DecodeResult<Bytes> {
        Ok(to_bytes(r.bytes(VALUE_BYTES_MAX, "cell value")?, src))
    };
    let kind = match flags & !CELL_HAS_PATH {
        KIND_LIVE => CellKind::Live { value: value(r)? },
        KIND_EXPIRING => {
            let value = value(r)?;
            let ttl = r.varint("cell ttl")?;
            let exp = r.varint("cell expiry")?;
            CellKind::Expiring {
                value,
                ttl_s: to_u32(r, ttl, "cell ttl")?,
                local_expiration_s: to_u32(r, exp, "cell expiry")?,
            }
        }
        KIND_TOMBSTONE => {
            let ldt = r.varint("cell deletion time")?;
            CellKind::Tombstone {
                local_deletion_time: to_u32(r, ldt, "cell deletion time")?,
            }
        }
        KIND_COUNTER => {
            let n = r.count(ITEMS_MAX, "counter shard count")?;
            let mut shards = Vec::with_capacity(n.min(r.remaining() / 18));
            for _ in 0..n {
                let mut node = [0u8; 16];
                node.copy_from_slice(r.take(16, "counter node")?);
                let clock = r.varint_signed("counter clock")?;
                let value = r.varint_signed("counter value")?;
                shards.push(CounterShard {
                    node: u128::from_le_bytes(node),
                    clock,
                    value,
                });
            }
            CellKind::Counter {
                shards: CounterShards::new(shards),
            }
        }
        _ => return Err(bad(r, "cell kind")),
    };
    Ok(Cell {
        column,
        path,
        timestamp,
        kind,
    })
}

/// Length of the common prefix of two byte strings.
#[must_use]
pub fn shared_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}
