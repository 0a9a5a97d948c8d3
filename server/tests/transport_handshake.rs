//! Goal: drivers can open a connection at any version we speak, learn what we
//! support, and downgrade when they start too high. Method: raw frames over a
//! real socket to a transport with a scripted handler.

mod support;

use sibyl_protocol::compression::Compression;
use sibyl_protocol::frame::ProtocolVersion;
use sibyl_protocol::request::Request;
use sibyl_protocol::response::{ErrorKind, ResultBody};
use sibyl_protocol::{RawFrame, Response};
use sibyl_server::transport::TransportConfig;
use support::{TestServer, WAIT};
use tokio::io::AsyncReadExt;

#[tokio::test]
async fn an_unsupported_version_gets_the_error_drivers_downgrade_on_then_close() {
    let server = TestServer::start(TransportConfig::default()).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    // Python's first attempt: OPTIONS at DSE_V2 (0x42) on stream 0.
    client.send_raw(&[0x42, 0, 0, 0, 0x05, 0, 0, 0, 0]).await;
    let mut reply = Vec::new();
    tokio::time::timeout(WAIT, client.stream.read_to_end(&mut reply))
        .await
        .unwrap()
        .unwrap();
    let (raw, used) = RawFrame::decode_slice(&reply, 1 << 20).unwrap().unwrap();
    assert_eq!(used, reply.len(), "one frame, then the server closes");
    assert_eq!(reply[0], 0x85, "version byte 0x80 | highest supported");
    assert_eq!(raw.header.stream, 0);
    let text = String::from_utf8_lossy(&raw.body);
    assert!(
        text.contains("Invalid or unsupported protocol version (66); supported versions are (3/v3, 4/v4, 5/v5)"),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test]
async fn options_then_startup_at_v3_v4_and_v5() {
    let server = TestServer::start(TransportConfig::default()).await;
    for version in ProtocolVersion::ALL {
        let mut client = server.client(version).await;
        client.send(0, Request::Options).await;
        let supported = client.recv().await.unwrap();
        let Response::Supported(options) = supported.response else {
            panic!("{supported:?}")
        };
        assert_eq!(options["CQL_VERSION"], ["3.4.7"]);
        assert!(options.contains_key("COMPRESSION"));
        assert_eq!(supported.version, version);
        client.handshake(None).await;
        client.query(7, "hello").await;
        let answer = client.recv().await.unwrap();
        assert_eq!((answer.stream, answer.version), (7, version));
        assert!(matches!(
            answer.response,
            Response::Result(ResultBody::Void)
        ));
        if version >= ProtocolVersion::V4 {
            assert_eq!(answer.warnings, ["served hello"]);
        } else {
            assert!(answer.warnings.is_empty(), "v3 has no warnings");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn lz4_on_v4_frames_and_on_v5_segments() {
    let server = TestServer::start(TransportConfig::default()).await;
    for version in [ProtocolVersion::V4, ProtocolVersion::V5] {
        let mut client = server.client(version).await;
        client.handshake(Some(Compression::Lz4)).await;
        client.query(3, "use ks").await;
        let answer = client.recv().await.unwrap();
        assert_eq!(
            answer.response,
            Response::Result(ResultBody::SetKeyspace("ks".into()))
        );
        // A statement bigger than one v5 segment travels split and comes back whole.
        let big = "y".repeat(300_000);
        client.query(4, &big).await;
        let answer = client.recv().await.unwrap();
        assert_eq!(answer.stream, 4);
        assert_eq!(answer.warnings, ["served 300000 bytes"]);
    }
    server.stop().await;
}

#[tokio::test]
async fn statements_before_startup_and_bad_startups_are_refused() {
    let server = TestServer::start(TransportConfig::default()).await;
    let mut client = server.client(ProtocolVersion::V4).await;
    client.query(1, "too early").await;
    let answer = client.recv().await.unwrap();
    let Response::Error(error) = answer.response else {
        panic!()
    };
    assert!(matches!(error.kind, ErrorKind::Protocol));
    assert_eq!(
        error.message,
        "Unexpected message QUERY, expecting STARTUP or OPTIONS"
    );
    let mut options = sibyl_protocol::types::StringMap::new();
    options.insert("CQL_VERSION".into(), "3.0.0".into());
    options.insert("COMPRESSION".into(), "snappy".into());
    client.send(2, Request::Startup(options)).await;
    let Response::Error(error) = client.recv().await.unwrap().response else {
        panic!()
    };
    assert_eq!(error.message, "Unknown compression algorithm: snappy");
    client.handshake(None).await;
    let mut again = sibyl_protocol::types::StringMap::new();
    again.insert("CQL_VERSION".into(), "3.0.0".into());
    client.send(3, Request::Startup(again)).await;
    let Response::Error(error) = client.recv().await.unwrap().response else {
        panic!()
    };
    assert!(
        error.message.contains("already initialized"),
        "{}",
        error.message
    );
    assert_eq!(
        server
            .handler
            .served
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    server.stop().await;
}
