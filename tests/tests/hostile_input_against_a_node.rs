//! Goal: a real node answers hostile or broken input with an error and keeps
//! serving everyone (DESIGN §7): statements nested 100,000 deep, statements of
//! several megabytes, invalid UTF-8, garbage and truncated frames, a 2 GiB
//! header, and hundreds of idle connections.
//! Method: our protocol client and raw sockets against a real `sibyld`; after
//! each abuse a fresh client must still be served.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use sibyl_protocol::client::{ConnectOptions, QueryOptions, Session};
use sibyl_tests::node::Node;

async fn start() -> Node {
    tokio::task::spawn_blocking(|| Node::start(&[]))
        .await
        .expect("the start task runs")
        .expect("sibyld starts")
}

async fn still_serving(node: &Node) {
    let session = Session::connect(node.native(), ConnectOptions::default())
        .await
        .expect("a fresh client connects");
    session
        .query(
            "SELECT release_version FROM system.local",
            &[],
            &QueryOptions::default(),
        )
        .await
        .expect("and is served");
}

/// Writes `bytes` on a new connection and returns what comes back before the
/// server closes it or `wait` passes.
async fn raw(address: SocketAddr, bytes: Vec<u8>, wait: Duration) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        let mut socket = TcpStream::connect(address).expect("connect");
        socket.set_read_timeout(Some(wait)).expect("timeout");
        socket.write_all(&bytes).expect("write");
        let mut reply = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = socket.read(&mut buffer) {
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buffer[..n]);
        }
        reply
    })
    .await
    .expect("the socket task runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_and_huge_statements_are_refused() {
    let node = start().await;
    let session = Session::connect(node.native(), ConnectOptions::default())
        .await
        .expect("connect");
    let options = QueryOptions::default();
    let nested = format!(
        "SELECT * FROM system.local WHERE key = {}1{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    session
        .query(&nested, &[], &options)
        .await
        .expect_err("deep nesting is refused");
    let long = format!(
        "SELECT * FROM system.local WHERE key = '{}'",
        "x".repeat(3 * 1024 * 1024)
    );
    session
        .query(&long, &[], &options)
        .await
        .expect_err("a 3 MiB statement is refused");
    session
        .query("CREATE KEYSPACE h WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", &[], &options)
        .await
        .expect("the same connection still works");
    still_serving(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_a_statement_is_an_error() {
    let node = start().await;
    let mut frames = vec![0x04, 0, 0, 1, 0x01, 0, 0, 0, 0x16, 0, 1, 0, 0x0b];
    frames.extend_from_slice(b"CQL_VERSION");
    frames.extend_from_slice(&[0, 5]);
    frames.extend_from_slice(b"3.0.0");
    // QUERY: [long string] of 2 bytes that are not UTF-8, consistency ONE, no flags.
    frames.extend_from_slice(&[
        0x04, 0, 0, 2, 0x07, 0, 0, 0, 9, 0, 0, 0, 2, 0xff, 0xfe, 0, 1, 0,
    ]);
    let reply = raw(node.native(), frames, Duration::from_millis(1500)).await;
    // READY (9 bytes) then an ERROR frame on stream 2.
    let error = reply.get(9..).expect("a second frame");
    assert_eq!(
        (error.first(), error.get(3), error.get(4)),
        (Some(&0x84), Some(&2), Some(&0x00)),
        "{reply:?}"
    );
    still_serving(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_truncated_and_oversized_frames_are_refused() {
    let node = start().await;
    let abuses: [&[u8]; 4] = [
        b"\x00\x01garbage garbage garbage",
        b"GET / HTTP/1.1\r\n\r\n",
        &[0x04, 0, 0, 1, 0x07, 0x7f, 0xff, 0xff, 0xff],
        &[0x04, 0, 0],
    ];
    for bytes in abuses {
        raw(node.native(), bytes.to_vec(), Duration::from_secs(2)).await;
        still_serving(&node).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_idle_connections_do_not_block_others() {
    let node = start().await;
    let address = node.native();
    let idle = tokio::task::spawn_blocking(move || {
        (0..300)
            .map(|_| TcpStream::connect(address).expect("idle connection"))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    still_serving(&node).await;
    drop(idle);
    still_serving(&node).await;
}
