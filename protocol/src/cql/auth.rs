//! Roles, users and permissions: CREATE/ALTER/DROP ROLE and USER, GRANT,
//! REVOKE, LIST ROLES/USERS/PERMISSIONS.

use super::ast::{
    AlterRole, AlterUser, CreateRole, CreateUser, DropRole, ListPermissions, ListRoles, Permission,
    PermissionChange, Permissions, Resource, RoleChange, RoleName, RoleOption, Statement, Term,
};
use super::ddl::{if_exists, if_not_exists};
use super::error::{PResult, fail};
use super::expr::term;
use super::lexical::{ident, kw, kws, opt_kw, opt_kws, qualified_name, string_lit, sym, ws};

/// A role or user name: identifier (folded), quoted name or string literal.
pub(crate) fn role_name(i: &str) -> PResult<'_, RoleName> {
    let (i, ()) = ws(i)?;
    if i.starts_with('\'') || i.starts_with("$$") {
        return string_lit(i);
    }
    ident(i).map(|(i, n)| (i, n.0))
}

fn bool_value(i: &str) -> PResult<'_, bool> {
    let (i, ()) = ws(i)?;
    match term(i, 0) {
        Ok((rest, Term::Bool(b))) => Ok((rest, b)),
        _ => fail(i, "BOOLEAN"),
    }
}

fn role_option(i: &str) -> PResult<'_, RoleOption> {
    if let (i, true) = opt_kw(i, "PASSWORD")? {
        let (i, ()) = sym("=")(i)?;
        return string_lit(i).map(|(i, p)| (i, RoleOption::Password(p)));
    }
    if let (i, true) = opt_kws(i, &["HASHED", "PASSWORD"])? {
        let (i, ()) = sym("=")(i)?;
        return string_lit(i).map(|(i, p)| (i, RoleOption::HashedPassword(p)));
    }
    if let (i, true) = opt_kw(i, "SUPERUSER")? {
        let (i, ()) = sym("=")(i)?;
        return bool_value(i).map(|(i, b)| (i, RoleOption::Superuser(b)));
    }
    if let (i, true) = opt_kw(i, "LOGIN")? {
        let (i, ()) = sym("=")(i)?;
        return bool_value(i).map(|(i, b)| (i, RoleOption::Login(b)));
    }
    if let (i, true) = opt_kw(i, "OPTIONS")? {
        let (i, ()) = sym("=")(i)?;
        let (i, ()) = ws(i)?;
        return match term(i, 0)? {
            (rest, Term::Map(entries)) => Ok((rest, RoleOption::Options(entries))),
            (rest, Term::Set(items)) if items.is_empty() => {
                Ok((rest, RoleOption::Options(Vec::new())))
            }
            _ => fail(i, "{"),
        };
    }
    let Ok((i, ())) = kws(i, &["ACCESS", "TO"]) else {
        let options = [
            "PASSWORD",
            "HASHED",
            "SUPERUSER",
            "LOGIN",
            "OPTIONS",
            "ACCESS",
        ];
        return super::error::alternatives(i, &options);
    };
    if let (i, true) = opt_kws(i, &["ALL", "DATACENTERS"])? {
        return Ok((i, RoleOption::AccessToAllDatacenters));
    }
    let (i, ()) = kw("DATACENTERS")(i)?;
    let (i, ()) = sym("{")(i)?;
    let (i, dcs) = super::expr::comma_list(i, string_lit)?;
    let (i, ()) = sym("}")(i)?;
    Ok((i, RoleOption::AccessToDatacenters(dcs)))
}

fn role_options(i: &str) -> PResult<'_, Vec<RoleOption>> {
    let (i, with) = opt_kw(i, "WITH")?;
    if !with {
        return Ok((i, Vec::new()));
    }
    let (mut i, first) = role_option(i)?;
    let mut options = vec![first];
    while let (rest, true) = opt_kw(i, "AND")? {
        let (rest, o) = role_option(rest)?;
        options.push(o);
        i = rest;
    }
    Ok((i, options))
}

/// `CREATE ROLE` after `CREATE`.
pub(crate) fn create_role(i: &str) -> PResult<'_, Statement> {
    let (i, ()) = kw("ROLE")(i)?;
    let (i, if_not_exists) = if_not_exists(i)?;
    let (i, name) = role_name(i)?;
    let (i, options) = role_options(i)?;
    let role = CreateRole {
        if_not_exists,
        name,
        options,
    };
    Ok((i, Statement::CreateRole(Box::new(role))))
}

/// `ALTER ROLE` after `ALTER`.
pub(crate) fn alter_role(i: &str) -> PResult<'_, Statement> {
    let (i, ()) = kw("ROLE")(i)?;
    let (i, if_exists) = if_exists(i)?;
    let (i, name) = role_name(i)?;
    let (i, options) = role_options(i)?;
    let role = AlterRole {
        if_exists,
        name,
        options,
    };
    Ok((i, Statement::AlterRole(Box::new(role))))
}

/// `DROP ROLE|USER [IF EXISTS] name` after `DROP`.
pub(crate) fn drop_role_or_user(i: &str) -> PResult<'_, Statement> {
    let (i, user) = if let (i, true) = opt_kw(i, "USER")? {
        (i, true)
    } else {
        let (i, ()) = kw("ROLE")(i)?;
        (i, false)
    };
    let (i, if_exists) = if_exists(i)?;
    let (i, name) = role_name(i)?;
    let drop = DropRole { if_exists, name };
    Ok((
        i,
        if user {
            Statement::DropUser(drop)
        } else {
            Statement::DropRole(drop)
        },
    ))
}

/// `[WITH PASSWORD 'p'] [SUPERUSER|NOSUPERUSER]` of the USER statements.
fn user_options(i: &str) -> PResult<'_, (Option<String>, Option<bool>)> {
    let (i, password) = match opt_kws(i, &["WITH", "PASSWORD"])? {
        (i, true) => string_lit(i).map(|(i, p)| (i, Some(p)))?,
        (i, false) => (i, None),
    };
    let (i, superuser) = if let (i, true) = opt_kw(i, "SUPERUSER")? {
        (i, Some(true))
    } else if let (i, true) = opt_kw(i, "NOSUPERUSER")? {
        (i, Some(false))
    } else {
        (i, None)
    };
    Ok((i, (password, superuser)))
}

/// `CREATE USER` after `CREATE`.
pub(crate) fn create_user(i: &str) -> PResult<'_, Statement> {
    let (i, ()) = kw("USER")(i)?;
    let (i, if_not_exists) = if_not_exists(i)?;
    let (i, name) = role_name(i)?;
    let (i, (password, superuser)) = user_options(i)?;
    let user = CreateUser {
        if_not_exists,
        name,
        password,
        superuser,
    };
    Ok((i, Statement::CreateUser(Box::new(user))))
}

/// `ALTER USER` after `ALTER`.
pub(crate) fn alter_user(i: &str) -> PResult<'_, Statement> {
    let (i, ()) = kw("USER")(i)?;
    let (i, if_exists) = if_exists(i)?;
    let (i, name) = role_name(i)?;
    let (i, (password, superuser)) = user_options(i)?;
    let user = AlterUser {
        if_exists,
        name,
        password,
        superuser,
    };
    Ok((i, Statement::AlterUser(Box::new(user))))
}

const PERMISSIONS: &[(&str, Permission)] = &[
    ("CREATE", Permission::Create),
    ("ALTER", Permission::Alter),
    ("DROP", Permission::Drop),
    ("SELECT_MASKED", Permission::SelectMasked),
    ("SELECT", Permission::Select),
    ("MODIFY", Permission::Modify),
    ("AUTHORIZE", Permission::Authorize),
    ("DESCRIBE", Permission::Describe),
    ("EXECUTE", Permission::Execute),
    ("UNMASK", Permission::Unmask),
];

/// The keyword of a permission.
pub(crate) fn permission_keyword(p: Permission) -> &'static str {
    PERMISSIONS
        .iter()
        .find(|(_, q)| *q == p)
        .map_or("ALL", |(w, _)| *w)
}

fn permissions(i: &str) -> PResult<'_, Permissions> {
    if let (i, true) = opt_kw(i, "ALL")? {
        let (i, _) = opt_kw(i, "PERMISSIONS")?;
        return Ok((i, Permissions::All));
    }
    for (word, p) in PERMISSIONS {
        if let (i, true) = opt_kw(i, word)? {
            let (i, _) = opt_kw(i, "PERMISSION")?;
            return Ok((i, Permissions::One(*p)));
        }
    }
    let mut names: Vec<&'static str> = PERMISSIONS.iter().map(|(w, _)| *w).collect();
    names.push("ALL");
    super::error::alternatives(i, &names)
}

fn resource(i: &str) -> PResult<'_, Resource> {
    if let (i, true) = opt_kws(i, &["ALL", "KEYSPACES"])? {
        return Ok((i, Resource::AllKeyspaces));
    }
    if let (i, true) = opt_kws(i, &["ALL", "ROLES"])? {
        return Ok((i, Resource::AllRoles));
    }
    if let (i, true) = opt_kws(i, &["ALL", "MBEANS"])? {
        return Ok((i, Resource::AllMbeans));
    }
    if let (i, true) = opt_kws(i, &["ALL", "FUNCTIONS"])? {
        let (i, ks) = match opt_kws(i, &["IN", "KEYSPACE"])? {
            (i, true) => ident(i).map(|(i, k)| (i, Some(k)))?,
            (i, false) => (i, None),
        };
        return Ok((i, Resource::AllFunctions(ks)));
    }
    if let (i, true) = opt_kw(i, "KEYSPACE")? {
        return ident(i).map(|(i, k)| (i, Resource::Keyspace(k)));
    }
    if let (i, true) = opt_kw(i, "FUNCTION")? {
        let (i, name) = super::expr::function_name(i)?;
        let (i, arg_types) = super::expr::paren_list(i, |i| super::types::cql_type(i, 0))?;
        return Ok((i, Resource::Function { name, arg_types }));
    }
    if let (i, true) = opt_kw(i, "ROLE")? {
        return role_name(i).map(|(i, r)| (i, Resource::Role(r)));
    }
    if let (i, true) = opt_kw(i, "MBEAN")? {
        return string_lit(i).map(|(i, m)| (i, Resource::Mbean(m)));
    }
    if let (i, true) = opt_kw(i, "MBEANS")? {
        return string_lit(i).map(|(i, m)| (i, Resource::Mbean(m)));
    }
    let (i, _) = opt_kw(i, "TABLE")?;
    qualified_name(i).map(|(i, t)| (i, Resource::Table(t)))
}

/// `GRANT ...` / `REVOKE ...` (keyword included).
pub(crate) fn grant_or_revoke(i: &str) -> PResult<'_, Statement> {
    let (i, grant) = if let (i, true) = opt_kw(i, "GRANT")? {
        (i, true)
    } else {
        let (i, ()) = kw("REVOKE")(i)?;
        (i, false)
    };
    let direction = if grant { "TO" } else { "FROM" };
    if let Ok((rest, perms)) = permissions(i)
        && let Ok((rest, ())) = kw("ON")(rest)
    {
        let (rest, resource) = resource(rest)?;
        let (rest, ()) = kw(direction)(rest)?;
        let (rest, role) = role_name(rest)?;
        let change = Box::new(PermissionChange {
            permissions: perms,
            resource,
            role,
        });
        let stmt = if grant {
            Statement::GrantPermission(change)
        } else {
            Statement::RevokePermission(change)
        };
        return Ok((rest, stmt));
    }
    let (i, role) = role_name(i)?;
    let (i, ()) = kw(direction)(i)?;
    let (i, grantee) = role_name(i)?;
    let change = RoleChange { role, grantee };
    let stmt = if grant {
        Statement::GrantRole(change)
    } else {
        Statement::RevokeRole(change)
    };
    Ok((i, stmt))
}

/// `LIST ROLES | USERS | permissions ...` (keyword included).
pub(crate) fn list(i: &str) -> PResult<'_, Statement> {
    let (i, ()) = kw("LIST")(i)?;
    if let (i, true) = opt_kw(i, "USERS")? {
        return Ok((i, Statement::ListUsers));
    }
    let (i, roles) = opt_kw(i, "ROLES")?;
    let (i, perms) = if roles {
        (i, None)
    } else {
        permissions(i).map(|(i, p)| (i, Some(p)))?
    };
    let (i, resource) = match (perms, opt_kw(i, "ON")?) {
        (Some(_), (i, true)) => resource(i).map(|(i, r)| (i, Some(r)))?,
        (_, _) => (i, None),
    };
    let (i, of) = match opt_kw(i, "OF")? {
        (i, true) => role_name(i).map(|(i, r)| (i, Some(r)))?,
        (i, false) => (i, None),
    };
    let (i, norecursive) = opt_kw(i, "NORECURSIVE")?;
    let stmt = match perms {
        None => Statement::ListRoles(ListRoles { of, norecursive }),
        Some(permissions) => Statement::ListPermissions(Box::new(ListPermissions {
            permissions,
            resource,
            of,
            norecursive,
        })),
    };
    if roles || perms.is_some() {
        return Ok((i, stmt));
    }
    super::error::alternatives(i, &["ROLES", "USERS"])
}
