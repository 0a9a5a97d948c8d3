//! What clients read about roles: the `system_auth` tables (generated from
//! the roles snapshot, like `system_schema`) and the result shapes of
//! LIST ROLES (`role, super, login, options, datacenters`) and LIST USERS
//! (`name, super, datacenters`), as Cassandra 4/5 answer them.
//!
//! Rows come out in the table's `SELECT *` column order so the ordinary
//! SELECT machinery filters and projects them. Network authorization is not
//! implemented, so every role reaches `ALL` data centers.

use std::collections::BTreeMap;

use sibyl_protocol::response::ColumnSpec;
use sibyl_protocol::value::{CqlType, CqlValue};

use super::store::Roles;
use crate::cql::result::ResultSet;
use crate::schema::TableMetadata;
use crate::schema::system_keyspaces::SYSTEM_AUTH;

/// What the `datacenters` column shows (AllowAllNetworkAuthorizer).
const ALL_DATACENTERS: &str = "ALL";

fn text(s: &str) -> CqlValue {
    CqlValue::Text(s.to_owned())
}

/// The rows of `system_auth.<table>` (empty for tables Sibyl keeps nothing in).
pub fn table_rows(roles: &Roles, table: &TableMetadata) -> Vec<Vec<Option<CqlValue>>> {
    let named: Vec<BTreeMap<&str, CqlValue>> = match table.name.as_str() {
        "roles" => roles
            .iter()
            .map(|(name, role)| {
                let mut row = BTreeMap::from([
                    ("role", text(name)),
                    ("can_login", CqlValue::Boolean(role.can_login)),
                    ("is_superuser", CqlValue::Boolean(role.is_superuser)),
                ]);
                if !role.member_of.is_empty() {
                    let set = role.member_of.iter().map(|r| text(r)).collect();
                    row.insert("member_of", CqlValue::Set(set));
                }
                if let Some(hash) = &role.salted_hash {
                    row.insert("salted_hash", text(hash));
                }
                row
            })
            .collect(),
        "role_members" => roles
            .memberships()
            .into_iter()
            .map(|(role, member)| {
                BTreeMap::from([("role", text(&role)), ("member", text(&member))])
            })
            .collect(),
        _ => Vec::new(),
    };
    named
        .into_iter()
        .map(|row| table.row_in_select_star_order(row))
        .collect()
}

fn spec(table: &str, name: &str, ty: CqlType) -> ColumnSpec {
    ColumnSpec {
        keyspace: SYSTEM_AUTH.to_owned(),
        table: table.to_owned(),
        name: name.to_owned(),
        ty,
    }
}

/// LIST ROLES of `names` (sorted, existing roles only): `super` and `login`
/// are each role's own flags, `options` is empty (no custom options).
pub fn list_roles<'a>(roles: &Roles, names: impl IntoIterator<Item = &'a String>) -> ResultSet {
    let columns = vec![
        spec("roles", "role", CqlType::Text),
        spec("roles", "super", CqlType::Boolean),
        spec("roles", "login", CqlType::Boolean),
        spec(
            "roles",
            "options",
            CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Text)),
        ),
        spec("roles", "datacenters", CqlType::Text),
    ];
    let rows = names
        .into_iter()
        .filter_map(|name| Some((name, roles.get(name)?)))
        .map(|(name, role)| {
            vec![
                Some(text(name)),
                Some(CqlValue::Boolean(role.is_superuser)),
                Some(CqlValue::Boolean(role.can_login)),
                Some(CqlValue::Map(Vec::new())),
                Some(text(ALL_DATACENTERS)),
            ]
        })
        .collect();
    ResultSet { columns, rows }
}

/// LIST USERS of `names`: the roles that may log in, `super` inherited.
pub fn list_users<'a>(roles: &Roles, names: impl IntoIterator<Item = &'a String>) -> ResultSet {
    let columns = vec![
        spec("users", "name", CqlType::Text),
        spec("users", "super", CqlType::Boolean),
        spec("users", "datacenters", CqlType::Text),
    ];
    let rows = names
        .into_iter()
        .filter(|name| roles.get(name).is_some_and(|r| r.can_login))
        .map(|name| {
            vec![
                Some(text(name)),
                Some(CqlValue::Boolean(roles.is_super(name))),
                Some(text(ALL_DATACENTERS)),
            ]
        })
        .collect();
    ResultSet { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::store::Role;
    use crate::schema::system_keyspaces::bootstrap_schema;

    fn roles() -> Roles {
        let mut roles = Roles::default();
        roles.insert(
            "admin",
            Role {
                can_login: false,
                is_superuser: true,
                ..Role::default()
            },
        );
        roles.insert(
            "bob",
            Role {
                can_login: true,
                member_of: ["admin".to_owned()].into(),
                salted_hash: Some("$2a$04$h".to_owned()),
                ..Role::default()
            },
        );
        roles
    }

    #[test]
    fn system_auth_roles_and_members_have_cassandras_columns() {
        let schema = bootstrap_schema();
        let table = schema.table("system_auth", "roles").unwrap();
        let order: Vec<_> = table.select_star_order().map(|c| c.name.as_str()).collect();
        let rows = table_rows(&roles(), table);
        assert_eq!(rows.len(), 2);
        let bob = &rows[1];
        let get = |col: &str| bob[order.iter().position(|c| *c == col).unwrap()].clone();
        assert_eq!(get("role"), Some(text("bob")));
        assert_eq!(get("can_login"), Some(CqlValue::Boolean(true)));
        assert_eq!(get("is_superuser"), Some(CqlValue::Boolean(false)));
        assert_eq!(get("member_of"), Some(CqlValue::Set(vec![text("admin")])));
        assert_eq!(get("salted_hash"), Some(text("$2a$04$h")));
        let admin = &rows[0];
        assert_eq!(
            admin[order.iter().position(|c| *c == "member_of").unwrap()],
            None
        );
        let members = schema.table("system_auth", "role_members").unwrap();
        let rows = table_rows(&roles(), members);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].contains(&Some(text("admin"))) && rows[0].contains(&Some(text("bob"))));
        let perms = schema.table("system_auth", "role_permissions").unwrap();
        assert!(table_rows(&roles(), perms).is_empty());
    }

    #[test]
    fn list_roles_and_users_shapes() {
        let roles = roles();
        let names: Vec<String> = vec!["admin".into(), "bob".into()];
        let listed = list_roles(&roles, &names);
        let cols: Vec<_> = listed.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cols, ["role", "super", "login", "options", "datacenters"]);
        assert_eq!(listed.rows.len(), 2);
        assert_eq!(listed.rows[1][1], Some(CqlValue::Boolean(false)));
        let users = list_users(&roles, &names);
        let cols: Vec<_> = users.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cols, ["name", "super", "datacenters"]);
        assert_eq!(users.rows.len(), 1, "admin cannot log in");
        assert_eq!(users.rows[0][1], Some(CqlValue::Boolean(true)), "inherited");
        assert!(listed.into_result(None).is_ok());
    }
}
