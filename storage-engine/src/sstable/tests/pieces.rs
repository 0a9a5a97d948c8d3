//! Rows decoded from a range cut into pieces (the chunk views of a row-index block)
//! equal the rows decoded from the joined range, wherever the cuts fall, including
//! rows straddling several pieces; damage is an error at the same offset, never a panic.

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::prelude::*;

use crate::model::Row;
use crate::sstable::layout::{RowChoice, decode_row_pieces};
use crate::sstable::serial::{put_row, shared_prefix};
use crate::sstable::stats::Stats;

/// Rows in clustering order, values up to 2 KiB (several times the first join).
fn rows() -> impl Strategy<Value = Vec<Row>> {
    let row = crate::model::testing::clustering().prop_flat_map(crate::model::testing::row_at);
    let big = proptest::collection::vec(any::<u8>(), 0..2048);
    proptest::collection::vec((row, big), 1..24).prop_map(|rows| {
        let mut by_key = BTreeMap::new();
        for (mut row, big) in rows {
            row.add_cell(crate::model::Cell::live(9_999, 1, big));
            by_key.insert(row.clustering.clone(), row);
        }
        by_key.into_values().collect()
    })
}

fn encode(rows: &[Row]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev: &[u8] = &[];
    for row in rows {
        let shared = shared_prefix(prev, row.clustering.as_bytes());
        put_row(&mut out, row, shared, &mut Stats::default());
        prev = row.clustering.as_bytes();
    }
    out
}

/// `bytes` cut at `cuts` (any positions, sorted and deduplicated here).
fn cut(bytes: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::new();
    let mut from = 0;
    for c in cuts.into_iter().chain([bytes.len()]) {
        pieces.push(Bytes::copy_from_slice(&bytes[from..c]));
        from = c;
    }
    pieces
}

/// Keeps every row but those whose key's last byte is odd; stops at none.
fn choose(key: &[u8]) -> RowChoice {
    if key.last().is_some_and(|b| b % 2 == 1) {
        RowChoice::Skip
    } else {
        RowChoice::Keep
    }
}

fn decode(pieces: &[Bytes], max: usize) -> Result<Vec<Row>, crate::sstable::codec::DecodeError> {
    let mut out = Vec::new();
    decode_row_pieces(pieces, &mut out, max, choose).map(|()| out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn any_cuts_decode_like_one_piece(
        rows in rows(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        max in 1usize..30,
    ) {
        let bytes = encode(&rows);
        let whole = decode(&[Bytes::from(bytes.clone())], max).unwrap();
        let expected: Vec<Row> = rows
            .iter()
            .filter(|r| choose(r.clustering.as_bytes()) == RowChoice::Keep)
            .take(max)
            .cloned()
            .collect();
        prop_assert_eq!(&whole, &expected);
        prop_assert_eq!(decode(&cut(&bytes, &cuts), max).unwrap(), whole);
    }

    #[test]
    fn damage_in_pieces_fails_where_the_joined_bytes_fail(
        rows in rows(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        at in any::<usize>(),
        byte in any::<u8>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = encode(&rows);
        let at = at % bytes.len();
        if truncate {
            bytes.truncate(at);
        } else {
            bytes[at] = byte;
        }
        let whole = decode(&[Bytes::from(bytes.clone())], usize::MAX);
        let pieces = decode(&cut(&bytes, &cuts), usize::MAX);
        match (&whole, &pieces) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "whole {:?} vs pieces {:?}", whole.is_ok(), pieces.is_ok()),
        }
    }
}
