//! Typed results: [`QueryResult`] and [`RowSet`], rows decoded into
//! [`CqlValue`]s by the column types of the result metadata, and the encoding
//! of bound values (by the prepared statement's types, or inferred from the
//! values themselves for unprepared queries).

use bytes::Bytes;

use crate::client::error::{ClientError, Result};
use crate::response::{ColumnSpec, ResultBody, Rows, SchemaChange};
use crate::types::Value;
use crate::value::{self, CqlType, CqlValue, UdtDef};

/// One page of rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowSet {
    /// The columns, in row order.
    pub columns: Vec<ColumnSpec>,
    /// The rows; `None` is a null cell.
    pub rows: Vec<Vec<Option<CqlValue>>>,
    /// Set when more pages follow.
    pub paging_state: Option<Bytes>,
}

/// The outcome of a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    /// A write or other statement without rows.
    Void,
    /// Rows (one page).
    Rows(RowSet),
    /// The keyspace after `USE`.
    SetKeyspace(String),
    /// A schema change (DDL).
    SchemaChange(SchemaChange),
}

impl QueryResult {
    /// The rows, if this is a Rows result.
    pub fn rows(&self) -> Option<&RowSet> {
        match self {
            QueryResult::Rows(r) => Some(r),
            _ => None,
        }
    }

    /// Converts into the row set, if this is a Rows result.
    pub fn into_rows(self) -> Option<RowSet> {
        match self {
            QueryResult::Rows(r) => Some(r),
            _ => None,
        }
    }
}

/// Decodes a RESULT body. `known` supplies the columns when the server skipped
/// the metadata (EXECUTE with skip_metadata).
///
/// # Errors
/// A Prepared result (not a statement outcome), rows without column types, or
/// a cell that does not decode as its type.
pub fn decode_result(body: ResultBody, known: Option<&[ColumnSpec]>) -> Result<QueryResult> {
    match body {
        ResultBody::Void => Ok(QueryResult::Void),
        ResultBody::Rows(rows) => decode_rows(rows, known).map(QueryResult::Rows),
        ResultBody::SetKeyspace(ks) => Ok(QueryResult::SetKeyspace(ks)),
        ResultBody::SchemaChange(sc) => Ok(QueryResult::SchemaChange(sc)),
        ResultBody::Prepared(_) => Err(ClientError::UnexpectedResponse {
            request: "statement",
            response: "RESULT Prepared".into(),
        }),
    }
}

/// Decodes raw rows into typed cells.
///
/// # Errors
/// No column types available, or a cell that does not decode.
pub fn decode_rows(rows: Rows, known: Option<&[ColumnSpec]>) -> Result<RowSet> {
    let columns = match (rows.metadata.columns, known) {
        (Some(cols), _) => cols,
        (None, Some(cols)) => cols.to_vec(),
        (None, None) => {
            return Err(ClientError::Invalid(
                "rows without metadata and no known columns".into(),
            ));
        }
    };
    let mut out = Vec::with_capacity(rows.rows.len());
    for raw in rows.rows {
        if raw.len() != columns.len() {
            return Err(ClientError::Invalid(format!(
                "row of {} cells for {} columns",
                raw.len(),
                columns.len()
            )));
        }
        let mut row = Vec::with_capacity(raw.len());
        for (cell, col) in raw.iter().zip(&columns) {
            row.push(match cell {
                Some(bytes) => Some(value::decode(&col.ty, bytes)?),
                None => None,
            });
        }
        out.push(row);
    }
    Ok(RowSet {
        columns,
        rows: out,
        paging_state: rows.metadata.paging_state,
    })
}

/// The CQL type a value most naturally has, for binding it without prepared
/// metadata. Empty collections get `blob` elements (nothing is encoded).
pub fn infer_type(v: &CqlValue) -> CqlType {
    let elem = |items: &[CqlValue]| Box::new(items.first().map_or(CqlType::Blob, infer_type));
    match v {
        CqlValue::Empty | CqlValue::Blob(_) => CqlType::Blob,
        CqlValue::Ascii(_) => CqlType::Ascii,
        CqlValue::Bigint(_) => CqlType::Bigint,
        CqlValue::Boolean(_) => CqlType::Boolean,
        CqlValue::Counter(_) => CqlType::Counter,
        CqlValue::Date(_) => CqlType::Date,
        CqlValue::Decimal(_) => CqlType::Decimal,
        CqlValue::Double(_) => CqlType::Double,
        CqlValue::Duration(_) => CqlType::Duration,
        CqlValue::Float(_) => CqlType::Float,
        CqlValue::Inet(_) => CqlType::Inet,
        CqlValue::Int(_) => CqlType::Int,
        CqlValue::Smallint(_) => CqlType::Smallint,
        CqlValue::Text(_) => CqlType::Text,
        CqlValue::Time(_) => CqlType::Time,
        CqlValue::Timestamp(_) => CqlType::Timestamp,
        CqlValue::Timeuuid(_) => CqlType::Timeuuid,
        CqlValue::Tinyint(_) => CqlType::Tinyint,
        CqlValue::Uuid(_) => CqlType::Uuid,
        CqlValue::Varint(_) => CqlType::Varint,
        CqlValue::List(items) => CqlType::List(elem(items)),
        CqlValue::Set(items) => CqlType::Set(elem(items)),
        CqlValue::Vector(items) => {
            CqlType::Vector(elem(items), u32::try_from(items.len()).unwrap_or(u32::MAX))
        }
        CqlValue::Map(entries) => {
            let (k, v) = entries
                .first()
                .map_or((CqlType::Blob, CqlType::Blob), |(k, v)| {
                    (infer_type(k), infer_type(v))
                });
            CqlType::Map(Box::new(k), Box::new(v))
        }
        CqlValue::Tuple(items) => CqlType::Tuple(
            items
                .iter()
                .map(|i| i.as_ref().map_or(CqlType::Blob, infer_type))
                .collect(),
        ),
        CqlValue::Udt(fields) => CqlType::Udt(UdtDef {
            keyspace: String::new(),
            name: String::new(),
            fields: fields
                .iter()
                .map(|(n, v)| (n.clone(), v.as_ref().map_or(CqlType::Blob, infer_type)))
                .collect(),
        }),
    }
}

/// Encodes bound values: by `types` when given (they must match in number),
/// otherwise by each value's inferred type.
///
/// # Errors
/// A count mismatch or a value that does not fit its type.
pub fn encode_values(values: &[CqlValue], types: Option<&[ColumnSpec]>) -> Result<Vec<Value>> {
    if let Some(types) = types
        && types.len() != values.len()
    {
        return Err(ClientError::Invalid(format!(
            "{} values for {} bind markers",
            values.len(),
            types.len()
        )));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let ty = match types.and_then(|t| t.get(i)) {
                Some(spec) => spec.ty.clone(),
                None => infer_type(v),
            };
            Ok(Value::Bytes(Bytes::from(value::encode_to_vec(v, &ty)?)))
        })
        .collect()
}
