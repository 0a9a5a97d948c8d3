//! The replica side of the coordinator's verbs: apply a mutation, read a
//! partition, scan a range, truncate a table, and the Paxos phases (prepare
//! with its read, propose (committing at once when told the proposal is
//! then chosen), commit), all against the local store on the
//! blocking pool, answering with the response verb or FAILURE_RSP
//! (a reason in UTF-8) when the request cannot be served (an unknown table:
//! this node has not seen the schema change yet).

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use sibyl_storage::ReadLimits;
use sibyl_storage::model::codec::decode_update;

use super::messages::{
    RangeCommand, ReadCommand, decode_table, digest, encode_digest_response, encode_range_response,
    encode_read_response,
};
use crate::net::{Messaging, Verb, frame::Frame};
use crate::paxos::PaxosStore;
use crate::paxos::messages::{
    PrepareRequest, PrepareResponse, ProposeRequest, decode_commit, encode_propose_response,
};
use crate::paxos::store::PrepareOutcome;
use crate::storage::LocalStore;

/// Serves replica verbs from the local store.
pub struct ReplicaService {
    store: Arc<LocalStore>,
    paxos: Arc<PaxosStore>,
    /// Whether single-partition verbs may be served on the thread that
    /// received them (true when the commitlog acknowledges before its
    /// fsync, so they wait on nothing but memory and the page cache).
    inline: bool,
}

impl ReplicaService {
    /// A service over `store` and this node's Paxos state; `inline` as the
    /// field says.
    pub fn new(store: Arc<LocalStore>, paxos: Arc<PaxosStore>, inline: bool) -> Self {
        Self {
            store,
            paxos,
            inline,
        }
    }

    /// Serves `frame` from `from` and answers it: a single-partition verb
    /// at once when `inline` (a hand-off to the blocking pool costs two
    /// thread wake-ups, the largest cost of an LWT round on a replica), a
    /// scan or truncate (or anything in `batch`/`group` commitlog mode) on
    /// the blocking pool.
    pub fn handle(self: &Arc<Self>, messaging: &Arc<Messaging>, from: IpAddr, frame: Frame) {
        let single_partition = matches!(
            frame.verb,
            Verb::MutationReq
                | Verb::ReadReq
                | Verb::PaxosPrepareReq
                | Verb::PaxosProposeReq
                | Verb::PaxosCommitReq
        );
        if self.inline && single_partition {
            self.answer(messaging, from, frame);
            return;
        }
        let this = Arc::clone(self);
        let messaging = Arc::clone(messaging);
        tokio::task::spawn_blocking(move || this.answer(&messaging, from, frame));
    }

    fn answer(&self, messaging: &Messaging, from: IpAddr, frame: Frame) {
        let id = frame.id;
        let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.serve(frame)))
            .unwrap_or_else(|_| Err("internal error serving the request".to_owned()));
        let (verb, body) = match served {
            Ok(answer) => answer,
            Err(reason) => {
                tracing::debug!(%from, %reason, "replica request failed");
                (Verb::FailureRsp, Bytes::from(reason))
            }
        };
        messaging.respond(from, verb, id, body);
    }

    fn serve(&self, frame: Frame) -> Result<(Verb, Bytes), String> {
        match frame.verb {
            Verb::MutationReq => {
                let update = decode_update(&frame.body).map_err(|e| e.to_string())?;
                let table = self
                    .store
                    .table_by_id(update.table)
                    .map_err(|e| e.to_string())?;
                table.apply(&update).map_err(|e| e.to_string())?;
                Ok((Verb::MutationRsp, Bytes::new()))
            }
            Verb::ReadReq => {
                let read = ReadCommand::decode(frame.body).map_err(|e| e.to_string())?;
                let table = self
                    .store
                    .table_by_id(read.table)
                    .map_err(|e| e.to_string())?;
                let result = table
                    .read_partition(
                        &read.key,
                        &read.slices,
                        false,
                        read.now_s,
                        ReadLimits::default(),
                    )
                    .map_err(|e| e.to_string())?;
                let body = if read.digest {
                    encode_digest_response(digest(read.table, result.partition.as_ref()))
                } else {
                    encode_read_response(read.table, result.partition.as_ref())
                };
                Ok((Verb::ReadRsp, body))
            }
            Verb::RangeReq => {
                let range = RangeCommand::decode(frame.body).map_err(|e| e.to_string())?;
                let table = self
                    .store
                    .table_by_id(range.table)
                    .map_err(|e| e.to_string())?;
                let max = usize::try_from(range.partitions_max)
                    .unwrap_or(usize::MAX)
                    .min(super::super::cql::read::SCAN_PARTITIONS_MAX);
                let page = table
                    .scan(&range.range, range.now_s, max.max(1))
                    .map_err(|e| e.to_string())?;
                Ok((Verb::RangeRsp, encode_range_response(range.table, &page)))
            }
            Verb::TruncateReq => {
                let table = decode_table(frame.body).map_err(|e| e.to_string())?;
                self.store.truncate_id(table).map_err(|e| e.to_string())?;
                Ok((Verb::TruncateRsp, Bytes::new()))
            }
            Verb::PaxosPrepareReq | Verb::PaxosProposeReq | Verb::PaxosCommitReq => {
                self.serve_paxos(frame)
            }
            other => Err(format!("{other} is not a replica verb")),
        }
    }

    fn serve_paxos(&self, frame: Frame) -> Result<(Verb, Bytes), String> {
        match frame.verb {
            Verb::PaxosPrepareReq => {
                let prepare = PrepareRequest::decode(frame.body).map_err(|e| e.to_string())?;
                let read = prepare.read;
                let outcome = self
                    .paxos
                    .prepare(read.table, &read.key, prepare.ballot)
                    .map_err(|e| e.to_string())?;
                let data = match outcome {
                    PrepareOutcome::Reject { .. } => None,
                    PrepareOutcome::Promise { .. } => {
                        let table = self
                            .store
                            .table_by_id(read.table)
                            .map_err(|e| e.to_string())?;
                        table
                            .read_partition(
                                &read.key,
                                &read.slices,
                                false,
                                read.now_s,
                                ReadLimits::default(),
                            )
                            .map_err(|e| e.to_string())?
                            .partition
                    }
                };
                let response = PrepareResponse { outcome, data };
                Ok((Verb::PaxosPrepareRsp, response.encode(read.table)))
            }
            Verb::PaxosProposeReq => {
                // Accept, and commit at once when the proposer says that
                // accepting here makes the proposal chosen (docs/paxos.md).
                let propose = ProposeRequest::decode(frame.body).map_err(|e| e.to_string())?;
                let outcome = self
                    .paxos
                    .accept(propose.ballot, propose.update, propose.commit_on_accept)
                    .map_err(|e| e.to_string())?;
                Ok((Verb::PaxosProposeRsp, encode_propose_response(outcome)))
            }
            Verb::PaxosCommitReq => {
                let (ballot, update) = decode_commit(frame.body).map_err(|e| e.to_string())?;
                self.paxos
                    .commit(ballot, &update)
                    .map_err(|e| e.to_string())?;
                Ok((Verb::PaxosCommitRsp, Bytes::new()))
            }
            other => Err(format!("{other} is not a paxos verb")),
        }
    }
}
