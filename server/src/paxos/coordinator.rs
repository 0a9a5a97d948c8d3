//! The proposer (Cassandra's classic Paxos, with the read merged into the
//! prepare): one compare-and-set or SERIAL read on one partition.
//!
//! 1. Prepare a fresh ballot with every live participant, each answering
//!    with its promise (or refusal), its accepted proposal, its last commit
//!    and its copy of the partition. A quorum of promises is needed.
//! 2. An accepted proposal newer than every commit seen is in progress: it
//!    may have been chosen, so it is proposed again with our ballot,
//!    committed at a quorum, and the round starts over.
//! 3. Otherwise the quorum's merged data is the current state: the
//!    condition is evaluated on it; not applied -> answer; applied ->
//!    propose the update (a quorum must accept), then commit it.
//!
//! A refusal (a higher ballot) is contention: back off a random while and
//! retry with a ballot above the one seen, until the deadline. The commit
//! of an applied update waits for the statement's consistency level; a
//! chosen value a commit did not reach is completed by the next prepare
//! that sees it (step 2), which is what makes SERIAL reads linearizable.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sibyl_protocol::response::{ErrorKind, ErrorResponse, WriteType};
use sibyl_protocol::types::Consistency;
use sibyl_storage::ReadLimits;
use sibyl_storage::model::reconcile::merge_partitions;
use sibyl_storage::model::{Partition, PartitionKey, Slices};

use super::ballot::{Ballot, BallotClock};
use super::messages::{PrepareRequest, PrepareResponse, decode_propose_response, encode_proposal};
use super::store::{PaxosStore, PrepareOutcome};
use crate::coordinator::messages::ReadCommand;
use crate::coordinator::{Coordinator, Replica, unavailable, write_timeout};
use crate::error::RequestError;
use crate::net::Verb;
use crate::net::frame::Frame;
use crate::schema::TableMetadata;
use crate::storage::{engine_id, request_error};

/// Longest back-off between two contended attempts.
const BACKOFF_MAX_MS: u64 = 100;

/// What a compare-and-set did.
#[derive(Clone, Debug, PartialEq)]
pub struct CasOutcome {
    /// Whether the update was applied.
    pub applied: bool,
    /// The partition's rows the condition was evaluated on.
    pub current: Option<Partition>,
}

/// Decides from the current rows (and the ballot, whose timestamp the
/// update must carry) whether to apply: `Some(encoded update)` or `None`.
pub type Decide<'a> =
    dyn FnMut(Option<&Partition>, Ballot) -> Result<Option<Bytes>, RequestError> + 'a;

/// The proposer of one node.
pub struct Paxos {
    coordinator: Arc<Coordinator>,
    replica: Arc<PaxosStore>,
    ballots: BallotClock,
}

/// One partition's round parameters.
struct Round<'a> {
    table: &'a TableMetadata,
    key: &'a PartitionKey,
    slices: &'a Slices,
    now_s: u32,
    serial: Consistency,
    participants: Vec<Replica>,
    quorum: usize,
    deadline: Instant,
}

/// A replica's answer in one phase.
enum Reply<T> {
    Ok(T),
    Failed,
}

impl Paxos {
    /// A proposer over `coordinator`'s topology and messaging, this node's
    /// replica state, and its ballot clock.
    pub fn new(
        coordinator: Arc<Coordinator>,
        replica: Arc<PaxosStore>,
        ballots: BallotClock,
    ) -> Self {
        Self {
            coordinator,
            replica,
            ballots,
        }
    }

    /// This node's replica state (served to peers by the replica service).
    pub fn replica(&self) -> &Arc<PaxosStore> {
        &self.replica
    }

    fn round<'a>(
        &self,
        table: &'a TableMetadata,
        key: &'a PartitionKey,
        slices: &'a Slices,
        now_s: u32,
        serial: Consistency,
        deadline: Instant,
    ) -> Result<Round<'a>, RequestError> {
        let view = self.coordinator.topology().current();
        let replication = self.coordinator.replication(table);
        let mut participants = view.replicas(&replication, key.token().0);
        if serial == Consistency::LocalSerial {
            participants.retain(|r| r.dc == view.local_dc);
        }
        let quorum = participants.len() / 2 + 1;
        let alive = participants.iter().filter(|r| r.alive).count();
        if alive < quorum {
            return Err(unavailable(serial, quorum, alive));
        }
        Ok(Round {
            table,
            key,
            slices,
            now_s,
            serial,
            participants,
            quorum,
            deadline,
        })
    }

    /// Compare-and-set on one partition: `decide` sees the current rows.
    ///
    /// # Errors
    /// Unavailable; WriteTimeout (write type CAS, with contentions) when no
    /// decision was reached in time; storage errors.
    #[expect(
        clippy::too_many_arguments,
        reason = "one CAS's inputs; a struct would only rename them"
    )]
    pub fn cas(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        slices: &Slices,
        now_s: u32,
        serial: Consistency,
        commit: Consistency,
        deadline: Instant,
        decide: &mut Decide<'_>,
    ) -> Result<CasOutcome, RequestError> {
        let round = self.round(table, key, slices, now_s, serial, deadline)?;
        let mut contention = Contention::default();
        loop {
            if Instant::now() >= deadline {
                return Err(cas_timeout(serial, 0, round.quorum, contention.count));
            }
            let ballot = self.ballots.next(contention.above);
            let current = match self.prepare_and_settle(&round, ballot, contention.count)? {
                Settled::Current(current) => *current,
                Settled::Contended(seen) | Settled::Completed(seen) => {
                    contention.lost_to(seen, deadline);
                    continue;
                }
            };
            let Some(update) = decide(current.as_ref(), ballot)? else {
                return Ok(CasOutcome {
                    applied: false,
                    current,
                });
            };
            match self.propose(&round, ballot, &update)? {
                Proposed::Accepted => {}
                Proposed::Refused(seen) => {
                    contention.lost_to(seen, deadline);
                    continue;
                }
                Proposed::TimedOut(received) => {
                    return Err(cas_timeout(
                        serial,
                        received,
                        round.quorum,
                        contention.count,
                    ));
                }
            }
            let need = self.commit_need(&round, commit)?;
            self.commit(&round, ballot, &update, need, commit)?;
            return Ok(CasOutcome {
                applied: true,
                current,
            });
        }
    }

    /// A SERIAL / LOCAL_SERIAL read: the partition as of the last chosen value.
    ///
    /// # Errors
    /// Unavailable; ReadTimeout when no quorum answered in time.
    pub fn serial_read(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        slices: &Slices,
        now_s: u32,
        serial: Consistency,
        deadline: Instant,
    ) -> Result<Option<Partition>, RequestError> {
        let round = self.round(table, key, slices, now_s, serial, deadline)?;
        let mut contention = Contention::default();
        loop {
            if Instant::now() >= deadline {
                return Err(crate::coordinator::read_timeout(serial, 0, round.quorum));
            }
            let ballot = self.ballots.next(contention.above);
            match self.prepare_and_settle(&round, ballot, contention.count) {
                Ok(Settled::Current(current)) => return Ok(*current),
                Ok(Settled::Contended(seen) | Settled::Completed(seen)) => {
                    contention.lost_to(seen, deadline);
                }
                Err(RequestError::Protocol(ErrorResponse {
                    kind: ErrorKind::WriteTimeout { received, .. },
                    ..
                })) => {
                    let received = usize::try_from(received).unwrap_or(0);
                    return Err(crate::coordinator::read_timeout(
                        serial,
                        received,
                        round.quorum,
                    ));
                }
                Err(other) => return Err(other),
            }
        }
    }
}

/// Where a prepare left the partition.
enum Settled {
    /// A quorum promised and nothing is in progress: the current rows.
    Current(Box<Option<Partition>>),
    /// A higher ballot was promised somewhere.
    Contended(Ballot),
    /// An in-progress proposal was completed; start over.
    Completed(Ballot),
}

/// How a proposal went.
enum Proposed {
    Accepted,
    Refused(Ballot),
    TimedOut(usize),
}

impl Paxos {
    /// Phase 1 (with the read), completing an in-progress proposal if found.
    fn prepare_and_settle(
        &self,
        round: &Round<'_>,
        ballot: Ballot,
        contentions: u16,
    ) -> Result<Settled, RequestError> {
        let read = ReadCommand {
            table: engine_id(round.table),
            key: round.key.clone(),
            slices: round.slices.clone(),
            now_s: round.now_s,
            digest: false,
        };
        let body = PrepareRequest { ballot, read }.encode();
        let replies = self.exchange(
            round,
            Verb::PaxosPrepareReq,
            body,
            |replies| ok_count(replies) >= round.quorum,
            |frame| {
                (frame.verb == Verb::PaxosPrepareRsp)
                    .then(|| PrepareResponse::decode(frame.body).ok())
                    .flatten()
            },
            || self.local_prepare(round, ballot),
        )?;
        let answers: Vec<PrepareResponse> = replies
            .into_iter()
            .filter_map(|r| match r {
                Reply::Ok(a) => Some(a),
                Reply::Failed => None,
            })
            .collect();
        if let Some(promised) = answers.iter().find_map(|a| match a.outcome {
            PrepareOutcome::Reject { promised } => Some(promised),
            PrepareOutcome::Promise { .. } => None,
        }) {
            return Ok(Settled::Contended(promised));
        }
        if answers.len() < round.quorum {
            return Err(cas_timeout(
                round.serial,
                answers.len(),
                round.quorum,
                contentions,
            ));
        }
        let in_progress = in_progress(&answers);
        if let Some(update) = in_progress {
            return match self.propose(round, ballot, &update)? {
                Proposed::Accepted => {
                    self.commit(round, ballot, &update, round.quorum, round.serial)?;
                    Ok(Settled::Completed(ballot))
                }
                Proposed::Refused(seen) => Ok(Settled::Contended(seen)),
                Proposed::TimedOut(received) => Err(cas_timeout(
                    round.serial,
                    received,
                    round.quorum,
                    contentions,
                )),
            };
        }
        let current = answers
            .iter()
            .filter_map(|a| a.data.as_ref())
            .fold(None::<Partition>, |acc, p| {
                Some(acc.map_or_else(|| p.clone(), |a| merge_partitions(&a, p)))
            });
        Ok(Settled::Current(Box::new(current)))
    }

    fn local_prepare(
        &self,
        round: &Round<'_>,
        ballot: Ballot,
    ) -> Result<PrepareResponse, RequestError> {
        let outcome = self
            .replica
            .prepare(engine_id(round.table), round.key, ballot)?;
        let data = match outcome {
            PrepareOutcome::Reject { .. } => None,
            PrepareOutcome::Promise { .. } => {
                self.coordinator
                    .store()
                    .table(round.table)?
                    .read_partition(
                        round.key,
                        round.slices,
                        false,
                        round.now_s,
                        ReadLimits::default(),
                    )
                    .map_err(|e| request_error(&e))?
                    .partition
            }
        };
        Ok(PrepareResponse { outcome, data })
    }

    /// Phase 2: a quorum must accept.
    fn propose(
        &self,
        round: &Round<'_>,
        ballot: Ballot,
        update: &Bytes,
    ) -> Result<Proposed, RequestError> {
        let replies = self.exchange(
            round,
            Verb::PaxosProposeReq,
            encode_proposal(ballot, update),
            // Done early only on success: after a refusal every replica's
            // answer is needed to know whether anyone accepted.
            |replies| {
                replies
                    .iter()
                    .filter(|r| matches!(r, Reply::Ok((true, _))))
                    .count()
                    >= round.quorum
            },
            |frame| {
                (frame.verb == Verb::PaxosProposeRsp)
                    .then(|| decode_propose_response(frame.body).ok())
                    .flatten()
            },
            || {
                self.replica
                    .propose(engine_id(round.table), round.key, ballot, update.clone())
            },
        )?;
        let live = round.participants.iter().filter(|r| r.alive).count();
        let mut accepted = 0;
        let mut refused_by = None;
        for reply in &replies {
            match reply {
                Reply::Ok((true, _)) => accepted += 1,
                Reply::Ok((false, promised)) => {
                    refused_by = Some(refused_by.map_or(*promised, |b: Ballot| b.max(*promised)));
                }
                Reply::Failed => {}
            }
        }
        // Retrying is safe only when nobody accepted: a proposal accepted by
        // some replicas may still be chosen (completed by a later round), so
        // its outcome is unknown (CASSANDRA-12126).
        Ok(match refused_by {
            _ if accepted >= round.quorum => Proposed::Accepted,
            Some(seen) if accepted == 0 && replies.len() == live => Proposed::Refused(seen),
            _ => Proposed::TimedOut(accepted),
        })
    }

    /// How many commit acknowledgements the statement's level needs.
    fn commit_need(&self, round: &Round<'_>, commit: Consistency) -> Result<usize, RequestError> {
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

    /// Commit: every live participant applies; `need` acknowledgements are awaited.
    fn commit(
        &self,
        round: &Round<'_>,
        ballot: Ballot,
        update: &Bytes,
        need: usize,
        level: Consistency,
    ) -> Result<(), RequestError> {
        let replies = self.exchange(
            round,
            Verb::PaxosCommitReq,
            encode_proposal(ballot, update),
            |replies| ok_count(replies) >= need,
            |frame| (frame.verb == Verb::PaxosCommitRsp).then_some(()),
            || self.replica.commit(ballot, update),
        )?;
        let acked = replies
            .iter()
            .filter(|r| matches!(r, Reply::Ok(())))
            .count();
        if acked < need {
            return Err(write_timeout(level, (acked, need), WriteType::Simple, None));
        }
        Ok(())
    }

    /// Sends `body` to every live participant (this node answers inline
    /// through `local`) and collects replies until `done` says so, every
    /// one answered, or the deadline passed.
    fn exchange<T: Send + 'static>(
        &self,
        round: &Round<'_>,
        verb: Verb,
        body: Bytes,
        done: impl Fn(&[Reply<T>]) -> bool,
        decode: impl Fn(Frame) -> Option<T> + Send + Sync + Clone + 'static,
        local: impl FnOnce() -> Result<T, RequestError>,
    ) -> Result<Vec<Reply<T>>, RequestError> {
        let (tx, rx) = mpsc::channel::<Reply<T>>();
        let timeout = round.deadline.saturating_duration_since(Instant::now());
        let live: Vec<&Replica> = round.participants.iter().filter(|r| r.alive).collect();
        for replica in live.iter().filter(|r| !r.is_local) {
            let tx = tx.clone();
            let decode = decode.clone();
            let address: IpAddr = replica.address;
            self.coordinator.messaging()?.request(
                address,
                verb,
                body.clone(),
                timeout,
                Box::new(move |result| {
                    let reply = match result {
                        Ok(frame) => decode(frame).map_or(Reply::Failed, Reply::Ok),
                        Err(_) => return,
                    };
                    let _ = tx.send(reply);
                }),
            );
        }
        drop(tx);
        let mut replies = Vec::with_capacity(live.len());
        if live.iter().any(|r| r.is_local) {
            replies.push(match local() {
                Ok(t) => Reply::Ok(t),
                Err(e) => {
                    tracing::warn!(error = %e, "local paxos step failed");
                    Reply::Failed
                }
            });
        }
        while !done(&replies) && replies.len() < live.len() {
            let left = round.deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(reply) => replies.push(reply),
                Err(_) => break,
            }
        }
        Ok(replies)
    }
}

impl crate::coordinator::SerialReads for Paxos {
    fn serial_read(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        slices: &Slices,
        now_s: u32,
        scope: crate::coordinator::RequestScope,
    ) -> Result<Option<Partition>, RequestError> {
        Paxos::serial_read(
            self,
            table,
            key,
            slices,
            now_s,
            scope.consistency,
            scope.deadline,
        )
    }
}

/// The newest accepted proposal that is newer than every commit the
/// promises report: a value that may have been chosen and must be completed.
fn in_progress(answers: &[PrepareResponse]) -> Option<Bytes> {
    let mut most_recent = Ballot::ZERO;
    let mut newest: Option<(Ballot, Bytes)> = None;
    for answer in answers {
        if let PrepareOutcome::Promise {
            accepted,
            committed,
        } = &answer.outcome
        {
            most_recent = most_recent.max(*committed);
            if let Some((b, update)) = accepted
                && newest.as_ref().is_none_or(|(best, _)| b > best)
            {
                newest = Some((*b, update.clone()));
            }
        }
    }
    newest
        .filter(|(ballot, _)| *ballot > most_recent)
        .map(|(_, update)| update)
}

/// Lost rounds of one operation: how many, and the highest ballot seen.
#[derive(Default)]
struct Contention {
    count: u16,
    above: Ballot,
}

impl Contention {
    /// A round lost to `seen`: remember it and back off before the next one.
    fn lost_to(&mut self, seen: Ballot, deadline: Instant) {
        self.above = self.above.max(seen);
        self.count = self.count.saturating_add(1);
        backoff(self.count, deadline);
    }
}

/// Replies that arrived and decoded.
fn ok_count<T>(replies: &[Reply<T>]) -> usize {
    replies.iter().filter(|r| matches!(r, Reply::Ok(_))).count()
}

/// Sleeps a random while, growing with the contention, never past `deadline`.
fn backoff(contentions: u16, deadline: Instant) {
    let ceiling_ms = (5_u64 << contentions.min(5)).min(BACKOFF_MAX_MS);
    let random = uuid::Uuid::new_v4().as_u64_pair().0;
    let pause = Duration::from_millis(random % ceiling_ms.max(1));
    let left = deadline.saturating_duration_since(Instant::now());
    std::thread::sleep(pause.min(left));
}

fn cas_timeout(
    serial: Consistency,
    received: usize,
    block_for: usize,
    contentions: u16,
) -> RequestError {
    write_timeout(
        serial,
        (received, block_for),
        WriteType::Cas,
        Some(contentions),
    )
}
