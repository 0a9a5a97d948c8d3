//! The CQL layer's entry point: the transport's [`RequestHandler`].
//!
//! QUERY text is parsed and executed; PREPARE stores the parsed statement
//! under Cassandra's deterministic id with its marker and result metadata;
//! EXECUTE runs a stored statement with bound values (or answers
//! Unprepared). Statements today: USE, SELECT from the system tables,
//! schema statements, DESCRIBE. Reads and writes of user tables are served
//! once the storage engine facade is wired in; until then they get an
//! InvalidRequest saying so.

use std::sync::Arc;

use bytes::Bytes;
use sibyl_protocol::RequestFrame;
use sibyl_protocol::cql::ast::{Select, Statement};
use sibyl_protocol::cql::parse;
use sibyl_protocol::request::{Execute, Prepare, Query, QueryValues, Request};
use sibyl_protocol::response::{
    ErrorKind, ErrorResponse, Prepared, PreparedMetadata, Response, ResultBody, RowsMetadata,
};
use sibyl_protocol::types::Value;

use super::ddl::{self, DdlContext, keyspace_of};
use super::markers::{MarkerSpecs, select_markers};
use super::prepared_cache::{PreparedCache, prepared_id};
use super::system_views::{self, LocalNode};
use super::terms::BindContext;
use super::{describe, select};
use crate::clock::Clock;
use crate::error::RequestError;
use crate::schema::TableMetadata;
use crate::schema::store::SchemaStore;
use crate::schema::system_keyspaces::is_system_keyspace;
use crate::transport::{ClientSession, EventSender, HandlerResponse, RequestHandler};

/// A statement stored by PREPARE.
#[derive(Debug)]
pub struct PreparedStatement {
    /// The keyspace it was prepared in (for unqualified names).
    pub keyspace: Option<String>,
    /// The parsed statement.
    pub statement: Statement,
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
}

/// Serves statements for the transport.
pub struct QueryProcessor {
    ctx: ProcessorContext,
    prepared: PreparedCache<PreparedStatement>,
    data_centers: Vec<String>,
}

impl QueryProcessor {
    /// A processor over the node's schema and state.
    pub fn new(ctx: ProcessorContext) -> Self {
        let data_centers = vec![ctx.local.dc.clone()];
        let prepared = PreparedCache::new(ctx.prepared_cache_bytes);
        Self {
            ctx,
            prepared,
            data_centers,
        }
    }

    fn parse(text: &str) -> Result<Statement, RequestError> {
        parse(text).map_err(|e| RequestError::Syntax(e.to_string()))
    }

    fn query(&self, session: &ClientSession, query: &Query) -> Result<ResultBody, RequestError> {
        let statement = Self::parse(&query.query)?;
        let keyspace = query.params.keyspace.clone().or_else(|| session.keyspace());
        let values = positional(&query.params.values)?;
        self.run(session, &statement, keyspace.as_deref(), &values)
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
    ) -> Result<ResultBody, RequestError> {
        let Some(prepared) = self.prepared.get(&execute.id) else {
            return Err(unprepared(execute.id.clone()));
        };
        let values = positional(&execute.params.values)?;
        self.run(
            session,
            &prepared.statement,
            prepared.keyspace.as_deref(),
            &values,
        )
    }

    fn prepared_metadata(
        &self,
        statement: &Statement,
        keyspace: Option<&str>,
    ) -> Result<(MarkerSpecs, Vec<sibyl_protocol::response::ColumnSpec>), RequestError> {
        let count = statement.bind_marker_count();
        match statement {
            Statement::Select(select) => {
                let table = self.table_of(select, keyspace)?;
                Ok((
                    select_markers(&table, select, count)?,
                    select::result_columns(&table, select)?,
                ))
            }
            _ if count == 0 => Ok((MarkerSpecs::default(), Vec::new())),
            _ => Err(RequestError::invalid(
                "Bind markers are supported in SELECT statements only for now",
            )),
        }
    }

    fn run(
        &self,
        session: &ClientSession,
        statement: &Statement,
        keyspace: Option<&str>,
        values: &[Value],
    ) -> Result<ResultBody, RequestError> {
        let now_us = self.ctx.clock.now_micros();
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
            Statement::Select(select) => self.select(session, select, keyspace, values, now_us),
            Statement::Describe(d) => {
                let schema = self.ctx.schema.current();
                describe::execute(d, &schema, keyspace, &self.ctx.local.cluster_name)?
                    .into_result(None)
            }
            other => {
                let ctx = DdlContext {
                    store: &self.ctx.schema,
                    keyspace,
                    data_centers: &self.data_centers,
                    now_us,
                };
                match ddl::execute(other, &ctx) {
                    Some(outcome) => {
                        let outcome = outcome?;
                        if let Some(change) = outcome.change {
                            self.prepared.clear();
                            let _ = self
                                .ctx
                                .events
                                .send(sibyl_protocol::response::Event::SchemaChange(change));
                        }
                        Ok(outcome.result)
                    }
                    None => Err(RequestError::invalid(format!(
                        "{} statements are not supported by this Sibyl build yet",
                        statement_kind(other)
                    ))),
                }
            }
        }
    }

    fn table_of(
        &self,
        select: &Select,
        keyspace: Option<&str>,
    ) -> Result<Arc<TableMetadata>, RequestError> {
        let ks = keyspace_of(&select.table, keyspace)?;
        let schema = self.ctx.schema.current();
        if schema.keyspace(ks).is_none() {
            return Err(RequestError::invalid(format!(
                "keyspace {ks} does not exist"
            )));
        }
        schema
            .table(ks, select.table.name.as_str())
            .cloned()
            .ok_or_else(|| {
                RequestError::invalid(format!(
                    "table {} does not exist",
                    select.table.name.as_str()
                ))
            })
    }

    fn select(
        &self,
        session: &ClientSession,
        select: &Select,
        keyspace: Option<&str>,
        values: &[Value],
        now_us: i64,
    ) -> Result<ResultBody, RequestError> {
        let table = self.table_of(select, keyspace)?;
        let ks = table.keyspace.as_str();
        let rows = if system_views::is_generated(ks) {
            let schema = self.ctx.schema.current();
            system_views::rows(&schema, ks, &table, &self.ctx.local, session.local.ip())
                .unwrap_or_default()
        } else if is_system_keyspace(ks) {
            Vec::new()
        } else {
            return Err(RequestError::invalid(format!(
                "Reading user table {ks}.{} is not available yet: the storage engine is not wired into this build",
                table.name
            )));
        };
        let node = self.ctx.local.host_id.as_u64_pair().0;
        let timeuuid = move |us: i64| make_timeuuid(us, node);
        let ctx = BindContext {
            values,
            now_us,
            timeuuid: &timeuuid,
        };
        select::execute(&table, select, rows, &ctx)?.into_result(None)
    }
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

impl RequestHandler for QueryProcessor {
    async fn handle(&self, session: Arc<ClientSession>, request: RequestFrame) -> HandlerResponse {
        let result = match &request.request {
            Request::Query(query) => self.query(&session, query),
            Request::Prepare(prepare) => self.prepare(&session, prepare),
            Request::Execute(execute) => self.execute(&session, execute),
            Request::Batch(_) => Err(RequestError::invalid(
                "BATCH statements are not supported by this Sibyl build yet",
            )),
            _ => Err(RequestError::Server("unexpected request kind".into())),
        };
        match result {
            Ok(body) => HandlerResponse::new(Response::Result(body)),
            Err(error) => HandlerResponse::new(Response::Error(error.to_response())),
        }
    }

    async fn authenticate(&self, user: &str, _password: &str) -> Result<(), String> {
        Err(format!(
            "Provided username {user} and/or password are incorrect"
        ))
    }
}
