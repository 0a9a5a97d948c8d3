//! Goal: cqlsh 6.2.2 works against one real `sibyld` in `-e` mode: DESCRIBE is
//! answered server-side, SELECT results print in cqlsh's table layout, and
//! errors print as cqlsh prints server errors. Method: start a node, run the
//! pinned cqlsh with `-e`, compare its output.

use std::process::Command;

use sibyl_tests::node::Node;
use sibyl_tests::python::clients;

fn cqlsh(node: &Node, statements: &str) -> (bool, String, String) {
    let clients = clients().expect("the pinned cqlsh installs");
    let output = Command::new(&clients.cqlsh)
        .arg(node.address.to_string())
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
fn describe_select_and_errors_through_cqlsh() {
    let node = Node::start(&[]).expect("sibyld starts");
    let setup = "CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}; \
                 CREATE TABLE shop.items (id uuid PRIMARY KEY, name text, price decimal);";
    let (ok, _, err) = cqlsh(&node, setup);
    assert!(ok, "setup failed: {err}");

    let (ok, out, err) = cqlsh(&node, "DESCRIBE KEYSPACES");
    assert!(ok, "{err}");
    assert!(
        !out.contains("WARNING"),
        "no version warning expected: {out}"
    );
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        [
            "shop",
            "system",
            "system_auth",
            "system_distributed",
            "system_schema",
            "system_traces"
        ]
    );

    let (ok, out, err) = cqlsh(&node, "DESC TABLE shop.items");
    assert!(ok, "{err}");
    assert!(out.contains("CREATE TABLE shop.items (\n    id uuid PRIMARY KEY,\n    name text,\n    price decimal\n) WITH additional_write_policy = '99p'"), "{out}");

    let (ok, out, err) = cqlsh(
        &node,
        "SELECT keyspace_name, table_name FROM system_schema.tables WHERE keyspace_name = 'shop';",
    );
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "\n keyspace_name | table_name\n---------------+------------\n          shop |      items\n\n(1 rows)\n"
    );

    let (ok, _, err) = cqlsh(
        &node,
        "CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};",
    );
    assert!(!ok, "a failed statement makes cqlsh -e fail");
    assert!(
        err.contains("AlreadyExists: Keyspace 'shop' already exists"),
        "{err}"
    );

    let (ok, _, err) = cqlsh(&node, "SELEC 1;");
    assert!(!ok);
    assert!(err.contains("SyntaxException"), "{err}");
}
