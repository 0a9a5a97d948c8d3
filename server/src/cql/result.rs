//! Result sets: typed rows plus column specs, encoded into the protocol's
//! Rows result (`[bytes]` per cell, serialized by each column's type).

use sibyl_protocol::response::{ColumnSpec, ResultBody, Rows, RowsMetadata};
use sibyl_protocol::value::CqlValue;

use super::values::serialize;
use crate::error::RequestError;

/// Rows with the spec of each column, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultSet {
    /// Column specs (keyspace, table, name, type).
    pub columns: Vec<ColumnSpec>,
    /// Rows; each has one entry per column (`None` = null).
    pub rows: Vec<Vec<Option<CqlValue>>>,
}

impl ResultSet {
    /// The protocol Rows result; `paging_state` marks more pages.
    ///
    /// # Errors
    /// [`RequestError::Server`] when a value does not fit its column's type (a bug).
    pub fn into_result(
        self,
        paging_state: Option<bytes::Bytes>,
    ) -> Result<ResultBody, RequestError> {
        let mut rows = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            let mut cells = Vec::with_capacity(self.columns.len());
            for (spec, value) in self.columns.iter().zip(row) {
                let cell = match value {
                    Some(value) => Some(serialize(&spec.name, &spec.ty, value).map_err(|e| {
                        RequestError::Server(format!("result column {}: {e}", spec.name))
                    })?),
                    None => None,
                };
                cells.push(cell);
            }
            rows.push(cells);
        }
        let mut metadata = RowsMetadata::with_columns(self.columns);
        metadata.paging_state = paging_state;
        Ok(ResultBody::Rows(Rows { metadata, rows }))
    }
}
