//! INSERT: a row marker plus the given columns, from `VALUES (...)` or `JSON '...'`.

use sibyl_protocol::cql::ast::{Ident, Insert, InsertValues, JsonDefault, Term};
use sibyl_protocol::value::{CqlType, CqlValue};
use sibyl_storage::model::{ClusteringKey, LivenessInfo, PartitionUpdate, Row};

use super::super::json::{JSON_BYTES_MAX, from_json};
use super::super::terms::{Bound, bind};
use super::super::values::partition_key;
use super::{WriteContext, attrs, column, lwt_unsupported, write_value};
use crate::error::RequestError;
use crate::schema::{ColumnKind, ColumnMetadata, TableMetadata};
use crate::storage::engine_id;

/// Builds the INSERT's mutation.
///
/// # Errors
/// Missing key columns, unknown columns, values that do not bind.
pub fn insert(
    table: &TableMetadata,
    insert: &Insert,
    ctx: &WriteContext<'_>,
) -> Result<Vec<PartitionUpdate>, RequestError> {
    if insert.if_not_exists {
        return Err(lwt_unsupported());
    }
    if table.is_counter() {
        return Err(RequestError::invalid(
            "INSERT statements are not allowed on counter tables, use UPDATE instead",
        ));
    }
    let bound_columns = match &insert.values {
        InsertValues::Values { columns, values } => listed_values(table, columns, values, ctx)?,
        InsertValues::Json { value, default } => json_values(table, value, *default, ctx)?,
    };
    let attrs = attrs(table, &insert.using, ctx)?;
    let mut pk = Vec::new();
    let mut ck = Vec::new();
    let mut regular = Vec::new();
    for (meta, bound) in bound_columns {
        match meta.kind {
            ColumnKind::PartitionKey => pk.push((
                meta.position,
                bound.required(format_args!("partition key part {}", meta.name))?,
            )),
            ColumnKind::Clustering => ck.push((
                meta.position,
                bound.required(format_args!("clustering key part {}", meta.name))?,
            )),
            ColumnKind::Static | ColumnKind::Regular => regular.push((meta, bound)),
        }
    }
    let key = key_from(
        table,
        ColumnKind::PartitionKey,
        pk,
        "Some partition key parts are missing",
    )?;
    let key = partition_key(table, &key)?;
    let clustering = key_from(
        table,
        ColumnKind::Clustering,
        ck,
        "Some clustering keys are missing",
    )?;
    let mut update = PartitionUpdate::new(engine_id(table), key);
    let mut row = Row::new(super::super::values::clustering_key(table, &clustering)?);
    row.liveness = Some(match attrs.ttl {
        Some(ttl) => LivenessInfo::expiring(attrs.timestamp, ttl, attrs.now_s),
        None => LivenessInfo::new(attrs.timestamp),
    });
    let mut static_row = Row::new(ClusteringKey::new(bytes::Bytes::new()));
    for (meta, bound) in regular {
        let target = if meta.kind == ColumnKind::Static {
            &mut static_row
        } else {
            &mut row
        };
        write_value(target, meta, bound, attrs, ctx)?;
    }
    if !static_row.is_empty() {
        update.static_row = Some(static_row);
    }
    update.add_row(row);
    Ok(vec![update])
}

fn key_from(
    table: &TableMetadata,
    kind: ColumnKind,
    mut given: Vec<(u32, CqlValue)>,
    message: &str,
) -> Result<Vec<CqlValue>, RequestError> {
    given.sort_by_key(|(p, _)| *p);
    let names: Vec<&str> = table.columns_of(kind).map(|c| c.name.as_str()).collect();
    let missing: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            !given
                .iter()
                .any(|(p, _)| usize::try_from(*p).ok() == Some(*i))
        })
        .map(|(_, n)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(RequestError::invalid(format!(
            "{message}: {}",
            missing.join(", ")
        )));
    }
    Ok(given.into_iter().map(|(_, v)| v).collect())
}

/// `(cols) VALUES (terms)`: each named column with its bound value.
fn listed_values<'t>(
    table: &'t TableMetadata,
    columns: &[Ident],
    values: &[Term],
    ctx: &WriteContext<'_>,
) -> Result<Vec<(&'t ColumnMetadata, Bound)>, RequestError> {
    if columns.len() != values.len() {
        return Err(RequestError::invalid("Unmatched column names/values"));
    }
    let mut out = Vec::with_capacity(columns.len());
    for (name, term) in columns.iter().zip(values) {
        let meta = column(table, name.as_str())?;
        let bound = bind(term, &meta.ty, &meta.name, &ctx.bind)?;
        push_once(&mut out, meta, bound)?;
    }
    Ok(out)
}

/// Adds `meta`'s value, refusing a column given twice.
fn push_once<'t>(
    values: &mut Vec<(&'t ColumnMetadata, Bound)>,
    meta: &'t ColumnMetadata,
    bound: Bound,
) -> Result<(), RequestError> {
    if values.iter().any(|(m, _)| m.name == meta.name) {
        return Err(RequestError::invalid(format!(
            "Multiple definitions found for column {}",
            meta.name
        )));
    }
    values.push((meta, bound));
    Ok(())
}

/// `JSON '{...}' [DEFAULT NULL|UNSET]`: every column from the document's
/// keys (lower-cased unless double-quoted); columns left out are null, or
/// untouched with `DEFAULT UNSET`.
fn json_values<'t>(
    table: &'t TableMetadata,
    value: &Term,
    default: Option<JsonDefault>,
    ctx: &WriteContext<'_>,
) -> Result<Vec<(&'t ColumnMetadata, Bound)>, RequestError> {
    let text = match bind(value, &CqlType::Text, "[json]", &ctx.bind)? {
        Bound::Value(CqlValue::Text(text)) => text,
        Bound::Value(_) => return Err(RequestError::invalid("INSERT JSON takes a string")),
        Bound::Null | Bound::Unset => {
            return Err(RequestError::invalid("Got null for INSERT JSON values"));
        }
    };
    if text.len() > JSON_BYTES_MAX {
        return Err(RequestError::invalid(format!(
            "JSON document of {} bytes is larger than the {JSON_BYTES_MAX} bytes allowed",
            text.len()
        )));
    }
    let document: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| RequestError::invalid(format!("Could not decode JSON string: {e}")))?;
    let serde_json::Value::Object(map) = document else {
        return Err(RequestError::invalid(format!(
            "Could not decode JSON string as a map: {text}"
        )));
    };
    let mut given = Vec::with_capacity(map.len());
    for (key, json) in &map {
        let name = match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => key.to_lowercase(),
        };
        let meta = table.column(&name).ok_or_else(|| {
            RequestError::invalid(format!(
                "JSON values map contains unrecognized column: {name}"
            ))
        })?;
        let bound = match from_json(json, &meta.ty, &meta.name)? {
            Some(v) => Bound::Value(v),
            None => Bound::Null,
        };
        push_once(&mut given, meta, bound)?;
    }
    let missing = match default {
        Some(JsonDefault::Unset) => Bound::Unset,
        Some(JsonDefault::Null) | None => Bound::Null,
    };
    for meta in &table.columns {
        let is_key = matches!(meta.kind, ColumnKind::PartitionKey | ColumnKind::Clustering);
        if !is_key && !given.iter().any(|(m, _)| m.name == meta.name) {
            given.push((meta, missing.clone()));
        }
    }
    Ok(given)
}
