//! Which requests run on the runtime thread that received them instead of
//! the blocking pool.
//!
//! Handing every request to the blocking pool costs two thread wake-ups (the
//! pool thread, then the connection task); on a single-node cluster that was
//! about a fifth of a write's CPU. A request may run inline only when it
//! cannot wait on anything but memory and the page cache: this node is the
//! whole ring (every replica is local, so the coordinator sends no message
//! and waits for no acknowledgement), the commitlog acknowledges before its
//! fsync (`periodic`), and the statement is a prepared, unconditional write
//! or a read of partitions named by key. Everything else (LWTs with their
//! back-off, scans, schema changes, logins, QUERY text) keeps the pool.

use sibyl_protocol::cql::ast::Statement;
use sibyl_protocol::request::{BatchQuery, Request};

use super::{Executor, TimeoutClass};

impl Executor {
    /// True when `request` may be served on the runtime thread (see the
    /// module doc for why that is safe).
    pub(super) fn serves_inline(&self, request: &Request) -> bool {
        if !self.ctx.inline_local_requests || !self.ctx.coordinator.topology().current().is_single()
        {
            return false;
        }
        match request {
            Request::Execute(execute) => self
                .prepared
                .get(&execute.id)
                .is_some_and(|p| inline_statement(&p.statement)),
            Request::Batch(batch) => batch.statements.iter().all(|s| match &s.query {
                BatchQuery::Prepared(id) => self
                    .prepared
                    .get(id)
                    .is_some_and(|p| inline_statement(&p.statement)),
                BatchQuery::Text(_) => false,
            }),
            _ => false,
        }
    }
}

/// A statement that never waits when every replica is local: a write without
/// a condition, or a SELECT naming its partitions.
fn inline_statement(statement: &Statement) -> bool {
    match statement {
        Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
            !super::super::lwt::is_conditional(statement)
        }
        Statement::Select(select) => TimeoutClass::of_select(select) == TimeoutClass::Read,
        _ => false,
    }
}
