//! SELECT over a set of rows: WHERE filtering, ORDER BY, limits, DISTINCT and
//! the projection (`projection.rs`).
//!
//! Rows arrive in the table's `SELECT *` column order and primary-key order;
//! the same machinery serves generated system tables today and engine reads
//! (with ALLOW FILTERING on non-key columns) tomorrow.

use std::cmp::Ordering as CmpOrdering;

use sibyl_protocol::cql::ast::{InValues, Operator, Order, Relation, RelationLhs, Select, Term};
use sibyl_protocol::value::{CqlType, CqlValue, cql_cmp};

use super::result::ResultSet;

pub use super::projection::result_columns;
pub use super::selection::hidden_writetime_index;
use super::terms::{BindContext, Bound, bind, integer};
use crate::error::RequestError;
use crate::schema::{ClusteringOrder, ColumnKind, TableMetadata};

/// A row in `SELECT *` column order.
pub type Row = Vec<Option<CqlValue>>;

/// Runs `select` over `rows` of `table`.
///
/// # Errors
/// [`RequestError::Invalid`] for unknown columns, unsupported relations or
/// selectors, and values that do not bind.
pub fn execute(
    table: &TableMetadata,
    select: &Select,
    rows: Vec<Row>,
    ctx: &BindContext<'_>,
) -> Result<ResultSet, RequestError> {
    let mut rows = rows;
    for relation in &select.where_clause {
        let filter = RowFilter::new(table, relation, ctx)?;
        rows.retain(|row| filter.matches(row));
    }
    apply_order(table, select, &mut rows)?;
    if select.distinct {
        let keys = key_positions(table, ColumnKind::PartitionKey);
        rows.dedup_by(|a, b| keys.iter().all(|&i| a.get(i) == b.get(i)));
    }
    if let Some(limit) = &select.per_partition_limit {
        let limit = bind_limit(limit, "[per_partition_limit]", ctx)?;
        let keys = key_positions(table, ColumnKind::PartitionKey);
        let mut seen: Option<(Vec<Option<CqlValue>>, usize)> = None;
        rows.retain(|row| {
            let key: Vec<_> = keys
                .iter()
                .map(|&i| row.get(i).cloned().flatten())
                .collect();
            let count = match &mut seen {
                Some((k, n)) if *k == key => {
                    *n += 1;
                    *n
                }
                _ => {
                    seen = Some((key, 1));
                    1
                }
            };
            count <= limit
        });
    }
    let mut result = super::projection::project(table, select, rows, Some(ctx))?;
    if let Some(limit) = &select.limit {
        let limit = bind_limit(limit, "[limit]", ctx)?;
        result.rows.truncate(limit);
    }
    Ok(result)
}

fn bind_limit(term: &Term, receiver: &str, ctx: &BindContext<'_>) -> Result<usize, RequestError> {
    let value = bind(term, &CqlType::Int, receiver, ctx)?.required(receiver)?;
    let CqlValue::Int(n) = value else {
        return Err(RequestError::invalid(format!("Invalid {receiver}")));
    };
    if n <= 0 {
        return Err(RequestError::invalid("LIMIT must be strictly positive"));
    }
    integer(&n.to_string(), receiver)
}

pub(super) fn key_positions(table: &TableMetadata, kind: ColumnKind) -> Vec<usize> {
    table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == kind)
        .map(|(i, _)| i)
        .collect()
}

pub(super) fn column_index<'t>(
    table: &'t TableMetadata,
    name: &str,
) -> Result<(usize, &'t CqlType), RequestError> {
    table
        .columns
        .iter()
        .enumerate()
        .find(|(_, c)| c.name == name)
        .map(|(i, c)| (i, &c.ty))
        .ok_or_else(|| {
            RequestError::invalid(format!(
                "Undefined column name {name} in table {}.{}",
                table.keyspace, table.name
            ))
        })
}

/// One WHERE relation, bound and ready to test rows.
enum RowFilter {
    Compare {
        index: usize,
        ty: CqlType,
        op: Operator,
        value: Option<CqlValue>,
    },
    In {
        index: usize,
        ty: CqlType,
        values: Vec<CqlValue>,
    },
    Tuple {
        indexes: Vec<usize>,
        types: Vec<CqlType>,
        op: Operator,
        values: Vec<CqlValue>,
    },
    NotNull {
        index: usize,
    },
}

impl RowFilter {
    fn new(
        table: &TableMetadata,
        relation: &Relation,
        ctx: &BindContext<'_>,
    ) -> Result<Self, RequestError> {
        match relation {
            Relation::IsNotNull(column) => Ok(RowFilter::NotNull {
                index: column_index(table, column.as_str())?.0,
            }),
            Relation::Compare {
                lhs: RelationLhs::Column(column),
                op,
                rhs,
            } => Self::column_compare(table, column.as_str(), *op, rhs, ctx),
            Relation::In {
                lhs: RelationLhs::Column(column),
                values,
            } => {
                let (index, ty) = column_index(table, column.as_str())?;
                let values = bind_in_values(values, ty, column.as_str(), ctx)?;
                Ok(RowFilter::In {
                    index,
                    ty: ty.clone(),
                    values,
                })
            }
            Relation::Compare {
                lhs: RelationLhs::Tuple(columns),
                op,
                rhs,
            } => Self::tuple_compare(table, columns, *op, rhs, ctx),
            other => Err(RequestError::invalid(format!(
                "Unsupported restriction: {other:?}"
            ))),
        }
    }

    fn column_compare(
        table: &TableMetadata,
        column: &str,
        op: Operator,
        rhs: &Term,
        ctx: &BindContext<'_>,
    ) -> Result<Self, RequestError> {
        let (index, ty) = column_index(table, column)?;
        let rhs_ty = match (op, ty.unfrozen()) {
            (Operator::Contains, CqlType::List(e) | CqlType::Set(e)) => e.as_ref().clone(),
            (Operator::Contains, CqlType::Map(_, v)) => v.as_ref().clone(),
            (Operator::ContainsKey, CqlType::Map(k, _)) => k.as_ref().clone(),
            (Operator::Contains | Operator::ContainsKey, _) => {
                return Err(RequestError::invalid(format!(
                    "Cannot use CONTAINS on non-collection column {column}"
                )));
            }
            _ => ty.clone(),
        };
        let value = match bind(rhs, &rhs_ty, column, ctx)? {
            Bound::Value(v) => Some(v),
            Bound::Null => None,
            Bound::Unset => {
                return Err(RequestError::invalid(format!(
                    "Invalid unset value for column {column}"
                )));
            }
        };
        Ok(RowFilter::Compare {
            index,
            ty: rhs_ty,
            op,
            value,
        })
    }

    fn tuple_compare(
        table: &TableMetadata,
        columns: &[sibyl_protocol::cql::ast::Ident],
        op: Operator,
        rhs: &Term,
        ctx: &BindContext<'_>,
    ) -> Result<Self, RequestError> {
        let mut indexes = Vec::new();
        let mut types = Vec::new();
        for column in columns {
            let (index, ty) = column_index(table, column.as_str())?;
            indexes.push(index);
            types.push(ty.clone());
        }
        let tuple_ty = CqlType::Tuple(types.clone());
        let CqlValue::Tuple(parts) = bind(rhs, &tuple_ty, "tuple", ctx)?.required("tuple")? else {
            return Err(RequestError::invalid("Expected a tuple"));
        };
        let values = parts
            .into_iter()
            .map(|p| p.unwrap_or(CqlValue::Empty))
            .collect();
        Ok(RowFilter::Tuple {
            indexes,
            types,
            op,
            values,
        })
    }

    fn matches(&self, row: &Row) -> bool {
        let cell = |i: &usize| row.get(*i).and_then(Option::as_ref);
        match self {
            RowFilter::NotNull { index } => cell(index).is_some(),
            RowFilter::In { index, ty, values } => cell(index).is_some_and(|v| {
                values
                    .iter()
                    .any(|x| cql_cmp(ty, v, x) == CmpOrdering::Equal)
            }),
            RowFilter::Compare {
                index,
                ty,
                op,
                value,
            } => {
                let (Some(actual), Some(value)) = (cell(index), value) else {
                    return false;
                };
                compare(actual, ty, *op, value)
            }
            RowFilter::Tuple {
                indexes,
                types,
                op,
                values,
            } => {
                let mut ordering = CmpOrdering::Equal;
                for ((index, ty), value) in indexes.iter().zip(types).zip(values) {
                    let Some(actual) = cell(index) else {
                        return false;
                    };
                    ordering = cql_cmp(ty, actual, value);
                    if ordering != CmpOrdering::Equal {
                        break;
                    }
                }
                satisfies(ordering, *op)
            }
        }
    }
}

fn compare(actual: &CqlValue, ty: &CqlType, op: Operator, value: &CqlValue) -> bool {
    match (op, actual) {
        (Operator::Contains, CqlValue::List(items) | CqlValue::Set(items)) => items
            .iter()
            .any(|i| cql_cmp(ty, i, value) == CmpOrdering::Equal),
        (Operator::Contains, CqlValue::Map(entries)) => entries
            .iter()
            .any(|(_, v)| cql_cmp(ty, v, value) == CmpOrdering::Equal),
        (Operator::ContainsKey, CqlValue::Map(entries)) => entries
            .iter()
            .any(|(k, _)| cql_cmp(ty, k, value) == CmpOrdering::Equal),
        (Operator::Contains | Operator::ContainsKey, _) => false,
        (Operator::Like, CqlValue::Text(text) | CqlValue::Ascii(text)) => like(text, value),
        _ => satisfies(cql_cmp(ty, actual, value), op),
    }
}

fn like(text: &str, pattern: &CqlValue) -> bool {
    let (CqlValue::Text(p) | CqlValue::Ascii(p)) = pattern else {
        return false;
    };
    match (p.strip_prefix('%'), p.strip_suffix('%')) {
        (Some(rest), _) if rest.ends_with('%') => text.contains(rest.trim_end_matches('%')),
        (Some(suffix), _) => text.ends_with(suffix),
        (None, Some(prefix)) => text.starts_with(prefix),
        (None, None) => text == p,
    }
}

fn satisfies(ordering: CmpOrdering, op: Operator) -> bool {
    match op {
        Operator::Eq => ordering == CmpOrdering::Equal,
        Operator::Neq => ordering != CmpOrdering::Equal,
        Operator::Lt => ordering == CmpOrdering::Less,
        Operator::Lte => ordering != CmpOrdering::Greater,
        Operator::Gt => ordering == CmpOrdering::Greater,
        Operator::Gte => ordering != CmpOrdering::Less,
        Operator::Contains | Operator::ContainsKey | Operator::Like => false,
    }
}

pub(super) fn bind_in_values(
    values: &InValues,
    ty: &CqlType,
    column: &str,
    ctx: &BindContext<'_>,
) -> Result<Vec<CqlValue>, RequestError> {
    match values {
        InValues::List(terms) => {
            let mut out = Vec::with_capacity(terms.len());
            for term in terms {
                if let Bound::Value(v) = bind(term, ty, column, ctx)? {
                    out.push(v);
                }
            }
            Ok(out)
        }
        InValues::Marker(marker) => {
            let list_ty = CqlType::List(Box::new(ty.clone()));
            match bind(
                &Term::Bind(marker.clone()),
                &list_ty,
                &format!("in({column})"),
                ctx,
            )? {
                Bound::Value(CqlValue::List(items)) => Ok(items),
                Bound::Value(_) | Bound::Null | Bound::Unset => Err(RequestError::invalid(
                    format!("Invalid null value for IN restriction on {column}"),
                )),
            }
        }
    }
}

fn apply_order(
    table: &TableMetadata,
    select: &Select,
    rows: &mut [Row],
) -> Result<(), RequestError> {
    let Some((first, direction)) = select.order_by.first() else {
        return Ok(());
    };
    let column = table
        .column(first.as_str())
        .filter(|c| c.kind == ColumnKind::Clustering)
        .ok_or_else(|| RequestError::invalid(format!("Order by is currently only supported on the clustered columns of the PRIMARY KEY, got {}", first.as_str())))?;
    let declared_desc = column.order == Some(ClusteringOrder::Desc);
    let wants_desc = matches!(direction, Order::Desc);
    if declared_desc != wants_desc {
        // Rows are in clustering order within each partition: reverse each partition's run.
        let keys = key_positions(table, ColumnKind::PartitionKey);
        let mut start = 0;
        while start < rows.len() {
            let key: Vec<_> = keys
                .iter()
                .map(|&i| rows.get(start).and_then(|r| r.get(i)).cloned())
                .collect();
            let mut end = start + 1;
            while end < rows.len()
                && keys
                    .iter()
                    .zip(&key)
                    .all(|(&i, k)| rows.get(end).and_then(|r| r.get(i)).cloned() == *k)
            {
                end += 1;
            }
            if let Some(run) = rows.get_mut(start..end) {
                run.reverse();
            }
            start = end;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
