//! Roles as stored: the snapshot ([`Roles`]) and its durable home
//! `<data_dir>/auth/roles.json` ([`RoleStore`]).
//!
//! Writers are serialised by one mutex; each builds a new [`Roles`] from the
//! current one, persists it (temporary file, fsync, rename, fsync of the
//! directory) and only then publishes it, so a role change acknowledged to a
//! client survives a crash. Readers (logins, LIST ROLES, `system_auth`) take
//! the current `Arc<Roles>` and never wait on writers. The file holds bcrypt
//! hashes only, never a plain password. Roles live on this node only: there
//! is no propagation to other nodes yet.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::error::RequestError;

/// Format version of the roles file.
const ROLES_FILE_VERSION: u32 = 1;
/// Largest roles file read at start-up.
const ROLES_FILE_BYTES_MAX: u64 = 16 * 1024 * 1024;

/// One role: Cassandra's `system_auth.roles` row without its key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// `LOGIN`: the role may authenticate.
    pub can_login: bool,
    /// `SUPERUSER`: the role (and every role granted it) may do anything.
    pub is_superuser: bool,
    /// Roles granted to this one (`GRANT r TO this`).
    #[serde(default)]
    pub member_of: BTreeSet<String>,
    /// bcrypt hash of the password, if the role has one.
    #[serde(default)]
    pub salted_hash: Option<String>,
}

/// An immutable snapshot of every role, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles {
    roles: BTreeMap<String, Role>,
}

impl Roles {
    /// The role named `name`.
    pub fn get(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    /// True when no role exists.
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
    }

    /// Every role, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Role)> {
        self.roles.iter()
    }

    /// Adds or replaces a role.
    pub fn insert(&mut self, name: &str, role: Role) {
        self.roles.insert(name.to_owned(), role);
    }

    /// Removes a role and its memberships in both directions.
    pub fn remove(&mut self, name: &str) -> Option<Role> {
        let removed = self.roles.remove(name)?;
        for role in self.roles.values_mut() {
            role.member_of.remove(name);
        }
        Some(removed)
    }

    /// Mutable access to one role.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Role> {
        self.roles.get_mut(name)
    }

    /// `name` and every role it inherits, transitively (empty if it does not
    /// exist). Membership cycles cannot be created, but a visited set bounds
    /// the walk anyway.
    pub fn granted(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut pending = vec![name.to_owned()];
        while let Some(next) = pending.pop() {
            let Some(role) = self.roles.get(&next) else {
                continue;
            };
            if seen.insert(next) {
                pending.extend(role.member_of.iter().cloned());
            }
        }
        seen
    }

    /// `name` and the roles granted to it directly.
    pub fn granted_directly(&self, name: &str) -> BTreeSet<String> {
        let Some(role) = self.roles.get(name) else {
            return BTreeSet::new();
        };
        let mut out: BTreeSet<String> = role
            .member_of
            .iter()
            .filter(|r| self.roles.contains_key(*r))
            .cloned()
            .collect();
        out.insert(name.to_owned());
        out
    }

    /// True when `name` or any role it inherits is a superuser.
    pub fn is_super(&self, name: &str) -> bool {
        self.granted(name)
            .iter()
            .any(|r| self.roles.get(r).is_some_and(|role| role.is_superuser))
    }

    /// `(role, member)` pairs: `system_auth.role_members`, in order.
    pub fn memberships(&self) -> BTreeSet<(String, String)> {
        self.roles
            .iter()
            .flat_map(|(member, role)| role.member_of.iter().map(|r| (r.clone(), member.clone())))
            .collect()
    }
}

#[derive(Serialize, Deserialize)]
struct RolesFile {
    version: u32,
    roles: BTreeMap<String, Role>,
}

/// Why the roles could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoleStoreError {
    /// Reading or writing the roles file failed.
    #[error("roles file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The roles would not fit the file size read back at start-up.
    #[error("roles file {} would be {bytes} bytes, over the {ROLES_FILE_BYTES_MAX}-byte limit", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size with the change.
        bytes: usize,
    },
    /// The roles file is not one this version can read.
    #[error("roles file {} is unreadable: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The current roles and how they change.
pub struct RoleStore {
    path: PathBuf,
    current: RwLock<Arc<Roles>>,
    writer: Mutex<()>,
}

impl RoleStore {
    /// Opens (or creates) the roles stored under `data_dir`.
    ///
    /// # Errors
    /// The directory cannot be created, or the file cannot be read or parsed.
    pub fn open(data_dir: &Path) -> Result<Self, RoleStoreError> {
        let dir = data_dir.join("auth");
        fs::create_dir_all(&dir).map_err(|source| RoleStoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join("roles.json");
        let roles = if path.exists() {
            read_file(&path)?
        } else {
            Roles::default()
        };
        Ok(Self {
            path,
            current: RwLock::new(Arc::new(roles)),
            writer: Mutex::new(()),
        })
    }

    /// The current roles.
    pub fn current(&self) -> Arc<Roles> {
        Arc::clone(&self.current.read())
    }

    /// Applies a change: `change` gets the current roles and returns the new
    /// ones (or `None` for "nothing to do") plus an outcome; new roles are
    /// persisted before they are published.
    ///
    /// # Errors
    /// Whatever `change` returns, or a server error when persisting fails.
    pub fn update<R>(
        &self,
        change: impl FnOnce(&Roles) -> Result<(Option<Roles>, R), RequestError>,
    ) -> Result<R, RequestError> {
        let _writer = self.writer.lock();
        let current = self.current();
        let (next, outcome) = change(&current)?;
        if let Some(next) = next {
            self.persist(&next).map_err(|e| match e {
                RoleStoreError::TooLarge { .. } => RequestError::invalid(e.to_string()),
                e => RequestError::Server(e.to_string()),
            })?;
            *self.current.write() = Arc::new(next);
        }
        Ok(outcome)
    }

    fn persist(&self, roles: &Roles) -> Result<(), RoleStoreError> {
        let file = RolesFile {
            version: ROLES_FILE_VERSION,
            roles: roles.roles.clone(),
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| RoleStoreError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        // A file start-up refuses would lock every client out: refuse the change instead.
        if u64::try_from(text.len()).unwrap_or(u64::MAX) > ROLES_FILE_BYTES_MAX {
            return Err(RoleStoreError::TooLarge {
                path: self.path.clone(),
                bytes: text.len(),
            });
        }
        crate::durable_file::write_atomically(&self.path, &text).map_err(|e| RoleStoreError::Io {
            path: e.path,
            source: e.source,
        })
    }
}

fn read_file(path: &Path) -> Result<Roles, RoleStoreError> {
    let io = |source| RoleStoreError::Io {
        path: path.to_owned(),
        source,
    };
    let corrupt = |reason: String| RoleStoreError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    let len = fs::metadata(path).map_err(io)?.len();
    if len > ROLES_FILE_BYTES_MAX {
        return Err(corrupt(format!("larger than {ROLES_FILE_BYTES_MAX} bytes")));
    }
    let text = fs::read_to_string(path).map_err(io)?;
    let file: RolesFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if file.version != ROLES_FILE_VERSION {
        return Err(corrupt(format!(
            "format version {} (this build reads {ROLES_FILE_VERSION})",
            file.version
        )));
    }
    Ok(Roles { roles: file.roles })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(login: bool, superuser: bool, member_of: &[&str]) -> Role {
        Role {
            can_login: login,
            is_superuser: superuser,
            member_of: member_of.iter().map(|s| (*s).to_owned()).collect(),
            salted_hash: Some("$2a$04$hash".to_owned()),
        }
    }

    #[test]
    fn changes_survive_reopen_and_unchanged_updates_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = RoleStore::open(dir.path()).unwrap();
        assert!(store.current().is_empty());
        store
            .update(|roles| {
                let mut next = roles.clone();
                next.insert("admin", role(true, true, &[]));
                next.insert("bob", role(true, false, &["admin"]));
                Ok((Some(next), ()))
            })
            .unwrap();
        store.update(|_| Ok((None, ()))).unwrap();
        let reopened = RoleStore::open(dir.path()).unwrap();
        assert_eq!(*reopened.current(), *store.current());
        assert_eq!(
            reopened.current().get("bob"),
            Some(&role(true, false, &["admin"]))
        );
        assert!(!dir.path().join("auth/roles.json.tmp").exists());
    }

    #[test]
    fn a_change_that_would_overflow_the_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = RoleStore::open(dir.path()).unwrap();
        let huge = "r".repeat(usize::try_from(ROLES_FILE_BYTES_MAX).unwrap() + 1);
        let result = store.update(|roles| {
            let mut next = roles.clone();
            next.insert(&huge, Role::default());
            Ok((Some(next), ()))
        });
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("over the 16777216-byte limit"),
            "{message}"
        );
        assert!(store.current().is_empty());
        assert!(RoleStore::open(dir.path()).is_ok());
    }

    #[test]
    fn a_failed_change_publishes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = RoleStore::open(dir.path()).unwrap();
        let result: Result<(), _> = store.update(|_| Err(RequestError::invalid("no")));
        assert!(result.is_err());
        assert!(store.current().is_empty());
        assert!(!dir.path().join("auth/roles.json").exists());
    }

    #[test]
    fn a_corrupt_or_future_file_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("auth")).unwrap();
        let path = dir.path().join("auth/roles.json");
        fs::write(&path, "{not json").unwrap();
        let err = RoleStore::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("roles.json"), "{err}");
        fs::write(&path, r#"{"version": 9, "roles": {}}"#).unwrap();
        let err = RoleStore::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("format version 9"), "{err}");
    }

    #[test]
    fn superuser_status_and_grants_are_inherited_transitively() {
        let mut roles = Roles::default();
        roles.insert("root", role(false, true, &[]));
        roles.insert("ops", role(false, false, &["root"]));
        roles.insert("alice", role(true, false, &["ops"]));
        roles.insert("bob", role(true, false, &[]));
        assert!(roles.is_super("alice"));
        assert!(!roles.is_super("bob"));
        assert!(!roles.is_super("nobody"));
        let granted: Vec<_> = roles.granted("alice").into_iter().collect();
        assert_eq!(granted, ["alice", "ops", "root"]);
        let direct: Vec<_> = roles.granted_directly("alice").into_iter().collect();
        assert_eq!(direct, ["alice", "ops"]);
        roles.remove("ops");
        assert!(!roles.is_super("alice"));
        assert!(roles.get("alice").unwrap().member_of.is_empty());
        let pairs: Vec<_> = roles.memberships().into_iter().collect();
        assert!(pairs.is_empty());
    }
}
