//! Goal: broken or hostile clients get an error or a closed connection while
//! the node keeps serving everyone else, with bounded memory. Method: garbage
//! bytes, a header announcing a 2 GiB body, a malformed body, idle sockets
//! beyond the connection limit.

mod support;

use sibyl_protocol::Response;
use sibyl_protocol::frame::ProtocolVersion;
use sibyl_protocol::response::{ErrorKind, ResultBody};
use sibyl_server::transport::TransportConfig;
use support::{TestServer, WAIT};
use tokio::io::AsyncReadExt;

async fn assert_still_serving(server: &TestServer) {
    let mut client = server.client(ProtocolVersion::V4).await;
    client.handshake(None).await;
    client.query(1, "still here").await;
    assert!(matches!(
        client.recv().await.expect("an answer").response,
        Response::Result(ResultBody::Void)
    ));
}

async fn read_until_closed(client: &mut support::TestClient) -> Vec<u8> {
    let mut bytes = Vec::new();
    tokio::time::timeout(WAIT, client.stream.read_to_end(&mut bytes))
        .await
        .expect("closed in time")
        .expect("read");
    bytes
}

#[tokio::test]
async fn garbage_bytes_get_a_protocol_error_and_a_closed_socket() {
    let server = TestServer::start(TransportConfig::default()).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    client
        .send_raw(b"GET / HTTP/1.1\r\nHost: sibyl\r\n\r\n")
        .await;
    let reply = read_until_closed(&mut client).await;
    assert!(String::from_utf8_lossy(&reply).contains("Invalid or unsupported protocol version"));
    assert_still_serving(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_two_gib_body_is_refused_before_anything_is_allocated() {
    let server = TestServer::start(TransportConfig::default()).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    client.handshake(None).await;
    // QUERY header announcing 0x7fffffff bytes of body.
    client
        .send_raw(&[0x04, 0, 0, 2, 0x07, 0x7f, 0xff, 0xff, 0xff])
        .await;
    let reply = read_until_closed(&mut client).await;
    let text = String::from_utf8_lossy(&reply);
    assert!(text.contains("Invalid frame"), "{text}");
    assert_still_serving(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_malformed_body_is_answered_and_the_connection_stays_usable() {
    let server = TestServer::start(TransportConfig::default()).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    client.handshake(None).await;
    // QUERY whose [long string] claims 1000 bytes but the body has 4.
    client
        .send_raw(&[0x04, 0, 0, 3, 0x07, 0, 0, 0, 4, 0, 0, 0x03, 0xe8])
        .await;
    let answer = client.recv().await.unwrap();
    assert_eq!(answer.stream, 3);
    let Response::Error(error) = answer.response else {
        panic!("{answer:?}")
    };
    assert!(matches!(error.kind, ErrorKind::Protocol));
    client.query(4, "fine").await;
    assert_eq!(client.recv().await.unwrap().stream, 4);
    server.stop().await;
}

#[tokio::test]
async fn idle_connections_beyond_the_limit_are_closed_and_others_still_work() {
    let config = TransportConfig {
        connections_max: 200,
        ..TransportConfig::default()
    };
    let server = TestServer::start(config).await;
    let mut idle = Vec::new();
    for _ in 0..199 {
        idle.push(server.client(ProtocolVersion::V4).await);
    }
    assert_still_serving(&server).await;
    // One slot left after the check above closed; fill it, then one more is refused.
    idle.push(server.client(ProtocolVersion::V4).await);
    let mut refused = server.client(ProtocolVersion::V4).await;
    let closed = read_until_closed(&mut refused).await;
    assert!(
        closed.is_empty(),
        "a connection past the limit is closed at once"
    );
    drop(idle);
    tokio::time::timeout(WAIT, async {
        loop {
            let mut client = server.client(ProtocolVersion::V4).await;
            client
                .send(0, sibyl_protocol::request::Request::Options)
                .await;
            if client.recv().await.is_some() {
                break;
            }
        }
    })
    .await
    .unwrap();
    server.stop().await;
}
