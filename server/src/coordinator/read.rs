//! Single-partition reads: ask the level's closest replicas for data (this
//! node answers inline), merge with the engine's reconcile, and repair the
//! replicas whose answer differs before answering (blocking read repair,
//! so QUORUM reads are monotonic).

use std::net::IpAddr;
use std::sync::mpsc;
use std::time::Instant;

use bytes::Bytes;
use sibyl_protocol::types::Consistency;
use sibyl_storage::ReadLimits;
use sibyl_storage::model::codec::encode_update_to_bytes;
use sibyl_storage::model::reconcile::merge_partitions;
use sibyl_storage::model::{Partition, PartitionKey, Slices};

use super::messages::{ReadCommand, ReadReply, decode_read_reply, digest};
use super::plan::{AckTracker, Replica, Requirement, check_alive, read_targets, requirement};
use super::speculation::SpeculativeRetry;
use super::{Coordinator, RequestScope, read_failure, read_timeout, unavailable};
use crate::error::RequestError;
use crate::net::Verb;
use crate::schema::TableMetadata;
use crate::storage::{engine_id, request_error};

/// One replica's answer.
enum Answer {
    Data(Box<Option<Partition>>),
    Digest([u8; 16]),
    Failed,
}

/// How the answers of a read resolve.
enum Resolved {
    /// The merged rows (stale replicas repaired).
    Rows(Option<Partition>),
    /// A digest disagreed with the data (or no data came): read data from these.
    Mismatch(Vec<Replica>),
}

/// Which replicas a read consults.
#[derive(Clone, Copy, Debug)]
pub enum ReadLevel {
    /// As the consistency level says.
    Level(RequestScope),
    /// Every live replica (the read of a counter increment), until the deadline.
    AllAlive(Instant),
}

/// A read's plan: the level, deadline, what counts, whom to ask first and
/// whom to ask when speculating.
struct ReadPlan {
    consistency: Consistency,
    deadline: Instant,
    requirement: Requirement,
    targets: Vec<Replica>,
    spares: Vec<Replica>,
    local_dc: String,
}

impl Coordinator {
    /// Reads partition `key` of `table` restricted to `slices`, at `now_s`.
    ///
    /// # Errors
    /// Unavailable, ReadTimeout, ReadFailure, or storage errors.
    pub fn read_partition(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        slices: &Slices,
        now_s: u32,
        level: ReadLevel,
    ) -> Result<Option<Partition>, RequestError> {
        if let ReadLevel::Level(scope) = level
            && matches!(
                scope.consistency,
                Consistency::Serial | Consistency::LocalSerial
            )
        {
            return self
                .serial_reads()?
                .serial_read(table, key, slices, now_s, scope);
        }
        let started = Instant::now();
        let plan = self.read_plan(table, key, level)?;
        if let [only] = plan.targets.as_slice()
            && only.is_local
            && plan.requirement.block_for() <= 1
        {
            let data = self.read_local(table, key, slices, now_s)?;
            // An answer that comes after the deadline is no answer.
            if Instant::now() > plan.deadline {
                return Err(read_timeout(plan.consistency, 0, 1));
            }
            return Ok(data);
        }
        let speculate = self
            .latencies
            .delay(SpeculativeRetry::parse(&table.params.speculative_retry));
        let (contacted, answers) =
            self.gather(table, key, slices, now_s, &plan, speculate, true)?;
        let result = match self.resolve(table, &plan, &contacted, &answers)? {
            Resolved::Rows(rows) => rows,
            Resolved::Mismatch(answered) => {
                // Full data from everyone who answered, then merge and repair.
                let full = ReadPlan {
                    targets: answered,
                    spares: Vec::new(),
                    ..plan
                };
                let (contacted, answers) =
                    self.gather(table, key, slices, now_s, &full, None, false)?;
                match self.resolve(table, &full, &contacted, &answers)? {
                    Resolved::Rows(rows) => rows,
                    Resolved::Mismatch(_) => {
                        return Err(read_timeout(
                            full.consistency,
                            0,
                            full.requirement.block_for(),
                        ));
                    }
                }
            }
        };
        self.latencies.record(started.elapsed());
        Ok(result)
    }

    /// The level, deadline and replicas of a read.
    fn read_plan(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        level: ReadLevel,
    ) -> Result<ReadPlan, RequestError> {
        let view = self.topology.current();
        let replication = self.replication(table);
        let replicas = view.replicas(&replication, key.token().0);
        let (consistency, deadline, requirement) = match level {
            ReadLevel::Level(scope) => {
                let req = requirement(
                    scope.consistency,
                    &replication,
                    &view.local_dc,
                    view.node_count(),
                    false,
                )?;
                if let Err(u) = check_alive(&req, &replicas, &view.local_dc) {
                    return Err(unavailable(scope.consistency, u.required, u.alive));
                }
                (scope.consistency, scope.deadline, req)
            }
            ReadLevel::AllAlive(deadline) => (
                Consistency::All,
                deadline,
                Requirement::Total(replicas.iter().filter(|r| r.alive).count()),
            ),
        };
        let targets = read_targets(&requirement, &replicas, &view.local_dc);
        let spares = match requirement {
            Requirement::Total(_) | Requirement::LocalDc(_) => {
                let mut all =
                    read_targets(&Requirement::Total(usize::MAX), &replicas, &view.local_dc);
                all.retain(|r| {
                    !targets.iter().any(|t| t.host == r.host)
                        && (!matches!(requirement, Requirement::LocalDc(_))
                            || r.dc == view.local_dc)
                });
                all
            }
            Requirement::EachDc(_) => Vec::new(),
        };
        Ok(ReadPlan {
            consistency,
            deadline,
            requirement,
            targets,
            spares,
            local_dc: view.local_dc.clone(),
        })
    }

    /// Merges the answers, repairing stale replicas.
    fn resolve(
        &self,
        table: &TableMetadata,
        plan: &ReadPlan,
        contacted: &[Replica],
        answers: &[Option<Answer>],
    ) -> Result<Resolved, RequestError> {
        let mut tracker = AckTracker::new(plan.requirement.clone(), &plan.local_dc);
        let mut failed: Vec<IpAddr> = Vec::new();
        let mut data: Vec<(&Replica, &Option<Partition>)> = Vec::new();
        let mut digests: Vec<[u8; 16]> = Vec::new();
        let mut answered: Vec<Replica> = Vec::new();
        for (replica, answer) in contacted.iter().zip(answers) {
            match answer {
                Some(Answer::Data(d)) => {
                    tracker.ack(replica);
                    data.push((replica, &**d));
                    answered.push(replica.clone());
                }
                Some(Answer::Digest(d)) => {
                    tracker.ack(replica);
                    digests.push(*d);
                    answered.push(replica.clone());
                }
                Some(Answer::Failed) => failed.push(replica.address),
                None => {}
            }
        }
        if !tracker.satisfied() {
            if !failed.is_empty() {
                return Err(read_failure(
                    plan.consistency,
                    tracker.received(),
                    tracker.block_for(),
                    &failed,
                ));
            }
            return Err(read_timeout(
                plan.consistency,
                tracker.received(),
                tracker.block_for(),
            ));
        }
        let merged = data
            .iter()
            .filter_map(|(_, d)| d.as_ref())
            .fold(None::<Partition>, |acc, p| {
                Some(acc.map_or_else(|| p.clone(), |a| merge_partitions(&a, p)))
            });
        if data.is_empty()
            || (!digests.is_empty() && {
                let expected = digest(engine_id(table), merged.as_ref());
                digests.iter().any(|d| *d != expected)
            })
        {
            return Ok(Resolved::Mismatch(answered));
        }
        let stale: Vec<&Replica> = data
            .iter()
            .filter(|(_, d)| !same_data(d.as_ref(), merged.as_ref()))
            .map(|(r, _)| *r)
            .collect();
        if let Some(merged) = &merged
            && !stale.is_empty()
        {
            self.repair(table, merged, &stale, plan.consistency, plan.deadline)?;
        }
        Ok(Resolved::Rows(merged))
    }

    fn read_local(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        slices: &Slices,
        now_s: u32,
    ) -> Result<Option<Partition>, RequestError> {
        crate::traces::activity::local_read(&table.name);
        Ok(self
            .store
            .table(table)?
            .read_partition(key, slices, false, now_s, ReadLimits::default())
            .map_err(|e| request_error(&e))?
            .partition)
    }

    /// Sends the read to `replica` (answer `j` of the channel).
    fn send_read(
        &self,
        replica: &Replica,
        j: usize,
        body: Bytes,
        deadline: Instant,
        tx: &mpsc::Sender<(usize, Answer)>,
    ) -> Result<(), RequestError> {
        let tx = tx.clone();
        let timeout = deadline.saturating_duration_since(Instant::now());
        crate::traces::activity::sending("READ_REQ", replica.address);
        self.messaging()?.request(
            replica.address,
            Verb::ReadReq,
            body,
            timeout,
            Box::new(move |result| {
                let answer = match result {
                    Ok(frame) if frame.verb == Verb::ReadRsp => {
                        match decode_read_reply(frame.body) {
                            Ok(ReadReply::Data(d)) => Answer::Data(d),
                            Ok(ReadReply::Digest(d)) => Answer::Digest(d),
                            Err(_) => Answer::Failed,
                        }
                    }
                    Ok(_) => Answer::Failed,
                    Err(_) => return,
                };
                let _ = tx.send((j, answer));
            }),
        );
        Ok(())
    }

    /// Asks the plan's targets (data from the closest, digests from the
    /// others when `digests`; a spare when they are slow), waiting until
    /// the answers meet the level or the deadline passes. Returns who was
    /// asked and their answers (`None`: no answer in time).
    #[expect(
        clippy::too_many_arguments,
        reason = "one read's inputs, each distinct"
    )]
    fn gather(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        slices: &Slices,
        now_s: u32,
        plan: &ReadPlan,
        speculate: Option<std::time::Duration>,
        digests: bool,
    ) -> Result<(Vec<Replica>, Vec<Option<Answer>>), RequestError> {
        let (tx, rx) = mpsc::channel();
        let command = |digest| {
            ReadCommand {
                table: engine_id(table),
                key: key.clone(),
                slices: slices.clone(),
                now_s,
                digest,
            }
            .encode()
        };
        let (body, digest_body) = (command(false), command(true));
        let mut contacted = plan.targets.clone();
        let mut answers: Vec<Option<Answer>> = contacted.iter().map(|_| None).collect();
        let data_from = contacted.iter().position(|r| r.is_local).unwrap_or(0);
        for (j, replica) in contacted.iter().enumerate() {
            if !replica.is_local {
                let body = if digests && j != data_from {
                    digest_body.clone()
                } else {
                    body.clone()
                };
                self.send_read(replica, j, body, plan.deadline, &tx)?;
            }
        }
        let mut tracker = AckTracker::new(plan.requirement.clone(), &plan.local_dc);
        if let Some(j) = contacted.iter().position(|r| r.is_local) {
            answers[j] = Some(Answer::Data(Box::new(
                self.read_local(table, key, slices, now_s)?,
            )));
            tracker.ack(&contacted[j]);
        }
        let mut spares = plan.spares.iter();
        let mut speculate_at = speculate.map(|d| Instant::now() + d);
        while !tracker.satisfied() {
            let now = Instant::now();
            if now >= plan.deadline {
                break;
            }
            let wake = speculate_at.map_or(plan.deadline, |t| t.min(plan.deadline));
            match rx.recv_timeout(wake.saturating_duration_since(now)) {
                Ok((j, answer)) => {
                    if matches!(answer, Answer::Data(_) | Answer::Digest(_))
                        && let Some(replica) = contacted.get(j)
                    {
                        crate::traces::activity::answered("READ_RSP", replica.address);
                        tracker.ack(replica);
                    }
                    if let Some(slot) = answers.get_mut(j) {
                        *slot = Some(answer);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) if speculate_at.is_some() => {
                    speculate_at = None;
                    if let Some(spare) = spares.next() {
                        let j = contacted.len();
                        contacted.push(spare.clone());
                        answers.push(None);
                        self.send_read(spare, j, body.clone(), plan.deadline, &tx)?;
                    }
                }
                Err(_) => break,
            }
        }
        Ok((contacted, answers))
    }

    /// Writes `merged` to the `stale` replicas and waits for all of them.
    fn repair(
        &self,
        table: &TableMetadata,
        merged: &Partition,
        stale: &[&Replica],
        consistency: Consistency,
        deadline: Instant,
    ) -> Result<(), RequestError> {
        let update = merged.to_update(engine_id(table));
        let body: Bytes = encode_update_to_bytes(&update);
        let (tx, rx) = mpsc::channel();
        let timeout = deadline.saturating_duration_since(Instant::now());
        let mut waiting = 0_usize;
        for replica in stale {
            if replica.is_local {
                self.store
                    .table(table)?
                    .apply(&update)
                    .map_err(|e| request_error(&e))?;
                continue;
            }
            waiting += 1;
            let tx = tx.clone();
            self.messaging()?.request(
                replica.address,
                Verb::MutationReq,
                body.clone(),
                timeout,
                Box::new(move |result| {
                    let _ = tx.send(matches!(result, Ok(f) if f.verb == Verb::MutationRsp));
                }),
            );
        }
        drop(tx);
        for done in 0..waiting {
            let left = deadline.saturating_duration_since(Instant::now());
            if !matches!(rx.recv_timeout(left), Ok(true)) {
                return Err(read_timeout(consistency, done, waiting));
            }
        }
        Ok(())
    }
}

/// True when two replicas' answers hold the same data.
fn same_data(a: Option<&Partition>, b: Option<&Partition>) -> bool {
    let table = sibyl_storage::model::TableId(0);
    a == b || digest(table, a) == digest(table, b)
}
