//! Bind marker metadata for PREPARE: the spec (name and type) of each `?`,
//! named after its receiver as Cassandra names it (the column, `in(col)`,
//! `[limit]` ...), and which markers carry the partition key (`pk_indexes`,
//! what drivers route by).

use sibyl_protocol::cql::ast::{
    Assignment, ColumnRef, Condition, Conditions, Delete, InValues, Insert, InsertValues, Operator,
    Relation, RelationLhs, Select, Term, Update, UsingAttr,
};
use sibyl_protocol::response::ColumnSpec;
use sibyl_protocol::value::CqlType;

use crate::error::RequestError;
use crate::schema::{ColumnKind, TableMetadata};

/// Marker specs and partition key marker positions of a statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarkerSpecs {
    /// One spec per marker, in marker order.
    pub specs: Vec<ColumnSpec>,
    /// Marker index of each partition key column, in key order (empty when not all are bound).
    pub pk_indexes: Vec<u16>,
}

struct Collector<'t> {
    table: &'t TableMetadata,
    specs: Vec<Option<ColumnSpec>>,
}

impl Collector<'_> {
    fn spec(&self, name: &str, ty: CqlType) -> ColumnSpec {
        ColumnSpec {
            keyspace: self.table.keyspace.clone(),
            table: self.table.name.clone(),
            name: name.to_owned(),
            ty: ty.unfrozen().clone(),
        }
    }

    fn put(&mut self, index: usize, spec: ColumnSpec) -> Result<(), RequestError> {
        let slot = self
            .specs
            .get_mut(index)
            .ok_or_else(|| RequestError::invalid("Bind marker out of range"))?;
        *slot = Some(spec);
        Ok(())
    }

    fn column_type(&self, name: &str) -> Result<CqlType, RequestError> {
        self.table
            .column(name)
            .map(|c| c.ty.clone())
            .ok_or_else(|| {
                RequestError::invalid(format!(
                    "Undefined column name {name} in table {}.{}",
                    self.table.keyspace, self.table.name
                ))
            })
    }

    fn term(&mut self, term: &Term, name: &str, ty: &CqlType) -> Result<(), RequestError> {
        match term {
            Term::Bind(marker) => self.put(marker.index, self.spec(name, ty.clone())),
            Term::Tuple(items) => {
                if let CqlType::Tuple(types) = ty.unfrozen() {
                    for (item, t) in items.iter().zip(types) {
                        self.term(item, name, t)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn relation(&mut self, relation: &Relation) -> Result<(), RequestError> {
        match relation {
            Relation::Compare {
                lhs: RelationLhs::Column(c),
                op,
                rhs,
            } => {
                let ty = self.column_type(c.as_str())?;
                let ty = match (op, ty.unfrozen()) {
                    (Operator::Contains, CqlType::List(e) | CqlType::Set(e)) => e.as_ref().clone(),
                    (Operator::Contains, CqlType::Map(_, v)) => v.as_ref().clone(),
                    (Operator::ContainsKey, CqlType::Map(k, _)) => k.as_ref().clone(),
                    _ => ty,
                };
                self.term(rhs, c.as_str(), &ty)
            }
            Relation::In {
                lhs: RelationLhs::Column(c),
                values,
            } => {
                let ty = self.column_type(c.as_str())?;
                match values {
                    InValues::Marker(m) => self.put(
                        m.index,
                        self.spec(&format!("in({})", c.as_str()), CqlType::List(Box::new(ty))),
                    ),
                    InValues::List(terms) => {
                        terms.iter().try_for_each(|t| self.term(t, c.as_str(), &ty))
                    }
                }
            }
            Relation::Compare {
                lhs: RelationLhs::Tuple(columns),
                rhs,
                ..
            } => {
                let types = columns
                    .iter()
                    .map(|c| self.column_type(c.as_str()))
                    .collect::<Result<Vec<_>, _>>()?;
                let name = format!(
                    "({})",
                    columns
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                );
                self.term(rhs, &name, &CqlType::Tuple(types))
            }
            Relation::Compare {
                lhs: RelationLhs::Token(_),
                rhs,
                ..
            } => self.term(rhs, "partition key token", &CqlType::Bigint),
            _ => Ok(()),
        }
    }

    fn finish(self) -> Result<Vec<ColumnSpec>, RequestError> {
        self.specs
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                s.ok_or_else(|| {
                    RequestError::invalid(format!(
                        "Bind marker {i} is in a position Sibyl cannot type yet"
                    ))
                })
            })
            .collect()
    }
}

/// Marker specs of a SELECT with `count` markers.
///
/// # Errors
/// Unknown columns, or markers in positions not typed yet.
pub fn select_markers(
    table: &TableMetadata,
    select: &Select,
    count: usize,
) -> Result<MarkerSpecs, RequestError> {
    let mut collector = Collector {
        table,
        specs: vec![None; count],
    };
    for (index, spec) in super::projection::selection_markers(table, select)? {
        collector.put(index, spec)?;
    }
    for relation in &select.where_clause {
        collector.relation(relation)?;
    }
    if let Some(limit) = &select.per_partition_limit {
        collector.term(limit, "[per_partition_limit]", &CqlType::Int)?;
    }
    if let Some(limit) = &select.limit {
        collector.term(limit, "[limit]", &CqlType::Int)?;
    }
    let pk_indexes = partition_key_markers(table, &select.where_clause);
    Ok(MarkerSpecs {
        specs: collector.finish()?,
        pk_indexes,
    })
}

/// Marker index of each partition key column restricted by `col = ?`, if all are.
fn partition_key_markers(table: &TableMetadata, relations: &[Relation]) -> Vec<u16> {
    let mut indexes = Vec::new();
    for column in table.columns_of(ColumnKind::PartitionKey) {
        let found = relations.iter().find_map(|r| match r {
            Relation::Compare {
                lhs: RelationLhs::Column(c),
                op: Operator::Eq,
                rhs: Term::Bind(m),
            } if c.as_str() == column.name => u16::try_from(m.index).ok(),
            _ => None,
        });
        match found {
            Some(i) => indexes.push(i),
            None => return Vec::new(),
        }
    }
    indexes
}

/// Markers in an `IF` clause: typed by the column, element or field they compare with.
fn condition_markers(
    collector: &mut Collector<'_>,
    conditions: Option<&Conditions>,
) -> Result<(), RequestError> {
    let Some(Conditions::List(list)) = conditions else {
        return Ok(());
    };
    for condition in list {
        let (lhs, terms): (&ColumnRef, Vec<(&Term, bool)>) = match condition {
            Condition::Compare { lhs, rhs, .. } => (lhs, vec![(rhs, false)]),
            Condition::In { lhs, values } => match values {
                InValues::List(terms) => (lhs, terms.iter().map(|t| (t, false)).collect()),
                InValues::Marker(m) => {
                    // `IN ?`: a list of the compared type.
                    let marker = Term::Bind(m.clone());
                    let (name, ty) = condition_target(collector, lhs)?;
                    collector.term(
                        &marker,
                        &format!("in({name})"),
                        &CqlType::List(Box::new(ty)),
                    )?;
                    continue;
                }
            },
        };
        let (name, ty) = condition_target(collector, lhs)?;
        if let ColumnRef::Element(c, key) = lhs {
            match collector.column_type(c.as_str())?.unfrozen() {
                CqlType::Map(k, _) => collector.term(key, &format!("key({})", c.as_str()), k)?,
                CqlType::List(_) => {
                    collector.term(key, &format!("idx({})", c.as_str()), &CqlType::Int)?;
                }
                _ => {}
            }
        }
        for (term, _) in terms {
            collector.term(term, &name, &ty)?;
        }
    }
    Ok(())
}

/// The name and type a condition's left side compares with.
fn condition_target(
    collector: &Collector<'_>,
    lhs: &ColumnRef,
) -> Result<(String, CqlType), RequestError> {
    Ok(match lhs {
        ColumnRef::Column(c) => (c.as_str().to_owned(), collector.column_type(c.as_str())?),
        ColumnRef::Element(c, _) => {
            let ty = match collector.column_type(c.as_str())?.unfrozen() {
                CqlType::Map(_, v) | CqlType::List(v) => (**v).clone(),
                other => other.clone(),
            };
            (format!("value({})", c.as_str()), ty)
        }
        ColumnRef::Field(c, field) => {
            let ty = match collector.column_type(c.as_str())?.unfrozen() {
                CqlType::Udt(def) => def
                    .fields
                    .iter()
                    .find(|(n, _)| n == field.as_str())
                    .map(|(_, t)| t.clone())
                    .unwrap_or(CqlType::Blob),
                other => other.clone(),
            };
            (field.as_str().to_owned(), ty)
        }
    })
}

fn using_markers(collector: &mut Collector<'_>, using: &[UsingAttr]) -> Result<(), RequestError> {
    for attr in using {
        match attr {
            UsingAttr::Ttl(t) => collector.term(t, "[ttl]", &CqlType::Int)?,
            UsingAttr::Timestamp(t) => collector.term(t, "[timestamp]", &CqlType::Bigint)?,
        }
    }
    Ok(())
}

/// Marker specs of an INSERT.
///
/// # Errors
/// Unknown columns, or markers in positions not typed yet.
pub fn insert_markers(
    table: &TableMetadata,
    insert: &Insert,
    count: usize,
) -> Result<MarkerSpecs, RequestError> {
    let mut collector = Collector {
        table,
        specs: vec![None; count],
    };
    let mut pk_indexes = Vec::new();
    if let InsertValues::Values { columns, values } = &insert.values {
        for (column, value) in columns.iter().zip(values) {
            let ty = collector.column_type(column.as_str())?;
            collector.term(value, column.as_str(), &ty)?;
        }
        for pk in table.columns_of(ColumnKind::PartitionKey) {
            let marker = columns.iter().zip(values).find_map(|(c, v)| match v {
                Term::Bind(m) if c.as_str() == pk.name => u16::try_from(m.index).ok(),
                _ => None,
            });
            match marker {
                Some(i) => pk_indexes.push(i),
                None => {
                    pk_indexes.clear();
                    break;
                }
            }
        }
    }
    if let InsertValues::Json { value, .. } = &insert.values {
        collector.term(value, "[json]", &CqlType::Text)?;
    }
    using_markers(&mut collector, &insert.using)?;
    Ok(MarkerSpecs {
        specs: collector.finish()?,
        pk_indexes,
    })
}

/// Marker specs of an UPDATE.
///
/// # Errors
/// Unknown columns, or markers in positions not typed yet.
pub fn update_markers(
    table: &TableMetadata,
    update: &Update,
    count: usize,
) -> Result<MarkerSpecs, RequestError> {
    let mut collector = Collector {
        table,
        specs: vec![None; count],
    };
    using_markers(&mut collector, &update.using)?;
    for assignment in &update.assignments {
        match assignment {
            Assignment::Set {
                target: ColumnRef::Column(c),
                value,
            }
            | Assignment::Arith {
                column: c, value, ..
            }
            | Assignment::Prepend { column: c, value }
            | Assignment::Compound {
                column: c, value, ..
            } => {
                let ty = collector.column_type(c.as_str())?;
                collector.term(value, c.as_str(), &ty)?;
            }
            Assignment::Set {
                target: ColumnRef::Element(c, key),
                value,
            } => match collector.column_type(c.as_str())?.unfrozen() {
                CqlType::Map(k, v) => {
                    collector.term(key, &format!("key({})", c.as_str()), k)?;
                    collector.term(value, &format!("value({})", c.as_str()), v)?;
                }
                CqlType::List(v) => {
                    collector.term(key, &format!("idx({})", c.as_str()), &CqlType::Int)?;
                    collector.term(value, &format!("value({})", c.as_str()), v)?;
                }
                _ => {}
            },
            Assignment::Set {
                target: ColumnRef::Field(c, field),
                value,
            } => {
                if let CqlType::Udt(def) = collector.column_type(c.as_str())?.unfrozen()
                    && let Some((_, ty)) = def.fields.iter().find(|(n, _)| n == field.as_str())
                {
                    collector.term(value, field.as_str(), ty)?;
                }
            }
        }
    }
    for relation in &update.where_clause {
        collector.relation(relation)?;
    }
    condition_markers(&mut collector, update.conditions.as_ref())?;
    let pk_indexes = partition_key_markers(table, &update.where_clause);
    Ok(MarkerSpecs {
        specs: collector.finish()?,
        pk_indexes,
    })
}

/// Marker specs of a DELETE.
///
/// # Errors
/// Unknown columns, or markers in positions not typed yet.
pub fn delete_markers(
    table: &TableMetadata,
    delete: &Delete,
    count: usize,
) -> Result<MarkerSpecs, RequestError> {
    let mut collector = Collector {
        table,
        specs: vec![None; count],
    };
    for target in &delete.columns {
        if let ColumnRef::Element(c, key) = target {
            match collector.column_type(c.as_str())?.unfrozen() {
                CqlType::Map(k, _) | CqlType::Set(k) => {
                    collector.term(key, &format!("key({})", c.as_str()), k)?;
                }
                CqlType::List(_) => {
                    collector.term(key, &format!("idx({})", c.as_str()), &CqlType::Int)?;
                }
                _ => {}
            }
        }
    }
    using_markers(&mut collector, &delete.using)?;
    for relation in &delete.where_clause {
        collector.relation(relation)?;
    }
    condition_markers(&mut collector, delete.conditions.as_ref())?;
    let pk_indexes = partition_key_markers(table, &delete.where_clause);
    Ok(MarkerSpecs {
        specs: collector.finish()?,
        pk_indexes,
    })
}
