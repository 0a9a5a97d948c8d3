//! The messaging service: request ids with response callbacks, one-way
//! messages, dispatch to the node's handler, and the message filter applied
//! on both sides; frames travel through a [`Transport`] (TCP between
//! processes, in memory in tests).
//!
//! Responses travel on the responder's own outbound connection, as in
//! Cassandra, so a filter rule on one direction cuts exactly that direction.
//! A response whose request is no longer pending (it timed out) is dropped;
//! a message with id 0 is one-way and goes to the handler whatever its verb.
//! Nothing here blocks: callers that wait (the coordinator on the blocking
//! pool) pass callbacks that feed their own channels.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::filter::{Direction, MessageFilter, Verdict};
use super::frame::Frame;
use super::tcp::TcpTransport;
use super::transport::Transport;
use super::verb::Verb;
use crate::metrics::Metrics;
use crate::shutdown::ShutdownSignal;

/// How often expired pending requests are failed.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// No response within the request's timeout.
    #[error("no response from {0} in time")]
    Timeout(IpAddr),
}

/// What a request's caller is told: the response frame or why there is none.
pub type ResponseCallback = Box<dyn FnOnce(Result<Frame, NetError>) + Send>;

/// Receives the requests (and one-way messages) peers send this node.
pub trait MessageHandler: Send + Sync + 'static {
    /// A message from `from`; answer with [`Messaging::respond`] using its id.
    fn on_message(&self, messaging: &Arc<Messaging>, from: IpAddr, frame: Frame);
}

struct Pending {
    expires: Instant,
    callback: ResponseCallback,
}

/// A node's messaging service.
pub struct Messaging {
    local: IpAddr,
    port: u16,
    filter: Arc<MessageFilter>,
    transport: Arc<dyn Transport>,
    pending: Mutex<HashMap<u64, Pending>>,
    next_id: AtomicU64,
    handler: OnceLock<Arc<dyn MessageHandler>>,
    metrics: Arc<Metrics>,
    dropped: Arc<crate::metrics::Counter>,
    /// Messages the fault filter dropped (either direction).
    filtered: Arc<crate::metrics::Counter>,
    shutdown: ShutdownSignal,
}

impl Messaging {
    /// Binds the internode port on `local:port` and starts serving peers
    /// (messages are dispatched once [`Messaging::set_handler`] is called).
    ///
    /// # Errors
    /// The port cannot be bound.
    pub async fn start(
        local: IpAddr,
        port: u16,
        filter: Arc<MessageFilter>,
        metrics: Arc<Metrics>,
        shutdown: ShutdownSignal,
    ) -> std::io::Result<Arc<Self>> {
        let listener = TcpListener::bind(SocketAddr::new(local, port)).await?;
        let port = listener.local_addr().map_or(port, |a| a.port());
        let transport = Arc::new(TcpTransport::new(local, port, shutdown.clone()));
        let messaging = Self::over(local, port, transport.clone(), filter, metrics, shutdown);
        transport.serve(listener, Arc::clone(&messaging));
        Ok(messaging)
    }

    /// A messaging service over any [`Transport`] (the in-memory one in
    /// tests); the caller feeds received frames to [`Messaging::receive`].
    pub fn over(
        local: IpAddr,
        port: u16,
        transport: Arc<dyn Transport>,
        filter: Arc<MessageFilter>,
        metrics: Arc<Metrics>,
        shutdown: ShutdownSignal,
    ) -> Arc<Self> {
        let messaging = Arc::new(Self {
            local,
            port,
            filter,
            transport,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            handler: OnceLock::new(),
            dropped: metrics.counter(
                "sibyl_messages_dropped_total",
                "Internode messages dropped because a peer's queue was full.",
                &[],
            ),
            filtered: metrics.counter(
                "sibyl_messages_filtered_total",
                "Internode messages dropped by a fault rule (POST /admin/faults).",
                &[],
            ),
            metrics,
            shutdown,
        });
        tokio::spawn(Arc::clone(&messaging).sweep_loop());
        messaging
    }

    /// This node's listen address.
    pub fn local(&self) -> IpAddr {
        self.local
    }

    /// The internode port (every node of a cluster uses the same one).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The fault filter.
    pub fn filter(&self) -> &Arc<MessageFilter> {
        &self.filter
    }

    /// The metrics messages are counted in.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Sets who handles incoming requests (once).
    pub fn set_handler(&self, handler: Arc<dyn MessageHandler>) {
        let _ = self.handler.set(handler);
    }

    /// Sends a request; `callback` gets the response, or a timeout after `timeout`.
    pub fn request(
        &self,
        peer: IpAddr,
        verb: Verb,
        body: Bytes,
        timeout: Duration,
        callback: ResponseCallback,
    ) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.pending.lock().insert(
            id,
            Pending {
                expires: Instant::now() + timeout,
                callback,
            },
        );
        self.send(peer, Frame { verb, id, body });
    }

    /// Answers request `id` from `peer`.
    pub fn respond(&self, peer: IpAddr, verb: Verb, id: u64, body: Bytes) {
        self.send(peer, Frame { verb, id, body });
    }

    /// Sends a one-way message (no response expected).
    pub fn send_one_way(&self, peer: IpAddr, verb: Verb, body: Bytes) {
        self.send(peer, Frame { verb, id: 0, body });
    }

    fn send(&self, peer: IpAddr, frame: Frame) {
        match self.filter.verdict(peer, Direction::Outbound, frame.verb) {
            Verdict::Drop => self.filtered.inc(),
            Verdict::Pass => self.enqueue(peer, frame),
            Verdict::Delay(delay) => {
                let transport = Arc::clone(&self.transport);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    transport.send(peer, frame);
                });
            }
        }
    }

    fn enqueue(&self, peer: IpAddr, frame: Frame) {
        let verb = frame.verb;
        if self.transport.send(peer, frame) {
            self.metrics.message_sent(verb);
        } else {
            self.dropped.inc();
            tracing::debug!(%peer, %verb, "internode queue full; message dropped");
        }
    }

    fn dispatch(self: &Arc<Self>, from: IpAddr, frame: Frame) {
        self.metrics.message_received(frame.verb);
        if frame.verb.is_response() && frame.id != 0 {
            let pending = self.pending.lock().remove(&frame.id);
            if let Some(pending) = pending {
                (pending.callback)(Ok(frame));
            }
            return;
        }
        if let Some(handler) = self.handler.get() {
            handler.on_message(self, from, frame);
        }
    }

    /// A frame arrived from `from` (called by the transport): the filter
    /// decides, then it is dispatched.
    pub fn receive(self: &Arc<Self>, from: IpAddr, frame: Frame) {
        match self.filter.verdict(from, Direction::Inbound, frame.verb) {
            Verdict::Drop => self.filtered.inc(),
            Verdict::Pass => self.dispatch(from, frame),
            Verdict::Delay(delay) => {
                let this = Arc::clone(self);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    this.dispatch(from, frame);
                });
            }
        }
    }

    async fn sweep_loop(self: Arc<Self>) {
        let mut shutdown = self.shutdown.clone();
        loop {
            tokio::select! {
                () = shutdown.fired() => return,
                () = tokio::time::sleep(SWEEP_INTERVAL) => {}
            }
            let now = Instant::now();
            let expired: Vec<Pending> = {
                let mut pending = self.pending.lock();
                let ids: Vec<u64> = pending
                    .iter()
                    .filter(|(_, p)| p.expires <= now)
                    .map(|(id, _)| *id)
                    .collect();
                ids.iter().filter_map(|id| pending.remove(id)).collect()
            };
            for p in expired {
                (p.callback)(Err(NetError::Timeout(self.local)));
            }
        }
    }
}
