//! The CQL language: text to a typed AST ([`ast`]) and back (`Display`).
//!
//! [`parse`] reads one statement (trailing `;`s allowed), [`parse_many`] a
//! script of `;`-separated statements. Both bound the input size
//! ([`limits::MAX_STATEMENT_BYTES`]) before reading it and the nesting depth of
//! terms, selectors and types ([`limits::MAX_DEPTH`]) while reading, so hostile
//! input gets a [`ParseError`] and never exhausts the stack. Errors read as
//! Cassandra's (`line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT *
//! [FORM] t)`), the text the server returns in a Syntax error (0x2000).
//!
//! ```
//! use sibyl_protocol::cql::{ast::Statement, parse};
//!
//! let stmt = parse("SELECT * FROM system.local WHERE key = ?;").unwrap();
//! assert!(matches!(stmt, Statement::Select(_)));
//! assert_eq!(stmt.bind_marker_count(), 1);
//! assert_eq!(parse(&stmt.to_string()).unwrap(), stmt);
//! let err = parse("SELECT * FORM t").unwrap_err();
//! assert_eq!(err.to_string(), "line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT * [FORM] t)");
//! ```
//!
//! Bind markers are numbered in order of appearance ([`ast::BindMarker`]).

mod arith;
pub mod ast;
mod auth;
mod batch;
mod binds;
mod ddl;
mod ddl_function;
mod ddl_index;
mod describe;
mod display;
mod error;
mod expr;
mod lexical;
mod modify;
mod select;
mod types;

pub use ast::Statement;
pub use error::ParseError;
pub use lexical::is_reserved;

/// Input limits.
pub mod limits {
    /// Default largest statement (or script) accepted, in bytes.
    pub const MAX_STATEMENT_BYTES: usize = 1024 * 1024;
    /// Default deepest nesting of terms, selectors and types.
    pub const MAX_DEPTH: usize = 64;
    /// The most [`super::ParseLimits::max_depth`] may be: a parse at this
    /// depth needs about 1 MiB of stack in a debug build (far less in
    /// release), half of a tokio worker thread's 2 MiB.
    pub const MAX_DEPTH_CEILING: usize = 64;
}

/// Limits applied while parsing (the server takes them from its config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest statement (or script) accepted, in bytes; checked first.
    pub max_statement_bytes: usize,
    /// Deepest nesting of terms, selectors and types; capped at
    /// [`limits::MAX_DEPTH_CEILING`].
    pub max_depth: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_statement_bytes: limits::MAX_STATEMENT_BYTES,
            max_depth: limits::MAX_DEPTH,
        }
    }
}

use error::{PErr, PResult};
use lexical::{eof, kw, opt_sym, peek_kw, sym, ws};

/// Parses one statement with the default [`ParseLimits`]; trailing `;`s
/// are allowed.
pub fn parse(text: &str) -> Result<Statement, ParseError> {
    parse_with(text, &ParseLimits::default())
}

/// Parses a script of statements separated by `;` (empty statements
/// skipped) with the default [`ParseLimits`].
pub fn parse_many(text: &str) -> Result<Vec<Statement>, ParseError> {
    parse_many_with(text, &ParseLimits::default())
}

/// [`parse`] with explicit limits.
pub fn parse_with(text: &str, limits: &ParseLimits) -> Result<Statement, ParseError> {
    begin(text, limits)?;
    let result = statement(text).and_then(|(mut i, stmt)| {
        // Cassandra's `query: cqlStatement (';')* EOF`.
        while let (rest, true) = opt_sym(i, ";")? {
            i = rest;
        }
        let (i, ()) = eof(i)?;
        Ok((i, stmt))
    });
    finish(text, result)
}

/// [`parse_many`] with explicit limits.
pub fn parse_many_with(text: &str, limits: &ParseLimits) -> Result<Vec<Statement>, ParseError> {
    begin(text, limits)?;
    let mut out = Vec::new();
    let mut i = text;
    loop {
        match script_item(i) {
            Ok((_, None)) => return Ok(out),
            Ok((rest, Some(mut stmt))) => {
                binds::number_markers(&mut stmt);
                out.push(stmt);
                i = rest;
            }
            Err(e) => return Err(to_public(text, e)),
        }
    }
}

/// The next statement of a script and its terminating `;` (or the end);
/// `None` at the end of the script.
fn script_item(i: &str) -> PResult<'_, Option<Statement>> {
    let (mut rest, ()) = ws(i)?;
    while let (after, true) = opt_sym(rest, ";")? {
        rest = after;
    }
    if eof(rest).is_ok() {
        return Ok((rest, None));
    }
    let (rest, stmt) = statement(rest)?;
    let (rest, ()) = match sym(";")(rest) {
        Ok(ok) => ok,
        Err(e) => eof(rest).map_err(|_| e)?,
    };
    Ok((rest, Some(stmt)))
}

/// Checks the size limit and resets the error tracker.
fn begin(text: &str, limits: &ParseLimits) -> Result<(), ParseError> {
    if text.len() > limits.max_statement_bytes {
        let message = format!(
            "statement of {} bytes is larger than the limit of {} bytes",
            text.len(),
            limits.max_statement_bytes
        );
        let mut err = error::build(text, 0, &[], false, Some(message));
        err.snippet.clear();
        return Err(err);
    }
    error::begin(text, limits.max_depth.min(limits::MAX_DEPTH_CEILING));
    Ok(())
}

/// Turns a parser result into the public one, numbering bind markers.
fn finish(text: &str, result: PResult<'_, Statement>) -> Result<Statement, ParseError> {
    match result {
        Ok((_, mut stmt)) => {
            binds::number_markers(&mut stmt);
            Ok(stmt)
        }
        Err(e) => Err(to_public(text, e)),
    }
}

/// The public error for a parser failure over `text`.
fn to_public(text: &str, err: nom::Err<PErr>) -> ParseError {
    match err {
        nom::Err::Failure(PErr {
            remaining,
            message: Some(message),
        }) => error::build(
            text,
            text.len().saturating_sub(remaining),
            &[],
            false,
            Some(message),
        ),
        _ => {
            let (remaining, expected, alternatives) = error::take_furthest();
            let offset = text.len().saturating_sub(remaining.min(text.len()));
            error::build(text, offset, &expected, alternatives, None)
        }
    }
}

impl Statement {
    /// Renumbers the bind markers in order of appearance (as [`parse`] does,
    /// e.g. after building or editing an AST by hand); returns their count.
    pub fn number_bind_markers(&mut self) -> usize {
        binds::number_markers(self)
    }

    /// The number of bind markers (`?` and `:name` occurrences) in the statement.
    pub fn bind_marker_count(&self) -> usize {
        self.clone().number_bind_markers()
    }
}

/// One statement, without the trailing `;`.
fn statement(i: &str) -> PResult<'_, Statement> {
    let (i, ()) = ws(i)?;
    let word = i
        .get(
            ..i.find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(i.len()),
        )
        .unwrap_or("")
        .to_ascii_uppercase();
    match word.as_str() {
        "SELECT" => select::select(i).map(|(i, s)| (i, Statement::Select(Box::new(s)))),
        "INSERT" => modify::insert(i).map(|(i, s)| (i, Statement::Insert(Box::new(s)))),
        "UPDATE" => modify::update(i).map(|(i, s)| (i, Statement::Update(Box::new(s)))),
        "DELETE" => modify::delete(i).map(|(i, s)| (i, Statement::Delete(Box::new(s)))),
        "BEGIN" => batch::batch(i).map(|(i, s)| (i, Statement::Batch(Box::new(s)))),
        "USE" => ddl::use_stmt(i).map(|(i, k)| (i, Statement::Use(k))),
        "TRUNCATE" => ddl::truncate(i).map(|(i, t)| (i, Statement::Truncate(t))),
        "CREATE" => create(i),
        "ALTER" => alter(i),
        "DROP" => drop(i),
        "GRANT" | "REVOKE" => auth::grant_or_revoke(i),
        "LIST" => auth::list(i),
        "DESCRIBE" | "DESC" => describe::describe(i).map(|(i, d)| (i, Statement::Describe(d))),
        _ => error::alternatives(
            i,
            &[
                "SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "USE", "TRUNCATE", "CREATE",
                "ALTER", "DROP", "GRANT", "REVOKE", "LIST", "DESCRIBE", "DESC",
            ],
        ),
    }
}

fn create(i: &str) -> PResult<'_, Statement> {
    let (i, ()) = kw("CREATE")(i)?;
    if peek_kw(i, "KEYSPACE") {
        return ddl::create_keyspace(i).map(|(i, s)| (i, Statement::CreateKeyspace(Box::new(s))));
    }
    if peek_kw(i, "TABLE") || peek_kw(i, "COLUMNFAMILY") {
        return ddl::create_table(i).map(|(i, s)| (i, Statement::CreateTable(Box::new(s))));
    }
    if peek_kw(i, "TYPE") {
        return ddl::create_type(i).map(|(i, s)| (i, Statement::CreateType(Box::new(s))));
    }
    if peek_kw(i, "INDEX") || peek_kw(i, "CUSTOM") {
        return ddl_index::create_index(i).map(|(i, s)| (i, Statement::CreateIndex(Box::new(s))));
    }
    if peek_kw(i, "MATERIALIZED") {
        return ddl_index::create_view(i).map(|(i, s)| (i, Statement::CreateView(Box::new(s))));
    }
    if ["OR", "FUNCTION", "AGGREGATE", "TRIGGER"]
        .iter()
        .any(|w| peek_kw(i, w))
    {
        return ddl_function::create(i);
    }
    if peek_kw(i, "ROLE") {
        return auth::create_role(i);
    }
    if peek_kw(i, "USER") {
        return auth::create_user(i);
    }
    error::alternatives(
        i,
        &[
            "KEYSPACE",
            "TABLE",
            "TYPE",
            "INDEX",
            "MATERIALIZED",
            "ROLE",
            "USER",
            "FUNCTION",
            "AGGREGATE",
            "TRIGGER",
        ],
    )
}

fn alter(i: &str) -> PResult<'_, Statement> {
    let (i, ()) = kw("ALTER")(i)?;
    if peek_kw(i, "KEYSPACE") {
        return ddl::alter_keyspace(i).map(|(i, s)| (i, Statement::AlterKeyspace(Box::new(s))));
    }
    if peek_kw(i, "TABLE") || peek_kw(i, "COLUMNFAMILY") {
        return ddl::alter_table(i).map(|(i, s)| (i, Statement::AlterTable(Box::new(s))));
    }
    if peek_kw(i, "TYPE") {
        return ddl::alter_type(i).map(|(i, s)| (i, Statement::AlterType(Box::new(s))));
    }
    if peek_kw(i, "MATERIALIZED") {
        return ddl_index::alter_view(i).map(|(i, s)| (i, Statement::AlterView(Box::new(s))));
    }
    if peek_kw(i, "ROLE") {
        return auth::alter_role(i);
    }
    if peek_kw(i, "USER") {
        return auth::alter_user(i);
    }
    error::alternatives(
        i,
        &["KEYSPACE", "TABLE", "TYPE", "MATERIALIZED", "ROLE", "USER"],
    )
}

/// Keywords of a DROP form and the statement they build.
type DropForm = (&'static [&'static str], fn(ast::DropObject) -> Statement);

fn drop(i: &str) -> PResult<'_, Statement> {
    let (i, ()) = kw("DROP")(i)?;
    let forms: [DropForm; 6] = [
        (&["KEYSPACE"], Statement::DropKeyspace),
        (&["TABLE"], Statement::DropTable),
        (&["COLUMNFAMILY"], Statement::DropTable),
        (&["TYPE"], Statement::DropType),
        (&["INDEX"], Statement::DropIndex),
        (&["MATERIALIZED", "VIEW"], Statement::DropView),
    ];
    for (words, make) in forms {
        if words.first().is_some_and(|w| peek_kw(i, w)) {
            return ddl::drop_object(i, words).map(|(i, d)| (i, make(d)));
        }
    }
    if ["FUNCTION", "AGGREGATE", "TRIGGER"]
        .iter()
        .any(|w| peek_kw(i, w))
    {
        return ddl_function::drop(i);
    }
    if peek_kw(i, "ROLE") || peek_kw(i, "USER") {
        return auth::drop_role_or_user(i);
    }
    error::alternatives(
        i,
        &[
            "KEYSPACE",
            "TABLE",
            "TYPE",
            "INDEX",
            "MATERIALIZED",
            "ROLE",
            "USER",
            "FUNCTION",
            "AGGREGATE",
            "TRIGGER",
        ],
    )
}
