//! A fake v4 node for the binary tests: answers OPTIONS, STARTUP and
//! REGISTER itself and every QUERY through a handler; records the queries.

#![expect(
    clippy::unwrap_used,
    reason = "test helper: a failed setup is a failed test"
)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use sibyl_protocol::client::framing::FrameReader;
use sibyl_protocol::limits::Limits;
use sibyl_protocol::request::Request;
use sibyl_protocol::response::{
    ColumnSpec, ErrorKind, ErrorResponse, Response, ResultBody, Rows, RowsMetadata,
};
use sibyl_protocol::types::{Consistency, StringMultimap};
use sibyl_protocol::value::{CqlType, CqlValue, encode_to_vec};
use sibyl_protocol::{RequestFrame, ResponseFrame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A query as received: text, consistency, page size, paging state.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenQuery {
    pub text: String,
    pub consistency: Consistency,
    pub page_size: Option<i32>,
    pub paging_state: Option<Bytes>,
}

pub type Handler = Arc<dyn Fn(&SeenQuery) -> Response + Send + Sync>;

pub struct FakeNode {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<SeenQuery>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeNode {
    pub async fn start(handler: Handler) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, Arc::clone(&handler), Arc::clone(&seen2)));
            }
        });
        FakeNode { addr, seen, task }
    }

    pub fn queries(&self) -> Vec<SeenQuery> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(mut socket: TcpStream, handler: Handler, seen: Arc<Mutex<Vec<SeenQuery>>>) {
    let mut buf = BytesMut::new();
    let mut reader = FrameReader::new(Limits::default());
    loop {
        while let Ok(Some(raw)) = reader.next_frame(&mut buf) {
            let frame = RequestFrame::from_raw(&raw, None, &Limits::default()).unwrap();
            let response = match &frame.request {
                Request::Options => {
                    let mut m = StringMultimap::new();
                    m.insert("CQL_VERSION".into(), vec!["3.4.7".into()]);
                    m.insert("COMPRESSION".into(), vec![]);
                    Response::Supported(m)
                }
                Request::Startup(_) | Request::Register(_) => Response::Ready,
                Request::Query(q) => {
                    let sq = SeenQuery {
                        text: q.query.clone(),
                        consistency: q.params.consistency,
                        page_size: q.params.page_size,
                        paging_state: q.params.paging_state.clone(),
                    };
                    seen.lock().unwrap().push(sq.clone());
                    handler(&sq)
                }
                _ => error(ErrorKind::Protocol, "unexpected request"),
            };
            let out = ResponseFrame::new(frame.version, frame.stream, response);
            let bytes = out.to_raw(None).unwrap().to_bytes();
            if socket.write_all(&bytes).await.is_err() {
                return;
            }
        }
        buf.reserve(4096);
        if socket.read_buf(&mut buf).await.unwrap_or(0) == 0 {
            return;
        }
    }
}

pub fn error(kind: ErrorKind, message: &str) -> Response {
    Response::Error(ErrorResponse {
        kind,
        message: message.into(),
    })
}

/// A Rows result of `columns` (name, type) holding `rows`.
pub fn rows(
    columns: &[(&str, CqlType)],
    rows: &[Vec<Option<CqlValue>>],
    paging_state: Option<&[u8]>,
) -> Response {
    let specs: Vec<ColumnSpec> = columns
        .iter()
        .map(|(n, t)| ColumnSpec {
            keyspace: "ks".into(),
            table: "t".into(),
            name: (*n).into(),
            ty: t.clone(),
        })
        .collect();
    let cells = rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(columns)
                .map(|(v, (_, t))| {
                    v.as_ref()
                        .map(|v| Bytes::from(encode_to_vec(v, t).unwrap()))
                })
                .collect()
        })
        .collect();
    let mut metadata = RowsMetadata::with_columns(specs);
    metadata.paging_state = paging_state.map(Bytes::copy_from_slice);
    Response::Result(ResultBody::Rows(Rows {
        metadata,
        rows: cells,
    }))
}

pub fn void() -> Response {
    Response::Result(ResultBody::Void)
}

/// Runs `sibylsh` against `addr` with extra arguments.
pub async fn sibylsh(addr: SocketAddr, args: &[&str]) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_sibylsh"));
    cmd.arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .arg("--protocol-version")
        .arg("4")
        .args(args)
        .env("HOME", "/nonexistent-sibylsh-home");
    tokio::time::timeout(std::time::Duration::from_secs(30), cmd.output())
        .await
        .unwrap()
        .unwrap()
}
