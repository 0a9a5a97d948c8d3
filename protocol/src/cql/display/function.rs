//! `Display` for function, aggregate and trigger statements.

use std::fmt::{self, Display, Formatter};

use super::{Join, Quoted, if_clause};
use crate::cql::ast::{
    CreateAggregate, CreateFunction, CreateTrigger, DropFunction, DropTrigger, FunctionName,
};

/// A function name; `token` prints bare although it is reserved.
struct Name<'a>(&'a FunctionName);

impl Display for Name<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.keyspace.is_none() && self.0.name.as_str() == "token" {
            return f.write_str("token");
        }
        write!(f, "{}", self.0)
    }
}

fn or_replace(flag: bool) -> &'static str {
    if_clause(flag, "OR REPLACE ")
}

impl Display for CreateFunction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CREATE {}FUNCTION {}{}(",
            or_replace(self.or_replace),
            if_clause(self.if_not_exists, "IF NOT EXISTS "),
            Name(&self.name)
        )?;
        for (n, (arg, ty)) in self.args.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{arg} {ty}")?;
        }
        let null_input = if self.called_on_null_input {
            "CALLED"
        } else {
            "RETURNS NULL"
        };
        write!(
            f,
            ") {null_input} ON NULL INPUT RETURNS {} LANGUAGE {} AS {}",
            self.returns,
            self.language,
            Quoted(&self.body)
        )
    }
}

/// `DROP FUNCTION` / `DROP AGGREGATE` (the keyword is the caller's).
pub(crate) fn fmt_drop_function(
    f: &mut Formatter<'_>,
    what: &str,
    d: &DropFunction,
) -> fmt::Result {
    write!(
        f,
        "DROP {what} {}{}",
        if_clause(d.if_exists, "IF EXISTS "),
        Name(&d.name)
    )?;
    if let Some(types) = &d.arg_types {
        write!(f, "({})", Join(types, ", "))?;
    }
    Ok(())
}

impl Display for CreateAggregate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CREATE {}AGGREGATE {}{}({}) SFUNC {} STYPE {}",
            or_replace(self.or_replace),
            if_clause(self.if_not_exists, "IF NOT EXISTS "),
            Name(&self.name),
            Join(&self.arg_types, ", "),
            self.state_function,
            self.state_type
        )?;
        if let Some(func) = &self.final_function {
            write!(f, " FINALFUNC {func}")?;
        }
        if let Some(t) = &self.initial_condition {
            write!(f, " INITCOND {t}")?;
        }
        Ok(())
    }
}

impl Display for CreateTrigger {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CREATE TRIGGER {}{} ON {} USING {}",
            if_clause(self.if_not_exists, "IF NOT EXISTS "),
            self.name,
            self.table,
            Quoted(&self.class)
        )
    }
}

impl Display for DropTrigger {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DROP TRIGGER {}{} ON {}",
            if_clause(self.if_exists, "IF EXISTS "),
            self.name,
            self.table
        )
    }
}
