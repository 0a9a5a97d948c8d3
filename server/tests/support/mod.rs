//! A raw-protocol test client and a scripted handler for transport tests.
#![allow(
    dead_code,
    reason = "each test file uses a different part of the support module"
)]
#![expect(
    clippy::unwrap_used,
    reason = "test support: any failure is a test failure"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use sibyl_protocol::compression::Compression;
use sibyl_protocol::frame::ProtocolVersion;
use sibyl_protocol::limits::Limits;
use sibyl_protocol::request::{Query, QueryParameters, Request};
use sibyl_protocol::response::{ErrorKind, Event, ResultBody};
use sibyl_protocol::segment::{FrameAssembler, SegmentCodec};
use sibyl_protocol::{RawFrame, RequestFrame, Response, ResponseFrame};
use sibyl_server::shutdown::Shutdown;
use sibyl_server::transport::{
    ClientSession, EventSender, HandlerResponse, Listener, RequestHandler, TransportConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Every wait in these tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(10);

/// A handler whose behaviour the query text selects:
/// `sleep N` waits N ms, `block` waits for `release`, `panic` panics,
/// `use KS` sets the keyspace; anything else answers Void.
#[derive(Default)]
pub struct ScriptedHandler {
    pub release: Notify,
    pub served: AtomicUsize,
}

impl RequestHandler for ScriptedHandler {
    async fn handle(&self, session: Arc<ClientSession>, request: RequestFrame) -> HandlerResponse {
        self.served.fetch_add(1, Ordering::SeqCst);
        let Request::Query(query) = request.request else {
            return HandlerResponse::error(ErrorKind::Invalid, "only QUERY in this test");
        };
        let text = query.query.as_str();
        if let Some(ms) = text.strip_prefix("sleep ") {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap())).await;
        } else if text == "block" {
            self.release.notified().await;
        } else if text == "panic" {
            panic!("scripted panic");
        } else if let Some(ks) = text.strip_prefix("use ") {
            session.set_keyspace(ks);
            return HandlerResponse::new(Response::Result(ResultBody::SetKeyspace(ks.to_owned())));
        }
        let mut answer = HandlerResponse::new(Response::Result(ResultBody::Void));
        answer.warnings = if text.len() <= 100 {
            vec![format!("served {text}")]
        } else {
            vec![format!("served {} bytes", text.len())]
        };
        answer
    }

    async fn authenticate(&self, user: &str, password: &str) -> Result<(), String> {
        if user == "cassandra" && password == "cassandra" {
            Ok(())
        } else {
            Err(format!(
                "Provided username {user} and/or password are incorrect"
            ))
        }
    }
}

/// A running transport on 127.0.0.1 with an ephemeral port.
pub struct TestServer {
    pub address: SocketAddr,
    pub handler: Arc<ScriptedHandler>,
    pub events: EventSender,
    pub shutdown: Shutdown,
    pub task: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(config: TransportConfig) -> Self {
        let handler = Arc::new(ScriptedHandler::default());
        let (events, _) = tokio::sync::broadcast::channel(16);
        let shutdown = Shutdown::new();
        let address: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let listener = Listener::bind(
            address,
            Arc::clone(&handler),
            config,
            events.clone(),
            shutdown.signal(),
        )
        .await
        .unwrap();
        let address = listener.local_addr().unwrap();
        let task = tokio::spawn(listener.run());
        Self {
            address,
            handler,
            events,
            shutdown,
            task,
        }
    }

    pub async fn stop(self) {
        self.shutdown.fire();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("listener stops")
            .unwrap();
    }

    pub async fn client(&self, version: ProtocolVersion) -> TestClient {
        TestClient::connect(self.address, version).await
    }

    pub fn send_event(&self, event: Event) {
        let _ = self.events.send(event);
    }
}

/// A client speaking raw frames.
pub struct TestClient {
    pub stream: TcpStream,
    pub version: ProtocolVersion,
    pub compression: Option<Compression>,
    pub segments: Option<(SegmentCodec, FrameAssembler)>,
    input: BytesMut,
}

impl TestClient {
    pub async fn connect(address: SocketAddr, version: ProtocolVersion) -> Self {
        let stream = tokio::time::timeout(WAIT, TcpStream::connect(address))
            .await
            .unwrap()
            .unwrap();
        Self {
            stream,
            version,
            compression: None,
            segments: None,
            input: BytesMut::new(),
        }
    }

    pub async fn send(&mut self, stream: i16, request: Request) {
        let frame = RequestFrame::new(self.version, stream, request);
        let mut encoded = BytesMut::new();
        let compression = if self.segments.is_some() {
            None
        } else {
            self.compression
        };
        frame.encode(compression, &mut encoded).unwrap();
        let bytes = match &self.segments {
            Some((codec, _)) => {
                let mut wrapped = BytesMut::new();
                codec.encode(&encoded, &mut wrapped).unwrap();
                wrapped
            }
            None => encoded,
        };
        self.stream.write_all(&bytes).await.unwrap();
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    pub async fn query(&mut self, stream: i16, text: &str) {
        let query = Query {
            query: text.to_owned(),
            params: QueryParameters::default(),
        };
        self.send(stream, Request::Query(query)).await;
    }

    /// The next response frame, or `None` when the server closed the connection.
    pub async fn recv(&mut self) -> Option<ResponseFrame> {
        tokio::time::timeout(WAIT, self.recv_unbounded())
            .await
            .expect("a response in time")
    }

    async fn recv_unbounded(&mut self) -> Option<ResponseFrame> {
        let limits = Limits::default();
        loop {
            if let Some(raw) = self.next_raw() {
                let compression = if self.segments.is_some() {
                    None
                } else {
                    self.compression
                };
                return Some(ResponseFrame::from_raw(&raw, compression, &limits).unwrap());
            }
            let n = self.stream.read_buf(&mut self.input).await.unwrap_or(0);
            if n == 0 {
                return None;
            }
        }
    }

    fn next_raw(&mut self) -> Option<RawFrame> {
        match &mut self.segments {
            None => RawFrame::decode(&mut self.input, 1 << 28).unwrap(),
            Some((codec, assembler)) => {
                let segment = codec.decode(&mut self.input).unwrap()?;
                assembler.push(segment).unwrap().into_iter().next()
            }
        }
    }

    /// OPTIONS + STARTUP; afterwards the client frames as the server does.
    pub async fn handshake(&mut self, compression: Option<Compression>) {
        let mut options = sibyl_protocol::types::StringMap::new();
        options.insert("CQL_VERSION".into(), "3.0.0".into());
        if let Some(c) = compression {
            options.insert("COMPRESSION".into(), c.name().into());
        }
        self.send(1, Request::Startup(options)).await;
        let ready = self.recv().await.expect("READY");
        assert_eq!(ready.stream, 1);
        assert!(
            matches!(ready.response, Response::Ready),
            "{:?}",
            ready.response
        );
        self.compression = compression;
        if self.version >= ProtocolVersion::V5 {
            self.segments = Some((SegmentCodec::new(compression), FrameAssembler::new(1 << 28)));
        }
    }
}
