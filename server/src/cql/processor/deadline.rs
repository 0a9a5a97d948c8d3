//! Coordinator timeouts, as Cassandra answers them: once the executor knows
//! what a statement is (a read, a range read, a write, a truncate) it
//! announces that class; the async side then waits at most the configured
//! time from the request's arrival and answers ReadTimeout / WriteTimeout /
//! TruncateError if the statement is still running. A write that times out
//! may still be applied afterwards, which is what WriteTimeout means.

use std::cell::RefCell;
use std::time::Duration;

use sibyl_protocol::cql::ast::{BatchKind, Relation, RelationLhs, Select};
use sibyl_protocol::response::{ErrorKind, ErrorResponse, WriteType};
use sibyl_protocol::types::Consistency;
use tokio::sync::oneshot;

/// Coordinator timeouts by statement class (`*_request_timeout_ms`).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Single-partition reads.
    pub read: Duration,
    /// Range reads (scans, token ranges).
    pub range: Duration,
    /// Writes and batches.
    pub write: Duration,
    /// TRUNCATE.
    pub truncate: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            read: Duration::from_millis(5_000),
            range: Duration::from_millis(10_000),
            write: Duration::from_millis(2_000),
            truncate: Duration::from_millis(60_000),
        }
    }
}

/// What kind of work a statement is, for its timeout and its timeout error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutClass {
    /// A read restricted to partitions by key.
    Read,
    /// A scan or token-range read.
    Range,
    /// A write of this kind.
    Write(WriteType),
    /// TRUNCATE.
    Truncate,
}

impl TimeoutClass {
    /// The class of a SELECT: a range read unless it names its partitions.
    pub fn of_select(select: &Select) -> Self {
        let by_key = !select.where_clause.is_empty()
            && !select.where_clause.iter().any(|r| {
                matches!(
                    r,
                    Relation::Compare {
                        lhs: RelationLhs::Token(_),
                        ..
                    } | Relation::In {
                        lhs: RelationLhs::Token(_),
                        ..
                    }
                )
            });
        if by_key { Self::Read } else { Self::Range }
    }

    /// The class of a batch of `kind`.
    pub fn of_batch(kind: BatchKind) -> Self {
        Self::Write(match kind {
            BatchKind::Logged => WriteType::Batch,
            BatchKind::Unlogged => WriteType::UnloggedBatch,
            BatchKind::Counter => WriteType::Counter,
        })
    }

    /// The configured time for this class.
    pub fn timeout(self, timeouts: &Timeouts) -> Duration {
        match self {
            Self::Read => timeouts.read,
            Self::Range => timeouts.range,
            Self::Write(_) => timeouts.write,
            Self::Truncate => timeouts.truncate,
        }
    }

    /// The error a client gets when a statement of this class times out.
    pub fn error(self, consistency: Consistency) -> ErrorResponse {
        let message = "Operation timed out - received only 0 responses.".to_owned();
        let kind = match self {
            Self::Read | Self::Range => ErrorKind::ReadTimeout {
                consistency,
                received: 0,
                block_for: 1,
                data_present: false,
            },
            Self::Write(write_type) => ErrorKind::WriteTimeout {
                consistency,
                received: 0,
                block_for: 1,
                write_type,
                contentions: None,
            },
            Self::Truncate => {
                return ErrorResponse {
                    kind: ErrorKind::Truncate,
                    message: "Truncate timed out".to_owned(),
                };
            }
        };
        ErrorResponse { kind, message }
    }
}

/// How long the async side waits past a statement's deadline for the
/// coordinator's own answer (which carries the exact received/block_for).
pub const COORDINATOR_GRACE: Duration = Duration::from_millis(500);

/// The executor's side: announces the statement's class once, and gives the
/// coordinator its level and deadline.
pub struct Announcer {
    sender: RefCell<Option<oneshot::Sender<TimeoutClass>>>,
    arrived: std::time::Instant,
    consistency: Consistency,
    serial: Consistency,
    timeouts: Timeouts,
}

impl Announcer {
    /// An announcer feeding `sender`, for a request that arrived at `arrived`
    /// asking for `consistency`.
    pub fn new(
        sender: oneshot::Sender<TimeoutClass>,
        arrived: std::time::Instant,
        (consistency, serial): (Consistency, Consistency),
        timeouts: Timeouts,
    ) -> Self {
        Self {
            sender: RefCell::new(Some(sender)),
            arrived,
            consistency,
            serial,
            timeouts,
        }
    }

    /// An announcer nobody listens to, for a request served inline (it
    /// never waits, so nothing needs to time it out from outside).
    pub fn detached(
        arrived: std::time::Instant,
        (consistency, serial): (Consistency, Consistency),
        timeouts: Timeouts,
    ) -> Self {
        Self {
            sender: RefCell::new(None),
            arrived,
            consistency,
            serial,
            timeouts,
        }
    }

    /// The request's consistency level.
    pub fn consistency(&self) -> Consistency {
        self.consistency
    }

    /// The request's serial consistency (SERIAL unless it asked for LOCAL_SERIAL).
    pub fn serial(&self) -> Consistency {
        self.serial
    }

    /// The coordinator's scope for a statement of `class`.
    pub fn scope(&self, class: TimeoutClass) -> crate::coordinator::RequestScope {
        crate::coordinator::RequestScope {
            consistency: self.consistency,
            deadline: self.arrived + class.timeout(&self.timeouts),
        }
    }

    /// Says what the statement is; only the first call counts.
    pub fn announce(&self, class: TimeoutClass) {
        if let Some(sender) = self.sender.borrow_mut().take() {
            let _ = sender.send(class);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sibyl_protocol::cql::ast::Statement;

    fn class(query: &str) -> TimeoutClass {
        let Ok(Statement::Select(select)) = sibyl_protocol::cql::parse(query) else {
            panic!("not a select: {query}");
        };
        TimeoutClass::of_select(&select)
    }

    #[test]
    fn selects_by_key_are_reads_and_scans_are_ranges() {
        assert_eq!(class("SELECT * FROM t WHERE k = 1"), TimeoutClass::Read);
        assert_eq!(class("SELECT * FROM t"), TimeoutClass::Range);
        assert_eq!(
            class("SELECT * FROM t WHERE token(k) > 5"),
            TimeoutClass::Range
        );
        assert_eq!(
            TimeoutClass::of_batch(BatchKind::Unlogged),
            TimeoutClass::Write(WriteType::UnloggedBatch)
        );
    }

    #[test]
    fn timeout_errors_carry_the_request_consistency() {
        let error = TimeoutClass::Write(WriteType::Counter).error(Consistency::Quorum);
        assert!(matches!(
            error.kind,
            ErrorKind::WriteTimeout {
                consistency: Consistency::Quorum,
                received: 0,
                block_for: 1,
                write_type: WriteType::Counter,
                ..
            }
        ));
        let error = TimeoutClass::Range.error(Consistency::One);
        assert!(matches!(
            error.kind,
            ErrorKind::ReadTimeout {
                data_present: false,
                ..
            }
        ));
        assert!(matches!(
            TimeoutClass::Truncate.error(Consistency::One).kind,
            ErrorKind::Truncate
        ));
        let timeouts = Timeouts::default();
        assert_eq!(TimeoutClass::Range.timeout(&timeouts), timeouts.range);
    }
}
