//! The memtable against a simple model: a `BTreeMap` of partitions merged
//! with `reconcile::apply_update`.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use proptest::prelude::*;

use super::Memtable;
use crate::commitlog::Position;
use crate::model::reconcile::apply_update;
use crate::model::{
    Cell, ClusteringBound, ClusteringKey, Partition, PartitionKey, PartitionUpdate, Row, Slice,
    Slices, TableId, Token, testing,
};

fn keys() -> Vec<PartitionKey> {
    (0..4u8).map(|i| PartitionKey::new(vec![b'k', i])).collect()
}

fn updates() -> impl Strategy<Value = Vec<PartitionUpdate>> {
    let key = proptest::sample::select(keys());
    proptest::collection::vec(key.prop_flat_map(testing::update_of), 1..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn matches_model(updates in updates(),
                     slices in proptest::collection::vec(
                         (testing::bound(true), testing::bound(false)), 1..3),
                     reversed in any::<bool>(), limit in 1usize..5) {
        let mem = Memtable::new(TableId(7));
        let mut model: BTreeMap<PartitionKey, Partition> = BTreeMap::new();
        for (i, u) in updates.iter().enumerate() {
            mem.apply(u, Some(Position { segment: 1, offset: i as u64 })).unwrap();
            let p = model.remove(&u.key).unwrap_or_else(|| Partition::new(u.key.clone()));
            let merged = apply_update(p, u);
            model.insert(u.key.clone(), merged);
        }
        model.retain(|_, p| !p.is_empty());
        let got: Vec<Partition> = mem.iter().collect();
        let want: Vec<Partition> = model.values().cloned().collect();
        prop_assert_eq!(&got, &want);
        // Slice reads agree with filtering the model's partition.
        let slices = Slices::new(slices.into_iter().map(|(start, end)| Slice { start, end }).collect());
        for (key, p) in &model {
            let read = mem.get_slices(key, &slices, reversed, limit).unwrap();
            let mut rows: Vec<Row> =
                p.rows.iter().filter(|r| slices.contains(&r.clustering)).cloned().collect();
            if reversed {
                rows = rows.split_off(rows.len().saturating_sub(limit));
            } else {
                rows.truncate(limit);
            }
            prop_assert_eq!(&read.rows, &rows);
            prop_assert_eq!(read.partition_deletion, p.partition_deletion);
            prop_assert_eq!(&read.static_row, &p.static_row);
        }
        let range = mem.commitlog_range().unwrap();
        prop_assert_eq!(range.0.offset, 0);
        prop_assert_eq!(range.1.offset, updates.len() as u64 - 1);
    }
}

fn write(key: &PartitionKey, ck: u32, ts: i64) -> PartitionUpdate {
    let row = Row::new(ClusteringKey::new(ck.to_be_bytes().to_vec())).with_cell(Cell::live(
        0,
        ts,
        Bytes::from_static(b"v"),
    ));
    PartitionUpdate::new(TableId(1), key.clone()).with_row(row)
}

#[test]
fn concurrent_writers_equal_sequential_application() {
    let mem = Arc::new(Memtable::new(TableId(1)));
    let key = PartitionKey::new(&b"hot"[..]);
    let threads: Vec<_> = (0..4u32)
        .map(|t| {
            let (mem, key) = (Arc::clone(&mem), key.clone());
            std::thread::spawn(move || {
                for i in 0..200u32 {
                    mem.apply(&write(&key, i % 50, i64::from(t * 1000 + i)), None)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut expected = Partition::new(key.clone());
    for t in 0..4u32 {
        for i in 0..200u32 {
            expected = apply_update(expected, &write(&key, i % 50, i64::from(t * 1000 + i)));
        }
    }
    assert_eq!(mem.get(&key).unwrap(), expected);
    assert!(mem.size_bytes() > 0);
    assert_eq!(mem.partition_count(), 1);
}

#[test]
fn token_ranges_and_resumable_scans() {
    let mem = Memtable::new(TableId(1));
    let keys: Vec<PartitionKey> = (0..50u32)
        .map(|i| PartitionKey::new(i.to_be_bytes().to_vec()))
        .collect();
    for k in &keys {
        mem.apply(&write(k, 1, 1), None).unwrap();
    }
    let mut sorted = keys.clone();
    sorted.sort();
    let all: Vec<PartitionKey> = mem.iter().map(|p| p.key).collect();
    assert_eq!(all, sorted);
    let mid = sorted[20].token();
    let upper: Vec<PartitionKey> = mem
        .token_range(Bound::Excluded(mid), Bound::Unbounded)
        .map(|p| p.key)
        .collect();
    assert_eq!(upper, sorted[21..].to_vec());
    let lower: Vec<PartitionKey> = mem
        .token_range(Bound::Unbounded, Bound::Included(mid))
        .map(|p| p.key)
        .collect();
    assert_eq!(lower, sorted[..21].to_vec());
    assert_eq!(
        mem.token_range(Bound::Excluded(Token::MAX), Bound::Unbounded)
            .count(),
        0
    );
    // Resume after a key, as paging does.
    let resumed: Vec<PartitionKey> = mem
        .range(Bound::Excluded(sorted[9].clone()), Bound::Unbounded)
        .map(|p| p.key)
        .collect();
    assert_eq!(resumed, sorted[10..].to_vec());
}

#[test]
fn rejects_other_tables_and_invalid_updates() {
    let mem = Memtable::new(TableId(1));
    let key = PartitionKey::new(&b"k"[..]);
    let mut u = write(&key, 1, 1);
    u.table = TableId(2);
    assert!(mem.apply(&u, None).is_err());
    let mut u = write(&key, 2, 1);
    u.rows.push(u.rows[0].clone()); // duplicate clustering
    assert!(mem.apply(&u, None).is_err());
    // A wide prefix deletion removes the rows it covers only.
    let mut mem_rows = Memtable::new(TableId(1));
    for ck in 0..10 {
        mem_rows.apply(&write(&key, ck, 5), None).unwrap();
    }
    let slice = Slice::new(
        ClusteringBound::inclusive_start(2u32.to_be_bytes().to_vec()),
        ClusteringBound::exclusive_end(5u32.to_be_bytes().to_vec()),
    )
    .unwrap();
    let del = PartitionUpdate::new(TableId(1), key.clone()).with_range_tombstone(
        crate::model::RangeTombstone::new(slice, crate::model::DeletionTime::new(5, 0)),
    );
    mem_rows.apply(&del, None).unwrap();
    assert_eq!(mem_rows.get(&key).unwrap().rows.len(), 7);
    mem_rows = Memtable::new(TableId(1));
    assert!(mem_rows.is_empty());
}
