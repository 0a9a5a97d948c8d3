//! A fake v4 node for the binary tests: answers OPTIONS, STARTUP and
//! REGISTER itself and every QUERY through a handler; records the queries.

#![expect(
    clippy::unwrap_used,
    reason = "test helper: a failed setup is a failed test"
)]
#![allow(
    dead_code,
    reason = "each test file uses a different part of the helper"
)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use sibyl_protocol::client::framing::FrameReader;
use sibyl_protocol::limits::Limits;
use sibyl_protocol::request::{Batch, BatchQuery, Prepare, Request};
use sibyl_protocol::response::{
    ColumnSpec, ErrorKind, ErrorResponse, Prepared, PreparedMetadata, Response, ResultBody, Rows,
    RowsMetadata,
};
use sibyl_protocol::types::{Consistency, StringMultimap, Value};
use sibyl_protocol::value::{CqlType, CqlValue, decode, encode_to_vec};
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

/// Column types the fake node prepares INSERTs with.
pub type Schema = Arc<Vec<(String, CqlType)>>;

/// Rows received in batches: (column, value) pairs.
pub type Inserted = Arc<Mutex<Vec<Vec<(String, Option<CqlValue>)>>>>;

pub struct FakeNode {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<SeenQuery>>>,
    pub inserted: Inserted,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeNode {
    pub async fn start(handler: Handler) -> FakeNode {
        Self::with_schema(handler, Arc::new(Vec::new())).await
    }

    pub async fn with_schema(handler: Handler, schema: Schema) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let inserted: Inserted = Arc::default();
        let state = State {
            handler,
            seen: Arc::clone(&seen),
            schema,
            inserted: Arc::clone(&inserted),
        };
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, state.clone()));
            }
        });
        FakeNode {
            addr,
            seen,
            inserted,
            task,
        }
    }

    pub fn queries(&self) -> Vec<SeenQuery> {
        self.seen.lock().unwrap().clone()
    }
}

#[derive(Clone)]
struct State {
    handler: Handler,
    seen: Arc<Mutex<Vec<SeenQuery>>>,
    schema: Schema,
    inserted: Inserted,
}

/// The columns of `INSERT INTO t (a, b) VALUES (...)` with their types.
fn insert_columns(query: &str, schema: &Schema) -> Vec<(String, CqlType)> {
    let open = query.find('(').unwrap();
    let close = query[open..].find(')').unwrap() + open;
    query[open + 1..close]
        .split(',')
        .map(|c| {
            let c = c.trim().to_owned();
            let ty = schema
                .iter()
                .find(|(n, _)| *n == c)
                .map(|(_, t)| t.clone())
                .unwrap();
            (c, ty)
        })
        .collect()
}

fn prepared(p: &Prepare, schema: &Schema) -> Response {
    let columns = insert_columns(&p.query, schema)
        .into_iter()
        .map(|(name, ty)| ColumnSpec {
            keyspace: "ks".into(),
            table: "t".into(),
            name,
            ty,
        })
        .collect();
    Response::Result(ResultBody::Prepared(Prepared {
        id: Bytes::copy_from_slice(p.query.as_bytes()),
        result_metadata_id: None,
        metadata: PreparedMetadata {
            pk_indexes: vec![0],
            columns,
        },
        result_metadata: RowsMetadata::default(),
    }))
}

fn batch(b: &Batch, state: &State) -> Response {
    for st in &b.statements {
        let BatchQuery::Prepared(id) = &st.query else {
            panic!("text in batch")
        };
        let cols = insert_columns(std::str::from_utf8(id).unwrap(), &state.schema);
        let row = cols
            .into_iter()
            .zip(&st.values)
            .map(|((name, ty), v)| match v {
                Value::Bytes(b) => (name, Some(decode(&ty, b).unwrap())),
                _ => (name, None),
            })
            .collect();
        state.inserted.lock().unwrap().push(row);
    }
    Response::Result(ResultBody::Void)
}

async fn serve(mut socket: TcpStream, state: State) {
    let State { handler, seen, .. } = state.clone();
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
                Request::Prepare(p) => prepared(p, &state.schema),
                Request::Batch(b) => batch(b, &state),
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
            let mut out = ResponseFrame::new(frame.version, frame.stream, response);
            if let Request::Query(q) = &frame.request
                && q.query.contains("warn")
            {
                out.warnings = vec!["Aggregation query used without partition key".into()];
            }
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
