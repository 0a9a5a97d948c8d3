//! Goal: many requests share a connection without blocking each other, limits
//! answer Overloaded instead of queueing without bound, a crashing request
//! still gets an answer, and shutdown finishes in-flight work. Method: a
//! scripted handler that sleeps, blocks or panics on command.

mod support;

use std::collections::BTreeMap;

use sibyl_protocol::Response;
use sibyl_protocol::frame::ProtocolVersion;
use sibyl_protocol::response::{ErrorKind, ResultBody};
use sibyl_server::transport::TransportConfig;
use support::TestServer;

#[tokio::test]
async fn responses_come_back_out_of_order_on_their_own_streams() {
    let server = TestServer::start(TransportConfig::default()).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    client.handshake(None).await;
    client.query(10, "sleep 300").await;
    client.query(11, "sleep 150").await;
    client.query(12, "sleep 0").await;
    let mut order = Vec::new();
    let mut warnings = BTreeMap::new();
    for _ in 0..3 {
        let frame = client.recv().await.unwrap();
        order.push(frame.stream);
        warnings.insert(frame.stream, frame.warnings);
    }
    assert_eq!(
        order,
        [12, 11, 10],
        "the quick request is not held up by the slow ones"
    );
    assert_eq!(warnings[&10], ["served sleep 300"]);
    server.stop().await;
}

#[tokio::test]
async fn past_the_connection_limit_requests_are_overloaded_not_queued() {
    let config = TransportConfig {
        requests_per_connection_max: 2,
        ..TransportConfig::default()
    };
    let server = TestServer::start(config).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    client.handshake(None).await;
    client.query(1, "block").await;
    client.query(2, "block").await;
    client.query(3, "quick").await;
    let overloaded = client.recv().await.unwrap();
    assert_eq!(overloaded.stream, 3);
    let Response::Error(error) = overloaded.response else {
        panic!("{overloaded:?}")
    };
    assert!(matches!(error.kind, ErrorKind::Overloaded), "{error:?}");
    assert!(error.message.contains("max 2"), "{}", error.message);
    server.handler.release.notify_waiters();
    let mut streams = vec![
        client.recv().await.unwrap().stream,
        client.recv().await.unwrap().stream,
    ];
    streams.sort_unstable();
    assert_eq!(streams, [1, 2]);
    // Permits are back: new requests are served again.
    client.query(4, "quick").await;
    assert!(matches!(
        client.recv().await.unwrap().response,
        Response::Result(ResultBody::Void)
    ));
    server.stop().await;
}

#[tokio::test]
async fn the_node_wide_limit_spans_connections() {
    let config = TransportConfig {
        requests_max: 1,
        ..TransportConfig::default()
    };
    let server = TestServer::start(config).await;
    let mut first = server.client(ProtocolVersion::V4).await;
    first.handshake(None).await;
    let mut second = server.client(ProtocolVersion::V4).await;
    second.handshake(None).await;
    first.query(1, "block").await;
    // Wait until the first request holds the node's only permit.
    tokio::time::timeout(support::WAIT, async {
        while server
            .handler
            .served
            .load(std::sync::atomic::Ordering::SeqCst)
            == 0
        {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    second.query(1, "quick").await;
    let Response::Error(error) = second.recv().await.unwrap().response else {
        panic!()
    };
    assert!(matches!(error.kind, ErrorKind::Overloaded));
    assert!(error.message.contains("on this node"), "{}", error.message);
    server.handler.release.notify_waiters();
    assert_eq!(first.recv().await.unwrap().stream, 1);
    server.stop().await;
}

#[tokio::test]
async fn a_panicking_request_gets_a_server_error_and_the_connection_lives_on() {
    let server = TestServer::start(TransportConfig::default()).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    client.handshake(None).await;
    client.query(5, "panic").await;
    let answer = client.recv().await.unwrap();
    assert_eq!(answer.stream, 5);
    let Response::Error(error) = answer.response else {
        panic!()
    };
    assert!(matches!(error.kind, ErrorKind::Server));
    client.query(6, "after").await;
    assert_eq!(client.recv().await.unwrap().stream, 6);
    server.stop().await;
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_then_closes() {
    let server = TestServer::start(TransportConfig::default()).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    client.handshake(None).await;
    client.query(9, "sleep 200").await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let stopping = tokio::spawn(server.stop());
    let answer = client
        .recv()
        .await
        .expect("the in-flight request is answered");
    assert_eq!(answer.stream, 9);
    assert!(client.recv().await.is_none(), "then the connection closes");
    stopping.await.unwrap();
}
