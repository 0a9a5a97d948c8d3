//! The messaging service: one outbound TCP connection per peer (dialled from
//! this node's listen address, reconnected with back-off, fed by a bounded
//! queue), an inbound listener, request ids with response callbacks, and the
//! message filter applied on both sides.
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

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::filter::{Direction, MessageFilter, Verdict};
use super::frame::{self, Frame};
use super::verb::Verb;
use crate::metrics::Metrics;
use crate::shutdown::ShutdownSignal;

/// Messages queued per peer before new ones are dropped (callers time out).
pub const PEER_QUEUE_MAX: usize = 8192;
/// Longest wait for a connection to a peer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest pause between reconnection attempts.
const RECONNECT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// How often expired pending requests are failed.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);
/// Frames written to a socket per flush.
const WRITE_BATCH_MAX: usize = 256;

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
    peers: Mutex<HashMap<IpAddr, mpsc::Sender<Frame>>>,
    pending: Mutex<HashMap<u64, Pending>>,
    next_id: AtomicU64,
    handler: OnceLock<Arc<dyn MessageHandler>>,
    metrics: Arc<Metrics>,
    dropped: Arc<crate::metrics::Counter>,
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
        let messaging = Arc::new(Self {
            local,
            port,
            filter,
            peers: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            handler: OnceLock::new(),
            dropped: metrics.counter(
                "sibyl_messages_dropped_total",
                "Internode messages dropped because a peer's queue was full.",
                &[],
            ),
            metrics,
            shutdown,
        });
        tokio::spawn(Arc::clone(&messaging).accept_loop(listener));
        tokio::spawn(Arc::clone(&messaging).sweep_loop());
        Ok(messaging)
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
            Verdict::Drop => {}
            Verdict::Pass => self.enqueue(peer, frame),
            Verdict::Delay(delay) => {
                let queue = self.queue(peer);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = queue.send(frame).await;
                });
            }
        }
    }

    fn queue(&self, peer: IpAddr) -> mpsc::Sender<Frame> {
        let mut peers = self.peers.lock();
        if let Some(queue) = peers.get(&peer)
            && !queue.is_closed()
        {
            return queue.clone();
        }
        let (tx, rx) = mpsc::channel(PEER_QUEUE_MAX);
        peers.insert(peer, tx.clone());
        tokio::spawn(outbound_loop(
            self.local,
            SocketAddr::new(peer, self.port),
            rx,
            self.shutdown.clone(),
        ));
        tx
    }

    fn enqueue(&self, peer: IpAddr, frame: Frame) {
        let verb = frame.verb;
        match self.queue(peer).try_send(frame) {
            Ok(()) => self.metrics.message_sent(verb),
            Err(_) => {
                self.dropped.inc();
                tracing::debug!(%peer, %verb, "internode queue full; message dropped");
            }
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

    fn receive(self: &Arc<Self>, from: IpAddr, frame: Frame) {
        match self.filter.verdict(from, Direction::Inbound, frame.verb) {
            Verdict::Drop => {}
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

    async fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        let mut shutdown = self.shutdown.clone();
        loop {
            tokio::select! {
                () = shutdown.fired() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        tokio::spawn(Arc::clone(&self).inbound_loop(stream));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "internode accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
    }

    async fn inbound_loop(self: Arc<Self>, mut stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let mut buf = BytesMut::with_capacity(64 * 1024);
        let mut shutdown = self.shutdown.clone();
        let mut peer = None;
        loop {
            if peer.is_none() {
                match frame::decode_handshake(&mut buf) {
                    Ok(Some(address)) => peer = Some(address),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "internode connection refused");
                        return;
                    }
                }
            }
            if let Some(from) = peer {
                loop {
                    match frame::decode(&mut buf) {
                        Ok(Some(frame)) => self.receive(from, frame),
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(%from, error = %e, "internode connection closed");
                            return;
                        }
                    }
                }
            }
            tokio::select! {
                () = shutdown.fired() => return,
                read = stream.read_buf(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
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

async fn connect(local: IpAddr, peer: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = if peer.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // Dial from our own address so the peer (and its filter) sees who we are.
    socket.bind(SocketAddr::new(local, 0))?;
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(peer))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Owns the connection to one peer: connects, writes queued frames in
/// batches, reconnects after errors with back-off.
async fn outbound_loop(
    local: IpAddr,
    peer: SocketAddr,
    mut queue: mpsc::Receiver<Frame>,
    mut shutdown: ShutdownSignal,
) {
    let mut backoff = Duration::from_millis(20);
    let mut carried: Option<Frame> = None;
    loop {
        let mut stream = tokio::select! {
            () = shutdown.fired() => return,
            connected = connect(local, peer) => match connected {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "internode connect failed");
                    tokio::select! {
                        () = shutdown.fired() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(RECONNECT_BACKOFF_MAX);
                    continue;
                }
            },
        };
        backoff = Duration::from_millis(20);
        let mut buf = BytesMut::with_capacity(64 * 1024);
        frame::encode_handshake(local, &mut buf);
        loop {
            let first = match carried.take() {
                Some(f) => f,
                None => tokio::select! {
                    () = shutdown.fired() => return,
                    next = queue.recv() => match next {
                        Some(f) => f,
                        None => return,
                    },
                },
            };
            write_into(&first, &mut buf);
            for _ in 1..WRITE_BATCH_MAX {
                match queue.try_recv() {
                    Ok(f) => write_into(&f, &mut buf),
                    Err(_) => break,
                }
            }
            if let Err(e) = stream.write_all(&buf).await {
                tracing::debug!(%peer, error = %e, "internode write failed; reconnecting");
                break;
            }
            buf.clear();
        }
    }
}

fn write_into(f: &Frame, buf: &mut BytesMut) {
    if let Err(e) = frame::encode(f, buf) {
        tracing::warn!(error = %e, verb = %f.verb, "internode message not sent");
    }
}
