//! Choosing the row-index blocks of a wide partition that a set of slices touches.
//!
//! Blocks are in clustering order and cover disjoint key ranges `[first, last]`; a
//! slice needs a block when it starts before the block's last key and ends after its
//! first key. Each slice binary-searches its first block, so a 100-row slice of a
//! million-row partition reads one or two blocks.

use std::cmp::Ordering;

use super::index::RowIndexBlock;
use crate::model::Slices;

/// Indexes of the blocks (ascending, no duplicates) holding rows that `slices` may select.
#[must_use]
pub fn blocks_for(blocks: &[RowIndexBlock], slices: &Slices) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for slice in slices.as_slice() {
        // First block whose last key is not before the slice start.
        let first =
            blocks.partition_point(|b| slice.start.cmp_key_bytes(&b.last) == Ordering::Greater);
        for (i, b) in blocks.iter().enumerate().skip(first) {
            if slice.end.cmp_key_bytes(&b.first) == Ordering::Less {
                break;
            }
            if out.last().is_none_or(|l| *l < i) {
                out.push(i);
            }
        }
    }
    out
}
