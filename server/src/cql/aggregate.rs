//! Aggregates and GROUP BY: `count`, `min`, `max`, `sum`, `avg` over any
//! selector's per-row values (columns, `writetime()`, casts, functions ...),
//! over groups of consecutive rows sharing a primary key prefix (rows arrive
//! in primary key order), as Cassandra computes them: the result type is the
//! argument's type (`count` is bigint, a counter argument gives bigint),
//! integer `sum` wraps and integer `avg` truncates, and empty input gives
//! `count` 0, `sum`/`avg` 0 and null `min`/`max` for a query without GROUP BY.

use sibyl_protocol::cql::ast::{Select, Selection, SelectorExpr};
use sibyl_protocol::value::{CqlType, CqlValue, cql_cmp};

use super::select::Row;
use super::selection::{Env, Node};
use crate::error::RequestError;
use crate::schema::{ColumnKind, TableMetadata};

const AGGREGATES: [&str; 5] = ["count", "min", "max", "sum", "avg"];

/// True for the name (lower case) of a native aggregate.
pub fn is_aggregate_name(name: &str) -> bool {
    AGGREGATES.contains(&name)
}

/// True when `select` aggregates rows: an aggregate anywhere in its
/// selectors (`cast(count(*) as int)` too) or a GROUP BY. Such a query
/// answers whole, never by storage-position pages.
pub fn aggregates(select: &Select) -> bool {
    fn has(expr: &SelectorExpr) -> bool {
        match expr {
            SelectorExpr::CountStar => true,
            SelectorExpr::Function { name, args } => {
                is_aggregate_name(&name.name.as_str().to_ascii_lowercase()) || args.iter().any(has)
            }
            SelectorExpr::Cast(inner, _)
            | SelectorExpr::Field(inner, _)
            | SelectorExpr::Element(inner, _)
            | SelectorExpr::Slice(inner, ..) => has(inner),
            _ => false,
        }
    }
    !select.group_by.is_empty()
        || matches!(&select.selection, Selection::List(items) if items.iter().any(|s| has(&s.expr)))
}

/// An aggregate function, resolved for its argument's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregate {
    /// `count(x)`: the non-null values.
    Count,
    /// `min(x)` in the type's order.
    Min(CqlType),
    /// `max(x)` in the type's order.
    Max(CqlType),
    /// `sum(x)` in the (numeric) type.
    Sum(CqlType),
    /// `avg(x)` in the (numeric) type.
    Avg(CqlType),
}

fn is_numeric(ty: &CqlType) -> bool {
    matches!(
        ty,
        CqlType::Tinyint
            | CqlType::Smallint
            | CqlType::Int
            | CqlType::Bigint
            | CqlType::Counter
            | CqlType::Float
            | CqlType::Double
            | CqlType::Decimal
            | CqlType::Varint
    )
}

impl Aggregate {
    /// The aggregate `name` (lower case) over values of `arg`, and its result type.
    ///
    /// # Errors
    /// `sum`/`avg` of a non-numeric type, an unknown aggregate.
    pub fn resolve(name: &str, arg: &CqlType) -> Result<(Aggregate, CqlType), RequestError> {
        let arg = arg.unfrozen();
        let result = if *arg == CqlType::Counter {
            CqlType::Bigint
        } else {
            arg.clone()
        };
        let numeric = || {
            if is_numeric(arg) {
                Ok(())
            } else {
                Err(no_signature(name))
            }
        };
        let aggregate = match name {
            "count" => return Ok((Aggregate::Count, CqlType::Bigint)),
            "min" => Aggregate::Min(arg.clone()),
            "max" => Aggregate::Max(arg.clone()),
            "sum" => {
                numeric()?;
                Aggregate::Sum(result.clone())
            }
            "avg" => {
                numeric()?;
                Aggregate::Avg(result.clone())
            }
            _ => return Err(RequestError::invalid(format!("Unknown aggregate {name}"))),
        };
        Ok((aggregate, result))
    }

    /// The aggregate of a group's non-null values.
    pub fn compute(&self, values: impl Iterator<Item = CqlValue>) -> Option<CqlValue> {
        match self {
            Aggregate::Count => Some(CqlValue::Bigint(
                i64::try_from(values.count()).unwrap_or(i64::MAX),
            )),
            Aggregate::Min(ty) => values
                .min_by(|a, b| cql_cmp(ty, a, b))
                .map(counter_as_bigint),
            Aggregate::Max(ty) => values
                .max_by(|a, b| cql_cmp(ty, a, b))
                .map(counter_as_bigint),
            Aggregate::Sum(ty) => {
                Some(values.fold(zero(ty), |acc, v| add(&acc, &v).unwrap_or(acc)))
            }
            Aggregate::Avg(ty) => Some(average(values, ty)),
        }
    }
}

/// Cassandra's error for `sum`/`avg` of a non-numeric type: every overload listed.
fn no_signature(name: &str) -> RequestError {
    let signatures: Vec<String> = [
        "tinyint", "smallint", "int", "bigint", "float", "double", "decimal", "varint",
    ]
    .iter()
    .map(|t| format!("system.{name} : ({t}) -> {t}"))
    .chain(std::iter::once(format!(
        "system.{name} : (counter) -> bigint"
    )))
    .collect();
    RequestError::invalid(format!(
        "Invalid call to function {name}, none of its type signatures match (known type signatures: {})",
        signatures.join(", ")
    ))
}

fn counter_as_bigint(value: CqlValue) -> CqlValue {
    match value {
        CqlValue::Counter(n) => CqlValue::Bigint(n),
        other => other,
    }
}

/// `avg`: integers sum in 128 bits (no overflow, as Cassandra's long or
/// BigInteger accumulators) and truncate; others sum in their type.
fn average(values: impl Iterator<Item = CqlValue>, ty: &CqlType) -> CqlValue {
    let mut n: i128 = 0;
    let mut wide: i128 = 0;
    let mut sum = zero(ty);
    for value in values {
        n += 1;
        match integer(&value) {
            Some(x) => wide = wide.wrapping_add(x),
            None => sum = add(&sum, &value).unwrap_or(sum),
        }
    }
    if n == 0 {
        return zero(ty);
    }
    let mean = wide / n;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the mean of values of a type lies within the type"
    )]
    let out = match ty {
        CqlType::Tinyint => CqlValue::Tinyint(mean as i8),
        CqlType::Smallint => CqlValue::Smallint(mean as i16),
        CqlType::Int => CqlValue::Int(mean as i32),
        CqlType::Bigint => CqlValue::Bigint(mean as i64),
        _ => divide(&sum, usize::try_from(n).unwrap_or(usize::MAX)),
    };
    out
}

fn integer(value: &CqlValue) -> Option<i128> {
    Some(match value {
        CqlValue::Tinyint(x) => i128::from(*x),
        CqlValue::Smallint(x) => i128::from(*x),
        CqlValue::Int(x) => i128::from(*x),
        CqlValue::Bigint(x) | CqlValue::Counter(x) => i128::from(*x),
        _ => return None,
    })
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

/// The rows of an aggregate or grouped projection: one per group of rows
/// sharing the GROUP BY prefix, or one over all rows without GROUP BY.
///
/// # Errors
/// GROUP BY on anything but a primary key prefix; failing functions.
pub(super) fn grouped_rows(
    env: &Env<'_>,
    select: &Select,
    nodes: &[Node],
    rows: &[Row],
) -> Result<Vec<Row>, RequestError> {
    let groups = group_positions(env.table, select)?;
    let key = |row: &Row| {
        groups
            .iter()
            .map(|&i| row.get(i).cloned().flatten())
            .collect::<Vec<_>>()
    };
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() || (start == 0 && groups.is_empty()) {
        let first_key = rows.get(start).map(key);
        let mut end = start;
        while end < rows.len() && rows.get(end).map(key) == first_key {
            end += 1;
        }
        let group = rows.get(start..end).unwrap_or(&[]);
        out.push(
            nodes
                .iter()
                .map(|n| n.group_value(env, group))
                .collect::<Result<Row, _>>()?,
        );
        if end == start {
            break;
        }
        start = end;
    }
    Ok(out)
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
