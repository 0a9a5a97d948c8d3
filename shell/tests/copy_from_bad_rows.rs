//! COPY FROM a CSV with bad rows through the built binary against a fake node:
//! good rows arrive in UNLOGGED batches of prepared INSERTs with the right
//! values, bad rows are reported on stderr with their line numbers, and the
//! counts reconcile (read = imported + failed). COPY TO writes CSV back.

mod common;

use std::sync::Arc;

use common::{FakeNode, SeenQuery, error, rows, sibylsh};
use sibyl_protocol::response::{ErrorKind, Response};
use sibyl_protocol::value::{CqlType, CqlValue};

fn schema() -> Vec<(String, CqlType)> {
    vec![
        ("k".into(), CqlType::Int),
        ("v".into(), CqlType::Text),
        ("at".into(), CqlType::Timestamp),
    ]
}

fn handler(q: &SeenQuery) -> Response {
    let cols = [
        ("k", CqlType::Int),
        ("v", CqlType::Text),
        ("at", CqlType::Timestamp),
    ];
    match q.text.as_str() {
        "SELECT * FROM ks.t LIMIT 1" => rows(&cols, &[], None),
        "SELECT k, v, at FROM ks.t" => rows(
            &cols,
            &[
                vec![
                    Some(CqlValue::Int(1)),
                    Some(CqlValue::Text("a,b".into())),
                    Some(CqlValue::Timestamp(1_704_164_645_123)),
                ],
                vec![Some(CqlValue::Int(2)), None, None],
            ],
            None,
        ),
        _ => error(ErrorKind::Invalid, "unexpected"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_reported_and_counts_reconcile() {
    let node = FakeNode::with_schema(Arc::new(handler), Arc::new(schema())).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "k,v,at\n1,one,2024-01-02 03:04:05+0000\nx,bad int,\n3,\"quoted, comma\",\n4,too,many,fields\n5,,2024-01-02\n",
    )
    .unwrap();
    let stmt = format!(
        "COPY ks.t (k, v, at) FROM '{}' WITH HEADER = true;",
        csv.display()
    );
    let out = sibylsh(node.addr, &["-e", &stmt]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stdout.starts_with("\nStarting copy of ks.t with columns ['k', 'v', 'at'].\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n3 rows imported from 1 files in "),
        "{stdout}"
    );
    assert!(stdout.ends_with(" (0 skipped).\n"), "{stdout}");
    let bad: Vec<&str> = stderr.lines().collect();
    assert_eq!(bad.len(), 2, "{stderr}");
    assert!(
        bad[0].starts_with(
            "<stdin>:1:Failed to import 1 rows: ParseError - line 3: Failed to parse x as int"
        ),
        "{stderr}"
    );
    assert_eq!(
        bad[1],
        "<stdin>:1:Failed to import 1 rows: ParseError - line 5: Invalid row length 4 should be 3,  given up without retries"
    );
    assert_eq!(out.status.code(), Some(2));
    let inserted = node.inserted.lock().unwrap().clone();
    assert_eq!(inserted.len(), 3);
    assert_eq!(
        inserted[0],
        vec![
            ("k".to_owned(), Some(CqlValue::Int(1))),
            ("v".to_owned(), Some(CqlValue::Text("one".into()))),
            (
                "at".to_owned(),
                Some(CqlValue::Timestamp(1_704_164_645_000))
            ),
        ]
    );
    // A null field leaves its column out of that row's INSERT.
    assert_eq!(
        inserted[1],
        vec![
            ("k".to_owned(), Some(CqlValue::Int(3))),
            ("v".to_owned(), Some(CqlValue::Text("quoted, comma".into())))
        ]
    );
    assert_eq!(inserted[2][0], ("k".to_owned(), Some(CqlValue::Int(5))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_to_stdout_writes_csv() {
    let node = FakeNode::with_schema(Arc::new(handler), Arc::new(schema())).await;
    let out = sibylsh(
        node.addr,
        &[
            "-e",
            "COPY ks.t TO STDOUT WITH HEADER = true AND NULL = 'N';",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(
        stdout.starts_with(
            "\nStarting copy of ks.t with columns ['k', 'v', 'at'].\nk,v,at\n1,\"a,b\",2024-01-02 03:04:05.123+0000\n2,N,N\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n2 rows exported to 0 files in "),
        "{stdout}"
    );
}
