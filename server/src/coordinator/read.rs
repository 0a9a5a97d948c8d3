//! Single-partition reads: ask the level's closest replicas for data (this
//! node answers inline), merge with the engine's reconcile, and repair the
//! replicas whose answer differs before answering (blocking read repair,
//! so QUORUM reads are monotonic).

use std::net::IpAddr;
use std::sync::mpsc;
use std::time::Instant;

use bytes::Bytes;
use sibyl_protocol::response::{ErrorKind, ErrorResponse};
use sibyl_protocol::types::Consistency;
use sibyl_storage::ReadLimits;
use sibyl_storage::model::codec::encode_update_to_bytes;
use sibyl_storage::model::reconcile::merge_partitions;
use sibyl_storage::model::{Partition, PartitionKey, Slices};

use super::messages::{ReadCommand, decode_read_response};
use super::plan::{Replica, check_alive, read_targets, requirement};
use super::{Coordinator, RequestScope, count, failures, unavailable};
use crate::error::RequestError;
use crate::net::Verb;
use crate::schema::TableMetadata;
use crate::storage::{engine_id, request_error};

/// One replica's answer.
enum Answer {
    Data(Box<Option<Partition>>),
    Failed,
}

/// Which replicas a read consults.
#[derive(Clone, Copy, Debug)]
pub enum ReadLevel {
    /// As the consistency level says.
    Level(RequestScope),
    /// Every live replica (the read of a counter increment), until the deadline.
    AllAlive(Instant),
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
        let (consistency, deadline, targets) = self.read_plan(table, key, level)?;
        if let [only] = targets.as_slice()
            && only.is_local
        {
            let data = self.read_local(table, key, slices, now_s)?;
            // An answer that comes after the deadline is no answer.
            if Instant::now() > deadline {
                return Err(read_timeout(consistency, 0, 1));
            }
            return Ok(data);
        }
        let answers = self.gather(table, key, slices, now_s, &targets, deadline)?;
        self.resolve(table, &targets, &answers, consistency, deadline)
    }

    /// The level, deadline and replicas of a read.
    fn read_plan(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        level: ReadLevel,
    ) -> Result<(Consistency, Instant, Vec<Replica>), RequestError> {
        let view = self.topology.current();
        let replication = self.replication(table);
        let replicas = view.replicas(&replication, key.token().0);
        Ok(match level {
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
                let targets = read_targets(&req, &replicas, &view.local_dc);
                (scope.consistency, scope.deadline, targets)
            }
            ReadLevel::AllAlive(deadline) => (
                Consistency::All,
                deadline,
                replicas.into_iter().filter(|r| r.alive).collect(),
            ),
        })
    }

    /// Merges the answers, repairing stale replicas.
    fn resolve(
        &self,
        table: &TableMetadata,
        targets: &[Replica],
        answers: &[Option<Answer>],
        consistency: Consistency,
        deadline: Instant,
    ) -> Result<Option<Partition>, RequestError> {
        let failed: Vec<IpAddr> = targets
            .iter()
            .zip(answers)
            .filter(|(_, a)| matches!(a, Some(Answer::Failed)))
            .map(|(r, _)| r.address)
            .collect();
        let data: Vec<(&Replica, &Option<Partition>)> = targets
            .iter()
            .zip(answers)
            .filter_map(|(r, a)| match a {
                Some(Answer::Data(d)) => Some((r, &**d)),
                _ => None,
            })
            .collect();
        if !failed.is_empty() {
            return Err(read_failure(
                consistency,
                data.len(),
                targets.len(),
                &failed,
            ));
        }
        if data.len() < targets.len() {
            return Err(read_timeout(consistency, data.len(), targets.len()));
        }
        let merged = data
            .iter()
            .filter_map(|(_, d)| d.as_ref())
            .fold(None::<Partition>, |acc, p| {
                Some(acc.map_or_else(|| p.clone(), |a| merge_partitions(&a, p)))
            });
        let stale: Vec<&Replica> = data
            .iter()
            .filter(|(_, d)| !same_data(d.as_ref(), merged.as_ref()))
            .map(|(r, _)| *r)
            .collect();
        if let Some(merged) = &merged
            && !stale.is_empty()
        {
            self.repair(table, merged, &stale, consistency, deadline)?;
        }
        Ok(merged)
    }

    fn read_local(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        slices: &Slices,
        now_s: u32,
    ) -> Result<Option<Partition>, RequestError> {
        Ok(self
            .store
            .table(table)?
            .read_partition(key, slices, false, now_s, ReadLimits::default())
            .map_err(|e| request_error(&e))?
            .partition)
    }

    /// Every target's answer (`None`: no answer by the deadline).
    fn gather(
        &self,
        table: &TableMetadata,
        key: &PartitionKey,
        slices: &Slices,
        now_s: u32,
        targets: &[Replica],
        deadline: Instant,
    ) -> Result<Vec<Option<Answer>>, RequestError> {
        let (tx, rx) = mpsc::channel();
        let body = ReadCommand {
            table: engine_id(table),
            key: key.clone(),
            slices: slices.clone(),
            now_s,
        }
        .encode();
        let timeout = deadline.saturating_duration_since(Instant::now());
        let mut answers: Vec<Option<Answer>> = targets.iter().map(|_| None).collect();
        for (j, replica) in targets.iter().enumerate() {
            if replica.is_local {
                continue;
            }
            let tx = tx.clone();
            self.messaging()?.request(
                replica.address,
                Verb::ReadReq,
                body.clone(),
                timeout,
                Box::new(move |result| {
                    let answer = match result {
                        Ok(frame) if frame.verb == Verb::ReadRsp => {
                            decode_read_response(frame.body)
                                .map_or(Answer::Failed, |d| Answer::Data(Box::new(d)))
                        }
                        Ok(_) => Answer::Failed,
                        Err(_) => return,
                    };
                    let _ = tx.send((j, answer));
                }),
            );
        }
        drop(tx);
        if let Some(j) = targets.iter().position(|r| r.is_local) {
            answers[j] = Some(Answer::Data(Box::new(
                self.read_local(table, key, slices, now_s)?,
            )));
        }
        while answers.iter().any(Option::is_none) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((j, answer)) => {
                    if let Some(slot) = answers.get_mut(j) {
                        *slot = Some(answer);
                    }
                }
                Err(_) => break,
            }
        }
        Ok(answers)
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
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a == b
                || encode_update_to_bytes(&a.to_update(sibyl_storage::model::TableId(0)))
                    == encode_update_to_bytes(&b.to_update(sibyl_storage::model::TableId(0)))
        }
        _ => false,
    }
}

pub(super) fn read_timeout(
    consistency: Consistency,
    received: usize,
    block_for: usize,
) -> RequestError {
    RequestError::Protocol(ErrorResponse {
        kind: ErrorKind::ReadTimeout {
            consistency,
            received: count(received),
            block_for: count(block_for),
            data_present: received > 0,
        },
        message: format!("Operation timed out - received only {received} responses."),
    })
}

pub(super) fn read_failure(
    consistency: Consistency,
    received: usize,
    block_for: usize,
    failed: &[IpAddr],
) -> RequestError {
    RequestError::Protocol(ErrorResponse {
        kind: ErrorKind::ReadFailure {
            consistency,
            received: count(received),
            block_for: count(block_for),
            failures: failures(failed),
            data_present: received > 0,
        },
        message: format!(
            "Operation failed - received {received} responses and {} failures",
            failed.len()
        ),
    })
}
