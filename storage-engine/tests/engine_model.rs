//! Goal: every sequence of writes, TTLs, deletes at every level, flushes,
//! clean reopens and crashes reads back exactly as a simple model says.
//! Method: proptest generates operations; they go to an engine on `MemFs`
//! (batch commitlog, a tiny flush threshold so background flushes happen)
//! and to a `BTreeMap` oracle that knows only "highest timestamp wins,
//! deletions hide data at or below their timestamp, TTLs expire". After each
//! step every partition is read (whole and through a slice, at several
//! `now`s) and compared; scans must list exactly the partitions with data.

mod engine_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use engine_support::{T, ck, options, pk};
use proptest::prelude::*;
use sibyl_storage::fs::{FileSystem, MemFs};
use sibyl_storage::model::{
    Cell, ClusteringBound, DeletionTime, LivenessInfo, PartitionUpdate, RangeTombstone, Row, Slice,
    Slices,
};
use sibyl_storage::{Engine, ReadLimits, ScanRange, Table, TableOptions};

const WRITE_NOW: u32 = 1_000;
const READ_NOWS: [u32; 3] = [1_000, 1_003, 1_100];
const KEYS: u32 = 3;
const ROWS: u32 = 5;

#[derive(Clone, Debug)]
enum Op {
    Write {
        key: u32,
        row: u32,
        col: u32,
        value: u8,
        ttl: Option<u32>,
        marker: bool,
    },
    DeleteCell {
        key: u32,
        row: u32,
        col: u32,
    },
    DeleteRow {
        key: u32,
        row: u32,
    },
    DeleteRange {
        key: u32,
        lo: u32,
        hi: u32,
    },
    DeletePartition {
        key: u32,
    },
    Flush,
    Reopen,
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0..KEYS;
    let r = 0..ROWS;
    prop_oneof![
        6 => (k.clone(), r.clone(), 1..3u32, any::<u8>(), prop::option::of(1..8u32), any::<bool>())
            .prop_map(|(key, row, col, value, ttl, marker)| Op::Write { key, row, col, value, ttl, marker }),
        2 => (k.clone(), r.clone(), 1..3u32).prop_map(|(key, row, col)| Op::DeleteCell { key, row, col }),
        2 => (k.clone(), r.clone()).prop_map(|(key, row)| Op::DeleteRow { key, row }),
        1 => (k.clone(), r.clone(), r).prop_map(|(key, a, b)| Op::DeleteRange { key, lo: a.min(b), hi: a.max(b) }),
        1 => k.prop_map(|key| Op::DeletePartition { key }),
        2 => Just(Op::Flush),
        1 => Just(Op::Reopen),
        1 => Just(Op::Crash),
    ]
}

/// A cell event: timestamp and `Some((value, expiry))`, `None` for a tombstone.
type CellEvent = (i64, Option<(u8, Option<u32>)>);
/// What a row shows: marker live?, live (column, value) pairs.
type RowView = (bool, Vec<(u32, u8)>);
/// A row marker: timestamp and expiry.
type Marker = (i64, Option<u32>);

/// The oracle: every event, judged at read time.
#[derive(Default)]
struct Model {
    /// (key, row, col) -> (ts, Some((value, expiry)) | None for a tombstone)
    cells: BTreeMap<(u32, u32, u32), Vec<CellEvent>>,
    /// (key, row) -> marker (ts, expiry)
    markers: BTreeMap<(u32, u32), Vec<Marker>>,
    /// key -> (lo, hi, ts) row-range deletions (rows and single rows)
    deletions: BTreeMap<u32, Vec<(u32, u32, i64)>>,
}

impl Model {
    fn deleted(&self, key: u32, row: u32, ts: i64) -> bool {
        self.deletions.get(&key).is_some_and(|d| {
            d.iter()
                .any(|(lo, hi, dts)| *lo <= row && row <= *hi && ts <= *dts)
        })
    }

    fn row(&self, key: u32, row: u32, now: u32) -> Option<(bool, Vec<(u32, u8)>)> {
        let live = |ts: i64, expiry: Option<u32>| {
            expiry.is_none_or(|e| now < e) && !self.deleted(key, row, ts)
        };
        let marker = self
            .markers
            .get(&(key, row))
            .and_then(|m| m.iter().max_by_key(|(ts, _)| *ts))
            .is_some_and(|(ts, e)| live(*ts, *e));
        let mut cols = Vec::new();
        for col in 1..3 {
            let Some(events) = self.cells.get(&(key, row, col)) else {
                continue;
            };
            let Some((ts, Some((v, e)))) = events.iter().max_by_key(|(ts, _)| *ts) else {
                continue;
            };
            if live(*ts, *e) {
                cols.push((col, *v));
            }
        }
        (marker || !cols.is_empty()).then_some((marker, cols))
    }
}

fn engine_row(row: &Row, now: u32) -> (bool, Vec<(u32, u8)>) {
    let marker = row.liveness.is_some_and(|l| l.is_live(now));
    let cols = row
        .cells
        .iter()
        .filter(|c| c.is_live(now))
        .map(|c| (c.column, c.value()[0]))
        .collect();
    (marker, cols)
}

fn key_name(key: u32) -> String {
    format!("key{key}")
}

fn to_update(op: &Op, ts: i64) -> Option<PartitionUpdate> {
    let del = DeletionTime::new(ts, WRITE_NOW);
    let update = |key: u32| PartitionUpdate::new(T, pk(&key_name(key)));
    Some(match *op {
        Op::Write {
            key,
            row,
            col,
            value,
            ttl,
            marker,
        } => {
            let v = Bytes::from(vec![value]);
            let cell = match ttl {
                Some(t) => Cell::expiring(col, ts, v, t, WRITE_NOW),
                None => Cell::live(col, ts, v),
            };
            let mut r = Row::new(ck(row)).with_cell(cell);
            if marker {
                r = r.with_liveness(match ttl {
                    Some(t) => LivenessInfo::expiring(ts, t, WRITE_NOW),
                    None => LivenessInfo::new(ts),
                });
            }
            update(key).with_row(r)
        }
        Op::DeleteCell { key, row, col } => {
            update(key).with_row(Row::new(ck(row)).with_cell(Cell::tombstone(col, ts, WRITE_NOW)))
        }
        Op::DeleteRow { key, row } => update(key).with_row(Row::new(ck(row)).with_deletion(del)),
        Op::DeleteRange { key, lo, hi } => {
            let slice = Slice::new(
                ClusteringBound::inclusive_start(ck(lo).0),
                ClusteringBound::inclusive_end(ck(hi).0),
            )
            .expect("lo <= hi");
            update(key).with_range_tombstone(RangeTombstone::new(slice, del))
        }
        Op::DeletePartition { key } => update(key).with_partition_deletion(del),
        Op::Flush | Op::Reopen | Op::Crash => return None,
    })
}

fn record(model: &mut Model, op: &Op, ts: i64) {
    match *op {
        Op::Write {
            key,
            row,
            col,
            value,
            ttl,
            marker,
        } => {
            let expiry = ttl.map(|t| WRITE_NOW + t);
            model
                .cells
                .entry((key, row, col))
                .or_default()
                .push((ts, Some((value, expiry))));
            if marker {
                model
                    .markers
                    .entry((key, row))
                    .or_default()
                    .push((ts, expiry));
            }
        }
        Op::DeleteCell { key, row, col } => {
            model
                .cells
                .entry((key, row, col))
                .or_default()
                .push((ts, None));
        }
        Op::DeleteRow { key, row } => model.deletions.entry(key).or_default().push((row, row, ts)),
        Op::DeleteRange { key, lo, hi } => {
            model.deletions.entry(key).or_default().push((lo, hi, ts))
        }
        Op::DeletePartition { key } => model.deletions.entry(key).or_default().push((0, ROWS, ts)),
        Op::Flush | Op::Reopen | Op::Crash => {}
    }
}

fn check(table: &Table, model: &Model) -> Result<(), TestCaseError> {
    for now in READ_NOWS {
        let mut with_data = Vec::new();
        for key in 0..KEYS {
            let expected: Vec<_> = (0..ROWS)
                .filter_map(|r| model.row(key, r, now).map(|v| (r, v)))
                .collect();
            let got = table
                .read_partition(
                    &pk(&key_name(key)),
                    &Slices::all(),
                    false,
                    now,
                    ReadLimits::default(),
                )
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got: Vec<_> = got
                .partition
                .map(|p| p.rows)
                .unwrap_or_default()
                .iter()
                .filter(|r| r.has_live_data(now))
                .map(|r| {
                    (
                        u32::from_be_bytes(r.clustering.0[..4].try_into().expect("4 bytes")),
                        engine_row(r, now),
                    )
                })
                .collect();
            prop_assert_eq!(&got, &expected, "key {} at now {}", key, now);
            if !expected.is_empty() {
                with_data.push(key);
            }
            check_slice(table, key, now, &expected)?;
        }
        let page = table
            .scan(&ScanRange::all(), now, 100)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut scanned: Vec<u32> = page
            .partitions
            .iter()
            .filter(|p| p.rows.iter().any(|r| r.has_live_data(now)))
            .map(|p| {
                std::str::from_utf8(&p.key.key()[3..])
                    .expect("ascii")
                    .parse()
                    .expect("number")
            })
            .collect();
        scanned.sort_unstable();
        prop_assert_eq!(scanned, with_data);
    }
    Ok(())
}

/// A reversed slice over rows 1..=2 agrees with the model too.
fn check_slice(
    table: &Table,
    key: u32,
    now: u32,
    expected: &[(u32, RowView)],
) -> Result<(), TestCaseError> {
    let slice = Slices::new(vec![
        Slice::new(
            ClusteringBound::inclusive_start(ck(1).0),
            ClusteringBound::inclusive_end(ck(2).0),
        )
        .expect("ordered"),
    ]);
    let sliced = table
        .read_partition(
            &pk(&key_name(key)),
            &slice,
            true,
            now,
            ReadLimits::default(),
        )
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let sliced: Vec<u32> = sliced
        .partition
        .map(|p| p.rows)
        .unwrap_or_default()
        .iter()
        .filter(|r| r.has_live_data(now))
        .map(|r| u32::from_be_bytes(r.clustering.0[..4].try_into().expect("4 bytes")))
        .collect();
    let want: Vec<u32> = expected
        .iter()
        .map(|(r, _)| *r)
        .filter(|r| (1..=2).contains(r))
        .collect();
    prop_assert_eq!(sliced, want);
    let cases = [
        (1, false, None),
        (2, true, Some(1)),
        (2, false, Some(2)),
        (1, true, Some(1)),
    ];
    for (limit, reversed, first_pass_rows) in cases {
        let limits = ReadLimits {
            row_limit: Some(limit),
            first_pass_rows,
        };
        let got = table
            .read_partition(&pk(&key_name(key)), &Slices::all(), reversed, now, limits)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got: Vec<u32> = got
            .partition
            .map(|p| p.rows)
            .unwrap_or_default()
            .iter()
            .filter(|r| r.has_live_data(now))
            .map(|r| u32::from_be_bytes(r.clustering.0[..4].try_into().expect("4 bytes")))
            .collect();
        let all: Vec<u32> = expected.iter().map(|(r, _)| *r).collect();
        let want: Vec<u32> = if reversed {
            all[all.len().saturating_sub(limit)..].to_vec()
        } else {
            all.iter().copied().take(limit).collect()
        };
        prop_assert_eq!(got, want, "limit {} reversed {}", limit, reversed);
    }
    Ok(())
}

fn open(fs: &Arc<MemFs>) -> Engine {
    let dyn_fs: Arc<dyn FileSystem> = Arc::clone(fs) as Arc<dyn FileSystem>;
    Engine::open(options(Path::new("/db"), dyn_fs)).expect("engine opens")
}

fn run(ops: &[(Op, u16)]) -> Result<(), TestCaseError> {
    let fs = Arc::new(MemFs::new());
    let mut engine = open(&fs);
    let table_options = TableOptions {
        flush_threshold_bytes: 2_048,
        ..TableOptions::default()
    };
    engine.create_table(T, table_options).expect("create");
    let mut model = Model::default();
    for (i, (op, jitter)) in ops.iter().enumerate() {
        // Unique timestamps in random order: ties are another test's job.
        let ts = i64::from(*jitter) * 1_000 + i64::try_from(i).expect("small");
        match op {
            Op::Flush => engine.table(T).expect("table").flush().expect("flush"),
            Op::Reopen => {
                engine.close().expect("close");
                drop(engine);
                engine = open(&fs);
            }
            Op::Crash => {
                drop(engine);
                fs.crash();
                engine = open(&fs);
            }
            _ => {
                let update = to_update(op, ts).expect("a mutation");
                engine
                    .table(T)
                    .expect("table")
                    .apply(&update)
                    .expect("apply");
                record(&mut model, op, ts);
            }
        }
        check(&engine.table(T).expect("table"), &model)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_the_model(ops in prop::collection::vec((op(), any::<u16>()), 1..40)) {
        run(&ops)?;
    }
}
