//! Aggregates and GROUP BY: `count(*)`, `count(col)`, `min`, `max`, `sum`,
//! `avg` over groups of consecutive rows sharing a primary key prefix (rows
//! arrive in primary key order), as Cassandra computes them: `sum` and `avg`
//! keep the column's type (integer `avg` truncates), empty input gives
//! `count` 0, `sum` 0 and null `min`/`max`/... for a query without GROUP BY.

use sibyl_protocol::cql::ast::{Select, Selector, SelectorExpr};
use sibyl_protocol::response::ColumnSpec;
use sibyl_protocol::value::{CqlType, CqlValue, cql_cmp};

use super::result::ResultSet;
use super::select::Row;
use crate::error::RequestError;
use crate::schema::{ColumnKind, TableMetadata};

const AGGREGATES: [&str; 5] = ["count", "min", "max", "sum", "avg"];

/// True for an aggregate selector.
pub fn is_aggregate(expr: &SelectorExpr) -> bool {
    match expr {
        SelectorExpr::CountStar => true,
        SelectorExpr::Function { name, .. } => AGGREGATES
            .iter()
            .any(|f| name.name.as_str().eq_ignore_ascii_case(f)),
        _ => false,
    }
}

/// What one output column computes per group.
enum Output {
    CountRows,
    Count(usize),
    Min(usize, CqlType),
    Max(usize, CqlType),
    Sum(usize, CqlType),
    Avg(usize, CqlType),
    First(usize),
}

fn column(
    table: &TableMetadata,
    expr: &SelectorExpr,
) -> Result<(usize, CqlType, String), RequestError> {
    let SelectorExpr::Column(name) = expr else {
        return Err(RequestError::invalid(format!(
            "Aggregate arguments must be columns, got {expr}"
        )));
    };
    table
        .columns
        .iter()
        .position(|c| c.name == name.as_str())
        .and_then(|i| {
            table
                .columns
                .get(i)
                .map(|c| (i, c.ty.unfrozen().clone(), c.name.clone()))
        })
        .ok_or_else(|| {
            RequestError::invalid(format!(
                "Undefined column name {} in table {}.{}",
                name.as_str(),
                table.keyspace,
                table.name
            ))
        })
}

fn output(
    table: &TableMetadata,
    expr: &SelectorExpr,
) -> Result<(Output, String, CqlType), RequestError> {
    match expr {
        SelectorExpr::CountStar => Ok((Output::CountRows, "count".to_owned(), CqlType::Bigint)),
        SelectorExpr::Column(_) => {
            let (i, ty, name) = column(table, expr)?;
            Ok((Output::First(i), name, ty))
        }
        SelectorExpr::Function { name, args } => {
            let function = name.name.as_str().to_ascii_lowercase();
            let [arg] = args.as_slice() else {
                return Err(RequestError::invalid(format!(
                    "Invalid number of arguments in call to function system.{function}"
                )));
            };
            if function == "count" && !matches!(arg, SelectorExpr::Column(_)) {
                return Ok((Output::CountRows, "count".to_owned(), CqlType::Bigint));
            }
            let (i, ty, column_name) = column(table, arg)?;
            let label = format!("system.{function}({column_name})");
            let result_ty = if ty == CqlType::Counter {
                CqlType::Bigint
            } else {
                ty.clone()
            };
            let out = match function.as_str() {
                "count" => return Ok((Output::Count(i), label, CqlType::Bigint)),
                "min" => Output::Min(i, ty),
                "max" => Output::Max(i, ty),
                "sum" => Output::Sum(i, ty),
                "avg" => Output::Avg(i, ty),
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Selector {expr} is not supported with aggregates yet"
                    )));
                }
            };
            Ok((out, label, result_ty))
        }
        other => Err(RequestError::invalid(format!(
            "Selector {other} is not supported with aggregates yet"
        ))),
    }
}

/// Positions of the GROUP BY columns, checked to be a primary key prefix.
fn group_positions(table: &TableMetadata, select: &Select) -> Result<Vec<usize>, RequestError> {
    let key: Vec<(usize, &str)> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering))
        .map(|(i, c)| (i, c.name.as_str()))
        .collect();
    let mut positions = Vec::new();
    for (n, expr) in select.group_by.iter().enumerate() {
        let SelectorExpr::Column(name) = expr else {
            return Err(RequestError::invalid(format!(
                "Group by {expr} is not supported yet: only primary key columns"
            )));
        };
        match key.get(n) {
            Some((i, key_name)) if *key_name == name.as_str() => positions.push(*i),
            _ if key.iter().any(|(_, k)| *k == name.as_str()) => {
                return Err(RequestError::invalid(
                    "Group by currently only support groups of columns following their declared order in the PRIMARY KEY",
                ));
            }
            _ => {
                return Err(RequestError::invalid(format!(
                    "Group by is currently only supported on the columns of the PRIMARY KEY, got {}",
                    name.as_str()
                )));
            }
        }
    }
    Ok(positions)
}

/// Runs the aggregate or grouped projection over `rows`.
///
/// # Errors
/// Unsupported selectors or GROUP BY columns.
pub fn aggregate(
    table: &TableMetadata,
    select: &Select,
    selectors: &[Selector],
    rows: Vec<Row>,
) -> Result<ResultSet, RequestError> {
    let groups = group_positions(table, select)?;
    let mut outputs = Vec::new();
    let mut columns = Vec::new();
    for selector in selectors {
        let (out, name, ty) = output(table, &selector.expr)?;
        let name = selector
            .alias
            .as_ref()
            .map_or(name, |a| a.as_str().to_owned());
        columns.push(ColumnSpec {
            keyspace: table.keyspace.clone(),
            table: table.name.clone(),
            name,
            ty,
        });
        outputs.push(out);
    }
    let mut result_rows = Vec::new();
    let mut start = 0;
    while start < rows.len() || (start == 0 && groups.is_empty()) {
        let key = |row: &Row| {
            groups
                .iter()
                .map(|&i| row.get(i).cloned().flatten())
                .collect::<Vec<_>>()
        };
        let first_key = rows.get(start).map(key);
        let mut end = start;
        while end < rows.len() && rows.get(end).map(key) == first_key {
            end += 1;
        }
        let group = rows.get(start..end).unwrap_or(&[]);
        result_rows.push(outputs.iter().map(|o| compute(o, group)).collect());
        if end == start {
            break;
        }
        start = end;
    }
    Ok(ResultSet {
        columns,
        rows: result_rows,
    })
}

fn values(group: &[Row], i: usize) -> impl Iterator<Item = &CqlValue> {
    group
        .iter()
        .filter_map(move |r| r.get(i).and_then(Option::as_ref))
}

fn compute(output: &Output, group: &[Row]) -> Option<CqlValue> {
    let count = |n: usize| CqlValue::Bigint(i64::try_from(n).unwrap_or(i64::MAX));
    match output {
        Output::CountRows => Some(count(group.len())),
        Output::Count(i) => Some(count(values(group, *i).count())),
        Output::First(i) => group.first().and_then(|r| r.get(*i).cloned().flatten()),
        Output::Min(i, ty) => values(group, *i).min_by(|a, b| cql_cmp(ty, a, b)).cloned(),
        Output::Max(i, ty) => values(group, *i).max_by(|a, b| cql_cmp(ty, a, b)).cloned(),
        Output::Sum(i, ty) => {
            Some(values(group, *i).fold(zero(ty), |acc, v| add(&acc, v).unwrap_or(acc)))
        }
        Output::Avg(i, ty) => {
            let n = values(group, *i).count();
            let sum = values(group, *i).fold(zero(ty), |acc, v| add(&acc, v).unwrap_or(acc));
            Some(if n == 0 { zero(ty) } else { divide(&sum, n) })
        }
    }
}

fn zero(ty: &CqlType) -> CqlValue {
    match ty {
        CqlType::Int => CqlValue::Int(0),
        CqlType::Smallint => CqlValue::Smallint(0),
        CqlType::Tinyint => CqlValue::Tinyint(0),
        CqlType::Float => CqlValue::Float(0.0),
        CqlType::Double => CqlValue::Double(0.0),
        CqlType::Decimal => CqlValue::Decimal(0.into()),
        CqlType::Varint => CqlValue::Varint(0.into()),
        _ => CqlValue::Bigint(0),
    }
}

fn add(a: &CqlValue, b: &CqlValue) -> Option<CqlValue> {
    Some(match (a, b) {
        (CqlValue::Int(x), CqlValue::Int(y)) => CqlValue::Int(x.wrapping_add(*y)),
        (CqlValue::Bigint(x), CqlValue::Bigint(y) | CqlValue::Counter(y)) => {
            CqlValue::Bigint(x.wrapping_add(*y))
        }
        (CqlValue::Smallint(x), CqlValue::Smallint(y)) => CqlValue::Smallint(x.wrapping_add(*y)),
        (CqlValue::Tinyint(x), CqlValue::Tinyint(y)) => CqlValue::Tinyint(x.wrapping_add(*y)),
        (CqlValue::Float(x), CqlValue::Float(y)) => CqlValue::Float(x + y),
        (CqlValue::Double(x), CqlValue::Double(y)) => CqlValue::Double(x + y),
        (CqlValue::Decimal(x), CqlValue::Decimal(y)) => CqlValue::Decimal(x + y),
        (CqlValue::Varint(x), CqlValue::Varint(y)) => CqlValue::Varint(x + y),
        _ => return None,
    })
}

fn divide(sum: &CqlValue, n: usize) -> CqlValue {
    let n64 = i64::try_from(n).unwrap_or(i64::MAX);
    match sum {
        CqlValue::Int(x) => CqlValue::Int(x / i32::try_from(n).unwrap_or(i32::MAX)),
        CqlValue::Bigint(x) => CqlValue::Bigint(x / n64),
        CqlValue::Smallint(x) => CqlValue::Smallint(x / i16::try_from(n).unwrap_or(i16::MAX)),
        CqlValue::Tinyint(x) => CqlValue::Tinyint(x / i8::try_from(n).unwrap_or(i8::MAX)),
        CqlValue::Float(x) => CqlValue::Float(x / n as f32),
        CqlValue::Double(x) => CqlValue::Double(x / n as f64),
        CqlValue::Decimal(x) => CqlValue::Decimal(x / bigdecimal::BigDecimal::from(n64)),
        CqlValue::Varint(x) => CqlValue::Varint(x / num_bigint::BigInt::from(n64)),
        other => other.clone(),
    }
}
