//! Conditional statements (lightweight transactions), the CQL side: which
//! statements are conditional, evaluating `IF` clauses on the current row,
//! and the `[applied]` result exactly as Cassandra shapes it.
//!
//! Cassandra's rules: `IF NOT EXISTS` applies when the row has no live data;
//! `IF EXISTS` when it has; `IF c op v AND ...` when every condition holds
//! (`= null` holds for a missing value, ordering comparisons with a missing
//! value do not hold). Not applied: `[applied] = false` plus the row's
//! current values (all columns for `IF [NOT] EXISTS`, the conditioned
//! columns in `IF` order otherwise, key columns first in a batch), and only
//! `[applied]` when the row does not exist.

use std::cmp::Ordering;

use sibyl_protocol::cql::ast::{
    BatchStatement, ColumnRef, Condition, Conditions, Operator, Statement,
};
use sibyl_protocol::response::ColumnSpec;
use sibyl_protocol::value::{CqlType, CqlValue, cql_cmp};

use super::result::ResultSet;
use super::select::Row;
use super::terms::{BindContext, Bound, bind};
use crate::error::RequestError;
use crate::schema::{ColumnKind, TableMetadata};

/// The condition part of one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum RowCondition {
    /// `IF NOT EXISTS`.
    NotExists,
    /// `IF EXISTS`.
    Exists,
    /// `IF c1 AND c2 ...`.
    Columns(Vec<Condition>),
}

/// True when `statement` (or a statement of the batch) has an `IF` clause.
pub fn is_conditional(statement: &Statement) -> bool {
    match statement {
        Statement::Insert(i) => i.if_not_exists,
        Statement::Update(u) => u.conditions.is_some(),
        Statement::Delete(d) => d.conditions.is_some(),
        Statement::Batch(b) => b.statements.iter().any(|s| match s {
            BatchStatement::Insert(i) => i.if_not_exists,
            BatchStatement::Update(u) => u.conditions.is_some(),
            BatchStatement::Delete(d) => d.conditions.is_some(),
        }),
        _ => false,
    }
}

/// The statement without its `IF` clause, and the clause.
pub fn split_condition(statement: &Statement) -> Option<(Statement, Option<RowCondition>)> {
    let from = |c: &Option<Conditions>| match c {
        None => None,
        Some(Conditions::Exists) => Some(RowCondition::Exists),
        Some(Conditions::List(list)) => Some(RowCondition::Columns(list.clone())),
    };
    Some(match statement {
        Statement::Insert(i) => {
            let mut plain = i.clone();
            plain.if_not_exists = false;
            (
                Statement::Insert(plain),
                i.if_not_exists.then_some(RowCondition::NotExists),
            )
        }
        Statement::Update(u) => {
            let mut plain = u.clone();
            plain.conditions = None;
            (Statement::Update(plain), from(&u.conditions))
        }
        Statement::Delete(d) => {
            let mut plain = d.clone();
            plain.conditions = None;
            (Statement::Delete(plain), from(&d.conditions))
        }
        _ => return None,
    })
}

/// The current row of a conditional statement: the values of every column
/// in table order (`None` when the row has no live data).
pub type CurrentRow<'a> = Option<&'a Row>;

fn column_index(table: &TableMetadata, name: &str) -> Result<usize, RequestError> {
    table
        .columns
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))
}

/// Whether `condition` holds on `row`.
///
/// # Errors
/// Unknown columns, values that do not bind, unsupported forms.
pub fn holds(
    table: &TableMetadata,
    condition: &RowCondition,
    row: CurrentRow<'_>,
    ctx: &BindContext<'_>,
) -> Result<bool, RequestError> {
    match condition {
        RowCondition::NotExists => Ok(row.is_none()),
        RowCondition::Exists => Ok(row.is_some()),
        RowCondition::Columns(list) => {
            for c in list {
                if !condition_holds(table, c, row, ctx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
    }
}

/// The current value a condition's left side names, and its type.
fn current_value(
    table: &TableMetadata,
    lhs: &ColumnRef,
    row: CurrentRow<'_>,
    ctx: &BindContext<'_>,
) -> Result<(Option<CqlValue>, CqlType), RequestError> {
    let name = match lhs {
        ColumnRef::Column(c) | ColumnRef::Element(c, _) | ColumnRef::Field(c, _) => c.as_str(),
    };
    let index = column_index(table, name)?;
    let column = &table.columns[index];
    if matches!(
        column.kind,
        ColumnKind::PartitionKey | ColumnKind::Clustering
    ) {
        return Err(RequestError::invalid(format!(
            "PRIMARY KEY column '{name}' cannot have IF conditions"
        )));
    }
    let whole = row.and_then(|r| r.get(index).cloned().flatten());
    match (lhs, column.ty.unfrozen()) {
        (ColumnRef::Column(_), ty) => Ok((whole, ty.clone())),
        (ColumnRef::Element(_, key), CqlType::Map(key_ty, value_ty)) => {
            let key = bind(key, key_ty, &format!("key({name})"), ctx)?.required(name)?;
            let found = match whole {
                Some(CqlValue::Map(entries)) => entries
                    .into_iter()
                    .find(|(k, _)| cql_cmp(key_ty, k, &key) == Ordering::Equal)
                    .map(|(_, v)| v),
                _ => None,
            };
            Ok((found, (**value_ty).clone()))
        }
        (ColumnRef::Element(_, index_term), CqlType::List(item_ty)) => {
            let index =
                bind(index_term, &CqlType::Int, &format!("idx({name})"), ctx)?.required(name)?;
            let CqlValue::Int(i) = index else {
                return Err(RequestError::invalid("Invalid list index"));
            };
            let found = match (whole, usize::try_from(i)) {
                (Some(CqlValue::List(items)), Ok(i)) => items.into_iter().nth(i),
                _ => None,
            };
            Ok((found, (**item_ty).clone()))
        }
        (ColumnRef::Field(_, field), CqlType::Udt(def)) => {
            let Some((_, field_ty)) = def.fields.iter().find(|(f, _)| f == field.as_str()) else {
                return Err(RequestError::invalid(format!(
                    "Invalid field {field} for column {name}"
                )));
            };
            let found = match whole {
                Some(CqlValue::Udt(fields)) => fields
                    .into_iter()
                    .find(|(f, _)| f == field.as_str())
                    .and_then(|(_, v)| v),
                _ => None,
            };
            Ok((found, field_ty.clone()))
        }
        (_, ty) => Err(RequestError::invalid(format!(
            "Invalid element or field condition on column {name} of type {ty}"
        ))),
    }
}

fn condition_holds(
    table: &TableMetadata,
    condition: &Condition,
    row: CurrentRow<'_>,
    ctx: &BindContext<'_>,
) -> Result<bool, RequestError> {
    match condition {
        Condition::Compare { lhs, op, rhs } => {
            let (current, ty) = current_value(table, lhs, row, ctx)?;
            let expected = match bind(rhs, &ty, "condition", ctx)? {
                Bound::Value(v) => Some(v),
                Bound::Null => None,
                Bound::Unset => {
                    return Err(RequestError::invalid("Invalid 'unset' value in condition"));
                }
            };
            compare(&ty, current.as_ref(), *op, expected.as_ref())
        }
        Condition::In { lhs, values } => {
            let (current, ty) = current_value(table, lhs, row, ctx)?;
            let candidates = super::select::bind_in_values(values, &ty, "condition", ctx)?;
            Ok(current.is_some_and(|c| {
                candidates
                    .iter()
                    .any(|v| cql_cmp(&ty, &c, v) == Ordering::Equal)
            }))
        }
    }
}

fn compare(
    ty: &CqlType,
    current: Option<&CqlValue>,
    op: Operator,
    expected: Option<&CqlValue>,
) -> Result<bool, RequestError> {
    if matches!(
        op,
        Operator::Contains | Operator::ContainsKey | Operator::Like
    ) {
        return Err(RequestError::invalid(format!(
            "Unsupported operator \"{}\" in a condition",
            op
        )));
    }
    match (op, current, expected) {
        (Operator::Eq, None, None) => Ok(true),
        (Operator::Neq, None, None) => Ok(false),
        (Operator::Eq, _, None) | (Operator::Eq, None, _) => Ok(false),
        (Operator::Neq, _, None) | (Operator::Neq, None, _) => Ok(true),
        (_, _, None) => Err(RequestError::invalid(format!(
            "Invalid comparison with null for operator \"{}\"",
            op
        ))),
        (_, None, Some(_)) => Ok(false),
        (_, Some(c), Some(e)) => {
            let ordering = cql_cmp(ty, c, e);
            Ok(match op {
                Operator::Eq => ordering == Ordering::Equal,
                Operator::Neq => ordering != Ordering::Equal,
                Operator::Lt => ordering == Ordering::Less,
                Operator::Lte => ordering != Ordering::Greater,
                Operator::Gt => ordering == Ordering::Greater,
                Operator::Gte => ordering != Ordering::Less,
                Operator::Contains | Operator::ContainsKey | Operator::Like => false,
            })
        }
    }
}

/// The `[applied]` column of `table`'s results.
fn applied_spec(table: &TableMetadata) -> ColumnSpec {
    ColumnSpec {
        keyspace: table.keyspace.clone(),
        table: table.name.clone(),
        name: "[applied]".to_owned(),
        ty: CqlType::Boolean,
    }
}

/// The columns a failed statement reports (table column indexes).
pub fn reported_columns(
    table: &TableMetadata,
    condition: Option<&RowCondition>,
    in_batch: bool,
) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    if in_batch {
        out.extend(
            table
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering)
                })
                .map(|(i, _)| i),
        );
    }
    match condition {
        None | Some(RowCondition::Exists | RowCondition::NotExists) => {
            out = (0..table.columns.len()).collect();
        }
        Some(RowCondition::Columns(list)) => {
            for c in list {
                let (Condition::Compare { lhs, .. } | Condition::In { lhs, .. }) = c;
                let name = match lhs {
                    ColumnRef::Column(n) | ColumnRef::Element(n, _) | ColumnRef::Field(n, _) => n,
                };
                if let Some(i) = table
                    .columns
                    .iter()
                    .position(|col| col.name == name.as_str())
                    && !out.contains(&i)
                {
                    out.push(i);
                }
            }
        }
    }
    out
}

/// The result of a conditional statement: `[applied]`, plus, when not
/// applied, `rows` (each the current row of one conditioned statement)
/// reduced to `columns`.
pub fn result(table: &TableMetadata, applied: bool, columns: &[usize], rows: &[&Row]) -> ResultSet {
    let mut specs = vec![applied_spec(table)];
    if applied || rows.is_empty() {
        return ResultSet {
            columns: specs,
            rows: vec![vec![Some(CqlValue::Boolean(applied))]],
        };
    }
    specs.extend(
        columns
            .iter()
            .filter_map(|i| table.columns.get(*i))
            .map(|c| ColumnSpec {
                keyspace: table.keyspace.clone(),
                table: table.name.clone(),
                name: c.name.clone(),
                ty: c.ty.clone(),
            }),
    );
    let rows = rows
        .iter()
        .map(|row| {
            let mut out = vec![Some(CqlValue::Boolean(false))];
            out.extend(columns.iter().map(|i| row.get(*i).cloned().flatten()));
            out
        })
        .collect();
    ResultSet {
        columns: specs,
        rows,
    }
}
