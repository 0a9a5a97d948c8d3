//! Result metadata (spec v4/v5 §4.2.5.2) and prepared metadata (§4.2.5.4).
//!
//! Rows metadata: `<flags: [int]><columns_count: [int]>[<paging_state: [bytes]>]
//! [<new_metadata_id: [short bytes]>][<global_table_spec>?<col_spec_1>...]`.
//! Flags: 0x01 global table spec, 0x02 has more pages, 0x04 no metadata,
//! 0x08 metadata changed (v5). The global spec is used on encode whenever every
//! column belongs to the same table, as Cassandra does. An empty column list is
//! sent as no-metadata with count 0 (Cassandra's `ResultMetadata.EMPTY`, what a
//! Prepared result of a write carries). Metadata-changed and no-metadata are
//! mutually exclusive (Cassandra asserts it on both sides).

use bytes::{Bytes, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::frame::ProtocolVersion;
use crate::response::type_option::{decode_type, encode_type};
use crate::types::{self, Reader};
use crate::value::CqlType;

const FLAG_GLOBAL_TABLES_SPEC: i32 = 0x01;
const FLAG_HAS_MORE_PAGES: i32 = 0x02;
const FLAG_NO_METADATA: i32 = 0x04;
const FLAG_METADATA_CHANGED: i32 = 0x08;

/// One column of a result or of a prepared statement's bind markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Keyspace of the table.
    pub keyspace: String,
    /// Table name.
    pub table: String,
    /// Column (or bind marker) name.
    pub name: String,
    /// Its type.
    pub ty: CqlType,
}

/// Metadata of a Rows result (or the result part of a Prepared result).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowsMetadata {
    /// Number of columns in each row (also when `columns` is `None`).
    pub columns_count: i32,
    /// Set when more pages follow: pass it back in the next QUERY/EXECUTE.
    pub paging_state: Option<Bytes>,
    /// v5: the result metadata changed; the client must use this new id.
    pub new_metadata_id: Option<Bytes>,
    /// The columns, or `None` when the client asked to skip metadata.
    pub columns: Option<Vec<ColumnSpec>>,
}

impl RowsMetadata {
    /// Metadata listing `columns`.
    pub fn with_columns(columns: Vec<ColumnSpec>) -> Self {
        RowsMetadata {
            columns_count: i32::try_from(columns.len()).unwrap_or(i32::MAX),
            paging_state: None,
            new_metadata_id: None,
            columns: Some(columns),
        }
    }

    /// Appends the metadata.
    ///
    /// # Errors
    /// A `new_metadata_id` before v5, a column count that disagrees with the
    /// columns, or over-long names.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        if let Some(cols) = &self.columns
            && usize::try_from(self.columns_count).ok() != Some(cols.len())
        {
            return Err(ProtocolError::Invalid(
                "columns_count differs from columns".into(),
            ));
        }
        if self.new_metadata_id.is_some() && version < ProtocolVersion::V5 {
            return Err(ProtocolError::NotInVersion {
                feature: "new_metadata_id",
                version,
            });
        }
        let columns = self.columns.as_deref().filter(|c| !c.is_empty());
        if self.new_metadata_id.is_some() && columns.is_none() {
            return Err(ProtocolError::Invalid(
                "metadata_changed and no_metadata are mutually exclusive".into(),
            ));
        }
        let global = columns.and_then(global_spec);
        let mut flags = 0;
        if global.is_some() {
            flags |= FLAG_GLOBAL_TABLES_SPEC;
        }
        if self.paging_state.is_some() {
            flags |= FLAG_HAS_MORE_PAGES;
        }
        if columns.is_none() {
            flags |= FLAG_NO_METADATA;
        }
        if self.new_metadata_id.is_some() {
            flags |= FLAG_METADATA_CHANGED;
        }
        types::put_int(buf, flags);
        types::put_int(buf, self.columns_count);
        if let Some(state) = &self.paging_state {
            types::put_bytes(buf, Some(state), "paging state")?;
        }
        if let Some(id) = &self.new_metadata_id {
            types::put_short_bytes(buf, id, "new metadata id")?;
        }
        if let Some(cols) = columns {
            put_specs(buf, cols, global, version)?;
        }
        Ok(())
    }

    /// Reads the metadata.
    ///
    /// # Errors
    /// Truncated or malformed input.
    pub fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self> {
        let flags = r.read_int("metadata flags")?;
        let columns_count = r.read_int("columns count")?;
        let paging_state = if flags & FLAG_HAS_MORE_PAGES != 0 {
            r.read_bytes_owned("paging state")?
        } else {
            None
        };
        let new_metadata_id =
            if version >= ProtocolVersion::V5 && flags & FLAG_METADATA_CHANGED != 0 {
                Some(r.read_short_bytes("new metadata id")?)
            } else {
                None
            };
        let columns = if flags & FLAG_NO_METADATA != 0 {
            // Still bound the count: rows are sized by it.
            r.check_count(i64::from(columns_count), 0, "columns")?;
            None
        } else {
            let global = flags & FLAG_GLOBAL_TABLES_SPEC != 0;
            Some(read_specs(r, columns_count, global)?)
        };
        Ok(RowsMetadata {
            columns_count,
            paging_state,
            new_metadata_id,
            columns,
        })
    }
}

/// The bind-marker metadata of a Prepared result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreparedMetadata {
    /// Indices of the bind markers that make up the partition key, in key
    /// order (v4+; drivers route by them).
    pub pk_indexes: Vec<u16>,
    /// The bind markers.
    pub columns: Vec<ColumnSpec>,
}

impl PreparedMetadata {
    /// Appends `<flags><columns_count>[<pk_count><pk_index>...][<global>]<specs>`.
    ///
    /// # Errors
    /// Over-long names or too many columns.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        let global = global_spec(&self.columns);
        types::put_int(
            buf,
            if global.is_some() {
                FLAG_GLOBAL_TABLES_SPEC
            } else {
                0
            },
        );
        types::put_int_count(buf, self.columns.len(), "columns")?;
        if version >= ProtocolVersion::V4 {
            types::put_int_count(buf, self.pk_indexes.len(), "pk indexes")?;
            for i in &self.pk_indexes {
                types::put_short(buf, *i);
            }
        }
        put_specs(buf, &self.columns, global, version)
    }

    /// Reads the prepared metadata.
    ///
    /// # Errors
    /// Truncated or malformed input.
    pub fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self> {
        let flags = r.read_int("metadata flags")?;
        let columns_count = r.read_int("columns count")?;
        let mut pk_indexes = Vec::new();
        if version >= ProtocolVersion::V4 {
            let n = r.read_int("pk count")?;
            let n = r.check_count(i64::from(n), 2, "pk indexes")?;
            pk_indexes.reserve(n);
            for _ in 0..n {
                pk_indexes.push(r.read_short("pk index")?);
            }
        }
        let global = flags & FLAG_GLOBAL_TABLES_SPEC != 0;
        let columns = read_specs(r, columns_count, global)?;
        Ok(PreparedMetadata {
            pk_indexes,
            columns,
        })
    }
}

fn global_spec(cols: &[ColumnSpec]) -> Option<(&str, &str)> {
    let first = cols.first()?;
    cols.iter()
        .all(|c| c.keyspace == first.keyspace && c.table == first.table)
        .then_some((first.keyspace.as_str(), first.table.as_str()))
}

fn put_specs(
    buf: &mut BytesMut,
    cols: &[ColumnSpec],
    global: Option<(&str, &str)>,
    version: ProtocolVersion,
) -> Result<()> {
    if let Some((ks, table)) = global {
        types::put_string(buf, ks, "keyspace")?;
        types::put_string(buf, table, "table")?;
    }
    for c in cols {
        if global.is_none() {
            types::put_string(buf, &c.keyspace, "keyspace")?;
            types::put_string(buf, &c.table, "table")?;
        }
        types::put_string(buf, &c.name, "column name")?;
        encode_type(&c.ty, version, buf)?;
    }
    Ok(())
}

fn read_specs(r: &mut Reader<'_>, count: i32, global: bool) -> Result<Vec<ColumnSpec>> {
    let n = r.check_count(i64::from(count), 4, "columns")?;
    let global_spec = if global {
        Some((
            r.read_string("keyspace")?.to_owned(),
            r.read_string("table")?.to_owned(),
        ))
    } else {
        None
    };
    let mut cols = Vec::with_capacity(n);
    for _ in 0..n {
        let (keyspace, table) = match &global_spec {
            Some((ks, t)) => (ks.clone(), t.clone()),
            None => (
                r.read_string("keyspace")?.to_owned(),
                r.read_string("table")?.to_owned(),
            ),
        };
        let name = r.read_string("column name")?.to_owned();
        let ty = decode_type(r)?;
        cols.push(ColumnSpec {
            keyspace,
            table,
            name,
            ty,
        });
    }
    Ok(cols)
}
