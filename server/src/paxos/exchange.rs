//! One Paxos message exchange of the proposer: a body sent to a set of
//! participants (this node answering inline, never over the network), the
//! replies collected on the calling (blocking) thread until the caller's
//! `done` rule holds, every target answered, or the round's deadline passed.
//!
//! Invariants: a reply is counted at most once per target (the messaging
//! layer calls each callback once); a target that fails or times out adds
//! nothing, so `Reply::Failed` only ever stands for an answer that arrived
//! and did not decode (or a local step that failed).

use std::net::IpAddr;
use std::sync::mpsc;
use std::time::Instant;

use bytes::Bytes;

use super::coordinator::{Paxos, Round};
use crate::error::RequestError;
use crate::net::Verb;
use crate::net::frame::Frame;

/// A participant's answer in one phase.
pub(super) enum Reply<T> {
    /// It answered and the answer decoded.
    Ok(T),
    /// The answer did not decode, or this node's own step failed.
    Failed,
}

/// Replies that arrived and decoded.
pub(super) fn ok_count<T>(replies: &[Reply<T>]) -> usize {
    replies.iter().filter(|r| matches!(r, Reply::Ok(_))).count()
}

impl Round<'_> {
    /// The live participants other than this node, by address.
    pub(super) fn live_remotes(&self) -> Vec<IpAddr> {
        self.participants
            .iter()
            .filter(|r| r.alive && !r.is_local)
            .map(|r| r.address)
            .collect()
    }

    /// Whether this node is a live participant.
    pub(super) fn local_is_live(&self) -> bool {
        self.participants.iter().any(|r| r.alive && r.is_local)
    }

    /// How many participants are live.
    pub(super) fn live_count(&self) -> usize {
        self.participants.iter().filter(|r| r.alive).count()
    }
}

impl Paxos {
    /// Sends `body` to every live participant (this node answers inline
    /// through `local`) and collects replies until `done` says so, every
    /// one answered, or the deadline passed.
    pub(super) fn exchange<T: Send + 'static>(
        &self,
        round: &Round<'_>,
        verb: Verb,
        body: Bytes,
        done: impl Fn(&[Reply<T>]) -> bool,
        decode: impl Fn(IpAddr, Frame) -> Option<T> + Send + Sync + Clone + 'static,
        local: impl FnOnce() -> Result<T, RequestError>,
    ) -> Result<Vec<Reply<T>>, RequestError> {
        let local = round.local_is_live().then_some(local);
        self.exchange_with(
            round,
            &round.live_remotes(),
            verb,
            body,
            done,
            decode,
            local,
        )
    }

    /// [`Paxos::exchange`] to the given remote `targets`, with this node's
    /// own step only when `local` is given.
    #[expect(
        clippy::too_many_arguments,
        reason = "one exchange's inputs; a struct would only rename them"
    )]
    pub(super) fn exchange_with<T: Send + 'static>(
        &self,
        round: &Round<'_>,
        targets: &[IpAddr],
        verb: Verb,
        body: Bytes,
        done: impl Fn(&[Reply<T>]) -> bool,
        decode: impl Fn(IpAddr, Frame) -> Option<T> + Send + Sync + Clone + 'static,
        local: Option<impl FnOnce() -> Result<T, RequestError>>,
    ) -> Result<Vec<Reply<T>>, RequestError> {
        let (tx, rx) = mpsc::channel::<Reply<T>>();
        let timeout = round.deadline.saturating_duration_since(Instant::now());
        let expected = targets.len() + usize::from(local.is_some());
        for &address in targets {
            let tx = tx.clone();
            let decode = decode.clone();
            self.coordinator.messaging()?.request(
                address,
                verb,
                body.clone(),
                timeout,
                Box::new(move |result| {
                    let reply = match result {
                        Ok(frame) => decode(address, frame).map_or(Reply::Failed, Reply::Ok),
                        Err(_) => return,
                    };
                    let _ = tx.send(reply);
                }),
            );
        }
        drop(tx);
        let mut replies = Vec::with_capacity(expected);
        if let Some(local) = local {
            replies.push(match local() {
                Ok(t) => Reply::Ok(t),
                Err(e) => {
                    tracing::warn!(error = %e, "local paxos step failed");
                    Reply::Failed
                }
            });
        }
        while !done(&replies) && replies.len() < expected {
            let left = round.deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(reply) => replies.push(reply),
                Err(_) => break,
            }
        }
        Ok(replies)
    }
}
