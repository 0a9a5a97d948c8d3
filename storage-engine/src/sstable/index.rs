//! The partition index (Index component), its sparse in-memory Summary, and the row
//! index of wide partitions.
//!
//! Index: `header | entry*`, one entry per partition in `(token, key)` order, each
//! framed `body_len u32 | body | crc32(body) u32` so any entry can be verified alone.
//! Entry body: `token i64 | key (varint len + bytes) | data_position varint |
//! partition_size varint | header_size varint | block_count varint | block*`, where a
//! row-index block is `first clustering | last clustering | offset varint | size varint`
//! (offsets relative to the partition start), then `inline flag u8 | [deletion mark zigzag |
//! local deletion time varint]`. Narrow partitions have no blocks; wide ones whose
//! header is only key + deletion carry that deletion inline.
//!
//! Summary: a small checksummed component (`header | body | crc32`) holding the total
//! entry count, the first and last keys, and every `SUMMARY_INTERVAL`-th entry's
//! `(token, key, index file offset)`. Lookups binary-search the summary, then verify and
//! scan at most `SUMMARY_INTERVAL` index entries.

use std::cmp::Ordering;
use std::path::Path;

use super::codec::{ByteReader, DecodeResult, crc32, len_u64, put_bytes, put_varint};
use super::error::{Result, SsTableError};
use super::format::{
    CLUSTERING_BYTES_MAX, Component, HEADER_LEN, INDEX_ENTRY_BYTES_MAX, ITEMS_MAX, KEY_BYTES_MAX,
    checked_body, frame_body,
};

pub use super::row_index::{RowIndex, RowIndexBlock};

/// The index entry of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The partition's token.
    pub token: i64,
    /// The partition key bytes.
    pub key: Vec<u8>,
    /// Logical Data position of the partition.
    pub data_position: u64,
    /// Serialized size of the whole partition.
    pub partition_size: u64,
    /// Serialized size of the partition header (key, deletion, static row, range tombstones).
    pub header_size: u64,
    /// Row index, empty for narrow partitions.
    pub blocks: RowIndex,
    /// For a wide partition whose header holds only its key and deletion (no static row,
    /// no range tombstones): that deletion `(mark, local deletion time)`, so a slice read
    /// need not read the header from Data.
    pub inline_deletion: Option<(i64, u32)>,
}

/// Compares `(token, key)` pairs the way partitions are ordered.
#[must_use]
pub fn cmp_keys(a_token: i64, a_key: &[u8], b_token: i64, b_key: &[u8]) -> Ordering {
    a_token.cmp(&b_token).then_with(|| a_key.cmp(b_key))
}

impl IndexEntry {
    /// Appends the framed entry to `out`, with `key` in place of `self.key` when that is
    /// empty (lets the writer avoid a copy).
    ///
    /// # Errors
    /// `InvalidInput` when the entry is larger than `INDEX_ENTRY_BYTES_MAX`.
    pub fn encode_into(&self, out: &mut Vec<u8>, key: &[u8]) -> Result<()> {
        let key = if self.key.is_empty() { key } else { &self.key };
        let frame_start = out.len();
        out.extend_from_slice(&[0u8; 4]);
        let body_start = out.len();
        out.extend_from_slice(&self.token.to_le_bytes());
        put_bytes(out, key);
        put_varint(out, self.data_position);
        put_varint(out, self.partition_size);
        put_varint(out, self.header_size);
        put_varint(out, len_u64(self.blocks.len()));
        for b in self.blocks.iter() {
            put_bytes(out, b.first);
            put_bytes(out, b.last);
            put_varint(out, b.offset);
            put_varint(out, b.size);
        }
        out.push(u8::from(self.inline_deletion.is_some()));
        if let Some((mark, ldt)) = self.inline_deletion {
            super::codec::put_varint_signed(out, mark);
            put_varint(out, u64::from(ldt));
        }
        let body = out.get(body_start..).unwrap_or_default();
        let len = u32::try_from(body.len())
            .ok()
            .filter(|l| usize::try_from(*l).is_ok_and(|l| l <= INDEX_ENTRY_BYTES_MAX))
            .ok_or_else(|| SsTableError::InvalidInput("index entry too large".into()))?;
        let crc = crc32(body);
        if let Some(slot) = out.get_mut(frame_start..body_start) {
            slot.copy_from_slice(&len.to_le_bytes());
        }
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(())
    }

    /// Decodes the entry at `offset` of the Index file `bytes`; returns it and the next offset.
    ///
    /// # Errors
    /// `Corruption`/`ChecksumMismatch` naming `file` and the entry's offset.
    pub fn decode_at(bytes: &[u8], offset: u64, file: &Path) -> Result<(Self, u64)> {
        let (body, next) = verified_body_at(bytes, offset, file)?;
        let entry = decode_body(&mut ByteReader::new(body))
            .map_err(|e| e.at(file, offset.saturating_add(4)))?;
        Ok((entry, next))
    }

    /// The `(token, key)` of the entry at `offset` (checksum verified, nothing allocated)
    /// and the next entry's offset.
    ///
    /// # Errors
    /// As [`IndexEntry::decode_at`].
    pub fn key_at<'a>(bytes: &'a [u8], offset: u64, file: &Path) -> Result<(i64, &'a [u8], u64)> {
        let (body, next) = verified_body_at(bytes, offset, file)?;
        let (token, key) = token_and_key(body, offset, file)?;
        Ok((token, key, next))
    }
}

impl IndexEntry {
    /// [`IndexEntry::key_at`] for an Index file whose entries were all
    /// checksum-verified when it was opened (`SsTableReader::verify_index`):
    /// lookups skip entries with this without re-checking every checksum.
    /// Lengths and bounds are still checked, so damage after opening can
    /// never read out of bounds.
    ///
    /// # Errors
    /// `Corruption` naming `file` and the entry's offset.
    pub fn key_at_verified<'a>(
        bytes: &'a [u8],
        offset: u64,
        file: &Path,
    ) -> Result<(i64, &'a [u8], u64)> {
        let (body, _checksum, next) = framed_body_at(bytes, offset, file)?;
        let (token, key) = token_and_key(body, offset, file)?;
        Ok((token, key, next))
    }
}

/// The `(token, key)` at the start of an entry body.
fn token_and_key<'a>(body: &'a [u8], offset: u64, file: &Path) -> Result<(i64, &'a [u8])> {
    let mut r = ByteReader::new(body);
    let at = |e: super::codec::DecodeError| e.at(file, offset.saturating_add(4));
    let token = r.i64("token").map_err(at)?;
    let key = r.bytes(KEY_BYTES_MAX, "partition key").map_err(at)?;
    Ok((token, key))
}

/// The body of the entry at `offset` (length and bounds checked), its
/// stored checksum, and the next entry's offset.
fn framed_body_at<'a>(bytes: &'a [u8], offset: u64, file: &Path) -> Result<(&'a [u8], u32, u64)> {
    let start = usize::try_from(offset)
        .ok()
        .filter(|s| *s >= HEADER_LEN)
        .ok_or_else(|| SsTableError::corruption(file, offset, "index offset"))?;
    let mut r = ByteReader::new(bytes.get(start..).unwrap_or_default());
    let at = |e: super::codec::DecodeError| e.at(file, offset);
    let len = usize::try_from(r.u32("index entry length").map_err(at)?).unwrap_or(usize::MAX);
    if len > INDEX_ENTRY_BYTES_MAX {
        return Err(SsTableError::corruption(
            file,
            offset,
            "index entry length over limit",
        ));
    }
    let body = r.take(len, "index entry body").map_err(at)?;
    let checksum = r.u32("index entry checksum").map_err(at)?;
    Ok((body, checksum, offset.saturating_add(len_u64(r.position()))))
}

/// The checksum-verified body of the entry at `offset` and the next entry's offset.
fn verified_body_at<'a>(bytes: &'a [u8], offset: u64, file: &Path) -> Result<(&'a [u8], u64)> {
    let (body, expected, next) = framed_body_at(bytes, offset, file)?;
    let got = crc32(body);
    if got != expected {
        return Err(SsTableError::ChecksumMismatch {
            file: file.to_path_buf(),
            offset,
            expected,
            got,
        });
    }
    Ok((body, next))
}

fn decode_body(r: &mut ByteReader<'_>) -> DecodeResult<IndexEntry> {
    let token = r.i64("token")?;
    let key = r.bytes(KEY_BYTES_MAX, "partition key")?.to_vec();
    let data_position = r.varint("data position")?;
    let partition_size = r.varint("partition size")?;
    let header_size = r.varint("header size")?;
    let count = r.count(ITEMS_MAX, "row index block count")?;
    let mut blocks = RowIndex::with_capacity(count.min(r.remaining() / 4));
    for _ in 0..count {
        let first = r.bytes(CLUSTERING_BYTES_MAX, "block first clustering")?;
        let last = r.bytes(CLUSTERING_BYTES_MAX, "block last clustering")?;
        let offset = r.varint("block offset")?;
        let size = r.varint("block size")?;
        blocks.push(first, last, offset, size);
    }
    let inline_deletion = match r.u8("inline deletion flag")? {
        0 => None,
        1 => {
            let mark = r.varint_signed("inline deletion mark")?;
            let ldt = r.varint("inline local deletion time")?;
            let bad = || super::codec::DecodeError {
                offset: r.position(),
                what: "inline ldt",
            };
            Some((mark, u32::try_from(ldt).map_err(|_| bad())?))
        }
        _ => {
            return Err(super::codec::DecodeError {
                offset: r.position(),
                what: "inline flag",
            });
        }
    };
    if !r.is_empty() {
        return Err(super::codec::DecodeError {
            offset: r.position(),
            what: "entry trailing bytes",
        });
    }
    Ok(IndexEntry {
        token,
        key,
        data_position,
        partition_size,
        header_size,
        blocks,
        inline_deletion,
    })
}

/// One sampled index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryEntry {
    /// Token of the sampled partition.
    pub token: i64,
    /// Key of the sampled partition.
    pub key: Vec<u8>,
    /// Offset of its entry in the Index file.
    pub index_offset: u64,
}

/// The in-memory sparse sample of the partition index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Number of index entries (= partitions).
    pub entry_count: u64,
    /// Every `SUMMARY_INTERVAL`-th entry, the first one included.
    pub samples: Vec<SummaryEntry>,
    /// First partition `(token, key)`, `None` for an empty table.
    pub first: Option<(i64, Vec<u8>)>,
    /// Last partition `(token, key)`.
    pub last: Option<(i64, Vec<u8>)>,
    /// Length of the Index file (where entries end).
    pub index_len: u64,
}

impl Summary {
    /// The index offset to start scanning from for `(token, key)` and where that scan ends
    /// (the next sample's offset, or the index end): `None` when the key precedes the table.
    #[must_use]
    pub fn scan_window(&self, token: i64, key: &[u8]) -> Option<(u64, u64)> {
        let after = self
            .samples
            .partition_point(|s| cmp_keys(s.token, &s.key, token, key) != Ordering::Greater);
        let sample = self.samples.get(after.checked_sub(1)?)?;
        let end = self
            .samples
            .get(after)
            .map_or(self.index_len, |s| s.index_offset);
        Some((sample.index_offset, end))
    }

    /// The index offset to start a scan of tokens `>= token` (or `> token` when `exclusive`).
    #[must_use]
    pub fn scan_start_for_token(&self, token: i64, exclusive: bool) -> u64 {
        let first_at_or_after = self.samples.partition_point(|s| {
            if exclusive {
                s.token <= token
            } else {
                s.token < token
            }
        });
        let idx = first_at_or_after.saturating_sub(1);
        self.samples
            .get(idx)
            .map_or(self.index_len, |s| s.index_offset)
    }

    /// Encodes the whole Summary component.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put_varint(&mut b, self.entry_count);
        put_varint(&mut b, self.index_len);
        for bound in [&self.first, &self.last] {
            b.push(u8::from(bound.is_some()));
            if let Some((token, key)) = bound {
                b.extend_from_slice(&token.to_le_bytes());
                put_bytes(&mut b, key);
            }
        }
        put_varint(&mut b, len_u64(self.samples.len()));
        for s in &self.samples {
            b.extend_from_slice(&s.token.to_le_bytes());
            put_bytes(&mut b, &s.key);
            b.extend_from_slice(&s.index_offset.to_le_bytes());
        }
        frame_body(Component::Summary, &b)
    }

    /// Decodes a whole Summary component and checks its samples are sorted.
    ///
    /// # Errors
    /// `Corruption`/`ChecksumMismatch` naming `file`.
    pub fn decode(bytes: &[u8], file: &Path) -> Result<Self> {
        let body = checked_body(bytes, Component::Summary, file)?;
        let base = len_u64(HEADER_LEN);
        let s = decode_summary(&mut ByteReader::new(body)).map_err(|e| e.at(file, base))?;
        let sorted = s.samples.windows(2).all(|w| {
            cmp_keys(w[0].token, &w[0].key, w[1].token, &w[1].key) == Ordering::Less
                && w[0].index_offset < w[1].index_offset
        });
        if !sorted
            || s.samples
                .last()
                .is_some_and(|l| l.index_offset >= s.index_len)
        {
            return Err(SsTableError::corruption(
                file,
                base,
                "summary samples out of order",
            ));
        }
        Ok(s)
    }
}

fn decode_summary(r: &mut ByteReader<'_>) -> DecodeResult<Summary> {
    let entry_count = r.varint("entry count")?;
    let index_len = r.varint("index length")?;
    let mut bounds = [None, None];
    for bound in &mut bounds {
        if r.u8("bound presence")? == 1 {
            *bound = Some((r.i64("token")?, r.bytes(KEY_BYTES_MAX, "key")?.to_vec()));
        }
    }
    let [first, last] = bounds;
    let count = r.count(ITEMS_MAX, "sample count")?;
    let mut samples = Vec::with_capacity(count.min(r.remaining() / 17));
    for _ in 0..count {
        samples.push(SummaryEntry {
            token: r.i64("token")?,
            key: r.bytes(KEY_BYTES_MAX, "key")?.to_vec(),
            index_offset: r.u64("index offset")?,
        });
    }
    if !r.is_empty() {
        return Err(super::codec::DecodeError {
            offset: r.position(),
            what: "summary trailing",
        });
    }
    Ok(Summary {
        entry_count,
        samples,
        first,
        last,
        index_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(token: i64, blocks: usize) -> IndexEntry {
        IndexEntry {
            token,
            key: format!("k{token}").into_bytes(),
            data_position: 10,
            partition_size: 99,
            header_size: 7,
            blocks: (0..blocks)
                .map(|i| {
                    let k = u8::try_from(i).unwrap();
                    (vec![k], vec![k, 1], i as u64 * 100)
                })
                .fold(RowIndex::default(), |mut index, (first, last, offset)| {
                    index.push(&first, &last, offset, 100);
                    index
                }),
            inline_deletion: (blocks > 0).then_some((-5, 9)),
        }
    }

    #[test]
    fn entries_round_trip_and_detect_damage() {
        let mut file = vec![0u8; HEADER_LEN];
        let a = entry(-3, 0);
        let b = entry(7, 3);
        a.encode_into(&mut file, &[]).unwrap();
        let second = file.len() as u64;
        b.encode_into(&mut file, &[]).unwrap();
        let (got_a, next) =
            IndexEntry::decode_at(&file, HEADER_LEN as u64, Path::new("i")).unwrap();
        assert_eq!((got_a, next), (a, second));
        let (got_b, end) = IndexEntry::decode_at(&file, second, Path::new("i")).unwrap();
        assert_eq!((got_b, end), (b, file.len() as u64));
        for i in HEADER_LEN..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x08;
            let first = IndexEntry::decode_at(&bad, HEADER_LEN as u64, Path::new("i"));
            let ok = first.and_then(|(_, n)| IndexEntry::decode_at(&bad, n, Path::new("i")));
            assert!(ok.unwrap_err().is_corruption());
        }
    }

    #[test]
    fn summary_windows() {
        let samples = [(-10, 12), (0, 50), (10, 90)]
            .map(|(t, o)| SummaryEntry {
                token: t,
                key: b"k".to_vec(),
                index_offset: o,
            })
            .to_vec();
        let s = Summary {
            entry_count: 300,
            samples,
            first: None,
            last: None,
            index_len: 130,
        };
        assert_eq!(s.scan_window(-11, b"k"), None);
        assert_eq!(s.scan_window(-10, b"k"), Some((12, 50)));
        assert_eq!(s.scan_window(5, b"z"), Some((50, 90)));
        assert_eq!(s.scan_window(99, b""), Some((90, 130)));
        assert_eq!(s.scan_start_for_token(0, false), 12);
        assert_eq!(s.scan_start_for_token(0, true), 50);
        let bytes = s.encode();
        assert_eq!(Summary::decode(&bytes, Path::new("s")).unwrap(), s);
    }
}
