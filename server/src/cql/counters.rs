//! Counter updates (`UPDATE t SET c = c + n`): Cassandra's counter model on one
//! node. Each node owns one shard of a counter (clock, value); an increment
//! reads this node's shard, adds the delta and writes the shard back with its
//! clock advanced, and reads sum the shards. The read-before-write must not
//! interleave with another increment of the same counter: the caller holds the
//! counter write lock across read and apply.

use sibyl_protocol::cql::ast::{ArithOp, Assignment, Update, UsingAttr};
use sibyl_protocol::value::{CqlType, CqlValue};
use sibyl_storage::model::{
    Cell, CellKind, ClusteringKey, ColumnId, CounterShards, PartitionKey, PartitionUpdate, Row,
};

use super::keys::KeyRestrictions;
use super::modify::WriteContext;
use super::terms::{Bound, bind};
use crate::error::RequestError;
use crate::schema::{ColumnKind, ColumnMetadata, TableMetadata};
use crate::storage::engine_id;

/// Reads the current shards of one counter cell: table, partition, clustering
/// (`None` for a static column), column.
pub type CounterReader<'a> = dyn Fn(
        &TableMetadata,
        &PartitionKey,
        Option<&ClusteringKey>,
        ColumnId,
    ) -> Result<Option<CounterShards>, RequestError>
    + 'a;

/// One `c = c +/- n` of the statement.
struct Delta<'t> {
    column: &'t ColumnMetadata,
    amount: i64,
}

fn deltas<'t>(
    table: &'t TableMetadata,
    update: &Update,
    ctx: &WriteContext<'_>,
) -> Result<Vec<Delta<'t>>, RequestError> {
    let mut out = Vec::new();
    for assignment in &update.assignments {
        let (column, op, value) = match assignment {
            Assignment::Arith { column, op, value }
            | Assignment::Compound { column, op, value } => (column, *op, value),
            Assignment::Set { target, .. } => {
                let name = match target {
                    sibyl_protocol::cql::ast::ColumnRef::Column(c)
                    | sibyl_protocol::cql::ast::ColumnRef::Element(c, _)
                    | sibyl_protocol::cql::ast::ColumnRef::Field(c, _) => c.as_str(),
                };
                return Err(RequestError::invalid(format!(
                    "Cannot set the value of counter column {name} (counters can only be incremented/decremented, not set)"
                )));
            }
            Assignment::Prepend { column, .. } => {
                return Err(RequestError::invalid(format!(
                    "Invalid operation for counter column {}",
                    column.as_str()
                )));
            }
        };
        let meta = table.column(column.as_str()).ok_or_else(|| {
            RequestError::invalid(format!(
                "Undefined column name {} in table {}.{}",
                column.as_str(),
                table.keyspace,
                table.name
            ))
        })?;
        if !meta.ty.is_counter() {
            return Err(RequestError::invalid(format!(
                "Invalid operation for non counter column {} in a counter table",
                meta.name
            )));
        }
        let amount = match bind(value, &CqlType::Bigint, &meta.name, &ctx.bind)? {
            Bound::Value(CqlValue::Bigint(n)) => n,
            Bound::Value(_) | Bound::Null => {
                return Err(RequestError::invalid(format!(
                    "Invalid null value for counter increment on {}",
                    meta.name
                )));
            }
            Bound::Unset => continue,
        };
        let amount = if op == ArithOp::Sub {
            amount.checked_neg().unwrap_or(i64::MAX)
        } else {
            amount
        };
        out.push(Delta {
            column: meta,
            amount,
        });
    }
    Ok(out)
}

/// Builds the mutations of a counter UPDATE, reading current shards through `read`.
///
/// # Errors
/// Conditions, TTLs, assignments other than increments, missing keys, unbound values.
pub fn counter_update(
    table: &TableMetadata,
    update: &Update,
    ctx: &WriteContext<'_>,
    node: u128,
    read: &CounterReader<'_>,
) -> Result<Vec<PartitionUpdate>, RequestError> {
    if update.conditions.is_some() {
        return Err(RequestError::invalid(
            "Conditional updates are not supported on counter tables",
        ));
    }
    let mut timestamp = ctx.default_timestamp_us;
    for attr in &update.using {
        match attr {
            UsingAttr::Ttl(_) => {
                return Err(RequestError::invalid(
                    "Cannot provide custom TTL for counter updates",
                ));
            }
            UsingAttr::Timestamp(term) => {
                if let Bound::Value(CqlValue::Bigint(ts)) =
                    bind(term, &CqlType::Bigint, "[timestamp]", &ctx.bind)?
                {
                    timestamp = ts;
                }
            }
        }
    }
    let deltas = deltas(table, update, ctx)?;
    let keys = KeyRestrictions::new(table, &update.where_clause, &ctx.bind)?;
    let only_static = deltas.iter().all(|d| d.column.kind == ColumnKind::Static);
    let clusterings = if only_static && keys.clustering.is_empty() {
        Vec::new()
    } else {
        if keys.clustering.len() != table.columns_of(ColumnKind::Clustering).count() {
            return Err(RequestError::invalid("Some clustering keys are missing"));
        }
        keys.clustering_keys(table)?
    };
    let mut out = Vec::new();
    for key in keys.partition_keys(table)? {
        let mut update = PartitionUpdate::new(engine_id(table), key.clone());
        let mut static_row = Row::new(ClusteringKey::new(bytes::Bytes::new()));
        for delta in deltas
            .iter()
            .filter(|d| d.column.kind == ColumnKind::Static)
        {
            static_row.add_cell(increment(
                delta,
                read(table, &key, None, delta.column.id)?,
                node,
                timestamp,
            ));
        }
        for clustering in &clusterings {
            let mut row = Row::new(clustering.clone());
            for delta in deltas
                .iter()
                .filter(|d| d.column.kind != ColumnKind::Static)
            {
                row.add_cell(increment(
                    delta,
                    read(table, &key, Some(clustering), delta.column.id)?,
                    node,
                    timestamp,
                ));
            }
            update.add_row(row);
        }
        if !static_row.is_empty() {
            update.static_row = Some(static_row);
        }
        out.push(update);
    }
    Ok(out)
}

fn increment(
    delta: &Delta<'_>,
    current: Option<CounterShards>,
    node: u128,
    timestamp: i64,
) -> Cell {
    let shards = current
        .unwrap_or_else(|| CounterShards::new(Vec::new()))
        .apply_delta(node, delta.amount);
    Cell {
        column: delta.column.id,
        path: None,
        timestamp,
        kind: CellKind::Counter { shards },
    }
}
