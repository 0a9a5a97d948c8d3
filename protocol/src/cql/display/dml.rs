//! `Display` for SELECT, INSERT, UPDATE, DELETE and BATCH.

use std::fmt::{self, Display, Formatter};

use super::Join;
use super::expr::Using;
use crate::cql::ast::{
    ArithOp, Assignment, Batch, BatchKind, BatchStatement, Delete, Ident, Insert, InsertValues,
    JsonDefault, Order, Select, Selection, Update,
};

impl Display for Order {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Order::Asc => f.write_str("ASC"),
            Order::Desc => f.write_str("DESC"),
            Order::Ann(t) => write!(f, "ANN OF {t}"),
        }
    }
}

/// `col ORDER` pairs.
pub(crate) struct Orderings<'a>(pub &'a [(Ident, Order)]);

impl Display for Orderings<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (n, (col, ord)) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{col} {ord}")?;
        }
        Ok(())
    }
}

impl Display for Selection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Selection::Star => f.write_str("*"),
            Selection::List(list) => write!(f, "{}", Join(list, ", ")),
        }
    }
}

/// A selection whose first word is never read back as the `JSON` or
/// `DISTINCT` flag: a leading column spelled like one is quoted.
struct FirstSafe<'a>(&'a Selection);

impl Display for FirstSafe<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        for word in ["json", "distinct"] {
            if let Some(rest) = text.strip_prefix(word)
                && !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            {
                return write!(f, "\"{word}\"{rest}");
            }
        }
        f.write_str(&text)
    }
}

impl Display for Select {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        if self.json {
            f.write_str("JSON ")?;
        }
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        write!(f, "{} FROM {}", FirstSafe(&self.selection), self.table)?;
        if !self.where_clause.is_empty() {
            write!(f, " WHERE {}", Join(&self.where_clause, " AND "))?;
        }
        if !self.group_by.is_empty() {
            write!(f, " GROUP BY {}", Join(&self.group_by, ", "))?;
        }
        if !self.order_by.is_empty() {
            write!(f, " ORDER BY {}", Orderings(&self.order_by))?;
        }
        if let Some(t) = &self.per_partition_limit {
            write!(f, " PER PARTITION LIMIT {t}")?;
        }
        if let Some(t) = &self.limit {
            write!(f, " LIMIT {t}")?;
        }
        if self.allow_filtering {
            f.write_str(" ALLOW FILTERING")?;
        }
        Ok(())
    }
}

impl Display for Insert {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "INSERT INTO {} ", self.table)?;
        match &self.values {
            InsertValues::Values { columns, values } => write!(
                f,
                "({}) VALUES ({})",
                Join(columns, ", "),
                Join(values, ", ")
            )?,
            InsertValues::Json { value, default } => {
                write!(f, "JSON {value}")?;
                match default {
                    Some(JsonDefault::Null) => f.write_str(" DEFAULT NULL")?,
                    Some(JsonDefault::Unset) => f.write_str(" DEFAULT UNSET")?,
                    None => {}
                }
            }
        }
        if self.if_not_exists {
            f.write_str(" IF NOT EXISTS")?;
        }
        write!(f, "{}", Using(&self.using))
    }
}

fn arith(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "-",
    }
}

impl Display for Assignment {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Assignment::Set { target, value } => write!(f, "{target} = {value}"),
            Assignment::Arith { column, op, value } => {
                write!(f, "{column} = {column} {} {value}", arith(*op))
            }
            Assignment::Prepend { column, value } => write!(f, "{column} = {value} + {column}"),
            Assignment::Compound { column, op, value } => {
                write!(f, "{column} {}= {value}", arith(*op))
            }
        }
    }
}

impl Display for Update {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UPDATE {}{} SET {} WHERE {}",
            self.table,
            Using(&self.using),
            Join(&self.assignments, ", "),
            Join(&self.where_clause, " AND ")
        )?;
        if let Some(c) = &self.conditions {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

impl Display for Delete {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("DELETE ")?;
        if !self.columns.is_empty() {
            write!(f, "{} ", Join(&self.columns, ", "))?;
        }
        write!(
            f,
            "FROM {}{} WHERE {}",
            self.table,
            Using(&self.using),
            Join(&self.where_clause, " AND ")
        )?;
        if let Some(c) = &self.conditions {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

impl Display for BatchStatement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            BatchStatement::Insert(s) => write!(f, "{s}"),
            BatchStatement::Update(s) => write!(f, "{s}"),
            BatchStatement::Delete(s) => write!(f, "{s}"),
        }
    }
}

impl Display for Batch {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            BatchKind::Logged => "BEGIN BATCH",
            BatchKind::Unlogged => "BEGIN UNLOGGED BATCH",
            BatchKind::Counter => "BEGIN COUNTER BATCH",
        })?;
        write!(f, "{}", Using(&self.using))?;
        for s in &self.statements {
            write!(f, " {s};")?;
        }
        f.write_str(" APPLY BATCH")
    }
}
