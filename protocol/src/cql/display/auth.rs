//! `Display` for role, user and permission statements and DESCRIBE.

use std::fmt::{self, Display, Formatter};

use super::{Join, Quoted, if_clause};
use crate::cql::ast::{Describe, DescribeTarget, Permissions, Resource, RoleOption, Statement};
use crate::cql::auth::permission_keyword;

/// Words that DESCRIBE reads as keywords: a bare name spelled like one is quoted.
const DESCRIBE_WORDS: &[&str] = &[
    "keyspaces",
    "tables",
    "columnfamilies",
    "types",
    "functions",
    "aggregates",
    "cluster",
    "only",
    "type",
    "function",
    "aggregate",
];

impl Display for RoleOption {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            RoleOption::Password(p) => write!(f, "PASSWORD = {}", Quoted(p)),
            RoleOption::HashedPassword(p) => write!(f, "HASHED PASSWORD = {}", Quoted(p)),
            RoleOption::Superuser(b) => write!(f, "SUPERUSER = {b}"),
            RoleOption::Login(b) => write!(f, "LOGIN = {b}"),
            RoleOption::Options(entries) => {
                f.write_str("OPTIONS = {")?;
                for (n, (k, v)) in entries.iter().enumerate() {
                    if n > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            RoleOption::AccessToAllDatacenters => f.write_str("ACCESS TO ALL DATACENTERS"),
            RoleOption::AccessToDatacenters(dcs) => {
                let quoted: Vec<Quoted<'_>> = dcs.iter().map(|d| Quoted(d)).collect();
                write!(f, "ACCESS TO DATACENTERS {{{}}}", Join(&quoted, ", "))
            }
        }
    }
}

fn role_options(f: &mut Formatter<'_>, options: &[RoleOption]) -> fmt::Result {
    if options.is_empty() {
        return Ok(());
    }
    write!(f, " WITH {}", Join(options, " AND "))
}

fn user_options(
    f: &mut Formatter<'_>,
    password: Option<&String>,
    superuser: Option<bool>,
) -> fmt::Result {
    if let Some(p) = password {
        write!(f, " WITH PASSWORD {}", Quoted(p))?;
    }
    match superuser {
        Some(true) => f.write_str(" SUPERUSER"),
        Some(false) => f.write_str(" NOSUPERUSER"),
        None => Ok(()),
    }
}

impl Display for Permissions {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Permissions::All => f.write_str("ALL PERMISSIONS"),
            Permissions::One(p) => f.write_str(permission_keyword(*p)),
        }
    }
}

impl Display for Resource {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Resource::AllKeyspaces => f.write_str("ALL KEYSPACES"),
            Resource::Keyspace(ks) => write!(f, "KEYSPACE {ks}"),
            Resource::Table(t) => write!(f, "TABLE {t}"),
            Resource::AllRoles => f.write_str("ALL ROLES"),
            Resource::Role(r) => write!(f, "ROLE {}", Quoted(r)),
            Resource::AllFunctions(None) => f.write_str("ALL FUNCTIONS"),
            Resource::AllFunctions(Some(ks)) => write!(f, "ALL FUNCTIONS IN KEYSPACE {ks}"),
            Resource::Function { name, arg_types } => {
                f.write_str("FUNCTION ")?;
                if name.keyspace.is_none() && name.name.as_str() == "token" {
                    f.write_str("token")?;
                } else {
                    write!(f, "{name}")?;
                }
                write!(f, "({})", Join(arg_types, ", "))
            }
            Resource::AllMbeans => f.write_str("ALL MBEANS"),
            Resource::Mbean(m) => write!(f, "MBEAN {}", Quoted(m)),
        }
    }
}

/// Role, user, permission and DESCRIBE statements.
pub(crate) fn fmt_auth(stmt: &Statement, f: &mut Formatter<'_>) -> fmt::Result {
    match stmt {
        Statement::CreateRole(r) => {
            let ine = if_clause(r.if_not_exists, "IF NOT EXISTS ");
            write!(f, "CREATE ROLE {ine}{}", Quoted(&r.name))?;
            role_options(f, &r.options)
        }
        Statement::AlterRole(r) => {
            let ie = if_clause(r.if_exists, "IF EXISTS ");
            write!(f, "ALTER ROLE {ie}{}", Quoted(&r.name))?;
            role_options(f, &r.options)
        }
        Statement::DropRole(r) => {
            let ie = if_clause(r.if_exists, "IF EXISTS ");
            write!(f, "DROP ROLE {ie}{}", Quoted(&r.name))
        }
        Statement::CreateUser(u) => {
            let ine = if_clause(u.if_not_exists, "IF NOT EXISTS ");
            write!(f, "CREATE USER {ine}{}", Quoted(&u.name))?;
            user_options(f, u.password.as_ref(), u.superuser)
        }
        Statement::AlterUser(u) => {
            let ie = if_clause(u.if_exists, "IF EXISTS ");
            write!(f, "ALTER USER {ie}{}", Quoted(&u.name))?;
            user_options(f, u.password.as_ref(), u.superuser)
        }
        Statement::DropUser(u) => {
            let ie = if_clause(u.if_exists, "IF EXISTS ");
            write!(f, "DROP USER {ie}{}", Quoted(&u.name))
        }
        Statement::GrantPermission(p) => write!(
            f,
            "GRANT {} ON {} TO {}",
            p.permissions,
            p.resource,
            Quoted(&p.role)
        ),
        Statement::RevokePermission(p) => write!(
            f,
            "REVOKE {} ON {} FROM {}",
            p.permissions,
            p.resource,
            Quoted(&p.role)
        ),
        Statement::GrantRole(r) => {
            write!(f, "GRANT {} TO {}", Quoted(&r.role), Quoted(&r.grantee))
        }
        Statement::RevokeRole(r) => {
            write!(f, "REVOKE {} FROM {}", Quoted(&r.role), Quoted(&r.grantee))
        }
        Statement::ListRoles(l) => {
            f.write_str("LIST ROLES")?;
            list_tail(f, l.of.as_ref(), l.norecursive)
        }
        Statement::ListUsers => f.write_str("LIST USERS"),
        Statement::ListPermissions(l) => {
            write!(f, "LIST {}", l.permissions)?;
            if let Some(r) = &l.resource {
                write!(f, " ON {r}")?;
            }
            list_tail(f, l.of.as_ref(), l.norecursive)
        }
        Statement::Describe(d) => write!(f, "{d}"),
        _ => Err(fmt::Error),
    }
}

fn list_tail(f: &mut Formatter<'_>, of: Option<&String>, norecursive: bool) -> fmt::Result {
    if let Some(r) = of {
        write!(f, " OF {}", Quoted(r))?;
    }
    if norecursive {
        f.write_str(" NORECURSIVE")?;
    }
    Ok(())
}

impl Display for DescribeTarget {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            DescribeTarget::Keyspaces => f.write_str("KEYSPACES"),
            DescribeTarget::Keyspace { only, name } => {
                f.write_str(if *only { "ONLY KEYSPACE" } else { "KEYSPACE" })?;
                if let Some(n) = name {
                    write!(f, " {n}")?;
                }
                Ok(())
            }
            DescribeTarget::Tables => f.write_str("TABLES"),
            DescribeTarget::Table(n) => write!(f, "TABLE {n}"),
            DescribeTarget::Types => f.write_str("TYPES"),
            DescribeTarget::Type(n) => write!(f, "TYPE {n}"),
            DescribeTarget::Functions => f.write_str("FUNCTIONS"),
            DescribeTarget::Function(n) => write!(f, "FUNCTION {n}"),
            DescribeTarget::Aggregates => f.write_str("AGGREGATES"),
            DescribeTarget::Aggregate(n) => write!(f, "AGGREGATE {n}"),
            DescribeTarget::Schema { full } => {
                f.write_str(if *full { "FULL SCHEMA" } else { "SCHEMA" })
            }
            DescribeTarget::Cluster => f.write_str("CLUSTER"),
            DescribeTarget::Index(n) => write!(f, "INDEX {n}"),
            DescribeTarget::MaterializedView(n) => write!(f, "MATERIALIZED VIEW {n}"),
            DescribeTarget::Name(n) => {
                let first = n.keyspace.as_ref().unwrap_or(&n.name).as_str();
                if DESCRIBE_WORDS.contains(&first) {
                    f.write_str("\"")?;
                    f.write_str(&first.replace('"', "\"\""))?;
                    f.write_str("\"")?;
                    if n.keyspace.is_some() {
                        write!(f, ".{}", n.name)?;
                    }
                    return Ok(());
                }
                write!(f, "{n}")
            }
        }
    }
}

impl Display for Describe {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "DESCRIBE {}", self.target)?;
        if self.with_internals {
            f.write_str(" WITH INTERNALS")?;
        }
        Ok(())
    }
}
