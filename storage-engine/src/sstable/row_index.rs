//! The row index of a wide partition ([`RowIndex`]) and choosing the blocks a set of
//! slices touches.
//!
//! A `RowIndex` packs every block's first and last clustering key into one buffer, so
//! decoding an index entry allocates twice, not twice per block (a lookup decodes the
//! entry of the partition it reads). Blocks are in clustering order and cover disjoint key ranges `[first, last]`; a
//! slice needs a block when it starts before the block's last key and ends after its
//! first key. Each slice binary-searches its first block, so a 100-row slice of a
//! million-row partition reads one or two blocks.

use std::cmp::Ordering;

use crate::model::Slices;

/// One row-index block, borrowed from a [`RowIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowIndexBlock<'a> {
    /// Clustering key of the first row in the block.
    pub first: &'a [u8],
    /// Clustering key of the last row in the block.
    pub last: &'a [u8],
    /// Offset of the block's first row, relative to the partition start.
    pub offset: u64,
    /// Serialized bytes of the block.
    pub size: u64,
}

/// Where one block's keys sit in [`RowIndex::keys`]: first is `start..mid`, last is
/// `mid..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BlockAt {
    start: usize,
    mid: usize,
    end: usize,
    offset: u64,
    size: u64,
}

/// The blocks of a wide partition, in clustering order (empty for a narrow one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowIndex {
    keys: Vec<u8>,
    blocks: Vec<BlockAt>,
}

impl RowIndex {
    /// An empty index with room for `blocks` blocks.
    #[must_use]
    pub fn with_capacity(blocks: usize) -> Self {
        Self {
            keys: Vec::new(),
            blocks: Vec::with_capacity(blocks),
        }
    }

    /// Appends a block.
    pub fn push(&mut self, first: &[u8], last: &[u8], offset: u64, size: u64) {
        let start = self.keys.len();
        self.keys.extend_from_slice(first);
        let mid = self.keys.len();
        self.keys.extend_from_slice(last);
        let end = self.keys.len();
        self.blocks.push(BlockAt {
            start,
            mid,
            end,
            offset,
            size,
        });
    }

    /// Number of blocks.
    #[must_use]
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// True for a narrow partition.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Removes every block.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.blocks.clear();
    }

    /// Block `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<RowIndexBlock<'_>> {
        let b = self.blocks.get(i)?;
        Some(RowIndexBlock {
            first: self.keys.get(b.start..b.mid)?,
            last: self.keys.get(b.mid..b.end)?,
            offset: b.offset,
            size: b.size,
        })
    }

    /// The blocks in order.
    pub fn iter(&self) -> impl Iterator<Item = RowIndexBlock<'_>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl<'a> FromIterator<RowIndexBlock<'a>> for RowIndex {
    fn from_iter<I: IntoIterator<Item = RowIndexBlock<'a>>>(iter: I) -> Self {
        let mut index = Self::default();
        for b in iter {
            index.push(b.first, b.last, b.offset, b.size);
        }
        index
    }
}

/// Indexes of the blocks (ascending, no duplicates) holding rows that `slices` may select.
#[must_use]
pub fn blocks_for(blocks: &RowIndex, slices: &Slices) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for slice in slices.as_slice() {
        // First block whose last key is not before the slice start.
        let (mut lo, mut hi) = (0usize, blocks.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let before = blocks
                .get(mid)
                .is_some_and(|b| slice.start.cmp_key_bytes(b.last) == Ordering::Greater);
            if before {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (i, b) in blocks.iter().enumerate().skip(lo) {
            if slice.end.cmp_key_bytes(b.first) == Ordering::Less {
                break;
            }
            if out.last().is_none_or(|l| *l < i) {
                out.push(i);
            }
        }
    }
    out
}
