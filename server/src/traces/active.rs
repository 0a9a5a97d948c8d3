//! The trace session of the request running on this thread, if it asked for
//! tracing; and [`event`], the one-line hook the request path calls.
//!
//! Statements execute synchronously on one blocking thread (the processor,
//! the coordinator and this node's replica share), so a thread-local is the
//! whole plumbing: [`with_session`] installs the session for the duration of
//! a closure and removes it afterwards, even on panic. With tracing off the
//! cost of a hook is one thread-local read; the activity text is built only
//! when a session is active.

use std::cell::RefCell;
use std::sync::Arc;

use super::TraceSession;

thread_local! {
    static CURRENT: RefCell<Option<Arc<TraceSession>>> = const { RefCell::new(None) };
}

/// Restores the previous session when dropped.
struct Restore(Option<Arc<TraceSession>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Runs `f` with `session` (if any) as this thread's trace session.
pub fn with_session<T>(session: Option<&Arc<TraceSession>>, f: impl FnOnce() -> T) -> T {
    let Some(session) = session else {
        return f();
    };
    let previous = CURRENT.with(|c| c.borrow_mut().replace(Arc::clone(session)));
    let _restore = Restore(previous);
    f()
}

/// True when the request on this thread is traced.
pub fn is_active() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// Records an activity line in this thread's trace session, if any;
/// `activity` runs only then.
pub fn event(activity: impl FnOnce() -> String) {
    let session = CURRENT.with(|c| c.borrow().clone());
    if let Some(session) = session {
        let thread = std::thread::current();
        session.event(activity(), thread.name().unwrap_or("request"));
    }
}
