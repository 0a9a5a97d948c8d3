//! Terms, types, relations, conditions and selectors: the expressions that
//! statements are built from.

use super::{Ident, QualifiedName};
use crate::value::CqlType;

/// A bind marker: `?` or `:name`. Markers are numbered from 0 in order of
/// appearance in the statement text, one index per occurrence (a named marker
/// used twice takes two indexes), as prepared-statement metadata needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMarker {
    /// Position among the statement's markers, from 0.
    pub index: usize,
    /// The name of a `:name` marker.
    pub name: Option<Ident>,
}

/// A function name, possibly keyspace-qualified (`system.now`).
pub type FunctionName = QualifiedName;

/// A CQL term: a value written in the statement.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Term {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal, as written (optional `-`, digits): fits bigint or varint.
    Integer(String),
    /// A float literal as written, or `NaN`, `Infinity`, `-Infinity`.
    Float(String),
    /// A string literal (`'...'` or `$$...$$`), unescaped.
    Str(String),
    /// A UUID literal, lower case.
    Uuid(String),
    /// A blob literal: the hex digits after `0x`, lower case.
    Blob(String),
    /// A duration literal as written (`1h30m`, `P1DT2H`, `P0001-02-03T04:05:06`).
    Duration(String),
    /// A bind marker.
    Bind(BindMarker),
    /// `[a, b]`.
    List(Vec<Term>),
    /// `{a, b}`; `{}` is an empty set (Cassandra accepts it for maps too).
    Set(Vec<Term>),
    /// `{k: v, ...}` (non-empty).
    Map(Vec<(Term, Term)>),
    /// `(a, b)`: a tuple literal of at least two elements.
    Tuple(Vec<Term>),
    /// `{field: v, ...}` (non-empty): a user-defined type literal.
    Udt(Vec<(Ident, Term)>),
    /// `f(a, b)`.
    Function {
        /// Function name.
        name: FunctionName,
        /// Arguments.
        args: Vec<Term>,
    },
    /// `(type) term`.
    TypeHint {
        /// The hinted type.
        ty: CqlTypeName,
        /// The hinted term (a simple term: no operator at its top).
        term: Box<Term>,
    },
    /// `CAST(term AS type)` on a simple term.
    Cast {
        /// The converted term.
        term: Box<Term>,
        /// The target (native) type.
        ty: CqlTypeName,
    },
    /// `- term`: negation of a simple term (a negative literal is `Integer`
    /// or `Float` with its sign).
    Negate(Box<Term>),
    /// `lhs op rhs` (Cassandra 4+ arithmetic), left-associative, `*` `/` `%`
    /// binding tighter than `+` `-`. CQL has no grouping parentheses, so
    /// only ASTs of that shape print back to themselves.
    Operation {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Term>,
        /// Right operand.
        rhs: Box<Term>,
    },
}

/// An arithmetic operator between terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
}

impl BinaryOp {
    /// True for `*`, `/` and `%`, which bind tighter than `+` and `-`.
    pub fn is_multiplicative(self) -> bool {
        matches!(self, BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod)
    }
}

/// A type as written in a statement: like [`CqlType`] but a user-defined type
/// is only a name until the schema resolves it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CqlTypeName {
    /// A native type (`int`, `text`, ...); always a [`CqlType`] whose
    /// `native_name()` is `Some`.
    Native(CqlType),
    /// `list<T>`.
    List(Box<CqlTypeName>),
    /// `set<T>`.
    Set(Box<CqlTypeName>),
    /// `map<K, V>`.
    Map(Box<CqlTypeName>, Box<CqlTypeName>),
    /// `tuple<T, ...>`.
    Tuple(Vec<CqlTypeName>),
    /// `frozen<T>`.
    Frozen(Box<CqlTypeName>),
    /// `vector<T, n>`.
    Vector(Box<CqlTypeName>, u32),
    /// A user-defined type by (possibly qualified) name.
    UserDefined(QualifiedName),
    /// A custom type by Java class name (`'org.apache...'`).
    Custom(String),
}

impl CqlTypeName {
    /// The equivalent [`CqlType`], or `None` when it names a user-defined type
    /// (which only the schema can resolve).
    pub fn to_cql_type(&self) -> Option<CqlType> {
        let boxed = |t: &CqlTypeName| t.to_cql_type().map(Box::new);
        Some(match self {
            CqlTypeName::Native(t) => t.clone(),
            CqlTypeName::List(t) => CqlType::List(boxed(t)?),
            CqlTypeName::Set(t) => CqlType::Set(boxed(t)?),
            CqlTypeName::Map(k, v) => CqlType::Map(boxed(k)?, boxed(v)?),
            CqlTypeName::Tuple(items) => CqlType::Tuple(
                items
                    .iter()
                    .map(CqlTypeName::to_cql_type)
                    .collect::<Option<Vec<_>>>()?,
            ),
            CqlTypeName::Frozen(t) => CqlType::Frozen(boxed(t)?),
            CqlTypeName::Vector(t, n) => CqlType::Vector(boxed(t)?, *n),
            CqlTypeName::UserDefined(_) => return None,
            CqlTypeName::Custom(class) => CqlType::Custom(class.clone()),
        })
    }
}

/// A comparison operator in a relation or condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `=`.
    Eq,
    /// `!=`.
    Neq,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `CONTAINS`.
    Contains,
    /// `CONTAINS KEY`.
    ContainsKey,
    /// `LIKE`.
    Like,
}

/// The right side of `IN`: a list of terms or one bind marker.
#[derive(Debug, Clone, PartialEq)]
pub enum InValues {
    /// `IN (a, b, ...)` (possibly empty).
    List(Vec<Term>),
    /// `IN ?`.
    Marker(BindMarker),
}

/// The left side of a WHERE relation.
#[derive(Debug, Clone, PartialEq)]
pub enum RelationLhs {
    /// A column.
    Column(Ident),
    /// `m[key]`: a map element (filtering on indexed entries).
    Element(Ident, Term),
    /// `(a, b, ...)`: a multi-column (clustering tuple) relation.
    Tuple(Vec<Ident>),
    /// `token(a, b, ...)`.
    Token(Vec<Ident>),
}

/// One relation of a WHERE clause (relations are joined by AND).
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// `lhs op term`.
    Compare {
        /// Left side.
        lhs: RelationLhs,
        /// Operator.
        op: Operator,
        /// Right side.
        rhs: Term,
    },
    /// `lhs IN values`.
    In {
        /// Left side.
        lhs: RelationLhs,
        /// The values.
        values: InValues,
    },
    /// `column IS NOT NULL` (materialized views).
    IsNotNull(Ident),
}

/// A column, or part of one, in assignments, deletions and conditions.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnRef {
    /// The whole column.
    Column(Ident),
    /// `c[key]`: a map element or list index.
    Element(Ident, Term),
    /// `c.field`: a UDT field.
    Field(Ident, Ident),
}

/// One condition of an `IF` clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `lhs op term`.
    Compare {
        /// Left side.
        lhs: ColumnRef,
        /// Operator.
        op: Operator,
        /// Right side.
        rhs: Term,
    },
    /// `lhs IN values`.
    In {
        /// Left side.
        lhs: ColumnRef,
        /// The values.
        values: InValues,
    },
}

/// The `IF` clause of a modification.
#[derive(Debug, Clone, PartialEq)]
pub enum Conditions {
    /// `IF EXISTS`.
    Exists,
    /// `IF c1 AND c2 ...`.
    List(Vec<Condition>),
}

/// A selector expression in a SELECT clause or a function argument.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SelectorExpr {
    /// A column.
    Column(Ident),
    /// A constant term (e.g. `count(1)`, `(int) 3`).
    Term(Term),
    /// `f(args)`, including `token`, `writetime`, `ttl`, `maxwritetime`,
    /// `count`, `now`, `toTimestamp`, ... (the name says which).
    Function {
        /// Function name, lower case unless quoted.
        name: FunctionName,
        /// Arguments.
        args: Vec<SelectorExpr>,
    },
    /// `count(*)`.
    CountStar,
    /// `CAST(expr AS type)`.
    Cast(Box<SelectorExpr>, CqlTypeName),
    /// `expr.field`.
    Field(Box<SelectorExpr>, Ident),
    /// `expr[key]`.
    Element(Box<SelectorExpr>, Term),
    /// `expr[from..to]` (either bound may be absent).
    Slice(Box<SelectorExpr>, Option<Term>, Option<Term>),
}

/// One selector with its optional alias.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    /// The expression.
    pub expr: SelectorExpr,
    /// `AS alias`.
    pub alias: Option<Ident>,
}

/// `USING` attributes of a modification or batch.
#[derive(Debug, Clone, PartialEq)]
pub enum UsingAttr {
    /// `TTL t`.
    Ttl(Term),
    /// `TIMESTAMP t`.
    Timestamp(Term),
}
