//! A scriptable fake node. Built-ins answer OPTIONS, STARTUP (switching to
//! v4 LZ4 or v5 segments exactly where a real server does), AUTH_RESPONSE and
//! version rejection; a handler closure answers everything else with
//! [`Action`]s (a reply after a delay, an event, closing the socket).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use sibyl_protocol::client::framing::{FrameReader, FrameWriter};
use sibyl_protocol::compression::Compression;
use sibyl_protocol::frame::{VersionCheck, VersionPolicy};
use sibyl_protocol::limits::Limits;
use sibyl_protocol::request::Request;
use sibyl_protocol::response::{ErrorKind, ErrorResponse, Event, Response};
use sibyl_protocol::types::StringMultimap;
use sibyl_protocol::{ProtocolVersion, RequestFrame, ResponseFrame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the handler wants done for a request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer on the request's stream after a delay.
    Reply(Response, Duration),
    /// Push an EVENT (stream -1).
    Event(Event),
    /// Close the socket.
    Close,
}

/// Answers now.
pub fn reply(r: Response) -> Vec<Action> {
    vec![Action::Reply(r, Duration::ZERO)]
}

/// The handler: a request (with its connection number) to actions.
pub type Handler = Arc<dyn Fn(usize, &RequestFrame) -> Vec<Action> + Send + Sync>;

/// Everything the server saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Requests with their connection number and raw header flags.
    pub requests: Vec<(usize, u8, RequestFrame)>,
    /// Connections accepted.
    pub connections: usize,
    /// Connections rejected for their protocol version.
    pub rejected: Vec<u8>,
    /// Connections that switched to v5 segments.
    pub segmented: usize,
}

/// Server behaviour.
#[derive(Clone)]
pub struct Config {
    pub versions: Vec<ProtocolVersion>,
    pub lz4: bool,
    pub credentials: Option<(String, String)>,
    pub handler: Handler,
}

impl Config {
    pub fn new(handler: Handler) -> Self {
        Config {
            versions: ProtocolVersion::ALL.to_vec(),
            lz4: false,
            credentials: None,
            handler,
        }
    }
}

/// A running fake server; stops when dropped.
pub struct FakeServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Seen>>,
    task: JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    pub async fn start(config: Config) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let seen2 = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            let mut conns = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                let n = {
                    let mut s = seen2.lock().unwrap();
                    s.connections += 1;
                    s.connections
                };
                let conn = serve(socket, n, config.clone(), Arc::clone(&seen2));
                conns.push(AbortOnDrop(tokio::spawn(conn)));
            }
        });
        FakeServer { addr, seen, task }
    }

    pub fn requests(&self) -> Vec<(usize, u8, RequestFrame)> {
        self.seen.lock().unwrap().requests.clone()
    }
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Out {
    Frame(Box<ResponseFrame>),
    Switch {
        segments: bool,
        compression: Option<Compression>,
    },
    Close,
}

fn supported(lz4: bool) -> Response {
    let mut m = StringMultimap::new();
    m.insert("CQL_VERSION".into(), vec!["3.4.7".into()]);
    let c = if lz4 { vec!["lz4".to_string()] } else { vec![] };
    m.insert("COMPRESSION".into(), c);
    Response::Supported(m)
}

/// Reads until the version is known; answers and returns false on a rejection.
async fn version_accepted(
    socket: &mut TcpStream,
    buf: &mut BytesMut,
    config: &Config,
    seen: &Mutex<Seen>,
) -> bool {
    let policy = VersionPolicy {
        supported: config.versions.clone(),
        beta: None,
    };
    loop {
        match policy.check(buf) {
            VersionCheck::NeedMoreBytes => {}
            VersionCheck::Accept(_) => return true,
            VersionCheck::Reject { reply, .. } => {
                seen.lock().unwrap().rejected.push(buf[0]);
                socket.write_all(&reply).await.unwrap();
                return false;
            }
        }
        if socket.read_buf(buf).await.unwrap_or(0) == 0 {
            return false;
        }
    }
}

async fn serve(mut socket: TcpStream, n: usize, config: Config, seen: Arc<Mutex<Seen>>) {
    let mut buf = BytesMut::new();
    if !version_accepted(&mut socket, &mut buf, &config, &seen).await {
        return;
    }
    let (mut rd, wr) = socket.into_split();
    let (tx, rx) = mpsc::unbounded_channel();
    let _writer = AbortOnDrop(tokio::spawn(write_loop(wr, rx)));
    let mut reader = FrameReader::new(Limits::default());
    let mut compression_in = None;
    let mut delayed = Vec::new();
    loop {
        while let Some(raw) = reader.next_frame(&mut buf).unwrap() {
            let frame = RequestFrame::from_raw(&raw, compression_in, &Limits::default()).unwrap();
            let (version, stream) = (frame.version, frame.stream);
            seen.lock()
                .unwrap()
                .requests
                .push((n, raw.header.flags.0, frame.clone()));
            let respond =
                |r: Response| Out::Frame(Box::new(ResponseFrame::new(version, stream, r)));
            match &frame.request {
                Request::Options => tx.send(respond(supported(config.lz4))).unwrap(),
                Request::Startup(opts) => {
                    let compression = opts
                        .get("COMPRESSION")
                        .and_then(|c| Compression::from_name(c));
                    compression_in = compression;
                    let segments = version >= ProtocolVersion::V5;
                    if segments {
                        reader.enable_segments(compression);
                        seen.lock().unwrap().segmented += 1;
                    }
                    let r = match &config.credentials {
                        Some(_) => Response::Authenticate(
                            "org.apache.cassandra.auth.PasswordAuthenticator".into(),
                        ),
                        None => Response::Ready,
                    };
                    tx.send(respond(r)).unwrap();
                    tx.send(Out::Switch {
                        segments,
                        compression,
                    })
                    .unwrap();
                }
                Request::AuthResponse(token) => {
                    tx.send(respond(auth_reply(&config, token.as_deref())))
                        .unwrap();
                }
                _ => {
                    let actions = (config.handler)(n, &frame);
                    run_actions(actions, &tx, &mut delayed, version, stream);
                }
            }
        }
        buf.reserve(4096);
        if rd.read_buf(&mut buf).await.unwrap_or(0) == 0 {
            return;
        }
    }
}

fn auth_reply(config: &Config, token: Option<&[u8]>) -> Response {
    let (u, p) = config.credentials.clone().unwrap_or_default();
    let expected = format!("\0{u}\0{p}");
    if token == Some(expected.as_bytes()) {
        Response::AuthSuccess(None)
    } else {
        Response::Error(ErrorResponse {
            kind: ErrorKind::AuthenticationError,
            message: format!("Provided username {u} and/or password are incorrect"),
        })
    }
}

fn run_actions(
    actions: Vec<Action>,
    tx: &mpsc::UnboundedSender<Out>,
    delayed: &mut Vec<AbortOnDrop>,
    version: ProtocolVersion,
    stream: i16,
) {
    let respond = |r: Response| Out::Frame(Box::new(ResponseFrame::new(version, stream, r)));
    for action in actions {
        match action {
            Action::Reply(r, d) if d.is_zero() => {
                let _ = tx.send(respond(r));
            }
            Action::Reply(r, d) => {
                let tx = tx.clone();
                let out = respond(r);
                delayed.push(AbortOnDrop(tokio::spawn(async move {
                    tokio::time::sleep(d).await;
                    let _ = tx.send(out);
                })));
            }
            Action::Event(e) => {
                let ev = ResponseFrame::new(version, -1, Response::Event(e));
                let _ = tx.send(Out::Frame(Box::new(ev)));
            }
            Action::Close => {
                let _ = tx.send(Out::Close);
            }
        }
    }
}

async fn write_loop(mut wr: tokio::net::tcp::OwnedWriteHalf, mut rx: mpsc::UnboundedReceiver<Out>) {
    let mut writer = FrameWriter::new();
    let mut compression = None;
    while let Some(out) = rx.recv().await {
        match out {
            Out::Frame(frame) => {
                let c = if writer.segmented() {
                    None
                } else {
                    compression
                };
                let raw = frame.to_raw(c).unwrap();
                let mut bytes = BytesMut::new();
                writer.write_frames(&[raw.to_bytes()], &mut bytes).unwrap();
                if wr.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Out::Switch {
                segments,
                compression: c,
            } => {
                if segments {
                    writer.enable_segments(c);
                } else {
                    compression = c;
                }
            }
            Out::Close => {
                let _ = wr.shutdown().await;
                return;
            }
        }
    }
}
