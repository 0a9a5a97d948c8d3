//! Connection-level behaviour: negotiation, authentication, concurrency,
//! timeouts, failure of a dying socket, keyspace and events.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sibyl_protocol::ProtocolVersion;
use sibyl_protocol::client::{ClientError, ConnectOptions, Connection};
use sibyl_protocol::request::{EventType, Query, Request};
use sibyl_protocol::response::{
    ColumnSpec, Event, Response, ResultBody, Rows, RowsMetadata, SchemaChange, SchemaChangeTarget,
    SchemaChangeType,
};
use sibyl_protocol::value::CqlType;
use tokio::time::timeout;

use super::server::{Action, Config, FakeServer, reply};

pub const LIMIT: Duration = Duration::from_secs(10);

/// A one-column text Rows result holding `text`.
pub fn text_rows(text: &str) -> Response {
    let col = ColumnSpec {
        keyspace: "ks".into(),
        table: "t".into(),
        name: "v".into(),
        ty: CqlType::Text,
    };
    Response::Result(ResultBody::Rows(Rows {
        metadata: RowsMetadata::with_columns(vec![col]),
        rows: vec![vec![Some(Bytes::copy_from_slice(text.as_bytes()))]],
    }))
}

pub fn query_text(req: &Request) -> String {
    match req {
        Request::Query(q) => q.query.clone(),
        _ => String::new(),
    }
}

/// Echoes the query text as one row, after `delay(text)`.
pub fn echo_server(delay: fn(&str) -> Duration) -> Config {
    Config::new(Arc::new(move |_, frame| {
        let text = query_text(&frame.request);
        if text == "close" {
            return vec![Action::Close];
        }
        vec![Action::Reply(text_rows(&text), delay(&text))]
    }))
}

pub fn no_delay(_: &str) -> Duration {
    Duration::ZERO
}

pub async fn connect(addr: SocketAddr, options: ConnectOptions) -> Result<Connection, ClientError> {
    timeout(LIMIT, Connection::connect(addr, options))
        .await
        .expect("connect within the limit")
}

pub fn q(text: &str) -> Query {
    Query {
        query: text.into(),
        params: Default::default(),
    }
}

pub fn first_text(body: &ResultBody) -> String {
    match body {
        ResultBody::Rows(r) => String::from_utf8(r.rows[0][0].clone().unwrap().to_vec()).unwrap(),
        other => panic!("not rows: {other:?}"),
    }
}

#[tokio::test]
async fn negotiation_steps_down_from_v5_to_v4() {
    let mut config = echo_server(no_delay);
    config.versions = vec![ProtocolVersion::V3, ProtocolVersion::V4];
    let server = FakeServer::start(config).await;
    let conn = connect(server.addr, ConnectOptions::default())
        .await
        .unwrap();
    assert_eq!(conn.version(), ProtocolVersion::V4);
    let body = timeout(LIMIT, conn.query(q("hello")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_text(&body), "hello");
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.connections, 2, "one rejected connection, then v4");
    assert_eq!(seen.rejected, vec![0x05]);
    assert!(
        seen.requests
            .iter()
            .all(|(n, _, f)| *n == 2 && f.version == ProtocolVersion::V4)
    );
}

#[tokio::test]
async fn fixed_version_is_not_downgraded() {
    let mut config = echo_server(no_delay);
    config.versions = vec![ProtocolVersion::V4];
    let server = FakeServer::start(config).await;
    let options = ConnectOptions {
        protocol_version: Some(ProtocolVersion::V5),
        ..ConnectOptions::default()
    };
    let err = connect(server.addr, options).await.unwrap_err();
    assert!(err.is_version_rejection(), "{err}");
    assert_eq!(server.seen.lock().unwrap().connections, 1);
}

#[tokio::test]
async fn every_version_rejected_is_a_typed_error() {
    let mut config = echo_server(no_delay);
    config.versions = vec![];
    let server = FakeServer::start(config).await;
    let err = connect(server.addr, ConnectOptions::default())
        .await
        .unwrap_err();
    match err {
        ClientError::UnsupportedVersion { tried, .. } => assert_eq!(tried.len(), 3),
        other => panic!("{other}"),
    }
}

fn auth_config() -> Config {
    let mut config = echo_server(no_delay);
    config.credentials = Some(("cassandra".into(), "s3cret".into()));
    config
}

#[tokio::test]
async fn sasl_plain_authenticates() {
    // AUTH_RESPONSE already travels compressed (v4) or in segments (v5).
    let lz4 = Some(sibyl_protocol::compression::Compression::Lz4);
    let cases = [
        (ProtocolVersion::V4, None),
        (ProtocolVersion::V4, lz4),
        (ProtocolVersion::V5, None),
        (ProtocolVersion::V5, lz4),
    ];
    for (version, compression) in cases {
        let mut config = auth_config();
        config.lz4 = true;
        let server = FakeServer::start(config).await;
        let options = ConnectOptions {
            protocol_version: Some(version),
            compression,
            credentials: Some(("cassandra".into(), "s3cret".into())),
            ..ConnectOptions::default()
        };
        let conn = connect(server.addr, options).await.unwrap();
        let body = timeout(LIMIT, conn.query(q("after auth")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first_text(&body), "after auth");
        let token = server
            .requests()
            .into_iter()
            .find_map(|(_, flags, f)| match f.request {
                Request::AuthResponse(t) => Some((flags, t)),
                _ => None,
            });
        let (flags, token) = token.unwrap();
        assert_eq!(token.as_deref(), Some(&b"\0cassandra\0s3cret"[..]));
        let compressed = version == ProtocolVersion::V4 && compression.is_some();
        assert_eq!(flags & 0x01 != 0, compressed, "{version:?} {compression:?}");
    }
}

#[tokio::test]
async fn bad_or_missing_credentials_fail() {
    let server = FakeServer::start(auth_config()).await;
    let options = ConnectOptions {
        credentials: Some(("cassandra".into(), "wrong".into())),
        ..ConnectOptions::default()
    };
    match connect(server.addr, options).await.unwrap_err() {
        ClientError::Authentication(m) => assert!(m.contains("incorrect"), "{m}"),
        other => panic!("{other}"),
    }
    let err = connect(server.addr, ConnectOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Authentication(_)), "{err}");
}

#[tokio::test]
async fn concurrent_requests_answered_out_of_order_reach_their_callers() {
    // Later requests are answered first.
    fn delay(text: &str) -> Duration {
        let i: u64 = text.trim_start_matches("q").parse().unwrap_or(0);
        Duration::from_millis(5 * (60 - i))
    }
    let server = FakeServer::start(echo_server(delay)).await;
    let conn = connect(server.addr, ConnectOptions::default())
        .await
        .unwrap();
    let calls = (0..60).map(|i| {
        let conn = conn.clone();
        tokio::spawn(async move { (i, conn.query(q(&format!("q{i}"))).await) })
    });
    for call in calls.collect::<Vec<_>>() {
        let (i, result) = timeout(LIMIT, call).await.unwrap().unwrap();
        assert_eq!(first_text(&result.unwrap()), format!("q{i}"));
    }
    let mut streams: Vec<i16> = server
        .requests()
        .iter()
        .filter(|(_, _, f)| matches!(f.request, Request::Query(_)))
        .map(|(_, _, f)| f.stream)
        .collect();
    streams.sort_unstable();
    streams.dedup();
    assert!(streams.len() > 1, "requests were in flight together");
}

#[tokio::test]
async fn in_flight_bound_queues_requests_beyond_it() {
    fn delay(_: &str) -> Duration {
        Duration::from_millis(20)
    }
    let server = FakeServer::start(echo_server(delay)).await;
    let options = ConnectOptions {
        in_flight_max: 2,
        ..ConnectOptions::default()
    };
    let conn = connect(server.addr, options).await.unwrap();
    let calls: Vec<_> = (0..8)
        .map(|i| {
            let conn = conn.clone();
            tokio::spawn(async move { conn.query(q(&format!("x{i}"))).await })
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        let body = timeout(LIMIT, call).await.unwrap().unwrap().unwrap();
        assert_eq!(first_text(&body), format!("x{i}"));
    }
    assert!(server.requests().iter().all(|(_, _, f)| f.stream < 2));
}

#[tokio::test]
async fn a_slow_response_times_out_and_the_connection_stays_usable() {
    fn delay(text: &str) -> Duration {
        if text == "slow" {
            Duration::from_secs(30)
        } else {
            Duration::ZERO
        }
    }
    let server = FakeServer::start(echo_server(delay)).await;
    let options = ConnectOptions {
        request_timeout: Duration::from_millis(200),
        ..ConnectOptions::default()
    };
    let conn = connect(server.addr, options).await.unwrap();
    let err = timeout(LIMIT, conn.query(q("slow")))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err,
        ClientError::Timeout {
            after: Duration::from_millis(200)
        }
    );
    let body = timeout(LIMIT, conn.query(q("fast")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_text(&body), "fast");
    assert!(!conn.is_closed());
}

#[tokio::test]
async fn server_closing_mid_request_fails_every_pending_request() {
    fn delay(_: &str) -> Duration {
        Duration::from_secs(30)
    }
    let server = FakeServer::start(echo_server(delay)).await;
    let conn = connect(server.addr, ConnectOptions::default())
        .await
        .unwrap();
    let pending: Vec<_> = (0..10)
        .map(|i| {
            let conn = conn.clone();
            tokio::spawn(async move { conn.query(q(&format!("wait{i}"))).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let closer = timeout(LIMIT, conn.query(q("close"))).await.unwrap();
    assert!(closer.is_err());
    for p in pending {
        let err = timeout(LIMIT, p).await.unwrap().unwrap().unwrap_err();
        assert!(
            matches!(err, ClientError::Closed(_) | ClientError::Io { .. }),
            "{err}"
        );
    }
    assert!(conn.is_closed());
    let err = timeout(LIMIT, conn.query(q("after")))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Closed(_) | ClientError::Io { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn close_fails_pending_requests() {
    fn delay(_: &str) -> Duration {
        Duration::from_secs(30)
    }
    let server = FakeServer::start(echo_server(delay)).await;
    let conn = connect(server.addr, ConnectOptions::default())
        .await
        .unwrap();
    let c2 = conn.clone();
    let pending = tokio::spawn(async move { c2.query(q("never")).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    conn.close();
    let err = timeout(LIMIT, pending).await.unwrap().unwrap().unwrap_err();
    assert!(matches!(err, ClientError::Closed(_)), "{err}");
}

fn schema_event() -> Event {
    Event::SchemaChange(SchemaChange {
        change: SchemaChangeType::Created,
        target: SchemaChangeTarget::Table {
            keyspace: "ks".into(),
            name: "t".into(),
        },
    })
}

#[tokio::test]
async fn register_delivers_events() {
    for version in [ProtocolVersion::V4, ProtocolVersion::V5] {
        let config = Config::new(Arc::new(|_, frame| match &frame.request {
            Request::Register(_) => vec![
                Action::Reply(Response::Ready, Duration::ZERO),
                Action::Event(schema_event()),
            ],
            _ => reply(text_rows("x")),
        }));
        let server = FakeServer::start(config).await;
        let options = ConnectOptions {
            protocol_version: Some(version),
            ..ConnectOptions::default()
        };
        let conn = connect(server.addr, options).await.unwrap();
        let kinds = [EventType::SchemaChange, EventType::StatusChange];
        let mut events = timeout(LIMIT, conn.register(&kinds))
            .await
            .unwrap()
            .unwrap();
        let event = timeout(LIMIT, events.recv()).await.unwrap().unwrap();
        assert_eq!(event, schema_event());
        let registered = server
            .requests()
            .into_iter()
            .find_map(|(_, _, f)| match f.request {
                Request::Register(k) => Some(k),
                _ => None,
            });
        assert_eq!(registered, Some(kinds.to_vec()));
        drop(conn);
        let end = timeout(LIMIT, events.recv()).await.unwrap();
        assert!(end.is_none(), "the receiver ends with the connection");
    }
}

#[tokio::test]
async fn keyspace_option_sends_use() {
    let config = Config::new(Arc::new(|_, frame| {
        let text = query_text(&frame.request);
        assert_eq!(text, "USE \"My\"\"Ks\"");
        reply(Response::Result(ResultBody::SetKeyspace("My\"Ks".into())))
    }));
    let server = FakeServer::start(config).await;
    let options = ConnectOptions {
        keyspace: Some("My\"Ks".into()),
        ..ConnectOptions::default()
    };
    connect(server.addr, options).await.unwrap();
    assert_eq!(server.requests().len(), 3, "OPTIONS, STARTUP, USE");
}
