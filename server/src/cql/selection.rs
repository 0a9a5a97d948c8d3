//! A SELECT clause compiled against its table: each selector becomes a
//! [`Node`] tree (columns, `token()`, `writetime()`/`ttl()`, scalar and
//! collection functions, casts, UDT fields, collection elements and slices,
//! `now()`-style functions, aggregates), named and typed as Cassandra names
//! and types it.
//!
//! Invariants: a tree is checked once per statement ([`Compiler::compile`]);
//! evaluation never fails on a type it was compiled for. Element and slice
//! keys are bound at compile time when bind values are at hand (EXECUTE);
//! PREPARE compiles without them only for names, types and marker specs.

use sibyl_protocol::cql::ast::{SelectorExpr, Term};
use sibyl_protocol::response::ColumnSpec;
use sibyl_protocol::value::{CqlType, CqlValue};

use super::aggregate::{Aggregate, is_aggregate_name};
use super::collections::{element, slice};
use super::select::{Row, column_index};
use super::selector_functions::{Function, resolve, resolve_cast};
use super::terms::{BindContext, Bound, bind, epoch_days};
use crate::error::RequestError;
use crate::schema::{ColumnKind, TableMetadata};

/// A function of no arguments evaluated per row from the request's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NowFunction {
    /// `now()` / `currentTimeUUID()`: a new timeuuid per row.
    TimeUuid,
    /// `currentTimestamp()`.
    Timestamp,
    /// `currentDate()`.
    Date,
    /// `currentTime()`.
    Time,
    /// `uuid()`: a random uuid per row.
    Uuid,
}

impl NowFunction {
    fn of(name: &str) -> Option<(NowFunction, CqlType)> {
        Some(match name {
            "now" | "currenttimeuuid" => (NowFunction::TimeUuid, CqlType::Timeuuid),
            "currenttimestamp" => (NowFunction::Timestamp, CqlType::Timestamp),
            "currentdate" => (NowFunction::Date, CqlType::Date),
            "currenttime" => (NowFunction::Time, CqlType::Time),
            "uuid" => (NowFunction::Uuid, CqlType::Uuid),
            _ => return None,
        })
    }

    /// The value of the `seq`-th call in a request (timeuuids differ per call).
    fn value(self, ctx: Option<&BindContext<'_>>, seq: u64) -> Option<CqlValue> {
        let ctx = ctx?;
        let millis = ctx.now_us.div_euclid(1000);
        Some(match self {
            NowFunction::TimeUuid => {
                CqlValue::Timeuuid(nth_timeuuid((ctx.timeuuid)(ctx.now_us), seq))
            }
            NowFunction::Timestamp => CqlValue::Timestamp(millis),
            NowFunction::Date => CqlValue::Date(epoch_days(millis)),
            NowFunction::Time => CqlValue::Time(ctx.now_us.rem_euclid(86_400_000_000) * 1000),
            NowFunction::Uuid => CqlValue::Uuid(uuid::Uuid::new_v4()),
        })
    }
}

/// The request's timeuuid moved `n` ticks (100 ns) later, so that each row's
/// `now()` differs as Cassandra's do, in call order.
fn nth_timeuuid(base: uuid::Uuid, n: u64) -> uuid::Uuid {
    let Some(timestamp) = base.get_timestamp() else {
        return base;
    };
    let (ticks, counter) = timestamp.to_gregorian();
    let [_, _, _, _, _, _, _, _, _, _, a, b, c, d, e, f] = *base.as_bytes();
    uuid::Builder::from_gregorian_timestamp(ticks.wrapping_add(n), counter, &[a, b, c, d, e, f])
        .into_uuid()
}

/// A bound of a slice: `None` when the statement leaves that side open.
pub(super) type SliceBound = Option<CqlValue>;

/// One compiled selector.
pub(super) enum Node {
    /// A stored column (or hidden writetime/ttl entry) by row position.
    Column(usize),
    /// `token(pk...)`.
    Token,
    /// A scalar function over other nodes.
    Call(Function, Vec<Node>),
    /// A field of a UDT node.
    Field(Box<Node>, String),
    /// `c[key]` on a map or set node of the given type (key `None` at PREPARE).
    Element(Box<Node>, Option<CqlValue>, CqlType),
    /// `c[from..to]` on a map or set node of the given type.
    Slice(Box<Node>, SliceBound, SliceBound, CqlType),
    /// `now()` and friends.
    Now(NowFunction),
    /// An aggregate over a node's per-row values.
    Aggregate(Aggregate, Box<Node>),
    /// `count(*)` / `count(1)`.
    CountRows,
}

/// Compiles selectors of one statement.
pub(super) struct Compiler<'a> {
    /// The selected table.
    pub table: &'a TableMetadata,
    /// Bind values and time, at EXECUTE; `None` at PREPARE.
    pub ctx: Option<&'a BindContext<'a>>,
    /// Specs of the bind markers met in selectors: (marker index, spec).
    pub markers: Vec<(usize, ColumnSpec)>,
}

/// A compiled selector: its tree, Cassandra's column name and its type.
pub(super) type Compiled = (Node, String, CqlType);

impl Compiler<'_> {
    fn spec(&self, name: &str, ty: &CqlType) -> ColumnSpec {
        ColumnSpec {
            keyspace: self.table.keyspace.clone(),
            table: self.table.name.clone(),
            name: name.to_owned(),
            ty: ty.unfrozen().clone(),
        }
    }

    /// Compiles `expr` (`in_aggregate` when it is an aggregate's argument).
    ///
    /// # Errors
    /// Unknown columns or functions, type errors, unsupported selectors.
    pub fn compile(
        &mut self,
        expr: &SelectorExpr,
        in_aggregate: bool,
    ) -> Result<Compiled, RequestError> {
        match expr {
            SelectorExpr::Column(column) => {
                let (index, ty) = column_index(self.table, column.as_str())?;
                Ok((Node::Column(index), column.as_str().to_owned(), ty.clone()))
            }
            SelectorExpr::CountStar if in_aggregate => Err(nested_aggregate()),
            SelectorExpr::CountStar => Ok((Node::CountRows, "count".to_owned(), CqlType::Bigint)),
            SelectorExpr::Function { name, args } => {
                let lower = name.name.as_str().to_ascii_lowercase();
                self.function(&lower, args, in_aggregate)
            }
            SelectorExpr::Cast(inner, type_name) => {
                let (input, name, from) = self.compile(inner, in_aggregate)?;
                let to = type_name
                    .to_cql_type()
                    .ok_or_else(|| RequestError::invalid(format!("Cannot cast to {type_name}")))?;
                let function = resolve_cast(&from, &to)?;
                let name = format!("cast({name} as {to})");
                Ok((Node::Call(function, vec![input]), name, to))
            }
            SelectorExpr::Field(inner, field) => self.field(inner, field.as_str(), in_aggregate),
            SelectorExpr::Element(inner, key) => self.element(expr, inner, key, in_aggregate),
            SelectorExpr::Slice(inner, from, to) => {
                self.slice(expr, inner, from.as_ref(), to.as_ref(), in_aggregate)
            }
            other => Err(RequestError::invalid(format!(
                "Selector {other} is not supported by this Sibyl build yet"
            ))),
        }
    }

    fn function(
        &mut self,
        lower: &str,
        args: &[SelectorExpr],
        in_aggregate: bool,
    ) -> Result<Compiled, RequestError> {
        match lower {
            "token" => {
                check_token_args(self.table, args)?;
                let shown: Vec<String> = args.iter().map(ToString::to_string).collect();
                return Ok((
                    Node::Token,
                    format!("system.token({})", shown.join(", ")),
                    CqlType::Bigint,
                ));
            }
            "writetime" | "ttl" => return writetime_or_ttl(self.table, lower, args),
            _ => {}
        }
        if let Some((now, ty)) = NowFunction::of(lower) {
            if !args.is_empty() {
                return Err(RequestError::invalid(format!(
                    "Invalid number of arguments in call to function system.{lower}: 0 required but {} provided",
                    args.len()
                )));
            }
            return Ok((Node::Now(now), format!("system.{lower}()"), ty));
        }
        if is_aggregate_name(lower) {
            return self.aggregate(lower, args, in_aggregate);
        }
        let mut inputs = Vec::with_capacity(args.len());
        let mut names = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for arg in args {
            let (node, name, ty) = self.compile(arg, in_aggregate)?;
            inputs.push(node);
            names.push(name);
            types.push(ty);
        }
        let (function, ty) = resolve(lower, &types, &names)?;
        Ok((
            Node::Call(function, inputs),
            format!("system.{lower}({})", names.join(", ")),
            ty,
        ))
    }

    fn aggregate(
        &mut self,
        lower: &str,
        args: &[SelectorExpr],
        in_aggregate: bool,
    ) -> Result<Compiled, RequestError> {
        if in_aggregate {
            return Err(nested_aggregate());
        }
        let [arg] = args else {
            return Err(RequestError::invalid(format!(
                "Invalid number of arguments in call to function system.{lower}: 1 required but {} provided",
                args.len()
            )));
        };
        if lower == "count" && matches!(arg, SelectorExpr::Term(_)) {
            return Ok((Node::CountRows, "count".to_owned(), CqlType::Bigint));
        }
        let (input, name, ty) = self.compile(arg, true)?;
        let (aggregate, result) = Aggregate::resolve(lower, &ty)?;
        Ok((
            Node::Aggregate(aggregate, Box::new(input)),
            format!("system.{lower}({name})"),
            result,
        ))
    }

    fn field(
        &mut self,
        inner: &SelectorExpr,
        field: &str,
        in_aggregate: bool,
    ) -> Result<Compiled, RequestError> {
        let (input, name, ty) = self.compile(inner, in_aggregate)?;
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
            Node::Field(Box::new(input), field.to_owned()),
            format!("{name}.{field}"),
            field_ty,
        ))
    }

    /// The key type of element/slice selection on `ty` and the marker spec
    /// name Cassandra gives its markers; lists are refused as Cassandra 4 does.
    fn key_of(selected: &str, ty: &CqlType, kind: &str) -> Result<(CqlType, String), RequestError> {
        match ty.unfrozen() {
            CqlType::Map(k, _) => Ok((k.as_ref().clone(), format!("key({selected})"))),
            CqlType::Set(e) => Ok((e.as_ref().clone(), format!("value({selected})"))),
            CqlType::List(_) => Err(RequestError::invalid(format!(
                "{kind} selection is only allowed on sets and maps, but {selected} is a list"
            ))),
            other => Err(RequestError::invalid(if kind == "Element" {
                format!(
                    "Invalid element selection: {selected} is of type {other} is not a collection"
                )
            } else {
                format!("Invalid slice selection: {selected} of type {other} is not a collection")
            })),
        }
    }

    /// Binds an element or slice key (records its marker spec).
    fn key(
        &mut self,
        term: &Term,
        ty: &CqlType,
        spec_name: &str,
        kind: &str,
        selected: &str,
    ) -> Result<Option<CqlValue>, RequestError> {
        if let Term::Bind(marker) = term {
            self.markers.push((marker.index, self.spec(spec_name, ty)));
        }
        let Some(ctx) = self.ctx else {
            return Ok(None);
        };
        match bind(term, ty, spec_name, ctx)? {
            Bound::Value(v) => Ok(Some(v)),
            Bound::Null => Err(RequestError::invalid(format!(
                "Invalid null value for {} selection on {selected}",
                kind.to_ascii_lowercase()
            ))),
            Bound::Unset => Err(RequestError::invalid(format!(
                "Invalid unset value for {} selection on {selected}",
                kind.to_ascii_lowercase()
            ))),
        }
    }

    fn element(
        &mut self,
        expr: &SelectorExpr,
        inner: &SelectorExpr,
        key: &Term,
        in_aggregate: bool,
    ) -> Result<Compiled, RequestError> {
        let (input, selected, ty) = self.compile(inner, in_aggregate)?;
        let (key_ty, spec_name) = Self::key_of(&selected, &ty, "Element")?;
        let value_ty = match ty.unfrozen() {
            CqlType::Map(_, v) => v.as_ref().clone(),
            _ => key_ty.clone(),
        };
        let key = self.key(key, &key_ty, &spec_name, "Element", &selected)?;
        let name = element_name(expr, &selected);
        Ok((Node::Element(Box::new(input), key, ty), name, value_ty))
    }

    fn slice(
        &mut self,
        expr: &SelectorExpr,
        inner: &SelectorExpr,
        from: Option<&Term>,
        to: Option<&Term>,
        in_aggregate: bool,
    ) -> Result<Compiled, RequestError> {
        let (input, selected, ty) = self.compile(inner, in_aggregate)?;
        let (key_ty, spec_name) = Self::key_of(&selected, &ty, "Slice")?;
        let mut bound = |term: Option<&Term>| -> Result<SliceBound, RequestError> {
            match term {
                Some(t) => self.key(t, &key_ty, &spec_name, "Slice", &selected),
                None => Ok(None),
            }
        };
        let from = bound(from)?;
        let to = bound(to)?;
        let name = element_name(expr, &selected);
        Ok((Node::Slice(Box::new(input), from, to, ty.clone()), name, ty))
    }
}

fn nested_aggregate() -> RequestError {
    RequestError::invalid("aggregate functions cannot be used as arguments of aggregate functions")
}

/// `selected[key]` / `selected[from..to]` with the keys as written.
fn element_name(expr: &SelectorExpr, selected: &str) -> String {
    match expr {
        SelectorExpr::Element(_, key) => format!("{selected}[{key}]"),
        SelectorExpr::Slice(_, from, to) => {
            let side = |t: &Option<Term>| t.as_ref().map(ToString::to_string).unwrap_or_default();
            format!("{selected}[{}..{}]", side(from), side(to))
        }
        other => other.to_string(),
    }
}

fn writetime_or_ttl(
    table: &TableMetadata,
    function: &str,
    args: &[SelectorExpr],
) -> Result<Compiled, RequestError> {
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
        let kind = if ty.is_collection() {
            "collection"
        } else {
            "UDT"
        };
        return Err(RequestError::invalid(format!(
            "Cannot use selection function {shown} on non-frozen {kind} {}",
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
        Node::Column(hidden),
        format!("{function}({})", column.as_str()),
        ty,
    ))
}

/// Where user-table rows keep the write timestamp of the column at `index`
/// (its remaining TTL follows): hidden entries after the visible columns.
pub fn hidden_writetime_index(table: &TableMetadata, index: usize) -> usize {
    table.columns.len() + 2 * index
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

/// What evaluation needs besides the row: the table, its partition key
/// positions and the request's time.
pub(super) struct Env<'a> {
    /// The selected table.
    pub table: &'a TableMetadata,
    /// Row positions of the partition key columns.
    pub pk: Vec<usize>,
    /// The request's bind context (time for `now()`).
    pub ctx: Option<&'a BindContext<'a>>,
    /// `now()` calls made so far in the request.
    pub now_calls: std::cell::Cell<u64>,
}

impl Node {
    /// True when the tree holds an aggregate.
    pub fn has_aggregate(&self) -> bool {
        match self {
            Node::Aggregate(..) | Node::CountRows => true,
            Node::Call(_, args) => args.iter().any(Node::has_aggregate),
            Node::Field(inner, _) | Node::Element(inner, ..) | Node::Slice(inner, ..) => {
                inner.has_aggregate()
            }
            Node::Column(_) | Node::Token | Node::Now(_) => false,
        }
    }

    /// The node's value for one row.
    ///
    /// # Errors
    /// A function that fails on its arguments (a blob that does not decode).
    pub fn row_value(&self, env: &Env<'_>, row: &Row) -> Result<Option<CqlValue>, RequestError> {
        Ok(match self {
            Node::Column(i) => row.get(*i).cloned().flatten(),
            Node::Token => {
                let values: Option<Vec<CqlValue>> = env
                    .pk
                    .iter()
                    .map(|&i| row.get(i).cloned().flatten())
                    .collect();
                values
                    .and_then(|v| super::values::partition_key(env.table, &v).ok())
                    .map(|key| CqlValue::Bigint(key.token().0))
            }
            Node::Now(now) => {
                let seq = env.now_calls.get();
                env.now_calls.set(seq.wrapping_add(1));
                now.value(env.ctx, seq)
            }
            Node::Aggregate(..) | Node::CountRows => {
                return self.group_value(env, std::slice::from_ref(row));
            }
            Node::Call(function, inputs) => {
                let args = inputs
                    .iter()
                    .map(|i| i.row_value(env, row))
                    .collect::<Result<Vec<_>, _>>()?;
                function.apply(&args)?
            }
            Node::Field(..) | Node::Element(..) | Node::Slice(..) => {
                let inner = self
                    .inner()
                    .map(|n| n.row_value(env, row))
                    .transpose()?
                    .flatten();
                self.extract(inner)
            }
        })
    }

    /// The node's value for a group of rows: aggregates fold the group,
    /// anything else takes the group's first row (as Cassandra does).
    ///
    /// # Errors
    /// As [`Node::row_value`].
    pub fn group_value(
        &self,
        env: &Env<'_>,
        group: &[Row],
    ) -> Result<Option<CqlValue>, RequestError> {
        Ok(match self {
            Node::CountRows => Some(CqlValue::Bigint(
                i64::try_from(group.len()).unwrap_or(i64::MAX),
            )),
            Node::Aggregate(aggregate, input) => {
                let values = group
                    .iter()
                    .map(|row| input.row_value(env, row))
                    .collect::<Result<Vec<_>, _>>()?;
                aggregate.compute(values.into_iter().flatten())
            }
            Node::Call(function, inputs) if self.has_aggregate() => {
                let args = inputs
                    .iter()
                    .map(|i| i.group_value(env, group))
                    .collect::<Result<Vec<_>, _>>()?;
                function.apply(&args)?
            }
            Node::Field(..) | Node::Element(..) | Node::Slice(..) if self.has_aggregate() => {
                let inner = self
                    .inner()
                    .map(|n| n.group_value(env, group))
                    .transpose()?
                    .flatten();
                self.extract(inner)
            }
            _ => match group.first() {
                Some(row) => self.row_value(env, row)?,
                None => None,
            },
        })
    }

    fn inner(&self) -> Option<&Node> {
        match self {
            Node::Field(inner, _) | Node::Element(inner, ..) | Node::Slice(inner, ..) => {
                Some(inner)
            }
            _ => None,
        }
    }

    /// A field, element or slice of the inner node's value.
    fn extract(&self, value: Option<CqlValue>) -> Option<CqlValue> {
        let value = value?;
        match self {
            Node::Field(_, field) => match value {
                CqlValue::Udt(fields) => fields
                    .into_iter()
                    .find(|(n, _)| n == field)
                    .and_then(|(_, v)| v),
                _ => None,
            },
            Node::Element(_, key, ty) => element(&value, key.as_ref()?, ty),
            Node::Slice(_, from, to, ty) => slice(value, from.as_ref(), to.as_ref(), ty),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "selection_tests.rs"]
mod tests;
