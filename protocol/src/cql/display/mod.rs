//! `Display` for the AST: valid CQL text that parses back to the same AST.
//!
//! Identifiers are quoted whenever the bare form would not read back as the
//! same name (upper case, reserved words, unusual characters); strings are
//! single-quoted with `''` escapes; keywords are printed in upper case.

mod auth;
mod ddl;
mod dml;
mod expr;
mod function;

use std::fmt::{self, Display, Formatter};

use super::ast::{DropObject, Ident, QualifiedName, Statement};
use super::lexical::{duration_token, is_reserved};

/// True when `name` prints bare: lower-case word, not reserved, and not
/// readable as a literal.
pub(crate) fn is_bare_ident(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    starts_ok
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !is_reserved(name)
        && duration_token(name).is_none_or(|(rest, _)| !rest.is_empty())
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if is_bare_ident(&self.0) {
            f.write_str(&self.0)
        } else {
            write!(f, "\"{}\"", self.0.replace('"', "\"\""))
        }
    }
}

impl Display for QualifiedName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(ks) = &self.keyspace {
            write!(f, "{ks}.")?;
        }
        write!(f, "{}", self.name)
    }
}

/// A string literal with `''` escapes.
pub(crate) struct Quoted<'a>(pub &'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0.replace('\'', "''"))
    }
}

/// Items separated by `sep`.
pub(crate) struct Join<'a, T>(pub &'a [T], pub &'static str);

impl<T: Display> Display for Join<'_, T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (n, item) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(self.1)?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

/// `" IF EXISTS"` / `" IF NOT EXISTS"` (with a trailing space) when set.
pub(crate) fn if_clause(flag: bool, text: &'static str) -> &'static str {
    if flag { text } else { "" }
}

fn drop(f: &mut Formatter<'_>, what: &str, d: &DropObject) -> fmt::Result {
    write!(
        f,
        "DROP {what} {}{}",
        if_clause(d.if_exists, "IF EXISTS "),
        d.name
    )
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Use(ks) => write!(f, "USE {ks}"),
            Statement::Select(s) => write!(f, "{s}"),
            Statement::Insert(s) => write!(f, "{s}"),
            Statement::Update(s) => write!(f, "{s}"),
            Statement::Delete(s) => write!(f, "{s}"),
            Statement::Batch(s) => write!(f, "{s}"),
            Statement::Truncate(t) => write!(f, "TRUNCATE {t}"),
            Statement::CreateKeyspace(s) => write!(f, "{s}"),
            Statement::AlterKeyspace(s) => write!(f, "{s}"),
            Statement::DropKeyspace(d) => drop(f, "KEYSPACE", d),
            Statement::CreateTable(s) => write!(f, "{s}"),
            Statement::AlterTable(s) => write!(f, "{s}"),
            Statement::DropTable(d) => drop(f, "TABLE", d),
            Statement::CreateType(s) => write!(f, "{s}"),
            Statement::AlterType(s) => write!(f, "{s}"),
            Statement::DropType(d) => drop(f, "TYPE", d),
            Statement::CreateIndex(s) => write!(f, "{s}"),
            Statement::DropIndex(d) => drop(f, "INDEX", d),
            Statement::CreateView(s) => write!(f, "{s}"),
            Statement::AlterView(s) => write!(f, "{s}"),
            Statement::DropView(d) => drop(f, "MATERIALIZED VIEW", d),
            Statement::CreateFunction(s) => write!(f, "{s}"),
            Statement::DropFunction(d) => function::fmt_drop_function(f, "FUNCTION", d),
            Statement::CreateAggregate(s) => write!(f, "{s}"),
            Statement::DropAggregate(d) => function::fmt_drop_function(f, "AGGREGATE", d),
            Statement::CreateTrigger(s) => write!(f, "{s}"),
            Statement::DropTrigger(s) => write!(f, "{s}"),
            other => auth::fmt_auth(other, f),
        }
    }
}
