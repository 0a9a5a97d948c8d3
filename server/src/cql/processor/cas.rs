//! Conditional statements and batches: one Paxos round on one partition
//! (the conditions evaluated on the current rows inside the round), and the
//! `[applied]` result.

use std::cell::RefCell;
use std::sync::Arc;

use bytes::Bytes;
use sibyl_protocol::cql::ast::{BatchStatement, Statement, UsingAttr};
use sibyl_protocol::request::{Batch, BatchQuery};
use sibyl_protocol::response::ResultBody;
use sibyl_protocol::types::{Consistency, Value};
use sibyl_storage::model::codec::encode_update_to_bytes;
use sibyl_storage::model::reconcile::merge_partitions;
use sibyl_storage::model::{Partition, PartitionKey, PartitionUpdate, Slice, Slices};

use super::super::lwt::{self, RowCondition};
use super::super::read::partition_rows;
use super::super::select::Row;
use super::super::terms::BindContext;
use super::{Announcer, Executor, PreparedStatement, RunRequest, make_timeuuid, unprepared};
use crate::error::RequestError;
use crate::schema::TableMetadata;
use crate::storage::engine_id;

/// One statement of a conditional statement or batch.
struct Piece<'a> {
    table: Arc<TableMetadata>,
    plain: Statement,
    condition: Option<RowCondition>,
    values: &'a [Value],
    keyspace: Option<&'a str>,
}

fn has_timestamp(using: &[UsingAttr]) -> bool {
    using.iter().any(|u| matches!(u, UsingAttr::Timestamp(_)))
}

fn custom_timestamp(statement: &Statement) -> bool {
    match statement {
        Statement::Insert(i) => has_timestamp(&i.using),
        Statement::Update(u) => has_timestamp(&u.using),
        Statement::Delete(d) => has_timestamp(&d.using),
        Statement::Batch(b) => has_timestamp(&b.using),
        _ => false,
    }
}

fn inner(statement: &BatchStatement) -> Statement {
    match statement {
        BatchStatement::Insert(s) => Statement::Insert(Box::new(s.clone())),
        BatchStatement::Update(s) => Statement::Update(Box::new(s.clone())),
        BatchStatement::Delete(s) => Statement::Delete(Box::new(s.clone())),
    }
}

impl Executor {
    /// A conditional INSERT / UPDATE / DELETE, or a CQL batch with conditions.
    pub(super) fn conditional(
        &self,
        statement: &Statement,
        request: &RunRequest<'_>,
    ) -> Result<ResultBody, RequestError> {
        if custom_timestamp(statement) {
            return Err(custom_timestamp_error());
        }
        let (statements, in_batch) = match statement {
            Statement::Batch(b) => (b.statements.iter().map(inner).collect(), true),
            other => (vec![other.clone()], false),
        };
        let mut pieces = Vec::with_capacity(statements.len());
        for s in &statements {
            pieces.push(self.piece(s, request.values, request.keyspace)?);
        }
        self.run_cas(&pieces, in_batch, request.warnings, request.announcer)
    }

    /// A protocol BATCH holding a conditional statement.
    pub(super) fn conditional_batch(
        &self,
        batch: &Batch,
        default_keyspace: Option<&str>,
        warnings: &RefCell<Vec<String>>,
        announcer: &Announcer,
    ) -> Result<ResultBody, RequestError> {
        let mut prepared: Vec<(Arc<PreparedStatement>, &[Value])> = Vec::new();
        for item in &batch.statements {
            let statement = match &item.query {
                BatchQuery::Text(text) => Arc::new(PreparedStatement {
                    keyspace: default_keyspace.map(str::to_owned),
                    statement: Self::parse(text)?,
                }),
                BatchQuery::Prepared(id) => self
                    .prepared
                    .get(id)
                    .ok_or_else(|| unprepared(id.clone()))?,
            };
            prepared.push((statement, item.values.as_slice()));
        }
        let mut pieces = Vec::with_capacity(prepared.len());
        for (statement, values) in &prepared {
            if custom_timestamp(&statement.statement) {
                return Err(custom_timestamp_error());
            }
            pieces.push(self.piece(&statement.statement, values, statement.keyspace.as_deref())?);
        }
        self.run_cas(&pieces, true, warnings, announcer)
    }

    fn piece<'a>(
        &self,
        statement: &Statement,
        values: &'a [Value],
        keyspace: Option<&'a str>,
    ) -> Result<Piece<'a>, RequestError> {
        let name = match statement {
            Statement::Insert(i) => &i.table,
            Statement::Update(u) => &u.table,
            Statement::Delete(d) => &d.table,
            _ => {
                return Err(RequestError::invalid(
                    "Only INSERT, UPDATE and DELETE statements are allowed in a batch",
                ));
            }
        };
        let table = self.writable_table(name, keyspace)?;
        if table.is_counter() {
            return Err(RequestError::invalid(
                "Conditional updates are not supported on counter tables",
            ));
        }
        let (plain, condition) = lwt::split_condition(statement)
            .ok_or_else(|| RequestError::invalid("Not a modification statement"))?;
        Ok(Piece {
            table,
            plain,
            condition,
            values,
            keyspace,
        })
    }

    /// Each piece's update, written at `timestamp`.
    fn build(
        &self,
        pieces: &[Piece<'_>],
        timestamp: i64,
        warnings: &RefCell<Vec<String>>,
        announcer: &Announcer,
    ) -> Result<Vec<Vec<PartitionUpdate>>, RequestError> {
        let mut out = Vec::with_capacity(pieces.len());
        for piece in pieces {
            let request = RunRequest {
                keyspace: piece.keyspace,
                values: piece.values,
                timestamp: Some(timestamp),
                page_size: None,
                paging_state: None,
                warnings,
                announcer,
            };
            let updates = self.mutations(&piece.plain, &request)?;
            for (table, update) in &updates {
                super::write::check_value_sizes(table, update, &self.ctx.thresholds)?;
            }
            out.push(updates.into_iter().map(|(_, u)| u).collect());
        }
        Ok(out)
    }

    fn run_cas(
        &self,
        pieces: &[Piece<'_>],
        in_batch: bool,
        warnings: &RefCell<Vec<String>>,
        announcer: &Announcer,
    ) -> Result<ResultBody, RequestError> {
        let Some(first) = pieces.first() else {
            return Err(RequestError::invalid("Empty batch"));
        };
        let table = Arc::clone(&first.table);
        if pieces.iter().any(|p| p.table.id != table.id) {
            return Err(RequestError::invalid(
                "Batch with conditions cannot span multiple tables",
            ));
        }
        let commit = announcer.consistency();
        if matches!(commit, Consistency::Serial | Consistency::LocalSerial) {
            return Err(RequestError::invalid(format!(
                "{} is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it is accepted but I don't care how many replicas commit it for non-SERIAL reads\"",
                commit.name()
            )));
        }
        let probe = self.build(pieces, 0, warnings, announcer)?;
        let (key, slices, rows) = target(&probe)?;
        let now_us = self.ctx.clock.now_micros();
        let now_s = u32::try_from(now_us.div_euclid(1_000_000)).unwrap_or(u32::MAX);
        let deadline = announcer
            .scope(super::TimeoutClass::Write(
                sibyl_protocol::response::WriteType::Cas,
            ))
            .deadline;
        let node = self.ctx.local.host_id.as_u64_pair().0;
        let timeuuid = move |us: i64| make_timeuuid(us, node);
        let mut decide = |current: Option<&Partition>, ballot: crate::paxos::Ballot| {
            let current_rows = current_rows(&table, current, now_s)?;
            for (piece, row) in pieces.iter().zip(&rows) {
                let Some(condition) = &piece.condition else {
                    continue;
                };
                let ctx = BindContext {
                    values: piece.values,
                    now_us,
                    timeuuid: &timeuuid,
                };
                let row = find(&current_rows, row.as_ref());
                if !lwt::holds(&table, condition, row, &ctx)? {
                    return Ok(None);
                }
            }
            let built = self.build(pieces, ballot.micros(), warnings, announcer)?;
            Ok(Some(merged_update(&table, built.into_iter().flatten())))
        };
        let outcome = self.ctx.paxos.cas(
            &table,
            &key,
            &slices,
            now_s,
            announcer.serial(),
            commit,
            deadline,
            &mut decide,
        )?;
        cas_result(&table, pieces, &rows, in_batch, &outcome, now_s)
    }
}

/// The `[applied]` result: the conditioned rows' current values when not applied.
fn cas_result(
    table: &TableMetadata,
    pieces: &[Piece<'_>],
    rows: &[Option<Bytes>],
    in_batch: bool,
    outcome: &crate::paxos::CasOutcome,
    now_s: u32,
) -> Result<ResultBody, RequestError> {
    let current_rows = current_rows(table, outcome.current.as_ref(), now_s)?;
    let mut columns: Vec<usize> = Vec::new();
    let mut reported: Vec<&Row> = Vec::new();
    for (piece, row) in pieces.iter().zip(rows) {
        let Some(condition) = &piece.condition else {
            continue;
        };
        for c in lwt::reported_columns(table, Some(condition), in_batch) {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
        if let Some(found) = find(&current_rows, row.as_ref())
            && !reported.iter().any(|r| std::ptr::eq(*r, found))
        {
            reported.push(found);
        }
    }
    lwt::result(table, outcome.applied, &columns, &reported).into_result(None)
}

/// The partition every piece writes, the rows to read, and each piece's row
/// (its clustering key, `None` for static or partition-level writes).
fn target(
    probe: &[Vec<PartitionUpdate>],
) -> Result<(PartitionKey, Slices, Vec<Option<Bytes>>), RequestError> {
    let mut key: Option<PartitionKey> = None;
    let mut slices = Vec::new();
    let mut whole = false;
    let mut rows = Vec::with_capacity(probe.len());
    for updates in probe {
        let mut row = None;
        for u in updates {
            match &key {
                None => key = Some(u.key.clone()),
                Some(k) if *k != u.key => {
                    return Err(RequestError::invalid(
                        "Batch with conditions cannot span multiple partitions",
                    ));
                }
                Some(_) => {}
            }
            if u.rows.is_empty() || !u.range_tombstones.is_empty() {
                whole = true;
            }
            for r in &u.rows {
                slices.push(Slice::prefix(r.clustering.0.clone()));
                row.get_or_insert_with(|| r.clustering.0.clone());
            }
        }
        rows.push(row);
    }
    let key =
        key.ok_or_else(|| RequestError::invalid("A conditional statement must write a row"))?;
    let slices = if whole || slices.is_empty() {
        Slices::all()
    } else {
        Slices::new(slices)
    };
    Ok((key, slices, rows))
}

fn current_rows(
    table: &TableMetadata,
    current: Option<&Partition>,
    now_s: u32,
) -> Result<Vec<(Option<Bytes>, Row)>, RequestError> {
    current.map_or(Ok(Vec::new()), |p| partition_rows(table, p, now_s))
}

/// The current row a piece's condition looks at: its clustering row, or for
/// static/partition-level writes the first row (statics are in every row).
fn find<'r>(rows: &'r [(Option<Bytes>, Row)], clustering: Option<&Bytes>) -> Option<&'r Row> {
    match clustering {
        Some(ck) => rows
            .iter()
            .find(|(c, _)| c.as_ref() == Some(ck))
            .map(|(_, r)| r),
        None => rows.first().map(|(_, r)| r),
    }
}

/// One encoded update holding every piece's writes (all on one partition).
fn merged_update(table: &TableMetadata, updates: impl Iterator<Item = PartitionUpdate>) -> Bytes {
    let merged = updates
        .map(|u| Partition::from_update(&u))
        .reduce(|a, b| merge_partitions(&a, &b));
    let update = merged.map_or_else(
        || PartitionUpdate::new(engine_id(table), PartitionKey::new(Bytes::new())),
        |p| p.to_update(engine_id(table)),
    );
    encode_update_to_bytes(&update)
}

fn custom_timestamp_error() -> RequestError {
    RequestError::invalid("Cannot provide custom timestamp for conditional updates")
}
