//! Replica-side Paxos: promise, accept and commit for one partition, with
//! the state kept durably in an internal engine table (so it goes through
//! the commitlog like any write and survives restarts).
//!
//! Every operation on one partition runs under one of [`LOCK_STRIPES`]
//! locks (read state, decide, write state), so concurrent rounds on a
//! partition are serialised on each replica. Each stripe also caches the
//! states it wrote or read (write-through, at most [`CACHED_PER_STRIPE`]
//! partitions; a full stripe starts over), so a round reads the engine only
//! for partitions it has not seen since start. State rows expire after
//! [`STATE_TTL_S`] of inactivity: finished rounds leave nothing behind for
//! ever, and no round lives that long.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use parking_lot::Mutex;
use sibyl_storage::ReadLimits;
use sibyl_storage::model::codec::decode_update;
use sibyl_storage::model::{
    Cell, ClusteringKey, PartitionKey, PartitionUpdate, Row, Slices, TableId,
};

use super::ballot::Ballot;
use super::state::PaxosState;
use crate::clock::Clock;
use crate::error::RequestError;
use crate::storage::{LocalStore, PAXOS_TABLE};

/// Locks partitions are spread over.
pub const LOCK_STRIPES: usize = 256;
/// Partition states cached per stripe.
pub const CACHED_PER_STRIPE: usize = 1024;

/// One stripe's cache of states (the stripe lock guards it).
type Stripe = HashMap<PartitionKey, PaxosState>;
/// How long an idle partition's Paxos state is kept (3 hours).
pub const STATE_TTL_S: u32 = 3 * 3600;

/// A replica's answer to a prepare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrepareOutcome {
    /// Promised: what was accepted and committed before.
    Promise {
        /// An accepted proposal not known committed.
        accepted: Option<(Ballot, Bytes)>,
        /// The most recent commit here.
        committed: Ballot,
    },
    /// Refused: a higher ballot was promised.
    Reject {
        /// That ballot.
        promised: Ballot,
    },
}

/// What a replica did with a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposeOutcome {
    /// Refused: a higher ballot was promised.
    Refused {
        /// That ballot.
        promised: Ballot,
    },
    /// Accepted, durably.
    Accepted,
    /// Accepted and, the proposer having said the proposal is chosen once
    /// accepted here, committed here (applied, recorded as the last commit).
    Committed,
}

/// The node's Paxos replica state.
pub struct PaxosStore {
    store: Arc<LocalStore>,
    clock: Arc<dyn Clock>,
    locks: Vec<Mutex<Stripe>>,
    last_write_us: AtomicI64,
}

impl PaxosStore {
    /// The state kept in `store`'s internal Paxos table.
    pub fn new(store: Arc<LocalStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            locks: (0..LOCK_STRIPES)
                .map(|_| Mutex::new(Stripe::new()))
                .collect(),
            last_write_us: AtomicI64::new(0),
        }
    }

    fn state_key(table: TableId, key: &PartitionKey) -> PartitionKey {
        let mut bytes = BytesMut::with_capacity(16 + key.key().len());
        bytes.put_u128(table.0);
        bytes.put_slice(key.key());
        PartitionKey::new(bytes.freeze())
    }

    fn lock(&self, state_key: &PartitionKey) -> parking_lot::MutexGuard<'_, Stripe> {
        let stripe =
            usize::try_from(state_key.token().0.unsigned_abs() % LOCK_STRIPES as u64).unwrap_or(0);
        self.locks[stripe].lock()
    }

    fn now_s(&self) -> u32 {
        u32::try_from(self.clock.now_seconds()).unwrap_or(u32::MAX)
    }

    fn load(&self, stripe: &Stripe, state_key: &PartitionKey) -> Result<PaxosState, RequestError> {
        if let Some(state) = stripe.get(state_key) {
            return Ok(state.clone());
        }
        let table = self.store.table_by_id(PAXOS_TABLE)?;
        let read = table
            .read_partition(
                state_key,
                &Slices::all(),
                false,
                self.now_s(),
                ReadLimits::default(),
            )
            .map_err(|e| crate::storage::request_error(&e))?;
        let now_s = self.now_s();
        let cell = read
            .partition
            .and_then(|p| p.rows.into_iter().next())
            .and_then(|r| {
                r.cells
                    .into_iter()
                    .find(|c| c.column == 0 && c.is_live(now_s))
            });
        match cell {
            None => Ok(PaxosState::default()),
            Some(cell) => PaxosState::decode(Bytes::copy_from_slice(cell.value()))
                .map_err(|e| RequestError::Server(format!("paxos state: {e}"))),
        }
    }

    fn save(
        &self,
        stripe: &mut Stripe,
        state_key: &PartitionKey,
        state: PaxosState,
    ) -> Result<(), RequestError> {
        let now_us = self.clock.now_micros();
        let timestamp = self
            .last_write_us
            .fetch_max(now_us, Ordering::SeqCst)
            .max(now_us)
            .saturating_add(1);
        self.last_write_us.fetch_max(timestamp, Ordering::SeqCst);
        let mut row = Row::new(ClusteringKey::new(Bytes::new()));
        row.add_cell(Cell::expiring(
            0,
            timestamp,
            state.encode(),
            STATE_TTL_S,
            self.now_s(),
        ));
        let update = PartitionUpdate::new(PAXOS_TABLE, state_key.clone()).with_row(row);
        self.store
            .table_by_id(PAXOS_TABLE)?
            .apply(&update)
            .map_err(|e| crate::storage::request_error(&e))?;
        if stripe.len() >= CACHED_PER_STRIPE && !stripe.contains_key(state_key) {
            stripe.clear();
        }
        stripe.insert(state_key.clone(), state);
        Ok(())
    }

    /// Phase 1: promise `ballot` unless a higher one was promised.
    ///
    /// # Errors
    /// Storage errors.
    pub fn prepare(
        &self,
        table: TableId,
        key: &PartitionKey,
        ballot: Ballot,
    ) -> Result<PrepareOutcome, RequestError> {
        let state_key = Self::state_key(table, key);
        let mut stripe = self.lock(&state_key);
        let mut state = self.load(&stripe, &state_key)?;
        if ballot <= state.promised {
            return Ok(PrepareOutcome::Reject {
                promised: state.promised,
            });
        }
        state.promised = ballot;
        let outcome = PrepareOutcome::Promise {
            accepted: state.accepted.clone(),
            committed: state.committed,
        };
        self.save(&mut stripe, &state_key, state)?;
        Ok(outcome)
    }

    /// Phase 2: accept `update` at `ballot` unless a higher ballot was
    /// promised ([`ProposeOutcome::Refused`] or [`ProposeOutcome::Accepted`]).
    ///
    /// # Errors
    /// Storage errors.
    pub fn propose(
        &self,
        table: TableId,
        key: &PartitionKey,
        ballot: Ballot,
        update: Bytes,
    ) -> Result<ProposeOutcome, RequestError> {
        let state_key = Self::state_key(table, key);
        let mut stripe = self.lock(&state_key);
        let mut state = self.load(&stripe, &state_key)?;
        if ballot < state.promised {
            return Ok(ProposeOutcome::Refused {
                promised: state.promised,
            });
        }
        state.promised = ballot;
        state.accepted = Some((ballot, update));
        self.save(&mut stripe, &state_key, state)?;
        Ok(ProposeOutcome::Accepted)
    }

    /// Serves a PROPOSE request: accepts `update` at `ballot` as
    /// [`PaxosStore::propose`] does and, when `commit_on_accept` (the
    /// proposer accepted it at this ballot already, and two accepts are a
    /// quorum of the round's participants, so accepting it here makes it
    /// chosen), commits it at once exactly as [`PaxosStore::commit`] does.
    /// The accept is durable before the commit starts; a commit that fails
    /// leaves the answer [`ProposeOutcome::Accepted`], and the proposer then
    /// sends the commit itself.
    ///
    /// # Errors
    /// A malformed update; storage errors of the accept.
    pub fn accept(
        &self,
        ballot: Ballot,
        update: Bytes,
        commit_on_accept: bool,
    ) -> Result<ProposeOutcome, RequestError> {
        let decoded = decode_update(&update)
            .map_err(|e| RequestError::Server(format!("paxos proposal: {e}")))?;
        let outcome = self.propose(decoded.table, &decoded.key, ballot, update)?;
        if outcome != ProposeOutcome::Accepted || !commit_on_accept {
            return Ok(outcome);
        }
        Ok(match self.commit_decoded(ballot, decoded) {
            Ok(()) => ProposeOutcome::Committed,
            Err(e) => {
                tracing::warn!(error = %e, "commit on accept failed; left to the proposer");
                ProposeOutcome::Accepted
            }
        })
    }

    /// Commit: applies `update` to its table and records the commit.
    ///
    /// # Errors
    /// A malformed update, an unknown table, storage errors.
    pub fn commit(&self, ballot: Ballot, update: &Bytes) -> Result<(), RequestError> {
        let decoded = decode_update(update)
            .map_err(|e| RequestError::Server(format!("paxos commit: {e}")))?;
        self.commit_decoded(ballot, decoded)
    }

    /// [`PaxosStore::commit`] of an update already decoded. The data is
    /// applied before the state records the commit, so a replica that
    /// reports a commit in a promise also has its data.
    fn commit_decoded(&self, ballot: Ballot, decoded: PartitionUpdate) -> Result<(), RequestError> {
        let state_key = Self::state_key(decoded.table, &decoded.key);
        self.store
            .table_by_id(decoded.table)?
            .apply(&decoded)
            .map_err(|e| crate::storage::request_error(&e))?;
        let mut stripe = self.lock(&state_key);
        let mut state = self.load(&stripe, &state_key)?;
        if ballot > state.committed {
            state.committed = ballot;
        }
        if state.accepted.as_ref().is_some_and(|(b, _)| *b <= ballot) {
            state.accepted = None;
        }
        self.save(&mut stripe, &state_key, state)
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
