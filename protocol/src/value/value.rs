//! [`CqlValue`]: one value of any CQL type, as drivers and the server handle it.
//!
//! Null is not a value: a missing value is `Option<CqlValue>` at the use sites
//! (bind values, row cells, tuple components, UDT fields). Inside lists, sets,
//! maps and vectors Cassandra rejects nulls, so their elements are plain
//! `CqlValue`s. [`CqlValue::Empty`] is the zero-length value Cassandra accepts for
//! most non-collection types (it is *not* null; `''` for text is `Text("")`).
//!
//! Sets and maps keep the order they were built or decoded in; call
//! [`CqlValue::normalized`] to sort and de-duplicate them by the element type's
//! CQL order, which is how Cassandra stores and returns them.

use std::net::IpAddr;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use uuid::Uuid;

/// The `date` value of 1970-01-01: dates are days as an unsigned 32-bit number
/// with the Unix epoch at 2^31.
pub const DATE_EPOCH: u32 = 1 << 31;

/// Nanoseconds in a day; a `time` value is in `0..NANOS_PER_DAY`.
pub const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// A CQL `duration`: months, days and nanoseconds, kept apart because their
/// lengths vary (Cassandra's `Duration`). All three have the same sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CqlDuration {
    /// Months.
    pub months: i32,
    /// Days.
    pub days: i32,
    /// Nanoseconds.
    pub nanos: i64,
}

impl CqlDuration {
    /// True when no component is negative or none is positive (Cassandra's rule:
    /// "all of the same sign").
    pub fn has_consistent_sign(&self) -> bool {
        let neg = self.months < 0 || self.days < 0 || self.nanos < 0;
        let pos = self.months > 0 || self.days > 0 || self.nanos > 0;
        !(neg && pos)
    }
}

/// One value of a CQL type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CqlValue {
    /// The zero-length value (not null); sorts before every other value.
    Empty,
    /// `ascii`.
    Ascii(String),
    /// `bigint`.
    Bigint(i64),
    /// `blob`.
    Blob(Vec<u8>),
    /// `boolean`.
    Boolean(bool),
    /// `counter`.
    Counter(i64),
    /// `date`: raw days with the epoch at [`DATE_EPOCH`].
    Date(u32),
    /// `decimal`.
    Decimal(BigDecimal),
    /// `double`.
    Double(f64),
    /// `duration`.
    Duration(CqlDuration),
    /// `float`.
    Float(f32),
    /// `inet`.
    Inet(IpAddr),
    /// `int`.
    Int(i32),
    /// `smallint`.
    Smallint(i16),
    /// `text` / `varchar`.
    Text(String),
    /// `time`: nanoseconds since midnight, `0..NANOS_PER_DAY`.
    Time(i64),
    /// `timestamp`: milliseconds since the Unix epoch.
    Timestamp(i64),
    /// `timeuuid` (version 1).
    Timeuuid(Uuid),
    /// `tinyint`.
    Tinyint(i8),
    /// `uuid`.
    Uuid(Uuid),
    /// `varint`.
    Varint(BigInt),
    /// `list<T>` (frozen or not).
    List(Vec<CqlValue>),
    /// `set<T>`: see the module docs about order.
    Set(Vec<CqlValue>),
    /// `map<K, V>`: entries, see the module docs about order.
    Map(Vec<(CqlValue, CqlValue)>),
    /// `tuple<...>`: components, `None` for null; may have fewer than declared.
    Tuple(Vec<Option<CqlValue>>),
    /// A UDT: (field name, value) in declaration order, `None` for null; may
    /// stop before the last declared field.
    Udt(Vec<(String, Option<CqlValue>)>),
    /// `vector<T, n>`.
    Vector(Vec<CqlValue>),
}

impl CqlValue {
    /// The name of the value's kind, for error messages (`"int"`, `"list"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            CqlValue::Empty => "empty",
            CqlValue::Ascii(_) => "ascii",
            CqlValue::Bigint(_) => "bigint",
            CqlValue::Blob(_) => "blob",
            CqlValue::Boolean(_) => "boolean",
            CqlValue::Counter(_) => "counter",
            CqlValue::Date(_) => "date",
            CqlValue::Decimal(_) => "decimal",
            CqlValue::Double(_) => "double",
            CqlValue::Duration(_) => "duration",
            CqlValue::Float(_) => "float",
            CqlValue::Inet(_) => "inet",
            CqlValue::Int(_) => "int",
            CqlValue::Smallint(_) => "smallint",
            CqlValue::Text(_) => "text",
            CqlValue::Time(_) => "time",
            CqlValue::Timestamp(_) => "timestamp",
            CqlValue::Timeuuid(_) => "timeuuid",
            CqlValue::Tinyint(_) => "tinyint",
            CqlValue::Uuid(_) => "uuid",
            CqlValue::Varint(_) => "varint",
            CqlValue::List(_) => "list",
            CqlValue::Set(_) => "set",
            CqlValue::Map(_) => "map",
            CqlValue::Tuple(_) => "tuple",
            CqlValue::Udt(_) => "user-defined type",
            CqlValue::Vector(_) => "vector",
        }
    }

    /// A `date` value from days since 1970-01-01 (negative before).
    pub fn date_from_epoch_days(days: i64) -> Option<CqlValue> {
        let raw = days.checked_add(i64::from(DATE_EPOCH))?;
        u32::try_from(raw).ok().map(CqlValue::Date)
    }
}

macro_rules! from_impls {
    ($($t:ty => $variant:ident),* $(,)?) => {
        $(
            impl From<$t> for CqlValue {
                fn from(v: $t) -> Self {
                    CqlValue::$variant(v)
                }
            }
        )*
    };
}

from_impls!(
    i8 => Tinyint,
    i16 => Smallint,
    i32 => Int,
    i64 => Bigint,
    f32 => Float,
    f64 => Double,
    bool => Boolean,
    String => Text,
    Vec<u8> => Blob,
    Uuid => Uuid,
    IpAddr => Inet,
    BigInt => Varint,
    BigDecimal => Decimal,
    CqlDuration => Duration,
);

impl From<&str> for CqlValue {
    fn from(v: &str) -> Self {
        CqlValue::Text(v.to_owned())
    }
}
