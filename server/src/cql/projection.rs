//! The projection of a SELECT: which columns it returns, named and typed as
//! Cassandra names them, and each row's values for them (columns, `token()`,
//! `writetime()`/`ttl()`, UDT fields, scalar functions and casts, JSON).

use sibyl_protocol::cql::ast::{Select, Selection, SelectorExpr};
use sibyl_protocol::response::ColumnSpec;
use sibyl_protocol::value::{CqlType, CqlValue};

use super::result::ResultSet;
use super::select::{Row, column_index, key_positions};
use super::selector_functions::{Function, resolve, resolve_cast};
use crate::error::RequestError;
use crate::schema::{ColumnKind, TableMetadata};

fn spec(table: &TableMetadata, name: &str, ty: CqlType) -> ColumnSpec {
    ColumnSpec {
        keyspace: table.keyspace.clone(),
        table: table.name.clone(),
        name: name.to_owned(),
        ty: ty.unfrozen().clone(),
    }
}

/// The result columns `select` produces (for PREPARE's result metadata).
///
/// # Errors
/// Unknown columns or unsupported selectors.
pub fn result_columns(
    table: &TableMetadata,
    select: &Select,
) -> Result<Vec<ColumnSpec>, RequestError> {
    project(table, select, Vec::new()).map(|r| r.columns)
}

pub(super) fn project(
    table: &TableMetadata,
    select: &Select,
    rows: Vec<Row>,
) -> Result<ResultSet, RequestError> {
    let result = project_columns(table, select, rows)?;
    if select.json {
        return Ok(as_json(table, result));
    }
    Ok(result)
}

/// `SELECT JSON`: each row as one `[json]` text column holding an object of
/// the selected columns (names quoted as CQL would need them).
fn as_json(table: &TableMetadata, result: ResultSet) -> ResultSet {
    let names: Vec<String> = result
        .columns
        .iter()
        .map(|c| {
            if table.columns.iter().any(|t| t.name == c.name) {
                crate::schema::describe::quote_identifier(&c.name)
            } else {
                c.name.clone()
            }
        })
        .collect();
    let rows = result
        .rows
        .into_iter()
        .map(|row| {
            let mut object = serde_json::Map::new();
            for ((name, column), value) in names.iter().zip(&result.columns).zip(row) {
                let json = value.map_or(serde_json::Value::Null, |v| {
                    super::json::to_json(&v, &column.ty)
                });
                object.insert(name.clone(), json);
            }
            let text = serde_json::Value::Object(object).to_string();
            vec![Some(CqlValue::Text(text))]
        })
        .collect();
    ResultSet {
        columns: vec![spec(table, "[json]", CqlType::Text)],
        rows,
    }
}

fn project_columns(
    table: &TableMetadata,
    select: &Select,
    rows: Vec<Row>,
) -> Result<ResultSet, RequestError> {
    let selectors = match &select.selection {
        Selection::Star => {
            let columns = table
                .select_star_order()
                .map(|c| spec(table, &c.name, c.ty.clone()))
                .collect();
            return Ok(ResultSet { columns, rows });
        }
        Selection::List(selectors) => selectors,
    };
    if !select.group_by.is_empty()
        || selectors
            .iter()
            .any(|s| super::aggregate::is_aggregate(&s.expr))
    {
        return super::aggregate::aggregate(table, select, selectors, rows);
    }
    let mut outputs = Vec::new();
    let mut columns = Vec::new();
    for selector in selectors {
        let (output, name, ty) = output_of(table, &selector.expr)?;
        let name = selector
            .alias
            .as_ref()
            .map_or(name, |a| a.as_str().to_owned());
        outputs.push(output);
        columns.push(spec(table, &name, ty));
    }
    let pk = key_positions(table, ColumnKind::PartitionKey);
    let rows = rows
        .into_iter()
        .map(|row| outputs.iter().map(|o| o.value(table, &pk, &row)).collect())
        .collect::<Result<_, _>>()?;
    Ok(ResultSet { columns, rows })
}

fn output_of(
    table: &TableMetadata,
    expr: &SelectorExpr,
) -> Result<(Output, String, CqlType), RequestError> {
    match expr {
        SelectorExpr::Column(column) => {
            let (index, ty) = column_index(table, column.as_str())?;
            Ok((
                Output::Column(index),
                column.as_str().to_owned(),
                ty.clone(),
            ))
        }
        SelectorExpr::Function { name, args }
            if name.name.as_str().eq_ignore_ascii_case("token") =>
        {
            check_token_args(table, args)?;
            let args: Vec<String> = args.iter().map(|a| format!("{a}")).collect();
            Ok((
                Output::Token,
                format!("system.token({})", args.join(", ")),
                CqlType::Bigint,
            ))
        }
        SelectorExpr::Function { name, args }
            if ["writetime", "ttl"]
                .iter()
                .any(|f| name.name.as_str().eq_ignore_ascii_case(f)) =>
        {
            writetime_or_ttl(table, &name.name.as_str().to_ascii_lowercase(), args)
        }
        SelectorExpr::Function { name, args } => {
            let lower = name.name.as_str().to_ascii_lowercase();
            let mut inputs = Vec::with_capacity(args.len());
            let mut names = Vec::with_capacity(args.len());
            let mut types = Vec::with_capacity(args.len());
            for arg in args {
                let (output, name, ty) = output_of(table, arg)?;
                inputs.push(output);
                names.push(name);
                types.push(ty);
            }
            let (function, ty) = resolve(&lower, &types)?;
            Ok((
                Output::Call(function, inputs),
                format!("system.{lower}({})", names.join(", ")),
                ty,
            ))
        }
        SelectorExpr::Cast(inner, type_name) => {
            let (input, name, from) = output_of(table, inner)?;
            let to = type_name
                .to_cql_type()
                .ok_or_else(|| RequestError::invalid(format!("Cannot cast to {type_name}")))?;
            let function = resolve_cast(&from, &to)?;
            Ok((
                Output::Call(function, vec![input]),
                format!("cast({name} as {to})"),
                to,
            ))
        }
        SelectorExpr::Field(inner, field) => field_of(table, inner, field.as_str()),
        other => Err(RequestError::invalid(format!(
            "Selector {other} is not supported by this Sibyl build yet"
        ))),
    }
}

/// `expr.field` on a UDT value.
fn field_of(
    table: &TableMetadata,
    inner: &SelectorExpr,
    field: &str,
) -> Result<(Output, String, CqlType), RequestError> {
    let (input, name, ty) = output_of(table, inner)?;
    let CqlType::Udt(def) = ty.unfrozen() else {
        return Err(RequestError::invalid(format!(
            "Invalid field selection: {name} of type {ty} is not a user type"
        )));
    };
    let field_ty = def
        .fields
        .iter()
        .find(|(n, _)| n == field)
        .map(|(_, t)| t.clone())
        .ok_or_else(|| RequestError::invalid(format!("{} has no field {field}", def.name)))?;
    Ok((
        Output::Field(Box::new(input), field.to_owned()),
        format!("{name}.{field}"),
        field_ty,
    ))
}

fn writetime_or_ttl(
    table: &TableMetadata,
    function: &str,
    args: &[SelectorExpr],
) -> Result<(Output, String, CqlType), RequestError> {
    let shown = if function == "ttl" {
        "ttl"
    } else {
        "writeTime"
    };
    let [SelectorExpr::Column(column)] = args else {
        return Err(RequestError::invalid(format!(
            "{function}() takes one column"
        )));
    };
    let (index, ty) = column_index(table, column.as_str())?;
    let is_key = table.columns.iter().any(|c| {
        c.name == column.as_str()
            && matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering)
    });
    if is_key {
        return Err(RequestError::invalid(format!(
            "Cannot use selection function {shown} on PRIMARY KEY part {}",
            column.as_str()
        )));
    }
    if ty.is_multi_cell() {
        return Err(RequestError::invalid(format!(
            "Cannot use selection function {shown} on non-frozen collection {}",
            column.as_str()
        )));
    }
    let hidden = hidden_writetime_index(table, index) + usize::from(function == "ttl");
    let ty = if function == "ttl" {
        CqlType::Int
    } else {
        CqlType::Bigint
    };
    Ok((
        Output::Column(hidden),
        format!("{function}({})", column.as_str()),
        ty,
    ))
}

/// Where user-table rows keep the write timestamp of the column at `index`
/// (its remaining TTL follows): hidden entries after the visible columns.
pub fn hidden_writetime_index(table: &TableMetadata, index: usize) -> usize {
    table.columns.len() + 2 * index
}

/// One output column of a projection.
enum Output {
    Column(usize),
    Token,
    /// A scalar function over other outputs.
    Call(Function, Vec<Output>),
    /// A field of a UDT output.
    Field(Box<Output>, String),
}

impl Output {
    fn value(
        &self,
        table: &TableMetadata,
        pk: &[usize],
        row: &Row,
    ) -> Result<Option<CqlValue>, RequestError> {
        Ok(match self {
            Output::Column(i) => row.get(*i).cloned().flatten(),
            Output::Token => {
                let values: Option<Vec<CqlValue>> =
                    pk.iter().map(|&i| row.get(i).cloned().flatten()).collect();
                values
                    .and_then(|v| super::values::partition_key(table, &v).ok())
                    .map(|key| CqlValue::Bigint(key.token().0))
            }
            Output::Call(function, inputs) => {
                let args = inputs
                    .iter()
                    .map(|i| i.value(table, pk, row))
                    .collect::<Result<Vec<_>, _>>()?;
                function.apply(&args)?
            }
            Output::Field(input, field) => match input.value(table, pk, row)? {
                Some(CqlValue::Udt(fields)) => fields
                    .into_iter()
                    .find(|(n, _)| n == field)
                    .and_then(|(_, v)| v),
                _ => None,
            },
        })
    }
}

fn check_token_args(table: &TableMetadata, args: &[SelectorExpr]) -> Result<(), RequestError> {
    let pk: Vec<&str> = table
        .columns_of(ColumnKind::PartitionKey)
        .map(|c| c.name.as_str())
        .collect();
    let given: Vec<&str> = args
        .iter()
        .map(|a| match a {
            SelectorExpr::Column(c) => Ok(c.as_str()),
            _ => Err(RequestError::invalid(
                "token() takes the partition key columns",
            )),
        })
        .collect::<Result<_, _>>()?;
    if given != pk {
        return Err(RequestError::invalid(format!(
            "The token function arguments must be in the partition key order: {}",
            pk.join(", ")
        )));
    }
    Ok(())
}
