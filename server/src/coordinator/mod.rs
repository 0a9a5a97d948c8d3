//! The coordinator (DESIGN §3, §6): from a statement's reads and writes to
//! the replicas that own them, waiting as the consistency level says.
//!
//! - [`plan`]: consistency maths (block-for, availability, read targets).
//! - [`messages`]: the replica verbs' bodies.
//! - [`topology`]: the ring and liveness snapshot the coordinator plans with.
//! - `write`, `read`, `scan`: the three request shapes; `errors`: the
//!   Unavailable / timeout / failure answers they (and Paxos) give.
//! - [`replica`]: the other side: serving those verbs from the local store.
//!
//! The coordinator is synchronous: it runs on the blocking pool with the
//! statement, sends requests through [`Messaging`] with callbacks that feed a
//! channel, does this node's own share inline, then waits on the channel
//! until the level is met or the deadline passes. When this node is the only
//! replica nothing is sent at all.

pub mod messages;
pub mod plan;
pub mod replica;
pub mod topology;

mod errors;
mod read;
mod scan;
mod speculation;
mod write;

use std::sync::Arc;
use std::time::Instant;

use sibyl_protocol::types::Consistency;

pub(crate) use self::errors::{
    count, failures, read_failure, read_timeout, unavailable, write_timeout,
};
pub use self::plan::Replica;
pub use self::read::ReadLevel;
pub use self::topology::{ClusterView, Topology};
use crate::error::RequestError;
use crate::net::Messaging;
use crate::schema::store::SchemaStore;
use crate::schema::{Replication, TableMetadata};
use crate::storage::LocalStore;

/// Stores writes for replicas that missed them (hinted handoff).
pub trait HintSink: Send + Sync {
    /// Keeps `mutation` (an encoded partition update) for `target`.
    fn store(&self, target: crate::ring::HostId, mutation: bytes::Bytes);
}

/// Reads at SERIAL / LOCAL_SERIAL (served by the Paxos proposer).
pub trait SerialReads: Send + Sync {
    /// The partition as of the last chosen Paxos value.
    ///
    /// # Errors
    /// Unavailable, ReadTimeout, storage errors.
    fn serial_read(
        &self,
        table: &TableMetadata,
        key: &sibyl_storage::model::PartitionKey,
        slices: &sibyl_storage::model::Slices,
        now_s: u32,
        scope: RequestScope,
    ) -> Result<Option<sibyl_storage::model::Partition>, RequestError>;
}

/// How one request is coordinated.
#[derive(Clone, Copy, Debug)]
pub struct RequestScope {
    /// The level asked for.
    pub consistency: Consistency,
    /// When the coordinator gives up (answering a timeout).
    pub deadline: Instant,
}

/// Routes reads and writes to replicas.
pub struct Coordinator {
    store: Arc<LocalStore>,
    schema: Arc<SchemaStore>,
    topology: Arc<Topology>,
    messaging: Option<Arc<Messaging>>,
    hints: Option<Arc<dyn HintSink>>,
    latencies: speculation::LatencyTracker,
    serial: std::sync::OnceLock<std::sync::Weak<dyn SerialReads>>,
}

impl Coordinator {
    /// A coordinator over the local store and, when clustered, messaging.
    pub fn new(
        store: Arc<LocalStore>,
        schema: Arc<SchemaStore>,
        topology: Arc<Topology>,
        messaging: Option<Arc<Messaging>>,
        hints: Option<Arc<dyn HintSink>>,
    ) -> Self {
        Self {
            store,
            schema,
            topology,
            messaging,
            hints,
            latencies: speculation::LatencyTracker::default(),
            serial: std::sync::OnceLock::new(),
        }
    }

    /// Sets who serves SERIAL reads (once; held weakly: it holds us).
    pub fn set_serial_reads(&self, reads: std::sync::Weak<dyn SerialReads>) {
        let _ = self.serial.set(reads);
    }

    fn serial_reads(&self) -> Result<Arc<dyn SerialReads>, RequestError> {
        self.serial
            .get()
            .and_then(std::sync::Weak::upgrade)
            .ok_or_else(|| RequestError::Server("serial reads are not available".into()))
    }

    /// The local store.
    pub fn store(&self) -> &Arc<LocalStore> {
        &self.store
    }

    /// The topology the coordinator plans with.
    pub fn topology(&self) -> &Arc<Topology> {
        &self.topology
    }

    /// The replication of `table`'s keyspace.
    pub(crate) fn replication(&self, table: &TableMetadata) -> Replication {
        self.schema
            .current()
            .keyspace(&table.keyspace)
            .map_or(Replication::Local, |k| k.replication.clone())
    }

    /// Internode messaging (an error when it is not running).
    pub(crate) fn messaging(&self) -> Result<&Arc<Messaging>, RequestError> {
        self.messaging
            .as_ref()
            .ok_or_else(|| RequestError::Server("internode messaging is not running".into()))
    }
}
