//! `Display` for terms, types, relations, conditions and selectors.

use std::fmt::{self, Display, Formatter};

use super::{Join, Quoted};
use crate::cql::ast::{
    BinaryOp, BindMarker, ColumnRef, Condition, Conditions, CqlTypeName, InValues, Operator,
    Relation, RelationLhs, Selector, SelectorExpr, Term, UsingAttr,
};

impl Display for BindMarker {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, ":{name}"),
            None => f.write_str("?"),
        }
    }
}

struct Entry<'a, K, V>(&'a K, &'a V);

impl<K: Display, V: Display> Display for Entry<'_, K, V> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0, self.1)
    }
}

fn entries<'a, K, V>(
    f: &mut Formatter<'_>,
    items: impl Iterator<Item = (&'a K, &'a V)>,
) -> fmt::Result
where
    K: Display + 'a,
    V: Display + 'a,
{
    for (n, (k, v)) in items.enumerate() {
        if n > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{}", Entry(k, v))?;
    }
    Ok(())
}

impl Display for Term {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Term::Null => f.write_str("null"),
            Term::Bool(b) => write!(f, "{b}"),
            Term::Integer(t) | Term::Float(t) | Term::Uuid(t) | Term::Duration(t) => f.write_str(t),
            Term::Str(s) => write!(f, "{}", Quoted(s)),
            Term::Blob(hex) => write!(f, "0x{hex}"),
            Term::Bind(m) => write!(f, "{m}"),
            Term::List(items) => write!(f, "[{}]", Join(items, ", ")),
            Term::Set(items) => write!(f, "{{{}}}", Join(items, ", ")),
            Term::Tuple(items) => write!(f, "({})", Join(items, ", ")),
            Term::Map(items) => {
                f.write_str("{")?;
                entries(f, items.iter().map(|(k, v)| (k, v)))?;
                f.write_str("}")
            }
            Term::Udt(fields) => {
                f.write_str("{")?;
                entries(f, fields.iter().map(|(k, v)| (k, v)))?;
                f.write_str("}")
            }
            Term::Function { name, args } => {
                write_function_name(f, name)?;
                write!(f, "({})", Join(args, ", "))
            }
            Term::TypeHint { ty, term } => write!(f, "({ty}) {term}"),
            Term::Cast { term, ty } => write!(f, "CAST({term} AS {ty})"),
            Term::Negate(term) => write!(f, "- {term}"),
            Term::Operation { op, lhs, rhs } => write!(f, "{lhs} {op} {rhs}"),
        }
    }
}

/// A function name; `token` prints bare although it is reserved.
fn write_function_name(f: &mut Formatter<'_>, name: &crate::cql::ast::FunctionName) -> fmt::Result {
    if name.keyspace.is_none() && name.name.as_str() == "token" {
        return f.write_str("token");
    }
    write!(f, "{name}")
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        })
    }
}

impl Display for CqlTypeName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            CqlTypeName::Native(t) => write!(f, "{t}"),
            CqlTypeName::List(t) => write!(f, "list<{t}>"),
            CqlTypeName::Set(t) => write!(f, "set<{t}>"),
            CqlTypeName::Map(k, v) => write!(f, "map<{k}, {v}>"),
            CqlTypeName::Tuple(items) => write!(f, "tuple<{}>", Join(items, ", ")),
            CqlTypeName::Frozen(t) => write!(f, "frozen<{t}>"),
            CqlTypeName::Vector(t, n) => write!(f, "vector<{t}, {n}>"),
            CqlTypeName::UserDefined(name) => {
                if name.keyspace.is_none()
                    && crate::value::CqlType::from_native_name(name.name.as_str()).is_some()
                {
                    return write!(f, "\"{}\"", name.name.as_str());
                }
                write!(f, "{name}")
            }
            CqlTypeName::Custom(class) => write!(f, "{}", Quoted(class)),
        }
    }
}

impl Display for Operator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operator::Eq => "=",
            Operator::Neq => "!=",
            Operator::Lt => "<",
            Operator::Lte => "<=",
            Operator::Gt => ">",
            Operator::Gte => ">=",
            Operator::Contains => "CONTAINS",
            Operator::ContainsKey => "CONTAINS KEY",
            Operator::Like => "LIKE",
        })
    }
}

/// The right side of a comparison; after `CONTAINS`, a function named `key`
/// is quoted so that it does not read as `CONTAINS KEY`.
struct Rhs<'a>(Operator, &'a Term);

impl Display for Rhs<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let text = self.1.to_string();
        if self.0 == Operator::Contains
            && let Some(rest) = text.strip_prefix("key")
            && !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        {
            return write!(f, "\"key\"{rest}");
        }
        f.write_str(&text)
    }
}

impl Display for InValues {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            InValues::List(items) => write!(f, "({})", Join(items, ", ")),
            InValues::Marker(m) => write!(f, "{m}"),
        }
    }
}

impl Display for RelationLhs {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            RelationLhs::Column(c) => write!(f, "{c}"),
            RelationLhs::Element(c, key) => write!(f, "{c}[{key}]"),
            RelationLhs::Tuple(cols) => write!(f, "({})", Join(cols, ", ")),
            RelationLhs::Token(cols) => write!(f, "token({})", Join(cols, ", ")),
        }
    }
}

impl Display for Relation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Relation::Compare { lhs, op, rhs } => write!(f, "{lhs} {op} {}", Rhs(*op, rhs)),
            Relation::In { lhs, values } => write!(f, "{lhs} IN {values}"),
            Relation::IsNotNull(c) => write!(f, "{c} IS NOT NULL"),
        }
    }
}

impl Display for ColumnRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ColumnRef::Column(c) => write!(f, "{c}"),
            ColumnRef::Element(c, key) => write!(f, "{c}[{key}]"),
            ColumnRef::Field(c, field) => write!(f, "{c}.{field}"),
        }
    }
}

impl Display for Condition {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Compare { lhs, op, rhs } => write!(f, "{lhs} {op} {}", Rhs(*op, rhs)),
            Condition::In { lhs, values } => write!(f, "{lhs} IN {values}"),
        }
    }
}

impl Display for Conditions {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Conditions::Exists => f.write_str("IF EXISTS"),
            Conditions::List(list) => write!(f, "IF {}", Join(list, " AND ")),
        }
    }
}

impl Display for UsingAttr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            UsingAttr::Ttl(t) => write!(f, "TTL {t}"),
            UsingAttr::Timestamp(t) => write!(f, "TIMESTAMP {t}"),
        }
    }
}

/// ` USING a AND b` when there are attributes.
pub(crate) struct Using<'a>(pub &'a [UsingAttr]);

impl Display for Using<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        write!(f, " USING {}", Join(self.0, " AND "))
    }
}

impl Display for SelectorExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectorExpr::Column(c) => write!(f, "{c}"),
            SelectorExpr::Term(t) => write!(f, "{t}"),
            SelectorExpr::Function { name, args } => {
                write_function_name(f, name)?;
                write!(f, "({})", Join(args, ", "))
            }
            SelectorExpr::CountStar => f.write_str("count(*)"),
            SelectorExpr::Cast(inner, ty) => write!(f, "CAST({inner} AS {ty})"),
            SelectorExpr::Field(inner, field) => write!(f, "{inner}.{field}"),
            SelectorExpr::Element(inner, key) => write!(f, "{inner}[{key}]"),
            SelectorExpr::Slice(inner, from, to) => {
                write!(f, "{inner}[")?;
                // Spaces keep a float like `1.` apart from the range dots.
                if let Some(t) = from {
                    write!(f, "{t} ")?;
                }
                f.write_str("..")?;
                if let Some(t) = to {
                    write!(f, " {t}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl Display for Selector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if let Some(alias) = &self.alias {
            write!(f, " AS {alias}")?;
        }
        Ok(())
    }
}
