//! Query tracing (`system_traces`): the one place that records traced
//! requests and serves them back.
//!
//! A request whose frame carries the TRACING flag gets a [`TraceSession`]
//! from [`Traces::begin`]: a timeuuid session id, the client, the request
//! kind and its parameters. While the request runs on its thread, the
//! one-line hooks of [`activity`] append activity lines (parsing, preparing,
//! reads, writes, replica answers) with their elapsed time;
//! [`TraceSession::finish`] sets the duration, after which drivers polling
//! `system_traces.sessions` see the session as complete and read its events
//! ([`rows`]).
//!
//! Invariants:
//! - Bounded memory: at most [`SESSIONS_MAX`] sessions (the oldest go first)
//!   and [`EVENTS_MAX`] events per session (later events are dropped).
//! - Sessions expire [`TTL_US`] after they start (Cassandra's 24 h TTL on
//!   `system_traces`), checked on every insert and read.
//! - Session ids and event ids are version 1 UUIDs of strictly increasing
//!   microseconds on this node, so they never collide.
//! - With tracing off nothing here runs: the request path checks one
//!   thread-local (see [`active`]).
//!
//! Traces live in this node's memory only: a SELECT on `system_traces` sent to
//! another node of a cluster does not see them (Cassandra replicates them).

pub mod active;
pub mod activity;
pub mod rows;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;
use sibyl_protocol::request::{QueryParameters, Request};
use uuid::Uuid;

use crate::clock::Clock;

/// Most sessions kept.
pub const SESSIONS_MAX: usize = 1_000;
/// Most events kept per session.
pub const EVENTS_MAX: usize = 100;
/// How long a session is kept after it started, in microseconds (24 h).
pub const TTL_US: i64 = 24 * 3_600 * 1_000_000;
/// Longest activity text kept, in bytes (a long query is cut).
pub const ACTIVITY_BYTES_MAX: usize = 1_024;

/// One traced event (a row of `system_traces.events`).
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEvent {
    /// Timeuuid of the event's time.
    pub event_id: Uuid,
    /// What happened.
    pub activity: String,
    /// Microseconds since the request arrived on this node.
    pub source_elapsed_us: i32,
    /// The thread that did it.
    pub thread: String,
}

/// One traced request (a row of `system_traces.sessions` and its events).
pub struct TraceSession {
    /// The session id the client gets.
    pub id: Uuid,
    /// The client's address.
    pub client: SocketAddr,
    /// This node (internode address and port, as Cassandra's `coordinator`).
    pub coordinator: SocketAddr,
    /// What the request was (`Execute CQL3 query`, ...).
    pub request: String,
    /// Consistency, page size, query text, ...
    pub parameters: BTreeMap<String, String>,
    /// Wall-clock start, µs since the epoch.
    pub started_at_us: i64,
    started: Instant,
    clock: Arc<dyn Clock>,
    ids: Arc<IdSource>,
    state: Mutex<SessionState>,
}

#[derive(Debug, Default)]
struct SessionState {
    duration_us: Option<i32>,
    events: Vec<TraceEvent>,
}

impl TraceSession {
    /// Records one event at the current time.
    pub fn event(&self, activity: String, thread: &str) {
        let elapsed = i32::try_from(self.started.elapsed().as_micros()).unwrap_or(i32::MAX);
        let event_id = self.ids.next(self.clock.now_micros());
        let mut activity = activity;
        truncate_utf8(&mut activity, ACTIVITY_BYTES_MAX);
        let mut state = self.state.lock();
        if state.events.len() < EVENTS_MAX {
            state.events.push(TraceEvent {
                event_id,
                activity,
                source_elapsed_us: elapsed,
                thread: thread.to_owned(),
            });
        }
    }

    /// Marks the request complete: the duration becomes visible.
    pub fn finish(&self) {
        let elapsed = i32::try_from(self.started.elapsed().as_micros()).unwrap_or(i32::MAX);
        self.state.lock().duration_us = Some(elapsed.max(1));
    }

    /// The duration in µs, once finished.
    pub fn duration_us(&self) -> Option<i32> {
        self.state.lock().duration_us
    }

    /// The events so far.
    pub fn events(&self) -> Vec<TraceEvent> {
        self.state.lock().events.clone()
    }
}

/// What a traced request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRequest {
    /// The client's address.
    pub client: SocketAddr,
    /// `Execute CQL3 query`, `Execute CQL3 prepared query`, ...
    pub request: String,
    /// The session's parameters map.
    pub parameters: BTreeMap<String, String>,
}

impl TraceRequest {
    /// What Cassandra records for `request` from `client`: the request kind
    /// and its parameters (query text, consistency levels, page size).
    pub fn of(client: SocketAddr, request: &Request) -> Self {
        let mut parameters = BTreeMap::new();
        let mut levels = |params: &QueryParameters| {
            if let Some(size) = params.page_size.filter(|s| *s > 0) {
                parameters.insert("page_size".to_owned(), size.to_string());
            }
            parameters.insert(
                "consistency_level".to_owned(),
                params.consistency.name().to_owned(),
            );
            if let Some(serial) = params.serial_consistency {
                parameters.insert(
                    "serial_consistency_level".to_owned(),
                    serial.name().to_owned(),
                );
            }
        };
        let request = match request {
            Request::Query(q) => {
                levels(&q.params);
                parameters.insert("query".to_owned(), q.query.clone());
                "Execute CQL3 query"
            }
            Request::Execute(e) => {
                levels(&e.params);
                "Execute CQL3 prepared query"
            }
            Request::Batch(b) => {
                parameters.insert(
                    "consistency_level".to_owned(),
                    b.consistency.name().to_owned(),
                );
                if let Some(serial) = b.serial_consistency {
                    parameters.insert(
                        "serial_consistency_level".to_owned(),
                        serial.name().to_owned(),
                    );
                }
                "Execute batch of CQL3 queries"
            }
            Request::Prepare(p) => {
                parameters.insert("query".to_owned(), p.query.clone());
                "Preparing CQL3 query"
            }
            _ => "Execute request",
        };
        for value in parameters.values_mut() {
            truncate_utf8(value, ACTIVITY_BYTES_MAX);
        }
        Self {
            client,
            request: request.to_owned(),
            parameters,
        }
    }
}

/// Version 1 UUIDs of strictly increasing microseconds, with this node's bits.
#[derive(Debug)]
struct IdSource {
    last_us: AtomicI64,
    node: [u8; 6],
}

impl IdSource {
    fn next(&self, now_us: i64) -> Uuid {
        let mut last = self.last_us.load(Ordering::Relaxed);
        let us = loop {
            let us = now_us.max(last + 1);
            match self
                .last_us
                .compare_exchange_weak(last, us, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break us,
                Err(seen) => last = seen,
            }
        };
        let seconds = u64::try_from(us.div_euclid(1_000_000)).unwrap_or(0);
        let nanos = u32::try_from(us.rem_euclid(1_000_000) * 1_000).unwrap_or(0);
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, seconds, nanos);
        Uuid::new_v1(ts, &self.node)
    }
}

/// The node's recent trace sessions.
pub struct Traces {
    coordinator: SocketAddr,
    clock: Arc<dyn Clock>,
    ids: Arc<IdSource>,
    sessions: Mutex<VecDeque<Arc<TraceSession>>>,
}

impl Traces {
    /// A store for the node at `coordinator` (its internode address), with
    /// `node_bits` (from the host id) in every UUID it makes.
    pub fn new(coordinator: SocketAddr, node_bits: u64, clock: Arc<dyn Clock>) -> Self {
        let b = node_bits.to_be_bytes();
        Self {
            coordinator,
            clock,
            ids: Arc::new(IdSource {
                last_us: AtomicI64::new(0),
                node: [b[2], b[3], b[4], b[5], b[6], b[7]],
            }),
            sessions: Mutex::new(VecDeque::new()),
        }
    }

    /// Starts a session for `request`; it is visible (without a duration) at once.
    pub fn begin(&self, request: TraceRequest) -> Arc<TraceSession> {
        let now = self.clock.now_micros();
        let session = Arc::new(TraceSession {
            id: self.ids.next(now),
            client: request.client,
            coordinator: self.coordinator,
            request: request.request,
            parameters: request.parameters,
            started_at_us: now,
            started: Instant::now(),
            clock: Arc::clone(&self.clock),
            ids: Arc::clone(&self.ids),
            state: Mutex::new(SessionState::default()),
        });
        let mut sessions = self.sessions.lock();
        expire(&mut sessions, now);
        while sessions.len() >= SESSIONS_MAX {
            sessions.pop_front();
        }
        sessions.push_back(Arc::clone(&session));
        session
    }

    /// The live sessions, oldest first (`only`: just that id).
    pub fn sessions(&self, only: Option<Uuid>) -> Vec<Arc<TraceSession>> {
        let mut sessions = self.sessions.lock();
        expire(&mut sessions, self.clock.now_micros());
        sessions
            .iter()
            .filter(|s| only.is_none_or(|id| s.id == id))
            .cloned()
            .collect()
    }
}

/// Drops sessions older than the TTL (they are in start order).
fn expire(sessions: &mut VecDeque<Arc<TraceSession>>, now_us: i64) {
    while sessions
        .front()
        .is_some_and(|s| s.started_at_us.saturating_add(TTL_US) <= now_us)
    {
        sessions.pop_front();
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
fn truncate_utf8(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

#[cfg(test)]
mod tests;
