//! The seam between messaging and the network (STYLE §3): messaging hands
//! frames to a [`Transport`]; whoever receives frames calls
//! [`super::Messaging::receive`]. [`super::tcp::TcpTransport`] is the real
//! one; [`MemoryNetwork`] connects messaging services inside one process
//! (tests, simulations), with no sockets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Weak};

use parking_lot::RwLock;

use super::frame::Frame;
use super::messaging::Messaging;

/// Sends frames to peers.
pub trait Transport: Send + Sync + 'static {
    /// Queues `frame` for `peer`; false when it cannot be queued (full).
    fn send(&self, peer: IpAddr, frame: Frame) -> bool;
}

/// An in-process network: every attached messaging service reaches every
/// other one by address; frames to unknown addresses are lost.
#[derive(Default)]
pub struct MemoryNetwork {
    nodes: RwLock<HashMap<IpAddr, Weak<Messaging>>>,
}

impl MemoryNetwork {
    /// A network with no node.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Attaches `messaging` at its address.
    pub fn attach(&self, messaging: &Arc<Messaging>) {
        self.nodes
            .write()
            .insert(messaging.local(), Arc::downgrade(messaging));
    }

    /// The transport of the node at `local`.
    pub fn transport(self: &Arc<Self>, local: IpAddr) -> Arc<MemoryTransport> {
        Arc::new(MemoryTransport {
            network: Arc::clone(self),
            local,
        })
    }
}

/// One node's end of a [`MemoryNetwork`].
pub struct MemoryTransport {
    network: Arc<MemoryNetwork>,
    local: IpAddr,
}

impl Transport for MemoryTransport {
    fn send(&self, peer: IpAddr, frame: Frame) -> bool {
        let target = self.network.nodes.read().get(&peer).and_then(Weak::upgrade);
        if let Some(target) = target {
            let from = self.local;
            // Delivered on its own task, as a socket would: never reentrant.
            tokio::spawn(async move { target.receive(from, frame) });
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use tokio::sync::oneshot;

    use super::*;
    use crate::metrics::Metrics;
    use crate::net::filter::{FilterAction, FilterRule, FilterRules};
    use crate::net::{Direction, MessageFilter, MessageHandler, NetError, Verb};
    use crate::shutdown::Shutdown;

    /// Answers every MUTATION_REQ with a MUTATION_RSP echoing the body.
    struct Echo;

    impl MessageHandler for Echo {
        fn on_message(&self, messaging: &Arc<Messaging>, from: IpAddr, frame: Frame) {
            if frame.verb == Verb::MutationReq {
                messaging.respond(from, Verb::MutationRsp, frame.id, frame.body);
            }
        }
    }

    fn node(network: &Arc<MemoryNetwork>, last: u8, shutdown: &Shutdown) -> Arc<Messaging> {
        let address = IpAddr::from([10, 0, 0, last]);
        let messaging = Messaging::over(
            address,
            7000,
            network.transport(address),
            Arc::new(MessageFilter::default()),
            Arc::new(Metrics::new()),
            shutdown.signal(),
        );
        messaging.set_handler(Arc::new(Echo));
        network.attach(&messaging);
        messaging
    }

    async fn ask(from: &Messaging, to: IpAddr, timeout: Duration) -> Result<Frame, NetError> {
        let (tx, rx) = oneshot::channel();
        from.request(
            to,
            Verb::MutationReq,
            Bytes::from_static(b"ping"),
            timeout,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.await.unwrap_or(Err(NetError::Timeout(to)))
    }

    #[tokio::test]
    async fn requests_cross_the_memory_network_and_the_filter_cuts_them() {
        let shutdown = Shutdown::new();
        let network = MemoryNetwork::new();
        let a = node(&network, 1, &shutdown);
        let b = node(&network, 2, &shutdown);
        let reply = ask(&a, b.local(), Duration::from_secs(5)).await.unwrap();
        assert_eq!(
            (reply.verb, &reply.body[..]),
            (Verb::MutationRsp, &b"ping"[..])
        );
        assert_eq!(a.metrics().native_requests(), 0);
        // b drops everything from a: a's request times out.
        b.filter().set(FilterRules {
            rules: vec![FilterRule {
                peer: Some(a.local()),
                direction: Direction::Inbound,
                verb: None,
                action: FilterAction::Drop,
            }],
        });
        let lost = ask(&a, b.local(), Duration::from_millis(200)).await;
        assert!(matches!(lost, Err(NetError::Timeout(_))), "{lost:?}");
        b.filter().set(FilterRules::default());
        assert!(ask(&a, b.local(), Duration::from_secs(5)).await.is_ok());
        // Nobody at that address: the request times out.
        let nowhere = ask(&a, IpAddr::from([10, 0, 0, 9]), Duration::from_millis(200)).await;
        assert!(nowhere.is_err());
        shutdown.fire();
    }
}
