//! Wire framing seen through the client: v4 LZ4 bodies, v5 segments with and
//! without LZ4 (including frames larger than one segment), and a malformed
//! frame failing the connection.

use std::time::Duration;

use sibyl_protocol::ProtocolVersion;
use sibyl_protocol::client::{ClientError, ConnectOptions};
use sibyl_protocol::compression::Compression;
use sibyl_protocol::frame::FrameFlags;
use sibyl_protocol::request::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::timeout;

use super::basics::{LIMIT, connect, echo_server, first_text, no_delay, q};
use super::server::FakeServer;

async fn round_trips(version: ProtocolVersion, compression: Option<Compression>) -> FakeServer {
    let mut config = echo_server(no_delay);
    config.lz4 = true;
    let server = FakeServer::start(config).await;
    let options = ConnectOptions {
        protocol_version: Some(version),
        compression,
        ..ConnectOptions::default()
    };
    let conn = connect(server.addr, options).await.unwrap();
    assert_eq!(conn.version(), version);
    assert_eq!(conn.compression(), compression);
    // Small, compressible-large (> one 128 KiB segment) and concurrent requests.
    let big = "abcdefgh".repeat(40_000);
    let small = timeout(LIMIT, conn.query(q("small")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_text(&small), "small");
    let large = timeout(LIMIT, conn.query(q(&big))).await.unwrap().unwrap();
    assert_eq!(first_text(&large), big);
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let conn = conn.clone();
            tokio::spawn(async move { conn.query(q(&format!("c{i}"))).await })
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        let body = timeout(LIMIT, call).await.unwrap().unwrap().unwrap();
        assert_eq!(first_text(&body), format!("c{i}"));
    }
    server
}

#[tokio::test]
async fn v4_lz4_compresses_bodies_after_startup() {
    let server = round_trips(ProtocolVersion::V4, Some(Compression::Lz4)).await;
    let requests = server.requests();
    let startup = requests
        .iter()
        .find_map(|(_, flags, f)| match &f.request {
            Request::Startup(o) => Some((flags, o.get("COMPRESSION").cloned())),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        startup,
        (&0, Some("lz4".to_string())),
        "STARTUP itself is plain"
    );
    let queries: Vec<_> = requests
        .iter()
        .filter(|(_, _, f)| matches!(f.request, Request::Query(_)))
        .collect();
    assert_eq!(queries.len(), 22);
    assert!(
        queries
            .iter()
            .all(|(_, flags, _)| flags & FrameFlags::COMPRESSION != 0)
    );
}

#[tokio::test]
async fn v4_without_compression_when_not_offered() {
    let server = FakeServer::start(echo_server(no_delay)).await;
    let options = ConnectOptions {
        protocol_version: Some(ProtocolVersion::V4),
        compression: Some(Compression::Lz4),
        ..ConnectOptions::default()
    };
    let conn = connect(server.addr, options).await.unwrap();
    assert_eq!(conn.compression(), None);
    let body = timeout(LIMIT, conn.query(q("plain")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_text(&body), "plain");
}

#[tokio::test]
async fn v5_segments_without_compression() {
    let server = round_trips(ProtocolVersion::V5, None).await;
    assert_eq!(server.seen.lock().unwrap().segmented, 1);
}

#[tokio::test]
async fn v5_segments_with_lz4() {
    let server = round_trips(ProtocolVersion::V5, Some(Compression::Lz4)).await;
    let requests = server.requests();
    assert_eq!(server.seen.lock().unwrap().segmented, 1);
    // In v5 the frame flag is never set: compression is per segment.
    assert!(
        requests
            .iter()
            .all(|(_, flags, _)| flags & FrameFlags::COMPRESSION == 0)
    );
}

#[tokio::test]
async fn v5_is_what_negotiation_picks_when_offered() {
    let server = FakeServer::start(echo_server(no_delay)).await;
    let conn = connect(server.addr, ConnectOptions::default())
        .await
        .unwrap();
    assert_eq!(conn.version(), ProtocolVersion::V5);
    let body = timeout(LIMIT, conn.query(q("v5"))).await.unwrap().unwrap();
    assert_eq!(first_text(&body), "v5");
}

/// A hand-rolled server: SUPPORTED and READY, then garbage for the query.
#[tokio::test]
async fn malformed_response_fails_pending_requests() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        // OPTIONS -> SUPPORTED {} ; STARTUP -> READY ; QUERY -> bad opcode.
        let _ = s.read(&mut buf).await.unwrap();
        s.write_all(&[0x84, 0, 0, 0, 0x06, 0, 0, 0, 2, 0, 0])
            .await
            .unwrap();
        let _ = s.read(&mut buf).await.unwrap();
        s.write_all(&[0x84, 0, 0, 0, 0x02, 0, 0, 0, 0])
            .await
            .unwrap();
        let _ = s.read(&mut buf).await.unwrap();
        s.write_all(&[0x84, 0, 0, 0, 0x77, 0, 0, 0, 0])
            .await
            .unwrap();
        // The client drops the socket: end of stream while it is still open.
        s.read(&mut buf).await.unwrap()
    });
    let options = ConnectOptions {
        protocol_version: Some(ProtocolVersion::V4),
        ..ConnectOptions::default()
    };
    let conn = connect(addr, options).await.unwrap();
    let err = timeout(LIMIT, conn.query(q("x")))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, ClientError::Protocol(_)), "{err}");
    assert!(conn.is_closed());
    let eof = timeout(LIMIT, server).await.unwrap().unwrap();
    assert_eq!(eof, 0, "the client closed its socket");
}

#[tokio::test]
async fn oversized_response_is_refused() {
    let server = FakeServer::start(echo_server(no_delay)).await;
    let mut options = ConnectOptions {
        protocol_version: Some(ProtocolVersion::V4),
        ..ConnectOptions::default()
    };
    options.limits.frame_body_bytes_max = 1024;
    let conn = connect(server.addr, options).await.unwrap();
    let err = timeout(LIMIT, conn.query(q(&"z".repeat(4000))))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, ClientError::Protocol(_)), "{err}");
}

#[tokio::test]
async fn a_silent_server_hits_the_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (_socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let options = ConnectOptions {
        connect_timeout: Duration::from_millis(200),
        ..ConnectOptions::default()
    };
    let err = connect(addr, options).await.unwrap_err();
    assert_eq!(
        err,
        ClientError::ConnectTimeout {
            after: Duration::from_millis(200)
        }
    );
    server.abort();
}

#[tokio::test]
async fn bad_options_are_refused_before_connecting() {
    let options = ConnectOptions {
        in_flight_max: 0,
        ..ConnectOptions::default()
    };
    let err = connect("127.0.0.1:1".parse().unwrap(), options)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Invalid(_)), "{err}");
}

mod arbitrary_bytes {
    use bytes::BytesMut;
    use proptest::prelude::*;
    use sibyl_protocol::client::framing::FrameReader;
    use sibyl_protocol::compression::Compression;
    use sibyl_protocol::limits::Limits;
    use sibyl_protocol::segment::SegmentCodec;

    fn drain(reader: &mut FrameReader, bytes: &[u8]) {
        let mut buf = BytesMut::from(bytes);
        // Stops at the first error or when more bytes are needed.
        for _ in 0..bytes.len() + 1 {
            match reader.next_frame(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn frame_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let limits = Limits { frame_body_bytes_max: 4096, ..Limits::default() };
            drain(&mut FrameReader::new(limits), &bytes);
            let mut segmented = FrameReader::new(limits);
            segmented.enable_segments(None);
            drain(&mut segmented, &bytes);
            let mut compressed = FrameReader::new(limits);
            compressed.enable_segments(Some(Compression::Lz4));
            drain(&mut compressed, &bytes);
            // Garbage inside valid segments reaches the frame assembler.
            for c in [None, Some(Compression::Lz4)] {
                let mut wrapped = BytesMut::new();
                SegmentCodec::new(c).encode(&bytes, &mut wrapped).unwrap();
                let mut reader = FrameReader::new(limits);
                reader.enable_segments(c);
                drain(&mut reader, &wrapped);
            }
        }
    }
}

#[test]
fn writer_and_reader_agree_on_batched_and_split_frames() {
    use bytes::{Bytes, BytesMut};
    use sibyl_protocol::RequestFrame;
    use sibyl_protocol::client::framing::{FrameReader, FrameWriter};
    use sibyl_protocol::limits::Limits;

    let v = ProtocolVersion::V5;
    let frames: Vec<Bytes> = [
        RequestFrame::new(v, 1, Request::Options),
        RequestFrame::new(v, 2, Request::Query(q(&"x".repeat(200_000)))),
        RequestFrame::new(v, 3, Request::Query(q("a"))),
        RequestFrame::new(v, 4, Request::Query(q("b"))),
    ]
    .iter()
    .map(|f| f.to_raw(None).unwrap().to_bytes())
    .collect();
    for compression in [None, Some(Compression::Lz4)] {
        let mut writer = FrameWriter::new();
        writer.enable_segments(compression);
        let mut wire = BytesMut::new();
        writer.write_frames(&frames, &mut wire).unwrap();
        let mut reader = FrameReader::new(Limits::default());
        reader.enable_segments(compression);
        // Feed the bytes in small pieces: frames come out whole and in order.
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for piece in wire.chunks(1000) {
            buf.extend_from_slice(piece);
            while let Some(raw) = reader.next_frame(&mut buf).unwrap() {
                got.push(raw.to_bytes());
            }
        }
        assert_eq!(got, frames, "{compression:?}");
        assert!(buf.is_empty());
    }
}

/// A hand-rolled server that sees the socket close when the last handle drops.
#[tokio::test]
async fn dropping_the_connection_closes_the_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let _ = s.read(&mut buf).await.unwrap();
        s.write_all(&[0x84, 0, 0, 0, 0x06, 0, 0, 0, 2, 0, 0])
            .await
            .unwrap();
        let _ = s.read(&mut buf).await.unwrap();
        s.write_all(&[0x84, 0, 0, 0, 0x02, 0, 0, 0, 0])
            .await
            .unwrap();
        s.read(&mut buf).await.unwrap()
    });
    let options = ConnectOptions {
        protocol_version: Some(ProtocolVersion::V4),
        ..ConnectOptions::default()
    };
    let conn = connect(addr, options).await.unwrap();
    let clone = conn.clone();
    drop(conn);
    assert!(!clone.is_closed(), "a clone keeps it open");
    drop(clone);
    let eof = timeout(LIMIT, server).await.unwrap().unwrap();
    assert_eq!(eof, 0);
}
