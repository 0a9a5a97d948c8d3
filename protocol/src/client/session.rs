//! [`Session`]: typed statements on one [`Connection`]: queries with values,
//! prepared statements (re-prepared transparently when the server answers
//! Unprepared), a [`RowPager`] that follows paging states, and batches.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::ToSocketAddrs;

use crate::client::connection::Connection;
use crate::client::error::{ClientError, Result};
use crate::client::options::ConnectOptions;
use crate::client::rows::{self, QueryResult, RowSet};
use crate::frame::ProtocolVersion;
use crate::request::{
    Batch, BatchQuery, BatchStatement, BatchType, Execute, Prepare, Query, QueryParameters,
    QueryValues,
};
use crate::response::{ColumnSpec, ErrorKind};
use crate::types::{Consistency, Value};
use crate::value::CqlValue;

/// Page size a pager uses when the options set none.
pub const PAGE_SIZE_DEFAULT: i32 = 5000;

/// Per-statement options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOptions {
    /// Consistency level (default ONE).
    pub consistency: Consistency,
    /// Serial consistency for conditional statements.
    pub serial_consistency: Option<Consistency>,
    /// Rows per page; `None` asks for everything at once.
    pub page_size: Option<i32>,
    /// Resume after a previous page.
    pub paging_state: Option<Bytes>,
    /// Client-side write timestamp, microseconds since the epoch.
    pub timestamp: Option<i64>,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            consistency: Consistency::One,
            serial_consistency: None,
            page_size: None,
            paging_state: None,
            timestamp: None,
        }
    }
}

impl QueryOptions {
    fn params(&self, values: QueryValues) -> QueryParameters {
        QueryParameters {
            consistency: self.consistency,
            values,
            page_size: self.page_size,
            paging_state: self.paging_state.clone(),
            serial_consistency: self.serial_consistency,
            default_timestamp: self.timestamp,
            ..QueryParameters::default()
        }
    }
}

/// A statement prepared on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedStatement {
    /// The CQL text.
    pub query: String,
    /// The statement id.
    pub id: Bytes,
    /// v5: the result metadata id sent back in EXECUTE.
    pub result_metadata_id: Option<Bytes>,
    /// The bind markers, in order.
    pub bind_columns: Vec<ColumnSpec>,
    /// Bind marker indexes forming the partition key.
    pub pk_indexes: Vec<u16>,
    /// The result columns (empty for writes).
    pub result_columns: Vec<ColumnSpec>,
}

/// One statement of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchItem {
    /// CQL text with values (types inferred).
    Query(String, Vec<CqlValue>),
    /// A prepared statement with values (typed by its bind markers).
    Prepared(Arc<PreparedStatement>, Vec<CqlValue>),
}

/// Typed statements over one connection; cheap to clone.
#[derive(Debug, Clone)]
pub struct Session {
    conn: Connection,
}

fn is_unprepared(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Server {
            details: ErrorKind::Unprepared { .. },
            ..
        }
    )
}

impl Session {
    /// Connects (see [`Connection::connect`]).
    ///
    /// # Errors
    /// As [`Connection::connect`].
    pub async fn connect(addr: impl ToSocketAddrs, options: ConnectOptions) -> Result<Session> {
        Ok(Session::new(Connection::connect(addr, options).await?))
    }

    /// A session over an open connection.
    pub fn new(conn: Connection) -> Self {
        Session { conn }
    }

    /// The underlying connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Runs CQL text with values whose types are inferred from the values.
    ///
    /// # Errors
    /// Encoding, connection or server errors.
    pub async fn query(
        &self,
        cql: &str,
        values: &[CqlValue],
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let values = QueryValues::Positional(rows::encode_values(values, None)?);
        self.query_values(cql, values, options).await
    }

    /// Runs CQL text with raw wire values (null, unset, named...).
    ///
    /// # Errors
    /// Connection or server errors, or undecodable rows.
    pub async fn query_values(
        &self,
        cql: &str,
        values: QueryValues,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let query = Query {
            query: cql.to_owned(),
            params: options.params(values),
        };
        rows::decode_result(self.conn.query(query).await?, None)
    }

    /// Prepares CQL text.
    ///
    /// # Errors
    /// Connection or server errors.
    pub async fn prepare(&self, cql: &str) -> Result<Arc<PreparedStatement>> {
        let p = self
            .conn
            .prepare(Prepare {
                query: cql.to_owned(),
                keyspace: None,
            })
            .await?;
        Ok(Arc::new(PreparedStatement {
            query: cql.to_owned(),
            id: p.id,
            result_metadata_id: p.result_metadata_id,
            bind_columns: p.metadata.columns,
            pk_indexes: p.metadata.pk_indexes,
            result_columns: p.result_metadata.columns.unwrap_or_default(),
        }))
    }

    /// Executes a prepared statement, typing values by its bind markers. If the
    /// server no longer knows the id, prepares again and retries once.
    ///
    /// # Errors
    /// Encoding, connection or server errors.
    pub async fn execute(
        &self,
        stmt: &PreparedStatement,
        values: &[CqlValue],
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let values = rows::encode_values(values, Some(&stmt.bind_columns))?;
        self.execute_values(stmt, values, options).await
    }

    async fn execute_values(
        &self,
        stmt: &PreparedStatement,
        values: Vec<Value>,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let execute = |s: &PreparedStatement| Execute {
            id: s.id.clone(),
            result_metadata_id: self.metadata_id(s),
            params: options.params(QueryValues::Positional(values.clone())),
        };
        let body = match self.conn.execute(execute(stmt)).await {
            Err(e) if is_unprepared(&e) => {
                let again = self.prepare(&stmt.query).await?;
                self.conn.execute(execute(&again)).await?
            }
            r => r?,
        };
        rows::decode_result(body, Some(&stmt.result_columns))
    }

    fn metadata_id(&self, stmt: &PreparedStatement) -> Option<Bytes> {
        if self.conn.version() >= ProtocolVersion::V5 {
            Some(stmt.result_metadata_id.clone().unwrap_or_default())
        } else {
            None
        }
    }

    /// Pages through the rows of CQL text (values' types inferred).
    ///
    /// # Errors
    /// A value that does not encode.
    pub fn query_paged(
        &self,
        cql: &str,
        values: &[CqlValue],
        options: &QueryOptions,
    ) -> Result<RowPager> {
        let values = rows::encode_values(values, None)?;
        Ok(RowPager::new(
            self.clone(),
            Paged::Query(cql.to_owned(), values),
            options,
        ))
    }

    /// Pages through the rows of a prepared statement.
    ///
    /// # Errors
    /// A value that does not fit its bind marker.
    pub fn execute_paged(
        &self,
        stmt: Arc<PreparedStatement>,
        values: &[CqlValue],
        options: &QueryOptions,
    ) -> Result<RowPager> {
        let values = rows::encode_values(values, Some(&stmt.bind_columns))?;
        Ok(RowPager::new(
            self.clone(),
            Paged::Execute(stmt, values),
            options,
        ))
    }

    /// Runs a batch (consistency, serial consistency and timestamp from
    /// `options`). Prepared members the server forgot are re-prepared once.
    ///
    /// # Errors
    /// Encoding, connection or server errors.
    pub async fn batch(
        &self,
        batch_type: BatchType,
        items: &[BatchItem],
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let mut statements = Vec::with_capacity(items.len());
        for item in items {
            statements.push(match item {
                BatchItem::Query(cql, values) => BatchStatement {
                    query: BatchQuery::Text(cql.clone()),
                    values: rows::encode_values(values, None)?,
                },
                BatchItem::Prepared(stmt, values) => BatchStatement {
                    query: BatchQuery::Prepared(stmt.id.clone()),
                    values: rows::encode_values(values, Some(&stmt.bind_columns))?,
                },
            });
        }
        let mut batch = Batch {
            batch_type,
            statements,
            consistency: options.consistency,
            serial_consistency: options.serial_consistency,
            default_timestamp: options.timestamp,
            keyspace: None,
            now_in_seconds: None,
        };
        let body = match self.conn.batch(batch.clone()).await {
            Err(e) if is_unprepared(&e) => {
                self.reprepare_batch(items, &mut batch).await?;
                self.conn.batch(batch).await?
            }
            r => r?,
        };
        rows::decode_result(body, None)
    }

    async fn reprepare_batch(&self, items: &[BatchItem], batch: &mut Batch) -> Result<()> {
        for (item, statement) in items.iter().zip(batch.statements.iter_mut()) {
            if let BatchItem::Prepared(stmt, _) = item {
                let again = self.prepare(&stmt.query).await?;
                statement.query = BatchQuery::Prepared(again.id.clone());
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Paged {
    Query(String, Vec<Value>),
    Execute(Arc<PreparedStatement>, Vec<Value>),
}

/// Fetches pages on demand, following the server's paging state.
#[derive(Debug)]
pub struct RowPager {
    session: Session,
    statement: Paged,
    options: QueryOptions,
    rows: VecDeque<Vec<Option<CqlValue>>>,
    done: bool,
    columns: Vec<ColumnSpec>,
}

impl RowPager {
    fn new(session: Session, statement: Paged, options: &QueryOptions) -> Self {
        let mut options = options.clone();
        options.page_size = Some(options.page_size.unwrap_or(PAGE_SIZE_DEFAULT));
        RowPager {
            session,
            statement,
            options,
            rows: VecDeque::new(),
            done: false,
            columns: Vec::new(),
        }
    }

    /// The columns of the last page fetched.
    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }

    /// The next page, or `None` after the last one.
    ///
    /// # Errors
    /// Connection or server errors, or a non-Rows result.
    pub async fn next_page(&mut self) -> Result<Option<RowSet>> {
        if self.done {
            return Ok(None);
        }
        let result = match &self.statement {
            Paged::Query(cql, values) => {
                let values = QueryValues::Positional(values.clone());
                self.session
                    .query_values(cql, values, &self.options)
                    .await?
            }
            Paged::Execute(stmt, values) => {
                let stmt = Arc::clone(stmt);
                self.session
                    .execute_values(&stmt, values.clone(), &self.options)
                    .await?
            }
        };
        let page = result
            .into_rows()
            .ok_or_else(|| ClientError::UnexpectedResponse {
                request: "paged statement",
                response: "a result without rows".into(),
            })?;
        self.done = page.paging_state.is_none();
        self.options.paging_state.clone_from(&page.paging_state);
        self.columns.clone_from(&page.columns);
        Ok(Some(page))
    }

    /// The next row, fetching pages as needed; `None` after the last row.
    ///
    /// # Errors
    /// As [`RowPager::next_page`].
    pub async fn next_row(&mut self) -> Result<Option<Vec<Option<CqlValue>>>> {
        loop {
            if let Some(row) = self.rows.pop_front() {
                return Ok(Some(row));
            }
            match self.next_page().await? {
                Some(page) => self.rows.extend(page.rows),
                None => return Ok(None),
            }
        }
    }
}
