//! Shutdown: one signal every long-running task watches.
//!
//! The node owns a [`Shutdown`]; tasks hold [`ShutdownSignal`]s and stop
//! accepting new work once it fires, then finish what is in flight.

use tokio::sync::watch;

/// The owner side: fires the signal once.
#[derive(Debug)]
pub struct Shutdown {
    sender: watch::Sender<bool>,
}

/// The watcher side, cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownSignal {
    receiver: watch::Receiver<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A signal not yet fired.
    pub fn new() -> Self {
        let (sender, _) = watch::channel(false);
        Self { sender }
    }

    /// A watcher of this signal.
    pub fn signal(&self) -> ShutdownSignal {
        ShutdownSignal {
            receiver: self.sender.subscribe(),
        }
    }

    /// Fires the signal (idempotent).
    pub fn fire(&self) {
        self.sender.send_replace(true);
    }
}

impl ShutdownSignal {
    /// True once shutdown has been requested.
    pub fn is_fired(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Completes when shutdown is requested (at once if it already was, or if
    /// the owner is gone).
    pub async fn fired(&mut self) {
        // An error means the sender was dropped: treat that as shutdown too.
        let _ = self.receiver.wait_for(|fired| *fired).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn watchers_see_the_signal_once_fired_or_when_the_owner_is_gone() {
        let shutdown = Shutdown::new();
        let mut signal = shutdown.signal();
        assert!(!signal.is_fired());
        shutdown.fire();
        tokio::time::timeout(std::time::Duration::from_secs(5), signal.fired())
            .await
            .unwrap();
        assert!(signal.is_fired());
        let owner = Shutdown::new();
        let mut orphan = owner.signal();
        drop(owner);
        tokio::time::timeout(std::time::Duration::from_secs(5), orphan.fired())
            .await
            .unwrap();
    }
}
