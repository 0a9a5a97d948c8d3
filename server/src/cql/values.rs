//! CQL values <-> storage bytes: the one place that decides how a table's
//! rows are laid out in the engine.
//!
//! - Partition key: the serialized value for one column; for several, the
//!   composite packing drivers use (`[u16 len][value][0x00]` each), so the
//!   engine's Murmur3 token equals the drivers' routing token.
//! - Clustering key: the order-preserving, prefix-free encoding of each
//!   column (`protocol::value::order`), DESC columns inverted, so the engine
//!   orders rows with plain byte comparison.
//! - Regular cells: the protocol serialization of the value.
//! - Non-frozen collections and UDTs: one cell per element. Set elements and
//!   map keys are paths in the order-preserving encoding (so elements come
//!   back in CQL order); list elements have time-ordered 16-byte paths; UDT
//!   fields have their field index as a big-endian `u16` path.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use sibyl_protocol::value::order::{
    Order, decode_clustering_component, decode_clustering_key, encode_clustering_component,
    encode_clustering_key,
};
use sibyl_protocol::value::{CqlType, CqlValue, ValueError, decode, encode};
use sibyl_storage::model::partitioner::{pack_composite, unpack_composite};
use sibyl_storage::model::{ClusteringKey, PartitionKey};

use crate::error::RequestError;
use crate::schema::{ClusteringOrder, ColumnKind, TableMetadata};

/// Largest serialized partition key (Cassandra's limit).
pub const PARTITION_KEY_BYTES_MAX: usize = 65_535;

fn value_error(column: &str, error: &ValueError) -> RequestError {
    RequestError::invalid(format!("Invalid value for column {column}: {error}"))
}

/// Serializes one value of `ty` (the protocol's value bytes).
///
/// # Errors
/// [`RequestError::Invalid`] when the value does not fit the type.
pub fn serialize(column: &str, ty: &CqlType, value: &CqlValue) -> Result<Bytes, RequestError> {
    let mut out = BytesMut::new();
    encode(value, ty.unfrozen(), &mut out).map_err(|e| value_error(column, &e))?;
    Ok(out.freeze())
}

/// Deserializes one value of `ty`.
///
/// # Errors
/// [`RequestError::Server`] when stored bytes do not decode: storage holds
/// only what this module wrote, so that is corruption or a bug.
pub fn deserialize(column: &str, ty: &CqlType, bytes: &[u8]) -> Result<CqlValue, RequestError> {
    decode(ty.unfrozen(), bytes).map_err(|e| {
        RequestError::Server(format!(
            "stored value of column {column} is unreadable: {e}"
        ))
    })
}

/// The storage partition key of a row whose partition key columns have `values`, in key order.
///
/// # Errors
/// Wrong number of values, a value of the wrong type, an empty or overlong key.
pub fn partition_key(
    table: &TableMetadata,
    values: &[CqlValue],
) -> Result<PartitionKey, RequestError> {
    let columns: Vec<_> = table.columns_of(ColumnKind::PartitionKey).collect();
    if columns.len() != values.len() {
        return Err(RequestError::invalid(format!(
            "Expected {} partition key values, got {}",
            columns.len(),
            values.len()
        )));
    }
    let mut parts = Vec::with_capacity(values.len());
    for (column, value) in columns.iter().zip(values) {
        parts.push(serialize(&column.name, &column.ty, value)?);
    }
    let key = match parts.as_slice() {
        [single] => single.clone(),
        many => {
            let slices: Vec<&[u8]> = many.iter().map(|p| p.as_ref()).collect();
            Bytes::from(pack_composite(&slices).map_err(|e| RequestError::invalid(e.to_string()))?)
        }
    };
    if key.is_empty() {
        return Err(RequestError::invalid("Key may not be empty"));
    }
    if key.len() > PARTITION_KEY_BYTES_MAX {
        return Err(RequestError::invalid(format!(
            "Key length of {} is longer than maximum of {PARTITION_KEY_BYTES_MAX}",
            key.len()
        )));
    }
    Ok(PartitionKey::new(key))
}

/// The partition key column values of a stored key.
///
/// # Errors
/// [`RequestError::Server`] when the stored key does not decode.
pub fn decode_partition_key(
    table: &TableMetadata,
    key: &PartitionKey,
) -> Result<Vec<CqlValue>, RequestError> {
    let columns: Vec<_> = table.columns_of(ColumnKind::PartitionKey).collect();
    let corrupt =
        |what: &str| RequestError::Server(format!("stored partition key is unreadable: {what}"));
    let parts: Vec<&[u8]> = if columns.len() == 1 {
        vec![key.key().as_ref()]
    } else {
        unpack_composite(key.key()).map_err(|e| corrupt(&e.to_string()))?
    };
    if parts.len() != columns.len() {
        return Err(corrupt("wrong number of components"));
    }
    columns
        .iter()
        .zip(parts)
        .map(|(c, bytes)| deserialize(&c.name, &c.ty, bytes))
        .collect()
}

fn storage_order(order: Option<ClusteringOrder>) -> Order {
    if order == Some(ClusteringOrder::Desc) {
        Order::Desc
    } else {
        Order::Asc
    }
}

/// Types and orders of the clustering columns, in key order.
pub fn clustering_layout(table: &TableMetadata) -> Vec<(CqlType, Order)> {
    table
        .columns_of(ColumnKind::Clustering)
        .map(|c| (c.ty.unfrozen().clone(), storage_order(c.order)))
        .collect()
}

/// The storage clustering key (or key prefix, with fewer values) of `values`.
///
/// # Errors
/// More values than clustering columns, or a value of the wrong type.
pub fn clustering_key(
    table: &TableMetadata,
    values: &[CqlValue],
) -> Result<ClusteringKey, RequestError> {
    let layout = clustering_layout(table);
    let bytes = encode_clustering_key(values, &layout).map_err(|e| {
        RequestError::invalid(format!(
            "Invalid clustering key for table {}: {e}",
            table.name
        ))
    })?;
    Ok(ClusteringKey::new(bytes))
}

/// The clustering column values of a stored key.
///
/// # Errors
/// [`RequestError::Server`] when the stored key does not decode.
pub fn decode_clustering(
    table: &TableMetadata,
    key: &ClusteringKey,
) -> Result<Vec<CqlValue>, RequestError> {
    decode_clustering_key(key.as_bytes(), &clustering_layout(table))
        .map_err(|e| RequestError::Server(format!("stored clustering key is unreadable: {e}")))
}

/// The cell path of a set element or map key (order-preserving encoding).
///
/// # Errors
/// A value that does not fit the element type.
pub fn element_path(column: &str, ty: &CqlType, element: &CqlValue) -> Result<Bytes, RequestError> {
    let mut out = Vec::new();
    encode_clustering_component(element, ty.unfrozen(), Order::Asc, &mut out)
        .map_err(|e| value_error(column, &e))?;
    Ok(Bytes::from(out))
}

/// A set element or map key back from its cell path.
///
/// # Errors
/// [`RequestError::Server`] when the stored path does not decode.
pub fn decode_element_path(
    column: &str,
    ty: &CqlType,
    path: &[u8],
) -> Result<CqlValue, RequestError> {
    decode_clustering_component(path, ty.unfrozen(), Order::Asc)
        .map(|(value, _)| value)
        .map_err(|e| {
            RequestError::Server(format!(
                "stored element of column {column} is unreadable: {e}"
            ))
        })
}

/// The cell path of a UDT field: its index, big-endian.
pub fn field_path(index: u16) -> Bytes {
    Bytes::copy_from_slice(&index.to_be_bytes())
}

/// Time-ordered, unique 16-byte paths for list elements: appends sort after
/// every existing element, prepends before (as Cassandra's timeuuid paths).
#[derive(Debug)]
pub struct ListPaths {
    node: u64,
    sequence: AtomicU64,
}

/// Offset that keeps prepend times below every append time.
const PREPEND_REFERENCE_US: i64 = 1 << 60;

impl ListPaths {
    /// A generator whose paths embed `node` (unique per node) for uniqueness across nodes.
    pub fn new(node: u64) -> Self {
        Self {
            node,
            sequence: AtomicU64::new(0),
        }
    }

    fn path(&self, time: i64) -> Bytes {
        let mut out = Vec::with_capacity(16);
        // Offset binary keeps the signed order under byte comparison.
        out.extend_from_slice(&(u64::from_ne_bytes(time.to_ne_bytes()) ^ (1 << 63)).to_be_bytes());
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        out.extend_from_slice(&(self.node.rotate_left(32) ^ sequence).to_be_bytes());
        Bytes::from(out)
    }

    /// Paths for `count` elements appended at write time `timestamp_us`, in order.
    pub fn append(&self, timestamp_us: i64, count: usize) -> Vec<Bytes> {
        (0..count)
            .map(|i| {
                self.path(
                    timestamp_us
                        .saturating_mul(64)
                        .saturating_add(i64::try_from(i).unwrap_or(i64::MAX)),
                )
            })
            .collect()
    }

    /// Paths for `count` elements prepended at `timestamp_us`: all before any
    /// existing element, later prepends before earlier ones, order kept.
    pub fn prepend(&self, timestamp_us: i64, count: usize) -> Vec<Bytes> {
        let base = -PREPEND_REFERENCE_US - timestamp_us.saturating_mul(64);
        (0..count)
            .map(|i| self.path(base.saturating_add(i64::try_from(i).unwrap_or(i64::MAX))))
            .collect()
    }
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
