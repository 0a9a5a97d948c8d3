//! Primary key restrictions of a statement's WHERE clause: which partitions
//! and which clustering keys (or slice) it addresses.

use sibyl_protocol::cql::ast::{InValues, Operator, Relation, RelationLhs, Term};
use sibyl_protocol::value::{CqlType, CqlValue};
use sibyl_storage::model::{BoundKind, ClusteringBound, ClusteringKey, PartitionKey, Slice};

use super::terms::{BindContext, Bound, bind};
use super::values::{clustering_key, partition_key};
use crate::error::RequestError;
use crate::schema::{ColumnKind, TableMetadata};

/// Largest number of keys an IN combination may expand to.
pub const KEY_COMBINATIONS_MAX: usize = 10_000;

/// One end of a clustering range: the value and whether it is included.
pub type RangeEnd = Option<(CqlValue, bool)>;

/// A range on one clustering column.
#[derive(Debug, Default, Clone)]
pub struct ClusteringRange {
    /// Lower end.
    pub lower: RangeEnd,
    /// Upper end.
    pub upper: RangeEnd,
}

/// The keys a WHERE clause names.
#[derive(Debug, Default)]
pub struct KeyRestrictions {
    /// Candidate values per partition key column, in key order (`None` = unrestricted).
    pub partition: Vec<Option<Vec<CqlValue>>>,
    /// Candidate values per clustering column restricted by `=`/`IN`, in key order.
    pub clustering: Vec<Vec<CqlValue>>,
    /// A range on the clustering column right after the `=`/`IN` prefix.
    pub clustering_range: Option<ClusteringRange>,
    /// Relations on other columns (filtering).
    pub others: Vec<Relation>,
}

fn values_of(term_values: Vec<Bound>, column: &str) -> Result<Vec<CqlValue>, RequestError> {
    term_values
        .into_iter()
        .map(|b| b.required(format_args!("partition or clustering key column {column}")))
        .collect()
}

/// Binds the right-hand side of a relation to its candidate values.
fn bind_relation(
    values: Either<'_>,
    ty: &CqlType,
    column: &str,
    ctx: &BindContext<'_>,
) -> Result<Vec<Bound>, RequestError> {
    match values {
        Either::One(term) => Ok(vec![bind(term, ty, column, ctx)?]),
        Either::Many(InValues::List(terms)) => {
            terms.iter().map(|t| bind(t, ty, column, ctx)).collect()
        }
        Either::Many(InValues::Marker(marker)) => {
            let list = CqlType::List(Box::new(ty.clone()));
            match bind(
                &Term::Bind(marker.clone()),
                &list,
                &format!("in({column})"),
                ctx,
            )? {
                Bound::Value(CqlValue::List(items)) => {
                    Ok(items.into_iter().map(Bound::Value).collect())
                }
                _ => Err(RequestError::invalid(format!(
                    "Invalid null value for IN restriction on {column}"
                ))),
            }
        }
    }
}

/// Restrictions being collected, before validation.
struct Builder {
    out: KeyRestrictions,
    clustering: Vec<Option<Vec<CqlValue>>>,
    range: ClusteringRange,
    range_column: Option<usize>,
}

impl Builder {
    fn record(
        &mut self,
        kind: ColumnKind,
        position: usize,
        op: Operator,
        column: &str,
        bound: Vec<Bound>,
    ) -> Result<bool, RequestError> {
        match (kind, op) {
            (ColumnKind::PartitionKey, Operator::Eq) => {
                if let Some(slot) = self.out.partition.get_mut(position) {
                    *slot = Some(values_of(bound, column)?);
                }
            }
            (ColumnKind::Clustering, Operator::Eq) => {
                if let Some(slot) = self.clustering.get_mut(position) {
                    *slot = Some(values_of(bound, column)?);
                }
            }
            (
                ColumnKind::Clustering,
                Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte,
            ) => {
                if self.range_column.is_some_and(|p| p != position) {
                    return Err(RequestError::invalid(
                        "Clustering column range restrictions on more than one column are not supported",
                    ));
                }
                self.range_column = Some(position);
                if let Some(value) = values_of(bound, column)?.into_iter().next() {
                    match op {
                        Operator::Gt => self.range.lower = Some((value, false)),
                        Operator::Gte => self.range.lower = Some((value, true)),
                        Operator::Lt => self.range.upper = Some((value, false)),
                        _ => self.range.upper = Some((value, true)),
                    }
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn finish(mut self, table: &TableMetadata) -> Result<KeyRestrictions, RequestError> {
        let names: Vec<&str> = table
            .columns_of(ColumnKind::Clustering)
            .map(|c| c.name.as_str())
            .collect();
        let prefix_len = self.clustering.iter().take_while(|c| c.is_some()).count();
        if let Some(offset) = self
            .clustering
            .iter()
            .skip(prefix_len)
            .position(Option::is_some)
        {
            let restricted = names.get(prefix_len + offset).copied().unwrap_or("");
            let missing = names.get(prefix_len).copied().unwrap_or("");
            return Err(RequestError::invalid(format!(
                "PRIMARY KEY column \"{restricted}\" cannot be restricted as preceding column \"{missing}\" is not restricted"
            )));
        }
        if let Some(position) = self.range_column {
            if position != prefix_len {
                return Err(RequestError::invalid(
                    "Clustering column range must follow the restricted clustering prefix",
                ));
            }
            self.out.clustering_range = Some(self.range);
        }
        self.out.clustering = self.clustering.into_iter().flatten().collect();
        Ok(self.out)
    }
}

impl KeyRestrictions {
    /// Sorts the WHERE clause into key restrictions and the rest.
    ///
    /// # Errors
    /// Values that do not bind, or key restrictions Cassandra rejects.
    pub fn new(
        table: &TableMetadata,
        relations: &[Relation],
        ctx: &BindContext<'_>,
    ) -> Result<Self, RequestError> {
        let mut builder = Builder {
            out: KeyRestrictions {
                partition: vec![None; table.columns_of(ColumnKind::PartitionKey).count()],
                ..Default::default()
            },
            clustering: vec![None; table.columns_of(ColumnKind::Clustering).count()],
            range: ClusteringRange::default(),
            range_column: None,
        };
        for relation in relations {
            let (column, op, values) = match relation {
                Relation::Compare {
                    lhs: RelationLhs::Column(c),
                    op,
                    rhs,
                } => (c.as_str(), *op, Either::One(rhs)),
                Relation::In {
                    lhs: RelationLhs::Column(c),
                    values,
                } => (c.as_str(), Operator::Eq, Either::Many(values)),
                other => {
                    builder.out.others.push(other.clone());
                    continue;
                }
            };
            let meta = table.column(column).ok_or_else(|| {
                RequestError::invalid(format!(
                    "Undefined column name {column} in table {}.{}",
                    table.keyspace, table.name
                ))
            })?;
            let bound = bind_relation(values, &meta.ty, column, ctx)?;
            let position = usize::try_from(meta.position).unwrap_or(usize::MAX);
            if !builder.record(meta.kind, position, op, column, bound)? {
                builder.out.others.push(relation.clone());
            }
        }
        builder.finish(table)
    }

    /// True when every partition key column is restricted by `=`/`IN`.
    pub fn has_full_partition_key(&self) -> bool {
        self.partition.iter().all(Option::is_some)
    }

    /// The partition keys named (cartesian product of the IN lists).
    ///
    /// # Errors
    /// Missing key parts, or too many combinations.
    pub fn partition_keys(&self, table: &TableMetadata) -> Result<Vec<PartitionKey>, RequestError> {
        let missing: Vec<&str> = table
            .columns_of(ColumnKind::PartitionKey)
            .zip(&self.partition)
            .filter(|(_, v)| v.is_none())
            .map(|(c, _)| c.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(RequestError::invalid(format!(
                "Some partition key parts are missing: {}",
                missing.join(", ")
            )));
        }
        let lists: Vec<Vec<CqlValue>> = self.partition.iter().flatten().cloned().collect();
        combinations(&lists)?
            .iter()
            .map(|values| partition_key(table, values))
            .collect()
    }

    /// Full clustering keys named by `=`/`IN` on every clustering column.
    ///
    /// # Errors
    /// Too many combinations, or values that do not encode.
    pub fn clustering_keys(
        &self,
        table: &TableMetadata,
    ) -> Result<Vec<ClusteringKey>, RequestError> {
        combinations(&self.clustering)?
            .iter()
            .map(|values| clustering_key(table, values))
            .collect()
    }

    /// The clustering slice named: the `=` prefix (one combination) and the optional range.
    ///
    /// # Errors
    /// An IN in the prefix (not a single slice), or values that do not encode.
    pub fn clustering_slices(&self, table: &TableMetadata) -> Result<Vec<Slice>, RequestError> {
        let mut slices = Vec::new();
        for prefix in combinations(&self.clustering)? {
            let prefix_bytes = clustering_key(table, &prefix)?;
            let bound = |extra: Option<&(CqlValue, bool)>,
                         start: bool|
             -> Result<ClusteringBound, RequestError> {
                let Some((value, inclusive)) = extra else {
                    let kind = if start {
                        BoundKind::InclusiveStart
                    } else {
                        BoundKind::InclusiveEnd
                    };
                    return Ok(ClusteringBound::new(prefix_bytes.as_bytes().to_vec(), kind));
                };
                let mut values = prefix.clone();
                values.push(value.clone());
                let key = clustering_key(table, &values)?;
                let kind = match (start, inclusive) {
                    (true, true) => BoundKind::InclusiveStart,
                    (true, false) => BoundKind::ExclusiveStart,
                    (false, true) => BoundKind::InclusiveEnd,
                    (false, false) => BoundKind::ExclusiveEnd,
                };
                Ok(ClusteringBound::new(key.as_bytes().to_vec(), kind))
            };
            let (lower, upper) = self
                .clustering_range
                .as_ref()
                .map_or((None, None), |r| (r.lower.as_ref(), r.upper.as_ref()));
            let (lower, upper) = flip_for_desc(table, prefix.len(), lower, upper);
            let slice = Slice::new(bound(lower, true)?, bound(upper, false)?)
                .map_err(|e| RequestError::invalid(e.to_string()))?;
            slices.push(slice);
        }
        Ok(slices)
    }
}

/// A DESC column stores inverted bytes: its lower value bound becomes the upper byte bound.
type EndRef<'a> = Option<&'a (CqlValue, bool)>;

fn flip_for_desc<'a>(
    table: &TableMetadata,
    position: usize,
    lower: EndRef<'a>,
    upper: EndRef<'a>,
) -> (EndRef<'a>, EndRef<'a>) {
    let desc = table
        .columns_of(ColumnKind::Clustering)
        .nth(position)
        .is_some_and(|c| c.order == Some(crate::schema::ClusteringOrder::Desc));
    if desc { (upper, lower) } else { (lower, upper) }
}

enum Either<'a> {
    One(&'a Term),
    Many(&'a InValues),
}

fn combinations(lists: &[Vec<CqlValue>]) -> Result<Vec<Vec<CqlValue>>, RequestError> {
    let mut out: Vec<Vec<CqlValue>> = vec![Vec::new()];
    for list in lists {
        if out.len().saturating_mul(list.len()) > KEY_COMBINATIONS_MAX {
            return Err(RequestError::invalid(format!(
                "IN restrictions select more than {KEY_COMBINATIONS_MAX} keys"
            )));
        }
        out = out
            .iter()
            .flat_map(|prefix| {
                list.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push(v.clone());
                    next
                })
            })
            .collect();
    }
    Ok(out)
}
