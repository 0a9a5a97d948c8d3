//! The typed AST of CQL statements. It holds no parser types; every node
//! prints back as valid CQL through `Display` (module `display`), such that
//! `parse(&stmt.to_string()) == stmt`.
//!
//! Identifiers are stored as Cassandra stores them: unquoted names folded to
//! lower case, quoted names verbatim.

mod auth;
mod ddl;
mod dml;
mod expr;
mod function;

pub use auth::*;
pub use ddl::*;
pub use dml::*;
pub use expr::*;
pub use function::*;

/// A CQL identifier (keyspace, table, column, type, field, index, function name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(pub String);

impl Ident {
    /// An identifier from its stored (already folded) form.
    pub fn new(name: impl Into<String>) -> Self {
        Ident(name.into())
    }

    /// The stored name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A possibly keyspace-qualified name: `ks.t` or `t`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    /// The keyspace, when given.
    pub keyspace: Option<Ident>,
    /// The object name.
    pub name: Ident,
}

impl QualifiedName {
    /// An unqualified name.
    pub fn bare(name: impl Into<String>) -> Self {
        QualifiedName {
            keyspace: None,
            name: Ident::new(name),
        }
    }
}

/// One CQL statement.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Statement {
    /// `USE ks`.
    Use(Ident),
    /// `SELECT ...`.
    Select(Box<Select>),
    /// `INSERT ...`.
    Insert(Box<Insert>),
    /// `UPDATE ...`.
    Update(Box<Update>),
    /// `DELETE ...`.
    Delete(Box<Delete>),
    /// `BEGIN ... BATCH ... APPLY BATCH`.
    Batch(Box<Batch>),
    /// `TRUNCATE [TABLE] t`.
    Truncate(QualifiedName),
    /// `CREATE KEYSPACE`.
    CreateKeyspace(Box<CreateKeyspace>),
    /// `ALTER KEYSPACE`.
    AlterKeyspace(Box<AlterKeyspace>),
    /// `DROP KEYSPACE`.
    DropKeyspace(DropObject),
    /// `CREATE TABLE` / `CREATE COLUMNFAMILY`.
    CreateTable(Box<CreateTable>),
    /// `ALTER TABLE`.
    AlterTable(Box<AlterTable>),
    /// `DROP TABLE`.
    DropTable(DropObject),
    /// `CREATE TYPE`.
    CreateType(Box<CreateType>),
    /// `ALTER TYPE`.
    AlterType(Box<AlterType>),
    /// `DROP TYPE`.
    DropType(DropObject),
    /// `CREATE [CUSTOM] INDEX`.
    CreateIndex(Box<CreateIndex>),
    /// `DROP INDEX`.
    DropIndex(DropObject),
    /// `CREATE MATERIALIZED VIEW`.
    CreateView(Box<CreateView>),
    /// `ALTER MATERIALIZED VIEW ... WITH`.
    AlterView(Box<AlterView>),
    /// `DROP MATERIALIZED VIEW`.
    DropView(DropObject),
    /// `CREATE [OR REPLACE] FUNCTION`.
    CreateFunction(Box<CreateFunction>),
    /// `DROP FUNCTION`.
    DropFunction(DropFunction),
    /// `CREATE [OR REPLACE] AGGREGATE`.
    CreateAggregate(Box<CreateAggregate>),
    /// `DROP AGGREGATE`.
    DropAggregate(DropFunction),
    /// `CREATE TRIGGER`.
    CreateTrigger(Box<CreateTrigger>),
    /// `DROP TRIGGER`.
    DropTrigger(DropTrigger),
    /// `CREATE ROLE`.
    CreateRole(Box<CreateRole>),
    /// `ALTER ROLE`.
    AlterRole(Box<AlterRole>),
    /// `DROP ROLE`.
    DropRole(DropRole),
    /// `CREATE USER`.
    CreateUser(Box<CreateUser>),
    /// `ALTER USER`.
    AlterUser(Box<AlterUser>),
    /// `DROP USER`.
    DropUser(DropRole),
    /// `GRANT permission ON resource TO role`.
    GrantPermission(Box<PermissionChange>),
    /// `REVOKE permission ON resource FROM role`.
    RevokePermission(Box<PermissionChange>),
    /// `GRANT role TO role`.
    GrantRole(RoleChange),
    /// `REVOKE role FROM role`.
    RevokeRole(RoleChange),
    /// `LIST ROLES`.
    ListRoles(ListRoles),
    /// `LIST USERS`.
    ListUsers,
    /// `LIST permissions`.
    ListPermissions(Box<ListPermissions>),
    /// `DESCRIBE` / `DESC`.
    Describe(Describe),
}

/// `DROP <object> [IF EXISTS] name`, shared by the schema drop statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropObject {
    /// `IF EXISTS` given.
    pub if_exists: bool,
    /// The object (for keyspaces: the keyspace name in `name`).
    pub name: QualifiedName,
}
