//! SELECT on user tables: from the WHERE clause to engine reads (partition
//! reads with clustering slices, or token-range scans), and from engine
//! partitions to rows in `SELECT *` order with Cassandra's liveness rules.
//!
//! A row exists when its row marker or any of its cells is live at `now`;
//! expired cells read as null; a partition with live static cells but no live
//! rows yields one row of key and static values. Non-frozen collections are
//! reassembled from their element cells (an empty one reads as null).

use sibyl_protocol::cql::ast::{Operator, Relation, RelationLhs, Select};
use sibyl_protocol::value::{CqlType, CqlValue};
use sibyl_storage::ScanRange;
use sibyl_storage::model::{Cell, CellKind, Partition, Row as EngineRow, Slices};
use sibyl_storage::sstable::scanner::{ScanEnd, ScanStart};

use super::keys::KeyRestrictions;
use super::select::Row;
use super::terms::{BindContext, Bound, bind};
use super::values::{decode_clustering, decode_element_path, decode_partition_key, deserialize};
use crate::coordinator::{Coordinator, ReadLevel, RequestScope};
use crate::error::RequestError;
use crate::schema::{ColumnKind, ColumnMetadata, TableMetadata};

/// Largest number of partitions one scan request collects.
pub const SCAN_PARTITIONS_MAX: usize = 100_000;
/// Partitions fetched per engine scan page.
const SCAN_PAGE_PARTITIONS: usize = 1_000;

const FILTERING_MESSAGE: &str = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING";

/// Where the previous page stopped: the last row returned (storage key bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    /// Partition key bytes of the last row.
    pub partition: bytes::Bytes,
    /// Clustering key bytes of the last row (`None` for a static-only row).
    pub clustering: Option<bytes::Bytes>,
}

const PAGING_STATE_VERSION: u8 = 1;

impl Resume {
    /// The opaque paging state sent to the client.
    pub fn encode(&self) -> bytes::Bytes {
        let mut out = Vec::with_capacity(self.partition.len() + 16);
        out.push(PAGING_STATE_VERSION);
        out.extend_from_slice(
            &u32::try_from(self.partition.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.partition);
        if let Some(ck) = &self.clustering {
            out.extend_from_slice(&u32::try_from(ck.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(ck);
        }
        bytes::Bytes::from(out)
    }

    /// Reads a paging state back.
    ///
    /// # Errors
    /// [`RequestError::Invalid`] for bytes this server did not produce.
    pub fn decode(bytes: &[u8]) -> Result<Self, RequestError> {
        let invalid = || RequestError::invalid("Invalid value for the paging state");
        let (version, rest) = bytes.split_first().ok_or_else(invalid)?;
        if *version != PAGING_STATE_VERSION {
            return Err(invalid());
        }
        let take = |rest: &[u8]| -> Result<(bytes::Bytes, usize), RequestError> {
            let (len, tail) = rest.split_at_checked(4).ok_or_else(invalid)?;
            let len = usize::try_from(u32::from_be_bytes(len.try_into().map_err(|_| invalid())?))
                .map_err(|_| invalid())?;
            let value = tail.get(..len).ok_or_else(invalid)?;
            Ok((bytes::Bytes::copy_from_slice(value), 4 + len))
        };
        let (partition, used) = take(rest)?;
        let rest = rest.get(used..).ok_or_else(invalid)?;
        let clustering = if rest.is_empty() {
            None
        } else {
            Some(take(rest)?.0)
        };
        Ok(Self {
            partition,
            clustering,
        })
    }
}

/// What one read returns.
pub struct ReadOutcome {
    /// The rows, in storage order.
    pub rows: Vec<Row>,
    /// Relations still to apply as filters.
    pub remaining: Vec<Relation>,
    /// Where the next page starts, when this one is full.
    pub next: Option<Resume>,
    /// Tombstones (deleted or expired rows and cells, range and partition
    /// deletions) the read went through.
    pub tombstones: u64,
}

/// Gathers rows page by page, honouring a resume point and a row budget.
struct Gather<'a> {
    table: &'a TableMetadata,
    now_s: u32,
    rows_max: Option<usize>,
    resume: Option<&'a Resume>,
    rows: Vec<Row>,
    positions: Vec<Resume>,
    tombstones: u64,
}

impl Gather<'_> {
    fn full(&self) -> bool {
        self.rows_max.is_some_and(|max| self.rows.len() > max)
    }

    /// Adds a partition's live rows after the resume point; true once over budget.
    fn push(&mut self, partition: &Partition) -> Result<bool, RequestError> {
        self.tombstones += tombstones_in(partition, self.now_s);
        let key = partition.key.key();
        for (clustering, row) in partition_rows(self.table, partition, self.now_s)? {
            if let Some(resume) = self.resume
                && resume.partition == *key
                && (resume.clustering.is_none()
                    || clustering
                        .as_ref()
                        .is_none_or(|ck| Some(ck) <= resume.clustering.as_ref()))
            {
                continue;
            }
            self.rows.push(row);
            self.positions.push(Resume {
                partition: key.clone(),
                clustering,
            });
            if self.full() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn finish(mut self, remaining: Vec<Relation>) -> ReadOutcome {
        let mut next = None;
        if let Some(max) = self.rows_max
            && self.rows.len() > max
        {
            self.rows.truncate(max);
            next = max
                .checked_sub(1)
                .and_then(|i| self.positions.get(i))
                .cloned();
        }
        ReadOutcome {
            rows: self.rows,
            remaining,
            next,
            tombstones: self.tombstones,
        }
    }
}

/// The rows `select` addresses (a page of them when `rows_max` is set),
/// plus the relations still to apply as filters.
///
/// # Errors
/// Restrictions Cassandra rejects, or storage errors.
pub fn read_rows(
    coordinator: &Coordinator,
    scope: RequestScope,
    table: &TableMetadata,
    select: &Select,
    ctx: &BindContext<'_>,
    rows_max: Option<usize>,
    resume: Option<&Resume>,
) -> Result<ReadOutcome, RequestError> {
    let keys = KeyRestrictions::new(table, &select.where_clause, ctx)?;
    let now_s = u32::try_from(ctx.now_us.div_euclid(1_000_000)).unwrap_or(u32::MAX);
    let is_token = |r: &Relation| {
        matches!(
            r,
            Relation::Compare {
                lhs: RelationLhs::Token(_),
                ..
            }
        )
    };
    let (tokens, filters): (Vec<Relation>, Vec<Relation>) =
        keys.others.iter().cloned().partition(|r| is_token(r));
    let source = Source {
        coordinator,
        scope,
        table,
    };
    let mut gather = Gather {
        table,
        now_s,
        rows_max,
        resume,
        rows: Vec::new(),
        positions: Vec::new(),
        tombstones: 0,
    };
    if keys.has_full_partition_key() {
        let slices = if keys.clustering.is_empty() && keys.clustering_range.is_none() {
            Slices::all()
        } else {
            Slices::new(keys.clustering_slices(table)?)
        };
        read_partitions(&source, table, &keys, slices, now_s, resume, &mut gather)?;
    } else {
        let restricts_more = keys.partition.iter().any(Option::is_some)
            || !keys.clustering.is_empty()
            || keys.clustering_range.is_some()
            || !filters.is_empty();
        if restricts_more && !select.allow_filtering {
            return Err(RequestError::invalid(FILTERING_MESSAGE));
        }
        let mut range = token_range(&tokens, ctx)?;
        if let Some(resume) = resume {
            let token = sibyl_storage::model::PartitionKey::new(resume.partition.clone())
                .token()
                .0;
            range.start = ScanStart::Token {
                token,
                inclusive: true,
            };
        }
        scan(&source, range, now_s, &mut gather)?;
    }
    let remaining = select
        .where_clause
        .iter()
        .filter(|r| !is_token(r) && !is_partition_relation(table, r))
        .cloned()
        .collect();
    Ok(gather.finish(remaining))
}

/// Where partitions come from: the coordinator, at the request's level.
struct Source<'a> {
    coordinator: &'a Coordinator,
    scope: RequestScope,
    table: &'a TableMetadata,
}

fn read_partitions(
    source: &Source<'_>,
    table: &TableMetadata,
    keys: &KeyRestrictions,
    slices: Slices,
    now_s: u32,
    resume: Option<&Resume>,
    gather: &mut Gather<'_>,
) -> Result<(), RequestError> {
    let mut keys_in_order = keys.partition_keys(table)?;
    if let Some(resume) = resume
        && let Some(at) = keys_in_order
            .iter()
            .position(|k| *k.key() == resume.partition)
    {
        keys_in_order.drain(..at);
    }
    for key in keys_in_order {
        let result = source.coordinator.read_partition(
            source.table,
            &key,
            &slices,
            now_s,
            ReadLevel::Level(source.scope),
        )?;
        if let Some(partition) = result
            && gather.push(&partition)?
        {
            break;
        }
    }
    Ok(())
}

fn is_partition_relation(table: &TableMetadata, relation: &Relation) -> bool {
    let column = match relation {
        Relation::Compare {
            lhs: RelationLhs::Column(c),
            ..
        }
        | Relation::In {
            lhs: RelationLhs::Column(c),
            ..
        } => c,
        _ => return false,
    };
    table
        .column(column.as_str())
        .is_some_and(|c| c.kind == ColumnKind::PartitionKey)
}

fn token_range(relations: &[Relation], ctx: &BindContext<'_>) -> Result<ScanRange, RequestError> {
    let mut range = ScanRange::all();
    for relation in relations {
        let Relation::Compare { op, rhs, .. } = relation else {
            continue;
        };
        let Bound::Value(CqlValue::Bigint(token)) =
            bind(rhs, &CqlType::Bigint, "partition key token", ctx)?
        else {
            return Err(RequestError::invalid("Invalid null token"));
        };
        match op {
            Operator::Gt => {
                range.start = ScanStart::Token {
                    token,
                    inclusive: false,
                }
            }
            Operator::Gte => {
                range.start = ScanStart::Token {
                    token,
                    inclusive: true,
                }
            }
            Operator::Lt => {
                range.end = ScanEnd::Token {
                    token,
                    inclusive: false,
                }
            }
            Operator::Lte => {
                range.end = ScanEnd::Token {
                    token,
                    inclusive: true,
                }
            }
            _ => {
                return Err(RequestError::invalid(
                    "Only <, <=, > and >= are supported on token()",
                ));
            }
        }
    }
    Ok(range)
}

fn scan(
    source: &Source<'_>,
    mut range: ScanRange,
    now_s: u32,
    gather: &mut Gather<'_>,
) -> Result<(), RequestError> {
    let mut partitions_seen = 0_usize;
    loop {
        let page = source.coordinator.scan(
            source.table,
            &range,
            now_s,
            SCAN_PAGE_PARTITIONS,
            source.scope,
        )?;
        for partition in &page.partitions {
            partitions_seen += 1;
            if gather.push(partition)? {
                return Ok(());
            }
        }
        if gather.rows_max.is_none() && partitions_seen > SCAN_PARTITIONS_MAX {
            return Err(RequestError::invalid(format!(
                "This scan touches more than {SCAN_PARTITIONS_MAX} partitions; page through it (set a page size) or use token() ranges"
            )));
        }
        match page.next {
            Some(next) => range.start = ScanStart::AfterKey(next),
            None => return Ok(()),
        }
    }
}

/// Deletions a read of `partition` goes through: its partition deletion, range
/// tombstones, deleted rows and dead (deleted or expired) cells.
fn tombstones_in(partition: &Partition, now_s: u32) -> u64 {
    let rows = partition.rows.iter().chain(partition.static_row.iter());
    let mut count = u64::from(!partition.partition_deletion.is_live());
    count += u64::try_from(partition.range_tombstones.len()).unwrap_or(u64::MAX);
    for row in rows {
        count += u64::from(!row.deletion.is_live());
        count += u64::try_from(row.cells.iter().filter(|c| !c.is_live(now_s)).count())
            .unwrap_or(u64::MAX);
    }
    count
}

/// The live rows of a partition, in `SELECT *` column order.
///
/// # Errors
/// Stored bytes that do not decode.
pub fn partition_rows(
    table: &TableMetadata,
    partition: &Partition,
    now_s: u32,
) -> Result<Vec<(Option<bytes::Bytes>, Row)>, RequestError> {
    let pk = decode_partition_key(table, &partition.key)?;
    let statics = partition.static_row.as_ref();
    let mut rows = Vec::new();
    for row in &partition.rows {
        let live = row.liveness.is_some_and(|l| l.is_live(now_s))
            || row.cells.iter().any(|c| c.is_live(now_s));
        if !live {
            continue;
        }
        let clustering = decode_clustering(table, &row.clustering)?;
        let assembled = assemble(table, &pk, Some(&clustering), Some(row), statics, now_s)?;
        rows.push((Some(row.clustering.0.clone()), assembled));
    }
    if rows.is_empty() && statics.is_some_and(|s| s.cells.iter().any(|c| c.is_live(now_s))) {
        rows.push((None, assemble(table, &pk, None, None, statics, now_s)?));
    }
    Ok(rows)
}

fn assemble(
    table: &TableMetadata,
    pk: &[CqlValue],
    clustering: Option<&[CqlValue]>,
    row: Option<&EngineRow>,
    statics: Option<&EngineRow>,
    now_s: u32,
) -> Result<Row, RequestError> {
    let source = |column: &ColumnMetadata| match column.kind {
        ColumnKind::Static => statics,
        ColumnKind::Regular => row,
        ColumnKind::PartitionKey | ColumnKind::Clustering => None,
    };
    let mut out: Row = Vec::with_capacity(table.columns.len() * 3);
    for column in table.select_star_order() {
        let position = usize::try_from(column.position).unwrap_or(usize::MAX);
        out.push(match column.kind {
            ColumnKind::PartitionKey => pk.get(position).cloned(),
            ColumnKind::Clustering => clustering.and_then(|c| c.get(position)).cloned(),
            ColumnKind::Static | ColumnKind::Regular => {
                source(column).map_or(Ok(None), |r| column_value(column, r, now_s))?
            }
        });
    }
    // Hidden trailing entries for writetime() and ttl(): (write timestamp, remaining TTL)
    // per column in SELECT * order (see `select::hidden_writetime_index`).
    for column in table.select_star_order() {
        let cell = source(column).and_then(|r| {
            r.cells
                .iter()
                .find(|c| c.column == column.id && c.path.is_none() && c.is_live(now_s))
        });
        out.push(cell.map(|c| CqlValue::Bigint(c.timestamp)));
        out.push(cell.and_then(|c| match &c.kind {
            CellKind::Expiring {
                local_expiration_s, ..
            } => Some(CqlValue::Int(
                i32::try_from(local_expiration_s.saturating_sub(now_s)).unwrap_or(i32::MAX),
            )),
            _ => None,
        }));
    }
    Ok(out)
}

fn column_value(
    column: &ColumnMetadata,
    row: &EngineRow,
    now_s: u32,
) -> Result<Option<CqlValue>, RequestError> {
    let cells: Vec<&Cell> = row
        .cells
        .iter()
        .filter(|c| c.column == column.id && c.is_live(now_s))
        .collect();
    if !column.ty.is_multi_cell() {
        let Some(cell) = cells.iter().find(|c| c.path.is_none()) else {
            return Ok(None);
        };
        return Ok(Some(match &cell.kind {
            CellKind::Counter { shards } => CqlValue::Counter(shards.total()),
            _ => deserialize(&column.name, &column.ty, cell.value())?,
        }));
    }
    if cells.is_empty() {
        return Ok(None);
    }
    let name = column.name.as_str();
    let path = |c: &Cell| c.path.clone().unwrap_or_default();
    Ok(Some(match column.ty.unfrozen() {
        CqlType::List(elem) => CqlValue::List(
            cells
                .iter()
                .map(|c| deserialize(name, elem, c.value()))
                .collect::<Result<_, _>>()?,
        ),
        CqlType::Set(elem) => CqlValue::Set(
            cells
                .iter()
                .map(|c| decode_element_path(name, elem, &path(c)))
                .collect::<Result<_, _>>()?,
        ),
        CqlType::Map(key_ty, value_ty) => CqlValue::Map(
            cells
                .iter()
                .map(|c| {
                    Ok((
                        decode_element_path(name, key_ty, &path(c))?,
                        deserialize(name, value_ty, c.value())?,
                    ))
                })
                .collect::<Result<_, RequestError>>()?,
        ),
        CqlType::Udt(def) => {
            let mut fields: Vec<(String, Option<CqlValue>)> =
                def.fields.iter().map(|(n, _)| (n.clone(), None)).collect();
            for cell in cells {
                let index = path(cell).get(..2).map_or(usize::MAX, |b| {
                    usize::from(u16::from_be_bytes([b[0], b[1]]))
                });
                if let (Some(slot), Some((_, ty))) = (fields.get_mut(index), def.fields.get(index))
                {
                    slot.1 = Some(deserialize(name, ty, cell.value())?);
                }
            }
            CqlValue::Udt(fields)
        }
        other => {
            return Err(RequestError::Server(format!(
                "column {name} of type {other} is not multi-cell"
            )));
        }
    }))
}
