//! One client connection: framing in, requests out to the handler, responses
//! and events back through a single writer task.
//!
//! Data flow: socket bytes -> frames (v4, or v5 segments once the handshake
//! is done) -> handshake messages answered inline, statements spawned as
//! request tasks (bounded per connection and per node; past the bound the
//! answer is Overloaded) -> response frames -> writer task -> socket.
//!
//! Invariants: the reader never waits on a request task, nor is it woken when
//! one ends (tasks are detached; a join set cost a wake-up of the reader per
//! request); closing waits until every task has returned its connection
//! permit; a request task that panics still gets an answer (ServerError, from
//! its drop guard) on its stream; the first frame's version decides the
//! connection's version, and an unsupported one gets the ERROR drivers need
//! to retry lower, then the connection closes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use sibyl_protocol::frame::negotiation::{VersionCheck, VersionPolicy};
use sibyl_protocol::frame::{Opcode, ProtocolVersion};
use sibyl_protocol::request::{EventType, Request};
use sibyl_protocol::response::{ErrorKind, ErrorResponse, Event, Response};
use sibyl_protocol::segment::{FrameAssembler, SegmentCodec};
use sibyl_protocol::{RawFrame, RequestFrame, ResponseFrame};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, broadcast, mpsc};

use super::session::ClientSession;
use super::startup::{self, Phase};
use super::tls::{Accepted, NativeTls};
use super::writer::{BoxedWrite, InFlight, Outgoing, WriterHandle};
use super::{HandlerResponse, RequestHandler, TransportConfig};
use crate::shutdown::ShutdownSignal;

/// What a connection shares with the rest of the node.
pub struct ConnectionContext<H> {
    /// The CQL layer.
    pub handler: Arc<H>,
    /// Transport settings.
    pub config: Arc<TransportConfig>,
    /// Node-wide in-flight request permits.
    pub node_permits: Arc<Semaphore>,
    /// Node events to push to registered connections.
    pub events: broadcast::Receiver<Event>,
    /// Stops the connection.
    pub shutdown: ShutdownSignal,
    /// TLS on this port, when client encryption is enabled.
    pub tls: Option<NativeTls>,
}

/// The read half of a client connection: TCP, or TCP under TLS.
type BoxedRead = Box<dyn tokio::io::AsyncRead + Send + Unpin>;

/// How incoming bytes are cut into frames.
enum Framing {
    /// 9-byte-header frames (v3, v4, and v5 before the handshake completes).
    Frames,
    /// v5 segments carrying frames.
    Segments {
        codec: SegmentCodec,
        assembler: FrameAssembler,
    },
}

struct Connection<H: RequestHandler> {
    ctx: ConnectionContext<H>,
    reader: BoxedRead,
    peer: SocketAddr,
    local: SocketAddr,
    input: BytesMut,
    framing: Framing,
    ready_frames: VecDeque<RawFrame>,
    version: Option<ProtocolVersion>,
    phase: Phase,
    session: Option<Arc<ClientSession>>,
    writer: WriterHandle,
    connection_permits: Arc<Semaphore>,
    closing: bool,
}

/// Serves one client connection until it closes or the node shuts down.
pub async fn serve<H: RequestHandler>(stream: TcpStream, ctx: ConnectionContext<H>) {
    let (peer, local) = match (stream.peer_addr(), stream.local_addr()) {
        (Ok(peer), Ok(local)) => (peer, local),
        _ => return,
    };
    let _ = stream.set_nodelay(true);
    let Some((reader, write_half)) = split(stream, ctx.tls.as_ref(), peer).await else {
        return;
    };
    let connection_permits = Arc::new(Semaphore::new(ctx.config.requests_per_connection_max));
    let in_flight = InFlight {
        permits: Arc::clone(&connection_permits),
        max: ctx.config.requests_per_connection_max,
    };
    let writer = WriterHandle::spawn(
        write_half,
        ctx.config.requests_per_connection_max + 16,
        in_flight,
    );
    let mut connection = Connection {
        ctx,
        reader,
        peer,
        local,
        input: BytesMut::with_capacity(16 * 1024),
        framing: Framing::Frames,
        ready_frames: VecDeque::new(),
        version: None,
        phase: Phase::AwaitingStartup,
        session: None,
        writer,
        connection_permits,
        closing: false,
    };
    connection.run().await;
    connection.finish().await;
}

/// Splits the socket into boxed halves, after the TLS handshake when TLS is on.
/// `None`: the handshake failed; only this connection is dropped.
async fn split(
    stream: TcpStream,
    tls: Option<&NativeTls>,
    peer: SocketAddr,
) -> Option<(BoxedRead, BoxedWrite)> {
    let accepted = match tls {
        None => Accepted::Plain(stream),
        Some(tls) => match tls.accept(stream).await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed; closing the connection");
                return None;
            }
        },
    };
    Some(match accepted {
        Accepted::Plain(stream) => {
            let (reader, writer) = stream.into_split();
            (Box::new(reader), Box::new(writer))
        }
        Accepted::Tls(stream) => {
            let (reader, writer) = tokio::io::split(*stream);
            (Box::new(reader), Box::new(writer))
        }
    })
}

impl<H: RequestHandler> Connection<H> {
    async fn run(&mut self) {
        let mut shutdown = self.ctx.shutdown.clone();
        while !self.closing {
            if let Err(reply) = self.drain_input() {
                self.fail(reply).await;
                return;
            }
            if let Some(raw) = self.ready_frames.pop_front() {
                self.on_frame(raw).await;
                continue;
            }
            tokio::select! {
                () = shutdown.fired() => return,
                event = self.ctx.events.recv(), if self.session.is_some() => self.on_event(event).await,
                read = self.reader.read_buf(&mut self.input) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
            }
        }
    }

    /// Waits for in-flight requests, then lets the writer flush and close.
    async fn finish(mut self) {
        // Every request task holds a connection permit until it has sent its
        // answer: having them all back means none is in flight.
        let all = u32::try_from(self.ctx.config.requests_per_connection_max).unwrap_or(u32::MAX);
        let _idle = self.connection_permits.acquire_many(all).await;
        self.writer.close().await;
    }

    /// Cuts complete frames out of the input buffer.
    fn drain_input(&mut self) -> Result<(), Option<ErrorResponse>> {
        let body_max = self.ctx.config.limits.frame_body_bytes_max;
        loop {
            if self.version.is_none() {
                self.check_first_version()?;
                if self.version.is_none() {
                    return Ok(());
                }
            }
            match &mut self.framing {
                Framing::Frames => match RawFrame::decode(&mut self.input, body_max) {
                    Ok(Some(raw)) => self.ready_frames.push_back(raw),
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(Some(protocol_error(format!("Invalid frame: {e}")))),
                },
                Framing::Segments { codec, assembler } => match codec.decode(&mut self.input) {
                    Ok(Some(segment)) => match assembler.push(segment) {
                        Ok(frames) => self.ready_frames.extend(frames),
                        Err(e) => return Err(Some(protocol_error(format!("Invalid frame: {e}")))),
                    },
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(Some(protocol_error(format!("Invalid segment: {e}")))),
                },
            }
        }
    }

    /// Applies the version policy to the connection's first frame.
    fn check_first_version(&mut self) -> Result<(), Option<ErrorResponse>> {
        let policy = VersionPolicy {
            supported: self.ctx.config.versions.clone(),
            beta: None,
        };
        match policy.check(&self.input) {
            VersionCheck::NeedMoreBytes => Ok(()),
            VersionCheck::Accept(version) => {
                self.version = Some(version);
                Ok(())
            }
            VersionCheck::Reject { reply, message } => {
                tracing::debug!(peer = %self.peer, %message, "protocol version rejected");
                self.writer.send_raw(reply);
                // The reply is complete; nothing more to say on this connection.
                Err(None)
            }
        }
    }

    /// Ends the connection after a framing error (whose reply goes on stream 0).
    async fn fail(&mut self, reply: Option<ErrorResponse>) {
        if let (Some(error), Some(version)) = (reply, self.version) {
            tracing::debug!(peer = %self.peer, message = %error.message, "closing connection");
            let frame = ResponseFrame::new(version, 0, Response::Error(error));
            self.writer.send(Outgoing::Frame(Box::new(frame))).await;
        }
        self.closing = true;
    }

    async fn on_frame(&mut self, raw: RawFrame) {
        let Some(version) = self.version else { return };
        let stream = raw.header.stream;
        if raw.header.version != version {
            let message = format!(
                "Invalid message version. Got {} but previous messages on this connection had version {}",
                raw.header.version.number(),
                version.number()
            );
            self.fail(Some(protocol_error(message))).await;
            return;
        }
        let compression = self.session.as_ref().and_then(|s| s.compression);
        let frame = match RequestFrame::from_raw(&raw, compression, &self.ctx.config.limits) {
            Ok(frame) => frame,
            Err(e) => {
                // The frame was length-delimited, so the stream stays in sync: answer and go on.
                self.reply(stream, Response::Error(protocol_error(e.to_string())))
                    .await;
                return;
            }
        };
        match (&frame.request, self.phase) {
            (Request::Options, _) => {
                self.reply(stream, startup::supported(&self.ctx.config))
                    .await
            }
            (Request::Startup(options), Phase::AwaitingStartup) => {
                let options = options.clone();
                self.on_startup(version, stream, &options).await;
            }
            (Request::AuthResponse(token), Phase::Authenticating) => {
                let token = token.clone().unwrap_or_default();
                self.on_auth_response(stream, &token).await;
            }
            (Request::Register(types), Phase::Ready) => {
                if let Some(session) = &self.session {
                    session.register(types);
                }
                self.reply(stream, Response::Ready).await;
            }
            (
                Request::Query(_) | Request::Prepare(_) | Request::Execute(_) | Request::Batch(_),
                Phase::Ready,
            ) => {
                self.dispatch(frame).await;
            }
            (request, phase) => {
                let error = startup::unexpected(phase, opcode_name(request.opcode()));
                self.reply(stream, Response::Error(error)).await;
            }
        }
    }

    async fn on_startup(
        &mut self,
        version: ProtocolVersion,
        stream: i16,
        options: &sibyl_protocol::types::StringMap,
    ) {
        let compression = match startup::startup(options) {
            Ok(compression) => compression,
            Err(error) => return self.reply(stream, Response::Error(error)).await,
        };
        self.session = Some(Arc::new(ClientSession::new(
            self.peer,
            self.local,
            version,
            compression,
        )));
        let response = match &self.ctx.config.authenticator {
            Some(class) => {
                self.phase = Phase::Authenticating;
                Response::Authenticate(class.clone())
            }
            None => {
                self.phase = Phase::Ready;
                Response::Ready
            }
        };
        self.reply(stream, response).await;
        // Both directions switch to v5 segments right after READY/AUTHENTICATE.
        let segments = version >= ProtocolVersion::V5;
        self.writer
            .send(Outgoing::Mode {
                compression,
                segments,
            })
            .await;
        if segments {
            self.framing = Framing::Segments {
                codec: SegmentCodec::new(compression),
                assembler: FrameAssembler::new(self.ctx.config.limits.frame_body_bytes_max),
            };
        }
    }

    async fn on_auth_response(&mut self, stream: i16, token: &[u8]) {
        let outcome = match startup::parse_plain_token(token) {
            Ok((user, password)) => match self.ctx.handler.authenticate(&user, &password).await {
                Ok(()) => Ok(user),
                Err(message) => Err(message),
            },
            Err(message) => Err(message),
        };
        let response = match outcome {
            Ok(user) => {
                if let Some(session) = &self.session {
                    session.set_user(&user);
                }
                self.phase = Phase::Ready;
                Response::AuthSuccess(None)
            }
            Err(message) => Response::Error(ErrorResponse {
                kind: ErrorKind::AuthenticationError,
                message,
            }),
        };
        self.reply(stream, response).await;
    }

    /// Spawns a statement's request task, or answers Overloaded past the limits.
    async fn dispatch(&mut self, frame: RequestFrame) {
        let (version, stream) = (frame.version, frame.stream);
        let Some(session) = self.session.clone() else {
            return;
        };
        let Ok(connection_permit) = self.connection_permits.clone().try_acquire_owned() else {
            let max = self.ctx.config.requests_per_connection_max;
            let message = format!("Too many requests in flight on this connection (max {max})");
            return self
                .reply(stream, Response::Error(overloaded(message)))
                .await;
        };
        let Ok(node_permit) = self.ctx.node_permits.clone().try_acquire_owned() else {
            let max = self.ctx.config.requests_max;
            let message = format!("Too many requests in flight on this node (max {max})");
            return self
                .reply(stream, Response::Error(overloaded(message)))
                .await;
        };
        let handler = Arc::clone(&self.ctx.handler);
        let guard = AnswerGuard {
            sender: Some(self.writer.sender()),
            version,
            stream,
            peer: self.peer,
        };
        tokio::spawn(async move {
            let answer = handler.handle(session, frame).await;
            let sender = guard.disarm();
            let _ = sender
                .send(Outgoing::Frame(Box::new(response_frame(
                    version, stream, answer,
                ))))
                .await;
            drop((connection_permit, node_permit));
        });
    }

    async fn on_event(&mut self, event: Result<Event, broadcast::error::RecvError>) {
        let (Ok(event), Some(session), Some(version)) = (event, &self.session, self.version) else {
            return;
        };
        let event_type = match &event {
            Event::TopologyChange { .. } => EventType::TopologyChange,
            Event::StatusChange { .. } => EventType::StatusChange,
            Event::SchemaChange(_) => EventType::SchemaChange,
        };
        if session.is_registered(event_type) {
            self.writer
                .send(Outgoing::Frame(Box::new(ResponseFrame::new(
                    version,
                    -1,
                    Response::Event(event),
                ))))
                .await;
        }
    }

    async fn reply(&mut self, stream: i16, response: Response) {
        let Some(version) = self.version else { return };
        self.writer
            .send(Outgoing::Frame(Box::new(ResponseFrame::new(
                version, stream, response,
            ))))
            .await;
    }
}

fn response_frame(version: ProtocolVersion, stream: i16, answer: HandlerResponse) -> ResponseFrame {
    let mut frame = ResponseFrame::new(version, stream, answer.response);
    if version >= ProtocolVersion::V4 {
        frame.warnings = answer.warnings;
    }
    frame.tracing_id = answer.tracing_id;
    frame
}

fn protocol_error(message: impl Into<String>) -> ErrorResponse {
    ErrorResponse {
        kind: ErrorKind::Protocol,
        message: message.into(),
    }
}

fn overloaded(message: String) -> ErrorResponse {
    ErrorResponse {
        kind: ErrorKind::Overloaded,
        message,
    }
}

fn opcode_name(opcode: Opcode) -> &'static str {
    match opcode {
        Opcode::Startup => "STARTUP",
        Opcode::AuthResponse => "AUTH_RESPONSE",
        Opcode::Options => "OPTIONS",
        Opcode::Query => "QUERY",
        Opcode::Prepare => "PREPARE",
        Opcode::Execute => "EXECUTE",
        Opcode::Batch => "BATCH",
        Opcode::Register => "REGISTER",
        _ => "response message",
    }
}

/// Held by a request task until it answers: a task that ends without
/// answering (it panicked) still sends ServerError on its stream.
struct AnswerGuard {
    sender: Option<mpsc::Sender<Outgoing>>,
    version: ProtocolVersion,
    stream: i16,
    peer: SocketAddr,
}

impl AnswerGuard {
    /// The task is about to answer itself.
    fn disarm(mut self) -> mpsc::Sender<Outgoing> {
        match self.sender.take() {
            Some(sender) => sender,
            None => unreachable!("an answer guard is disarmed once"),
        }
    }
}

impl Drop for AnswerGuard {
    fn drop(&mut self) {
        let Some(sender) = self.sender.take() else {
            return;
        };
        tracing::error!(peer = %self.peer, stream = self.stream, "request task failed");
        let error = ErrorResponse {
            kind: ErrorKind::Server,
            message: "internal error while serving the request".into(),
        };
        let frame = ResponseFrame::new(self.version, self.stream, Response::Error(error));
        let _ = sender.try_send(Outgoing::Frame(Box::new(frame)));
    }
}
