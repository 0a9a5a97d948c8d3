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
//!    get the update chosen and committed ([`super::accept`]: one round
//!    trip when this node is a participant of a round of at most three,
//!    else propose then commit).
//!
//! A refusal (a higher ballot) is contention: back off a random while and
//! retry with a ballot above the one seen, until the deadline. The commit
//! of an applied update waits for the statement's consistency level; a
//! chosen value a commit did not reach is completed by the next prepare
//! that sees it (step 2), which is what makes SERIAL reads linearizable.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sibyl_protocol::response::{ErrorKind, ErrorResponse, WriteType};
use sibyl_protocol::types::Consistency;
use sibyl_storage::ReadLimits;
use sibyl_storage::model::reconcile::merge_partitions;
use sibyl_storage::model::{Partition, PartitionKey, Slices};

use super::accept::{CommitAt, Proposed};
use super::ballot::{Ballot, BallotClock};
use super::exchange::{Reply, ok_count};
use super::messages::{PrepareRequest, PrepareResponse};
use super::store::{PaxosStore, PrepareOutcome};
use crate::coordinator::messages::ReadCommand;
use crate::coordinator::{Coordinator, Replica, unavailable, write_timeout};
use crate::error::RequestError;
use crate::net::Verb;
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
    pub(super) coordinator: Arc<Coordinator>,
    pub(super) replica: Arc<PaxosStore>,
    ballots: BallotClock,
}

/// One partition's round parameters.
pub(super) struct Round<'a> {
    pub(super) table: &'a TableMetadata,
    pub(super) key: &'a PartitionKey,
    slices: &'a Slices,
    now_s: u32,
    serial: Consistency,
    /// The partition's replicas taking part (SERIAL: all; LOCAL_SERIAL:
    /// this data center's), live or not.
    pub(super) participants: Vec<Replica>,
    /// A majority of `participants`.
    pub(super) quorum: usize,
    /// Live replicas of the partition that do not take part (LOCAL_SERIAL:
    /// the other data centers'): they get every commit, unawaited.
    pub(super) outsiders: Vec<IpAddr>,
    pub(super) deadline: Instant,
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
        let mut outsiders = Vec::new();
        if serial == Consistency::LocalSerial {
            outsiders = participants
                .iter()
                .filter(|r| r.dc != view.local_dc && r.alive && !r.is_local)
                .map(|r| r.address)
                .collect();
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
            outsiders,
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
        let at = CommitAt {
            need: self.commit_need(&round, commit)?,
            level: commit,
        };
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
            match self.choose(&round, ballot, &update, at)? {
                Proposed::Chosen => {}
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
            |_, frame| {
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
            let at = CommitAt {
                need: round.quorum,
                level: round.serial,
            };
            return match self.choose(round, ballot, &update, at)? {
                Proposed::Chosen => Ok(Settled::Completed(ballot)),
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
