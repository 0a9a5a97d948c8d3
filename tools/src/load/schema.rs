//! The target table as the loader sees it: columns with types and key roles,
//! from `--schema` or from `system_schema.columns`, and the mapping of input
//! fields to columns.
//!
//! Invariant: [`TableSchema::columns`] lists the partition key columns first,
//! in key order; the INSERT binds columns in the order of [`Mapping::targets`].

use crate::bail;
use crate::error::{Context, Result};
use sibyl_protocol::client::{QueryOptions, Session};
use sibyl_protocol::value::{CqlType, CqlValue};

/// The role of a column in the primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Part of the partition key.
    Partition,
    /// A clustering column.
    Clustering,
    /// Neither.
    Regular,
}

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: CqlType,
    /// Its role.
    pub role: Role,
}

/// The table's columns (partition key first, in key order).
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// The columns.
    pub columns: Vec<Column>,
}

impl TableSchema {
    /// Parses `sensor text pk, ts timestamp ck, value double` (roles `pk`, `ck`
    /// or none; native types only).
    ///
    /// # Errors
    /// A malformed part, an unknown type, or no partition key.
    pub fn parse(text: &str) -> Result<Self> {
        let mut columns = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let words: Vec<&str> = part.split_whitespace().collect();
            let (name, ty, role) = match words.as_slice() {
                [n, t] => (n, t, Role::Regular),
                [n, t, r] if r.eq_ignore_ascii_case("pk") => (n, t, Role::Partition),
                [n, t, r] if r.eq_ignore_ascii_case("ck") => (n, t, Role::Clustering),
                _ => bail!("bad schema part '{part}' (want 'name type [pk|ck]')"),
            };
            let ty = CqlType::from_native_name(ty)
                .with_context(|| format!("unknown or non-native type '{ty}'"))?;
            columns.push(Column {
                name: (*name).to_owned(),
                ty,
                role,
            });
        }
        Self::ordered(columns)
    }

    fn ordered(mut columns: Vec<Column>) -> Result<Self> {
        if !columns.iter().any(|c| c.role == Role::Partition) {
            bail!("the schema has no partition key column");
        }
        columns.sort_by_key(|c| match c.role {
            Role::Partition => 0,
            Role::Clustering => 1,
            Role::Regular => 2,
        });
        Ok(TableSchema { columns })
    }

    /// Reads the schema from `system_schema.columns`.
    ///
    /// # Errors
    /// The query fails, the table is unknown, or a type is not native.
    pub async fn fetch(session: &Session, keyspace: &str, table: &str) -> Result<Self> {
        let rows = session
            .query(
                "SELECT column_name, kind, position, type FROM system_schema.columns \
                 WHERE keyspace_name = ? AND table_name = ?",
                &[
                    CqlValue::Text(keyspace.to_owned()),
                    CqlValue::Text(table.to_owned()),
                ],
                &QueryOptions::default(),
            )
            .await?;
        let mut found = Vec::new();
        for row in rows.rows().map(|r| r.rows.as_slice()).unwrap_or_default() {
            let text = |i: usize| match row.get(i) {
                Some(Some(CqlValue::Text(s) | CqlValue::Ascii(s))) => s.clone(),
                _ => String::new(),
            };
            let position = match row.get(2) {
                Some(Some(CqlValue::Int(p))) => *p,
                _ => 0,
            };
            let role = match text(1).as_str() {
                "partition_key" => Role::Partition,
                "clustering" => Role::Clustering,
                _ => Role::Regular,
            };
            let ty = CqlType::from_native_name(&text(3))
                .with_context(|| format!("column {}: unsupported type {}", text(0), text(3)))?;
            found.push((
                position,
                Column {
                    name: text(0),
                    ty,
                    role,
                },
            ));
        }
        if found.is_empty() {
            bail!("table {keyspace}.{table} not found (pass --schema to describe it)");
        }
        found.sort_by_key(|(p, _)| *p);
        Self::ordered(found.into_iter().map(|(_, c)| c).collect())
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Which input field feeds which column.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// `(field index, column)` in INSERT bind order.
    pub targets: Vec<(usize, Column)>,
    /// Fields a record must have (largest mapped index + 1).
    pub fields: usize,
    /// For JSON lines: the key of each target.
    pub keys: Vec<String>,
}

impl Mapping {
    /// Builds the mapping from `--mapping` (`0=a,2=b` or `a,b,c`), else the
    /// header names, else the schema order.
    ///
    /// # Errors
    /// A mapped name that is not a column, or a key column left unmapped.
    pub fn new(
        schema: &TableSchema,
        spec: Option<&str>,
        header: Option<&[String]>,
    ) -> Result<Self> {
        let pairs: Vec<(usize, String)> = match (spec, header) {
            (Some(spec), _) => parse_spec(spec)?,
            (None, Some(h)) => h.iter().cloned().enumerate().collect(),
            (None, None) => schema
                .columns
                .iter()
                .map(|c| c.name.clone())
                .enumerate()
                .collect(),
        };
        let mut targets = Vec::new();
        for (index, name) in pairs {
            let column = schema
                .column(name.trim())
                .with_context(|| format!("mapped column '{name}' is not in the table"))?;
            targets.push((index, column.clone()));
        }
        for c in schema.columns.iter().filter(|c| c.role != Role::Regular) {
            if !targets.iter().any(|(_, t)| t.name == c.name) {
                bail!("primary key column '{}' is not mapped", c.name);
            }
        }
        let fields = targets.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
        let keys = targets.iter().map(|(_, c)| c.name.clone()).collect();
        Ok(Mapping {
            targets,
            fields,
            keys,
        })
    }

    /// The INSERT statement.
    pub fn insert(&self, keyspace: &str, table: &str, ttl: Option<u32>) -> String {
        let names: Vec<&str> = self.targets.iter().map(|(_, c)| c.name.as_str()).collect();
        let marks = vec!["?"; names.len()].join(", ");
        let using = ttl.map(|t| format!(" USING TTL {t}")).unwrap_or_default();
        format!(
            "INSERT INTO {keyspace}.{table} ({}) VALUES ({marks}){using}",
            names.join(", ")
        )
    }

    /// Positions (in bind order) of the partition key columns, in key order.
    pub fn partition_positions(&self, schema: &TableSchema) -> Vec<usize> {
        schema
            .columns
            .iter()
            .filter(|c| c.role == Role::Partition)
            .filter_map(|c| self.targets.iter().position(|(_, t)| t.name == c.name))
            .collect()
    }
}

fn parse_spec(spec: &str) -> Result<Vec<(usize, String)>> {
    spec.split(',')
        .enumerate()
        .map(|(i, part)| match part.split_once('=') {
            Some((index, name)) => Ok((
                index
                    .trim()
                    .parse()
                    .with_context(|| format!("bad mapping '{part}'"))?,
                name.trim().to_owned(),
            )),
            None => Ok((i, part.trim().to_owned())),
        })
        .collect()
}
