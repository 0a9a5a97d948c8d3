//! Writes: INSERT/UPDATE/DELETE/BATCH mutations, counter reads and locking,
//! batch-size and counter-mix checks, and applying mutations to the store.

use std::cell::RefCell;
use std::sync::Arc;

use sibyl_protocol::cql::ast::{BatchStatement as CqlBatchStatement, QualifiedName, Statement};
use sibyl_protocol::request::{Batch, BatchQuery};
use sibyl_protocol::response::{ResultBody, WriteType};

use super::super::modify::{self, WriteContext};
use super::super::terms::BindContext;
use super::{Executor, PreparedStatement, RunRequest, make_timeuuid, unprepared};
use crate::error::RequestError;
use crate::schema::TableMetadata;
use crate::storage::request_error;
use crate::transport::ClientSession;

impl Executor {
    pub(super) fn batch(
        &self,
        session: &ClientSession,
        batch: &Batch,
        warnings: &RefCell<Vec<String>>,
        announcer: &super::Announcer,
    ) -> Result<ResultBody, RequestError> {
        let default_keyspace = batch.keyspace.clone().or_else(|| session.keyspace());
        if self.batch_is_conditional(batch, default_keyspace.as_deref()) {
            announcer.announce(super::TimeoutClass::Write(WriteType::Cas));
            return self.conditional_batch(batch, default_keyspace.as_deref(), warnings, announcer);
        }
        announcer.announce(super::TimeoutClass::of_batch(batch_kind(batch)));
        let timestamp = batch
            .default_timestamp
            .unwrap_or_else(|| self.timestamps.next());
        let mut items = Vec::with_capacity(batch.statements.len());
        for item in &batch.statements {
            let statement = match &item.query {
                BatchQuery::Text(text) => Arc::new(PreparedStatement {
                    keyspace: default_keyspace.clone(),
                    statement: Self::parse(text)?,
                }),
                BatchQuery::Prepared(id) => self
                    .prepared
                    .get(id)
                    .ok_or_else(|| unprepared(id.clone()))?,
            };
            items.push((statement, &item.values));
        }
        let counters = items
            .iter()
            .any(|(s, _)| self.touches_counters(&s.statement, s.keyspace.as_deref()));
        let _counter_guard = counters.then(|| self.counter_lock.lock());
        let mut mutations = Vec::new();
        for (statement, values) in &items {
            let request = RunRequest {
                keyspace: statement.keyspace.as_deref(),
                values,
                timestamp: Some(timestamp),
                page_size: None,
                paging_state: None,
                warnings,
                announcer,
            };
            mutations.extend(self.mutations(&statement.statement, &request)?);
        }
        let kind = batch_kind(batch);
        check_counter_mix(kind, &mutations)?;
        self.check_batch_size(&mutations, warnings)?;
        self.apply(
            mutations,
            announcer,
            super::TimeoutClass::of_batch(batch_kind(batch)),
        )?;
        Ok(ResultBody::Void)
    }

    /// True when a statement of the protocol batch has an `IF` clause.
    fn batch_is_conditional(&self, batch: &Batch, _keyspace: Option<&str>) -> bool {
        batch.statements.iter().any(|item| match &item.query {
            BatchQuery::Text(text) => {
                Self::parse(text).is_ok_and(|s| super::super::lwt::is_conditional(&s))
            }
            BatchQuery::Prepared(id) => self
                .prepared
                .get(id)
                .is_some_and(|p| super::super::lwt::is_conditional(&p.statement)),
        })
    }

    /// The mutations an INSERT, UPDATE, DELETE or BATCH statement makes.
    pub(super) fn mutations(
        &self,
        statement: &Statement,
        request: &RunRequest<'_>,
    ) -> Result<Vec<(Arc<TableMetadata>, sibyl_storage::model::PartitionUpdate)>, RequestError>
    {
        let default_timestamp_us = request.timestamp.unwrap_or_else(|| self.timestamps.next());
        let node = self.ctx.local.host_id.as_u64_pair().0;
        let timeuuid = move |us: i64| make_timeuuid(us, node);
        let write = WriteContext {
            bind: BindContext {
                values: request.values,
                now_us: self.ctx.clock.now_micros(),
                timeuuid: &timeuuid,
            },
            default_timestamp_us,
            lists: &self.lists,
            counters: Some((
                &|t, k, c, col| self.read_counter(t, k, c, col),
                self.ctx.local.host_id.as_u128(),
            )),
            list_reader: Some(&|t, k, c, col| self.read_list(t, k, c, col)),
        };
        let with_table = |table: Arc<TableMetadata>, updates: Vec<_>| {
            updates
                .into_iter()
                .map(|u| (Arc::clone(&table), u))
                .collect::<Vec<_>>()
        };
        match statement {
            Statement::Insert(s) => {
                let table = self.writable_table(&s.table, request.keyspace)?;
                Ok(with_table(
                    Arc::clone(&table),
                    modify::insert(&table, s, &write)?,
                ))
            }
            Statement::Update(s) => {
                let table = self.writable_table(&s.table, request.keyspace)?;
                Ok(with_table(
                    Arc::clone(&table),
                    modify::update(&table, s, &write)?,
                ))
            }
            Statement::Delete(s) => {
                let table = self.writable_table(&s.table, request.keyspace)?;
                Ok(with_table(
                    Arc::clone(&table),
                    modify::delete(&table, s, &write)?,
                ))
            }
            Statement::Batch(batch) => self.batch_mutations(batch, request, default_timestamp_us),
            _ => Err(RequestError::invalid(
                "Only INSERT, UPDATE and DELETE statements are allowed in a batch",
            )),
        }
    }

    pub(super) fn batch_mutations(
        &self,
        batch: &sibyl_protocol::cql::ast::Batch,
        request: &RunRequest<'_>,
        default_timestamp_us: i64,
    ) -> Result<Vec<(Arc<TableMetadata>, sibyl_storage::model::PartitionUpdate)>, RequestError>
    {
        let mut timestamp = default_timestamp_us;
        if let Some(sibyl_protocol::cql::ast::UsingAttr::Timestamp(
            sibyl_protocol::cql::ast::Term::Integer(t),
        )) = batch.using.first()
        {
            timestamp = super::super::terms::integer(t, "[timestamp]")?;
        }
        let mut out = Vec::new();
        for statement in &batch.statements {
            let inner = match statement {
                CqlBatchStatement::Insert(s) => Statement::Insert(Box::new(s.clone())),
                CqlBatchStatement::Update(s) => Statement::Update(Box::new(s.clone())),
                CqlBatchStatement::Delete(s) => Statement::Delete(Box::new(s.clone())),
            };
            let inner_request = RunRequest {
                keyspace: request.keyspace,
                values: request.values,
                timestamp: Some(timestamp),
                page_size: None,
                paging_state: None,
                warnings: request.warnings,
                announcer: request.announcer,
            };
            out.extend(self.mutations(&inner, &inner_request)?);
        }
        check_counter_mix(batch.kind, &out)?;
        Ok(out)
    }

    /// This node's current shards of one counter cell (the read of a counter increment).
    pub(super) fn read_counter(
        &self,
        table: &TableMetadata,
        key: &sibyl_storage::model::PartitionKey,
        clustering: Option<&sibyl_storage::model::ClusteringKey>,
        column: sibyl_storage::model::ColumnId,
    ) -> Result<Option<sibyl_storage::model::CounterShards>, RequestError> {
        let row = self.read_row(table, key, clustering)?;
        let cell = row.as_ref().and_then(|r| {
            r.cells
                .iter()
                .find(|c| c.column == column && c.path.is_none())
        });
        Ok(cell.and_then(|c| match &c.kind {
            sibyl_storage::model::CellKind::Counter { shards } => Some(shards.clone()),
            _ => None,
        }))
    }

    /// The live cells of one list column as `(path, value)` in list order
    /// (the read of a list operation by index or by value).
    pub(super) fn read_list(
        &self,
        table: &TableMetadata,
        key: &sibyl_storage::model::PartitionKey,
        clustering: Option<&sibyl_storage::model::ClusteringKey>,
        column: sibyl_storage::model::ColumnId,
    ) -> Result<Vec<(bytes::Bytes, bytes::Bytes)>, RequestError> {
        let now_s = u32::try_from(self.ctx.clock.now_seconds()).unwrap_or(u32::MAX);
        let Some(row) = self.read_row(table, key, clustering)? else {
            return Ok(Vec::new());
        };
        // Row order is cell-path order, the order SELECT shows the list in.
        Ok(row
            .cells
            .iter()
            .filter(|c| c.column == column && c.is_live(now_s))
            .filter_map(|c| {
                c.path
                    .clone()
                    .map(|p| (p, bytes::Bytes::copy_from_slice(c.value())))
            })
            .collect())
    }

    /// The current row at `clustering` (the static row for `None`), read at now.
    fn read_row(
        &self,
        table: &TableMetadata,
        key: &sibyl_storage::model::PartitionKey,
        clustering: Option<&sibyl_storage::model::ClusteringKey>,
    ) -> Result<Option<sibyl_storage::model::Row>, RequestError> {
        use sibyl_storage::model::{BoundKind, ClusteringBound, Slice, Slices};
        let now_s = u32::try_from(self.ctx.clock.now_seconds()).unwrap_or(u32::MAX);
        let slices = match clustering {
            Some(ck) => {
                let bound = |kind| ClusteringBound::new(ck.as_bytes().to_vec(), kind);
                let slice = Slice::new(
                    bound(BoundKind::InclusiveStart),
                    bound(BoundKind::InclusiveEnd),
                )
                .map_err(|e| request_error(&e))?;
                Slices::new(vec![slice])
            }
            None => Slices::all(),
        };
        // The read of a read-before-write (counter shards, list positions)
        // asks every live replica, so it sees the latest acknowledged write.
        let deadline = std::time::Instant::now() + self.ctx.timeouts.read;
        let read = self.ctx.coordinator.read_partition(
            table,
            key,
            &slices,
            now_s,
            crate::coordinator::ReadLevel::AllAlive(deadline),
        )?;
        let Some(mut partition) = read else {
            return Ok(None);
        };
        Ok(match clustering {
            Some(ck) => partition.rows.into_iter().find(|r| r.clustering == *ck),
            None => partition.static_row.take(),
        })
    }

    /// True when `statement` increments counters (those writes take the counter lock).
    pub(super) fn touches_counters(&self, statement: &Statement, keyspace: Option<&str>) -> bool {
        let counter_table = |name: &QualifiedName| {
            self.table_named(name, keyspace)
                .is_ok_and(|t| t.is_counter())
        };
        match statement {
            Statement::Update(u) => counter_table(&u.table),
            Statement::Batch(b) => b.statements.iter().any(|s| match s {
                CqlBatchStatement::Update(u) => counter_table(&u.table),
                CqlBatchStatement::Insert(i) => counter_table(&i.table),
                CqlBatchStatement::Delete(d) => counter_table(&d.table),
            }),
            _ => false,
        }
    }

    /// Sends `mutations` to their replicas at the request's level.
    pub(super) fn apply(
        &self,
        mutations: Vec<(Arc<TableMetadata>, sibyl_storage::model::PartitionUpdate)>,
        announcer: &super::Announcer,
        class: super::TimeoutClass,
    ) -> Result<(), RequestError> {
        for (table, update) in &mutations {
            check_value_sizes(table, update, &self.ctx.thresholds)?;
        }
        let write_type = match class {
            super::TimeoutClass::Write(write_type) => write_type,
            _ => WriteType::Simple,
        };
        crate::traces::activity::writing(mutations.len(), announcer.consistency());
        let written = self
            .ctx
            .coordinator
            .write(mutations, announcer.scope(class), write_type);
        crate::traces::activity::written();
        written
    }

    /// Cassandra's batch size thresholds: a warning past `batch_warn_bytes`,
    /// InvalidRequest past `batch_fail_bytes` (sizes are approximate mutation bytes).
    pub(super) fn check_batch_size(
        &self,
        mutations: &[(Arc<TableMetadata>, sibyl_storage::model::PartitionUpdate)],
        warnings: &RefCell<Vec<String>>,
    ) -> Result<(), RequestError> {
        let size: usize = mutations.iter().map(|(_, u)| u.heap_size()).sum();
        let limits = self.ctx.thresholds;
        let tables: std::collections::BTreeSet<String> = mutations
            .iter()
            .map(|(t, _)| format!("{}.{}", t.keyspace, t.name))
            .collect();
        let tables = tables.into_iter().collect::<Vec<_>>().join(", ");
        if size > limits.batch_fail_bytes {
            return Err(RequestError::invalid(format!(
                "Batch too large: batch for [{tables}] is of size {size} bytes, exceeding the failure threshold of {} bytes",
                limits.batch_fail_bytes
            )));
        }
        if size > limits.batch_warn_bytes {
            warnings.borrow_mut().push(format!(
                "Batch for [{tables}] is of size {size} bytes, exceeding specified threshold of {} bytes by {} bytes.",
                limits.batch_warn_bytes,
                size - limits.batch_warn_bytes
            ));
        }
        Ok(())
    }
}

/// Cassandra's `max_value_size` (no cell value or collection element larger
/// than the limit) and `items_per_collection_fail_threshold` (no write puts
/// more elements in one collection).
pub(super) fn check_value_sizes(
    table: &TableMetadata,
    update: &sibyl_storage::model::PartitionUpdate,
    limits: &super::Thresholds,
) -> Result<(), RequestError> {
    let name = |id| {
        table
            .column_by_id(id)
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    };
    let rows = update.static_row.iter().chain(update.rows.iter());
    for row in rows {
        let mut elements: (Option<sibyl_storage::model::ColumnId>, usize) = (None, 0);
        for cell in &row.cells {
            let len = cell.value().len();
            if len > limits.value_bytes_max {
                return Err(RequestError::invalid(format!(
                    "Value of column {} is {len} bytes, larger than max_value_size_mb ({} bytes)",
                    name(cell.column),
                    limits.value_bytes_max
                )));
            }
            if cell.path.is_some() {
                // Cells are sorted by column, so one column's elements are adjacent.
                elements = match elements {
                    (Some(c), n) if c == cell.column => (Some(c), n + 1),
                    _ => (Some(cell.column), 1),
                };
                if elements.1 > limits.collection_items_max {
                    return Err(RequestError::invalid(format!(
                        "Detected collection {} with more than {} items, this exceeds the failure threshold of {} (items_per_collection_fail_threshold)",
                        name(cell.column),
                        limits.collection_items_max,
                        limits.collection_items_max
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Cassandra's rules for counters in batches: no mixing counter and regular
/// mutations, no counters in a LOGGED batch, only counters in a COUNTER batch.
pub(super) fn check_counter_mix(
    kind: sibyl_protocol::cql::ast::BatchKind,
    mutations: &[(Arc<TableMetadata>, sibyl_storage::model::PartitionUpdate)],
) -> Result<(), RequestError> {
    use sibyl_protocol::cql::ast::BatchKind;
    let counters = mutations.iter().filter(|(t, _)| t.is_counter()).count();
    if kind == BatchKind::Counter && counters < mutations.len() {
        return Err(RequestError::invalid(
            "Only counter mutations are allowed in COUNTER batches",
        ));
    }
    if counters > 0 && counters < mutations.len() {
        return Err(RequestError::invalid(
            "Counter and non-counter mutations cannot exist in the same batch",
        ));
    }
    if counters > 0 && kind == BatchKind::Logged {
        return Err(RequestError::invalid(
            "Cannot include a counter statement in a logged batch",
        ));
    }
    Ok(())
}

/// The CQL batch kind of a protocol BATCH.
fn batch_kind(batch: &Batch) -> sibyl_protocol::cql::ast::BatchKind {
    use sibyl_protocol::cql::ast::BatchKind;
    use sibyl_protocol::request::BatchType;
    match batch.batch_type {
        BatchType::Logged => BatchKind::Logged,
        BatchType::Unlogged => BatchKind::Unlogged,
        BatchType::Counter => BatchKind::Counter,
    }
}
