//! Reads: SELECT on generated system tables and on user tables (paging, the
//! tombstone thresholds).

use std::cell::RefCell;

use sibyl_protocol::cql::ast::Select;
use sibyl_protocol::response::{ErrorKind, ErrorResponse, ResultBody};

use super::super::read::{Resume, read_rows};
use super::super::select;
use super::super::system_views;
use super::super::terms::BindContext;
use super::{Executor, RunRequest, make_timeuuid};
use crate::error::RequestError;
use crate::schema::TableMetadata;
use crate::schema::system_keyspaces::{SYSTEM_AUTH, SYSTEM_TRACES, is_system_keyspace};
use crate::transport::ClientSession;

impl Executor {
    pub(super) fn select(
        &self,
        session: &ClientSession,
        select: &Select,
        request: &RunRequest<'_>,
    ) -> Result<ResultBody, RequestError> {
        let table = self.table_named(&select.table, request.keyspace)?;
        let ks = table.keyspace.as_str();
        let node = self.ctx.local.host_id.as_u64_pair().0;
        let timeuuid = move |us: i64| make_timeuuid(us, node);
        let ctx = BindContext {
            values: request.values,
            now_us: self.ctx.clock.now_micros(),
            timeuuid: &timeuuid,
        };
        let mut next_page = None;
        let (rows, filtered) = if system_views::is_generated(ks) {
            let schema = self.ctx.schema.current();
            (
                system_views::rows_with_peers(
                    &schema,
                    ks,
                    &table,
                    &self.ctx.local,
                    session.local.ip(),
                    &self.ctx.membership.endpoints(),
                )
                .unwrap_or_default(),
                None,
            )
        } else if ks == SYSTEM_AUTH {
            (self.auth_rows(&table), None)
        } else if ks == SYSTEM_TRACES {
            let only = crate::traces::rows::wanted_session(select, &ctx);
            (crate::traces::rows::rows(&self.traces, &table, only), None)
        } else if is_system_keyspace(ks) {
            (Vec::new(), None)
        } else {
            let page = page_rows(select, request.page_size);
            let resume = match (page, request.paging_state) {
                (Some(_), Some(state)) => Some(Resume::decode(state)?),
                _ => None,
            };
            let cl = request.announcer.consistency();
            crate::traces::activity::read_started(&table.keyspace, &table.name, cl);
            let outcome = read_rows(
                &self.ctx.coordinator,
                request
                    .announcer
                    .scope(super::TimeoutClass::of_select(select)),
                &table,
                select,
                &ctx,
                page,
                resume.as_ref(),
            )?;
            crate::traces::activity::rows_read(outcome.rows.len(), outcome.tombstones);
            next_page = outcome.next.map(|r| r.encode());
            self.check_tombstones(
                &table,
                outcome.tombstones,
                outcome.rows.len(),
                request.warnings,
            )?;
            let mut narrowed = select.clone();
            narrowed.where_clause = outcome.remaining;
            (outcome.rows, Some(narrowed))
        };
        let select = filtered.as_ref().unwrap_or(select);
        select::execute(&table, select, rows, &ctx)?.into_result(next_page)
    }

    /// Cassandra's tombstone thresholds for one read.
    pub(super) fn check_tombstones(
        &self,
        table: &TableMetadata,
        tombstones: u64,
        live_rows: usize,
        warnings: &RefCell<Vec<String>>,
    ) -> Result<(), RequestError> {
        let limits = self.ctx.thresholds;
        if tombstones > limits.tombstone_fail {
            let address = std::net::SocketAddr::new(
                self.ctx.local.listen_address,
                self.ctx.local.storage_port,
            );
            return Err(RequestError::Protocol(ErrorResponse {
                kind: ErrorKind::ReadFailure {
                    consistency: sibyl_protocol::types::Consistency::One,
                    received: 0,
                    block_for: 1,
                    failures: sibyl_protocol::response::Failures::ReasonMap(vec![(
                        self.ctx.local.listen_address,
                        0x0001,
                    )]),
                    data_present: false,
                },
                message: format!(
                    "Operation failed - received 0 responses and 1 failures: READ_TOO_MANY_TOMBSTONES from {address} (scanned over {} tombstones in {}.{})",
                    limits.tombstone_fail, table.keyspace, table.name
                ),
            }));
        }
        if tombstones > limits.tombstone_warn {
            warnings.borrow_mut().push(format!(
                "Read {live_rows} live rows and {tombstones} tombstone cells for query on {}.{} (see tombstone_warn_threshold)",
                table.keyspace, table.name
            ));
        }
        Ok(())
    }
}

/// The page size to read with, when `select` can be paged by storage position:
/// no LIMIT, no ORDER BY, no aggregate or GROUP BY, no DISTINCT (those return whole results).
pub(super) fn page_rows(select: &Select, page_size: Option<i32>) -> Option<usize> {
    let size = usize::try_from(page_size?).ok().filter(|s| *s > 0)?;
    let aggregate = crate::cql::aggregate::aggregates(select);
    let pageable = select.limit.is_none()
        && select.order_by.is_empty()
        && !aggregate
        && !select.distinct
        && select.per_partition_limit.is_none();
    pageable.then_some(size)
}
