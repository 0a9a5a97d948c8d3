//! SSTable statistics: the bounds reads and compaction use to skip work.
//!
//! Collected by the writer while it serializes partitions and stored in the Stats
//! component (`header | body | crc32(body)`; body fields in declaration order, integers
//! as zigzag/unsigned LEB128 varints, optional values behind a 0/1 presence byte,
//! the histogram as 64 varint counters). Invariant: every timestamp, deletion time,
//! expiry, clustering key and token written to the Data file lies inside these bounds.

use std::cmp::Ordering;
use std::path::Path;

use bytes::Bytes;

use super::codec::{ByteReader, DecodeResult, put_bytes, put_varint, put_varint_signed};
use super::error::Result;
use super::format::{CLUSTERING_BYTES_MAX, Component, HEADER_LEN, checked_body, frame_body};
use crate::model::key::cmp_key_bytes;
use crate::model::{ClusteringKey, Slices};

/// Buckets of the partition size histogram: bucket `i` counts partitions of
/// `[2^i, 2^(i+1))` serialized bytes (bucket 0 also holds size 0).
pub const SIZE_BUCKETS: usize = 64;

/// Tombstones by level, as written (shadowed or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TombstoneCounts {
    /// Partition-level deletions.
    pub partition: u64,
    /// Row deletions.
    pub row: u64,
    /// Range tombstones.
    pub range: u64,
    /// Cell tombstones.
    pub cell: u64,
}

impl TombstoneCounts {
    /// All tombstones.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.partition + self.row + self.range + self.cell
    }
}

/// The statistics of one SSTable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Partitions in the table.
    pub partition_count: u64,
    /// Rows (static rows included).
    pub row_count: u64,
    /// Cells of every kind.
    pub cell_count: u64,
    /// Smallest write/deletion timestamp (µs), `None` when the table holds none.
    pub min_timestamp: Option<i64>,
    /// Largest write/deletion timestamp (µs).
    pub max_timestamp: Option<i64>,
    /// Smallest local deletion time (tombstones and expiring cells), seconds.
    pub min_local_deletion_time: Option<i64>,
    /// Largest local deletion time, seconds.
    pub max_local_deletion_time: Option<i64>,
    /// Latest expiry (local expiration time, seconds) of any expiring cell.
    pub max_expiry: Option<i64>,
    /// True when the table holds a cell without TTL or a non-expiring row marker (so the
    /// whole table can never expire on its own).
    pub has_non_expiring_data: bool,
    /// Lower bound (bytes) of every row's clustering key and every range tombstone's
    /// covered keys.
    pub min_clustering: Option<Vec<u8>>,
    /// Upper bound (inclusive) of the same; see `max_clustering_unbounded`.
    pub max_clustering: Option<Vec<u8>>,
    /// True when a range tombstone extends to the top of the clustering space (then
    /// `max_clustering` bounds nothing).
    pub max_clustering_unbounded: bool,
    /// Smallest token.
    pub min_token: Option<i64>,
    /// Largest token.
    pub max_token: Option<i64>,
    /// Tombstones by level.
    pub tombstones: TombstoneCounts,
    /// Partition size histogram (see [`SIZE_BUCKETS`]).
    pub partition_size_histogram: [u64; SIZE_BUCKETS],
    /// Partitions with a static row; `None` for tables written before this count
    /// existed (then any partition may have one).
    pub static_rows: Option<u64>,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            partition_count: 0,
            row_count: 0,
            cell_count: 0,
            min_timestamp: None,
            max_timestamp: None,
            min_local_deletion_time: None,
            max_local_deletion_time: None,
            max_expiry: None,
            has_non_expiring_data: false,
            min_clustering: None,
            max_clustering: None,
            max_clustering_unbounded: false,
            min_token: None,
            max_token: None,
            tombstones: TombstoneCounts::default(),
            partition_size_histogram: [0; SIZE_BUCKETS],
            static_rows: Some(0),
        }
    }
}

fn widen<T: Ord + Copy>(min: &mut Option<T>, max: &mut Option<T>, v: T) {
    *min = Some(min.map_or(v, |m| m.min(v)));
    *max = Some(max.map_or(v, |m| m.max(v)));
}

impl Stats {
    /// Records a write or deletion timestamp.
    pub fn observe_timestamp(&mut self, ts: i64) {
        widen(&mut self.min_timestamp, &mut self.max_timestamp, ts);
    }

    /// Records a local deletion time (a tombstone's, or an expiring cell's expiry).
    pub fn observe_local_deletion_time(&mut self, ldt: i64) {
        widen(
            &mut self.min_local_deletion_time,
            &mut self.max_local_deletion_time,
            ldt,
        );
    }

    /// Records an expiring cell's expiry.
    pub fn observe_expiry(&mut self, expiry: i64) {
        self.max_expiry = Some(self.max_expiry.map_or(expiry, |m| m.max(expiry)));
        self.observe_local_deletion_time(expiry);
    }

    /// Records a clustering key (or range tombstone bound prefix).
    pub fn observe_clustering(&mut self, clustering: &[u8]) {
        if self
            .min_clustering
            .as_deref()
            .is_none_or(|m| cmp_key_bytes(clustering, m).is_lt())
        {
            self.min_clustering = Some(clustering.to_vec());
        }
        if self
            .max_clustering
            .as_deref()
            .is_none_or(|m| cmp_key_bytes(clustering, m).is_gt())
        {
            self.max_clustering = Some(clustering.to_vec());
        }
    }

    /// Records one partition's token and serialized size.
    pub fn observe_partition(&mut self, token: i64, size_bytes: u64) {
        self.partition_count += 1;
        widen(&mut self.min_token, &mut self.max_token, token);
        let bucket = usize::try_from(size_bytes.max(1).ilog2()).unwrap_or(SIZE_BUCKETS - 1);
        if let Some(b) = self
            .partition_size_histogram
            .get_mut(bucket.min(SIZE_BUCKETS - 1))
        {
            *b += 1;
        }
    }

    /// False when no row or range tombstone of this table can fall inside `slices`
    /// (the read path then skips the table for a clustering-restricted read).
    #[must_use]
    pub fn clustering_may_intersect(&self, slices: &Slices) -> bool {
        let (Some(min), Some(max)) = (&self.min_clustering, &self.max_clustering) else {
            // No rows and no range tombstones: only partition-level data.
            return false;
        };
        let min = ClusteringKey::new(Bytes::copy_from_slice(min));
        let max = ClusteringKey::new(Bytes::copy_from_slice(max));
        slices.as_slice().iter().any(|s| {
            let above_max =
                !self.max_clustering_unbounded && s.start.cmp_key(&max) == Ordering::Greater;
            let below_min = s.end.cmp_key(&min) == Ordering::Less;
            !above_max && !below_min
        })
    }

    /// True when every cell, row marker and tombstone in the table expired or was
    /// deleted more than `gc_grace_s` before `now_s` (TWCS may then drop the table without
    /// reading it, provided no older table outside the compaction holds data it shadows).
    #[must_use]
    pub fn fully_expired(&self, now_s: i64, gc_grace_s: i64) -> bool {
        !self.has_non_expiring_data
            && self
                .max_local_deletion_time
                .is_some_and(|m| m.saturating_add(gc_grace_s) < now_s)
    }

    /// True when the table holds no partition deletion and no static row, so a read
    /// whose slices miss its clustering range ([`Stats::clustering_may_intersect`])
    /// can skip it without looking the partition up.
    #[must_use]
    pub fn rows_only(&self) -> bool {
        self.tombstones.partition == 0 && self.static_rows == Some(0)
    }

    /// True when a read of data newer than `timestamp` can skip this table.
    #[must_use]
    pub fn max_timestamp_below(&self, timestamp: i64) -> bool {
        self.max_timestamp.is_none_or(|m| m < timestamp)
    }

    /// Encodes the whole Stats component.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(256);
        put_varint(&mut b, self.partition_count);
        put_varint(&mut b, self.row_count);
        put_varint(&mut b, self.cell_count);
        for v in [
            self.min_timestamp,
            self.max_timestamp,
            self.min_local_deletion_time,
            self.max_local_deletion_time,
            self.max_expiry,
            self.min_token,
            self.max_token,
        ] {
            put_opt_i64(&mut b, v);
        }
        b.push(u8::from(self.has_non_expiring_data));
        b.push(u8::from(self.max_clustering_unbounded));
        for v in [&self.min_clustering, &self.max_clustering] {
            b.push(u8::from(v.is_some()));
            if let Some(v) = v {
                put_bytes(&mut b, v);
            }
        }
        let t = &self.tombstones;
        [t.partition, t.row, t.range, t.cell]
            .into_iter()
            .for_each(|v| put_varint(&mut b, v));
        self.partition_size_histogram
            .iter()
            .for_each(|v| put_varint(&mut b, *v));
        if let Some(n) = self.static_rows {
            put_varint(&mut b, n);
        }
        frame_body(Component::Stats, &b)
    }

    /// Decodes a whole Stats component.
    ///
    /// # Errors
    /// `Corruption`/`ChecksumMismatch` naming `file`.
    pub fn decode(bytes: &[u8], file: &Path) -> Result<Self> {
        let body = checked_body(bytes, Component::Stats, file)?;
        let mut r = ByteReader::new(body);
        let base = super::codec::len_u64(HEADER_LEN);
        let stats = decode_body(&mut r).map_err(|e| e.at(file, base))?;
        if !r.is_empty() {
            return Err(super::error::SsTableError::corruption(
                file,
                base,
                "stats trailing bytes",
            ));
        }
        Ok(stats)
    }
}

fn put_opt_i64(b: &mut Vec<u8>, v: Option<i64>) {
    b.push(u8::from(v.is_some()));
    if let Some(v) = v {
        put_varint_signed(b, v);
    }
}

fn opt<T>(
    r: &mut ByteReader<'_>,
    f: impl FnOnce(&mut ByteReader<'_>) -> DecodeResult<T>,
) -> DecodeResult<Option<T>> {
    match r.u8("presence byte")? {
        0 => Ok(None),
        1 => f(r).map(Some),
        _ => Err(super::codec::DecodeError {
            offset: r.position(),
            what: "presence byte",
        }),
    }
}

fn decode_body(r: &mut ByteReader<'_>) -> DecodeResult<Stats> {
    let mut s = Stats {
        partition_count: r.varint("partition count")?,
        row_count: r.varint("row count")?,
        cell_count: r.varint("cell count")?,
        ..Stats::default()
    };
    let mut ints = [None; 7];
    for slot in &mut ints {
        *slot = opt(r, |r| r.varint_signed("i64 stat"))?;
    }
    [
        s.min_timestamp,
        s.max_timestamp,
        s.min_local_deletion_time,
        s.max_local_deletion_time,
        s.max_expiry,
        s.min_token,
        s.max_token,
    ] = ints;
    s.has_non_expiring_data = opt(r, |_| Ok(()))?.is_some();
    s.max_clustering_unbounded = opt(r, |_| Ok(()))?.is_some();
    let clustering = |r: &mut ByteReader<'_>| -> DecodeResult<Vec<u8>> {
        Ok(r.bytes(CLUSTERING_BYTES_MAX, "clustering")?.to_vec())
    };
    s.min_clustering = opt(r, clustering)?;
    s.max_clustering = opt(r, clustering)?;
    s.tombstones = TombstoneCounts {
        partition: r.varint("tombstones")?,
        row: r.varint("tombstones")?,
        range: r.varint("tombstones")?,
        cell: r.varint("tombstones")?,
    };
    for slot in &mut s.partition_size_histogram {
        *slot = r.varint("histogram")?;
    }
    // Added after the first tables were written: absent means unknown.
    s.static_rows = if r.is_empty() {
        None
    } else {
        Some(r.varint("static rows")?)
    };
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut s = Stats::default();
        let empty = s.encode();
        assert_eq!(Stats::decode(&empty, Path::new("s")).unwrap(), s);
        s.observe_timestamp(-5);
        s.observe_timestamp(1_700_000_000_000_000);
        s.observe_expiry(1_800_000_000);
        s.observe_local_deletion_time(17);
        s.observe_clustering(b"b");
        s.observe_clustering(b"a\x00z");
        s.observe_partition(i64::MIN, 0);
        s.observe_partition(99, 70_000);
        s.tombstones.cell = 3;
        s.has_non_expiring_data = true;
        s.max_clustering_unbounded = true;
        assert_eq!(s.min_clustering.as_deref(), Some(&b"a\x00z"[..]));
        assert_eq!(s.partition_size_histogram[16], 1);
        let bytes = s.encode();
        assert_eq!(Stats::decode(&bytes, Path::new("s")).unwrap(), s);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(
                Stats::decode(&bad, Path::new("s"))
                    .unwrap_err()
                    .is_corruption()
            );
        }
    }

    #[test]
    fn clustering_bounds_skip_disjoint_slices() {
        use crate::model::{ClusteringBound, Slice};
        let slice = |a: &[u8], b: &[u8]| {
            Slices::new(vec![Slice {
                start: ClusteringBound::inclusive_start(Bytes::copy_from_slice(a)),
                end: ClusteringBound::inclusive_end(Bytes::copy_from_slice(b)),
            }])
        };
        let mut s = Stats::default();
        assert!(!s.clustering_may_intersect(&Slices::all()));
        s.observe_clustering(b"\x10");
        s.observe_clustering(b"\x20");
        assert!(s.clustering_may_intersect(&Slices::all()));
        assert!(s.clustering_may_intersect(&slice(b"\x15", b"\x16")));
        assert!(!s.clustering_may_intersect(&slice(b"\x21", b"\x30")));
        assert!(!s.clustering_may_intersect(&slice(b"\x01", b"\x0f")));
        s.max_clustering_unbounded = true;
        assert!(s.clustering_may_intersect(&slice(b"\x21", b"\x30")));
    }

    #[test]
    fn full_expiry_needs_no_live_data_and_gc_grace() {
        let mut s = Stats::default();
        assert!(!s.fully_expired(100, 10), "an empty table is not reported");
        s.observe_expiry(50);
        assert!(!s.fully_expired(60, 10));
        assert!(s.fully_expired(61, 10));
        s.has_non_expiring_data = true;
        assert!(!s.fully_expired(1_000, 10));
    }
}
