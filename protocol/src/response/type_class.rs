//! Java marshal class names for types the protocol carries as custom (`0x0000`)
//! options: `duration` before v5 and `vector<T, n>` always.
//!
//! Cassandra writes a vector as
//! `org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)`
//! (`TypeParser.stringifyVectorParameters`: note the spaces around the comma),
//! with the element type frozen. The parser here accepts any whitespace.

use crate::value::CqlType;

const PKG: &str = "org.apache.cassandra.db.marshal.";

/// Marshal class simple names of the native types.
const NATIVE: [(&str, CqlType); 20] = [
    ("AsciiType", CqlType::Ascii),
    ("LongType", CqlType::Bigint),
    ("BytesType", CqlType::Blob),
    ("BooleanType", CqlType::Boolean),
    ("CounterColumnType", CqlType::Counter),
    ("DecimalType", CqlType::Decimal),
    ("DoubleType", CqlType::Double),
    ("FloatType", CqlType::Float),
    ("Int32Type", CqlType::Int),
    ("TimestampType", CqlType::Timestamp),
    ("UUIDType", CqlType::Uuid),
    ("UTF8Type", CqlType::Text),
    ("IntegerType", CqlType::Varint),
    ("TimeUUIDType", CqlType::Timeuuid),
    ("InetAddressType", CqlType::Inet),
    ("SimpleDateType", CqlType::Date),
    ("TimeType", CqlType::Time),
    ("ShortType", CqlType::Smallint),
    ("ByteType", CqlType::Tinyint),
    ("DurationType", CqlType::Duration),
];

/// The class name of `duration`.
pub const DURATION_CLASS: &str = "org.apache.cassandra.db.marshal.DurationType";

/// The marshal class name of a type, or `None` for UDTs, tuples and customs
/// nested inside a vector (which this crate does not spell).
pub fn class_name(ty: &CqlType) -> Option<String> {
    if let Some((name, _)) = NATIVE.iter().find(|(_, t)| t == ty) {
        return Some(format!("{PKG}{name}"));
    }
    match ty {
        CqlType::List(t) => Some(format!("{PKG}ListType({})", class_name(t)?)),
        CqlType::Set(t) => Some(format!("{PKG}SetType({})", class_name(t)?)),
        CqlType::Map(k, v) => Some(format!(
            "{PKG}MapType({},{})",
            class_name(k)?,
            class_name(v)?
        )),
        CqlType::Frozen(t) => Some(format!("{PKG}FrozenType({})", class_name(t)?)),
        CqlType::Vector(t, n) => {
            let inner = frozen_if_collection(t);
            Some(format!("{PKG}VectorType({} , {n})", class_name(&inner)?))
        }
        _ => None,
    }
}

fn frozen_if_collection(t: &CqlType) -> CqlType {
    if matches!(t, CqlType::List(_) | CqlType::Set(_) | CqlType::Map(_, _)) {
        CqlType::Frozen(Box::new(t.clone()))
    } else {
        t.clone()
    }
}

/// Parses a marshal class name into a type; anything not understood stays
/// [`CqlType::Custom`] with the original text. `depth_max` bounds nesting.
pub fn parse_class(text: &str, depth_max: usize) -> CqlType {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
    };
    match p.parse(depth_max) {
        Some(ty) if p.at_end() => unfreeze(ty),
        _ => CqlType::Custom(text.to_owned()),
    }
}

/// Frozen wrappers carry no wire meaning: drop them everywhere.
fn unfreeze(ty: CqlType) -> CqlType {
    match ty {
        CqlType::Frozen(t) => unfreeze(*t),
        CqlType::List(t) => CqlType::List(Box::new(unfreeze(*t))),
        CqlType::Set(t) => CqlType::Set(Box::new(unfreeze(*t))),
        CqlType::Map(k, v) => CqlType::Map(Box::new(unfreeze(*k)), Box::new(unfreeze(*v))),
        CqlType::Vector(t, n) => CqlType::Vector(Box::new(unfreeze(*t)), n),
        other => other,
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.s.len()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.skip_ws();
        (self.s.get(self.pos) == Some(&c)).then(|| self.pos += 1)
    }

    fn ident(&mut self) -> Option<&str> {
        self.skip_ws();
        let start = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'_')
        {
            self.pos += 1;
        }
        let word = std::str::from_utf8(self.s.get(start..self.pos)?).ok()?;
        (!word.is_empty()).then_some(word)
    }

    fn parse(&mut self, depth: usize) -> Option<CqlType> {
        let depth = depth.checked_sub(1)?;
        let full = self.ident()?;
        let simple = full.strip_prefix(PKG).unwrap_or(full);
        if let Some((_, ty)) = NATIVE.iter().find(|(n, _)| *n == simple) {
            return Some(ty.clone());
        }
        let simple = simple.to_owned();
        self.eat(b'(')?;
        let ty = match simple.as_str() {
            "ListType" => CqlType::List(Box::new(self.parse(depth)?)),
            "SetType" => CqlType::Set(Box::new(self.parse(depth)?)),
            "FrozenType" => CqlType::Frozen(Box::new(self.parse(depth)?)),
            "MapType" => {
                let k = self.parse(depth)?;
                self.eat(b',')?;
                CqlType::Map(Box::new(k), Box::new(self.parse(depth)?))
            }
            "VectorType" => {
                let t = self.parse(depth)?;
                self.eat(b',')?;
                let n: u32 = self.ident()?.parse().ok()?;
                if n == 0 {
                    return None;
                }
                CqlType::Vector(Box::new(t), n)
            }
            _ => return None,
        };
        self.eat(b')')?;
        Some(ty)
    }
}
