//! Cells, deletion times and row liveness: the smallest units of data.
//!
//! All write timestamps are microseconds (`i64`); all "local" times (when a
//! tombstone was written, when a TTL expires) are seconds since the epoch
//! (`u32`, as Cassandra 5's unsigned local deletion time, good until 2106).
//! Time is always a parameter (`now_s`); nothing here reads a clock.

use bytes::Bytes;

/// A column's id inside its table (assigned by the server's schema).
pub type ColumnId = u32;

/// The "no local deletion time" sentinel of live data (Cassandra's `NO_DELETION_TIME`).
pub const NO_DELETION_TIME: u32 = u32::MAX;

/// A deletion at some level (partition, range, row, complex column).
///
/// It deletes every piece of data with `timestamp <= marked_for_delete_at`.
/// `local_deletion_time` (seconds) starts the `gc_grace_seconds` clock.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DeletionTime {
    /// Write timestamp of the deletion (µs).
    pub marked_for_delete_at: i64,
    /// When the deletion was written, node-local (s).
    pub local_deletion_time: u32,
}

impl DeletionTime {
    /// The absence of a deletion.
    pub const LIVE: DeletionTime = DeletionTime {
        marked_for_delete_at: i64::MIN,
        local_deletion_time: NO_DELETION_TIME,
    };

    /// Builds a deletion time.
    pub fn new(marked_for_delete_at: i64, local_deletion_time: u32) -> Self {
        Self {
            marked_for_delete_at,
            local_deletion_time,
        }
    }

    /// True for [`DeletionTime::LIVE`].
    pub fn is_live(&self) -> bool {
        self.marked_for_delete_at == i64::MIN && self.local_deletion_time == NO_DELETION_TIME
    }

    /// True when data written at `timestamp` is deleted by this deletion.
    pub fn deletes(&self, timestamp: i64) -> bool {
        !self.is_live() && timestamp <= self.marked_for_delete_at
    }

    /// Cassandra's `supersedes`: a later mark wins; at equal marks the later
    /// local deletion time wins.
    pub fn supersedes(&self, other: &DeletionTime) -> bool {
        (self.marked_for_delete_at, self.local_deletion_time)
            > (other.marked_for_delete_at, other.local_deletion_time)
    }

    /// The deletion that wins between the two.
    #[must_use]
    pub fn max(self, other: DeletionTime) -> DeletionTime {
        if other.supersedes(&self) { other } else { self }
    }
}

impl Default for DeletionTime {
    fn default() -> Self {
        Self::LIVE
    }
}

/// One node's shard of a counter: the node's running total and a clock
/// that increases with every change that node makes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CounterShard {
    /// The owning node's id (its host id).
    pub node: u128,
    /// Logical clock of the shard; the higher clock is the newer state.
    pub clock: i64,
    /// The node's contribution to the counter.
    pub value: i64,
}

/// A counter's state: shards sorted by node id, one per node.
///
/// Simplified Cassandra counter context: merging keeps, per node, the shard
/// with the higher clock (equal clocks: the larger value, so merging is
/// deterministic); the counter's value is the sum of the shards. A counter
/// *delta* is turned into a new shard state by the node that leads the write
/// ([`CounterShards::apply_delta`]), then replicated as state.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct CounterShards(Vec<CounterShard>);

impl CounterShards {
    /// Builds a state from shards in any order; per node the newest shard
    /// (higher clock, then higher value) is kept.
    pub fn new(mut shards: Vec<CounterShard>) -> Self {
        shards.sort_unstable_by_key(|s| (s.node, s.clock, s.value));
        let mut out: Vec<CounterShard> = Vec::with_capacity(shards.len());
        for shard in shards {
            match out.last_mut() {
                Some(last) if last.node == shard.node => *last = shard,
                _ => out.push(shard),
            }
        }
        Self(out)
    }

    /// Wraps shards already strictly sorted by node id; `None` otherwise.
    pub fn from_sorted(shards: Vec<CounterShard>) -> Option<Self> {
        let sorted = shards
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.node < b.node));
        sorted.then_some(Self(shards))
    }

    /// The shards, sorted by node id.
    pub fn shards(&self) -> &[CounterShard] {
        &self.0
    }

    /// The counter's value: the (wrapping) sum of the shards.
    pub fn total(&self) -> i64 {
        self.0.iter().fold(0i64, |acc, s| acc.wrapping_add(s.value))
    }

    /// Per node, keeps the newer shard (higher clock, then higher value).
    #[must_use]
    pub fn merge(&self, other: &CounterShards) -> CounterShards {
        let mut out = Vec::with_capacity(self.0.len() + other.0.len());
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (Some(x), Some(y)) => match x.node.cmp(&y.node) {
                    std::cmp::Ordering::Less => a.next(),
                    std::cmp::Ordering::Greater => b.next(),
                    std::cmp::Ordering::Equal => {
                        let (x, y) = (a.next(), b.next());
                        match (x, y) {
                            (Some(x), Some(y)) => {
                                Some(if (y.clock, y.value) > (x.clock, x.value) {
                                    y
                                } else {
                                    x
                                })
                            }
                            _ => None,
                        }
                    }
                },
            };
            if let Some(shard) = next {
                out.push(*shard);
            }
        }
        CounterShards(out)
    }

    /// The state after `node` adds `delta`: its shard's clock goes up by one
    /// and its value by `delta`.
    #[must_use]
    pub fn apply_delta(&self, node: u128, delta: i64) -> CounterShards {
        let current = self.0.iter().find(|s| s.node == node);
        let shard = CounterShard {
            node,
            clock: current.map_or(1, |s| s.clock.saturating_add(1)),
            value: current.map_or(delta, |s| s.value.wrapping_add(delta)),
        };
        self.merge(&CounterShards(vec![shard]))
    }
}

/// What a cell holds.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum CellKind {
    /// A value without expiry.
    Live {
        /// The value bytes.
        value: Bytes,
    },
    /// A value written with a TTL.
    Expiring {
        /// The value bytes.
        value: Bytes,
        /// The TTL it was written with (s).
        ttl_s: u32,
        /// When it expires, node-local (s).
        local_expiration_s: u32,
    },
    /// A deleted cell.
    Tombstone {
        /// When the deletion was written, node-local (s).
        local_deletion_time: u32,
    },
    /// A counter's state.
    Counter {
        /// The per-node shards.
        shards: CounterShards,
    },
}

/// One cell: a column (and, for collections and UDTs, a path inside it),
/// a write timestamp and a payload.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Cell {
    /// The column.
    pub column: ColumnId,
    /// Collection element key / UDT field for multi-cell columns; `None` for
    /// simple columns.
    pub path: Option<Bytes>,
    /// Write timestamp (µs).
    pub timestamp: i64,
    /// The payload.
    pub kind: CellKind,
}

impl Cell {
    /// A live simple cell.
    pub fn live(column: ColumnId, timestamp: i64, value: impl Into<Bytes>) -> Self {
        Self {
            column,
            path: None,
            timestamp,
            kind: CellKind::Live {
                value: value.into(),
            },
        }
    }

    /// An expiring simple cell written at `now_s` with `ttl_s`.
    pub fn expiring(
        column: ColumnId,
        timestamp: i64,
        value: impl Into<Bytes>,
        ttl_s: u32,
        now_s: u32,
    ) -> Self {
        let kind = CellKind::Expiring {
            value: value.into(),
            ttl_s,
            local_expiration_s: now_s.saturating_add(ttl_s),
        };
        Self {
            column,
            path: None,
            timestamp,
            kind,
        }
    }

    /// A simple-cell tombstone.
    pub fn tombstone(column: ColumnId, timestamp: i64, local_deletion_time: u32) -> Self {
        Self {
            column,
            path: None,
            timestamp,
            kind: CellKind::Tombstone {
                local_deletion_time,
            },
        }
    }

    /// The same cell with a collection path.
    #[must_use]
    pub fn with_path(mut self, path: impl Into<Bytes>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The value bytes for live and expiring cells (empty otherwise).
    pub fn value(&self) -> &[u8] {
        match &self.kind {
            CellKind::Live { value } | CellKind::Expiring { value, .. } => value,
            CellKind::Tombstone { .. } | CellKind::Counter { .. } => &[],
        }
    }

    /// Cassandra's `localDeletionTime()`: expiry for expiring cells, deletion
    /// time for tombstones, [`NO_DELETION_TIME`] for live and counter cells.
    pub fn local_deletion_time(&self) -> u32 {
        match &self.kind {
            CellKind::Expiring {
                local_expiration_s, ..
            } => *local_expiration_s,
            CellKind::Tombstone {
                local_deletion_time,
            } => *local_deletion_time,
            CellKind::Live { .. } | CellKind::Counter { .. } => NO_DELETION_TIME,
        }
    }

    /// True for tombstones.
    pub fn is_tombstone(&self) -> bool {
        matches!(self.kind, CellKind::Tombstone { .. })
    }

    /// True when the cell holds data visible at `now_s` (not a tombstone,
    /// not expired).
    pub fn is_live(&self, now_s: u32) -> bool {
        match &self.kind {
            CellKind::Live { .. } | CellKind::Counter { .. } => true,
            CellKind::Expiring {
                local_expiration_s, ..
            } => now_s < *local_expiration_s,
            CellKind::Tombstone { .. } => false,
        }
    }

    /// The sort key of a cell inside a row.
    pub fn sort_key(&self) -> (ColumnId, Option<&Bytes>) {
        (self.column, self.path.as_ref())
    }

    /// Rough in-memory footprint (bytes), for memtable accounting.
    pub fn heap_size(&self) -> usize {
        let payload = match &self.kind {
            CellKind::Live { value } | CellKind::Expiring { value, .. } => value.len(),
            CellKind::Tombstone { .. } => 0,
            CellKind::Counter { shards } => shards.shards().len() * 32,
        };
        std::mem::size_of::<Cell>() + payload + self.path.as_ref().map_or(0, Bytes::len)
    }
}

/// A row's primary-key liveness (Cassandra's row marker): an `INSERT` writes
/// it, so a row inserted with only key columns exists.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LivenessInfo {
    /// Write timestamp (µs).
    pub timestamp: i64,
    /// `Some((ttl_s, local_expiration_s))` when written with a TTL.
    pub ttl: Option<(u32, u32)>,
}

impl LivenessInfo {
    /// A non-expiring marker.
    pub fn new(timestamp: i64) -> Self {
        Self {
            timestamp,
            ttl: None,
        }
    }

    /// An expiring marker written at `now_s`.
    pub fn expiring(timestamp: i64, ttl_s: u32, now_s: u32) -> Self {
        Self {
            timestamp,
            ttl: Some((ttl_s, now_s.saturating_add(ttl_s))),
        }
    }

    /// True when the marker makes the row exist at `now_s`.
    pub fn is_live(&self, now_s: u32) -> bool {
        self.ttl.is_none_or(|(_, expiry)| now_s < expiry)
    }

    /// Cassandra's `LivenessInfo.supersedes`: later timestamp; then an
    /// expiring marker beats a non-expiring one; then the later expiry (then,
    /// for determinism, the larger TTL).
    pub fn supersedes(&self, other: &LivenessInfo) -> bool {
        if self.timestamp != other.timestamp {
            return self.timestamp > other.timestamp;
        }
        match (self.ttl, other.ttl) {
            (Some(_), None) => true,
            (None, _) => false,
            (Some((ttl_a, exp_a)), Some((ttl_b, exp_b))) => (exp_a, ttl_a) > (exp_b, ttl_b),
        }
    }
}
