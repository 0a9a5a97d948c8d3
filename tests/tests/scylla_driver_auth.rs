//! Goal: the ScyllaDB Rust driver 1.x (protocol v4, `PlainTextAuthenticator`)
//! logs in to a node with `PasswordAuthenticator` as the default superuser,
//! runs role statements and reads `system_auth.roles`, and a wrong password
//! fails the session with Cassandra's message.
//! Method: start a node with the authenticator on, build sessions with `.user()`.

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use sibyl_tests::node::Node;

async fn session(node: &Node, user: &str, password: &str) -> Result<Session, String> {
    SessionBuilder::new()
        .known_node(node.native().to_string())
        .user(user, password)
        .build()
        .await
        .map_err(|e| format!("{e:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scylla_driver_logs_in_with_plain_text_credentials() {
    let node = tokio::task::spawn_blocking(|| {
        Node::start(&["--set", "authenticator=PasswordAuthenticator"])
    })
    .await
    .unwrap()
    .expect("sibyld starts");
    let admin = session(&node, "cassandra", "cassandra")
        .await
        .expect("the default superuser logs in");
    admin
        .query_unpaged(
            "CREATE ROLE rusty WITH PASSWORD = 'crab' AND LOGIN = true",
            &[],
        )
        .await
        .expect("create role");
    let rows = admin
        .query_unpaged(
            "SELECT role, can_login, is_superuser FROM system_auth.roles",
            &[],
        )
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    let mut roles: Vec<(String, bool, bool)> = rows
        .rows::<(String, bool, bool)>()
        .expect("typed rows")
        .map(|r| r.expect("row"))
        .collect();
    roles.sort();
    assert_eq!(
        roles,
        [
            ("cassandra".to_owned(), true, true),
            ("rusty".to_owned(), true, false)
        ]
    );
    let rusty = session(&node, "rusty", "crab")
        .await
        .expect("rusty logs in");
    let denied = rusty
        .query_unpaged("DROP ROLE cassandra", &[])
        .await
        .expect_err("a non-superuser may not drop roles");
    assert!(
        format!("{denied:?}").contains("has no DROP permission on <role cassandra>"),
        "{denied:?}"
    );
    let wrong = session(&node, "rusty", "shrimp")
        .await
        .expect_err("a wrong password fails");
    assert!(
        wrong.contains("Provided username rusty and/or password are incorrect"),
        "{wrong}"
    );
}
