//! Scalar functions a SELECT applies to each row's values, with Cassandra's
//! names, argument types and result types: the time conversions
//! (`toTimestamp`, `toDate`, `toUnixTimestamp`, `dateOf`, `unixTimestampOf`),
//! blob conversions (`blobAsX`, `xAsBlob`), `toJson`, `CAST(x AS type)` and
//! Cassandra 5's collection functions (`map_keys`, `map_values`,
//! `collection_count`, `collection_min/max/sum/avg`).
//!
//! [`resolve`] checks a call once per statement and gives its result type;
//! [`Function::apply`] runs it per row.

use bigdecimal::BigDecimal;
use bigdecimal::num_bigint::BigInt;
use sibyl_protocol::value::temporal::format_timestamp;
use sibyl_protocol::value::{CqlType, CqlValue, decode, encode_to_vec};

use super::aggregate::Aggregate;
use super::json::to_json;
use super::terms::{epoch_days, value_millis};
use crate::error::RequestError;

/// A resolved scalar function.
#[derive(Debug, Clone)]
pub enum Function {
    /// `toTimestamp` / `dateOf`: timeuuid, date or timestamp -> timestamp.
    ToTimestamp,
    /// `toDate`: timeuuid, timestamp or date -> date.
    ToDate,
    /// `toUnixTimestamp` / `unixTimestampOf`: -> bigint milliseconds.
    ToUnixTimestamp,
    /// `typeAsBlob`: the value's serialized bytes.
    AsBlob(CqlType),
    /// `blobAsType`: decodes a blob as the type.
    BlobAs(CqlType),
    /// `toJson`: the value's JSON text.
    ToJson(CqlType),
    /// `CAST(x AS type)` from the argument's type.
    Cast(CqlType, CqlType),
    /// `map_keys(m)`: the keys as a set (Cassandra 5).
    MapKeys,
    /// `map_values(m)`: the values as a list (Cassandra 5).
    MapValues,
    /// `collection_count(c)`: the number of elements, an int (Cassandra 5).
    CollectionCount,
    /// `collection_min/max/sum/avg(c)`: the aggregate over a set's or list's
    /// elements, as the row aggregate computes it (Cassandra 5).
    CollectionAggregate(Aggregate),
}

fn arity(name: &str, args: &[CqlType], wanted: usize) -> Result<(), RequestError> {
    if args.len() == wanted {
        Ok(())
    } else {
        Err(RequestError::invalid(format!(
            "Invalid number of arguments in call to function system.{name}: {wanted} required but {} provided",
            args.len()
        )))
    }
}

/// The function `name` (lower case) over arguments of `args` (shown in
/// errors as `shown`, the arguments' column names), and its result type.
///
/// # Errors
/// Unknown functions, wrong argument counts or types.
pub fn resolve(
    name: &str,
    args: &[CqlType],
    shown: &[String],
) -> Result<(Function, CqlType), RequestError> {
    let temporal = |function: Function, result: CqlType| {
        arity(name, args, 1)?;
        match args.first().map(CqlType::unfrozen) {
            Some(CqlType::Timeuuid | CqlType::Timestamp | CqlType::Date) => Ok((function, result)),
            Some(other) => Err(RequestError::invalid(format!(
                "Type error: {other} cannot be passed as argument 0 of function system.{name}"
            ))),
            None => Err(RequestError::invalid(format!("{name} takes one argument"))),
        }
    };
    match name {
        "totimestamp" | "dateof" => temporal(Function::ToTimestamp, CqlType::Timestamp),
        "todate" => temporal(Function::ToDate, CqlType::Date),
        "tounixtimestamp" | "unixtimestampof" => {
            temporal(Function::ToUnixTimestamp, CqlType::Bigint)
        }
        "tojson" => {
            arity(name, args, 1)?;
            let ty = args.first().cloned().unwrap_or(CqlType::Blob);
            Ok((Function::ToJson(ty), CqlType::Text))
        }
        _ => {
            let shown = shown.first().map_or("", String::as_str);
            match name.strip_prefix("collection_") {
                Some(aggregate) if aggregate != "count" => {
                    resolve_collection_aggregate(name, aggregate, args, shown)
                }
                _ => resolve_collection(name, args, shown),
            }
        }
    }
}

/// `map_keys`, `map_values`, `collection_count`; then the blob conversions.
fn resolve_collection(
    name: &str,
    args: &[CqlType],
    shown: &str,
) -> Result<(Function, CqlType), RequestError> {
    let kind = match name {
        "map_keys" | "map_values" => "a map",
        "collection_count" => "a collection",
        _ => return resolve_blob(name, args),
    };
    arity(name, args, 1)?;
    let arg = args.first().map_or(&CqlType::Blob, CqlType::unfrozen);
    let wrong = || {
        RequestError::invalid(format!(
            "Function system.{name} requires {kind} argument, but found argument {shown} of type {arg}"
        ))
    };
    match (name, arg) {
        ("map_keys", CqlType::Map(k, _)) => Ok((Function::MapKeys, CqlType::Set(k.clone()))),
        ("map_values", CqlType::Map(_, v)) => Ok((Function::MapValues, CqlType::List(v.clone()))),
        ("collection_count", ty) if ty.is_collection() => {
            Ok((Function::CollectionCount, CqlType::Int))
        }
        _ => Err(wrong()),
    }
}

/// `collection_min/max` (sets and lists) and `collection_sum/avg` (numeric ones).
fn resolve_collection_aggregate(
    name: &str,
    aggregate: &str,
    args: &[CqlType],
    shown: &str,
) -> Result<(Function, CqlType), RequestError> {
    if !matches!(aggregate, "min" | "max" | "sum" | "avg") {
        return Err(RequestError::invalid(format!("Unknown function '{name}'")));
    }
    arity(name, args, 1)?;
    let arg = args.first().map_or(&CqlType::Blob, CqlType::unfrozen);
    let kind = if matches!(aggregate, "sum" | "avg") {
        "a numeric set/list"
    } else {
        "a set or list"
    };
    let wrong = || {
        RequestError::invalid(format!(
            "Function system.{name} requires {kind} argument, but found argument {shown} of type {arg}"
        ))
    };
    let (CqlType::Set(element) | CqlType::List(element)) = arg else {
        return Err(wrong());
    };
    let (aggregate, result) = Aggregate::resolve(aggregate, element).map_err(|_| wrong())?;
    Ok((Function::CollectionAggregate(aggregate), result))
}

fn resolve_blob(name: &str, args: &[CqlType]) -> Result<(Function, CqlType), RequestError> {
    let unknown = || RequestError::invalid(format!("Unknown function '{name}'"));
    if let Some(type_name) = name.strip_prefix("blobas") {
        let ty = CqlType::from_native_name(type_name).ok_or_else(unknown)?;
        arity(name, args, 1)?;
        if args.first().map(CqlType::unfrozen) != Some(&CqlType::Blob) {
            return Err(RequestError::invalid(format!(
                "Type error: the argument of function system.{name} must be a blob"
            )));
        }
        return Ok((Function::BlobAs(ty.clone()), ty));
    }
    if let Some(type_name) = name.strip_suffix("asblob") {
        let ty = CqlType::from_native_name(type_name).ok_or_else(unknown)?;
        arity(name, args, 1)?;
        if args.first().map(CqlType::unfrozen) != Some(&ty) {
            return Err(RequestError::invalid(format!(
                "Type error: the argument of function system.{name} must be a {ty}"
            )));
        }
        return Ok((Function::AsBlob(ty), CqlType::Blob));
    }
    Err(unknown())
}

/// Checks `CAST(x AS to)` for an `x` of type `from` (Cassandra's cast table).
///
/// # Errors
/// A cast Cassandra does not define.
pub fn resolve_cast(from: &CqlType, to: &CqlType) -> Result<Function, RequestError> {
    let from = from.unfrozen();
    let allowed = from == to
        || matches!(to, CqlType::Text | CqlType::Ascii)
        || (is_numeric(from) && is_numeric(to))
        || matches!(
            (from, to),
            (CqlType::Timestamp, CqlType::Date)
                | (CqlType::Date, CqlType::Timestamp)
                | (CqlType::Timeuuid, CqlType::Timestamp | CqlType::Date)
        );
    if allowed && !from.is_collection() {
        Ok(Function::Cast(from.clone(), to.clone()))
    } else {
        Err(RequestError::invalid(format!(
            "{from} cannot be cast to {to}"
        )))
    }
}

fn is_numeric(ty: &CqlType) -> bool {
    matches!(
        ty,
        CqlType::Tinyint
            | CqlType::Smallint
            | CqlType::Int
            | CqlType::Bigint
            | CqlType::Float
            | CqlType::Double
            | CqlType::Decimal
            | CqlType::Varint
            | CqlType::Counter
    )
}

impl Function {
    /// The function applied to one row's argument values (null in, null out).
    ///
    /// # Errors
    /// A blob that does not decode as the asked type.
    pub fn apply(&self, args: &[Option<CqlValue>]) -> Result<Option<CqlValue>, RequestError> {
        let Some(Some(arg)) = args.first() else {
            return Ok(None);
        };
        let value = match self {
            Function::ToTimestamp => value_millis(arg).map(CqlValue::Timestamp),
            Function::ToDate => value_millis(arg).map(|ms| CqlValue::Date(epoch_days(ms))),
            Function::ToUnixTimestamp => value_millis(arg).map(CqlValue::Bigint),
            Function::AsBlob(ty) => {
                Some(CqlValue::Blob(encode_to_vec(arg, ty).map_err(|e| {
                    RequestError::invalid(format!("Cannot convert to blob: {e}"))
                })?))
            }
            Function::BlobAs(ty) => match arg {
                CqlValue::Blob(bytes) => Some(decode(ty, bytes).map_err(|e| {
                    RequestError::invalid(format!("In call to function blobAs{ty}: {e}"))
                })?),
                _ => None,
            },
            Function::ToJson(ty) => Some(CqlValue::Text(to_json(arg, ty).to_string())),
            Function::Cast(from, to) => Some(cast(arg, from, to)?),
            Function::MapKeys | Function::MapValues | Function::CollectionCount => {
                collection_function(self, arg)
            }
            Function::CollectionAggregate(aggregate) => match arg {
                CqlValue::Set(items) | CqlValue::List(items) => {
                    aggregate.compute(items.iter().cloned())
                }
                _ => None,
            },
        };
        Ok(value)
    }
}

fn collection_function(function: &Function, arg: &CqlValue) -> Option<CqlValue> {
    let size = |n: usize| CqlValue::Int(i32::try_from(n).unwrap_or(i32::MAX));
    match (function, arg) {
        (Function::MapKeys, CqlValue::Map(entries)) => Some(CqlValue::Set(
            entries.iter().map(|(k, _)| k.clone()).collect(),
        )),
        (Function::MapValues, CqlValue::Map(entries)) => Some(CqlValue::List(
            entries.iter().map(|(_, v)| v.clone()).collect(),
        )),
        (Function::CollectionCount, CqlValue::Map(entries)) => Some(size(entries.len())),
        (Function::CollectionCount, CqlValue::Set(items) | CqlValue::List(items)) => {
            Some(size(items.len()))
        }
        _ => None,
    }
}

fn cast(value: &CqlValue, from: &CqlType, to: &CqlType) -> Result<CqlValue, RequestError> {
    if from == to {
        return Ok(value.clone());
    }
    let text = || -> String {
        match value {
            CqlValue::Text(s) | CqlValue::Ascii(s) => s.clone(),
            CqlValue::Float(f) => java_float_text(f64::from(*f)),
            CqlValue::Double(f) => java_float_text(*f),
            CqlValue::Timestamp(ms) => format_timestamp(*ms),
            other => match to_json(other, from) {
                serde_json::Value::String(s) => s,
                json => json.to_string(),
            },
        }
    };
    let out = match to {
        CqlType::Text => CqlValue::Text(text()),
        CqlType::Ascii => CqlValue::Ascii(text()),
        CqlType::Timestamp => CqlValue::Timestamp(value_millis(value).unwrap_or(0)),
        CqlType::Date => CqlValue::Date(epoch_days(value_millis(value).unwrap_or(0))),
        _ => numeric_cast(value, to)?,
    };
    Ok(out)
}

/// Java's `Double.toString` for ordinary magnitudes: always a fraction digit.
fn java_float_text(f: f64) -> String {
    let text = f.to_string();
    if f.is_finite() && !text.contains(['.', 'e', 'E']) {
        format!("{text}.0")
    } else {
        text
    }
}

/// Numeric conversions as Java's narrowing casts do them: integers wrap,
/// floating point truncates toward zero.
fn numeric_cast(value: &CqlValue, to: &CqlType) -> Result<CqlValue, RequestError> {
    let decimal: BigDecimal = match value {
        CqlValue::Tinyint(n) => BigDecimal::from(*n),
        CqlValue::Smallint(n) => BigDecimal::from(*n),
        CqlValue::Int(n) => BigDecimal::from(*n),
        CqlValue::Bigint(n) | CqlValue::Counter(n) => BigDecimal::from(*n),
        CqlValue::Varint(v) => BigDecimal::from(v.clone()),
        CqlValue::Decimal(d) => d.clone(),
        CqlValue::Float(f) => float_decimal(f64::from(*f))?,
        CqlValue::Double(f) => float_decimal(*f)?,
        other => {
            return Err(RequestError::invalid(format!(
                "{} cannot be cast to {to}",
                other.kind()
            )));
        }
    };
    let (whole, _) = decimal.with_scale(0).into_bigint_and_exponent();
    let wrapped = wrap_i64(&whole);
    #[expect(
        clippy::cast_possible_truncation,
        reason = "Java's narrowing casts wrap"
    )]
    let out = match to {
        CqlType::Tinyint => CqlValue::Tinyint(wrapped as i8),
        CqlType::Smallint => CqlValue::Smallint(wrapped as i16),
        CqlType::Int => CqlValue::Int(wrapped as i32),
        CqlType::Bigint | CqlType::Counter => CqlValue::Bigint(wrapped),
        CqlType::Varint => CqlValue::Varint(whole),
        CqlType::Decimal => CqlValue::Decimal(decimal),
        CqlType::Float | CqlType::Double => {
            let f: f64 = decimal.to_string().parse().unwrap_or(f64::NAN);
            if matches!(to, CqlType::Float) {
                CqlValue::Float(f as f32)
            } else {
                CqlValue::Double(f)
            }
        }
        other => {
            return Err(RequestError::invalid(format!(
                "{} cannot be cast to {other}",
                value.kind()
            )));
        }
    };
    Ok(out)
}

fn float_decimal(f: f64) -> Result<BigDecimal, RequestError> {
    f.to_string()
        .parse()
        .map_err(|_| RequestError::invalid(format!("{f} cannot be cast to a number")))
}

/// The low 64 bits of `n`, two's complement (Java's `longValue()`).
fn wrap_i64(n: &BigInt) -> i64 {
    let bytes = n.to_signed_bytes_le();
    let fill = if n.sign() == bigdecimal::num_bigint::Sign::Minus {
        0xff
    } else {
        0
    };
    let mut low = [fill; 8];
    for (slot, byte) in low.iter_mut().zip(bytes) {
        *slot = byte;
    }
    i64::from_le_bytes(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_java() {
        let int = |v: CqlValue, to: CqlType| numeric_cast(&v, &to).unwrap();
        assert_eq!(int(CqlValue::Double(1.9), CqlType::Int), CqlValue::Int(1));
        assert_eq!(
            int(CqlValue::Double(-1.9), CqlType::Bigint),
            CqlValue::Bigint(-1)
        );
        assert_eq!(
            int(CqlValue::Int(300), CqlType::Tinyint),
            CqlValue::Tinyint(44)
        );
        assert_eq!(
            int(CqlValue::Bigint(-1), CqlType::Varint),
            CqlValue::Varint(BigInt::from(-1))
        );
        assert_eq!(
            cast(&CqlValue::Double(3.0), &CqlType::Double, &CqlType::Text).unwrap(),
            CqlValue::Text("3.0".into())
        );
        assert!(resolve_cast(&CqlType::Boolean, &CqlType::Int).is_err());
        assert!(resolve_cast(&CqlType::Boolean, &CqlType::Text).is_ok());
    }

    #[test]
    fn blob_and_time_functions() {
        let (f, ty) = resolve("intasblob", &[CqlType::Int], &[]).unwrap();
        assert_eq!(ty, CqlType::Blob);
        let blob = f.apply(&[Some(CqlValue::Int(1))]).unwrap();
        assert_eq!(blob, Some(CqlValue::Blob(vec![0, 0, 0, 1])));
        let (back, _) = resolve("blobasint", &[CqlType::Blob], &[]).unwrap();
        assert_eq!(back.apply(&[blob]).unwrap(), Some(CqlValue::Int(1)));
        assert!(back.apply(&[Some(CqlValue::Blob(vec![1]))]).is_err());
        let (to_date, _) = resolve("todate", &[CqlType::Timestamp], &[]).unwrap();
        assert_eq!(
            to_date
                .apply(&[Some(CqlValue::Timestamp(86_400_000 + 5))])
                .unwrap(),
            Some(CqlValue::Date((1 << 31) + 1))
        );
        assert!(resolve("totimestamp", &[CqlType::Int], &[]).is_err());
        assert!(resolve("nosuch", &[], &[]).is_err());
    }

    #[test]
    fn collection_functions_follow_cassandra_5() {
        let map_ty = CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int));
        let map = CqlValue::Map(vec![
            (CqlValue::Text("a".into()), CqlValue::Int(3)),
            (CqlValue::Text("b".into()), CqlValue::Int(4)),
        ]);
        let (keys, ty) = resolve("map_keys", std::slice::from_ref(&map_ty), &[]).unwrap();
        assert_eq!(ty, CqlType::Set(Box::new(CqlType::Text)));
        assert_eq!(
            keys.apply(&[Some(map.clone())]).unwrap(),
            Some(CqlValue::Set(vec![
                CqlValue::Text("a".into()),
                CqlValue::Text("b".into())
            ]))
        );
        let (values, ty) = resolve("map_values", std::slice::from_ref(&map_ty), &[]).unwrap();
        assert_eq!(ty, CqlType::List(Box::new(CqlType::Int)));
        assert_eq!(
            values.apply(&[Some(map.clone())]).unwrap(),
            Some(CqlValue::List(vec![CqlValue::Int(3), CqlValue::Int(4)]))
        );
        let (count, ty) = resolve("collection_count", &[map_ty], &[]).unwrap();
        assert_eq!(ty, CqlType::Int);
        assert_eq!(count.apply(&[Some(map)]).unwrap(), Some(CqlValue::Int(2)));
        assert_eq!(count.apply(&[None]).unwrap(), None);
        let list_ty = CqlType::List(Box::new(CqlType::Int));
        let list = CqlValue::List(vec![CqlValue::Int(5), CqlValue::Int(1), CqlValue::Int(4)]);
        for (name, want) in [
            ("collection_min", 1),
            ("collection_max", 5),
            ("collection_sum", 10),
            ("collection_avg", 3),
        ] {
            let (f, ty) = resolve(name, std::slice::from_ref(&list_ty), &[]).unwrap();
            assert_eq!(ty, CqlType::Int);
            assert_eq!(
                f.apply(&[Some(list.clone())]).unwrap(),
                Some(CqlValue::Int(want))
            );
        }
        let text_set = CqlType::Set(Box::new(CqlType::Text));
        assert!(resolve("collection_max", std::slice::from_ref(&text_set), &[]).is_ok());
        assert!(resolve("collection_sum", &[text_set], &[]).is_err());
        assert!(resolve("map_keys", &[CqlType::Int], &[]).is_err());
        assert_eq!(
            resolve("collection_count", &[CqlType::Int], &["v".into()])
                .unwrap_err()
                .to_string(),
            "Function system.collection_count requires a collection argument, but found argument v of type int"
        );
    }
}
