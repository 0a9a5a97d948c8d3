//! The echo server: a native-protocol endpoint that does no database work.
//!
//! It negotiates like a node (OPTIONS, STARTUP, v3/v4/v5, LZ4, v5 segments
//! right after READY) and answers every PREPARE / QUERY / EXECUTE / BATCH at
//! once with the smallest valid response: Prepared (one blob bind marker per
//! `?` the CQL parser counts), Void for writes, empty Rows (one blob column)
//! for SELECT. Driving
//! a workload against it measures the protocol + loopback floor.
//!
//! Invariants: one task per connection answers frames in arrival order; a
//! connection never holds more than one read buffer's worth of responses
//! (responses to the frames of one read are written before the next read), so
//! memory per connection is bounded by the frame size limit.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use sibyl_protocol::client::framing::{FrameReader, FrameWriter};
use sibyl_protocol::compression::Compression;
use sibyl_protocol::cql::{self, ast::Statement};
use sibyl_protocol::frame::{VersionCheck, VersionPolicy};
use sibyl_protocol::limits::Limits;
use sibyl_protocol::request::Request;
use sibyl_protocol::response::{
    ColumnSpec, ErrorKind, ErrorResponse, Prepared, PreparedMetadata, Response, ResultBody, Rows,
    RowsMetadata, supported_options,
};
use sibyl_protocol::value::CqlType;
use sibyl_protocol::{ProtocolVersion, RequestFrame, ResponseFrame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The first byte of a prepared id whose statement is a SELECT (the server
/// keeps no state: the id itself says what EXECUTE must answer).
const SELECT_ID: u8 = 1;
/// The first byte of any other prepared id.
const WRITE_ID: u8 = 0;

/// Binds `addr` and returns the listener and its actual address (port 0 picks one).
///
/// # Errors
/// The address cannot be bound.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Answers each request after the handshake (tests inject errors with it).
pub type Handler = Arc<dyn Fn(&RequestFrame) -> Response + Send + Sync>;

/// Accepts connections forever, one task each, answering with [`answer`].
///
/// # Errors
/// Accepting fails.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    serve_with(listener, Arc::new(answer)).await
}

/// [`serve`] with another answer for PREPARE / QUERY / EXECUTE / BATCH.
///
/// # Errors
/// Accepting fails.
pub async fn serve_with(listener: TcpListener, handler: Handler) -> std::io::Result<()> {
    loop {
        let (socket, peer) = listener.accept().await?;
        let _ = socket.set_nodelay(true);
        let handler = Arc::clone(&handler);
        tokio::spawn(async move {
            if let Err(e) = connection(socket, handler).await {
                tracing::debug!(%peer, error = %e, "echo connection ended");
            }
        });
    }
}

/// Errors ending one connection.
#[derive(Debug, thiserror::Error)]
pub enum EchoError {
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The client broke the protocol.
    #[error("protocol: {0}")]
    Protocol(#[from] sibyl_protocol::ProtocolError),
}

struct Conn {
    reader: FrameReader,
    writer: FrameWriter,
    compression: Option<Compression>,
    limits: Limits,
}

async fn accept_version(socket: &mut TcpStream, buf: &mut BytesMut) -> Result<bool, EchoError> {
    let policy = VersionPolicy {
        supported: ProtocolVersion::ALL.to_vec(),
        beta: None,
    };
    loop {
        match policy.check(buf) {
            VersionCheck::NeedMoreBytes => {}
            VersionCheck::Accept(_) => return Ok(true),
            VersionCheck::Reject { reply, .. } => {
                socket.write_all(&reply).await?;
                return Ok(false);
            }
        }
        if socket.read_buf(buf).await? == 0 {
            return Ok(false);
        }
    }
}

async fn connection(mut socket: TcpStream, handler: Handler) -> Result<(), EchoError> {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    if !accept_version(&mut socket, &mut buf).await? {
        return Ok(());
    }
    let limits = Limits::default();
    let mut conn = Conn {
        reader: FrameReader::new(limits),
        writer: FrameWriter::new(),
        compression: None,
        limits,
    };
    let mut out = BytesMut::with_capacity(64 * 1024);
    loop {
        let mut pending: Vec<Bytes> = Vec::new();
        while let Some(raw) = conn.reader.next_frame(&mut buf)? {
            let frame = RequestFrame::from_raw(&raw, conn.compression, &conn.limits)?;
            let response = match frame.request {
                Request::Prepare(_)
                | Request::Query(_)
                | Request::Execute(_)
                | Request::Batch(_) => handler(&frame),
                _ => answer(&frame),
            };
            let startup = matches!(frame.request, Request::Startup(_));
            let reply = ResponseFrame::new(frame.version, frame.stream, response);
            let compress = if conn.writer.segmented() || startup {
                None
            } else {
                conn.compression
            };
            pending.push(reply.to_raw(compress)?.to_bytes());
            if let Request::Startup(opts) = &frame.request {
                conn.writer.write_frames(&pending, &mut out)?;
                pending.clear();
                switch(&mut conn, frame.version, opts.get("COMPRESSION"));
            }
        }
        conn.writer.write_frames(&pending, &mut out)?;
        if !out.is_empty() {
            socket.write_all(&out).await?;
            out.clear();
        }
        buf.reserve(64 * 1024);
        if socket.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
    }
}

/// After READY: LZ4 on frame bodies (v3/v4) or segments (v5).
fn switch(conn: &mut Conn, version: ProtocolVersion, compression: Option<&String>) {
    let compression = compression.and_then(|c| Compression::from_name(c));
    if version >= ProtocolVersion::V5 {
        conn.reader.enable_segments(compression);
        conn.writer.enable_segments(compression);
    } else {
        conn.compression = compression;
    }
}

/// The immediate answer to one request.
pub fn answer(frame: &RequestFrame) -> Response {
    match &frame.request {
        Request::Options => Response::Supported(supported_options(
            "3.4.7",
            &[Compression::Lz4],
            &ProtocolVersion::ALL,
        )),
        Request::Startup(_) | Request::Register(_) => Response::Ready,
        Request::AuthResponse(_) => Response::AuthSuccess(None),
        Request::Query(q) => query_result(is_select_text(&q.query)),
        Request::Execute(e) => query_result(e.id.first() == Some(&SELECT_ID)),
        Request::Batch(_) => Response::Result(ResultBody::Void),
        Request::Prepare(p) => prepare(&p.query, frame.version),
    }
}

fn is_select_text(cql: &str) -> bool {
    cql.trim_start()
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("select"))
}

/// The result columns of every SELECT: one blob column, `[echo]` (a Rows
/// result with zero columns reads as "no metadata" to clients).
fn select_columns() -> RowsMetadata {
    RowsMetadata::with_columns(vec![ColumnSpec {
        keyspace: "echo".into(),
        table: "echo".into(),
        name: "[echo]".into(),
        ty: CqlType::Blob,
    }])
}

fn query_result(select: bool) -> Response {
    if select {
        Response::Result(ResultBody::Rows(Rows {
            metadata: select_columns(),
            rows: Vec::new(),
        }))
    } else {
        Response::Result(ResultBody::Void)
    }
}

fn prepare(text: &str, version: ProtocolVersion) -> Response {
    let statement = match cql::parse(text) {
        Ok(s) => s,
        Err(e) => {
            return Response::Error(ErrorResponse {
                kind: ErrorKind::Syntax,
                message: e.to_string(),
            });
        }
    };
    let select = matches!(statement, Statement::Select(_));
    let columns = (0..statement.bind_marker_count())
        .map(|i| ColumnSpec {
            keyspace: "echo".into(),
            table: "echo".into(),
            name: format!("p{i}"),
            ty: CqlType::Blob,
        })
        .collect();
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    let mut id = vec![if select { SELECT_ID } else { WRITE_ID }];
    id.extend_from_slice(&hasher.finish().to_be_bytes());
    let v5 = version >= ProtocolVersion::V5;
    Response::Result(ResultBody::Prepared(Prepared {
        id: Bytes::from(id),
        result_metadata_id: v5.then(|| Bytes::from_static(&[0; 16])),
        metadata: PreparedMetadata {
            pk_indexes: Vec::new(),
            columns,
        },
        result_metadata: if select {
            select_columns()
        } else {
            RowsMetadata::with_columns(Vec::new())
        },
    }))
}
