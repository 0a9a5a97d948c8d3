//! Goal: each strategy's choice matches Cassandra's rules. Method: table-driven cases over
//! hand-built `SsTableInfo`s; no files, no clock.

use std::collections::BTreeMap;

use crate::compaction::{
    ChoiceContext, ChoiceKind, CompactionStrategy, LeveledStrategy, OptionsError,
    SizeTieredStrategy, SsTableInfo, TimeWindowStrategy, strategy_from_options,
};

const MIB: u64 = 1024 * 1024;
const DAY_US: i64 = 86_400_000_000;

fn info(generation: u64, size_bytes: u64) -> SsTableInfo {
    SsTableInfo {
        generation,
        size_bytes,
        level: 0,
        min_token: -100,
        max_token: 100,
        min_timestamp: 0,
        max_timestamp: 10,
        min_local_deletion_time_s: None,
        max_local_deletion_time_s: None,
        has_non_expiring_data: true,
        tombstone_count: 0,
        cell_count: 100,
        created_at_s: 0,
        compacting: false,
    }
}

fn ctx(now_s: u64) -> ChoiceContext {
    ChoiceContext {
        now_s,
        gc_grace_s: 864_000,
        memtable_min_timestamp: None,
    }
}

fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

#[test]
fn stcs_buckets_by_similar_size() {
    let s = SizeTieredStrategy::default();
    // (sizes in MiB, expected chosen generations; generation = index + 1)
    let cases: &[(&[u64], Option<&[u64]>)] = &[
        (&[100, 100, 100], None),
        (&[100, 100, 100, 100], Some(&[1, 2, 3, 4])),
        // 100,110,120,130 fit one bucket (avg*0.5 < s < avg*1.5); 1000 does not.
        (&[100, 110, 120, 130, 1000], Some(&[1, 2, 3, 4])),
        // Two buckets of 4: the smaller average wins.
        (
            &[100, 100, 100, 100, 1000, 1000, 1000, 1000],
            Some(&[1, 2, 3, 4]),
        ),
        // Small tables (< 50 MiB) share a bucket whatever their ratio.
        (&[1, 2, 10, 40], Some(&[1, 2, 3, 4])),
        // 100 and 200: 200 >= 100 * 1.5, so separate buckets.
        (&[100, 200, 100, 200, 100, 200], None),
    ];
    for (sizes, expected) in cases {
        let live: Vec<SsTableInfo> = sizes
            .iter()
            .enumerate()
            .map(|(i, s)| info(i as u64 + 1, s * MIB))
            .collect();
        let got = s.choose(&live, &ctx(0)).map(|c| sorted(c.inputs));
        assert_eq!(got.as_deref(), *expected, "sizes {sizes:?}");
    }
}

#[test]
fn stcs_honours_thresholds_and_skips_compacting() {
    let s =
        SizeTieredStrategy::from_options(&opts(&[("min_threshold", "2"), ("max_threshold", "3")]))
            .unwrap();
    let mut live: Vec<SsTableInfo> = (1..=5).map(|g| info(g, 100 * MIB + g)).collect();
    let c = s.choose(&live, &ctx(0)).unwrap();
    assert_eq!(
        sorted(c.inputs),
        vec![1, 2, 3],
        "trimmed to max_threshold, smallest first"
    );
    assert_eq!(c.kind, ChoiceKind::Merge);
    for t in &mut live[..4] {
        t.compacting = true;
    }
    assert_eq!(
        s.choose(&live, &ctx(0)),
        None,
        "one free table is below min_threshold"
    );
}

#[test]
fn stcs_single_table_tombstone_compaction() {
    let s = SizeTieredStrategy::default();
    let now = 10 * 86_400 * 365;
    let mut t = info(7, 500 * MIB);
    t.tombstone_count = 50;
    t.min_local_deletion_time_s = Some(1_000);
    t.max_local_deletion_time_s = Some(2_000);
    t.created_at_s = now - 2 * 86_400;
    let c = s.choose(&[t.clone()], &ctx(now)).unwrap();
    assert_eq!(c.inputs, vec![7]);
    // Too young for tombstone_compaction_interval (one day by default).
    let mut young = t.clone();
    young.created_at_s = now - 3_600;
    assert_eq!(s.choose(&[young], &ctx(now)), None);
    // Ratio at or below the threshold (0.2).
    let mut few = t.clone();
    few.tombstone_count = 20;
    assert_eq!(s.choose(&[few], &ctx(now)), None);
    // Tombstones not yet past gc grace.
    assert_eq!(s.choose(&[t.clone()], &ctx(2_000)), None);
    // A table overlapping the whole token range: the tombstones may shadow its data.
    let mut other = info(8, 5 * MIB);
    other.has_non_expiring_data = true;
    assert_eq!(s.choose(&[t.clone(), other.clone()], &ctx(now)), None);
    // ... unless unchecked.
    let unchecked =
        SizeTieredStrategy::from_options(&opts(&[("unchecked_tombstone_compaction", "true")]))
            .unwrap();
    let c = unchecked.choose(&[t, other], &ctx(now)).unwrap();
    assert_eq!(c.inputs, vec![7]);
}

fn kind(e: &OptionsError) -> String {
    match e {
        OptionsError::UnknownClass(_) => "class".into(),
        OptionsError::UnknownOptions(..) => "unknown".into(),
        OptionsError::Unparsable { key, .. } => format!("parse {key}"),
        OptionsError::OutOfRange { key, .. } => format!("range {key}"),
    }
}

type Pairs = &'static [(&'static str, &'static str)];

#[test]
fn bad_options_are_typed_errors() {
    const LCS: (&str, &str) = ("class", "LeveledCompactionStrategy");
    const TWCS: (&str, &str) = ("class", "TimeWindowCompactionStrategy");
    let bad: &[(Pairs, &str)] = &[
        (&[("min_threshold", "1")], "range min_threshold"),
        (
            &[("min_threshold", "8"), ("max_threshold", "4")],
            "range max_threshold",
        ),
        (&[("bucket_low", "x")], "parse bucket_low"),
        (
            &[("bucket_low", "1.5"), ("bucket_high", "1.5")],
            "range bucket_high",
        ),
        (&[("min_sstable_size", "-1")], "range min_sstable_size"),
        (
            &[("tombstone_threshold", "-0.1")],
            "range tombstone_threshold",
        ),
        (
            &[("unchecked_tombstone_compaction", "yes")],
            "parse unchecked_tombstone_compaction",
        ),
        (&[("sstable_size_in_mb", "10")], "unknown"),
        (&[("class", "DateTieredCompactionStrategy")], "class"),
        (
            &[LCS, ("sstable_size_in_mb", "0")],
            "range sstable_size_in_mb",
        ),
        (&[LCS, ("fanout_size", "1")], "range fanout_size"),
        (
            &[TWCS, ("compaction_window_unit", "WEEKS")],
            "range compaction_window_unit",
        ),
        (
            &[TWCS, ("compaction_window_size", "0")],
            "range compaction_window_size",
        ),
        (
            &[TWCS, ("timestamp_resolution", "DAYS")],
            "range timestamp_resolution",
        ),
    ];
    for (pairs, expected) in bad {
        let err = strategy_from_options(&opts(pairs)).unwrap_err();
        assert_eq!(kind(&err), *expected, "{pairs:?} gave {err}");
    }
}

#[test]
fn good_options_parse() {
    let good: &[Pairs] = &[
        &[],
        &[
            (
                "class",
                "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy",
            ),
            ("enabled", "true"),
        ],
        &[
            ("class", "LeveledCompactionStrategy"),
            ("sstable_size_in_mb", "64"),
            ("fanout_size", "8"),
        ],
        &[
            ("class", "TimeWindowCompactionStrategy"),
            ("compaction_window_unit", "hours"),
            ("compaction_window_size", "6"),
            ("timestamp_resolution", "MILLISECONDS"),
            ("unsafe_aggressive_sstable_expiration", "true"),
            ("tombstone_threshold", "0.3"),
            ("tombstone_compaction_interval", "3600"),
        ],
    ];
    for pairs in good {
        assert!(strategy_from_options(&opts(pairs)).is_ok(), "{pairs:?}");
    }
    let lcs = LeveledStrategy::from_options(&opts(good[2])).unwrap();
    assert_eq!(
        (lcs.levels.sstable_size_bytes, lcs.levels.fanout),
        (64 * MIB, 8)
    );
    assert_eq!(lcs.levels.max_bytes_for_level(2), 64 * 64 * MIB);
    let twcs = TimeWindowStrategy::from_options(&opts(good[3])).unwrap();
    assert_eq!(
        (twcs.windows.window_s, twcs.windows.units_per_s),
        (6 * 3_600, 1_000)
    );
    assert!((twcs.common.tombstone_threshold - 0.3).abs() < f64::EPSILON);
}

fn twcs_table(generation: u64, day: i64, size_mib: u64) -> SsTableInfo {
    let mut t = info(generation, size_mib * MIB);
    t.min_timestamp = day * DAY_US;
    t.max_timestamp = day * DAY_US + 3_600_000_000;
    t
}

#[test]
fn twcs_windows_newest_by_stcs_older_into_one() {
    let s = TimeWindowStrategy::default();
    // Newest window (day 10) has 3 tables: below min_threshold, so the older window with
    // two tables (day 8) is merged into one.
    let live = vec![
        twcs_table(1, 8, 10),
        twcs_table(2, 8, 500),
        twcs_table(3, 9, 10),
        twcs_table(4, 10, 1),
        twcs_table(5, 10, 1),
        twcs_table(6, 10, 1),
    ];
    let c = s.choose(&live, &ctx(0)).unwrap();
    assert_eq!((sorted(c.inputs), c.kind), (vec![1, 2], ChoiceKind::Merge));
    // A fourth table in the newest window: STCS there comes first.
    let mut live = live;
    live.push(twcs_table(7, 10, 1));
    let c = s.choose(&live, &ctx(0)).unwrap();
    assert_eq!(sorted(c.inputs), vec![4, 5, 6, 7]);
    // One table per window: nothing to do.
    let one_each: Vec<SsTableInfo> = (1..=5).map(|d| twcs_table(d as u64, d, 10)).collect();
    assert_eq!(s.choose(&one_each, &ctx(0)), None);
}

#[test]
fn twcs_window_arithmetic() {
    let s = TimeWindowStrategy::from_options(&opts(&[
        ("compaction_window_unit", "HOURS"),
        ("compaction_window_size", "6"),
        ("timestamp_resolution", "MILLISECONDS"),
    ]))
    .unwrap();
    let w = &s.windows;
    assert_eq!(w.window_of(0), 0);
    assert_eq!(w.window_of(6 * 3_600_000 - 1), 0);
    assert_eq!(w.window_of(6 * 3_600_000), 6 * 3_600);
    assert_eq!(w.window_of(-1), -6 * 3_600, "negative timestamps floor");
}

fn expired_table(generation: u64, day: i64) -> SsTableInfo {
    let mut t = twcs_table(generation, day, 10);
    t.has_non_expiring_data = false;
    // TTL'd cells expiring at the end of that day (seconds).
    t.min_local_deletion_time_s = Some((day + 1) * 86_400 - 10);
    t.max_local_deletion_time_s = Some((day + 1) * 86_400);
    t
}

#[test]
fn twcs_drops_fully_expired_tables_unread() {
    let s = TimeWindowStrategy::default();
    let grace = 864_000_u64;
    let now = 30 * 86_400 + grace;
    let live = vec![
        expired_table(1, 2),
        expired_table(2, 3),
        twcs_table(3, 25, 10),
    ];
    let c = s.choose(&live, &ctx(now)).unwrap();
    assert_eq!(
        (sorted(c.inputs), c.kind),
        (vec![1, 2], ChoiceKind::DropExpired)
    );
    // Not past gc grace yet: nothing dropped.
    assert_ne!(
        s.choose(&live, &ctx(3 * 86_400 + grace - 1))
            .map(|c| c.kind),
        Some(ChoiceKind::DropExpired)
    );
    // Older data elsewhere (overlapping by token) blocks the drop: the expired table's
    // tombstones may shadow it.
    let mut old = twcs_table(4, 1, 10);
    old.min_timestamp = 0;
    let blocked = vec![expired_table(1, 2), old.clone()];
    assert_eq!(s.choose(&blocked, &ctx(now)), None);
    // Older data in a memtable blocks it too.
    let mut with_memtable = ctx(now);
    with_memtable.memtable_min_timestamp = Some(0);
    assert_eq!(s.choose(&[expired_table(1, 2)], &with_memtable), None);
    // Aggressive expiration ignores overlaps.
    let aggressive = TimeWindowStrategy::from_options(&opts(&[(
        "unsafe_aggressive_sstable_expiration",
        "true",
    )]))
    .unwrap();
    let c = aggressive.choose(&blocked, &ctx(now)).unwrap();
    assert_eq!((c.inputs, c.kind), (vec![1], ChoiceKind::DropExpired));
}

fn lcs_table(generation: u64, level: u32, tokens: (i64, i64), size_mib: u64) -> SsTableInfo {
    let mut t = info(generation, size_mib * MIB);
    t.level = level;
    (t.min_token, t.max_token) = tokens;
    t.created_at_s = generation;
    t
}

#[test]
fn lcs_l0_to_l1_with_overlapping_l1() {
    let s = LeveledStrategy::default();
    let mut live: Vec<SsTableInfo> = (1..=3).map(|g| lcs_table(g, 0, (0, 50), 10)).collect();
    live.push(lcs_table(10, 1, (-100, -1), 160));
    live.push(lcs_table(11, 1, (40, 90), 160));
    live.push(lcs_table(12, 1, (91, 200), 160));
    assert_eq!(s.choose(&live, &ctx(0)), None, "three L0 tables wait");
    live.push(lcs_table(4, 0, (10, 60), 10));
    let c = s.choose(&live, &ctx(0)).unwrap();
    assert_eq!(sorted(c.inputs), vec![1, 2, 3, 4, 11]);
    assert_eq!(c.output_level, 1);
    assert_eq!(c.max_output_bytes, Some(160 * MIB));
    // A compacting L1 overlap blocks the L0 compaction (no double use).
    // An L1 table between two L0 ranges is inside the span the outputs cover.
    let mut gap = live.clone();
    gap.push(lcs_table(13, 1, (1_000, 2_000), 160));
    gap.push(lcs_table(5, 0, (3_000, 3_100), 10));
    let c = s.choose(&gap, &ctx(0)).unwrap();
    assert_eq!(sorted(c.inputs), vec![1, 2, 3, 4, 5, 11, 12, 13]);
    // Cassandra then falls back to STCS inside L0.
    live[4].compacting = true;
    let c = s.choose(&live, &ctx(0)).unwrap();
    assert_eq!((sorted(c.inputs), c.output_level), (vec![1, 2, 3, 4], 0));
}

#[test]
fn lcs_promotes_an_overfull_level_by_overlap() {
    let s = LeveledStrategy::default();
    // L1 budget is 10 x 160 MiB; 11 tables of 160 MiB overflow it.
    let mut live: Vec<SsTableInfo> = (0..11)
        .map(|i| lcs_table(100 + i, 1, (i as i64 * 100, i as i64 * 100 + 99), 160))
        .collect();
    live.push(lcs_table(200, 2, (50, 150), 160));
    live.push(lcs_table(201, 2, (151, 250), 160));
    live.push(lcs_table(202, 2, (5_000, 6_000), 160));
    let c = s.choose(&live, &ctx(0)).unwrap();
    // The oldest L1 table (100: tokens 0..99) with its L2 overlap (200).
    assert_eq!((sorted(c.inputs), c.output_level), (vec![100, 200], 2));
    // Higher levels first: an overfull L2 wins over L1.
    for i in 0..101 {
        live.push(lcs_table(
            1_000 + i,
            2,
            (10_000 + i as i64 * 10, 10_005 + i as i64 * 10),
            160,
        ));
    }
    let c = s.choose(&live, &ctx(0)).unwrap();
    assert_eq!(c.output_level, 3);
}

#[test]
fn lcs_backed_up_l0_falls_back_to_stcs() {
    let s = LeveledStrategy::default();
    let live: Vec<SsTableInfo> = (1..=33).map(|g| lcs_table(g, 0, (0, 100), 1)).collect();
    let c = s.choose(&live, &ctx(0)).unwrap();
    assert_eq!(c.output_level, 0);
    assert_eq!(c.inputs.len(), 32, "STCS bucket trimmed to max_threshold");
    assert_eq!(c.max_output_bytes, None);
}
