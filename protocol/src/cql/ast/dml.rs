//! Data statements: SELECT, INSERT, UPDATE, DELETE, BATCH.

use super::{
    ColumnRef, Conditions, Ident, QualifiedName, Relation, Selector, SelectorExpr, Term, UsingAttr,
};

/// Sort direction.
#[derive(Debug, Clone, PartialEq)]
pub enum Order {
    /// `ASC` (also the default when absent).
    Asc,
    /// `DESC`.
    Desc,
    /// `ANN OF vector` (vector search).
    Ann(Term),
}

/// What a SELECT returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// `*`.
    Star,
    /// An explicit selector list.
    List(Vec<Selector>),
}

/// `SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// `SELECT JSON`.
    pub json: bool,
    /// `SELECT DISTINCT`.
    pub distinct: bool,
    /// The selection.
    pub selection: Selection,
    /// `FROM` table or view.
    pub table: QualifiedName,
    /// `WHERE` relations joined by AND.
    pub where_clause: Vec<Relation>,
    /// `GROUP BY` selectors: columns, or a function of the last one
    /// (`floor(ts, 1h)`, Cassandra 4+).
    pub group_by: Vec<SelectorExpr>,
    /// `ORDER BY` columns.
    pub order_by: Vec<(Ident, Order)>,
    /// `PER PARTITION LIMIT`.
    pub per_partition_limit: Option<Term>,
    /// `LIMIT`.
    pub limit: Option<Term>,
    /// `ALLOW FILTERING`.
    pub allow_filtering: bool,
}

/// `DEFAULT NULL` / `DEFAULT UNSET` of `INSERT JSON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonDefault {
    /// `DEFAULT NULL` (the default).
    Null,
    /// `DEFAULT UNSET`.
    Unset,
}

/// The values part of an INSERT.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertValues {
    /// `(cols) VALUES (terms)`.
    Values {
        /// Columns.
        columns: Vec<Ident>,
        /// Values, one per column.
        values: Vec<Term>,
    },
    /// `JSON term [DEFAULT NULL|UNSET]`.
    Json {
        /// The JSON document (a string or a bind marker).
        value: Term,
        /// The `DEFAULT` clause, when written.
        default: Option<JsonDefault>,
    },
}

/// `INSERT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// Target table.
    pub table: QualifiedName,
    /// Values.
    pub values: InsertValues,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `USING` attributes.
    pub using: Vec<UsingAttr>,
}

/// `+` or `-` in an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
}

/// One assignment of an UPDATE's SET clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Assignment {
    /// `c = v`, `m[k] = v`, `u.f = v`.
    Set {
        /// Target.
        target: ColumnRef,
        /// Value.
        value: Term,
    },
    /// `c = c + v` / `c = c - v` (append, remove, counter increment).
    Arith {
        /// The column.
        column: Ident,
        /// The operation.
        op: ArithOp,
        /// The operand.
        value: Term,
    },
    /// `c = v + c` (list prepend).
    Prepend {
        /// The column.
        column: Ident,
        /// The prepended value.
        value: Term,
    },
    /// `c += v` / `c -= v`.
    Compound {
        /// The column.
        column: Ident,
        /// The operation.
        op: ArithOp,
        /// The operand.
        value: Term,
    },
}

/// `UPDATE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// Target table.
    pub table: QualifiedName,
    /// `USING` attributes.
    pub using: Vec<UsingAttr>,
    /// `SET` assignments.
    pub assignments: Vec<Assignment>,
    /// `WHERE` relations.
    pub where_clause: Vec<Relation>,
    /// `IF` clause.
    pub conditions: Option<Conditions>,
}

/// `DELETE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// Deleted columns / elements / fields; empty deletes whole rows.
    pub columns: Vec<ColumnRef>,
    /// Target table.
    pub table: QualifiedName,
    /// `USING TIMESTAMP`.
    pub using: Vec<UsingAttr>,
    /// `WHERE` relations.
    pub where_clause: Vec<Relation>,
    /// `IF` clause.
    pub conditions: Option<Conditions>,
}

/// The kind of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    /// `BEGIN BATCH` (logged).
    Logged,
    /// `BEGIN UNLOGGED BATCH`.
    Unlogged,
    /// `BEGIN COUNTER BATCH`.
    Counter,
}

/// A statement inside a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchStatement {
    /// INSERT.
    Insert(Insert),
    /// UPDATE.
    Update(Update),
    /// DELETE.
    Delete(Delete),
}

/// `BEGIN [UNLOGGED|COUNTER] BATCH [USING TIMESTAMP n] ... APPLY BATCH`.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Kind.
    pub kind: BatchKind,
    /// `USING` attributes.
    pub using: Vec<UsingAttr>,
    /// The statements, in order.
    pub statements: Vec<BatchStatement>,
}
