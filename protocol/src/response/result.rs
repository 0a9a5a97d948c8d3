//! RESULT bodies (spec §4.2.5): `<kind: [int]>` then Void (1), Rows (2),
//! Set_keyspace (3), Prepared (4) or Schema_change (5).
//!
//! Rows: `<metadata><rows_count: [int]>` then rows_count × columns_count
//! `[bytes]` cells. Prepared: `<id: [short bytes]>`, in v5
//! `<result_metadata_id: [short bytes]>`, then `<metadata><result_metadata>`.
//! Row cells stay raw bytes; typed decoding is `crate::value`'s job.

use bytes::{Bytes, BytesMut};

use crate::error::{ProtocolError, Result};
use crate::frame::ProtocolVersion;
use crate::response::event::SchemaChange;
use crate::response::metadata::{PreparedMetadata, RowsMetadata};
use crate::types::{self, Reader};

/// A Rows result: metadata and raw cells (`None` is a null cell).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rows {
    /// Column description, paging state.
    pub metadata: RowsMetadata,
    /// Each row has exactly `metadata.columns_count` cells.
    pub rows: Vec<Vec<Option<Bytes>>>,
}

/// A Prepared result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The statement id (Cassandra: MD5 of keyspace + query).
    pub id: Bytes,
    /// v5: id of the result metadata, echoed back in EXECUTE.
    pub result_metadata_id: Option<Bytes>,
    /// Bind markers and partition key indexes.
    pub metadata: PreparedMetadata,
    /// Columns the statement returns (empty for writes).
    pub result_metadata: RowsMetadata,
}

/// The body of a RESULT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultBody {
    /// Kind 1: nothing (writes).
    Void,
    /// Kind 2.
    Rows(Rows),
    /// Kind 3: the keyspace now in use after `USE`.
    SetKeyspace(String),
    /// Kind 4.
    Prepared(Prepared),
    /// Kind 5.
    SchemaChange(SchemaChange),
}

impl ResultBody {
    /// Appends the body.
    ///
    /// # Errors
    /// Rows whose width differs from the metadata, version mismatches, or
    /// over-long fields.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
        match self {
            ResultBody::Void => types::put_int(buf, 1),
            ResultBody::Rows(rows) => {
                types::put_int(buf, 2);
                encode_rows(rows, version, buf)?;
            }
            ResultBody::SetKeyspace(ks) => {
                types::put_int(buf, 3);
                types::put_string(buf, ks, "keyspace")?;
            }
            ResultBody::Prepared(p) => {
                types::put_int(buf, 4);
                types::put_short_bytes(buf, &p.id, "prepared id")?;
                match (&p.result_metadata_id, version >= ProtocolVersion::V5) {
                    (Some(id), true) => types::put_short_bytes(buf, id, "result metadata id")?,
                    (None, true) => {
                        return Err(ProtocolError::Invalid(
                            "v5 Prepared needs a result_metadata_id".into(),
                        ));
                    }
                    (Some(_), false) => {
                        return Err(ProtocolError::NotInVersion {
                            feature: "result_metadata_id",
                            version,
                        });
                    }
                    (None, false) => {}
                }
                p.metadata.encode(version, buf)?;
                p.result_metadata.encode(version, buf)?;
            }
            ResultBody::SchemaChange(sc) => {
                types::put_int(buf, 5);
                sc.encode(buf)?;
            }
        }
        Ok(())
    }

    /// Reads the body.
    ///
    /// # Errors
    /// Unknown kinds or malformed input.
    pub fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self> {
        Ok(match r.read_int("result kind")? {
            1 => ResultBody::Void,
            2 => ResultBody::Rows(decode_rows(r, version)?),
            3 => ResultBody::SetKeyspace(r.read_string("keyspace")?.to_owned()),
            4 => {
                let id = r.read_short_bytes("prepared id")?;
                let result_metadata_id = if version >= ProtocolVersion::V5 {
                    Some(r.read_short_bytes("result metadata id")?)
                } else {
                    None
                };
                let metadata = PreparedMetadata::decode(r, version)?;
                let result_metadata = RowsMetadata::decode(r, version)?;
                ResultBody::Prepared(Prepared {
                    id,
                    result_metadata_id,
                    metadata,
                    result_metadata,
                })
            }
            5 => ResultBody::SchemaChange(SchemaChange::decode(r)?),
            other => return Err(ProtocolError::UnknownResultKind(other)),
        })
    }
}

fn encode_rows(rows: &Rows, version: ProtocolVersion, buf: &mut BytesMut) -> Result<()> {
    rows.metadata.encode(version, buf)?;
    let width = usize::try_from(rows.metadata.columns_count)
        .map_err(|_| ProtocolError::Invalid("negative columns_count".into()))?;
    types::put_int_count(buf, rows.rows.len(), "rows")?;
    for row in &rows.rows {
        if row.len() != width {
            return Err(ProtocolError::Invalid(format!(
                "row has {} cells, metadata says {width}",
                row.len()
            )));
        }
        for cell in row {
            types::put_bytes(buf, cell.as_deref(), "cell")?;
        }
    }
    Ok(())
}

fn decode_rows(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Rows> {
    let metadata = RowsMetadata::decode(r, version)?;
    let width =
        usize::try_from(metadata.columns_count).map_err(|_| ProtocolError::NegativeLength {
            what: "columns count",
            length: metadata.columns_count,
        })?;
    let count = r.read_int("rows count")?;
    let count = usize::try_from(count).map_err(|_| ProtocolError::NegativeLength {
        what: "rows count",
        length: count,
    })?;
    // Each cell takes at least its 4-byte length; zero-width rows take nothing,
    // so bound their count by the collection limit instead.
    let min_row_bytes = width.saturating_mul(4);
    let fits = count.saturating_mul(min_row_bytes) <= r.remaining();
    if !fits || (width == 0 && count > r.limits().collection_elements_max) {
        return Err(ProtocolError::TooManyElements {
            what: "rows",
            count,
            max: r.remaining() / min_row_bytes.max(1),
        });
    }
    let mut rows = Vec::with_capacity(count);
    for _ in 0..count {
        let mut row = Vec::with_capacity(width);
        for _ in 0..width {
            row.push(r.read_bytes_owned("cell")?);
        }
        rows.push(row);
    }
    Ok(Rows { metadata, rows })
}
