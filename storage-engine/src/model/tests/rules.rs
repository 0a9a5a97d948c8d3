//! Cassandra's reconciliation, shadowing and purge rules, case by case.

use bytes::Bytes;

use crate::model::bound::{ClusteringBound as B, Slice};
use crate::model::cell::{Cell, CellKind, CounterShard, CounterShards, DeletionTime, LivenessInfo};
use crate::model::key::{ClusteringKey, PartitionKey, TableId};
use crate::model::partition::{Partition, PartitionUpdate};
use crate::model::purge::{Purger, purge_cell, purge_partition};
use crate::model::reconcile::{merge_rows, reconcile_cells};
use crate::model::row::{RangeTombstone, Row};

fn both_ways(a: &Cell, b: &Cell) -> Cell {
    let x = reconcile_cells(a, b);
    assert_eq!(x, reconcile_cells(b, a), "not commutative");
    x
}

#[test]
fn higher_timestamp_wins() {
    let old = Cell::tombstone(1, 5, 100);
    let new = Cell::live(1, 6, &b"v"[..]);
    assert_eq!(both_ways(&old, &new), new);
}

#[test]
fn equal_timestamp_tombstone_beats_value() {
    let t = Cell::tombstone(1, 5, 0);
    let v = Cell::live(1, 5, &b"zzz"[..]);
    assert_eq!(both_ways(&t, &v), t);
}

#[test]
fn equal_timestamp_expiring_beats_live_and_tombstone_beats_expiring() {
    let live = Cell::live(1, 5, &b"zzz"[..]);
    let exp = Cell::expiring(1, 5, &b"a"[..], 10, 100);
    let tomb = Cell::tombstone(1, 5, 1);
    assert_eq!(both_ways(&live, &exp), exp);
    assert_eq!(both_ways(&exp, &tomb), tomb);
}

#[test]
fn equal_timestamp_later_local_deletion_time_then_greater_value() {
    let e1 = Cell::expiring(1, 5, &b"z"[..], 10, 100);
    let e2 = Cell::expiring(1, 5, &b"a"[..], 10, 101);
    assert_eq!(both_ways(&e1, &e2), e2);
    let a = Cell::live(1, 5, &b"a"[..]);
    let b = Cell::live(1, 5, &b"b"[..]);
    assert_eq!(both_ways(&a, &b), b);
    let t1 = Cell::tombstone(1, 5, 3);
    let t2 = Cell::tombstone(1, 5, 4);
    assert_eq!(both_ways(&t1, &t2), t2);
}

fn counter(ts: i64, shards: &[(u128, i64, i64)]) -> Cell {
    let shards = shards
        .iter()
        .map(|&(node, clock, value)| CounterShard { node, clock, value });
    Cell {
        column: 9,
        path: None,
        timestamp: ts,
        kind: CellKind::Counter {
            shards: CounterShards::new(shards.collect()),
        },
    }
}

#[test]
fn counters_merge_newest_shard_per_node_and_sum() {
    let a = counter(3, &[(1, 2, 10), (2, 1, 5)]);
    let b = counter(7, &[(1, 1, 4), (3, 1, 1)]);
    let m = both_ways(&a, &b);
    assert_eq!(m.timestamp, 7);
    let CellKind::Counter { shards } = &m.kind else {
        panic!("not a counter")
    };
    assert_eq!(shards.total(), 16);
    let next = shards.apply_delta(2, 3);
    assert_eq!(next.total(), 19);
    assert_eq!(next.shards().iter().find(|s| s.node == 2).unwrap().clock, 2);
}

#[test]
fn counter_tombstone_wins_whatever_the_timestamp() {
    let c = counter(100, &[(1, 1, 1)]);
    let t = Cell {
        column: 9,
        ..Cell::tombstone(9, 1, 0)
    };
    assert_eq!(both_ways(&c, &t), t);
}

#[test]
fn row_deletion_shadows_older_cells_and_marker() {
    let ck = ClusteringKey::new(&b"\x10"[..]);
    let a = Row::new(ck.clone())
        .with_liveness(LivenessInfo::new(3))
        .with_cell(Cell::live(0, 3, &b"old"[..]))
        .with_cell(Cell::live(1, 9, &b"new"[..]));
    let b = Row::new(ck).with_deletion(DeletionTime::new(5, 0));
    let m = merge_rows(&a, &b);
    assert_eq!(m.liveness, None);
    assert_eq!(m.cells, vec![Cell::live(1, 9, &b"new"[..])]);
    assert_eq!(m.deletion, DeletionTime::new(5, 0));
    assert_eq!(m, merge_rows(&b, &a));
}

#[test]
fn complex_deletion_shadows_older_elements_only() {
    let ck = ClusteringKey::EMPTY;
    let mut a = Row::new(ck.clone());
    a.add_cell(Cell::live(2, 3, &b"1"[..]).with_path(&b"x"[..]));
    a.add_cell(Cell::live(2, 8, &b"2"[..]).with_path(&b"y"[..]));
    a.add_cell(Cell::live(0, 3, &b"simple"[..]));
    let mut b = Row::new(ck);
    b.add_complex_deletion(2, DeletionTime::new(5, 0));
    let m = merge_rows(&a, &b);
    let paths: Vec<_> = m.cells.iter().map(|c| (c.column, c.path.clone())).collect();
    assert_eq!(paths, vec![(0, None), (2, Some(Bytes::from_static(b"y")))]);
}

fn pk() -> PartitionKey {
    PartitionKey::new(&b"k"[..])
}

#[test]
fn range_tombstone_and_partition_deletion_shadow_rows() {
    let rows = |ts| {
        (0x10u8..0x15).map(move |b| {
            Row::new(ClusteringKey::new(vec![b])).with_cell(Cell::live(0, ts, &b"v"[..]))
        })
    };
    let mut u = PartitionUpdate::new(TableId(1), pk());
    for r in rows(4) {
        u.add_row(r);
    }
    let base = Partition::from_update(&u);
    let slice = Slice::new(B::exclusive_start(vec![0x11]), B::inclusive_end(vec![0x13])).unwrap();
    let del = PartitionUpdate::new(TableId(1), pk())
        .with_range_tombstone(RangeTombstone::new(slice, DeletionTime::new(4, 0)));
    let p = crate::model::reconcile::apply_update(base.clone(), &del);
    let left: Vec<u8> = p.rows.iter().map(|r| r.clustering.as_bytes()[0]).collect();
    assert_eq!(left, vec![0x10, 0x11, 0x14]);
    assert_eq!(p.range_tombstones.len(), 1);
    // A newer partition deletion swallows the range tombstone and all rows.
    let pd =
        PartitionUpdate::new(TableId(1), pk()).with_partition_deletion(DeletionTime::new(4, 0));
    let p = crate::model::reconcile::apply_update(p, &pd);
    assert!(p.rows.is_empty() && p.range_tombstones.is_empty());
    assert_eq!(p.partition_deletion, DeletionTime::new(4, 0));
    // Newer writes survive the deletion.
    let mut newer = PartitionUpdate::new(TableId(1), pk());
    for r in rows(5) {
        newer.add_row(r);
    }
    assert_eq!(
        crate::model::reconcile::apply_update(p, &newer).rows.len(),
        5
    );
}

#[test]
fn purge_converts_expired_cells_and_drops_old_tombstones() {
    let purger = Purger::new(1000, 100); // gc_before = 900
    let live_exp = Cell::expiring(0, 1, &b"v"[..], 50, 960); // expires at 1010
    assert_eq!(purge_cell(live_exp.clone(), &purger), Some(live_exp));
    let expired_recent = Cell::expiring(0, 1, &b"v"[..], 50, 950); // written at 950 > 900
    assert_eq!(
        purge_cell(expired_recent, &purger).map(|c| c.kind),
        Some(CellKind::Tombstone {
            local_deletion_time: 950
        })
    );
    let expired_old = Cell::expiring(0, 1, &b"v"[..], 50, 800); // expired at 850
    assert_eq!(purge_cell(expired_old, &purger), None);
    assert_eq!(purge_cell(Cell::tombstone(0, 1, 899), &purger), None);
    assert!(purge_cell(Cell::tombstone(0, 1, 900), &purger).is_some());
    let blocked = Purger {
        max_purgeable_timestamp: 1,
        ..purger
    };
    assert!(
        purge_cell(Cell::tombstone(0, 1, 10), &blocked).is_some(),
        "older data outside"
    );
}

#[test]
fn purge_partition_drops_everything_past_grace() {
    let u = PartitionUpdate::new(TableId(1), pk())
        .with_partition_deletion(DeletionTime::new(3, 10))
        .with_row(Row::new(ClusteringKey::new(&b"\x10"[..])).with_cell(Cell::tombstone(0, 4, 10)));
    let p = Partition::from_update(&u);
    assert!(purge_partition(p.clone(), &Purger::new(100, 50)).is_none());
    assert_eq!(purge_partition(p.clone(), &Purger::new(100, 95)), Some(p));
}

#[test]
fn row_marker_rules() {
    let plain = LivenessInfo::new(5);
    let expiring = LivenessInfo::expiring(5, 10, 100);
    let later = LivenessInfo::expiring(5, 10, 101);
    assert!(expiring.supersedes(&plain) && !plain.supersedes(&expiring));
    assert!(later.supersedes(&expiring));
    assert!(LivenessInfo::new(6).supersedes(&later));
    assert!(expiring.is_live(109) && !expiring.is_live(110));
    // An expired marker is dropped once its expiry is past gc grace.
    let row = Row::new(ClusteringKey::EMPTY).with_liveness(expiring);
    assert!(crate::model::purge::purge_row(row.clone(), &Purger::new(200, 50)).is_none());
    assert!(crate::model::purge::purge_row(row, &Purger::new(120, 50)).is_some());
}

#[test]
fn partition_deletion_shadows_the_static_row_but_range_tombstones_do_not() {
    let static_row = Row::new(ClusteringKey::EMPTY).with_cell(Cell::live(5, 3, &b"s"[..]));
    let mut u = PartitionUpdate::new(TableId(1), pk());
    u.static_row = Some(static_row);
    let rt = RangeTombstone::new(crate::model::Slice::ALL, DeletionTime::new(9, 0));
    let p = Partition::from_update(&u.clone().with_range_tombstone(rt));
    assert!(p.static_row.is_some(), "range tombstones cover rows only");
    let p = Partition::from_update(&u.with_partition_deletion(DeletionTime::new(3, 0)));
    assert!(p.static_row.is_none());
}

#[test]
fn counter_deltas_from_nothing_and_state_merge_is_idempotent() {
    let empty = CounterShards::default();
    let one = empty.apply_delta(7, 5);
    assert_eq!(one.total(), 5);
    let two = one.apply_delta(7, -2).apply_delta(8, 10);
    assert_eq!(two.total(), 13);
    assert_eq!(two.merge(&one), two, "newer clocks win");
    assert_eq!(two.merge(&two), two);
}

#[test]
fn expiring_cells_with_equal_expiry_compare_values() {
    let a = Cell::expiring(1, 5, &b"a"[..], 10, 100);
    let b = Cell::expiring(1, 5, &b"b"[..], 10, 100);
    assert_eq!(both_ways(&a, &b), b);
    let short = Cell::expiring(1, 5, &b"a"[..], 5, 100);
    assert_eq!(both_ways(&a, &short), a, "deterministic: larger ttl");
}
