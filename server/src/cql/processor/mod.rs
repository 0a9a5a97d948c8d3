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
use sibyl_protocol::cql::ast::{QualifiedName, Statement};
use sibyl_protocol::cql::parse;
use sibyl_protocol::request::{Execute, Prepare, Query, QueryValues, Request};
use sibyl_protocol::response::{
    ErrorKind, ErrorResponse, Prepared, PreparedMetadata, Response, ResultBody, RowsMetadata,
    WriteType,
};
use sibyl_protocol::types::Value;

use super::ddl::{self, DdlContext, keyspace_of};
use super::markers::{MarkerSpecs, delete_markers, insert_markers, select_markers, update_markers};
use super::prepared_cache::{PreparedCache, prepared_id};
use super::system_views::LocalNode;
use super::values::ListPaths;
use super::{describe, select};
use crate::clock::{Clock, TimestampGenerator};
use crate::error::RequestError;
use crate::schema::TableMetadata;
use crate::schema::store::SchemaStore;
use crate::schema::system_keyspaces::is_system_keyspace;
use crate::storage::LocalStore;
use crate::transport::{ClientSession, EventSender, HandlerResponse, RequestHandler};

mod auth;
mod cas;
mod deadline;
mod inline;
mod read;
mod write;

use deadline::Announcer;
pub use deadline::{TimeoutClass, Timeouts};

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
    /// Largest value one cell may hold (`max_value_size_mb`).
    pub value_bytes_max: usize,
    /// Most elements one write may put in one collection.
    pub collection_items_max: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            tombstone_warn: 1_000,
            tombstone_fail: 100_000,
            batch_warn_bytes: 5 * 1024,
            batch_fail_bytes: 50 * 1024,
            value_bytes_max: 256 * 1024 * 1024,
            collection_items_max: 65_535,
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
    /// Coordinator timeouts by statement class.
    pub timeouts: Timeouts,
    /// Routes reads and writes to replicas.
    pub coordinator: Arc<crate::coordinator::Coordinator>,
    /// Peers (for system.peers) and schema change announcements.
    pub membership: Arc<crate::membership::Membership>,
    /// Request counters.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Lightweight transactions.
    pub paxos: Arc<crate::paxos::Paxos>,
    /// Roles and logins.
    pub auth: Arc<crate::auth::Auth>,
    /// Whether local-only requests may run on the runtime thread (true
    /// when the commitlog acknowledges before its fsync; see `inline`).
    pub inline_local_requests: bool,
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
    /// Recent traced requests (`system_traces`).
    traces: crate::traces::Traces,
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
        let traces = crate::traces::Traces::new(
            std::net::SocketAddr::new(ctx.local.listen_address, ctx.local.storage_port),
            ctx.local.host_id.as_u64_pair().1,
            Arc::clone(&ctx.clock),
        );
        Self {
            traces,
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
        announcer: &Announcer,
    ) -> Result<ResultBody, RequestError> {
        crate::traces::activity::parsing(&query.query);
        let statement = Self::parse(&query.query)?;
        crate::traces::activity::preparing();
        let keyspace = query.params.keyspace.clone().or_else(|| session.keyspace());
        let values = positional(&query.params.values)?;
        let request = RunRequest {
            keyspace: keyspace.as_deref(),
            values: &values,
            timestamp: query.params.default_timestamp,
            page_size: query.params.page_size,
            paging_state: query.params.paging_state.as_ref(),
            warnings,
            announcer,
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
        announcer: &Announcer,
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
            announcer,
        };
        self.run(session, &prepared.statement, &request)
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
            Statement::Select(select) => {
                request.announcer.announce(TimeoutClass::of_select(select));
                self.select(session, select, request)
            }
            Statement::Describe(d) => {
                let schema = self.ctx.schema.current();
                describe::execute(d, &schema, request.keyspace, &self.ctx.local.cluster_name)?
                    .into_result(None)
            }
            Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Batch(_)
                if super::lwt::is_conditional(statement) =>
            {
                request
                    .announcer
                    .announce(TimeoutClass::Write(WriteType::Cas));
                self.conditional(statement, request)
            }
            Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Batch(_) => {
                let counters = self.touches_counters(statement, request.keyspace);
                let class = match statement {
                    Statement::Batch(batch) => TimeoutClass::of_batch(batch.kind),
                    _ if counters => TimeoutClass::Write(WriteType::Counter),
                    _ => TimeoutClass::Write(WriteType::Simple),
                };
                request.announcer.announce(class);
                let _counter_guard = counters.then(|| self.counter_lock.lock());
                let mutations = self.mutations(statement, request)?;
                if matches!(statement, Statement::Batch(_)) {
                    self.check_batch_size(&mutations, request.warnings)?;
                }
                self.apply(mutations, request.announcer, class)?;
                Ok(ResultBody::Void)
            }
            Statement::Truncate(name) => {
                request.announcer.announce(TimeoutClass::Truncate);
                let table = self.writable_table(name, request.keyspace)?;
                let scope = request.announcer.scope(TimeoutClass::Truncate);
                self.ctx.coordinator.truncate(&table, scope.deadline)?;
                Ok(ResultBody::Void)
            }
            other if crate::auth::is_auth_statement(other) => self.auth_statement(session, other),
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
            self.ctx.membership.schema_changed();
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
    /// Tells the async side what the statement is, for its timeout.
    announcer: &'a Announcer,
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
    fn serve(
        &self,
        session: &ClientSession,
        request: &RequestFrame,
        announcer: &Announcer,
    ) -> HandlerResponse {
        let warnings = RefCell::new(Vec::new());
        let result = match &request.request {
            Request::Query(query) => self.query(session, query, &warnings, announcer),
            Request::Prepare(prepare) => self.prepare(session, prepare),
            Request::Execute(execute) => self.execute(session, execute, &warnings, announcer),
            Request::Batch(batch) => self.batch(session, batch, &warnings, announcer),
            _ => Err(RequestError::Server("unexpected request kind".into())),
        };
        let mut response = match result {
            Ok(body) => HandlerResponse::new(Response::Result(body)),
            Err(error) => HandlerResponse::new(Response::Error(error.to_response())),
        };
        response.warnings = warnings.into_inner();
        response
    }
}

impl RequestHandler for QueryProcessor {
    async fn handle(&self, session: Arc<ClientSession>, request: RequestFrame) -> HandlerResponse {
        if !request.tracing {
            return self.serve(session, request, None).await;
        }
        let trace = self.executor.traces.begin(crate::traces::TraceRequest::of(
            session.peer,
            &request.request,
        ));
        let mut response = self.serve(session, request, Some(Arc::clone(&trace))).await;
        trace.finish();
        response.tracing_id = Some(trace.id);
        response
    }

    async fn authenticate(&self, user: &str, password: &str) -> Result<(), String> {
        auth::authenticate(Arc::clone(&self.executor.ctx.auth), user, password).await
    }
}

impl QueryProcessor {
    /// Runs one request, on the blocking pool unless it may run inline
    /// (traced when `trace` is set; traced requests always use the pool).
    async fn serve(
        &self,
        session: Arc<ClientSession>,
        request: RequestFrame,
        trace: Option<Arc<crate::traces::TraceSession>>,
    ) -> HandlerResponse {
        let arrived = tokio::time::Instant::now();
        self.executor.ctx.metrics.native_request();
        let consistency = consistency_of(&request.request);
        let executor = Arc::clone(&self.executor);
        let timeouts = executor.ctx.timeouts;
        let levels = (consistency, serial_of(&request.request));
        if trace.is_none() && executor.serves_inline(&request.request) {
            let announcer = Announcer::detached(arrived.into_std(), levels, timeouts);
            let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                executor.serve(&session, &request, &announcer)
            }));
            return served.unwrap_or_else(|_| internal_error());
        }
        let (announce, announced) = tokio::sync::oneshot::channel();
        let served = tokio::task::spawn_blocking(move || {
            let announcer = Announcer::new(announce, arrived.into_std(), levels, timeouts);
            crate::traces::active::with_session(trace.as_ref(), || {
                executor.serve(&session, &request, &announcer)
            })
        });
        tokio::pin!(served);
        let class = tokio::select! {
            done = &mut served => return finished(done),
            Ok(class) = announced => class,
        };
        // The coordinator answers its own timeouts (with exact figures); this
        // is the backstop for a statement stuck elsewhere.
        let deadline = arrived + class.timeout(&timeouts) + deadline::COORDINATOR_GRACE;
        match tokio::time::timeout_at(deadline, &mut served).await {
            Ok(done) => finished(done),
            Err(_) => {
                tracing::debug!(?class, "statement timed out");
                HandlerResponse::new(Response::Error(class.error(consistency)))
            }
        }
    }
}

/// The consistency level a request asked for (ONE for requests without one).
fn consistency_of(request: &Request) -> sibyl_protocol::types::Consistency {
    match request {
        Request::Query(q) => q.params.consistency,
        Request::Execute(e) => e.params.consistency,
        Request::Batch(b) => b.consistency,
        _ => sibyl_protocol::types::Consistency::One,
    }
}

/// The serial consistency a request asked for (SERIAL when it did not say).
fn serial_of(request: &Request) -> sibyl_protocol::types::Consistency {
    let asked = match request {
        Request::Query(q) => q.params.serial_consistency,
        Request::Execute(e) => e.params.serial_consistency,
        Request::Batch(b) => b.serial_consistency,
        _ => None,
    };
    asked.unwrap_or(sibyl_protocol::types::Consistency::Serial)
}

/// The response of a finished blocking task (an internal error if it panicked).
fn finished(done: Result<HandlerResponse, tokio::task::JoinError>) -> HandlerResponse {
    done.unwrap_or_else(|e| {
        tracing::error!(error = %e, "statement execution failed");
        internal_error()
    })
}

/// The answer to a statement whose execution panicked.
fn internal_error() -> HandlerResponse {
    HandlerResponse::error(
        ErrorKind::Server,
        "internal error while executing the statement",
    )
}
