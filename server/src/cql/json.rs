//! CQL values as JSON, as Cassandra's `SELECT JSON` writes them and
//! `INSERT JSON` / `fromJson()` read them: numbers for numeric types, strings
//! for text, dates, times, timestamps, UUIDs, inets, durations and blobs
//! (`0x...`), arrays for lists, sets, tuples and vectors, objects for maps
//! (keys as strings) and UDTs.

use serde_json::{Map, Number, Value as Json};
use sibyl_protocol::value::temporal::{
    format_date, format_duration, format_time, format_timestamp,
};
use sibyl_protocol::value::{CqlType, CqlValue, UdtDef, format_literal, parse_literal};

use crate::error::RequestError;

/// Largest JSON document accepted by INSERT JSON.
pub const JSON_BYTES_MAX: usize = 16 * 1024 * 1024;

/// The JSON form of a value of `ty`.
pub fn to_json(value: &CqlValue, ty: &CqlType) -> Json {
    let ty = ty.unfrozen();
    match value {
        CqlValue::List(items) | CqlValue::Set(items) | CqlValue::Vector(items) => {
            let elem = match ty {
                CqlType::List(e) | CqlType::Set(e) | CqlType::Vector(e, _) => e.as_ref(),
                other => other,
            };
            Json::Array(items.iter().map(|v| to_json(v, elem)).collect())
        }
        CqlValue::Map(entries) => map_to_json(entries, ty),
        CqlValue::Tuple(items) => {
            let types: &[CqlType] = match ty {
                CqlType::Tuple(t) => t,
                _ => &[],
            };
            Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.as_ref().map_or(Json::Null, |v| {
                            to_json(v, types.get(i).unwrap_or(&CqlType::Blob))
                        })
                    })
                    .collect(),
            )
        }
        CqlValue::Udt(fields) => udt_to_json(fields, ty),
        scalar => scalar_to_json(scalar),
    }
}

/// Numbers, booleans and the string forms of every non-collection value.
fn scalar_to_json(value: &CqlValue) -> Json {
    let number_or_string = |text: String| {
        text.parse::<Number>()
            .map_or_else(|_| Json::String(text.clone()), Json::Number)
    };
    match value {
        CqlValue::Text(s) | CqlValue::Ascii(s) => Json::String(s.clone()),
        CqlValue::Int(n) => Json::from(*n),
        CqlValue::Bigint(n) | CqlValue::Counter(n) => Json::from(*n),
        CqlValue::Smallint(n) => Json::from(*n),
        CqlValue::Tinyint(n) => Json::from(*n),
        CqlValue::Boolean(b) => Json::Bool(*b),
        CqlValue::Double(f) => {
            Number::from_f64(*f).map_or_else(|| Json::String(f.to_string()), Json::Number)
        }
        CqlValue::Float(f) => Number::from_f64(f64::from(*f))
            .map_or_else(|| Json::String(f.to_string()), Json::Number),
        CqlValue::Varint(v) => number_or_string(v.to_string()),
        CqlValue::Decimal(d) => number_or_string(d.to_string()),
        CqlValue::Blob(_) => Json::String(format_literal(value, &CqlType::Blob)),
        CqlValue::Timestamp(ms) => Json::String(format_timestamp(*ms)),
        CqlValue::Date(d) => Json::String(format_date(*d)),
        CqlValue::Time(t) => Json::String(format_time(*t)),
        CqlValue::Duration(d) => Json::String(format_duration(d)),
        CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => Json::String(u.to_string()),
        CqlValue::Inet(ip) => Json::String(ip.to_string()),
        _ => Json::Null,
    }
}

/// A map as a JSON object; non-string keys are written as their JSON text.
fn map_to_json(entries: &[(CqlValue, CqlValue)], ty: &CqlType) -> Json {
    let (key_ty, value_ty) = match ty {
        CqlType::Map(k, v) => (k.as_ref(), v.as_ref()),
        other => (other, other),
    };
    let mut map = Map::new();
    for (k, v) in entries {
        let key = match to_json(k, key_ty) {
            Json::String(s) => s,
            other => other.to_string(),
        };
        map.insert(key, to_json(v, value_ty));
    }
    Json::Object(map)
}

/// A UDT value as a JSON object of its fields.
fn udt_to_json(fields: &[(String, Option<CqlValue>)], ty: &CqlType) -> Json {
    let types: &[(String, CqlType)] = match ty {
        CqlType::Udt(def) => &def.fields,
        _ => &[],
    };
    let mut map = Map::new();
    for (name, v) in fields {
        let field_ty = types
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&CqlType::Blob, |(_, t)| t);
        map.insert(
            name.clone(),
            v.as_ref().map_or(Json::Null, |v| to_json(v, field_ty)),
        );
    }
    Json::Object(map)
}

fn bad(column: &str, ty: &CqlType, json: &Json) -> RequestError {
    RequestError::invalid(format!(
        "Error decoding JSON value for {column}: Expected a {ty} value, but got {json}"
    ))
}

/// A value of `ty` from its JSON form (`None` for JSON null).
///
/// # Errors
/// [`RequestError::Invalid`] naming the column when the JSON does not fit the type.
pub fn from_json(
    json: &Json,
    ty: &CqlType,
    column: &str,
) -> Result<Option<CqlValue>, RequestError> {
    let ty = ty.unfrozen();
    let literal = |text: &str| {
        parse_literal(ty, text).map_err(|e| {
            RequestError::invalid(format!("Error decoding JSON value for {column}: {e}"))
        })
    };
    let value = match (json, ty) {
        (Json::Null, _) => return Ok(None),
        (Json::String(s), CqlType::Text) => CqlValue::Text(s.clone()),
        (Json::String(s), CqlType::Ascii) => CqlValue::Ascii(s.clone()),
        (Json::String(s), _) => literal(s)?,
        (Json::Bool(b), CqlType::Boolean) => CqlValue::Boolean(*b),
        (Json::Number(n), _) => literal(&n.to_string())?,
        (Json::Array(items), CqlType::List(e) | CqlType::Set(e) | CqlType::Vector(e, _)) => {
            sequence_from_json(items, e, ty, column)?
        }
        (Json::Array(items), CqlType::Tuple(types)) => {
            let mut values = Vec::with_capacity(types.len());
            for (i, t) in types.iter().enumerate() {
                values.push(match items.get(i) {
                    Some(item) => from_json(item, t, column)?,
                    None => None,
                });
            }
            CqlValue::Tuple(values)
        }
        (Json::Object(map), CqlType::Map(k, v)) => map_from_json(map, k, v, ty, column)?,
        (Json::Object(map), CqlType::Udt(def)) => udt_from_json(map, def, column)?,
        _ => return Err(bad(column, ty, json)),
    };
    Ok(Some(value))
}

/// A list, set or vector from a JSON array; null elements are refused.
fn sequence_from_json(
    items: &[Json],
    elem: &CqlType,
    ty: &CqlType,
    column: &str,
) -> Result<CqlValue, RequestError> {
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        values.push(
            from_json(item, elem, column)?.ok_or_else(|| {
                RequestError::invalid(format!("Invalid null element in {column}"))
            })?,
        );
    }
    Ok(match ty {
        CqlType::Set(_) => CqlValue::Set(values).normalized(ty),
        CqlType::Vector(..) => CqlValue::Vector(values),
        _ => CqlValue::List(values),
    })
}

/// A map from a JSON object whose keys are the keys' string forms.
fn map_from_json(
    map: &Map<String, Json>,
    key_ty: &CqlType,
    value_ty: &CqlType,
    ty: &CqlType,
    column: &str,
) -> Result<CqlValue, RequestError> {
    let mut entries = Vec::with_capacity(map.len());
    for (key, value) in map {
        let key = from_json(&Json::String(key.clone()), key_ty, column)?
            .ok_or_else(|| RequestError::invalid(format!("Invalid null key in {column}")))?;
        let value = from_json(value, value_ty, column)?
            .ok_or_else(|| RequestError::invalid(format!("Invalid null value in {column}")))?;
        entries.push((key, value));
    }
    Ok(CqlValue::Map(entries).normalized(ty))
}

/// A UDT value from a JSON object; unknown fields are refused, missing ones are null.
fn udt_from_json(
    map: &Map<String, Json>,
    def: &UdtDef,
    column: &str,
) -> Result<CqlValue, RequestError> {
    if let Some(unknown) = map
        .keys()
        .find(|k| !def.fields.iter().any(|(n, _)| n == *k))
    {
        return Err(RequestError::invalid(format!(
            "Unknown field '{unknown}' in value of user defined type {}",
            def.name
        )));
    }
    let mut fields = Vec::with_capacity(def.fields.len());
    for (name, field_ty) in &def.fields {
        let value = match map.get(name) {
            Some(v) => from_json(v, field_ty, column)?,
            None => None,
        };
        fields.push((name.clone(), value));
    }
    Ok(CqlValue::Udt(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_json() {
        let cases: Vec<(CqlType, CqlValue)> = vec![
            (CqlType::Int, CqlValue::Int(-5)),
            (CqlType::Text, CqlValue::Text("hé".into())),
            (CqlType::Boolean, CqlValue::Boolean(true)),
            (CqlType::Double, CqlValue::Double(2.5)),
            (CqlType::Blob, CqlValue::Blob(vec![0xca, 0xfe])),
            (CqlType::Timestamp, CqlValue::Timestamp(1_704_164_645_000)),
            (
                CqlType::List(Box::new(CqlType::Int)),
                CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(2)]),
            ),
            (
                CqlType::Map(Box::new(CqlType::Int), Box::new(CqlType::Text)),
                CqlValue::Map(vec![(CqlValue::Int(1), CqlValue::Text("a".into()))]),
            ),
            (
                CqlType::Tuple(vec![CqlType::Int, CqlType::Text]),
                CqlValue::Tuple(vec![Some(CqlValue::Int(1)), None]),
            ),
        ];
        for (ty, value) in cases {
            let json = to_json(&value, &ty);
            assert_eq!(
                from_json(&json, &ty, "c").unwrap(),
                Some(value.clone()),
                "{ty}: {json}"
            );
        }
        assert_eq!(
            to_json(&CqlValue::Blob(vec![1]), &CqlType::Blob),
            Json::String("0x01".into())
        );
        assert!(from_json(&Json::Bool(true), &CqlType::Int, "c").is_err());
    }
}
