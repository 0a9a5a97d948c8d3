//! The table of requests in flight on one connection: stream id allocation,
//! the pending response senders, the event sender and the connection's fate.
//!
//! Invariants: an id is in `free` or in `pending`, never both; an entry leaves
//! `pending` only when its response arrives, when its request was never sent,
//! or when the connection fails, and only then is its id (and its in-flight
//! permit) reusable. Once `closed` is set no entry is added, so a failure
//! reaches every request. The lock is never held across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::client::error::{ClientError, Result};
use crate::frame::ResponseFrame;
use crate::response::{Event, Response};

/// Where a response goes.
pub(crate) type ResponseSender = oneshot::Sender<Result<ResponseFrame>>;

struct Pending {
    tx: ResponseSender,
    _permit: OwnedSemaphorePermit,
}

struct State {
    free: Vec<i16>,
    pending: HashMap<i16, Pending>,
    closed: Option<ClientError>,
    events: Option<mpsc::Sender<Event>>,
}

/// Shared between the connection handles and its reader and writer tasks.
pub(crate) struct Streams {
    state: Mutex<State>,
    permits: Arc<Semaphore>,
}

impl Streams {
    /// A table for `in_flight_max` concurrent requests (1..=32768).
    pub(crate) fn new(in_flight_max: usize) -> Self {
        let top = i16::try_from(in_flight_max.clamp(1, 32_768) - 1).unwrap_or(i16::MAX);
        // Popped from the end: low ids first.
        let free = (0..=top).rev().collect();
        Streams {
            state: Mutex::new(State {
                free,
                pending: HashMap::new(),
                closed: None,
                events: None,
            }),
            permits: Arc::new(Semaphore::new(usize::from(top.unsigned_abs()) + 1)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for an in-flight slot.
    pub(crate) async fn permit(&self) -> Result<OwnedSemaphorePermit> {
        match self.permits.clone().acquire_owned().await {
            Ok(p) => Ok(p),
            Err(_) => Err(self.closed_error()),
        }
    }

    /// The reason the connection closed (or a generic one).
    pub(crate) fn closed_error(&self) -> ClientError {
        self.lock()
            .closed
            .clone()
            .unwrap_or_else(|| ClientError::Closed("connection closed".into()))
    }

    /// True once the connection failed or was closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed.is_some()
    }

    /// Takes a free id for a request whose response goes to `tx`.
    pub(crate) fn register(&self, tx: ResponseSender, permit: OwnedSemaphorePermit) -> Result<i16> {
        let mut st = self.lock();
        if let Some(e) = &st.closed {
            return Err(e.clone());
        }
        // The permit count equals the number of ids, so a permit holder finds one.
        let id = st
            .free
            .pop()
            .ok_or_else(|| ClientError::Closed("no free stream id".into()))?;
        st.pending.insert(
            id,
            Pending {
                tx,
                _permit: permit,
            },
        );
        Ok(id)
    }

    /// Drops a request that was never sent, freeing its id.
    pub(crate) fn forget(&self, id: i16) {
        let mut st = self.lock();
        if st.pending.remove(&id).is_some() {
            st.free.push(id);
        }
    }

    /// Installs the sender EVENTs go to (replacing any previous one).
    pub(crate) fn set_events(&self, tx: mpsc::Sender<Event>) -> Result<()> {
        let mut st = self.lock();
        if let Some(e) = &st.closed {
            return Err(e.clone());
        }
        st.events = Some(tx);
        Ok(())
    }

    /// Routes one response: to its caller by stream id, or (stream < 0) to
    /// the event receiver. Responses to unknown ids are dropped.
    pub(crate) fn dispatch(&self, frame: ResponseFrame) {
        if frame.stream < 0 {
            if let Response::Event(event) = frame.response {
                let st = self.lock();
                if let Some(tx) = &st.events
                    && tx.try_send(event).is_err()
                {
                    tracing::warn!("client event receiver full or gone; event dropped");
                }
            }
            return;
        }
        let entry = {
            let mut st = self.lock();
            let entry = st.pending.remove(&frame.stream);
            if entry.is_some() {
                st.free.push(frame.stream);
            }
            entry
        };
        match entry {
            // The caller may have timed out and gone: nothing to do then.
            Some(p) => drop(p.tx.send(Ok(frame))),
            None => tracing::debug!(stream = frame.stream, "response to an unknown stream"),
        }
    }

    /// Marks the connection failed and hands `error` to every pending request.
    /// Later calls keep the first reason.
    pub(crate) fn fail(&self, error: ClientError) {
        let pending = {
            let mut st = self.lock();
            if st.closed.is_some() {
                return;
            }
            st.closed = Some(error.clone());
            st.events = None;
            std::mem::take(&mut st.pending)
        };
        self.permits.close();
        for (_, p) in pending {
            drop(p.tx.send(Err(error.clone())));
        }
    }
}
