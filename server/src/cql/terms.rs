//! Binding terms to values: a literal, a bind marker's bytes, or a function
//! call becomes a typed [`CqlValue`] for its receiver (the column or clause it
//! is assigned to), with Cassandra's type checks and messages.

use std::str::FromStr;

use sibyl_protocol::cql::ast::{CqlTypeName, Term};
use sibyl_protocol::types::Value;
use sibyl_protocol::value::{CqlType, CqlValue, UdtDef, decode, parse_literal};

use crate::error::RequestError;

/// What a term binds to.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// A value.
    Value(CqlValue),
    /// `null`: deletes (writes) or matches nothing (reads).
    Null,
    /// An unset bind value: leave the column unchanged.
    Unset,
}

impl Bound {
    /// The value, or an error naming `receiver` for null/unset.
    ///
    /// # Errors
    /// [`RequestError::Invalid`] when the term was null or unset.
    pub fn required(self, receiver: impl std::fmt::Display) -> Result<CqlValue, RequestError> {
        match self {
            Bound::Value(v) => Ok(v),
            Bound::Null => Err(RequestError::invalid(format!(
                "Invalid null value for {receiver}"
            ))),
            Bound::Unset => Err(RequestError::invalid(format!(
                "Invalid unset value for {receiver}"
            ))),
        }
    }
}

/// Where bound values and time come from while binding one statement.
pub struct BindContext<'a> {
    /// Bound values by marker index.
    pub values: &'a [Value],
    /// Request time, µs since the epoch (for now(), currentTimestamp() ...).
    pub now_us: i64,
    /// Makes timeuuids for now() (node-unique).
    pub timeuuid: &'a dyn Fn(i64) -> uuid::Uuid,
}

/// Largest nesting of collection/tuple/function terms bound (the parser bounds it too).
const TERM_DEPTH_MAX: usize = 64;

/// Binds `term` for a receiver of type `ty` called `receiver`.
///
/// # Errors
/// [`RequestError::Invalid`] for a term that does not fit the type, a bad
/// bound value, a missing bind value, or an unknown function.
pub fn bind(
    term: &Term,
    ty: &CqlType,
    receiver: &str,
    ctx: &BindContext<'_>,
) -> Result<Bound, RequestError> {
    bind_at(term, ty.unfrozen(), receiver, ctx, 0)
}

fn bind_at(
    term: &Term,
    ty: &CqlType,
    receiver: &str,
    ctx: &BindContext<'_>,
    depth: usize,
) -> Result<Bound, RequestError> {
    if depth > TERM_DEPTH_MAX {
        return Err(RequestError::invalid("Term nesting too deep"));
    }
    match term {
        Term::Null => Ok(Bound::Null),
        Term::Bind(marker) => bind_marker(marker.index, ty, receiver, ctx),
        Term::TypeHint { ty: hint, term } => {
            let hinted = resolve_hint(hint)?;
            bind_at(term, &hinted, receiver, ctx, depth + 1)
        }
        Term::Function { name, args } => {
            call_function(name.name.as_str(), args, ty, receiver, ctx, depth).map(Bound::Value)
        }
        Term::List(items) | Term::Set(items) => {
            bind_sequence(term, items, ty, receiver, ctx, depth)
        }
        Term::Map(entries) => bind_map(entries, ty, receiver, ctx, depth),
        Term::Tuple(items) => bind_tuple(items, ty, receiver, ctx, depth),
        Term::Udt(fields) => bind_udt(fields, ty, receiver, ctx, depth),
        constant => bind_constant(constant, ty, receiver).map(Bound::Value),
    }
}

fn resolve_hint(hint: &CqlTypeName) -> Result<CqlType, RequestError> {
    hint.to_cql_type()
        .ok_or_else(|| RequestError::invalid("Type hints on user-defined types are not supported"))
}

fn bind_marker(
    index: usize,
    ty: &CqlType,
    receiver: &str,
    ctx: &BindContext<'_>,
) -> Result<Bound, RequestError> {
    let value = ctx.values.get(index).ok_or_else(|| {
        RequestError::invalid(format!(
            "There were {} markers(?) in CQL but {} bound variables",
            index + 1,
            ctx.values.len()
        ))
    })?;
    match value {
        Value::Null => Ok(Bound::Null),
        Value::Unset => Ok(Bound::Unset),
        Value::Bytes(bytes) => decode(ty, bytes).map(Bound::Value).map_err(|e| {
            RequestError::invalid(format!(
                "Exception while decoding bound value for {receiver} of type {ty}: {e}"
            ))
        }),
    }
}

/// The kind of constant, named as Cassandra names it in errors.
fn constant_kind(term: &Term) -> (&'static str, &str) {
    match term {
        Term::Str(s) => ("STRING", s),
        Term::Integer(s) => ("INTEGER", s),
        Term::Float(s) => ("FLOAT", s),
        Term::Uuid(s) => ("UUID", s),
        Term::Blob(s) => ("HEX", s),
        Term::Duration(s) => ("DURATION", s),
        Term::Bool(true) => ("BOOLEAN", "true"),
        Term::Bool(false) => ("BOOLEAN", "false"),
        _ => ("CONSTANT", ""),
    }
}

fn accepts(kind: &str, ty: &CqlType) -> bool {
    use CqlType as T;
    match kind {
        "STRING" => matches!(
            ty,
            T::Text
                | T::Ascii
                | T::Timestamp
                | T::Date
                | T::Time
                | T::Inet
                | T::Duration
                | T::Uuid
                | T::Timeuuid
        ),
        "INTEGER" => matches!(
            ty,
            T::Int
                | T::Bigint
                | T::Smallint
                | T::Tinyint
                | T::Varint
                | T::Decimal
                | T::Double
                | T::Float
                | T::Counter
                | T::Timestamp
                | T::Date
                | T::Time
        ),
        "FLOAT" => matches!(ty, T::Double | T::Float | T::Decimal),
        "UUID" => matches!(ty, T::Uuid | T::Timeuuid),
        "HEX" => matches!(ty, T::Blob),
        "DURATION" => matches!(ty, T::Duration),
        "BOOLEAN" => matches!(ty, T::Boolean),
        _ => false,
    }
}

fn bind_constant(term: &Term, ty: &CqlType, receiver: &str) -> Result<CqlValue, RequestError> {
    let (kind, text) = constant_kind(term);
    if !accepts(kind, ty) {
        return Err(RequestError::invalid(format!(
            "Invalid {kind} constant ({text}) for \"{receiver}\" of type {ty}"
        )));
    }
    let literal = match term {
        // A hex constant is written without quotes; parse_literal wants the same text.
        Term::Str(s) if matches!(ty, CqlType::Text | CqlType::Ascii) => {
            return Ok(if *ty == CqlType::Ascii {
                CqlValue::Ascii(s.clone())
            } else {
                CqlValue::Text(s.clone())
            });
        }
        _ => text,
    };
    let value = parse_literal(ty, literal).map_err(|e| RequestError::invalid(format!("{e}")))?;
    // Integers given to a timestamp column are milliseconds, as Cassandra reads them.
    Ok(value)
}

fn element_types(ty: &CqlType) -> Option<(&CqlType, bool)> {
    match ty {
        CqlType::List(e) => Some((e, false)),
        CqlType::Set(e) => Some((e, true)),
        CqlType::Vector(e, _) => Some((e, false)),
        _ => None,
    }
}

fn bind_sequence(
    term: &Term,
    items: &[Term],
    ty: &CqlType,
    receiver: &str,
    ctx: &BindContext<'_>,
    depth: usize,
) -> Result<Bound, RequestError> {
    if let (Term::Set(items), CqlType::Map(..)) = (term, ty)
        && items.is_empty()
    {
        return Ok(Bound::Value(CqlValue::Map(Vec::new())));
    }
    let Some((element, is_set)) = element_types(ty) else {
        return Err(RequestError::invalid(format!(
            "Invalid collection literal for {receiver} of type {ty}"
        )));
    };
    let literal_is_set = matches!(term, Term::Set(_));
    if literal_is_set != is_set {
        let what = if literal_is_set { "set" } else { "list" };
        return Err(RequestError::invalid(format!(
            "Invalid {what} literal for {receiver} of type {ty}"
        )));
    }
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        let element_receiver = format!("element of {receiver}");
        values.push(
            bind_at(item, element.unfrozen(), &element_receiver, ctx, depth + 1)?
                .required(&element_receiver)?,
        );
    }
    Ok(Bound::Value(match ty {
        CqlType::Set(_) => CqlValue::Set(values).normalized(ty),
        CqlType::Vector(_, n) => {
            if u32::try_from(values.len()).ok() != Some(*n) {
                return Err(RequestError::invalid(format!(
                    "Invalid vector literal for {receiver} of type {ty}; expected {n} elements, but given {}",
                    values.len()
                )));
            }
            CqlValue::Vector(values)
        }
        _ => CqlValue::List(values),
    }))
}

fn bind_map(
    entries: &[(Term, Term)],
    ty: &CqlType,
    receiver: &str,
    ctx: &BindContext<'_>,
    depth: usize,
) -> Result<Bound, RequestError> {
    let CqlType::Map(key_ty, value_ty) = ty else {
        return Err(RequestError::invalid(format!(
            "Invalid map literal for {receiver} of type {ty}"
        )));
    };
    let mut pairs = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let key = bind_at(
            key,
            key_ty.unfrozen(),
            &format!("key of {receiver}"),
            ctx,
            depth + 1,
        )?
        .required(format_args!("key of {receiver}"))?;
        let value = bind_at(
            value,
            value_ty.unfrozen(),
            &format!("value of {receiver}"),
            ctx,
            depth + 1,
        )?
        .required(format_args!("value of {receiver}"))?;
        pairs.push((key, value));
    }
    Ok(Bound::Value(CqlValue::Map(pairs).normalized(ty)))
}

fn bind_tuple(
    items: &[Term],
    ty: &CqlType,
    receiver: &str,
    ctx: &BindContext<'_>,
    depth: usize,
) -> Result<Bound, RequestError> {
    let CqlType::Tuple(types) = ty else {
        return Err(RequestError::invalid(format!(
            "Invalid tuple literal for {receiver} of type {ty}"
        )));
    };
    if items.len() > types.len() {
        return Err(RequestError::invalid(format!(
            "Invalid tuple literal for {receiver}: too many elements. Type {ty} expects {} but got {}",
            types.len(),
            items.len()
        )));
    }
    let mut values = Vec::with_capacity(types.len());
    for (i, item) in items.iter().enumerate() {
        let component_ty = types
            .get(i)
            .map(CqlType::unfrozen)
            .unwrap_or(&CqlType::Blob);
        let component = match bind_at(
            item,
            component_ty,
            &format!("component {i} of {receiver}"),
            ctx,
            depth + 1,
        )? {
            Bound::Value(v) => Some(v),
            Bound::Null | Bound::Unset => None,
        };
        values.push(component);
    }
    Ok(Bound::Value(CqlValue::Tuple(values)))
}

fn bind_udt(
    fields: &[(sibyl_protocol::cql::ast::Ident, Term)],
    ty: &CqlType,
    receiver: &str,
    ctx: &BindContext<'_>,
    depth: usize,
) -> Result<Bound, RequestError> {
    let CqlType::Udt(UdtDef {
        fields: declared,
        name,
        ..
    }) = ty
    else {
        return Err(RequestError::invalid(format!(
            "Invalid user type literal for {receiver} of type {ty}"
        )));
    };
    let mut values: Vec<Option<CqlValue>> = vec![None; declared.len()];
    for (field, term) in fields {
        let index = declared
            .iter()
            .position(|(n, _)| n == field.as_str())
            .ok_or_else(|| {
                RequestError::invalid(format!(
                    "Unknown field '{}' in value of user defined type {name}",
                    field.as_str()
                ))
            })?;
        let field_ty = declared
            .get(index)
            .map(|(_, t)| t.unfrozen())
            .unwrap_or(&CqlType::Blob);
        let field_receiver = format!("field {} of {receiver}", field.as_str());
        if let Bound::Value(v) = bind_at(term, field_ty, &field_receiver, ctx, depth + 1)?
            && let Some(slot) = values.get_mut(index)
        {
            *slot = Some(v);
        }
    }
    let named = declared
        .iter()
        .zip(values)
        .map(|((n, _), v)| (n.clone(), v))
        .collect();
    Ok(Bound::Value(CqlValue::Udt(named)))
}

fn call_function(
    name: &str,
    args: &[Term],
    ty: &CqlType,
    receiver: &str,
    ctx: &BindContext<'_>,
    depth: usize,
) -> Result<CqlValue, RequestError> {
    let lower = name.to_ascii_lowercase();
    let millis = ctx.now_us.div_euclid(1000);
    let no_args = |value: CqlValue| {
        if args.is_empty() {
            Ok(value)
        } else {
            Err(RequestError::invalid(format!(
                "Invalid number of arguments in call to function system.{lower}: 0 required but {} provided",
                args.len()
            )))
        }
    };
    let timestamp_arg = |expected: &CqlType| -> Result<i64, RequestError> {
        let [arg] = args else {
            return Err(RequestError::invalid(format!(
                "Invalid number of arguments in call to function system.{lower}: 1 required but {} provided",
                args.len()
            )));
        };
        let value = bind_at(arg, expected, receiver, ctx, depth + 1)?.required(receiver)?;
        value_millis(&value)
            .ok_or_else(|| RequestError::invalid(format!("Invalid argument {value} to {lower}")))
    };
    let value = match lower.as_str() {
        "now" | "currenttimeuuid" => no_args(CqlValue::Timeuuid((ctx.timeuuid)(ctx.now_us)))?,
        "uuid" => no_args(CqlValue::Uuid(uuid::Uuid::new_v4()))?,
        "currenttimestamp" => no_args(CqlValue::Timestamp(millis))?,
        "currentdate" => no_args(CqlValue::Date(epoch_days(millis)))?,
        "currenttime" => no_args(CqlValue::Time(ctx.now_us.rem_euclid(86_400_000_000) * 1000))?,
        "totimestamp" | "dateof" => CqlValue::Timestamp(timestamp_arg(&CqlType::Timeuuid)?),
        "tounixtimestamp" | "unixtimestampof" => {
            CqlValue::Bigint(timestamp_arg(&CqlType::Timeuuid)?)
        }
        "todate" => CqlValue::Date(epoch_days(timestamp_arg(&CqlType::Timestamp)?)),
        "mintimeuuid" => CqlValue::Timeuuid(bounding_timeuuid(
            timestamp_arg(&CqlType::Timestamp)?,
            false,
        )),
        "maxtimeuuid" => {
            CqlValue::Timeuuid(bounding_timeuuid(timestamp_arg(&CqlType::Timestamp)?, true))
        }
        _ => return Err(RequestError::invalid(format!("Unknown function '{name}'"))),
    };
    coerce_result(value, ty, name)
}

fn coerce_result(value: CqlValue, ty: &CqlType, name: &str) -> Result<CqlValue, RequestError> {
    let fits = matches!(
        (&value, ty),
        (CqlValue::Timeuuid(_), CqlType::Timeuuid | CqlType::Uuid)
            | (CqlValue::Uuid(_), CqlType::Uuid)
            | (CqlValue::Timestamp(_), CqlType::Timestamp)
            | (CqlValue::Date(_), CqlType::Date)
            | (CqlValue::Time(_), CqlType::Time)
            | (CqlValue::Bigint(_), CqlType::Bigint)
    );
    match (value, ty) {
        (CqlValue::Timeuuid(u), CqlType::Uuid) => Ok(CqlValue::Uuid(u)),
        (value, _) if fits => Ok(value),
        (_, ty) => Err(RequestError::invalid(format!(
            "Type error: cannot assign result of function system.{} to a value of type {ty}",
            name.to_ascii_lowercase()
        ))),
    }
}

/// Milliseconds in a day.
const MILLIS_PER_DAY: i64 = 86_400_000;
/// The raw `date` value of 1970-01-01 (dates count days from 2^31).
const DATE_EPOCH_DAYS: i64 = 1 << 31;

/// The raw `date` value of the day holding `millis` since the Unix epoch.
pub fn epoch_days(millis: i64) -> u32 {
    let days = millis.div_euclid(MILLIS_PER_DAY) + DATE_EPOCH_DAYS;
    u32::try_from(days).unwrap_or(0)
}

/// Unix milliseconds of a timestamp, timeuuid or date (midnight); `None` for other values.
pub fn value_millis(value: &CqlValue) -> Option<i64> {
    match value {
        CqlValue::Timestamp(ms) => Some(*ms),
        CqlValue::Timeuuid(u) => Some(timeuuid_millis(u)),
        CqlValue::Date(d) => Some((i64::from(*d) - DATE_EPOCH_DAYS) * MILLIS_PER_DAY),
        _ => None,
    }
}

/// 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch.
const UUID_EPOCH_OFFSET_100NS: i64 = 0x01B2_1DD2_1381_4000;

/// The Unix milliseconds of a version 1 UUID.
pub fn timeuuid_millis(u: &uuid::Uuid) -> i64 {
    let ticks = u.get_timestamp().map(|t| t.to_gregorian().0).unwrap_or(0);
    (i64::try_from(ticks).unwrap_or(0) - UUID_EPOCH_OFFSET_100NS).div_euclid(10_000)
}

/// The smallest or largest timeuuid of a millisecond (Cassandra's min/maxTimeuuid).
pub fn bounding_timeuuid(millis: i64, max: bool) -> uuid::Uuid {
    let ticks = millis * 10_000 + UUID_EPOCH_OFFSET_100NS + if max { 9_999 } else { 0 };
    let ticks = u64::try_from(ticks).unwrap_or(0);
    let time_low = u32::try_from(ticks & 0xFFFF_FFFF).unwrap_or(0);
    let time_mid = u16::try_from((ticks >> 32) & 0xFFFF).unwrap_or(0);
    let time_hi = u16::try_from((ticks >> 48) & 0x0FFF).unwrap_or(0) | 0x1000;
    // Cassandra's bounds: the lowest/highest clock-seq-and-node as signed bytes.
    let tail: [u8; 8] = if max { [0x7f; 8] } else { [0x80; 8] };
    uuid::Uuid::from_fields(time_low, time_mid, time_hi, &tail)
}

/// Parses an integer term's text for a receiver that needs an `i64` (LIMIT, TTL, TIMESTAMP).
///
/// # Errors
/// A non-integer or out-of-range value.
pub fn integer<T: FromStr>(text: &str, receiver: &str) -> Result<T, RequestError> {
    text.parse()
        .map_err(|_| RequestError::invalid(format!("Invalid value {text} for {receiver}")))
}

#[cfg(test)]
#[path = "terms_tests.rs"]
mod tests;
