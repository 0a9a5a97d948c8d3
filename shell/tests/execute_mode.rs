//! `sibylsh -e` against an in-process fake node: results of several types on
//! stdout byte for byte as cqlsh 6.2.2 prints them, errors on stderr with
//! exit code 2, paging, DESCRIBE forms, and the exact statements sent.
//! Method: start the fake node on 127.0.0.1:0, run the built binary, compare.

mod common;

use std::str::FromStr;
use std::sync::Arc;

use common::{FakeNode, SeenQuery, error, rows, sibylsh, void};
use sibyl_protocol::response::{ErrorKind, Response};
use sibyl_protocol::types::Consistency;
use sibyl_protocol::value::{CqlType, CqlValue};
use uuid::Uuid;

fn table_columns() -> Vec<(&'static str, CqlType)> {
    vec![
        ("k", CqlType::Int),
        ("name", CqlType::Text),
        ("score", CqlType::Double),
        ("tags", CqlType::List(Box::new(CqlType::Text))),
        ("at", CqlType::Timestamp),
        ("flag", CqlType::Boolean),
        ("data", CqlType::Blob),
    ]
}

#[expect(
    clippy::too_many_lines,
    reason = "one table of canned answers reads best in one match"
)]
fn handler(q: &SeenQuery) -> Response {
    let text = q.text.trim_end_matches(';').to_ascii_lowercase();
    match text.as_str() {
        "select * from ks.t" => rows(
            &table_columns(),
            &[
                vec![
                    Some(CqlValue::Int(1)),
                    Some(CqlValue::Text("alice".into())),
                    Some(CqlValue::Double(1.5)),
                    Some(CqlValue::List(vec![
                        CqlValue::Text("a".into()),
                        CqlValue::Text("b".into()),
                    ])),
                    Some(CqlValue::Timestamp(1_704_164_645_000)),
                    Some(CqlValue::Boolean(true)),
                    Some(CqlValue::Blob(vec![0xca, 0xfe])),
                ],
                vec![
                    Some(CqlValue::Int(20)),
                    Some(CqlValue::Text("bob".into())),
                    Some(CqlValue::Double(f64::NAN)),
                    None,
                    Some(CqlValue::Timestamp(-1)),
                    Some(CqlValue::Boolean(false)),
                    None,
                ],
            ],
            None,
        ),
        "select id from ks.u" => rows(
            &[("id", CqlType::Uuid)],
            &[vec![Some(CqlValue::Uuid(
                Uuid::from_str("550e8400-e29b-41d4-a716-446655440000").expect("valid uuid literal"),
            ))]],
            None,
        ),
        "select * from ks.empty" | "select * from ks.warn" => {
            rows(&[("k", CqlType::Int), ("v", CqlType::Text)], &[], None)
        }
        "select k from ks.paged" => match &q.paging_state {
            None => rows(
                &[("k", CqlType::Int)],
                &[vec![Some(CqlValue::Int(1))]],
                Some(b"p1"),
            ),
            Some(_) => rows(
                &[("k", CqlType::Int)],
                &[vec![Some(CqlValue::Int(22))]],
                None,
            ),
        },
        "insert into ks.t (k) values (1)" => void(),
        "desc keyspaces" => rows(
            &[
                ("keyspace_name", CqlType::Text),
                ("type", CqlType::Text),
                ("name", CqlType::Text),
            ],
            &["ks", "system", "system_schema"]
                .iter()
                .map(|n| {
                    vec![
                        Some(CqlValue::Text((*n).into())),
                        Some(CqlValue::Text("keyspace".into())),
                        Some(CqlValue::Text((*n).into())),
                    ]
                })
                .collect::<Vec<_>>(),
            None,
        ),
        "describe table ks.t" => rows(
            &[
                ("keyspace_name", CqlType::Text),
                ("type", CqlType::Text),
                ("name", CqlType::Text),
                ("create_statement", CqlType::Text),
            ],
            &[vec![
                Some(CqlValue::Text("ks".into())),
                Some(CqlValue::Text("table".into())),
                Some(CqlValue::Text("t".into())),
                Some(CqlValue::Text(
                    "CREATE TABLE ks.t (\n    k int PRIMARY KEY\n);".into(),
                )),
            ]],
            None,
        ),
        "select column_name, kind from system_schema.columns where keyspace_name = ? and table_name = ?" => {
            rows(
                &[("column_name", CqlType::Text), ("kind", CqlType::Text)],
                &[vec![
                    Some(CqlValue::Text("id".into())),
                    Some(CqlValue::Text("partition_key".into())),
                ]],
                None,
            )
        }
        "select * from system_traces.sessions where session_id = ?" => rows(
            &[
                ("session_id", CqlType::Uuid),
                ("client", CqlType::Inet),
                ("coordinator", CqlType::Inet),
                ("duration", CqlType::Int),
                ("request", CqlType::Text),
                ("started_at", CqlType::Timestamp),
            ],
            &[vec![
                Some(CqlValue::Uuid(trace_id())),
                Some(CqlValue::Inet([127, 0, 0, 1].into())),
                Some(CqlValue::Inet([127, 0, 0, 1].into())),
                Some(CqlValue::Int(500)),
                Some(CqlValue::Text("Execute CQL3 query".into())),
                Some(CqlValue::Timestamp(1_704_164_645_000)),
            ]],
            None,
        ),
        "select * from system_traces.events where session_id = ?" => rows(
            &[
                ("session_id", CqlType::Uuid),
                ("event_id", CqlType::Timeuuid),
                ("activity", CqlType::Text),
                ("source", CqlType::Inet),
                ("source_elapsed", CqlType::Int),
                ("thread", CqlType::Text),
            ],
            &[vec![
                Some(CqlValue::Uuid(trace_id())),
                Some(CqlValue::Timeuuid(Uuid::new_v1(
                    uuid::Timestamp::from_unix(uuid::NoContext, 1_704_164_645, 100_000),
                    &[1, 2, 3, 4, 5, 6],
                ))),
                Some(CqlValue::Text("Parsing select".into())),
                Some(CqlValue::Inet([127, 0, 0, 1].into())),
                Some(CqlValue::Int(100)),
                Some(CqlValue::Text("Native-Transport-Requests-1".into())),
            ]],
            None,
        ),
        "select nope" => error(
            ErrorKind::Syntax,
            "line 1:7 no viable alternative at input ';'",
        ),
        _ => error(ErrorKind::Invalid, &format!("table {text} does not exist")),
    }
}

fn trace_id() -> Uuid {
    Uuid::from_str("11111111-2222-3333-4444-555555555555").expect("valid uuid literal")
}

async fn node() -> FakeNode {
    FakeNode::start(Arc::new(handler)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_prints_cqlsh_table_byte_for_byte() {
    let node = node().await;
    let out = sibylsh(node.addr, &["-e", "select * from ks.t;"]).await;
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(out.status.success());
    let at = "at".to_owned() + &" ".repeat(29);
    let header = format!(" k  | name  | score | tags       | {at} | flag  | data");
    let rule = format!(
        "----+-------+-------+------------+-{}-+-------+--------",
        "-".repeat(31)
    );
    let expected = format!(
        "\n{header}\n{rule}\n  1 | alice |   1.5 | ['a', 'b'] | 2024-01-02 03:04:05.000000+0000 |  True | 0xcafe\n \
         20 |   bob |   NaN |       null | 1969-12-31 23:59:59.999000+0000 | False |   null\n\n(2 rows)\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    let sent = node.queries();
    assert_eq!(sent.len(), 1);
    // Sent verbatim with its `;`, CL ONE and page size 100, as cqlsh does.
    assert_eq!(sent[0].text, "select * from ks.t;");
    assert_eq!(sent[0].consistency, Consistency::One);
    assert_eq!(sent[0].page_size, Some(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_statements_and_shell_commands() {
    let node = node().await;
    let script = "insert into ks.t (k) values (1);\nselect * from ks.empty;\nexpand on\nselect id from ks.u;\n\
                  consistency quorum\nselect * from ks.empty;";
    let out = sibylsh(node.addr, &["-e", script]).await;
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let expected = "\n k | v\n---+---\n\n\n(0 rows)\n\
                    EXPAND set to ON\n\
                    \n@ Row 1\n----+--------------------------------------\n id | 550e8400-e29b-41d4-a716-446655440000\n\n\n(1 rows)\n\
                    Consistency level set to QUORUM.\n\
                    \n k | v\n---+---\n\n\n(0 rows)\n";
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    let sent = node.queries();
    assert_eq!(sent.last().unwrap().consistency, Consistency::Quorum);
    assert_eq!(sent.last().unwrap().text, "select * from ks.empty;");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_go_to_stderr_with_exit_code_2() {
    let node = node().await;
    let out = sibylsh(
        node.addr,
        &[
            "-e",
            "select nope; select * from ks.gone; select * from ks.empty;",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "<stdin>:1:SyntaxException: line 1:7 no viable alternative at input ';'\n\
         <stdin>:1:InvalidRequest: Error from server: code=2200 [Invalid query] message=\"table select * from ks.gone does not exist\"\n"
    );
    // Later statements still run.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\n k | v\n---+---\n\n\n(0 rows)\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_follows_the_paging_state() {
    let node = node().await;
    let out = sibylsh(node.addr, &["-e", "paging 1\nselect k from ks.paged;"]).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Page size: 1\n\n k\n---\n 1\n 22\n\n(2 rows)\n"
    );
    let sent = node.queries();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].page_size, Some(1));
    assert_eq!(sent[1].paging_state.as_deref(), Some(&b"p1"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_forms() {
    let node = node().await;
    let out = sibylsh(node.addr, &["-e", "desc keyspaces;\ndescribe table ks.t;"]).await;
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\nks  system  system_schema\n\n\nCREATE TABLE ks.t (\n    k int PRIMARY KEY\n);\n"
    );
    let sent = node.queries();
    assert!(sent.iter().all(|q| q.consistency == Consistency::LocalOne));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_without_a_certfile_is_a_clear_error_and_unreachable_host_fails() {
    // cqlsh's rule: validation is on by default and needs a certificate file.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sibylsh"))
        .args(["--ssl", "--sibylshrc", "/nonexistent/sibylshrc"])
        .env_remove("SSL_CERTFILE")
        .env_remove("SSL_VALIDATE")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("Validation is enabled; SSL transport factory requires a valid certfile")
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let out = sibylsh(addr, &["-e", "select 1;"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Connection error:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_warnings_follow_the_result() {
    let node = node().await;
    let out = sibylsh(node.addr, &["-e", "select * from ks.warn;"]).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\n k | v\n---+---\n\n\n(0 rows)\n\nWarnings :\nAggregation query used without partition key\n\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_commands_like_cmd_print_topics() {
    let node = node().await;
    let out = sibylsh(node.addr, &["-e", "help"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let ruler = "=".repeat(27);
    assert!(
        stdout.starts_with(&format!("\nDocumented shell commands:\n{ruler}\nCAPTURE  ")),
        "{stdout}"
    );
    assert!(stdout.contains("TRACING"), "{stdout}");
    assert!(out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn color_marks_partition_key_names_and_values() {
    let node = node().await;
    let out = sibylsh(node.addr, &["--color", "-e", "select id from ks.u;"]).await;
    let expected = format!(
        "\n \x1b[0;1;31mid\x1b[0m\n{}\n \x1b[0;1;32m550e8400-e29b-41d4-a716-446655440000\x1b[0m\n\n(1 rows)\n",
        "-".repeat(38)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_mode_with_source_and_capture() {
    let node = node().await;
    let dir = tempfile::tempdir().unwrap();
    let captured = dir.path().join("out.txt");
    let inner = dir.path().join("inner.cql");
    std::fs::write(
        &inner,
        "-- a comment; not a statement\nselect * from ks.empty;\n",
    )
    .unwrap();
    let main = dir.path().join("main.cql");
    std::fs::write(
        &main,
        format!(
            "capture '{}'\nselect * from ks.empty;\ncapture off\nsource '{}'\n/* block ; comment */ select nope;\n",
            captured.display(),
            inner.display()
        ),
    )
    .unwrap();
    let out = sibylsh(node.addr, &["-f", main.to_str().unwrap()]).await;
    let empty = "\n k | v\n---+---\n\n\n(0 rows)\n";
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "Now capturing query output to '{}'.\n{empty}",
            captured.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&captured).unwrap(), empty);
    // cqlsh names the file as given and the line after the statement's last.
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{}:6:SyntaxException: line 1:7 no viable alternative at input ';'\n",
            main.display()
        )
    );
    assert_eq!(out.status.code(), Some(2));
    let texts: Vec<String> = node.queries().into_iter().map(|q| q.text).collect();
    assert_eq!(
        texts,
        vec![
            "select * from ks.empty;",
            "select * from ks.empty;",
            "select nope;"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_session_prints_the_trace_like_cqlsh() {
    let node = node().await;
    let out = sibylsh(
        node.addr,
        &["-e", "SHOW SESSION 11111111-2222-3333-4444-555555555555"],
    )
    .await;
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let row = |a: &str, t: &str, e: &str| {
        format!(" {a:>44} | {t:>32} | 127.0.0.1 | {e:>14} | 127.0.0.1\n")
    };
    let header = format!(
        " {:<44} | {:<32} | {:<9} | source_elapsed | client\n",
        "activity", "timestamp", "source"
    );
    let rule = format!(
        "-{}-+-{}-+-{}-+-{}-+-{}-\n",
        "-".repeat(44),
        "-".repeat(32),
        "-".repeat(9),
        "-".repeat(14),
        "-".repeat(9)
    );
    let expected = format!(
        "\nTracing session: 11111111-2222-3333-4444-555555555555\n\n{header}{rule}{}{}{}\n",
        row("Execute CQL3 query", "2024-01-02 03:04:05", "0"),
        row(
            "Parsing select [Native-Transport-Requests-1]",
            // Event times are timezone-aware in the driver: Python prints `+00:00`.
            "2024-01-02 03:04:05.000100+00:00",
            "100"
        ),
        row("Request complete", "2024-01-02 03:04:05.000500", "500"),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn improper_commands_repeat_the_typed_word() {
    let node = node().await;
    let out = sibylsh(
        node.addr,
        &["-e", "consistency sideways\nExpand maybe\npaging\nexpand\n"],
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "<stdin>:1:Improper consistency command.\n<stdin>:1:Improper Expand command.\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "PAGING is ON\nPage size: 100\nEXPAND is OFF\n"
    );
    assert_eq!(out.status.code(), Some(2));
}
