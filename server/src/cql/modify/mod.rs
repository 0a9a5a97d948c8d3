//! INSERT, UPDATE and DELETE -> one `PartitionUpdate` per partition.
//!
//! Cassandra's semantics: INSERT writes a row marker (the row exists even with
//! every regular column null) and UPDATE does not; a null value writes a
//! tombstone; an unset value leaves the column alone; overwriting a
//! non-frozen collection first deletes it (complex deletion at timestamp - 1);
//! DELETE writes a row, range or partition tombstone, or cell tombstones for
//! the named columns. TTL comes from `USING TTL`, else the table default.

use sibyl_protocol::cql::ast::UsingAttr;
use sibyl_protocol::value::{CqlType, CqlValue};
use sibyl_storage::model::{Cell, DeletionTime, Row};

use super::terms::{BindContext, Bound, bind};
use super::values::{ListPaths, element_path, field_path, serialize};
use crate::error::RequestError;
use crate::schema::{ColumnMetadata, TableMetadata};

mod delete;
mod insert;
mod lists;
mod update;

pub use delete::delete;
pub use insert::insert;
pub use lists::ListReader;
pub use update::update;

/// Largest TTL Cassandra accepts (20 years).
pub const TTL_SECONDS_MAX: i64 = 630_720_000;

/// What a write needs besides the statement.
pub struct WriteContext<'a> {
    /// Bound values and time.
    pub bind: BindContext<'a>,
    /// Timestamp when the statement has no `USING TIMESTAMP`, µs.
    pub default_timestamp_us: i64,
    /// List element path generator.
    pub lists: &'a ListPaths,
    /// Reads current counter shards, and this node's shard id (counter tables only).
    pub counters: Option<(&'a super::counters::CounterReader<'a>, u128)>,
    /// Reads a list's live cells (list element operations by index or value).
    pub list_reader: Option<&'a ListReader<'a>>,
}

/// Timestamp and TTL of one write.
#[derive(Clone, Copy)]
struct Attrs {
    timestamp: i64,
    ttl: Option<u32>,
    now_s: u32,
}

fn attrs(
    table: &TableMetadata,
    using: &[UsingAttr],
    ctx: &WriteContext<'_>,
) -> Result<Attrs, RequestError> {
    let mut timestamp = ctx.default_timestamp_us;
    let mut ttl = i64::from(table.params.default_time_to_live);
    for attr in using {
        match attr {
            UsingAttr::Timestamp(term) => {
                if let Bound::Value(CqlValue::Bigint(ts)) =
                    bind(term, &CqlType::Bigint, "[timestamp]", &ctx.bind)?
                {
                    timestamp = ts;
                }
            }
            UsingAttr::Ttl(term) => {
                if let Bound::Value(CqlValue::Int(t)) =
                    bind(term, &CqlType::Int, "[ttl]", &ctx.bind)?
                {
                    ttl = i64::from(t);
                }
            }
        }
    }
    if ttl < 0 {
        return Err(RequestError::invalid(format!(
            "A TTL must be greater or equal to 0, but was {ttl}"
        )));
    }
    if ttl > TTL_SECONDS_MAX {
        return Err(RequestError::invalid(format!(
            "ttl is too large. requested ({ttl}) maximum ({TTL_SECONDS_MAX})"
        )));
    }
    let now_s = u32::try_from(ctx.bind.now_us.div_euclid(1_000_000)).unwrap_or(u32::MAX);
    Ok(Attrs {
        timestamp,
        ttl: u32::try_from(ttl).ok().filter(|t| *t > 0),
        now_s,
    })
}

fn cell(column: &ColumnMetadata, attrs: Attrs, value: bytes::Bytes) -> Cell {
    match attrs.ttl {
        Some(ttl) => Cell::expiring(column.id, attrs.timestamp, value, ttl, attrs.now_s),
        None => Cell::live(column.id, attrs.timestamp, value),
    }
}

fn column<'t>(table: &'t TableMetadata, name: &str) -> Result<&'t ColumnMetadata, RequestError> {
    table.column(name).ok_or_else(|| {
        RequestError::invalid(format!(
            "Undefined column name {name} in table {}.{}",
            table.keyspace, table.name
        ))
    })
}

/// Writes `value` into `row` for `column`: a cell, a tombstone, or a whole collection.
fn write_value(
    row: &mut Row,
    column: &ColumnMetadata,
    value: Bound,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
) -> Result<(), RequestError> {
    if column.ty.is_counter() {
        return Err(RequestError::invalid(
            "Counter columns are not supported by this Sibyl build yet",
        ));
    }
    match value {
        Bound::Unset => Ok(()),
        Bound::Null if column.ty.is_multi_cell() => {
            row.add_complex_deletion(column.id, DeletionTime::new(attrs.timestamp, attrs.now_s));
            Ok(())
        }
        Bound::Null => {
            row.add_cell(Cell::tombstone(column.id, attrs.timestamp, attrs.now_s));
            Ok(())
        }
        Bound::Value(value) if column.ty.is_multi_cell() => {
            row.add_complex_deletion(
                column.id,
                DeletionTime::new(attrs.timestamp - 1, attrs.now_s),
            );
            add_elements(row, column, &value, attrs, ctx, false)
        }
        Bound::Value(value) => {
            row.add_cell(cell(
                column,
                attrs,
                serialize(&column.name, &column.ty, &value)?,
            ));
            Ok(())
        }
    }
}

/// Adds the elements of a collection or UDT value as cells (append/prepend for lists).
fn add_elements(
    row: &mut Row,
    column: &ColumnMetadata,
    value: &CqlValue,
    attrs: Attrs,
    ctx: &WriteContext<'_>,
    prepend: bool,
) -> Result<(), RequestError> {
    let name = column.name.as_str();
    match (column.ty.unfrozen(), value) {
        (CqlType::List(elem), CqlValue::List(items)) => {
            let paths = if prepend {
                ctx.lists.prepend(attrs.timestamp, items.len())
            } else {
                ctx.lists.append(attrs.timestamp, items.len())
            };
            for (path, item) in paths.into_iter().zip(items) {
                row.add_cell(cell(column, attrs, serialize(name, elem, item)?).with_path(path));
            }
        }
        (CqlType::Set(elem), CqlValue::Set(items)) => {
            for item in items {
                row.add_cell(
                    cell(column, attrs, bytes::Bytes::new())
                        .with_path(element_path(name, elem, item)?),
                );
            }
        }
        (CqlType::Map(key_ty, value_ty), CqlValue::Map(entries)) => {
            for (k, v) in entries {
                row.add_cell(
                    cell(column, attrs, serialize(name, value_ty, v)?)
                        .with_path(element_path(name, key_ty, k)?),
                );
            }
        }
        (CqlType::Udt(def), CqlValue::Udt(fields)) => {
            for (i, ((_, field_ty), (_, field))) in def.fields.iter().zip(fields).enumerate() {
                let path = field_path(u16::try_from(i).unwrap_or(u16::MAX));
                match field {
                    Some(v) => row.add_cell(
                        cell(column, attrs, serialize(name, field_ty, v)?).with_path(path),
                    ),
                    None => row.add_cell(
                        Cell::tombstone(column.id, attrs.timestamp, attrs.now_s).with_path(path),
                    ),
                }
            }
        }
        (ty, _) => {
            return Err(RequestError::invalid(format!(
                "Invalid value for column {name} of type {ty}"
            )));
        }
    }
    Ok(())
}

fn lwt_unsupported() -> RequestError {
    RequestError::invalid(
        "Conditional updates (lightweight transactions: IF ...) are not supported by this Sibyl build yet",
    )
}
