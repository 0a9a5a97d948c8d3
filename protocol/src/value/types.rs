//! [`CqlType`]: a CQL data type as CQL text and the native protocol describe it.
//!
//! The protocol carries types as `[option]` ids (spec §6 of v4/v5); schema tables
//! and DDL carry them as CQL text (`frozen<map<text, int>>`). Frozenness only
//! matters to storage (a non-frozen collection is stored cell by cell); the wire
//! encoding of a value is the same frozen or not.

use std::fmt;

/// A CQL data type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum CqlType {
    /// A type the protocol names by Java class (option 0x0000), e.g. a DSE type.
    Custom(String),
    /// `ascii`: US-ASCII text.
    Ascii,
    /// `bigint`: 64-bit signed integer.
    Bigint,
    /// `blob`: arbitrary bytes.
    Blob,
    /// `boolean`.
    Boolean,
    /// `counter`: 64-bit distributed counter.
    Counter,
    /// `decimal`: arbitrary-precision decimal.
    Decimal,
    /// `double`: 64-bit IEEE 754 float.
    Double,
    /// `float`: 32-bit IEEE 754 float.
    Float,
    /// `int`: 32-bit signed integer.
    Int,
    /// `timestamp`: milliseconds since the Unix epoch.
    Timestamp,
    /// `uuid`: any UUID.
    Uuid,
    /// `text` / `varchar`: UTF-8 text.
    Text,
    /// `varint`: arbitrary-precision integer.
    Varint,
    /// `timeuuid`: version 1 UUID, ordered by its time.
    Timeuuid,
    /// `inet`: IPv4 or IPv6 address.
    Inet,
    /// `date`: days since -5877641-06-23, unsigned with 2^31 at the epoch.
    Date,
    /// `time`: nanoseconds since midnight.
    Time,
    /// `smallint`: 16-bit signed integer.
    Smallint,
    /// `tinyint`: 8-bit signed integer.
    Tinyint,
    /// `duration`: months, days, nanoseconds.
    Duration,
    /// `list<T>`.
    List(Box<CqlType>),
    /// `set<T>`.
    Set(Box<CqlType>),
    /// `map<K, V>`.
    Map(Box<CqlType>, Box<CqlType>),
    /// A user-defined type.
    Udt(UdtDef),
    /// `tuple<T1, T2, ...>` (always frozen).
    Tuple(Vec<CqlType>),
    /// `vector<T, n>`: a fixed-length, always-frozen sequence (Cassandra 5).
    Vector(Box<CqlType>, u32),
    /// `frozen<T>`: a collection or UDT stored as one value.
    Frozen(Box<CqlType>),
}

/// The definition of a user-defined type, as result metadata carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UdtDef {
    /// Keyspace that defines the type.
    pub keyspace: String,
    /// Type name (as stored: case preserved, unquoted).
    pub name: String,
    /// Field names and types, in declaration order.
    pub fields: Vec<(String, CqlType)>,
}

impl CqlType {
    /// The type with any `frozen<...>` wrapper removed (the wire form of a value).
    pub fn unfrozen(&self) -> &CqlType {
        match self {
            CqlType::Frozen(inner) => inner.unfrozen(),
            other => other,
        }
    }

    /// True for `list`, `set` and `map`, frozen or not.
    pub fn is_collection(&self) -> bool {
        matches!(
            self.unfrozen(),
            CqlType::List(_) | CqlType::Set(_) | CqlType::Map(_, _)
        )
    }

    /// True when storage keeps the value as several cells: a non-frozen
    /// collection or non-frozen UDT.
    pub fn is_multi_cell(&self) -> bool {
        matches!(
            self,
            CqlType::List(_) | CqlType::Set(_) | CqlType::Map(_, _) | CqlType::Udt(_)
        )
    }

    /// True for `counter`.
    pub fn is_counter(&self) -> bool {
        matches!(self, CqlType::Counter)
    }

    /// The native type for a CQL type keyword (case-insensitive), if it is one.
    /// `varchar` is an alias of `text`.
    pub fn from_native_name(name: &str) -> Option<CqlType> {
        let lower = name.to_ascii_lowercase();
        let ty = match lower.as_str() {
            "ascii" => CqlType::Ascii,
            "bigint" => CqlType::Bigint,
            "blob" => CqlType::Blob,
            "boolean" => CqlType::Boolean,
            "counter" => CqlType::Counter,
            "decimal" => CqlType::Decimal,
            "double" => CqlType::Double,
            "float" => CqlType::Float,
            "int" => CqlType::Int,
            "timestamp" => CqlType::Timestamp,
            "uuid" => CqlType::Uuid,
            "text" | "varchar" => CqlType::Text,
            "varint" => CqlType::Varint,
            "timeuuid" => CqlType::Timeuuid,
            "inet" => CqlType::Inet,
            "date" => CqlType::Date,
            "time" => CqlType::Time,
            "smallint" => CqlType::Smallint,
            "tinyint" => CqlType::Tinyint,
            "duration" => CqlType::Duration,
            _ => return None,
        };
        Some(ty)
    }

    /// The CQL keyword of a native type, or `None` for composite and custom types.
    pub fn native_name(&self) -> Option<&'static str> {
        let name = match self {
            CqlType::Ascii => "ascii",
            CqlType::Bigint => "bigint",
            CqlType::Blob => "blob",
            CqlType::Boolean => "boolean",
            CqlType::Counter => "counter",
            CqlType::Decimal => "decimal",
            CqlType::Double => "double",
            CqlType::Float => "float",
            CqlType::Int => "int",
            CqlType::Timestamp => "timestamp",
            CqlType::Uuid => "uuid",
            CqlType::Text => "text",
            CqlType::Varint => "varint",
            CqlType::Timeuuid => "timeuuid",
            CqlType::Inet => "inet",
            CqlType::Date => "date",
            CqlType::Time => "time",
            CqlType::Smallint => "smallint",
            CqlType::Tinyint => "tinyint",
            CqlType::Duration => "duration",
            _ => return None,
        };
        Some(name)
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[CqlType]) -> fmt::Result {
    for (i, t) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{t}")?;
    }
    Ok(())
}

/// CQL text as `system_schema.columns.type` and `DESCRIBE` show it, e.g.
/// `frozen<map<text, int>>`, `vector<float, 3>`, a UDT by its (quoted if needed) name.
impl fmt::Display for CqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.native_name() {
            return f.write_str(name);
        }
        match self {
            CqlType::Custom(class) => write!(f, "'{}'", class.replace('\'', "''")),
            CqlType::List(t) => write!(f, "list<{t}>"),
            CqlType::Set(t) => write!(f, "set<{t}>"),
            CqlType::Map(k, v) => write!(f, "map<{k}, {v}>"),
            CqlType::Udt(udt) => f.write_str(&udt.name),
            CqlType::Tuple(items) => {
                f.write_str("tuple<")?;
                write_list(f, items)?;
                f.write_str(">")
            }
            CqlType::Vector(t, n) => write!(f, "vector<{t}, {n}>"),
            CqlType::Frozen(t) => write!(f, "frozen<{t}>"),
            _ => Err(fmt::Error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_names_round_trip() {
        for name in [
            "ascii",
            "bigint",
            "blob",
            "boolean",
            "counter",
            "decimal",
            "double",
            "float",
            "int",
            "timestamp",
            "uuid",
            "text",
            "varint",
            "timeuuid",
            "inet",
            "date",
            "time",
            "smallint",
            "tinyint",
            "duration",
        ] {
            let ty = CqlType::from_native_name(name).unwrap();
            assert_eq!(ty.to_string(), name);
        }
        assert_eq!(CqlType::from_native_name("VARCHAR"), Some(CqlType::Text));
        assert_eq!(CqlType::from_native_name("nope"), None);
    }

    #[test]
    fn composite_types_print_as_cql() {
        let ty = CqlType::Frozen(Box::new(CqlType::Map(
            Box::new(CqlType::Text),
            Box::new(CqlType::List(Box::new(CqlType::Int))),
        )));
        assert_eq!(ty.to_string(), "frozen<map<text, list<int>>>");
        let tuple = CqlType::Tuple(vec![CqlType::Int, CqlType::Text]);
        assert_eq!(tuple.to_string(), "tuple<int, text>");
        let vector = CqlType::Vector(Box::new(CqlType::Float), 3);
        assert_eq!(vector.to_string(), "vector<float, 3>");
    }

    #[test]
    fn multi_cell_only_when_not_frozen() {
        let list = CqlType::List(Box::new(CqlType::Int));
        assert!(list.is_multi_cell());
        assert!(list.is_collection());
        let frozen = CqlType::Frozen(Box::new(list.clone()));
        assert!(!frozen.is_multi_cell());
        assert!(frozen.is_collection());
        assert_eq!(frozen.unfrozen(), &list);
    }
}
