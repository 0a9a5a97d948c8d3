//! Writes: every live natural replica gets the mutation (this node applies
//! its share inline), the coordinator waits for the level's acknowledgements;
//! down or silent replicas get a hint.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use bytes::Bytes;
use sibyl_protocol::response::{ErrorKind, ErrorResponse, WriteType};
use sibyl_protocol::types::Consistency;
use sibyl_storage::model::PartitionUpdate;
use sibyl_storage::model::codec::encode_update_to_bytes;

use super::plan::{AckTracker, Replica, check_alive, requirement};
use super::{Coordinator, RequestScope, count, failures, unavailable, write_timeout};
use crate::error::RequestError;
use crate::net::Verb;
use crate::schema::TableMetadata;
use crate::storage::request_error;

/// A replica's answer to one mutation.
enum Outcome {
    Ack,
    Failed,
    Silent,
}

struct Planned {
    table: Arc<TableMetadata>,
    update: PartitionUpdate,
    replicas: Vec<Replica>,
    tracker: AckTracker,
    answered: Vec<bool>,
    failed: Vec<std::net::IpAddr>,
}

impl Coordinator {
    /// Applies `mutations` at `scope`'s level.
    ///
    /// # Errors
    /// Unavailable before anything is sent; WriteTimeout / WriteFailure with
    /// the level's figures; storage errors of this node's own share.
    pub fn write(
        &self,
        mutations: Vec<(Arc<TableMetadata>, PartitionUpdate)>,
        scope: RequestScope,
        write_type: WriteType,
    ) -> Result<(), RequestError> {
        let view = self.topology.current();
        let mut planned = Vec::with_capacity(mutations.len());
        for (table, update) in mutations {
            let replication = self.replication(&table);
            let req = requirement(
                scope.consistency,
                &replication,
                &view.local_dc,
                view.node_count(),
                true,
            )?;
            let replicas = view.replicas(&replication, update.key.token().0);
            if scope.consistency != Consistency::Any
                && let Err(u) = check_alive(&req, &replicas, &view.local_dc)
            {
                return Err(unavailable(scope.consistency, u.required, u.alive));
            }
            planned.push(Planned {
                table,
                update,
                answered: vec![false; replicas.len()],
                replicas,
                tracker: AckTracker::new(req, &view.local_dc),
                failed: Vec::new(),
            });
        }
        if planned
            .iter()
            .all(|p| p.replicas.iter().all(|r| r.is_local))
        {
            // This node is the only replica: no messages, no waiting.
            for p in planned {
                crate::traces::activity::local_write(&p.table.name);
                self.store
                    .table(&p.table)?
                    .apply(&p.update)
                    .map_err(|e| request_error(&e))?;
            }
            return Ok(());
        }
        let (tx, rx) = mpsc::channel();
        self.send_mutations(&mut planned, scope, &tx)?;
        drop(tx);
        wait_for_acks(&mut planned, scope, write_type, &rx)
    }

    /// Sends every remote share, hints down replicas, applies the local share.
    fn send_mutations(
        &self,
        planned: &mut [Planned],
        scope: RequestScope,
        tx: &mpsc::Sender<(usize, usize, Outcome)>,
    ) -> Result<(), RequestError> {
        let timeout = scope.deadline.saturating_duration_since(Instant::now());
        for (i, p) in planned.iter_mut().enumerate() {
            let remote = p.replicas.iter().any(|r| !r.is_local);
            let body: Option<Bytes> = remote.then(|| encode_update_to_bytes(&p.update));
            for (j, replica) in p.replicas.iter().enumerate() {
                if replica.is_local {
                    continue;
                }
                let Some(body) = body.clone() else { continue };
                if !replica.alive {
                    if let Some(hints) = &self.hints {
                        hints.store(replica.host, body);
                        if scope.consistency == Consistency::Any {
                            p.tracker.ack(replica);
                        }
                    }
                    continue;
                }
                let tx = tx.clone();
                let hints = self.hints.clone();
                let host = replica.host;
                let hint_body = body.clone();
                crate::traces::activity::sending("MUTATION_REQ", replica.address);
                self.messaging()?.request(
                    replica.address,
                    Verb::MutationReq,
                    body,
                    timeout,
                    Box::new(move |result| {
                        let outcome = match result {
                            Ok(frame) if frame.verb == Verb::MutationRsp => Outcome::Ack,
                            Ok(_) => Outcome::Failed,
                            Err(_) => {
                                if let Some(hints) = hints {
                                    hints.store(host, hint_body);
                                }
                                Outcome::Silent
                            }
                        };
                        let _ = tx.send((i, j, outcome));
                    }),
                );
            }
        }
        for p in planned.iter_mut() {
            if let Some(j) = p.replicas.iter().position(|r| r.is_local) {
                self.store
                    .table(&p.table)?
                    .apply(&p.update)
                    .map_err(|e| request_error(&e))?;
                p.answered[j] = true;
                let replica = p.replicas[j].clone();
                p.tracker.ack(&replica);
            }
        }
        Ok(())
    }
}

fn wait_for_acks(
    planned: &mut [Planned],
    scope: RequestScope,
    write_type: WriteType,
    rx: &mpsc::Receiver<(usize, usize, Outcome)>,
) -> Result<(), RequestError> {
    loop {
        if let Some(p) = planned.iter().find(|p| !p.tracker.satisfied()) {
            let outstanding: Vec<&Replica> = p
                .replicas
                .iter()
                .zip(&p.answered)
                .filter(|(r, done)| !**done && r.alive)
                .map(|(r, _)| r)
                .collect();
            if !p.tracker.reachable(&outstanding) {
                return Err(write_failure(p, scope.consistency, write_type));
            }
        } else {
            return Ok(());
        }
        let left = scope.deadline.saturating_duration_since(Instant::now());
        let Ok((i, j, outcome)) = rx.recv_timeout(left) else {
            return Err(timed_out(planned, scope.consistency, write_type));
        };
        let Some(p) = planned.get_mut(i) else {
            continue;
        };
        let Some(replica) = p.replicas.get(j).cloned() else {
            continue;
        };
        if let Some(done) = p.answered.get_mut(j) {
            *done = true;
        }
        match outcome {
            Outcome::Ack => {
                crate::traces::activity::answered("MUTATION_RSP", replica.address);
                p.tracker.ack(&replica);
            }
            Outcome::Failed => p.failed.push(replica.address),
            Outcome::Silent => {}
        }
    }
}

/// The WriteTimeout of a write whose acknowledgements did not all come: the
/// figures of the first mutation still short of its level.
fn timed_out(planned: &[Planned], consistency: Consistency, write_type: WriteType) -> RequestError {
    let tracker = planned
        .iter()
        .map(|p| &p.tracker)
        .find(|t| !t.satisfied())
        .or_else(|| planned.first().map(|p| &p.tracker));
    let figures = tracker.map_or((0, 0), |t| (t.received(), t.block_for()));
    write_timeout(consistency, figures, write_type, None)
}

fn write_failure(p: &Planned, consistency: Consistency, write_type: WriteType) -> RequestError {
    RequestError::Protocol(ErrorResponse {
        kind: ErrorKind::WriteFailure {
            consistency,
            received: count(p.tracker.received()),
            block_for: count(p.tracker.block_for()),
            failures: failures(&p.failed),
            write_type,
        },
        message: format!(
            "Operation failed - received {} responses and {} failures",
            p.tracker.received(),
            p.failed.len()
        ),
    })
}

impl Coordinator {
    /// Truncates `table` on every node; every node must be up (Cassandra's rule).
    ///
    /// # Errors
    /// Unavailable when a node is down; a truncate error when one does not
    /// answer by `deadline` or fails.
    pub fn truncate(&self, table: &TableMetadata, deadline: Instant) -> Result<(), RequestError> {
        let view = self.topology.current();
        let peers = view.peers();
        let alive = peers.iter().filter(|(_, _, up)| *up).count();
        if alive < peers.len() {
            return Err(unavailable(Consistency::All, peers.len() + 1, alive + 1));
        }
        let (tx, rx) = mpsc::channel();
        let timeout = deadline.saturating_duration_since(Instant::now());
        let body = super::messages::encode_table(crate::storage::engine_id(table));
        for (_, address, _) in &peers {
            let tx = tx.clone();
            self.messaging()?.request(
                *address,
                Verb::TruncateReq,
                body.clone(),
                timeout,
                Box::new(move |result| {
                    let _ = tx.send(matches!(result, Ok(f) if f.verb == Verb::TruncateRsp));
                }),
            );
        }
        drop(tx);
        self.store.truncate(table)?;
        for _ in &peers {
            let left = deadline.saturating_duration_since(Instant::now());
            if !matches!(rx.recv_timeout(left), Ok(true)) {
                return Err(RequestError::Protocol(ErrorResponse {
                    kind: ErrorKind::Truncate,
                    message: "Truncate timed out or failed on a replica".to_owned(),
                }));
            }
        }
        Ok(())
    }
}
