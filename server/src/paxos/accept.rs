//! Phase 2 and the commit of the proposer: getting one value chosen at one
//! ballot and committing it at the statement's consistency level (the
//! protocol and its safety argument: `docs/paxos.md`).
//!
//! Two ways, by who coordinates:
//!
//! - **Learning on accept** (this node is a live participant and two
//!   accepts make a quorum of the round's participants, i.e. at most three
//!   participants): this node accepts first, through its own store and its
//!   own promise; only then does PAXOS_PROPOSE_REQ go to the other live
//!   participants with "commit on accept". A replica accepting it holds the
//!   second accept at this ballot, so the value is chosen and it commits at
//!   once. One such answer tells this node the same: it commits locally and
//!   counts committed answers (itself included) toward the commit level;
//!   PAXOS_COMMIT_REQ goes out only when they fall short. Two round trips
//!   in all (prepare with the read, propose).
//! - **Classic** (otherwise): propose to every live participant, wait for a
//!   quorum of accepts, then commit to every live participant: three.
//!
//! Invariant (CASSANDRA-12126): a round is retried only when no participant
//! accepted its proposal; once anyone (this node included) accepted, a later
//! round may complete it, so a proposal not known chosen has an unknown
//! outcome ([`Proposed::TimedOut`]).

use std::net::IpAddr;

use bytes::Bytes;
use sibyl_protocol::response::WriteType;
use sibyl_protocol::types::Consistency;

use super::ballot::Ballot;
use super::coordinator::{Paxos, Round};
use super::exchange::Reply;
use super::messages::{ProposeRequest, decode_propose_response, encode_commit};
use super::store::ProposeOutcome;
use crate::coordinator::write_timeout;
use crate::error::RequestError;
use crate::net::Verb;
use crate::net::frame::Frame;
use crate::storage::engine_id;

/// How getting a value chosen went.
pub(super) enum Proposed {
    /// Chosen: a quorum accepted it (and, from [`Paxos::choose`], it is
    /// committed at the level asked).
    Chosen,
    /// Refused (a higher ballot was promised) before any participant
    /// accepted it: safe to retry with a higher ballot.
    Refused(Ballot),
    /// Not known chosen though some participant may have accepted it: an
    /// unknown outcome. Carries how many are known to have accepted.
    TimedOut(usize),
}

/// The commit a chosen value needs: acknowledgements (this node's own
/// apply included) and the level a shortfall is reported at.
#[derive(Clone, Copy)]
pub(super) struct CommitAt {
    /// Acknowledgements needed.
    pub(super) need: usize,
    /// The consistency level named in a WriteTimeout.
    pub(super) level: Consistency,
}

/// Answers to a proposal with commit on accept: who answered, and how.
type Answers = [Reply<(IpAddr, ProposeOutcome)>];

/// A replica's answer to a proposal (`None`: another verb or a malformed body).
fn propose_reply(frame: Frame) -> Option<ProposeOutcome> {
    (frame.verb == Verb::PaxosProposeRsp)
        .then(|| decode_propose_response(frame.body).ok())
        .flatten()
}

/// Remote participants that accepted, and those that also committed.
fn tally(replies: &Answers) -> (usize, usize) {
    let outcome = |want: fn(ProposeOutcome) -> bool| {
        replies
            .iter()
            .filter(|r| matches!(r, Reply::Ok((_, o)) if want(*o)))
            .count()
    };
    (
        outcome(|o| matches!(o, ProposeOutcome::Accepted | ProposeOutcome::Committed)),
        outcome(|o| o == ProposeOutcome::Committed),
    )
}

impl Paxos {
    /// Phase 2 and the commit of `update` at `ballot`: learning on accept
    /// when this node is a live participant and two accepts are a quorum,
    /// else the classic propose-then-commit.
    ///
    /// # Errors
    /// Messaging not running; a WriteTimeout (at `at.level`) when the value
    /// was chosen but the commit fell short of `at.need`.
    pub(super) fn choose(
        &self,
        round: &Round<'_>,
        ballot: Ballot,
        update: &Bytes,
        at: CommitAt,
    ) -> Result<Proposed, RequestError> {
        let proposed = if round.local_is_live() && round.quorum <= 2 {
            self.choose_learning(round, ballot, update, at)?
        } else {
            self.choose_classic(round, ballot, update, at)?
        };
        if matches!(proposed, Proposed::Chosen) && !round.outsiders.is_empty() {
            // LOCAL_SERIAL: the other data centers' replicas hold the
            // partition too; like Cassandra, every replica gets the commit
            // (theirs unawaited), so their reads see the update without
            // waiting for repair.
            let unawaited = CommitAt { need: 0, ..at };
            self.commit_to(
                round,
                &round.outsiders,
                false,
                (ballot, update),
                0,
                unawaited,
            )?;
        }
        Ok(proposed)
    }

    fn choose_classic(
        &self,
        round: &Round<'_>,
        ballot: Ballot,
        update: &Bytes,
        at: CommitAt,
    ) -> Result<Proposed, RequestError> {
        let proposed = self.propose(round, ballot, update)?;
        if matches!(proposed, Proposed::Chosen) {
            let local = round.local_is_live();
            self.commit_to(round, &round.live_remotes(), local, (ballot, update), 0, at)?;
        }
        Ok(proposed)
    }

    /// This node accepts first; the others commit on accept (module docs).
    fn choose_learning(
        &self,
        round: &Round<'_>,
        ballot: Ballot,
        update: &Bytes,
        at: CommitAt,
    ) -> Result<Proposed, RequestError> {
        let table = engine_id(round.table);
        match self
            .replica
            .propose(table, round.key, ballot, update.clone())
        {
            Ok(ProposeOutcome::Accepted | ProposeOutcome::Committed) => {}
            // Nothing was sent yet, so nobody accepted this ballot.
            Ok(ProposeOutcome::Refused { promised }) => return Ok(Proposed::Refused(promised)),
            Err(e) => {
                tracing::warn!(error = %e, "local accept failed; proposing the classic way");
                return self.choose_classic(round, ballot, update, at);
            }
        }
        let quorum = round.quorum;
        let targets = round.live_remotes();
        let body = ProposeRequest {
            ballot,
            commit_on_accept: true,
            update: update.clone(),
        }
        .encode();
        let replies = self.exchange_with(
            round,
            &targets,
            Verb::PaxosProposeReq,
            body,
            // Done early only once chosen and committed widely enough;
            // after a refusal every answer is needed, as in `propose`.
            |replies| {
                let (accepted, committed) = tally(replies);
                1 + accepted >= quorum && 1 + committed >= at.need
            },
            |from, frame| propose_reply(frame).map(|outcome| (from, outcome)),
            None::<fn() -> Result<(IpAddr, ProposeOutcome), RequestError>>,
        )?;
        let (accepted, committed) = tally(&replies);
        if 1 + accepted < quorum {
            // This node accepted: a later round may still complete it.
            return Ok(Proposed::TimedOut(1 + accepted));
        }
        let local = match self.replica.commit(ballot, update) {
            Ok(()) => 1,
            Err(e) => {
                tracing::warn!(error = %e, "local commit of a chosen value failed");
                0
            }
        };
        let acked = local + committed;
        let answered = |want: fn(ProposeOutcome) -> bool| -> Vec<IpAddr> {
            replies
                .iter()
                .filter_map(|r| match r {
                    Reply::Ok((from, o)) if want(*o) => Some(*from),
                    _ => None,
                })
                .collect()
        };
        if acked >= at.need {
            // Replicas that answered without committing get the commit,
            // unawaited, as the classic commit's extra replicas do.
            let behind = answered(|o| o != ProposeOutcome::Committed);
            let unawaited = CommitAt { need: 0, ..at };
            self.commit_to(round, &behind, false, (ballot, update), 0, unawaited)?;
            return Ok(Proposed::Chosen);
        }
        let done = answered(|o| o == ProposeOutcome::Committed);
        let rest: Vec<IpAddr> = targets.into_iter().filter(|t| !done.contains(t)).collect();
        self.commit_to(round, &rest, false, (ballot, update), acked, at)?;
        Ok(Proposed::Chosen)
    }

    /// Phase 2 alone, the classic way: a quorum must accept
    /// ([`Proposed::Chosen`]: it did; nothing is committed yet).
    fn propose(
        &self,
        round: &Round<'_>,
        ballot: Ballot,
        update: &Bytes,
    ) -> Result<Proposed, RequestError> {
        let body = ProposeRequest {
            ballot,
            commit_on_accept: false,
            update: update.clone(),
        }
        .encode();
        let replies = self.exchange(
            round,
            Verb::PaxosProposeReq,
            body,
            // Done early only on success: after a refusal every replica's
            // answer is needed to know whether anyone accepted.
            |replies| {
                replies
                    .iter()
                    .filter(|r| matches!(r, Reply::Ok(ProposeOutcome::Accepted)))
                    .count()
                    >= round.quorum
            },
            |_, frame| propose_reply(frame),
            || {
                self.replica
                    .propose(engine_id(round.table), round.key, ballot, update.clone())
            },
        )?;
        let mut accepted = 0;
        let mut refused_by = None;
        for reply in &replies {
            match reply {
                Reply::Ok(ProposeOutcome::Accepted | ProposeOutcome::Committed) => accepted += 1,
                Reply::Ok(ProposeOutcome::Refused { promised }) => {
                    refused_by = Some(refused_by.map_or(*promised, |b: Ballot| b.max(*promised)));
                }
                Reply::Failed => {}
            }
        }
        // Retrying is safe only when nobody accepted: a proposal accepted by
        // some replicas may still be chosen (completed by a later round), so
        // its outcome is unknown (CASSANDRA-12126).
        Ok(match refused_by {
            _ if accepted >= round.quorum => Proposed::Chosen,
            Some(seen) if accepted == 0 && replies.len() == round.live_count() => {
                Proposed::Refused(seen)
            }
            _ => Proposed::TimedOut(accepted),
        })
    }

    /// How many commit acknowledgements the statement's level needs.
    pub(super) fn commit_need(
        &self,
        round: &Round<'_>,
        commit: Consistency,
    ) -> Result<usize, RequestError> {
        let view = self.coordinator.topology().current();
        let replication = self.coordinator.replication(round.table);
        let level = if matches!(commit, Consistency::Serial | Consistency::LocalSerial) {
            Consistency::Quorum
        } else {
            commit
        };
        let need = crate::coordinator::plan::requirement(
            level,
            &replication,
            &view.local_dc,
            view.node_count(),
            true,
        )?
        .block_for();
        Ok(need.clamp(1, round.participants.len()))
    }

    /// Commit: `targets` (and this node inline when `local`) apply the
    /// chosen value; `already` acknowledgements are in hand and the rest up
    /// to `at.need` are awaited (none: sent, not awaited).
    fn commit_to(
        &self,
        round: &Round<'_>,
        targets: &[IpAddr],
        local: bool,
        (ballot, update): (Ballot, &Bytes),
        already: usize,
        at: CommitAt,
    ) -> Result<(), RequestError> {
        if targets.is_empty() && !local && already >= at.need {
            return Ok(());
        }
        let replies = self.exchange_with(
            round,
            targets,
            Verb::PaxosCommitReq,
            encode_commit(ballot, update),
            |replies| already + super::exchange::ok_count(replies) >= at.need,
            |_, frame| (frame.verb == Verb::PaxosCommitRsp).then_some(()),
            local.then_some(|| self.replica.commit(ballot, update)),
        )?;
        let acked = already + super::exchange::ok_count(&replies);
        if acked < at.need {
            return Err(write_timeout(
                at.level,
                (acked, at.need),
                WriteType::Simple,
                None,
            ));
        }
        Ok(())
    }
}
