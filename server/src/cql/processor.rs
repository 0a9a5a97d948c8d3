//! The CQL layer's entry point: the transport's [`RequestHandler`].
//!
//! QUERY text is parsed and executed; PREPARE stores the parsed statement
//! under Cassandra's deterministic id with its marker and result metadata;
//! EXECUTE runs a stored statement with bound values (or answers
//! Unprepared). Statements today: USE, SELECT from the system tables,
//! schema statements, DESCRIBE. Reads and writes of user tables are served
//! once the storage engine facade is wired in; until then they get an
//! InvalidRequest saying so.

use std::cell::RefCell;
use std::sync::Arc;

use bytes::Bytes;
use sibyl_protocol::RequestFrame;
use sibyl_protocol::cql::ast::{
    BatchStatement as CqlBatchStatement, QualifiedName, Select, Statement,
};
use sibyl_protocol::cql::parse;
use sibyl_protocol::request::{Batch, BatchQuery, Execute, Prepare, Query, QueryValues, Request};
use sibyl_protocol::response::{
    ErrorKind, ErrorResponse, Prepared, PreparedMetadata, Response, ResultBody, RowsMetadata,
};
use sibyl_protocol::types::Value;

use super::ddl::{self, DdlContext, keyspace_of};
use super::markers::{MarkerSpecs, delete_markers, insert_markers, select_markers, update_markers};
use super::modify::{self, WriteContext};
use super::prepared_cache::{PreparedCache, prepared_id};
use super::read::{Resume, read_rows};
use super::system_views::{self, LocalNode};
use super::terms::BindContext;
use super::values::ListPaths;
use super::{describe, select};
use crate::clock::{Clock, TimestampGenerator};
use crate::error::RequestError;
use crate::schema::TableMetadata;
use crate::schema::store::SchemaStore;
use crate::schema::system_keyspaces::is_system_keyspace;
use crate::storage::{LocalStore, request_error};
use crate::transport::{ClientSession, EventSender, HandlerResponse, RequestHandler};

/// A statement stored by PREPARE.
#[derive(Debug)]
pub struct PreparedStatement {
    /// The keyspace it was prepared in (for unqualified names).
    pub keyspace: Option<String>,
    /// The parsed statement.
    pub statement: Statement,
}

/// Limits a request is checked against (Cassandra's thresholds).
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Tombstones one read may scan before the client gets a warning.
    pub tombstone_warn: u64,
    /// Tombstones one read may scan before it fails with ReadFailure.
    pub tombstone_fail: u64,
    /// Batch size (approximate mutation bytes) that triggers a warning.
    pub batch_warn_bytes: usize,
    /// Batch size that is rejected.
    pub batch_fail_bytes: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            tombstone_warn: 1_000,
            tombstone_fail: 100_000,
            batch_warn_bytes: 5 * 1024,
            batch_fail_bytes: 50 * 1024,
        }
    }
}

/// Everything the processor needs from the node.
pub struct ProcessorContext {
    /// The schema.
    pub schema: Arc<SchemaStore>,
    /// What system.local reports.
    pub local: LocalNode,
    /// Schema change events to registered clients.
    pub events: EventSender,
    /// The time seam.
    pub clock: Arc<dyn Clock>,
    /// Prepared statement cache budget.
    pub prepared_cache_bytes: usize,
    /// The node's tables.
    pub store: Arc<LocalStore>,
    /// Tombstone and batch-size thresholds.
    pub thresholds: Thresholds,
}

/// Serves statements for the transport.
pub struct QueryProcessor {
    executor: Arc<Executor>,
}

/// The synchronous core: runs on the blocking pool, since storage calls may
/// wait for disk (a `batch`-mode write waits for its fsync).
struct Executor {
    ctx: ProcessorContext,
    prepared: PreparedCache<PreparedStatement>,
    data_centers: Vec<String>,
    timestamps: TimestampGenerator,
    lists: ListPaths,
    /// Held across the read-before-write and the apply of counter increments,
    /// so two increments of one counter never read the same shard state.
    counter_lock: parking_lot::Mutex<()>,
}

impl QueryProcessor {
    /// A processor over the node's schema and state.
    pub fn new(ctx: ProcessorContext) -> Self {
        Self {
            executor: Arc::new(Executor::new(ctx)),
        }
    }
}

impl Executor {
    fn new(ctx: ProcessorContext) -> Self {
        let data_centers = vec![ctx.local.dc.clone()];
        let prepared = PreparedCache::new(ctx.prepared_cache_bytes);
        let timestamps = TimestampGenerator::new(Arc::clone(&ctx.clock));
        let lists = ListPaths::new(ctx.local.host_id.as_u64_pair().1);
        Self {
            ctx,
            prepared,
            data_centers,
            timestamps,
            lists,
            counter_lock: parking_lot::Mutex::new(()),
        }
    }

    fn parse(text: &str) -> Result<Statement, RequestError> {
        parse(text).map_err(|e| RequestError::Syntax(e.to_string()))
    }

    fn query(
        &self,
        session: &ClientSession,
        query: &Query,
        warnings: &RefCell<Vec<String>>,
    ) -> Result<ResultBody, RequestError> {
        let statement = Self::parse(&query.query)?;
        let keyspace = query.params.keyspace.clone().or_else(|| session.keyspace());
        let values = positional(&query.params.values)?;
        let request = RunRequest {
            keyspace: keyspace.as_deref(),
            values: &values,
            timestamp: query.params.default_timestamp,
            page_size: query.params.page_size,
            paging_state: query.params.paging_state.as_ref(),
            warnings,
        };
        self.run(session, &statement, &request)
    }

    fn prepare(
        &self,
        session: &ClientSession,
        prepare: &Prepare,
    ) -> Result<ResultBody, RequestError> {
        let statement = Self::parse(&prepare.query)?;
        let keyspace = prepare.keyspace.clone().or_else(|| session.keyspace());
        let (markers, result_columns) = self.prepared_metadata(&statement, keyspace.as_deref())?;
        let id = prepared_id(keyspace.as_deref(), &prepare.query);
        let size = prepare.query.len() * 4 + 256;
        self.prepared.insert(
            id.clone(),
            Arc::new(PreparedStatement {
                keyspace,
                statement,
            }),
            size,
        );
        let result_metadata_id = (session.version >= sibyl_protocol::frame::ProtocolVersion::V5)
            .then(|| prepared_id(None, &format!("{result_columns:?}")));
        Ok(ResultBody::Prepared(Prepared {
            id,
            result_metadata_id,
            metadata: PreparedMetadata {
                pk_indexes: markers.pk_indexes,
                columns: markers.specs,
            },
            result_metadata: RowsMetadata::with_columns(result_columns),
        }))
    }

    fn execute(
        &self,
        session: &ClientSession,
        execute: &Execute,
        warnings: &RefCell<Vec<String>>,
    ) -> Result<ResultBody, RequestError> {
        let Some(prepared) = self.prepared.get(&execute.id) else {
            return Err(unprepared(execute.id.clone()));
        };
        let values = positional(&execute.params.values)?;
        let request = RunRequest {
            keyspace: prepared.keyspace.as_deref(),
            values: &values,
            timestamp: execute.params.default_timestamp,
            page_size: execute.params.page_size,
            paging_state: execute.params.paging_state.as_ref(),
            warnings,
        };
        self.run(session, &prepared.statement, &request)
    }

    fn batch(
        &self,
        session: &ClientSession,
        batch: &Batch,
        warnings: &RefCell<Vec<String>>,
    ) -> Result<ResultBody, RequestError> {
        let default_keyspace = batch.keyspace.clone().or_else(|| session.keyspace());
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
            };
            mutations.extend(self.mutations(&statement.statement, &request)?);
        }
        let kind = match batch.batch_type {
            sibyl_protocol::request::BatchType::Logged => {
                sibyl_protocol::cql::ast::BatchKind::Logged
            }
            sibyl_protocol::request::BatchType::Unlogged => {
                sibyl_protocol::cql::ast::BatchKind::Unlogged
            }
            sibyl_protocol::request::BatchType::Counter => {
                sibyl_protocol::cql::ast::BatchKind::Counter
            }
        };
        check_counter_mix(kind, &mutations)?;
        self.check_batch_size(&mutations, warnings)?;
        self.apply(mutations)?;
        Ok(ResultBody::Void)
    }

    fn prepared_metadata(
        &self,
        statement: &Statement,
        keyspace: Option<&str>,
    ) -> Result<(MarkerSpecs, Vec<sibyl_protocol::response::ColumnSpec>), RequestError> {
        let count = statement.bind_marker_count();
        match statement {
            Statement::Select(select) => {
                let table = self.table_named(&select.table, keyspace)?;
                Ok((
                    select_markers(&table, select, count)?,
                    select::result_columns(&table, select)?,
                ))
            }
            Statement::Insert(insert) => Ok((
                insert_markers(&*self.table_named(&insert.table, keyspace)?, insert, count)?,
                Vec::new(),
            )),
            Statement::Update(update) => Ok((
                update_markers(&*self.table_named(&update.table, keyspace)?, update, count)?,
                Vec::new(),
            )),
            Statement::Delete(delete) => Ok((
                delete_markers(&*self.table_named(&delete.table, keyspace)?, delete, count)?,
                Vec::new(),
            )),
            _ if count == 0 => Ok((MarkerSpecs::default(), Vec::new())),
            _ => Err(RequestError::invalid(
                "Bind markers in this kind of statement are not supported by this Sibyl build yet",
            )),
        }
    }

    fn run(
        &self,
        session: &ClientSession,
        statement: &Statement,
        request: &RunRequest<'_>,
    ) -> Result<ResultBody, RequestError> {
        match statement {
            Statement::Use(name) => {
                let name = name.as_str();
                if self.ctx.schema.current().keyspace(name).is_none() {
                    return Err(RequestError::invalid(format!(
                        "Keyspace '{name}' does not exist"
                    )));
                }
                session.set_keyspace(name);
                Ok(ResultBody::SetKeyspace(name.to_owned()))
            }
            Statement::Select(select) => self.select(session, select, request),
            Statement::Describe(d) => {
                let schema = self.ctx.schema.current();
                describe::execute(d, &schema, request.keyspace, &self.ctx.local.cluster_name)?
                    .into_result(None)
            }
            Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Batch(_) => {
                let _counter_guard = self
                    .touches_counters(statement, request.keyspace)
                    .then(|| self.counter_lock.lock());
                let mutations = self.mutations(statement, request)?;
                if matches!(statement, Statement::Batch(_)) {
                    self.check_batch_size(&mutations, request.warnings)?;
                }
                self.apply(mutations)?;
                Ok(ResultBody::Void)
            }
            Statement::Truncate(name) => {
                let table = self.writable_table(name, request.keyspace)?;
                self.ctx.store.truncate(&table)?;
                Ok(ResultBody::Void)
            }
            other => self.schema_statement(other, request.keyspace),
        }
    }

    fn schema_statement(
        &self,
        statement: &Statement,
        keyspace: Option<&str>,
    ) -> Result<ResultBody, RequestError> {
        let ctx = DdlContext {
            store: &self.ctx.schema,
            keyspace,
            data_centers: &self.data_centers,
            now_us: self.ctx.clock.now_micros(),
        };
        let Some(outcome) = ddl::execute(statement, &ctx) else {
            return Err(RequestError::invalid(format!(
                "{} statements are not supported by this Sibyl build yet",
                statement_kind(statement)
            )));
        };
        let outcome = outcome?;
        if let Some(change) = outcome.change {
            self.prepared.clear();
            let schema = self.ctx.schema.current();
            self.ctx.store.sync_with(&schema)?;
            self.ctx.store.drop_missing(&schema)?;
            let _ = self
                .ctx
                .events
                .send(sibyl_protocol::response::Event::SchemaChange(change));
        }
        Ok(outcome.result)
    }

    /// The mutations an INSERT, UPDATE, DELETE or BATCH statement makes.
    fn mutations(
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

    fn batch_mutations(
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
            timestamp = super::terms::integer(t, "[timestamp]")?;
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
            };
            out.extend(self.mutations(&inner, &inner_request)?);
        }
        check_counter_mix(batch.kind, &out)?;
        Ok(out)
    }

    /// This node's current shards of one counter cell (the read of a counter increment).
    fn read_counter(
        &self,
        table: &TableMetadata,
        key: &sibyl_storage::model::PartitionKey,
        clustering: Option<&sibyl_storage::model::ClusteringKey>,
        column: sibyl_storage::model::ColumnId,
    ) -> Result<Option<sibyl_storage::model::CounterShards>, RequestError> {
        use sibyl_storage::model::{BoundKind, CellKind, ClusteringBound, Slice, Slices};
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
        let read = self
            .ctx
            .store
            .table(table)?
            .read_partition(
                key,
                &slices,
                false,
                now_s,
                sibyl_storage::ReadLimits::default(),
            )
            .map_err(|e| request_error(&e))?;
        let Some(partition) = read.partition else {
            return Ok(None);
        };
        let row = match clustering {
            Some(ck) => partition.rows.iter().find(|r| r.clustering == *ck),
            None => partition.static_row.as_ref(),
        };
        let cell = row.and_then(|r| {
            r.cells
                .iter()
                .find(|c| c.column == column && c.path.is_none())
        });
        Ok(cell.and_then(|c| match &c.kind {
            CellKind::Counter { shards } => Some(shards.clone()),
            _ => None,
        }))
    }

    /// True when `statement` increments counters (those writes take the counter lock).
    fn touches_counters(&self, statement: &Statement, keyspace: Option<&str>) -> bool {
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

    fn apply(
        &self,
        mutations: Vec<(Arc<TableMetadata>, sibyl_storage::model::PartitionUpdate)>,
    ) -> Result<(), RequestError> {
        for (table, update) in mutations {
            self.ctx
                .store
                .table(&table)?
                .apply(&update)
                .map_err(|e| request_error(&e))?;
        }
        Ok(())
    }

    fn table_named(
        &self,
        name: &QualifiedName,
        keyspace: Option<&str>,
    ) -> Result<Arc<TableMetadata>, RequestError> {
        let ks = keyspace_of(name, keyspace)?;
        let schema = self.ctx.schema.current();
        if schema.keyspace(ks).is_none() {
            return Err(RequestError::invalid(format!(
                "keyspace {ks} does not exist"
            )));
        }
        schema
            .table(ks, name.name.as_str())
            .cloned()
            .ok_or_else(|| {
                RequestError::invalid(format!("table {} does not exist", name.name.as_str()))
            })
    }

    fn writable_table(
        &self,
        name: &QualifiedName,
        keyspace: Option<&str>,
    ) -> Result<Arc<TableMetadata>, RequestError> {
        let table = self.table_named(name, keyspace)?;
        if is_system_keyspace(&table.keyspace) {
            return Err(RequestError::Unauthorized(format!(
                "{} keyspace is not user-modifiable.",
                table.keyspace
            )));
        }
        Ok(table)
    }

    fn select(
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
                system_views::rows(&schema, ks, &table, &self.ctx.local, session.local.ip())
                    .unwrap_or_default(),
                None,
            )
        } else if is_system_keyspace(ks) {
            (Vec::new(), None)
        } else {
            let page = page_rows(select, request.page_size);
            let resume = match (page, request.paging_state) {
                (Some(_), Some(state)) => Some(Resume::decode(state)?),
                _ => None,
            };
            let outcome = read_rows(&self.ctx.store, &table, select, &ctx, page, resume.as_ref())?;
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
}

/// Cassandra's rules for counters in batches: no mixing counter and regular
/// mutations, no counters in a LOGGED batch, only counters in a COUNTER batch.
fn check_counter_mix(
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

/// The page size to read with, when `select` can be paged by storage position:
/// no LIMIT, no ORDER BY, no aggregate, no DISTINCT (those return whole results).
fn page_rows(select: &Select, page_size: Option<i32>) -> Option<usize> {
    use sibyl_protocol::cql::ast::{Selection, SelectorExpr};
    let size = usize::try_from(page_size?).ok().filter(|s| *s > 0)?;
    let aggregate = matches!(&select.selection, Selection::List(items) if items.iter().any(|s| match &s.expr {
        SelectorExpr::CountStar => true,
        SelectorExpr::Function { name, .. } => ["count", "min", "max", "sum", "avg"].iter().any(|f| name.name.as_str().eq_ignore_ascii_case(f)),
        _ => false,
    }));
    let pageable = select.limit.is_none()
        && select.order_by.is_empty()
        && !aggregate
        && !select.distinct
        && select.per_partition_limit.is_none();
    pageable.then_some(size)
}

/// Where a statement runs: its keyspace, bound values and client timestamp.
struct RunRequest<'a> {
    keyspace: Option<&'a str>,
    values: &'a [Value],
    timestamp: Option<i64>,
    /// Rows per page (`None` or <= 0: everything at once).
    page_size: Option<i32>,
    /// Where the previous page stopped.
    paging_state: Option<&'a Bytes>,
    /// Warnings for the client, collected while the request runs.
    warnings: &'a RefCell<Vec<String>>,
}

/// A version 1 UUID for `now()`: the request time plus node bits.
fn make_timeuuid(now_us: i64, node: u64) -> uuid::Uuid {
    let seconds = u64::try_from(now_us.div_euclid(1_000_000)).unwrap_or(0);
    let nanos = u32::try_from(now_us.rem_euclid(1_000_000) * 1000).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, seconds, nanos);
    let node_id: [u8; 6] = {
        let b = node.to_be_bytes();
        [b[2], b[3], b[4], b[5], b[6], b[7]]
    };
    uuid::Uuid::new_v1(ts, &node_id)
}

fn positional(values: &QueryValues) -> Result<Vec<Value>, RequestError> {
    match values {
        QueryValues::Positional(values) => Ok(values.clone()),
        QueryValues::Named(_) => Err(RequestError::invalid(
            "Named bind values are not supported yet",
        )),
    }
}

fn unprepared(id: Bytes) -> RequestError {
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    RequestError::Protocol(ErrorResponse {
        kind: ErrorKind::Unprepared { id },
        message: format!(
            "Prepared query with ID {hex} not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)"
        ),
    })
}

fn statement_kind(statement: &Statement) -> &'static str {
    match statement {
        Statement::Insert(_) => "INSERT",
        Statement::Update(_) => "UPDATE",
        Statement::Delete(_) => "DELETE",
        Statement::Batch(_) => "BATCH",
        Statement::Truncate(_) => "TRUNCATE",
        _ => "These",
    }
}

impl Executor {
    fn serve(&self, session: &ClientSession, request: &RequestFrame) -> HandlerResponse {
        let warnings = RefCell::new(Vec::new());
        let result = match &request.request {
            Request::Query(query) => self.query(session, query, &warnings),
            Request::Prepare(prepare) => self.prepare(session, prepare),
            Request::Execute(execute) => self.execute(session, execute, &warnings),
            Request::Batch(batch) => self.batch(session, batch, &warnings),
            _ => Err(RequestError::Server("unexpected request kind".into())),
        };
        let mut response = match result {
            Ok(body) => HandlerResponse::new(Response::Result(body)),
            Err(error) => HandlerResponse::new(Response::Error(error.to_response())),
        };
        response.warnings = warnings.into_inner();
        response
    }

    /// Cassandra's batch size thresholds: a warning past `batch_warn_bytes`,
    /// InvalidRequest past `batch_fail_bytes` (sizes are approximate mutation bytes).
    fn check_batch_size(
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

    /// Cassandra's tombstone thresholds for one read.
    fn check_tombstones(
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

impl RequestHandler for QueryProcessor {
    async fn handle(&self, session: Arc<ClientSession>, request: RequestFrame) -> HandlerResponse {
        let executor = Arc::clone(&self.executor);
        let served = tokio::task::spawn_blocking(move || executor.serve(&session, &request)).await;
        served.unwrap_or_else(|e| {
            tracing::error!(error = %e, "statement execution failed");
            HandlerResponse::error(
                ErrorKind::Server,
                "internal error while executing the statement",
            )
        })
    }

    async fn authenticate(&self, user: &str, _password: &str) -> Result<(), String> {
        Err(format!(
            "Provided username {user} and/or password are incorrect"
        ))
    }
}
