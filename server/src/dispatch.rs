//! Routes internode messages by verb to the service that owns them: the
//! replica verbs to [`ReplicaService`], gossip and schema verbs to the
//! membership loop. One `match` on the verb (STYLE §15).

use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::coordinator::replica::ReplicaService;
use crate::net::frame::Frame;
use crate::net::{MessageHandler, Messaging, Verb};

/// Membership messages (gossip, schema) queued for the membership loop.
pub type MembershipInbox = mpsc::Sender<(IpAddr, Frame)>;

/// The node's [`MessageHandler`].
pub struct Dispatcher {
    replica: Arc<ReplicaService>,
    membership: Option<MembershipInbox>,
}

impl Dispatcher {
    /// A dispatcher; `membership` receives gossip and schema messages.
    pub fn new(replica: Arc<ReplicaService>, membership: Option<MembershipInbox>) -> Self {
        Self {
            replica,
            membership,
        }
    }
}

impl MessageHandler for Dispatcher {
    fn on_message(&self, messaging: &Arc<Messaging>, from: IpAddr, frame: Frame) {
        match frame.verb {
            Verb::MutationReq
            | Verb::ReadReq
            | Verb::RangeReq
            | Verb::TruncateReq
            | Verb::PaxosPrepareReq
            | Verb::PaxosProposeReq
            | Verb::PaxosCommitReq => {
                self.replica.handle(messaging, from, frame);
            }
            Verb::GossipSyn
            | Verb::GossipAck
            | Verb::SchemaPush
            | Verb::SchemaPullReq
            | Verb::SchemaPullRsp => {
                if let Some(inbox) = &self.membership
                    && inbox.try_send((from, frame)).is_err()
                {
                    tracing::debug!(%from, "membership inbox full; message dropped");
                }
            }
            other => {
                tracing::debug!(%from, verb = %other, "unexpected internode message dropped");
            }
        }
    }
}
