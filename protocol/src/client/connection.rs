//! [`Connection`]: one TCP connection to a node, shared by any number of
//! concurrent callers.
//!
//! After the handshake (`handshake.rs`) the socket is split: a reader task cuts
//! frames out of the incoming bytes and routes each response to its caller by
//! stream id (EVENTs, stream -1, to the event receiver); a writer task drains a
//! bounded queue of encoded frames, coalescing what is ready into one write (and
//! into shared v5 segments). Both tasks belong to the connection: they are
//! aborted when the last clone is dropped or on [`Connection::close`]. When the
//! socket closes or a malformed frame arrives, every pending request gets the
//! error and later requests fail at once.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::io::{ReadHalf, WriteHalf};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout, timeout_at};

use crate::client::error::{ClientError, Result};
use crate::client::framing::{FrameReader, FrameWriter};
use crate::client::handshake::{self, Established, server_error, unexpected};
use crate::client::options::ConnectOptions;
use crate::client::streams::Streams;
use crate::client::tls::ClientStream;
use crate::compression::Compression;
use crate::frame::{ProtocolVersion, RequestFrame, ResponseFrame};
use crate::limits::Limits;
use crate::request::{Batch, EventType, Execute, Prepare, Query, Request};
use crate::response::{Event, Prepared, Response, ResultBody};
use crate::types::StringMultimap;

/// Encoded frames queued for the writer.
const OUTGOING_QUEUE: usize = 1024;
/// Bytes the writer coalesces into one write at most.
const WRITE_BATCH_BYTES_MAX: usize = 1 << 20;

struct Shared {
    streams: Streams,
    outgoing: mpsc::Sender<Bytes>,
    version: ProtocolVersion,
    compression: Option<Compression>,
    supported: StringMultimap,
    request_timeout: Duration,
    event_capacity: usize,
    /// Set once the reader stops, so the writer stops too and the socket closes.
    reader_done: watch::Sender<bool>,
}

/// Aborts the connection's tasks when the last handle goes.
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// An open connection; cheap to clone (all clones share the socket).
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
    tasks: Arc<Tasks>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("version", &self.shared.version)
            .field("compression", &self.shared.compression)
            .field("closed", &self.shared.streams.is_closed())
            .finish()
    }
}

/// Removes a registered request that was never handed to the writer.
struct Unsent<'a> {
    streams: &'a Streams,
    id: Option<i16>,
}

impl Drop for Unsent<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.streams.forget(id);
        }
    }
}

impl Connection {
    /// Connects, negotiates the protocol version (unless fixed), runs STARTUP
    /// and authentication, then `USE`s the keyspace if one is given.
    ///
    /// # Errors
    /// Bad options, connect or handshake failure, every version rejected,
    /// authentication failure, or the keyspace `USE` failing.
    pub async fn connect(addr: impl ToSocketAddrs, options: ConnectOptions) -> Result<Connection> {
        options.validate().map_err(ClientError::Invalid)?;
        let addr = tokio::net::lookup_host(addr)
            .await?
            .next()
            .ok_or_else(|| ClientError::Invalid("address resolves to nothing".into()))?;
        let mut tried = Vec::new();
        let mut last = String::new();
        for version in options.versions_to_try() {
            tried.push(version);
            let attempt = async {
                let stream = TcpStream::connect(addr).await?;
                stream.set_nodelay(true)?;
                let stream = super::tls::wrap(stream, options.tls.as_ref()).await?;
                handshake::handshake(stream, version, &options).await
            };
            let established = match timeout(options.connect_timeout, attempt).await {
                Err(_) => {
                    return Err(ClientError::ConnectTimeout {
                        after: options.connect_timeout,
                    });
                }
                Ok(Err(e)) if e.is_version_rejection() && options.protocol_version.is_none() => {
                    tracing::debug!(?version, error = %e, "version rejected; trying lower");
                    last = e.to_string();
                    continue;
                }
                Ok(r) => r?,
            };
            let conn = Connection::start(established, &options);
            if let Some(ks) = &options.keyspace {
                conn.use_keyspace(ks).await?;
            }
            return Ok(conn);
        }
        Err(ClientError::UnsupportedVersion {
            tried,
            message: last,
        })
    }

    fn start(e: Established, options: &ConnectOptions) -> Connection {
        let (tx, rx) = mpsc::channel(OUTGOING_QUEUE);
        let (reader_done, reader_done_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            streams: Streams::new(options.in_flight_max),
            outgoing: tx,
            version: e.version,
            compression: e.compression,
            supported: e.supported,
            request_timeout: options.request_timeout,
            event_capacity: options.event_capacity,
            reader_done,
        });
        let (rd, wr) = tokio::io::split(e.stream);
        let reader = tokio::spawn(read_loop(
            rd,
            e.read_buf,
            e.reader,
            Arc::clone(&shared),
            options.limits,
        ));
        let writer = tokio::spawn(write_loop(
            wr,
            rx,
            reader_done_rx,
            e.writer,
            Arc::clone(&shared),
        ));
        Connection {
            shared,
            tasks: Arc::new(Tasks(vec![reader, writer])),
        }
    }

    /// The negotiated protocol version.
    pub fn version(&self) -> ProtocolVersion {
        self.shared.version
    }

    /// The compression in use, if any.
    pub fn compression(&self) -> Option<Compression> {
        self.shared.compression
    }

    /// The server's SUPPORTED options from the handshake.
    pub fn supported(&self) -> &StringMultimap {
        &self.shared.supported
    }

    /// True once the connection failed or was closed.
    pub fn is_closed(&self) -> bool {
        self.shared.streams.is_closed()
    }

    /// Closes the connection: pending requests fail with [`ClientError::Closed`],
    /// the tasks stop. Other clones see a closed connection.
    pub fn close(&self) {
        self.shared
            .streams
            .fail(ClientError::Closed("closed by the client".into()));
        for t in &self.tasks.0 {
            t.abort();
        }
    }

    /// Sends one request and waits for its response (any opcode, ERROR
    /// included) within the default request timeout.
    ///
    /// # Errors
    /// [`ClientError::Timeout`], a closed or failed connection, or a request that
    /// does not encode.
    pub async fn send(&self, request: Request) -> Result<ResponseFrame> {
        self.send_with_timeout(request, self.shared.request_timeout)
            .await
    }

    /// [`Connection::send`] with an explicit timeout. On timeout the stream id
    /// stays reserved until the late response arrives (as drivers do).
    ///
    /// # Errors
    /// As [`Connection::send`].
    pub async fn send_with_timeout(
        &self,
        request: Request,
        limit: Duration,
    ) -> Result<ResponseFrame> {
        self.send_flagged(request, limit, false).await
    }

    /// [`Connection::send`] with the TRACING flag set: the server traces the
    /// request and the response carries its tracing session id.
    ///
    /// # Errors
    /// As [`Connection::send`].
    pub async fn send_traced(&self, request: Request) -> Result<ResponseFrame> {
        self.send_flagged(request, self.shared.request_timeout, true)
            .await
    }

    async fn send_flagged(
        &self,
        request: Request,
        limit: Duration,
        tracing: bool,
    ) -> Result<ResponseFrame> {
        let deadline = Instant::now() + limit;
        let timed_out = || ClientError::Timeout { after: limit };
        let streams = &self.shared.streams;
        let permit = timeout_at(deadline, streams.permit())
            .await
            .map_err(|_| timed_out())??;
        let (tx, rx) = oneshot::channel();
        let id = streams.register(tx, permit)?;
        let mut unsent = Unsent {
            streams,
            id: Some(id),
        };
        let mut frame = RequestFrame::new(self.shared.version, id, request);
        frame.tracing = tracing;
        let raw = frame.to_raw(self.shared.compression)?;
        match timeout_at(deadline, self.shared.outgoing.send(raw.to_bytes())).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(_)) => return Err(streams.closed_error()),
            Ok(Ok(())) => unsent.id = None,
        }
        match timeout_at(deadline, rx).await {
            Err(_) => Err(timed_out()),
            Ok(Err(_)) => Err(streams.closed_error()),
            Ok(Ok(result)) => result,
        }
    }

    /// Sends a request and returns its response body, turning ERROR into
    /// [`ClientError::Server`].
    async fn call(&self, request: Request) -> Result<Response> {
        match self.send(request).await?.response {
            r @ Response::Error(_) => Err(server_error(r)),
            r => Ok(r),
        }
    }

    async fn call_result(&self, request: Request, name: &'static str) -> Result<ResultBody> {
        match self.call(request).await? {
            Response::Result(body) => Ok(body),
            other => Err(unexpected(name, &other)),
        }
    }

    /// OPTIONS: the server's SUPPORTED map (also a cheap heartbeat).
    ///
    /// # Errors
    /// As [`Connection::send`], or a server error.
    pub async fn options(&self) -> Result<StringMultimap> {
        match self.call(Request::Options).await? {
            Response::Supported(s) => Ok(s),
            other => Err(unexpected("OPTIONS", &other)),
        }
    }

    /// QUERY.
    ///
    /// # Errors
    /// As [`Connection::send`], or a server error.
    pub async fn query(&self, query: Query) -> Result<ResultBody> {
        self.call_result(Request::Query(query), "QUERY").await
    }

    /// PREPARE.
    ///
    /// # Errors
    /// As [`Connection::send`], a server error, or a non-Prepared result.
    pub async fn prepare(&self, prepare: Prepare) -> Result<Prepared> {
        match self
            .call_result(Request::Prepare(prepare), "PREPARE")
            .await?
        {
            ResultBody::Prepared(p) => Ok(p),
            other => Err(unexpected("PREPARE", &Response::Result(other))),
        }
    }

    /// EXECUTE.
    ///
    /// # Errors
    /// As [`Connection::send`], or a server error (Unprepared included).
    pub async fn execute(&self, execute: Execute) -> Result<ResultBody> {
        self.call_result(Request::Execute(execute), "EXECUTE").await
    }

    /// BATCH.
    ///
    /// # Errors
    /// As [`Connection::send`], or a server error.
    pub async fn batch(&self, batch: Batch) -> Result<ResultBody> {
        self.call_result(Request::Batch(batch), "BATCH").await
    }

    /// `USE "keyspace"`; returns the keyspace name the server reports.
    ///
    /// # Errors
    /// As [`Connection::send`], a server error, or a result other than SetKeyspace.
    pub async fn use_keyspace(&self, keyspace: &str) -> Result<String> {
        let query = Query {
            query: format!("USE \"{}\"", keyspace.replace('"', "\"\"")),
            params: Default::default(),
        };
        match self.query(query).await? {
            ResultBody::SetKeyspace(ks) => Ok(ks),
            other => Err(unexpected("USE", &Response::Result(other))),
        }
    }

    /// REGISTER for `events`; EVENTs then arrive on the returned receiver
    /// (a later REGISTER replaces it). The receiver ends when the connection does.
    ///
    /// # Errors
    /// As [`Connection::send`], a server error, or a response other than READY.
    pub async fn register(&self, events: &[EventType]) -> Result<mpsc::Receiver<Event>> {
        let (tx, rx) = mpsc::channel(self.shared.event_capacity);
        // Installed first: an event may follow READY immediately.
        self.shared.streams.set_events(tx)?;
        match self.call(Request::Register(events.to_vec())).await? {
            Response::Ready => Ok(rx),
            other => Err(unexpected("REGISTER", &other)),
        }
    }
}

async fn read_loop(
    mut rd: ReadHalf<ClientStream>,
    mut buf: BytesMut,
    mut reader: FrameReader,
    shared: Arc<Shared>,
    limits: Limits,
) {
    let error = loop {
        match reader.next_frame(&mut buf) {
            Ok(Some(raw)) => {
                match ResponseFrame::from_raw(&raw, shared.compression, &limits) {
                    Ok(frame) => shared.streams.dispatch(frame),
                    Err(e) => break ClientError::Protocol(e),
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => break ClientError::Protocol(e),
        }
        buf.reserve(16 * 1024);
        match rd.read_buf(&mut buf).await {
            Ok(0) => break ClientError::Closed("the server closed the connection".into()),
            Ok(_) => {}
            Err(e) => break ClientError::from(e),
        }
    };
    tracing::debug!(%error, "client connection reader stops");
    shared.streams.fail(error);
    shared.reader_done.send_replace(true);
}

async fn write_loop(
    mut wr: WriteHalf<ClientStream>,
    mut rx: mpsc::Receiver<Bytes>,
    mut reader_done: watch::Receiver<bool>,
    writer: FrameWriter,
    shared: Arc<Shared>,
) {
    let mut frames = Vec::new();
    let mut out = BytesMut::new();
    loop {
        let first = tokio::select! {
            next = rx.recv() => match next {
                Some(f) => f,
                None => return,
            },
            // The reader failed the connection: stop, dropping the socket.
            _ = reader_done.wait_for(|done| *done) => return,
        };
        let mut size = first.len();
        frames.push(first);
        while size < WRITE_BATCH_BYTES_MAX {
            match rx.try_recv() {
                Ok(f) => {
                    size += f.len();
                    frames.push(f);
                }
                Err(_) => break,
            }
        }
        out.clear();
        let written = match writer.write_frames(&frames, &mut out) {
            // flush: TLS may hold encrypted bytes until flushed (a no-op on TCP).
            Ok(()) => match wr.write_all(&out).await {
                Ok(()) => wr.flush().await.map_err(ClientError::from),
                Err(e) => Err(ClientError::from(e)),
            },
            Err(e) => Err(ClientError::Protocol(e)),
        };
        frames.clear();
        if let Err(e) = written {
            shared.streams.fail(e);
            return;
        }
    }
}
