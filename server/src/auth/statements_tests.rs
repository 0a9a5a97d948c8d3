//! Role statements against a real store, checked message by message
//! against Cassandra's.

use sibyl_protocol::cql::parse;
use sibyl_protocol::response::{ErrorKind, ResultBody};

use super::execute;
use crate::auth::{Auth, AuthSettings, hash};

fn auth(dir: &tempfile::TempDir) -> std::sync::Arc<Auth> {
    Auth::open(
        dir.path(),
        AuthSettings {
            password_required: true,
            bcrypt_cost: hash::COST_MIN,
        },
    )
    .unwrap()
}

fn run(auth: &Auth, user: Option<&str>, cql: &str) -> Result<ResultBody, (ErrorKind, String)> {
    let statement = parse(cql).unwrap();
    execute(auth, user, &statement)
        .expect("an auth statement")
        .map_err(|e| {
            let r = e.to_response();
            (r.kind, r.message)
        })
}

fn ok(auth: &Auth, user: &str, cql: &str) {
    let result = run(auth, Some(user), cql);
    assert!(result.is_ok(), "{cql}: {result:?}");
}

fn err(auth: &Auth, user: Option<&str>, cql: &str) -> (ErrorKind, String) {
    run(auth, user, cql).expect_err(cql)
}

fn listed(auth: &Auth, user: &str, cql: &str) -> Vec<String> {
    match run(auth, Some(user), cql).unwrap() {
        ResultBody::Rows(rows) => rows
            .rows
            .iter()
            .map(|r| String::from_utf8(r[0].clone().unwrap().to_vec()).unwrap())
            .collect(),
        ResultBody::Void => Vec::new(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn create_role_logs_in_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let auth = auth(&dir);
    ok(
        &auth,
        "cassandra",
        "CREATE ROLE alice WITH PASSWORD = 'pw' AND LOGIN = true AND SUPERUSER = false",
    );
    assert_eq!(auth.login("alice", "pw"), Ok(()));
    let stored = auth
        .roles()
        .get("alice")
        .unwrap()
        .salted_hash
        .clone()
        .unwrap();
    assert!(stored.starts_with("$2a$") && !stored.contains("pw"));
    let (kind, message) = err(
        &auth,
        Some("cassandra"),
        "CREATE ROLE alice WITH LOGIN = true",
    );
    assert_eq!(
        (kind, message.as_str()),
        (ErrorKind::Invalid, "alice already exists")
    );
    ok(
        &auth,
        "cassandra",
        "CREATE ROLE IF NOT EXISTS alice WITH LOGIN = false",
    );
    assert!(
        auth.roles().get("alice").unwrap().can_login,
        "IF NOT EXISTS changes nothing"
    );
    ok(&auth, "cassandra", "CREATE ROLE \"Quoted\"");
    let role = auth.roles().get("Quoted").cloned().unwrap();
    assert!(!role.can_login && !role.is_superuser && role.salted_hash.is_none());
}

#[test]
fn anonymous_clients_may_not_manage_roles() {
    let dir = tempfile::tempdir().unwrap();
    let auth = auth(&dir);
    for cql in [
        "CREATE ROLE r",
        "ALTER ROLE cassandra WITH LOGIN = false",
        "DROP ROLE cassandra",
        "LIST ROLES",
        "LIST USERS",
        "GRANT cassandra TO r",
        "GRANT SELECT ON ALL KEYSPACES TO r",
    ] {
        let (kind, message) = err(&auth, None, cql);
        assert_eq!(kind, ErrorKind::Unauthorized, "{cql}");
        assert_eq!(
            message,
            "You have to be logged in and not anonymous to perform this request"
        );
    }
}

#[test]
fn non_superusers_get_cassandras_unauthorized_messages() {
    let dir = tempfile::tempdir().unwrap();
    let auth = auth(&dir);
    ok(
        &auth,
        "cassandra",
        "CREATE ROLE bob WITH PASSWORD = 'b' AND LOGIN = true",
    );
    ok(&auth, "cassandra", "CREATE ROLE carol WITH LOGIN = true");
    let cases = [
        (
            "CREATE ROLE x",
            "User bob has no CREATE permission on <all roles> or any of its parents",
        ),
        (
            "DROP ROLE carol",
            "User bob has no DROP permission on <role carol> or any of its parents",
        ),
        (
            "ALTER ROLE carol WITH PASSWORD = 'x'",
            "User bob has no ALTER permission on <role carol> or any of its parents",
        ),
        (
            "GRANT carol TO bob",
            "User bob has no AUTHORIZE permission on <role carol> or any of its parents",
        ),
        (
            "ALTER ROLE bob WITH LOGIN = false",
            "You aren't allowed to alter LOGIN",
        ),
        (
            "ALTER ROLE bob WITH SUPERUSER = true",
            "You aren't allowed to alter your own superuser status or that of a role granted to you",
        ),
        (
            "ALTER ROLE carol WITH SUPERUSER = true",
            "Only superusers are allowed to alter superuser status",
        ),
        (
            "LIST ROLES OF carol",
            "You are not authorized to view roles granted to carol ",
        ),
    ];
    for (cql, expected) in cases {
        let (kind, message) = err(&auth, Some("bob"), cql);
        assert_eq!(
            (kind, message.as_str()),
            (ErrorKind::Unauthorized, expected),
            "{cql}"
        );
    }
    ok(&auth, "bob", "ALTER ROLE bob WITH PASSWORD = 'new'");
    assert_eq!(auth.login("bob", "new"), Ok(()));
    assert!(auth.login("bob", "b").is_err());
    assert_eq!(listed(&auth, "bob", "LIST ROLES"), ["bob"]);
}

#[test]
fn alter_and_drop_validate_like_cassandra() {
    let dir = tempfile::tempdir().unwrap();
    let auth = auth(&dir);
    let su = Some("cassandra");
    let (_, m) = err(&auth, su, "ALTER ROLE ghost WITH LOGIN = true");
    assert_eq!(m, "ghost doesn't exist");
    ok(
        &auth,
        "cassandra",
        "ALTER ROLE IF EXISTS ghost WITH LOGIN = true",
    );
    let (_, m) = err(&auth, su, "DROP ROLE ghost");
    assert_eq!(m, "ghost doesn't exist");
    ok(&auth, "cassandra", "DROP ROLE IF EXISTS ghost");
    let (kind, m) = err(&auth, su, "DROP ROLE cassandra");
    assert_eq!(
        (kind, m.as_str()),
        (
            ErrorKind::Invalid,
            "Cannot DROP primary role for current login"
        )
    );
    let (kind, m) = err(
        &auth,
        su,
        "CREATE ROLE r WITH PASSWORD = 'a' AND PASSWORD = 'b'",
    );
    assert_eq!(
        (kind, m.as_str()),
        (
            ErrorKind::Syntax,
            "Multiple definition for property PASSWORD"
        )
    );
    let (_, m) = err(&auth, su, "CREATE ROLE r WITH OPTIONS = {'a': 'b'}");
    assert_eq!(
        m,
        "org.apache.cassandra.auth.CassandraRoleManager doesn't support OPTIONS"
    );
    let (_, m) = err(&auth, su, "CREATE ROLE r WITH HASHED PASSWORD = 'plain'");
    assert_eq!(m, "Invalid hashed password value. Please use jBcrypt.");
    let hashed = hash::hash_password("h", hash::COST_MIN).unwrap();
    ok(
        &auth,
        "cassandra",
        &format!("CREATE ROLE h WITH HASHED PASSWORD = '{hashed}' AND LOGIN = true"),
    );
    assert_eq!(auth.login("h", "h"), Ok(()));
    ok(
        &auth,
        "cassandra",
        "ALTER ROLE h WITH SUPERUSER = true AND LOGIN = false",
    );
    let h = auth.roles().get("h").cloned().unwrap();
    assert!(h.is_superuser && !h.can_login && h.salted_hash == Some(hashed));
    ok(&auth, "cassandra", "DROP ROLE h");
    assert!(auth.roles().get("h").is_none());
}

#[test]
fn legacy_user_statements_create_login_roles() {
    let dir = tempfile::tempdir().unwrap();
    let auth = auth(&dir);
    ok(
        &auth,
        "cassandra",
        "CREATE USER dba WITH PASSWORD 'bacon' SUPERUSER",
    );
    ok(
        &auth,
        "cassandra",
        "CREATE USER app WITH PASSWORD 'x' NOSUPERUSER",
    );
    ok(&auth, "cassandra", "CREATE ROLE group_only");
    let dba = auth.roles().get("dba").cloned().unwrap();
    assert!(dba.can_login && dba.is_superuser);
    assert_eq!(auth.login("dba", "bacon"), Ok(()));
    assert_eq!(
        listed(&auth, "cassandra", "LIST USERS"),
        ["app", "cassandra", "dba"]
    );
    ok(&auth, "cassandra", "ALTER USER app WITH PASSWORD 'y'");
    assert_eq!(auth.login("app", "y"), Ok(()));
    ok(&auth, "cassandra", "DROP USER app");
    let (_, m) = err(&auth, Some("cassandra"), "DROP USER app");
    assert_eq!(m, "app doesn't exist");
}

#[test]
fn role_grants_are_inherited_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let auth = auth(&dir);
    for cql in [
        "CREATE ROLE admins WITH SUPERUSER = true",
        "CREATE ROLE ops",
        "CREATE ROLE eve WITH PASSWORD = 'e' AND LOGIN = true",
        "GRANT admins TO ops",
        "GRANT ops TO eve",
    ] {
        ok(&auth, "cassandra", cql);
    }
    assert!(auth.roles().is_super("eve"));
    let su = Some("cassandra");
    assert_eq!(
        err(&auth, su, "GRANT ops TO eve").1,
        "eve is a member of ops"
    );
    assert_eq!(
        err(&auth, su, "GRANT eve TO admins").1,
        "eve is a member of admins"
    );
    assert_eq!(
        err(&auth, su, "GRANT ops TO nobody").1,
        "nobody doesn't exist"
    );
    assert_eq!(
        listed(&auth, "eve", "LIST ROLES"),
        ["admins", "cassandra", "eve", "ops"]
    );
    assert_eq!(
        listed(&auth, "eve", "LIST ROLES OF eve"),
        ["admins", "eve", "ops"]
    );
    assert_eq!(
        listed(&auth, "eve", "LIST ROLES OF eve NORECURSIVE"),
        ["eve", "ops"]
    );
    assert_eq!(
        err(&auth, su, "LIST ROLES OF nobody").1,
        "<role nobody> doesn't exist"
    );
    assert_eq!(
        err(&auth, su, "REVOKE admins FROM eve").1,
        "eve is not a member of admins"
    );
    ok(&auth, "cassandra", "REVOKE ops FROM eve");
    assert!(!auth.roles().is_super("eve"));
    ok(&auth, "cassandra", "DROP ROLE admins");
    assert!(auth.roles().get("ops").unwrap().member_of.is_empty());
}

#[test]
fn permission_statements_say_authorization_is_not_implemented() {
    let dir = tempfile::tempdir().unwrap();
    let auth = auth(&dir);
    for cql in [
        "GRANT SELECT ON KEYSPACE ks TO cassandra",
        "REVOKE ALL PERMISSIONS ON ALL KEYSPACES FROM cassandra",
        "LIST ALL PERMISSIONS",
    ] {
        let (kind, m) = err(&auth, Some("cassandra"), cql);
        assert_eq!(kind, ErrorKind::Invalid, "{cql}");
        assert!(m.contains("not supported by AllowAllAuthorizer"), "{m}");
        assert!(m.contains("CassandraAuthorizer"), "{m}");
    }
    assert!(execute(&auth, Some("cassandra"), &parse("SELECT * FROM t").unwrap()).is_none());
}
