//! Making the log durable: the group-commit wait and the periodic syncer.
//!
//! `wait_synced(position)` returns once `synced >= position`. The first
//! waiter that finds no sync in progress becomes the leader: it (optionally)
//! sleeps the group window, captures the active segment and the end of the
//! log under the append lock, fsyncs outside every lock, publishes the new
//! `synced` position and wakes all waiters. Earlier segments are already
//! durable: roll-over fsyncs a segment before the next one exists.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::{Inner, Position};
use crate::error::{Error, Result};

impl Inner {
    /// Blocks until `position` is durable, leading a sync when none runs.
    pub(super) fn wait_synced(&self, position: Position, window_ms: u64) -> Result<()> {
        let mut s = self.sync.lock();
        loop {
            if let Some(failure) = &s.failure {
                return Err(failed(failure));
            }
            if s.synced >= position {
                return Ok(());
            }
            if s.leader {
                self.synced_cv.wait(&mut s);
                continue;
            }
            s.leader = true;
            drop(s);
            if window_ms > 0 {
                std::thread::sleep(Duration::from_millis(window_ms));
            }
            let result = self.sync_active();
            s = self.sync.lock();
            s.leader = false;
            match result {
                Ok(target) => {
                    s.synced = s.synced.max(target);
                    s.last_sync = std::time::Instant::now();
                    self.synced_cv.notify_all();
                }
                Err(e) => {
                    drop(s);
                    self.fail(&e);
                    return Err(e);
                }
            }
        }
    }

    /// Milliseconds since the last completed fsync.
    pub(super) fn sync_lag_ms(&self) -> u64 {
        let elapsed = self.sync.lock().last_sync.elapsed().as_millis();
        u64::try_from(elapsed).unwrap_or(u64::MAX)
    }

    /// Fsyncs the active segment; returns the position it covers.
    fn sync_active(&self) -> Result<Position> {
        let (file, target) = {
            let st = self.state.lock();
            (st.active.file.clone(), st.written)
        };
        file.sync()?;
        Ok(target)
    }
}

fn failed(failure: &str) -> Error {
    Error::io(
        "commitlog",
        std::io::Error::other(format!("commitlog failed earlier: {failure}")),
    )
}

/// The background thread of `Periodic` mode.
#[derive(Debug)]
pub(super) struct PeriodicSyncer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    handle: JoinHandle<()>,
}

impl PeriodicSyncer {
    pub(super) fn start(inner: Arc<Inner>, period_ms: u64) -> Result<Self> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let stop_thread = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("commitlog-sync".into())
            .spawn(move || {
                let (lock, cv) = &*stop_thread;
                let period = Duration::from_millis(period_ms);
                loop {
                    let mut stopped = lock.lock();
                    if !*stopped {
                        cv.wait_for(&mut stopped, period);
                    }
                    let done = *stopped;
                    drop(stopped);
                    let position = inner.state.lock().written;
                    if let Err(e) = inner.wait_synced(position, 0) {
                        tracing::error!(error = %e, "commitlog periodic sync failed");
                        return;
                    }
                    if done {
                        return;
                    }
                }
            })
            .map_err(|e| Error::io("commitlog-sync thread", e))?;
        Ok(Self { stop, handle })
    }

    /// Signals the thread, which syncs once more and exits; joins it.
    pub(super) fn stop(self) {
        let (lock, cv) = &*self.stop;
        *lock.lock() = true;
        cv.notify_all();
        if self.handle.join().is_err() {
            tracing::error!("commitlog sync thread panicked");
        }
    }
}
