//! Goal: with `authenticator = PasswordAuthenticator` a node behaves as
//! Cassandra 4/5 for real clients: the default superuser `cassandra` logs in,
//! creates roles that then log in, wrong or missing credentials fail with the
//! driver's AuthenticationFailed, a non-superuser is Unauthorized, LIST ROLES
//! and LIST USERS have Cassandra's columns, roles survive a restart, and
//! `cqlsh -u -p` works; with the default authenticator role statements are
//! Unauthorized for the anonymous client, as in Cassandra.
//! Method: run `tests/python/auth.py` before and after `Node::restart`, then
//! the pinned cqlsh with `-u cassandra -p cassandra -e`.

use std::process::Command;

use sibyl_tests::node::Node;
use sibyl_tests::python::{clients, workspace_root};

fn auth_script(node: &Node, phase: &str) {
    let clients = clients().expect("the pinned Python driver installs");
    let output = Command::new(&clients.python)
        .arg(workspace_root().join("tests/python/auth.py"))
        .arg(node.address.to_string())
        .arg(phase)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("OK"),
        "auth.py {phase} failed\nstdout:\n{stdout}\nstderr:\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        node.log_text()
    );
}

fn cqlsh(node: &Node, credentials: &[&str], statements: &str) -> (bool, String, String) {
    let clients = clients().expect("the pinned cqlsh installs");
    let output = Command::new(&clients.cqlsh)
        .arg(node.address.to_string())
        .args(credentials)
        .arg("-e")
        .arg(statements)
        .env("CQLSH_NO_BUNDLED", "TRUE")
        .output()
        .expect("cqlsh runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn password_authentication_and_roles_through_real_clients() {
    let mut node =
        Node::start(&["--set", "authenticator=PasswordAuthenticator"]).expect("sibyld starts");
    auth_script(&node, "setup");
    node.restart().expect("sibyld restarts");
    auth_script(&node, "after_restart");

    let (ok, out, err) = cqlsh(&node, &["-u", "cassandra", "-p", "cassandra"], "LIST ROLES");
    assert!(ok, "{err}");
    // `{}` is shifted right exactly as cqlsh prints it against Cassandra (its
    // width is measured with colour codes).
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    assert_eq!(
        lines,
        [
            "",
            " role      | super | login | options | datacenters",
            "-----------+-------+-------+---------+-------------",
            "     alice | False |  True |        {} |         ALL",
            " cassandra |  True |  True |        {} |         ALL",
            "   readers | False | False |        {} |         ALL",
            "",
            "(3 rows)",
        ],
        "{out}"
    );

    let (ok, _, err) = cqlsh(&node, &["-u", "cassandra", "-p", "nope"], "LIST ROLES");
    assert!(!ok, "wrong password must fail");
    assert!(
        err.contains("Provided username cassandra and/or password are incorrect"),
        "{err}"
    );
}

#[test]
fn without_an_authenticator_role_statements_are_unauthorized_as_in_cassandra() {
    let node = Node::start(&[]).expect("sibyld starts");
    let (ok, _, err) = cqlsh(&node, &[], "CREATE ROLE r WITH LOGIN = true");
    assert!(!ok);
    assert!(
        err.contains("Unauthorized")
            && err.contains("You have to be logged in and not anonymous to perform this request"),
        "{err}"
    );
    let (ok, out, err) = cqlsh(
        &node,
        &[],
        "SELECT role, is_superuser FROM system_auth.roles",
    );
    assert!(ok, "{err}");
    assert!(out.contains(" cassandra |         True"), "{out}");
}
