//! The TCP [`Transport`]: one outbound connection per peer (dialled from
//! this node's listen address, reconnected with back-off, fed by a bounded
//! queue) and an accept loop whose connections hand frames to messaging.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;

use super::frame::{self, Frame};
use super::messaging::Messaging;
use super::transport::Transport;
use crate::shutdown::ShutdownSignal;

/// Messages queued per peer before new ones are dropped (callers time out).
pub const PEER_QUEUE_MAX: usize = 8192;
/// Longest wait for a connection to a peer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest pause between reconnection attempts.
const RECONNECT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Frames written to a socket per flush.
const WRITE_BATCH_MAX: usize = 256;

/// Internode messages over TCP.
pub struct TcpTransport {
    local: IpAddr,
    port: u16,
    peers: Mutex<HashMap<IpAddr, mpsc::Sender<Frame>>>,
    shutdown: ShutdownSignal,
}

impl TcpTransport {
    /// A transport dialling peers at `port` from `local`.
    pub fn new(local: IpAddr, port: u16, shutdown: ShutdownSignal) -> Self {
        Self {
            local,
            port,
            peers: Mutex::new(HashMap::new()),
            shutdown,
        }
    }

    /// Accepts peers' connections on `listener`, handing frames to `messaging`.
    pub fn serve(&self, listener: TcpListener, messaging: Arc<Messaging>) {
        tokio::spawn(accept_loop(listener, messaging, self.shutdown.clone()));
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
}

impl Transport for TcpTransport {
    fn send(&self, peer: IpAddr, frame: Frame) -> bool {
        self.queue(peer).try_send(frame).is_ok()
    }
}

async fn accept_loop(
    listener: TcpListener,
    messaging: Arc<Messaging>,
    mut shutdown: ShutdownSignal,
) {
    loop {
        tokio::select! {
            () = shutdown.fired() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(inbound_loop(stream, Arc::clone(&messaging), shutdown.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "internode accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

async fn inbound_loop(
    mut stream: TcpStream,
    messaging: Arc<Messaging>,
    mut shutdown: ShutdownSignal,
) {
    let _ = stream.set_nodelay(true);
    let mut buf = BytesMut::with_capacity(64 * 1024);
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
                    Ok(Some(frame)) => messaging.receive(from, frame),
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
