//! Property tests: merging is commutative, associative and idempotent, and
//! range tombstone normalisation keeps the pointwise newest deletion.

use proptest::prelude::*;

use crate::model::cell::DeletionTime;
use crate::model::reconcile::{
    apply_update, covering_deletion, merge_partitions, merge_range_tombstones, reconcile_cells,
};
use crate::model::testing;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// A counter column holds only counters and tombstones (module docs),
    /// so triples are all regular or all counter-column cells.
    #[test]
    fn cells_commutative_associative((a, b, c) in prop_oneof![
        (testing::regular_cell(), testing::regular_cell(), testing::regular_cell()),
        (testing::counter_cell(), testing::counter_cell(), testing::counter_cell()),
    ]) {
        // Same column and path for all three.
        let b = crate::model::cell::Cell { column: a.column, path: a.path.clone(), ..b };
        let c = crate::model::cell::Cell { column: a.column, path: a.path.clone(), ..c };
        prop_assert_eq!(reconcile_cells(&a, &b), reconcile_cells(&b, &a));
        prop_assert_eq!(
            reconcile_cells(&reconcile_cells(&a, &b), &c),
            reconcile_cells(&a, &reconcile_cells(&b, &c))
        );
        prop_assert_eq!(reconcile_cells(&a, &a), a);
    }

    #[test]
    fn partitions_commutative(a in testing::partition(), b in testing::partition()) {
        prop_assert_eq!(merge_partitions(&a, &b), merge_partitions(&b, &a));
    }

    #[test]
    fn partitions_associative(a in testing::partition(), b in testing::partition(),
                              c in testing::partition()) {
        prop_assert_eq!(
            merge_partitions(&merge_partitions(&a, &b), &c),
            merge_partitions(&a, &merge_partitions(&b, &c))
        );
    }

    #[test]
    fn partitions_idempotent(a in testing::partition(), u in testing::update()) {
        prop_assert_eq!(merge_partitions(&a, &a), a.clone());
        let once = apply_update(a, &u);
        prop_assert_eq!(apply_update(once.clone(), &u), once.clone());
        prop_assert!(once.check().is_ok());
    }

    #[test]
    fn range_tombstones_pointwise_max(
        rts in proptest::collection::vec(testing::range_tombstone(), 0..6),
        floor in prop_oneof![Just(DeletionTime::LIVE), testing::deletion()],
        keys in proptest::collection::vec(testing::clustering(), 1..12),
    ) {
        let merged = merge_range_tombstones(&rts, floor);
        for key in &keys {
            let expected = rts
                .iter()
                .filter(|rt| rt.slice.contains(key) && rt.deletion.supersedes(&floor))
                .fold(DeletionTime::LIVE, |acc, rt| acc.max(rt.deletion));
            prop_assert_eq!(covering_deletion(&merged, key), expected, "key {:?}", key);
        }
        for pair in merged.windows(2) {
            prop_assert!(pair[0].slice.end.cmp_position(&pair[1].slice.start).is_le());
        }
    }
}
