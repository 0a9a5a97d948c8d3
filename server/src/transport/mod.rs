//! The native protocol transport: accept client connections and turn their
//! frames into requests for the CQL layer (DESIGN §3, first arrow).
//!
//! - [`listener`]: the accept loop, with a connection limit.
//! - [`connection`]: one socket: version negotiation, framing (v4 frames with
//!   optional LZ4, v5 segments after the handshake), in-flight limits, the
//!   writer task, event push.
//! - [`startup`]: the messages the transport answers itself: OPTIONS,
//!   STARTUP, AUTH_RESPONSE (SASL PLAIN), REGISTER.
//! - [`session`]: per-connection state the CQL layer reads and updates.
//! - [`writer`]: the task that alone writes a connection's socket.
//! - [`tls`]: client encryption: the acceptor and the per-connection handshake.
//!
//! QUERY, PREPARE, EXECUTE and BATCH go to a [`RequestHandler`]. Every task
//! spawned here has an owner that joins it: the listener owns connections, a
//! connection owns its writer and its request tasks.

pub mod connection;
pub mod listener;
pub mod session;
pub mod startup;
pub mod tls;
pub mod writer;

use std::future::Future;
use std::sync::Arc;

use sibyl_protocol::RequestFrame;
use sibyl_protocol::frame::ProtocolVersion;
use sibyl_protocol::limits::Limits;
use sibyl_protocol::response::{ErrorKind, ErrorResponse, Event, Response};

pub use listener::Listener;
pub use session::ClientSession;

/// What the CQL layer answers to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerResponse {
    /// The response message.
    pub response: Response,
    /// Warnings for the client (sent in v4+ frames).
    pub warnings: Vec<String>,
    /// The tracing session, when the request asked for tracing and got one.
    pub tracing_id: Option<uuid::Uuid>,
}

impl HandlerResponse {
    /// A plain response.
    pub fn new(response: Response) -> Self {
        Self {
            response,
            warnings: Vec::new(),
            tracing_id: None,
        }
    }

    /// An ERROR response.
    pub fn error(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::new(Response::Error(ErrorResponse {
            kind,
            message: message.into(),
        }))
    }
}

/// The layer above the transport: serves statements and checks credentials.
pub trait RequestHandler: Send + Sync + 'static {
    /// Serves a QUERY, PREPARE, EXECUTE or BATCH of an established session.
    fn handle(
        &self,
        session: Arc<ClientSession>,
        request: RequestFrame,
    ) -> impl Future<Output = HandlerResponse> + Send;

    /// Checks SASL PLAIN credentials; `Err` carries the message for the client.
    fn authenticate(
        &self,
        user: &str,
        password: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// How the transport behaves; built from the node configuration.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Decoder limits (frame body size, collection sizes, nesting).
    pub limits: Limits,
    /// Protocol versions accepted.
    pub versions: Vec<ProtocolVersion>,
    /// Client connections served at once; more are closed on accept.
    pub connections_max: usize,
    /// Requests in flight per connection before Overloaded.
    pub requests_per_connection_max: usize,
    /// Requests in flight on the node before Overloaded.
    pub requests_max: usize,
    /// The SASL authenticator class announced in AUTHENTICATE; `None` = no auth.
    pub authenticator: Option<String>,
    /// CQL version announced in SUPPORTED.
    pub cql_version: String,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            versions: ProtocolVersion::ALL.to_vec(),
            connections_max: 1024,
            requests_per_connection_max: 1024,
            requests_max: 4096,
            authenticator: None,
            cql_version: "3.4.7".to_owned(),
        }
    }
}

/// Node-wide events pushed to connections that REGISTERed for them.
pub type EventSender = tokio::sync::broadcast::Sender<Event>;
