//! Proptest strategies for the model (test builds only), shared by the
//! model's own tests and by other modules' tests (memtable, commitlog,
//! sstable). Values come from tiny alphabets so that equal timestamps, equal
//! keys and overlapping ranges (the interesting cases) are frequent.

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;

use super::bound::{BoundKind, ClusteringBound, Slice};
use super::cell::{Cell, CellKind, CounterShard, CounterShards, DeletionTime, LivenessInfo};
use super::key::{ClusteringKey, PartitionKey, TableId};
use super::partition::{Partition, PartitionUpdate};
use super::row::{RangeTombstone, Row};

/// Simple regular columns.
pub const SIMPLE_COLUMNS: [u32; 2] = [0, 1];
/// Multi-cell (collection) columns.
pub const COMPLEX_COLUMNS: [u32; 2] = [2, 3];
/// The counter column.
pub const COUNTER_COLUMN: u32 = 4;

/// A clustering key of 1 or 2 "components" of one byte each.
pub fn clustering() -> impl Strategy<Value = ClusteringKey> {
    vec(prop::sample::select(vec![0x10u8, 0x20, 0x30]), 1..=2).prop_map(ClusteringKey::new)
}

/// A deletion time with small timestamps.
pub fn deletion() -> impl Strategy<Value = DeletionTime> {
    (0i64..6, 0u32..4).prop_map(|(t, l)| DeletionTime::new(t, l))
}

fn maybe_deletion() -> impl Strategy<Value = DeletionTime> {
    prop_oneof![3 => Just(DeletionTime::LIVE), 1 => deletion()]
}

fn value() -> impl Strategy<Value = Bytes> {
    prop::sample::select(vec![&b""[..], b"a", b"b", b"ab"]).prop_map(Bytes::from_static)
}

fn regular_kind() -> impl Strategy<Value = CellKind> {
    prop_oneof![
        3 => value().prop_map(|value| CellKind::Live { value }),
        1 => (value(), 1u32..4, 0u32..8).prop_map(|(value, ttl_s, local_expiration_s)| {
            CellKind::Expiring { value, ttl_s, local_expiration_s }
        }),
        1 => (0u32..4).prop_map(|l| CellKind::Tombstone { local_deletion_time: l }),
    ]
}

fn counter_kind() -> impl Strategy<Value = CellKind> {
    let shard = (0u128..3, 0i64..4, -5i64..5).prop_map(|(node, clock, value)| CounterShard {
        node,
        clock,
        value,
    });
    prop_oneof![
        4 => vec(shard, 1..3).prop_map(|s| CellKind::Counter { shards: CounterShards::new(s) }),
        1 => (0u32..4).prop_map(|l| CellKind::Tombstone { local_deletion_time: l }),
    ]
}

/// A counter-column cell (a counter or a tombstone).
pub fn counter_cell() -> impl Strategy<Value = Cell> {
    (0i64..6, counter_kind()).prop_map(|(timestamp, kind)| Cell {
        column: COUNTER_COLUMN,
        path: None,
        timestamp,
        kind,
    })
}

/// A cell of a regular (simple or complex) column. Rows use only these:
/// counters under deletions do not merge associatively (see
/// `reconcile`'s module docs), exactly as in Cassandra.
pub fn regular_cell() -> impl Strategy<Value = Cell> {
    let simple = (
        prop::sample::select(SIMPLE_COLUMNS.to_vec()),
        0i64..6,
        regular_kind(),
    )
        .prop_map(|(column, timestamp, kind)| Cell {
            column,
            path: None,
            timestamp,
            kind,
        });
    let complex = (
        prop::sample::select(COMPLEX_COLUMNS.to_vec()),
        prop::sample::select(vec![&b"x"[..], b"y"]),
        0i64..6,
        regular_kind(),
    )
        .prop_map(|(column, path, timestamp, kind)| Cell {
            column,
            path: Some(Bytes::from_static(path)),
            timestamp,
            kind,
        });
    prop_oneof![3 => simple, 2 => complex]
}

fn liveness() -> impl Strategy<Value = Option<LivenessInfo>> {
    prop_oneof![
        2 => Just(None),
        2 => (0i64..6).prop_map(|t| Some(LivenessInfo::new(t))),
        1 => (0i64..6, 1u32..4, 0u32..8)
            .prop_map(|(timestamp, ttl, exp)| Some(LivenessInfo { timestamp, ttl: Some((ttl, exp)) })),
    ]
}

/// A row at `clustering` (cells added through `add_cell`, so sorted).
pub fn row_at(clustering: ClusteringKey) -> impl Strategy<Value = Row> {
    (
        liveness(),
        maybe_deletion(),
        vec(
            (prop::sample::select(COMPLEX_COLUMNS.to_vec()), deletion()),
            0..2,
        ),
        vec(regular_cell(), 0..5),
    )
        .prop_map(move |(liveness, deletion, complex, cells)| {
            let mut row = Row::new(clustering.clone());
            row.liveness = liveness;
            row.deletion = deletion;
            for (c, d) in complex {
                row.add_complex_deletion(c, d);
            }
            for cell in cells {
                row.add_cell(cell);
            }
            row
        })
}

/// A clustering bound, start or end as asked.
pub fn bound(start: bool) -> impl Strategy<Value = ClusteringBound> {
    let prefix = vec(prop::sample::select(vec![0x10u8, 0x20, 0x30]), 0..=2);
    let kind = prop::bool::ANY.prop_map(move |inclusive| match (start, inclusive) {
        (true, true) => BoundKind::InclusiveStart,
        (true, false) => BoundKind::ExclusiveStart,
        (false, true) => BoundKind::InclusiveEnd,
        (false, false) => BoundKind::ExclusiveEnd,
    });
    (prefix, kind).prop_map(|(p, kind)| ClusteringBound::new(p, kind))
}

/// A range tombstone with a non-empty slice.
pub fn range_tombstone() -> impl Strategy<Value = RangeTombstone> {
    (bound(true), bound(false), deletion())
        .prop_map(|(start, end, deletion)| RangeTombstone::new(Slice { start, end }, deletion))
        .prop_filter("non-empty slice", |rt| !rt.slice.is_empty())
}

/// An update of the partition `key` (valid: passes `check`).
pub fn update_of(key: PartitionKey) -> impl Strategy<Value = PartitionUpdate> {
    (
        maybe_deletion(),
        prop::option::weighted(0.3, row_at(ClusteringKey::EMPTY)),
        vec(clustering().prop_flat_map(row_at), 0..4),
        vec(range_tombstone(), 0..2),
    )
        .prop_map(move |(pd, static_row, rows, rts)| {
            let mut u = PartitionUpdate::new(TableId(7), key.clone());
            u.partition_deletion = pd;
            u.static_row = static_row;
            for row in rows {
                u.add_row(row);
            }
            u.range_tombstones = rts;
            u
        })
}

/// An update of one fixed partition.
pub fn update() -> impl Strategy<Value = PartitionUpdate> {
    update_of(PartitionKey::new(&b"pk"[..]))
}

/// A normalised partition state of one fixed partition.
pub fn partition() -> impl Strategy<Value = Partition> {
    update().prop_map(|u| Partition::from_update(&u))
}
