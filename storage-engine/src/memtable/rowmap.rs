//! The rows of one memtable partition, ordered by clustering key.
//!
//! Most partitions of key/value tables hold one row, and a `BTreeMap` with one entry
//! still allocates a whole leaf node (eleven slots of key and row, about 1.8 KiB), so a
//! million one-row partitions took gigabytes. A [`RowMap`] keeps a single row inline
//! and turns into a `BTreeMap` at the second one. Invariant: `One(row)` holds a
//! non-empty map of exactly that row at `row.clustering`; `Many` keys equal their
//! rows' clusterings.

use std::collections::BTreeMap;
use std::collections::btree_map;
use std::ops::{Bound, RangeBounds};

use crate::model::{ClusteringKey, Row};

/// A partition's rows.
#[derive(Debug, Default)]
pub(super) enum RowMap {
    /// No row.
    #[default]
    Empty,
    /// Exactly one row.
    One(Row),
    /// Two or more rows (or fewer after removals).
    Many(BTreeMap<ClusteringKey, Row>),
}

impl RowMap {
    /// True when no row is held.
    pub(super) fn is_empty(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::One(_) => false,
            Self::Many(map) => map.is_empty(),
        }
    }

    /// The row at `key`, mutable.
    pub(super) fn get_mut(&mut self, key: &ClusteringKey) -> Option<&mut Row> {
        match self {
            Self::Empty => None,
            Self::One(row) => (row.clustering == *key).then_some(row),
            Self::Many(map) => map.get_mut(key),
        }
    }

    /// Removes and returns the row at `key`.
    pub(super) fn remove(&mut self, key: &ClusteringKey) -> Option<Row> {
        match self {
            Self::Empty => None,
            Self::One(row) if row.clustering == *key => match std::mem::take(self) {
                Self::One(row) => Some(row),
                _ => None,
            },
            Self::One(_) => None,
            Self::Many(map) => map.remove(key),
        }
    }

    /// Inserts `row` (its clustering is the key), replacing a row at the same key.
    pub(super) fn insert(&mut self, row: Row) {
        match self {
            Self::Empty => *self = Self::One(row),
            Self::One(existing) if existing.clustering == row.clustering => *existing = row,
            Self::One(_) => {
                let Self::One(first) = std::mem::take(self) else {
                    return;
                };
                let mut map = BTreeMap::new();
                map.insert(first.clustering.clone(), first);
                map.insert(row.clustering.clone(), row);
                *self = Self::Many(map);
            }
            Self::Many(map) => {
                map.insert(row.clustering.clone(), row);
            }
        }
    }

    /// Every row, in order.
    pub(super) fn values(&self) -> Values<'_> {
        Values(match self {
            Self::Empty => Inner::One(None.into_iter()),
            Self::One(row) => Inner::One(Some(row).into_iter()),
            Self::Many(map) => Inner::Many(map.values()),
        })
    }

    /// The rows with keys in `range`, in order (walkable from either end).
    pub(super) fn range(
        &self,
        range: (Bound<ClusteringKey>, Bound<ClusteringKey>),
    ) -> impl DoubleEndedIterator<Item = &Row> + '_ {
        let (one, many) = match self {
            Self::Empty => (None, None),
            Self::One(row) => (range.contains(&row.clustering).then_some(row), None),
            Self::Many(map) => (None, Some(map.range(range).map(|(_, r)| r))),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// Takes every row out, in order.
    pub(super) fn take_all(&mut self) -> Vec<Row> {
        match std::mem::take(self) {
            Self::Empty => Vec::new(),
            Self::One(row) => vec![row],
            Self::Many(map) => map.into_values().collect(),
        }
    }
}

#[derive(Debug, Clone)]
enum Inner<'a> {
    One(std::option::IntoIter<&'a Row>),
    Many(btree_map::Values<'a, ClusteringKey, Row>),
}

/// The rows of a memtable partition in clustering order, borrowed (what flush encodes).
#[derive(Debug, Clone)]
pub struct Values<'a>(Inner<'a>);

impl<'a> Iterator for Values<'a> {
    type Item = &'a Row;

    fn next(&mut self) -> Option<&'a Row> {
        match &mut self.0 {
            Inner::One(it) => it.next(),
            Inner::Many(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            Inner::One(it) => it.size_hint(),
            Inner::Many(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Values<'_> {}

impl DoubleEndedIterator for Values<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Inner::One(it) => it.next_back(),
            Inner::Many(it) => it.next_back(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(k: u8) -> Row {
        Row::new(ClusteringKey::new(vec![k])).with_cell(crate::model::Cell::live(1, 1, vec![k]))
    }

    #[test]
    fn one_row_inline_then_a_map_in_order() {
        let mut m = RowMap::default();
        assert!(m.is_empty() && m.values().len() == 0);
        m.insert(row(5));
        assert!(matches!(m, RowMap::One(_)));
        m.insert(row(5));
        assert!(matches!(m, RowMap::One(_)), "same key replaces");
        m.insert(row(2));
        m.insert(row(9));
        let keys: Vec<u8> = m.values().map(|r| r.clustering.as_bytes()[0]).collect();
        assert_eq!(keys, vec![2, 5, 9]);
        assert_eq!(m.values().len(), 3);
        let range = (
            Bound::Included(ClusteringKey::new(vec![3u8])),
            Bound::Unbounded,
        );
        let back: Vec<u8> = m
            .range(range)
            .rev()
            .map(|r| r.clustering.as_bytes()[0])
            .collect();
        assert_eq!(back, vec![9, 5]);
        assert!(m.get_mut(&ClusteringKey::new(vec![9u8])).is_some());
        assert_eq!(
            m.remove(&ClusteringKey::new(vec![2u8]))
                .map(|r| r.clustering),
            Some(ClusteringKey::new(vec![2u8]))
        );
        assert_eq!(m.take_all().len(), 2);
        assert!(m.is_empty());
    }

    #[test]
    fn a_single_row_answers_ranges_and_removal() {
        let mut m = RowMap::default();
        m.insert(row(4));
        let outside = (
            Bound::Excluded(ClusteringKey::new(vec![4u8])),
            Bound::Unbounded,
        );
        assert_eq!(m.range(outside).count(), 0);
        assert_eq!(m.range((Bound::Unbounded, Bound::Unbounded)).count(), 1);
        assert!(m.get_mut(&ClusteringKey::new(vec![3u8])).is_none());
        assert!(m.remove(&ClusteringKey::new(vec![3u8])).is_none());
        assert!(m.remove(&ClusteringKey::new(vec![4u8])).is_some());
        assert!(m.is_empty());
    }
}
