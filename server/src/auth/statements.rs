//! Role statements, run as Cassandra's `CassandraRoleManager` runs them:
//! CREATE/ALTER/DROP ROLE, their legacy USER forms, GRANT/REVOKE of roles,
//! LIST ROLES and LIST USERS; permission statements are answered with a
//! clear InvalidRequest (no `CassandraAuthorizer`).
//!
//! Order of checks, as Cassandra's: the caller must be logged in (with
//! `AllowAllAuthenticator` every client is anonymous, so every role
//! statement is Unauthorized, exactly as in Cassandra); then authorization
//! (managing roles takes a superuser, with `CassandraAuthorizer`'s message
//! for a role that holds no grant); then validation against the roles.
//! Passwords are hashed before the store's writer lock is taken.

use std::collections::BTreeSet;

use sibyl_protocol::cql::ast::{ListRoles, RoleChange, RoleOption, Statement};
use sibyl_protocol::response::ResultBody;

use super::store::{Role, Roles};
use super::{Auth, hash, views};
use crate::error::RequestError;

/// The role manager named in "doesn't support" errors.
const ROLE_MANAGER: &str = "org.apache.cassandra.auth.CassandraRoleManager";
/// The resource of every role.
const ALL_ROLES: &str = "<all roles>";

/// True for the statements [`execute`] serves.
pub fn is_auth_statement(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::CreateRole(_)
            | Statement::AlterRole(_)
            | Statement::DropRole(_)
            | Statement::CreateUser(_)
            | Statement::AlterUser(_)
            | Statement::DropUser(_)
            | Statement::GrantRole(_)
            | Statement::RevokeRole(_)
            | Statement::ListRoles(_)
            | Statement::ListUsers
            | Statement::GrantPermission(_)
            | Statement::RevokePermission(_)
            | Statement::ListPermissions(_)
    )
}

/// Runs a role statement for `user` (`None`: an anonymous client); `None`
/// when `statement` is not one.
pub fn execute(
    auth: &Auth,
    user: Option<&str>,
    statement: &Statement,
) -> Option<Result<ResultBody, RequestError>> {
    let result = match statement {
        Statement::CreateRole(c) => parse_options(auth, &c.options)
            .and_then(|o| create(auth, user, &c.name, c.if_not_exists, &o)),
        Statement::AlterRole(a) => parse_options(auth, &a.options)
            .and_then(|o| alter(auth, user, &a.name, a.if_exists, &o)),
        Statement::DropRole(d) | Statement::DropUser(d) => drop(auth, user, &d.name, d.if_exists),
        Statement::CreateUser(c) => {
            legacy_options(auth, c.password.as_ref(), c.superuser, Some(true))
                .and_then(|o| create(auth, user, &c.name, c.if_not_exists, &o))
        }
        Statement::AlterUser(a) => legacy_options(auth, a.password.as_ref(), a.superuser, None)
            .and_then(|o| alter(auth, user, &a.name, a.if_exists, &o)),
        Statement::GrantRole(change) => grant(auth, user, change, true),
        Statement::RevokeRole(change) => grant(auth, user, change, false),
        Statement::ListRoles(list) => list_roles(auth, user, list, false),
        Statement::ListUsers => list_roles(
            auth,
            user,
            &ListRoles {
                of: None,
                norecursive: false,
            },
            true,
        ),
        Statement::GrantPermission(_) => unsupported_permissions(user, "GRANT"),
        Statement::RevokePermission(_) => unsupported_permissions(user, "REVOKE"),
        Statement::ListPermissions(_) => unsupported_permissions(user, "LIST PERMISSIONS"),
        _ => return None,
    };
    Some(result)
}

/// Role options after validation; a password is still plain here.
#[derive(Debug, Default)]
struct Options {
    password: Option<String>,
    hashed_password: Option<String>,
    superuser: Option<bool>,
    login: Option<bool>,
}

impl Options {
    fn is_empty(&self) -> bool {
        self.password.is_none()
            && self.hashed_password.is_none()
            && self.superuser.is_none()
            && self.login.is_none()
    }

    /// The option names present other than the password ones (what a
    /// non-superuser may not change on its own role).
    fn restricted(&self) -> Option<&'static str> {
        if self.login.is_some() {
            Some("LOGIN")
        } else if self.superuser.is_some() {
            Some("SUPERUSER")
        } else {
            None
        }
    }

    /// The hash to store, computed from a plain password or taken as given.
    fn salted_hash(&self, auth: &Auth) -> Result<Option<String>, RequestError> {
        match (&self.password, &self.hashed_password) {
            (Some(plain), _) => hash::hash_password(plain, auth.settings().bcrypt_cost)
                .map(Some)
                .map_err(|e| RequestError::Server(e.to_string())),
            (None, hashed) => Ok(hashed.clone()),
        }
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, name: &str) -> Result<(), RequestError> {
    if slot.is_some() {
        return Err(RequestError::Syntax(format!(
            "Multiple definition for property {name}"
        )));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_options(auth: &Auth, list: &[RoleOption]) -> Result<Options, RequestError> {
    let mut options = Options::default();
    let passwords = auth.settings().password_required;
    let unsupported =
        |name: &str| RequestError::invalid(format!("{ROLE_MANAGER} doesn't support {name}"));
    for option in list {
        match option {
            RoleOption::Password(_) | RoleOption::HashedPassword(_) if !passwords => {
                return Err(unsupported("PASSWORD"));
            }
            RoleOption::Password(p) => set_once(&mut options.password, p.clone(), "PASSWORD")?,
            RoleOption::HashedPassword(h) => {
                if !hash::is_bcrypt_hash(h) {
                    return Err(RequestError::invalid(
                        "Invalid hashed password value. Please use jBcrypt.",
                    ));
                }
                set_once(&mut options.hashed_password, h.clone(), "HASHED_PASSWORD")?;
            }
            RoleOption::Superuser(b) => set_once(&mut options.superuser, *b, "SUPERUSER")?,
            RoleOption::Login(b) => set_once(&mut options.login, *b, "LOGIN")?,
            RoleOption::Options(_) => return Err(unsupported("OPTIONS")),
            // Network authorization is not implemented: every role reaches
            // every data center, as with AllowAllNetworkAuthorizer.
            RoleOption::AccessToAllDatacenters | RoleOption::AccessToDatacenters(_) => {}
        }
    }
    if options.password.is_some() && options.hashed_password.is_some() {
        return Err(RequestError::invalid(
            "Options 'password' and 'hashed password' are mutually exclusive",
        ));
    }
    Ok(options)
}

fn legacy_options(
    auth: &Auth,
    password: Option<&String>,
    superuser: Option<bool>,
    login: Option<bool>,
) -> Result<Options, RequestError> {
    let mut list = Vec::new();
    list.extend(password.map(|p| RoleOption::Password(p.clone())));
    list.extend(superuser.map(RoleOption::Superuser));
    list.extend(login.map(RoleOption::Login));
    parse_options(auth, &list)
}

/// The logged-in role, or Cassandra's error for an anonymous client.
fn caller(user: Option<&str>) -> Result<&str, RequestError> {
    user.ok_or_else(|| {
        RequestError::Unauthorized(
            "You have to be logged in and not anonymous to perform this request".to_owned(),
        )
    })
}

/// Superusers hold every permission; no other role holds any (no grants).
fn require(
    roles: &Roles,
    user: &str,
    permission: &str,
    resource: &str,
) -> Result<(), RequestError> {
    if roles.is_super(user) {
        return Ok(());
    }
    Err(RequestError::Unauthorized(format!(
        "User {user} has no {permission} permission on {resource} or any of its parents"
    )))
}

fn role_resource(name: &str) -> String {
    format!("<role {name}>")
}

fn missing(name: &str) -> RequestError {
    RequestError::invalid(format!("{name} doesn't exist"))
}

fn create(
    auth: &Auth,
    user: Option<&str>,
    name: &str,
    if_not_exists: bool,
    options: &Options,
) -> Result<ResultBody, RequestError> {
    let user = caller(user)?;
    require(&auth.roles(), user, "CREATE", ALL_ROLES)?;
    if name.is_empty() {
        return Err(RequestError::invalid("Role name can't be an empty string"));
    }
    if auth.roles().get(name).is_some() && if_not_exists {
        return Ok(ResultBody::Void);
    }
    let salted_hash = options.salted_hash(auth)?;
    auth.store().update(|roles| {
        if roles.get(name).is_some() {
            if if_not_exists {
                return Ok((None, ()));
            }
            return Err(RequestError::invalid(format!("{name} already exists")));
        }
        let mut next = roles.clone();
        next.insert(
            name,
            Role {
                can_login: options.login.unwrap_or(false),
                is_superuser: options.superuser.unwrap_or(false),
                member_of: BTreeSet::new(),
                salted_hash,
            },
        );
        Ok((Some(next), ()))
    })?;
    Ok(ResultBody::Void)
}

fn authorize_alter(
    roles: &Roles,
    user: &str,
    name: &str,
    options: &Options,
) -> Result<(), RequestError> {
    let is_super = roles.is_super(user);
    if options.superuser.is_some() && roles.granted(user).contains(name) {
        return Err(RequestError::Unauthorized(
            "You aren't allowed to alter your own superuser status or that of a role granted to you"
                .to_owned(),
        ));
    }
    if options.superuser.is_some() && !is_super {
        return Err(RequestError::Unauthorized(
            "Only superusers are allowed to alter superuser status".to_owned(),
        ));
    }
    if is_super {
        return Ok(());
    }
    if user == name {
        return match options.restricted() {
            Some(option) => Err(RequestError::Unauthorized(format!(
                "You aren't allowed to alter {option}"
            ))),
            None => Ok(()),
        };
    }
    require(roles, user, "ALTER", &role_resource(name))
}

fn alter(
    auth: &Auth,
    user: Option<&str>,
    name: &str,
    if_exists: bool,
    options: &Options,
) -> Result<ResultBody, RequestError> {
    let user = caller(user)?;
    authorize_alter(&auth.roles(), user, name, options)?;
    if options.is_empty() {
        return Err(RequestError::invalid("ALTER [ROLE|USER] can't be empty"));
    }
    if auth.roles().get(name).is_none() {
        return if if_exists {
            Ok(ResultBody::Void)
        } else {
            Err(missing(name))
        };
    }
    let salted_hash = options.salted_hash(auth)?;
    auth.store().update(|roles| {
        let mut next = roles.clone();
        let Some(role) = next.get_mut(name) else {
            return if if_exists {
                Ok((None, ()))
            } else {
                Err(missing(name))
            };
        };
        if let Some(login) = options.login {
            role.can_login = login;
        }
        if let Some(superuser) = options.superuser {
            role.is_superuser = superuser;
        }
        if salted_hash.is_some() {
            role.salted_hash = salted_hash;
        }
        Ok((Some(next), ()))
    })?;
    Ok(ResultBody::Void)
}

fn drop(
    auth: &Auth,
    user: Option<&str>,
    name: &str,
    if_exists: bool,
) -> Result<ResultBody, RequestError> {
    let user = caller(user)?;
    require(&auth.roles(), user, "DROP", &role_resource(name))?;
    if user == name {
        return Err(RequestError::invalid(
            "Cannot DROP primary role for current login",
        ));
    }
    auth.store().update(|roles| {
        if roles.get(name).is_none() {
            return if if_exists {
                Ok((None, ()))
            } else {
                Err(missing(name))
            };
        }
        let mut next = roles.clone();
        next.remove(name);
        Ok((Some(next), ()))
    })?;
    Ok(ResultBody::Void)
}

fn grant(
    auth: &Auth,
    user: Option<&str>,
    change: &RoleChange,
    granting: bool,
) -> Result<ResultBody, RequestError> {
    let user = caller(user)?;
    let (role, grantee) = (change.role.as_str(), change.grantee.as_str());
    require(&auth.roles(), user, "AUTHORIZE", &role_resource(role))?;
    auth.store().update(|roles| {
        for name in [role, grantee] {
            if roles.get(name).is_none() {
                return Err(missing(name));
            }
        }
        let member = |a: &str, b: &str| RequestError::invalid(format!("{a} is a member of {b}"));
        if granting && roles.granted(grantee).contains(role) {
            return Err(member(grantee, role));
        }
        if granting && roles.granted(role).contains(grantee) {
            return Err(member(role, grantee));
        }
        if !granting && !roles.granted_directly(grantee).contains(role) {
            return Err(RequestError::invalid(format!(
                "{grantee} is not a member of {role}"
            )));
        }
        let mut next = roles.clone();
        if let Some(target) = next.get_mut(grantee) {
            if granting {
                target.member_of.insert(role.to_owned());
            } else {
                target.member_of.remove(role);
            }
        }
        Ok((Some(next), ()))
    })?;
    Ok(ResultBody::Void)
}

fn list_roles(
    auth: &Auth,
    user: Option<&str>,
    list: &ListRoles,
    users: bool,
) -> Result<ResultBody, RequestError> {
    let user = caller(user)?;
    let roles = auth.roles();
    if let Some(of) = &list.of
        && roles.get(of).is_none()
    {
        return Err(missing(&role_resource(of)));
    }
    let of = |name: &str| {
        if list.norecursive {
            roles.granted_directly(name)
        } else {
            roles.granted(name)
        }
    };
    let names: BTreeSet<String> = match &list.of {
        None if roles.is_super(user) => roles.iter().map(|(name, _)| name.clone()).collect(),
        None => of(user),
        Some(grantee) if roles.is_super(user) || roles.granted(user).contains(grantee) => {
            of(grantee)
        }
        Some(grantee) => {
            return Err(RequestError::Unauthorized(format!(
                "You are not authorized to view roles granted to {grantee} "
            )));
        }
    };
    if names.is_empty() {
        return Ok(ResultBody::Void);
    }
    let result = if users {
        views::list_users(&roles, &names)
    } else {
        views::list_roles(&roles, &names)
    };
    result.into_result(None)
}

fn unsupported_permissions(
    user: Option<&str>,
    operation: &str,
) -> Result<ResultBody, RequestError> {
    caller(user)?;
    Err(RequestError::invalid(format!(
        "{operation} operation is not supported by AllowAllAuthorizer: Sibyl does not implement \
         CassandraAuthorizer, so permissions are neither stored nor enforced"
    )))
}

#[cfg(test)]
#[path = "statements_tests.rs"]
mod tests;
