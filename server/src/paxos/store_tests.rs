//! The replica's Paxos transitions on a real engine in a temporary
//! directory: accepting with and without "commit on accept", refusing below
//! a promise. The update targets the engine's internal Paxos table (the one
//! engine table a bare store has); its row key is not a state key, so the
//! data and the state do not collide.

use std::sync::Arc;

use bytes::Bytes;
use sibyl_storage::ReadLimits;
use sibyl_storage::model::codec::encode_update_to_bytes;
use sibyl_storage::model::{Cell, ClusteringKey, PartitionKey, PartitionUpdate, Row, Slices};

use super::*;
use crate::clock::ManualClock;
use crate::config::NodeConfig;

const NOW_US: i64 = 1_700_000_000_000_000;

fn store(dir: &tempfile::TempDir) -> PaxosStore {
    let local = LocalStore::open(dir.path(), &NodeConfig::default()).unwrap();
    PaxosStore::new(Arc::new(local), Arc::new(ManualClock::new(NOW_US)))
}

fn update(key: &PartitionKey, ballot: Ballot, value: &'static [u8]) -> Bytes {
    let mut row = Row::new(ClusteringKey::new(Bytes::from_static(b"row")));
    row.add_cell(Cell::live(1, ballot.micros(), Bytes::from_static(value)));
    encode_update_to_bytes(&PartitionUpdate::new(PAXOS_TABLE, key.clone()).with_row(row))
}

/// The value of the test row, if the data table has it.
fn data(store: &PaxosStore, key: &PartitionKey) -> Option<Bytes> {
    let now_s = u32::try_from(NOW_US / 1_000_000).unwrap();
    let read = store
        .store
        .table_by_id(PAXOS_TABLE)
        .unwrap()
        .read_partition(key, &Slices::all(), false, now_s, ReadLimits::default())
        .unwrap();
    read.partition
        .and_then(|p| p.rows.into_iter().next())
        .and_then(|r| r.cells.into_iter().find(|c| c.column == 1))
        .map(|c| Bytes::copy_from_slice(c.value()))
}

/// What a fresh prepare above everything reports.
fn state(store: &PaxosStore, key: &PartitionKey, ballot: Ballot) -> PrepareOutcome {
    store.prepare(PAXOS_TABLE, key, ballot).unwrap()
}

#[test]
fn commit_on_accept_applies_records_the_commit_and_clears_the_proposal() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let key = PartitionKey::new(Bytes::from_static(b"learned"));
    let ballot = Ballot::new(NOW_US, 1);
    assert!(matches!(
        store.prepare(PAXOS_TABLE, &key, ballot).unwrap(),
        PrepareOutcome::Promise { .. }
    ));
    let outcome = store.accept(ballot, update(&key, ballot, b"v1"), true);
    assert_eq!(outcome.unwrap(), ProposeOutcome::Committed);
    assert_eq!(data(&store, &key).as_deref(), Some(&b"v1"[..]));
    assert_eq!(
        state(&store, &key, Ballot::new(NOW_US + 10, 2)),
        PrepareOutcome::Promise {
            accepted: None,
            committed: ballot,
        }
    );
}

#[test]
fn a_plain_accept_leaves_the_proposal_in_progress_and_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let key = PartitionKey::new(Bytes::from_static(b"accepted"));
    let ballot = Ballot::new(NOW_US, 1);
    let proposal = update(&key, ballot, b"v1");
    let outcome = store.accept(ballot, proposal.clone(), false);
    assert_eq!(outcome.unwrap(), ProposeOutcome::Accepted);
    assert_eq!(data(&store, &key), None);
    assert_eq!(
        state(&store, &key, Ballot::new(NOW_US + 10, 2)),
        PrepareOutcome::Promise {
            accepted: Some((ballot, proposal)),
            committed: Ballot::ZERO,
        }
    );
}

#[test]
fn a_proposal_below_the_promise_is_refused_even_with_commit_on_accept() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let key = PartitionKey::new(Bytes::from_static(b"refused"));
    let promised = Ballot::new(NOW_US + 5, 2);
    let _ = state(&store, &key, promised);
    let late = Ballot::new(NOW_US, 1);
    let outcome = store.accept(late, update(&key, late, b"late"), true);
    assert_eq!(outcome.unwrap(), ProposeOutcome::Refused { promised });
    assert_eq!(data(&store, &key), None, "nothing refused is applied");
    assert!(
        store
            .accept(late, Bytes::from_static(b"junk"), true)
            .is_err()
    );
}
