//! User-defined functions, aggregates and triggers.

use super::{CqlTypeName, FunctionName, Ident, QualifiedName, Term};

/// `CREATE [OR REPLACE] FUNCTION`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFunction {
    /// `OR REPLACE`.
    pub or_replace: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Function name.
    pub name: FunctionName,
    /// Arguments: name and type.
    pub args: Vec<(Ident, CqlTypeName)>,
    /// `CALLED ON NULL INPUT` (true) or `RETURNS NULL ON NULL INPUT` (false).
    pub called_on_null_input: bool,
    /// `RETURNS type`.
    pub returns: CqlTypeName,
    /// `LANGUAGE lang` (folded to lower case).
    pub language: Ident,
    /// `AS 'body'`.
    pub body: String,
}

/// `DROP FUNCTION|AGGREGATE [IF EXISTS] name [(types)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropFunction {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// Function or aggregate name.
    pub name: FunctionName,
    /// Argument types selecting one overload, when given.
    pub arg_types: Option<Vec<CqlTypeName>>,
}

/// `CREATE [OR REPLACE] AGGREGATE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateAggregate {
    /// `OR REPLACE`.
    pub or_replace: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Aggregate name.
    pub name: FunctionName,
    /// Argument types.
    pub arg_types: Vec<CqlTypeName>,
    /// `SFUNC` state function.
    pub state_function: Ident,
    /// `STYPE` state type.
    pub state_type: CqlTypeName,
    /// `FINALFUNC` final function.
    pub final_function: Option<Ident>,
    /// `INITCOND` initial condition.
    pub initial_condition: Option<Term>,
}

/// `CREATE TRIGGER [IF NOT EXISTS] name ON table USING 'class'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTrigger {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Trigger name.
    pub name: Ident,
    /// Table.
    pub table: QualifiedName,
    /// Trigger class.
    pub class: String,
}

/// `DROP TRIGGER [IF EXISTS] name ON table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropTrigger {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// Trigger name.
    pub name: Ident,
    /// Table.
    pub table: QualifiedName,
}
