//! Role, user and permission statements, and server-side DESCRIBE.

use super::{Ident, QualifiedName, Term};

/// A role or user name as stored: unquoted identifiers folded to lower case,
/// quoted identifiers and string literals verbatim.
pub type RoleName = String;

/// One option of CREATE/ALTER ROLE.
#[derive(Debug, Clone, PartialEq)]
pub enum RoleOption {
    /// `PASSWORD = 'p'`.
    Password(String),
    /// `HASHED PASSWORD = 'h'`.
    HashedPassword(String),
    /// `SUPERUSER = b`.
    Superuser(bool),
    /// `LOGIN = b`.
    Login(bool),
    /// `OPTIONS = {map}` (custom authenticator options).
    Options(Vec<(Term, Term)>),
    /// `ACCESS TO ALL DATACENTERS`.
    AccessToAllDatacenters,
    /// `ACCESS TO DATACENTERS {'dc1', ...}`.
    AccessToDatacenters(Vec<String>),
}

/// `CREATE ROLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRole {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Role name.
    pub name: RoleName,
    /// `WITH` options joined by AND.
    pub options: Vec<RoleOption>,
}

/// `ALTER ROLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterRole {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// Role name.
    pub name: RoleName,
    /// `WITH` options.
    pub options: Vec<RoleOption>,
}

/// `DROP ROLE` / `DROP USER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropRole {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// Role or user name.
    pub name: RoleName,
}

/// `CREATE USER` (legacy form of CREATE ROLE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateUser {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// User name.
    pub name: RoleName,
    /// `WITH PASSWORD 'p'`.
    pub password: Option<String>,
    /// `SUPERUSER` (true) / `NOSUPERUSER` (false).
    pub superuser: Option<bool>,
}

/// `ALTER USER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterUser {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// User name.
    pub name: RoleName,
    /// `WITH PASSWORD 'p'`.
    pub password: Option<String>,
    /// `SUPERUSER` / `NOSUPERUSER`.
    pub superuser: Option<bool>,
}

/// A permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// CREATE.
    Create,
    /// ALTER.
    Alter,
    /// DROP.
    Drop,
    /// SELECT.
    Select,
    /// MODIFY.
    Modify,
    /// AUTHORIZE.
    Authorize,
    /// DESCRIBE.
    Describe,
    /// EXECUTE.
    Execute,
    /// UNMASK.
    Unmask,
    /// SELECT_MASKED.
    SelectMasked,
}

/// `ALL [PERMISSIONS]` or one permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permissions {
    /// `ALL PERMISSIONS`.
    All,
    /// One permission (`[PERMISSION]` optional).
    One(Permission),
}

/// A resource permissions apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `ALL KEYSPACES`.
    AllKeyspaces,
    /// `KEYSPACE ks`.
    Keyspace(Ident),
    /// `[TABLE] ks.t`.
    Table(QualifiedName),
    /// `ALL ROLES`.
    AllRoles,
    /// `ROLE r`.
    Role(RoleName),
    /// `ALL FUNCTIONS [IN KEYSPACE ks]`.
    AllFunctions(Option<Ident>),
    /// `FUNCTION ks.f(type, ...)`.
    Function {
        /// Function name.
        name: QualifiedName,
        /// Argument types of the overload.
        arg_types: Vec<super::CqlTypeName>,
    },
    /// `ALL MBEANS`.
    AllMbeans,
    /// `MBEAN 'name'` / `MBEANS 'pattern'`.
    Mbean(String),
}

/// GRANT/REVOKE of a permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionChange {
    /// The permission(s).
    pub permissions: Permissions,
    /// The resource.
    pub resource: Resource,
    /// The grantee / revokee.
    pub role: RoleName,
}

/// GRANT/REVOKE of a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    /// The granted role.
    pub role: RoleName,
    /// The role receiving or losing it.
    pub grantee: RoleName,
}

/// `LIST ROLES [OF r] [NORECURSIVE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRoles {
    /// `OF role`.
    pub of: Option<RoleName>,
    /// `NORECURSIVE`.
    pub norecursive: bool,
}

/// `LIST perms [ON resource] [OF role] [NORECURSIVE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPermissions {
    /// The permission(s).
    pub permissions: Permissions,
    /// `ON resource`.
    pub resource: Option<Resource>,
    /// `OF role`.
    pub of: Option<RoleName>,
    /// `NORECURSIVE`.
    pub norecursive: bool,
}

/// What a DESCRIBE statement describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescribeTarget {
    /// `KEYSPACES`.
    Keyspaces,
    /// `[ONLY] KEYSPACE [ks]`.
    Keyspace {
        /// `ONLY`.
        only: bool,
        /// The keyspace; the current one when absent.
        name: Option<Ident>,
    },
    /// `TABLES`.
    Tables,
    /// `TABLE t` / `COLUMNFAMILY t`.
    Table(QualifiedName),
    /// `TYPES`.
    Types,
    /// `TYPE t`.
    Type(QualifiedName),
    /// `FUNCTIONS`.
    Functions,
    /// `FUNCTION f`.
    Function(QualifiedName),
    /// `AGGREGATES`.
    Aggregates,
    /// `AGGREGATE a`.
    Aggregate(QualifiedName),
    /// `[FULL] SCHEMA`.
    Schema {
        /// `FULL`.
        full: bool,
    },
    /// `CLUSTER`.
    Cluster,
    /// `INDEX i`.
    Index(QualifiedName),
    /// `MATERIALIZED VIEW v`.
    MaterializedView(QualifiedName),
    /// A bare name: keyspace, table, view, index, type, function or aggregate.
    Name(QualifiedName),
}

/// `DESCRIBE|DESC target [WITH INTERNALS]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Describe {
    /// The target.
    pub target: DescribeTarget,
    /// `WITH INTERNALS`.
    pub with_internals: bool,
}
