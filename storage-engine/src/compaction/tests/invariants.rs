//! Goal: whatever the live set, every strategy's choice is well formed and safe. Method:
//! proptest over random `SsTableInfo` sets (sizes, levels, token ranges, timestamps,
//! expiry, compacting flags), checking invariants rather than exact picks.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::compaction::{
    ChoiceContext, ChoiceKind, CompactionChoice, CompactionStrategy, LeveledStrategy,
    SizeTieredStrategy, SsTableInfo, TimeWindowStrategy,
};

const MIB: u64 = 1024 * 1024;
const DAY_US: i64 = 86_400_000_000;

fn table() -> impl Strategy<Value = SsTableInfo> {
    (
        (1u64..400, 0u32..3, -50i64..50, 0i64..60),
        (0i64..30, 0i64..3, prop::option::of(0i64..40), any::<bool>()),
        (0u64..100, 0u64..40, any::<bool>()),
    )
        .prop_map(|(a, b, c)| {
            let (size_mib, level, token, token_width) = a;
            let (day, span_days, max_ldt_day, non_expiring) = b;
            let (tombstones, created_day, compacting) = c;
            SsTableInfo {
                generation: 0,
                size_bytes: size_mib * MIB,
                level,
                min_token: token,
                max_token: token + token_width,
                min_timestamp: day * DAY_US,
                max_timestamp: (day + span_days) * DAY_US,
                min_local_deletion_time_s: max_ldt_day.map(|d| (d - 1) * 86_400),
                max_local_deletion_time_s: max_ldt_day.map(|d| d * 86_400),
                has_non_expiring_data: non_expiring || max_ldt_day.is_none(),
                tombstone_count: tombstones,
                cell_count: 100,
                created_at_s: created_day * 86_400,
                compacting,
            }
        })
}

fn live_set() -> impl Strategy<Value = Vec<SsTableInfo>> {
    vec(table(), 0..40).prop_map(|mut v| {
        for (i, t) in v.iter_mut().enumerate() {
            t.generation = i as u64 + 1;
        }
        v
    })
}

/// Keeps a valid leveled state: tables of a level >= 1 do not overlap each other.
fn leveled(live: Vec<SsTableInfo>) -> Vec<SsTableInfo> {
    let mut kept: Vec<SsTableInfo> = Vec::new();
    for t in live {
        let clash = t.level >= 1 && kept.iter().any(|k| k.level == t.level && k.overlaps(&t));
        if !clash {
            kept.push(t);
        }
    }
    kept
}

fn check_common(c: &CompactionChoice, live: &[SsTableInfo]) -> Result<(), TestCaseError> {
    prop_assert!(!c.inputs.is_empty());
    let mut sorted = c.inputs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    prop_assert_eq!(sorted.len(), c.inputs.len(), "distinct inputs");
    for g in &c.inputs {
        let t = live.iter().find(|t| t.generation == *g);
        prop_assert!(
            t.is_some_and(|t| !t.compacting),
            "input {} free and live",
            g
        );
    }
    Ok(())
}

fn check_drop(
    c: &CompactionChoice,
    live: &[SsTableInfo],
    ctx: &ChoiceContext,
) -> Result<(), TestCaseError> {
    let dropped: Vec<&SsTableInfo> = live
        .iter()
        .filter(|t| c.inputs.contains(&t.generation))
        .collect();
    for t in &dropped {
        prop_assert!(!t.has_non_expiring_data);
        prop_assert!(t.max_local_deletion_time_s.unwrap() < ctx.gc_before_s());
        // Nothing that stays, overlaps it and holds live data (a table whose content is
        // all dead past gc grace cannot show anything) is as old as its newest.
        let constructive = |o: &SsTableInfo| {
            o.has_non_expiring_data
                || o.max_local_deletion_time_s
                    .is_none_or(|m| m >= ctx.gc_before_s())
        };
        for other in live
            .iter()
            .filter(|o| !c.inputs.contains(&o.generation) && constructive(o))
        {
            prop_assert!(!other.overlaps(t) || t.max_timestamp < other.min_timestamp);
        }
        prop_assert!(
            ctx.memtable_min_timestamp
                .is_none_or(|m| t.max_timestamp < m)
        );
    }
    Ok(())
}

fn ctx(now_day: u64, memtable: Option<i64>) -> ChoiceContext {
    ChoiceContext {
        now_s: now_day * 86_400,
        gc_grace_s: 864_000,
        memtable_min_timestamp: memtable,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn stcs_choices_are_well_formed(live in live_set(), now in 0u64..60) {
        let s = SizeTieredStrategy::default();
        if let Some(c) = s.choose(&live, &ctx(now, None)) {
            check_common(&c, &live)?;
            prop_assert_eq!(c.kind, ChoiceKind::Merge);
            prop_assert!(c.inputs.len() == 1 || c.inputs.len() >= 4);
            prop_assert!(c.inputs.len() <= 32);
        }
    }

    #[test]
    fn twcs_drops_only_safely(
        live in live_set(),
        now in 0u64..60,
        memtable in prop::option::of(0i64..40 * DAY_US),
    ) {
        let s = TimeWindowStrategy::default();
        let ctx = ctx(now, memtable);
        if let Some(c) = s.choose(&live, &ctx) {
            check_common(&c, &live)?;
            if c.kind == ChoiceKind::DropExpired {
                check_drop(&c, &live, &ctx)?;
            }
        }
    }

    #[test]
    fn lcs_outputs_never_overlap_their_level(live in live_set(), now in 0u64..60) {
        let live = leveled(live);
        let s = LeveledStrategy::default();
        if let Some(c) = s.choose(&live, &ctx(now, None)) {
            check_common(&c, &live)?;
            let inputs: Vec<&SsTableInfo> =
                live.iter().filter(|t| c.inputs.contains(&t.generation)).collect();
            if c.output_level >= 1 && inputs.len() > 1 {
                let lo = inputs.iter().map(|t| t.min_token).min().unwrap();
                let hi = inputs.iter().map(|t| t.max_token).max().unwrap();
                for other in live.iter().filter(|t| t.level == c.output_level) {
                    let inside = c.inputs.contains(&other.generation);
                    prop_assert!(
                        inside || other.max_token < lo || other.min_token > hi,
                        "table {} in level {} overlaps the output span", other.generation, c.output_level
                    );
                }
            }
        }
    }
}
