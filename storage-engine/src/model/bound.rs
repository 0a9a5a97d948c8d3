//! Clustering bounds, slices and sets of slices.
//!
//! A bound is a clustering *prefix* plus a kind (inclusive/exclusive,
//! start/end). Because clustering components are encoded prefix-free
//! ([`super::key`]), the keys that extend a prefix `p` are exactly the byte
//! strings starting with `p`, and they form one contiguous run in byte order.
//! A bound is therefore a *position between keys*:
//!
//! - `InclusiveStart(p)` and `ExclusiveEnd(p)` sit just before `p` (before every
//!   key starting with `p`);
//! - `ExclusiveStart(p)` and `InclusiveEnd(p)` sit just after every key that
//!   starts with `p`, which is the same as "just before `succ(p)`", where
//!   `succ(p)` strips trailing `0xff` bytes and increments the last byte (no
//!   successor: the top of the key space);
//! - an empty prefix is unbounded: the bottom for a start, the top for an end.
//!
//! Positions never coincide with a key, so a key is always strictly before or
//! strictly after a bound. Comparisons allocate nothing.

use std::cmp::Ordering;

use bytes::Bytes;

use super::key::ClusteringKey;

/// The four kinds of clustering bound.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BoundKind {
    /// `>= prefix`: starts before the first key with the prefix.
    InclusiveStart,
    /// `> prefix`: starts after the last key with the prefix.
    ExclusiveStart,
    /// `<= prefix`: ends after the last key with the prefix.
    InclusiveEnd,
    /// `< prefix`: ends before the first key with the prefix.
    ExclusiveEnd,
}

impl BoundKind {
    /// True for the two start kinds.
    pub fn is_start(self) -> bool {
        matches!(self, Self::InclusiveStart | Self::ExclusiveStart)
    }

    /// True for the two inclusive kinds.
    pub fn is_inclusive(self) -> bool {
        matches!(self, Self::InclusiveStart | Self::InclusiveEnd)
    }
}

/// One side of a clustering slice.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ClusteringBound {
    /// The encoded clustering prefix; empty means unbounded.
    pub prefix: Bytes,
    /// Which side and whether the prefix itself is included.
    pub kind: BoundKind,
}

/// A position in clustering key space: just before the byte string
/// `bytes` (or its successor when `bump`), or the top.
#[derive(Clone, Copy)]
enum Position<'a> {
    Before { bytes: &'a [u8], bump: bool },
    Top,
}

impl Position<'_> {
    fn cmp_bytes(self, key: &[u8]) -> Ordering {
        match self {
            Position::Top => Ordering::Greater,
            Position::Before { bytes, bump } => {
                // Position "just before s": it precedes `key` iff key >= s.
                let s = virtual_bytes(bytes, bump);
                if key.iter().copied().cmp(s) == Ordering::Less {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
        }
    }

    fn cmp_position(self, other: Position<'_>) -> Ordering {
        match (self, other) {
            (Position::Top, Position::Top) => Ordering::Equal,
            (Position::Top, _) => Ordering::Greater,
            (_, Position::Top) => Ordering::Less,
            (Position::Before { bytes: a, bump: ab }, Position::Before { bytes: b, bump: bb }) => {
                virtual_bytes(a, ab).cmp(virtual_bytes(b, bb))
            }
        }
    }
}

/// The byte string `bytes`, or `succ(bytes)` when `bump` (then `bytes` is
/// already stripped of trailing 0xff and non-empty, so the increment cannot
/// overflow).
fn virtual_bytes(bytes: &[u8], bump: bool) -> impl Iterator<Item = u8> + '_ {
    let (head, last) = match (bump, bytes.split_last()) {
        (true, Some((last, head))) => (head, Some(last.saturating_add(1))),
        _ => (bytes, None),
    };
    head.iter().copied().chain(last)
}

/// `p` stripped of trailing 0xff bytes: the base of `succ(p)`; `None` when
/// `p` has no successor (all bytes 0xff).
fn successor_base(prefix: &[u8]) -> Option<&[u8]> {
    let end = prefix.iter().rposition(|&b| b != 0xff)?;
    prefix.get(..=end)
}

impl ClusteringBound {
    /// The unbounded start (bottom of the key space).
    pub const BOTTOM: ClusteringBound = ClusteringBound {
        prefix: Bytes::new(),
        kind: BoundKind::InclusiveStart,
    };
    /// The unbounded end (top of the key space).
    pub const TOP: ClusteringBound = ClusteringBound {
        prefix: Bytes::new(),
        kind: BoundKind::InclusiveEnd,
    };

    /// Builds a bound.
    pub fn new(prefix: impl Into<Bytes>, kind: BoundKind) -> Self {
        Self {
            prefix: prefix.into(),
            kind,
        }
    }

    /// `>= prefix`.
    pub fn inclusive_start(prefix: impl Into<Bytes>) -> Self {
        Self::new(prefix, BoundKind::InclusiveStart)
    }

    /// `> prefix`.
    pub fn exclusive_start(prefix: impl Into<Bytes>) -> Self {
        Self::new(prefix, BoundKind::ExclusiveStart)
    }

    /// `<= prefix`.
    pub fn inclusive_end(prefix: impl Into<Bytes>) -> Self {
        Self::new(prefix, BoundKind::InclusiveEnd)
    }

    /// `< prefix`.
    pub fn exclusive_end(prefix: impl Into<Bytes>) -> Self {
        Self::new(prefix, BoundKind::ExclusiveEnd)
    }

    /// True for a start bound.
    pub fn is_start(&self) -> bool {
        self.kind.is_start()
    }

    /// True when the prefix is empty (no bound on this side).
    pub fn is_unbounded(&self) -> bool {
        self.prefix.is_empty()
    }

    /// The bound at the same position facing the other way: the start that
    /// begins where this end stops, or the end that stops where this start
    /// begins (`<= p` becomes `> p`, `< p` becomes `>= p`, and back).
    pub fn complement(&self) -> Self {
        let kind = match self.kind {
            BoundKind::InclusiveStart => BoundKind::ExclusiveEnd,
            BoundKind::ExclusiveStart => BoundKind::InclusiveEnd,
            BoundKind::InclusiveEnd => BoundKind::ExclusiveStart,
            BoundKind::ExclusiveEnd => BoundKind::InclusiveStart,
        };
        Self {
            prefix: self.prefix.clone(),
            kind,
        }
    }

    fn position(&self) -> Position<'_> {
        if self.prefix.is_empty() {
            return if self.is_start() {
                Position::Before {
                    bytes: &[],
                    bump: false,
                }
            } else {
                Position::Top
            };
        }
        match self.kind {
            BoundKind::InclusiveStart | BoundKind::ExclusiveEnd => Position::Before {
                bytes: &self.prefix,
                bump: false,
            },
            BoundKind::ExclusiveStart | BoundKind::InclusiveEnd => {
                match successor_base(&self.prefix) {
                    Some(bytes) => Position::Before { bytes, bump: true },
                    None => Position::Top,
                }
            }
        }
    }

    /// The bound's position as "just before these bytes"; `None` is the top
    /// of the key space. Two bounds at the same position give equal bytes.
    pub fn position_bytes(&self) -> Option<Bytes> {
        match self.position() {
            Position::Top => None,
            Position::Before {
                bump: false,
                bytes: [],
            } => Some(Bytes::new()),
            Position::Before { bump: false, .. } => Some(self.prefix.clone()),
            Position::Before { bytes, bump: true } => {
                Some(Bytes::from(virtual_bytes(bytes, true).collect::<Vec<u8>>()))
            }
        }
    }

    /// Where this bound lies relative to `key`: `Less` when the bound is
    /// before the key, `Greater` when after. Never `Equal`.
    pub fn cmp_key(&self, key: &ClusteringKey) -> Ordering {
        self.cmp_key_bytes(key.as_bytes())
    }

    /// As [`ClusteringBound::cmp_key`], on a key's bytes (no `ClusteringKey` needed).
    pub fn cmp_key_bytes(&self, key: &[u8]) -> Ordering {
        self.position().cmp_bytes(key)
    }

    /// Orders two bounds by position. A start and an end may compare `Equal`
    /// (`>= p` and `< p` sit at the same place).
    pub fn cmp_position(&self, other: &ClusteringBound) -> Ordering {
        self.position().cmp_position(other.position())
    }

    /// True when `key` is on the inside of this bound (after a start, before
    /// an end).
    pub fn admits(&self, key: &ClusteringKey) -> bool {
        let ord = self.cmp_key(key);
        if self.is_start() {
            ord == Ordering::Less
        } else {
            ord == Ordering::Greater
        }
    }
}

/// A clustering range `[start, end]` expressed with bounds.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Slice {
    /// A start bound.
    pub start: ClusteringBound,
    /// An end bound.
    pub end: ClusteringBound,
}

impl Slice {
    /// The slice that holds every clustering key.
    pub const ALL: Slice = Slice {
        start: ClusteringBound::BOTTOM,
        end: ClusteringBound::TOP,
    };

    /// Builds a slice. `start` must be a start bound and `end` an end bound.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when the kinds are swapped.
    pub fn new(start: ClusteringBound, end: ClusteringBound) -> crate::Result<Self> {
        if !start.is_start() || end.is_start() {
            return Err(crate::Error::InvalidArgument(format!(
                "a slice needs a start and an end bound, got {:?} and {:?}",
                start.kind, end.kind
            )));
        }
        Ok(Self { start, end })
    }

    /// The slice holding exactly the keys that extend `prefix` (one row when
    /// `prefix` is a full clustering key).
    pub fn prefix(prefix: impl Into<Bytes>) -> Self {
        let prefix = prefix.into();
        Self {
            start: ClusteringBound::inclusive_start(prefix.clone()),
            end: ClusteringBound::inclusive_end(prefix),
        }
    }

    /// True when `key` lies inside the slice.
    pub fn contains(&self, key: &ClusteringKey) -> bool {
        self.start.cmp_key(key) == Ordering::Less && self.end.cmp_key(key) == Ordering::Greater
    }

    /// True when no key can lie inside the slice.
    pub fn is_empty(&self) -> bool {
        self.start.cmp_position(&self.end) != Ordering::Less
    }

    /// True when the two slices share at least one position.
    pub fn intersects(&self, other: &Slice) -> bool {
        self.start.cmp_position(&other.end) == Ordering::Less
            && other.start.cmp_position(&self.end) == Ordering::Less
    }

    /// True when `key` is after the whole slice.
    pub fn is_before(&self, key: &ClusteringKey) -> bool {
        self.end.cmp_key(key) == Ordering::Less
    }
}

/// A normalised set of slices: sorted, non-empty, non-overlapping and not
/// touching (adjacent slices are merged).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Slices(Vec<Slice>);

impl Slices {
    /// Normalises `slices`: drops empty ones, sorts by start, merges overlaps.
    pub fn new(mut slices: Vec<Slice>) -> Self {
        slices.retain(|s| !s.is_empty());
        slices.sort_by(|a, b| a.start.cmp_position(&b.start));
        let mut out: Vec<Slice> = Vec::with_capacity(slices.len());
        for slice in slices {
            if let Some(last) = out.last_mut()
                && slice.start.cmp_position(&last.end) != Ordering::Greater
            {
                if slice.end.cmp_position(&last.end) == Ordering::Greater {
                    last.end = slice.end;
                }
                continue;
            }
            out.push(slice);
        }
        Self(out)
    }

    /// Every clustering key.
    pub fn all() -> Self {
        Self(vec![Slice::ALL])
    }

    /// No key at all.
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// True when the set selects everything.
    pub fn selects_all(&self) -> bool {
        matches!(self.0.as_slice(), [only] if *only == Slice::ALL)
    }

    /// The slices in key order.
    pub fn as_slice(&self) -> &[Slice] {
        &self.0
    }

    /// True when some slice contains `key`.
    pub fn contains(&self, key: &ClusteringKey) -> bool {
        self.contains_bytes(key.as_bytes())
    }

    /// As [`Slices::contains`], on a key's bytes (a reader decides before
    /// building the key).
    pub fn contains_bytes(&self, key: &[u8]) -> bool {
        // The first slice whose end is after the key is the only candidate.
        let idx = self
            .0
            .partition_point(|s| s.end.cmp_key_bytes(key) == Ordering::Less);
        self.0
            .get(idx)
            .is_some_and(|s| s.start.cmp_key_bytes(key) == Ordering::Less)
    }

    /// True when the set selects no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
