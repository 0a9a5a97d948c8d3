//! Authentication and roles, as Cassandra's `PasswordAuthenticator` and
//! `CassandraRoleManager` behave (DESIGN §1 `authenticator`, COMPAT §1.4).
//!
//! - [`hash`]: bcrypt password hashes (`$2a$`), salted and slow.
//! - [`store`]: the roles snapshot and its durable file `<data_dir>/auth/roles.json`.
//! - [`statements`]: CREATE/ALTER/DROP ROLE and USER, GRANT/REVOKE role,
//!   LIST ROLES/USERS, and the answers to permission statements.
//! - [`views`]: the `system_auth` tables and the LIST result shapes.
//!
//! [`Auth`] is the facade the node holds: it creates the default superuser
//! `cassandra`/`cassandra` when no role exists (Cassandra does so whatever the
//! authenticator), checks SASL PLAIN logins, and runs role statements.
//! Invariants: a plain password is never stored or logged; roles are this
//! node's only (no cluster propagation yet); only role management is
//! authorized (superusers), data access is not checked (as with
//! `AllowAllAuthorizer`).

pub mod hash;
pub mod statements;
pub mod store;
pub mod views;

use std::path::Path;
use std::sync::Arc;

pub use statements::is_auth_statement;
pub use store::{Role, RoleStore, RoleStoreError, Roles};

/// The default superuser created on first start.
pub const DEFAULT_SUPERUSER: &str = "cassandra";
/// Its password (users are expected to change it).
const DEFAULT_SUPERUSER_PASSWORD: &str = "cassandra";

/// How the node authenticates clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSettings {
    /// True with `PasswordAuthenticator`: clients must log in.
    pub password_required: bool,
    /// bcrypt work factor (`2^cost` rounds) for new password hashes.
    pub bcrypt_cost: u32,
}

/// Why authentication could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The roles file could not be read or written.
    #[error(transparent)]
    Store(#[from] RoleStoreError),
    /// The default role's password could not be hashed.
    #[error(transparent)]
    Hash(#[from] hash::HashError),
    /// Saving the default role failed.
    #[error("creating the default role failed: {0}")]
    DefaultRole(String),
}

/// Roles, logins and role statements of one node.
pub struct Auth {
    store: RoleStore,
    settings: AuthSettings,
    /// A hash checked when the user does not exist, so an unknown name costs
    /// what a wrong password costs (no user enumeration by timing).
    decoy_hash: String,
}

impl Auth {
    /// Opens the roles under `data_dir`, creating the default superuser when
    /// there are none.
    ///
    /// # Errors
    /// The roles file is unreadable, or the default role cannot be saved.
    pub fn open(data_dir: &Path, settings: AuthSettings) -> Result<Arc<Self>, AuthError> {
        let store = RoleStore::open(data_dir)?;
        let decoy_hash = hash::hash_password("not a password", settings.bcrypt_cost)?;
        if store.current().is_empty() {
            let salted = hash::hash_password(DEFAULT_SUPERUSER_PASSWORD, settings.bcrypt_cost)?;
            store
                .update(|roles| {
                    if !roles.is_empty() {
                        return Ok((None, ()));
                    }
                    let mut next = roles.clone();
                    next.insert(
                        DEFAULT_SUPERUSER,
                        Role {
                            can_login: true,
                            is_superuser: true,
                            member_of: std::collections::BTreeSet::new(),
                            salted_hash: Some(salted),
                        },
                    );
                    Ok((Some(next), ()))
                })
                .map_err(|e| AuthError::DefaultRole(e.to_string()))?;
            tracing::info!("Created default superuser role '{DEFAULT_SUPERUSER}'");
        }
        Ok(Arc::new(Self {
            store,
            settings,
            decoy_hash,
        }))
    }

    /// The configured settings.
    pub fn settings(&self) -> AuthSettings {
        self.settings
    }

    /// The current roles.
    pub fn roles(&self) -> Arc<Roles> {
        self.store.current()
    }

    /// The store, for statements that change roles.
    pub(crate) fn store(&self) -> &RoleStore {
        &self.store
    }

    /// Checks SASL PLAIN credentials as `PasswordAuthenticator` does. Slow on
    /// purpose (bcrypt): call it off the async runtime.
    ///
    /// # Errors
    /// The message for the client's AuthenticationError (0x0100).
    pub fn login(&self, user: &str, password: &str) -> Result<(), String> {
        let roles = self.store.current();
        let role = roles.get(user);
        let hash = role
            .and_then(|r| r.salted_hash.as_deref())
            .unwrap_or(&self.decoy_hash);
        let matches = hash::verify_password(password, hash);
        match role {
            Some(role) if matches && role.salted_hash.is_some() => {
                if role.can_login {
                    Ok(())
                } else {
                    Err(format!("{user} is not permitted to log in"))
                }
            }
            _ => Err(format!(
                "Provided username {user} and/or password are incorrect"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn settings(password_required: bool) -> AuthSettings {
        AuthSettings {
            password_required,
            bcrypt_cost: hash::COST_MIN,
        }
    }

    #[test]
    fn first_start_creates_the_default_superuser_once() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Auth::open(dir.path(), settings(true)).unwrap();
        let roles = auth.roles();
        let role = roles.get("cassandra").unwrap();
        assert!(role.can_login && role.is_superuser);
        let hash = role.salted_hash.clone().unwrap();
        assert!(hash.starts_with("$2a$04$"), "{hash}");
        drop(auth);
        let again = Auth::open(dir.path(), settings(true)).unwrap();
        assert_eq!(
            again.roles().get("cassandra").unwrap().salted_hash,
            Some(hash)
        );
    }

    #[test]
    fn login_checks_name_password_and_login_flag() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Auth::open(dir.path(), settings(true)).unwrap();
        assert_eq!(auth.login("cassandra", "cassandra"), Ok(()));
        let wrong = "Provided username cassandra and/or password are incorrect";
        assert_eq!(auth.login("cassandra", "nope").unwrap_err(), wrong);
        let unknown = "Provided username ghost and/or password are incorrect";
        assert_eq!(auth.login("ghost", "not a password").unwrap_err(), unknown);
        auth.store()
            .update(|roles| {
                let mut next = roles.clone();
                next.insert(
                    "nologin",
                    Role {
                        salted_hash: Some(hash::hash_password("pw", 4).unwrap()),
                        ..Role::default()
                    },
                );
                next.insert(
                    "nohash",
                    Role {
                        can_login: true,
                        ..Role::default()
                    },
                );
                Ok((Some(next), ()))
            })
            .unwrap();
        assert_eq!(
            auth.login("nologin", "pw").unwrap_err(),
            "nologin is not permitted to log in"
        );
        assert!(auth.login("nohash", "").is_err());
        assert!(auth.login("nohash", "not a password").is_err());
    }
}
