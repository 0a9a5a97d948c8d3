//! The accept loop: one task per client connection, at most
//! `connections_max` at once (further sockets are closed on accept), all
//! joined before [`Listener::run`] returns.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::connection::{self, ConnectionContext};
use super::tls::NativeTls;
use super::{EventSender, RequestHandler, TransportConfig};
use crate::shutdown::ShutdownSignal;

/// Longest pause after a failed accept (e.g. out of file descriptors).
const ACCEPT_BACKOFF_MS_MAX: u64 = 1_000;

/// A bound native-protocol listener.
pub struct Listener<H: RequestHandler> {
    listener: TcpListener,
    handler: Arc<H>,
    config: Arc<TransportConfig>,
    events: EventSender,
    shutdown: ShutdownSignal,
    tls: Option<NativeTls>,
}

impl<H: RequestHandler> Listener<H> {
    /// Binds `address`.
    ///
    /// # Errors
    /// The address cannot be bound (in use, not local, no permission).
    pub async fn bind(
        address: SocketAddr,
        handler: Arc<H>,
        config: TransportConfig,
        events: EventSender,
        shutdown: ShutdownSignal,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        Ok(Self {
            listener,
            handler,
            config: Arc::new(config),
            events,
            shutdown,
            tls: None,
        })
    }

    /// Wraps every accepted connection in TLS (client encryption).
    #[must_use]
    pub fn with_tls(mut self, tls: NativeTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The bound address (useful with port 0).
    ///
    /// # Errors
    /// The socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until shutdown, then waits for them to finish.
    pub async fn run(self) {
        let connection_slots = Arc::new(Semaphore::new(self.config.connections_max));
        let node_permits = Arc::new(Semaphore::new(self.config.requests_max));
        let mut connections = JoinSet::new();
        let mut shutdown = self.shutdown.clone();
        let mut backoff_ms = 10;
        loop {
            tokio::select! {
                () = shutdown.fired() => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        backoff_ms = 10;
                        let Ok(slot) = Arc::clone(&connection_slots).try_acquire_owned() else {
                            tracing::warn!(%peer, max = self.config.connections_max, "too many client connections; closing");
                            drop(stream);
                            continue;
                        };
                        let ctx = ConnectionContext {
                            handler: Arc::clone(&self.handler),
                            config: Arc::clone(&self.config),
                            node_permits: Arc::clone(&node_permits),
                            events: self.events.subscribe(),
                            shutdown: self.shutdown.clone(),
                            tls: self.tls.clone(),
                        };
                        connections.spawn(async move {
                            connection::serve(stream, ctx).await;
                            drop(slot);
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, backoff_ms, "accept failed");
                        tokio::time::sleep(Duration::from_millis(backoff_ms)).await;
                        backoff_ms = (backoff_ms * 2).min(ACCEPT_BACKOFF_MS_MAX);
                    }
                },
            }
        }
        drop(self.listener);
        while connections.join_next().await.is_some() {}
    }
}
