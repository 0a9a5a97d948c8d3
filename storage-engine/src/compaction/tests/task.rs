//! Goal: a merge equals the purged reconciliation of its inputs, splits outputs by size,
//! and never purges a tombstone that could shadow data outside the compaction or that
//! is within gc grace. Method: real SSTables in temporary directories, random partitions
//! from the model's strategies split across 2-4 inputs, and hand-built deletion cases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;

use crate::compaction::task::{
    MergeSpec, NoOverlap, OutsideData, OverlapOracle, run_compaction, split_for_choice,
};
use crate::compaction::throttle::{StdThrottleClock, Throttle, ThrottleClock};
use crate::compaction::{ChoiceContext, ChoiceKind, CompactionStrategy, SsTableInfo};
use crate::compaction::{TimeWindowStrategy, task::CompactionOutput};
use crate::fs::{FileSystem, MemFs, StdFs};
use crate::model::purge::purge_partition;
use crate::model::reconcile::{apply_update, merge_partitions};
use crate::model::testing::update_of;
use crate::model::{
    Cell, ClusteringKey, DeletionTime, LivenessInfo, Partition, PartitionKey, PartitionUpdate,
    Purger, Row,
};
use crate::sstable::format::Descriptor;
use crate::sstable::reader::{PartitionFilter, SsTableReader};
use crate::sstable::scanner::{ScanEnd, ScanStart, Scanner};
use crate::sstable::writer::{SsTableWriter, WriterOptions};

const GRACE_S: u32 = 1_000;

/// A table directory on a file system: a real temporary directory or an in-memory one
/// (no fsync cost, for the property tests).
pub(super) struct Env {
    /// The file system.
    pub(super) fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Env {
    pub(super) fn real() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        Self {
            fs: Arc::new(StdFs),
            dir: tmp.path().to_path_buf(),
            _tmp: Some(tmp),
        }
    }

    pub(super) fn mem() -> Self {
        let fs = MemFs::new();
        let dir = PathBuf::from("/table");
        fs.create_dir_all(&dir).unwrap();
        Self {
            fs: Arc::new(fs),
            dir,
            _tmp: None,
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.dir
    }
}

/// Writes `parts` (any order, merged per key) as `generation` in `dir`.
pub(super) fn write(dir: &Env, generation: u64, parts: Vec<Partition>) -> Arc<SsTableReader> {
    let mut by_key: BTreeMap<PartitionKey, Partition> = BTreeMap::new();
    for p in parts {
        let merged = match by_key.remove(&p.key) {
            Some(q) => merge_partitions(&q, &p),
            None => p,
        };
        by_key.insert(merged.key.clone(), merged);
    }
    let desc = Descriptor::new(dir.path(), generation);
    let mut w = SsTableWriter::create(Arc::clone(&dir.fs), desc.clone(), small_options()).unwrap();
    for p in by_key.values() {
        w.append(p).unwrap();
    }
    w.finish().unwrap();
    Arc::new(SsTableReader::open(dir.fs.as_ref(), desc).unwrap())
}

pub(super) fn small_options() -> WriterOptions {
    WriterOptions {
        chunk_bytes: 1024,
        row_index_block_bytes: 64,
        ..WriterOptions::default()
    }
}

pub(super) fn read_all(reader: Arc<SsTableReader>) -> Vec<Partition> {
    Scanner::new(
        reader,
        ScanStart::Unbounded,
        ScanEnd::Unbounded,
        PartitionFilter::all(),
    )
    .map(Result::unwrap)
    .collect()
}

fn compact(
    dir: &Env,
    inputs: &[Arc<SsTableReader>],
    now_s: u32,
    max_output_bytes: Option<u64>,
    oracle: &dyn OverlapOracle,
) -> CompactionOutput {
    compact_with_grace(dir, inputs, (now_s, GRACE_S), max_output_bytes, oracle)
}

/// Merges `inputs` at `(now_s, gc_grace_s)`, outputs numbered from 101.
pub(super) fn compact_with_grace(
    dir: &Env,
    inputs: &[Arc<SsTableReader>],
    (now_s, gc_grace_s): (u32, u32),
    max_output_bytes: Option<u64>,
    oracle: &dyn OverlapOracle,
) -> CompactionOutput {
    let spec = MergeSpec {
        fs: Arc::clone(&dir.fs),
        output_dir: dir.path().to_path_buf(),
        writer: small_options(),
        max_output_bytes,
        now_s,
        gc_grace_s,
    };
    let mut generation = 100;
    let mut next = || {
        generation += 1;
        generation
    };
    let mut throttle = Throttle::new(0, StdThrottleClock::new());
    run_compaction(inputs, &spec, &mut next, oracle, &mut throttle).unwrap()
}

pub(super) fn outputs(dir: &Env, out: &CompactionOutput) -> Vec<Partition> {
    out.outputs
        .iter()
        .flat_map(|w| {
            read_all(Arc::new(
                SsTableReader::open(dir.fs.as_ref(), w.descriptor.clone()).unwrap(),
            ))
        })
        .collect()
}

/// 2-4 tables of up to 7 partitions drawn from `keys` keys.
pub(super) fn inputs_strategy(keys: u32) -> impl Strategy<Value = Vec<Vec<Partition>>> {
    let one = (0u32..keys).prop_flat_map(|k| {
        update_of(PartitionKey::new(Bytes::from(format!("key-{k}"))))
            .prop_map(|u| Partition::from_update(&u))
    });
    vec(vec(one, 0..8), 2..=4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Merging equals purging the reconciled union, whatever the split and the time.
    #[test]
    fn merge_equals_purged_union(
        tables in inputs_strategy(12),
        now_s in prop::sample::select(vec![0u32, 5, 2_000]),
        max_output_bytes in prop::option::of(100u64..400),
    ) {
        let dir = Env::mem();
        let readers: Vec<_> = tables
            .iter()
            .enumerate()
            .map(|(i, parts)| write(&dir, i as u64 + 1, parts.clone()))
            .collect();
        let mut union: BTreeMap<PartitionKey, Partition> = BTreeMap::new();
        for p in tables.into_iter().flatten() {
            let merged = match union.remove(&p.key) {
                Some(q) => merge_partitions(&p, &q),
                None => p,
            };
            union.insert(merged.key.clone(), merged);
        }
        let purger = Purger::new(now_s, GRACE_S);
        let expected: Vec<Partition> = union
            .into_values()
            .filter_map(|p| purge_partition(p, &purger))
            .collect();
        let out = compact(&dir, &readers, now_s, max_output_bytes, &NoOverlap);
        prop_assert_eq!(outputs(&dir, &out), expected.clone());
        prop_assert_eq!(out.partitions_written, expected.len() as u64);
        if max_output_bytes.is_none() {
            prop_assert!(out.outputs.len() <= 1);
        }
        for w in &out.outputs {
            prop_assert!(w.stats.partition_count > 0);
        }
    }
}

fn key() -> PartitionKey {
    PartitionKey::new(&b"sensor-1"[..])
}

fn ck(i: u8) -> ClusteringKey {
    ClusteringKey::new(vec![i])
}

/// A partition with one live row written at `ts`.
fn data(ts: i64) -> Partition {
    let row = Row::new(ck(1))
        .with_liveness(LivenessInfo::new(ts))
        .with_cell(Cell::live(0, ts, Bytes::from_static(b"v")));
    let update = PartitionUpdate::new(Default::default(), key()).with_row(row);
    Partition::from_update(&update)
}

/// A partition deleting row 1 at `ts`, locally at `ldt`.
fn row_delete(ts: i64, ldt: u32) -> Partition {
    let row = Row::new(ck(1)).with_deletion(DeletionTime::new(ts, ldt));
    let update = PartitionUpdate::new(Default::default(), key()).with_row(row);
    apply_update(Partition::new(key()), &update)
}

/// Unrelated data in another partition.
fn other(ts: i64) -> Partition {
    let update = PartitionUpdate::new(Default::default(), PartitionKey::new(&b"other"[..]))
        .with_row(Row::new(ck(9)).with_cell(Cell::live(1, ts, Bytes::from_static(b"x"))));
    Partition::from_update(&update)
}

#[test]
fn tombstones_are_purged_only_after_gc_grace() {
    let dir = Env::real();
    let old = write(&dir, 1, vec![data(10)]);
    let delete = write(&dir, 2, vec![row_delete(20, 5_000)]);
    let inputs = [old, delete];
    // Within gc grace: the deletion survives and still shadows the data.
    let within = compact(&dir, &inputs, 5_000 + GRACE_S, None, &NoOverlap);
    let got = outputs(&dir, &within);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rows.len(), 1);
    assert_eq!(got[0].rows[0].deletion, DeletionTime::new(20, 5_000));
    assert!(got[0].rows[0].cells.is_empty(), "shadowed data is gone");
    // Past gc grace, nothing outside: the deletion and what it shadowed both go.
    let past = compact(&dir, &inputs, 5_000 + GRACE_S + 1, None, &NoOverlap);
    assert!(past.outputs.is_empty());
    assert_eq!(past.partitions_read, 2);
}

#[test]
fn a_tombstone_shadowing_data_outside_the_compaction_is_kept() {
    let dir = Env::real();
    // Old data in an SSTable that is NOT compacted.
    let outside = write(&dir, 1, vec![data(10)]);
    let delete = write(&dir, 2, vec![row_delete(20, 5_000)]);
    let unrelated = write(&dir, 3, vec![other(30)]);
    let now = 100_000;
    let oracle = OutsideData {
        sstables: vec![Arc::clone(&outside)],
        memtable_min_timestamp: None,
    };
    let out = compact(
        &dir,
        &[delete.clone(), unrelated.clone()],
        now,
        None,
        &oracle,
    );
    let got = outputs(&dir, &out);
    let kept = got.iter().find(|p| p.key == key()).expect("tombstone kept");
    assert_eq!(kept.rows[0].deletion, DeletionTime::new(20, 5_000));
    // Reading the union afterwards still hides the old row: no resurrection.
    let read = merge_partitions(&read_all(outside)[0], kept);
    assert!(
        read.rows
            .iter()
            .all(|r| r.cells.is_empty() && r.liveness.is_none())
    );
    // The same compaction believing nothing is outside would purge it (the check matters).
    let careless = compact(
        &dir,
        &[delete.clone(), unrelated.clone()],
        now,
        None,
        &NoOverlap,
    );
    assert!(outputs(&dir, &careless).iter().all(|p| p.key != key()));
    // Outside data only *newer* than the tombstone does not block the purge.
    let newer = write(&dir, 4, vec![data(50)]);
    let oracle = OutsideData {
        sstables: vec![newer],
        memtable_min_timestamp: None,
    };
    let out = compact(
        &dir,
        &[delete.clone(), unrelated.clone()],
        now,
        None,
        &oracle,
    );
    assert!(outputs(&dir, &out).iter().all(|p| p.key != key()));
    // An older memtable blocks the purge too.
    let oracle = OutsideData {
        sstables: Vec::new(),
        memtable_min_timestamp: Some(0),
    };
    let out = compact(&dir, &[delete, unrelated], now, None, &oracle);
    assert!(outputs(&dir, &out).iter().any(|p| p.key == key()));
}

#[test]
fn outputs_are_split_at_the_target_size_in_token_order() {
    let dir = Env::real();
    let parts: Vec<Partition> = (0..40u32)
        .map(|i| {
            let update = PartitionUpdate::new(
                Default::default(),
                PartitionKey::new(i.to_be_bytes().to_vec()),
            )
            .with_row(Row::new(ck(1)).with_cell(Cell::live(0, 1, vec![7u8; 100])));
            Partition::from_update(&update)
        })
        .collect();
    let (a, b) = parts.split_at(20);
    let inputs = [write(&dir, 1, a.to_vec()), write(&dir, 2, b.to_vec())];
    let out = compact(&dir, &inputs, 0, Some(1_000), &NoOverlap);
    assert!(out.outputs.len() >= 3, "{} outputs", out.outputs.len());
    let mut last: Option<PartitionKey> = None;
    for w in &out.outputs {
        let ps = read_all(Arc::new(
            SsTableReader::open(dir.fs.as_ref(), w.descriptor.clone()).unwrap(),
        ));
        for p in ps {
            assert!(last.as_ref().is_none_or(|l| *l < p.key));
            last = Some(p.key);
        }
    }
    assert_eq!(out.partitions_written, 40);
}

#[test]
fn twcs_drops_a_real_expired_sstable_from_its_stats() {
    let dir = Env::real();
    let update = PartitionUpdate::new(Default::default(), key()).with_row(
        Row::new(ck(1))
            .with_liveness(LivenessInfo::expiring(1_000_000, 60, 1))
            .with_cell(Cell::expiring(
                0,
                1_000_000,
                Bytes::from_static(b"v"),
                60,
                1,
            )),
    );
    let expiring = write(&dir, 1, vec![Partition::from_update(&update)]);
    let live_data = write(&dir, 2, vec![other(5_000_000)]);
    let live: Vec<SsTableInfo> = [&expiring, &live_data]
        .iter()
        .map(|r| SsTableInfo::from_stats(r.descriptor().generation, 1, r.stats(), 0))
        .collect();
    assert!(!live[0].has_non_expiring_data);
    let ctx = |now_s| ChoiceContext {
        now_s,
        gc_grace_s: u64::from(GRACE_S),
        memtable_min_timestamp: None,
    };
    let s = TimeWindowStrategy::default();
    let c = s.choose(&live, &ctx(61 + u64::from(GRACE_S) + 1)).unwrap();
    assert_eq!((c.inputs, c.kind), (vec![1], ChoiceKind::DropExpired));
    assert_eq!(s.choose(&live, &ctx(61 + u64::from(GRACE_S) - 1)), None);
}

fn numbered(count: u32, value_bytes: usize) -> Vec<Partition> {
    (0..count)
        .map(|i| {
            let key = PartitionKey::new(i.to_be_bytes().to_vec());
            let row = Row::new(ck(1)).with_cell(Cell::live(0, 1, vec![7u8; value_bytes]));
            Partition::from_update(&PartitionUpdate::new(Default::default(), key).with_row(row))
        })
        .collect()
}

#[test]
fn a_corrupt_input_fails_the_merge_and_leaves_no_outputs() {
    let dir = Env::real();
    let desc = Descriptor::new(dir.path(), 1);
    let mut w = SsTableWriter::create(Arc::clone(&dir.fs), desc.clone(), small_options()).unwrap();
    let mut parts = numbered(60, 200);
    parts.sort_by(|a, b| a.key.cmp(&b.key));
    for p in &parts {
        w.append(p).unwrap();
    }
    w.finish().unwrap();
    let data_path = desc.path(crate::sstable::format::Component::Data);
    let mut bytes = std::fs::read(&data_path).unwrap();
    let at = bytes.len() * 3 / 4;
    bytes[at] ^= 0x55;
    std::fs::write(&data_path, &bytes).unwrap();
    let reader = Arc::new(SsTableReader::open(dir.fs.as_ref(), desc).unwrap());
    let spec = MergeSpec {
        fs: Arc::clone(&dir.fs),
        output_dir: dir.path().to_path_buf(),
        writer: small_options(),
        max_output_bytes: Some(1_000),
        now_s: 0,
        gc_grace_s: GRACE_S,
    };
    let mut generation = 100;
    let mut next = || {
        generation += 1;
        generation
    };
    let mut throttle = Throttle::new(0, StdThrottleClock::new());
    let err = run_compaction(&[reader], &spec, &mut next, &NoOverlap, &mut throttle).unwrap_err();
    assert!(err.is_corruption(), "{err}");
    assert!(
        generation > 101,
        "some outputs were written before the damage"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.starts_with("sb-1-")), "{names:?}");
}

/// A clock that only moves when slept on.
#[derive(Debug, Default)]
struct FakeClock(std::cell::Cell<std::time::Duration>);

impl ThrottleClock for FakeClock {
    fn elapsed(&self) -> std::time::Duration {
        self.0.get()
    }
    fn sleep(&self, d: std::time::Duration) {
        self.0.set(self.0.get() + d);
    }
}

#[test]
fn merges_are_paced_by_the_throttle() {
    let dir = Env::real();
    let parts = numbered(30, 100_000);
    let (a, b) = parts.split_at(15);
    let inputs = [write(&dir, 1, a.to_vec()), write(&dir, 2, b.to_vec())];
    let spec = MergeSpec {
        fs: Arc::clone(&dir.fs),
        output_dir: dir.path().to_path_buf(),
        writer: small_options(),
        max_output_bytes: None,
        now_s: 0,
        gc_grace_s: GRACE_S,
    };
    let mut next = || 50;
    let mut throttle = Throttle::new(1, FakeClock::default());
    let out = run_compaction(&inputs, &spec, &mut next, &NoOverlap, &mut throttle).unwrap();
    // About 3 MB of Data at 1 MiB/s, the first MiB free: roughly 1.9 s of sleep.
    let slept = throttle.clock().elapsed().as_secs_f64();
    let written = out.outputs[0].stats.partition_count;
    assert_eq!(written, 30);
    assert!((1.5..2.5).contains(&slept), "slept {slept}");
}

#[test]
fn strategy_choice_on_real_sstables_then_merge() {
    let dir = Env::real();
    let parts = numbered(40, 50);
    let readers: Vec<Arc<SsTableReader>> = parts
        .chunks(10)
        .enumerate()
        .map(|(i, c)| write(&dir, i as u64 + 1, c.to_vec()))
        .collect();
    let live: Vec<SsTableInfo> = readers
        .iter()
        .map(|r| SsTableInfo::from_reader(r, 0, 0))
        .collect();
    assert!(
        live.iter()
            .all(|t| t.size_bytes > 0 && t.min_token <= t.max_token)
    );
    let ctx = ChoiceContext {
        now_s: 0,
        gc_grace_s: u64::from(GRACE_S),
        memtable_min_timestamp: None,
    };
    let choice = crate::compaction::SizeTieredStrategy::default()
        .choose(&live, &ctx)
        .unwrap();
    let major = crate::compaction::major_compaction(&live, 0, None).unwrap();
    let mut chosen = choice.inputs.clone();
    chosen.sort_unstable();
    assert_eq!(
        chosen, major.inputs,
        "four small tables: one bucket holds them all"
    );
    assert_eq!((choice.output_level, choice.kind), (0, ChoiceKind::Merge));
    let (inputs, outside) = split_for_choice(&readers, &choice.inputs, None).unwrap();
    assert!(outside.sstables.is_empty());
    assert_eq!(inputs.len(), 4);
    assert!(split_for_choice(&readers, &[99], None).is_err());
    let out = compact(&dir, &inputs, 0, choice.max_output_bytes, &outside);
    let mut expected = parts;
    expected.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(outputs(&dir, &out), expected);
}

#[test]
fn empty_or_repeated_inputs_are_rejected() {
    let dir = Env::real();
    let a = write(&dir, 1, numbered(2, 10));
    let spec = MergeSpec {
        fs: Arc::clone(&dir.fs),
        output_dir: dir.path().to_path_buf(),
        writer: small_options(),
        max_output_bytes: None,
        now_s: 0,
        gc_grace_s: GRACE_S,
    };
    let mut next = || 9;
    let mut throttle = Throttle::new(0, StdThrottleClock::new());
    for inputs in [vec![], vec![Arc::clone(&a), a]] {
        let err = run_compaction(&inputs, &spec, &mut next, &NoOverlap, &mut throttle).unwrap_err();
        assert!(
            matches!(err, crate::sstable::error::SsTableError::InvalidInput(_)),
            "{err}"
        );
    }
}
