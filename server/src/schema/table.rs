//! Table metadata: columns with their kinds, positions and storage ids, and the
//! validation Cassandra applies to a table definition.

use std::collections::{BTreeMap, BTreeSet};

use sibyl_protocol::value::CqlType;

use super::SchemaError;
use super::params::TableParams;

/// Storage id of a column: what the engine's cells carry instead of a name.
pub type ColumnId = u32;

/// Largest number of columns one table may have.
pub const TABLE_COLUMNS_MAX: usize = 1024;
/// Longest keyspace, table, type or column name.
pub const NAME_BYTES_MAX: usize = 222;

/// The role a column plays in its table.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ColumnKind {
    /// Part of the partition key.
    PartitionKey,
    /// Part of the clustering key.
    Clustering,
    /// One value per partition.
    Static,
    /// One value per row.
    Regular,
}

impl ColumnKind {
    /// The `kind` text of `system_schema.columns`.
    pub fn schema_name(self) -> &'static str {
        match self {
            ColumnKind::PartitionKey => "partition_key",
            ColumnKind::Clustering => "clustering",
            ColumnKind::Static => "static",
            ColumnKind::Regular => "regular",
        }
    }
}

/// Ordering of a clustering column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ClusteringOrder {
    /// Ascending (the default).
    Asc,
    /// Descending.
    Desc,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ColumnMetadata {
    /// Name as stored (lower-cased unless it was quoted).
    pub name: String,
    /// CQL type.
    pub ty: CqlType,
    /// Role in the table.
    pub kind: ColumnKind,
    /// 0-based position within the partition or clustering key; 0 otherwise.
    pub position: u32,
    /// Order, for clustering columns.
    pub order: Option<ClusteringOrder>,
    /// Storage id, stable for the life of the column.
    pub id: ColumnId,
}

impl ColumnMetadata {
    /// The `position` column of `system_schema.columns` (-1 for non-key columns).
    pub fn schema_position(&self) -> i32 {
        match self.kind {
            ColumnKind::PartitionKey | ColumnKind::Clustering => {
                i32::try_from(self.position).unwrap_or(i32::MAX)
            }
            ColumnKind::Static | ColumnKind::Regular => -1,
        }
    }

    /// The `clustering_order` column of `system_schema.columns`.
    pub fn schema_clustering_order(&self) -> &'static str {
        match self.order {
            Some(ClusteringOrder::Asc) => "asc",
            Some(ClusteringOrder::Desc) => "desc",
            None => "none",
        }
    }
}

/// A column dropped from a table; its old cells are ignored when older than the drop.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct DroppedColumn {
    /// Type the column had.
    pub ty: CqlType,
    /// Kind the column had (regular or static).
    pub kind: ColumnKind,
    /// When it was dropped, µs since the epoch.
    pub dropped_at_us: i64,
}

/// What `CREATE TABLE` asks for, after the parser: the input to [`TableMetadata::create`].
#[derive(Debug, Clone, Default)]
pub struct TableDefinition {
    /// Declared columns in declaration order: name, type, `STATIC`.
    pub columns: Vec<(String, CqlType, bool)>,
    /// Partition key column names in key order.
    pub partition_key: Vec<String>,
    /// Clustering column names in key order.
    pub clustering: Vec<String>,
    /// `WITH CLUSTERING ORDER BY`, possibly partial.
    pub clustering_order: Vec<(String, ClusteringOrder)>,
    /// Table options.
    pub params: TableParams,
}

/// A table's schema.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableMetadata {
    /// Keyspace name.
    pub keyspace: String,
    /// Table name.
    pub name: String,
    /// Table id (`system_schema.tables.id`), fixed at creation.
    pub id: uuid::Uuid,
    /// Columns: partition key in order, clustering in order, then the rest by name.
    pub columns: Vec<ColumnMetadata>,
    /// Options (`WITH ...`).
    pub params: TableParams,
    /// Columns dropped by `ALTER TABLE ... DROP`.
    pub dropped: BTreeMap<String, DroppedColumn>,
    /// The id the next added column gets.
    pub next_column_id: ColumnId,
}

fn invalid(message: impl Into<String>) -> SchemaError {
    SchemaError::Invalid(message.into())
}

/// Checks a keyspace, table, type or column name.
///
/// # Errors
/// [`SchemaError::Invalid`] for an empty or overlong name.
pub fn check_name(what: &str, name: &str) -> Result<(), SchemaError> {
    if name.is_empty() {
        return Err(invalid(format!("{what} name must not be empty")));
    }
    if name.len() > NAME_BYTES_MAX {
        return Err(invalid(format!(
            "{what} names shouldn't be more than {NAME_BYTES_MAX} characters long (got \"{name}\")"
        )));
    }
    Ok(())
}

fn check_key_type(name: &str, ty: &CqlType) -> Result<(), SchemaError> {
    if ty.is_multi_cell() {
        return Err(invalid(format!(
            "Invalid non-frozen collection type for PRIMARY KEY component {name}"
        )));
    }
    if ty.is_counter() {
        return Err(invalid(format!(
            "counter type is not supported for PRIMARY KEY column '{name}'"
        )));
    }
    if matches!(ty.unfrozen(), CqlType::Duration) {
        return Err(invalid(format!(
            "duration type is not supported for PRIMARY KEY column '{name}'"
        )));
    }
    Ok(())
}

impl TableMetadata {
    /// Builds and validates a new table the way `CREATE TABLE` does.
    ///
    /// # Errors
    /// [`SchemaError::Invalid`] with Cassandra's wording for: no or unknown key
    /// columns, duplicate columns, invalid key types, misplaced statics,
    /// counters mixed with non-counters, or a bad clustering order.
    pub fn create(
        keyspace: &str,
        name: &str,
        id: uuid::Uuid,
        def: TableDefinition,
    ) -> Result<Self, SchemaError> {
        check_name("Table", name)?;
        if def.columns.len() > TABLE_COLUMNS_MAX {
            return Err(invalid(format!(
                "A table may have at most {TABLE_COLUMNS_MAX} columns"
            )));
        }
        let mut types: BTreeMap<&str, (&CqlType, bool)> = BTreeMap::new();
        for (column, ty, is_static) in &def.columns {
            check_name("Column", column)?;
            if types.insert(column, (ty, *is_static)).is_some() {
                return Err(invalid(format!(
                    "Multiple definition of identifier {column}"
                )));
            }
        }
        if def.partition_key.is_empty() {
            return Err(invalid(
                "No PRIMARY KEY specifed for table (exactly one required)",
            ));
        }
        let mut columns = Self::key_columns(&def, &types)?;
        Self::push_other_columns(&def, &mut columns)?;
        let next_column_id = ColumnId::try_from(columns.len()).unwrap_or(ColumnId::MAX);
        let table = TableMetadata {
            keyspace: keyspace.to_owned(),
            name: name.to_owned(),
            id,
            columns,
            params: def.params,
            dropped: BTreeMap::new(),
            next_column_id,
        };
        table.check_counters()?;
        Ok(table)
    }

    /// Partition key then clustering columns, with positions, orders and ids 0..n.
    fn key_columns(
        def: &TableDefinition,
        types: &BTreeMap<&str, (&CqlType, bool)>,
    ) -> Result<Vec<ColumnMetadata>, SchemaError> {
        let orders = Self::clustering_orders(def)?;
        let mut seen = BTreeSet::new();
        let mut columns = Vec::new();
        let keys = def
            .partition_key
            .iter()
            .map(|c| (c, ColumnKind::PartitionKey));
        let clustering = def.clustering.iter().map(|c| (c, ColumnKind::Clustering));
        for (position, (column, kind)) in keys.enumerate().chain(clustering.enumerate()) {
            let (ty, is_static) = types.get(column.as_str()).copied().ok_or_else(|| {
                invalid(format!(
                    "Unknown definition {column} referenced in PRIMARY KEY"
                ))
            })?;
            if !seen.insert(column.as_str()) {
                return Err(invalid(format!("Duplicate column {column} in PRIMARY KEY")));
            }
            if is_static {
                return Err(invalid(format!(
                    "Static column {column} cannot be part of the PRIMARY KEY"
                )));
            }
            check_key_type(column, ty)?;
            let order = (kind == ColumnKind::Clustering).then(|| {
                orders
                    .get(column.as_str())
                    .copied()
                    .unwrap_or(ClusteringOrder::Asc)
            });
            columns.push(ColumnMetadata {
                name: column.clone(),
                ty: ty.clone(),
                kind,
                position: u32::try_from(position).unwrap_or(u32::MAX),
                order,
                id: ColumnId::try_from(columns.len()).unwrap_or(ColumnId::MAX),
            });
        }
        Ok(columns)
    }

    /// Appends static and regular columns sorted by name, with the next ids.
    fn push_other_columns(
        def: &TableDefinition,
        columns: &mut Vec<ColumnMetadata>,
    ) -> Result<(), SchemaError> {
        let is_key = |name: &str| columns.iter().any(|c| c.name == name);
        let mut rest: Vec<_> = def.columns.iter().filter(|(c, _, _)| !is_key(c)).collect();
        rest.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        for (column, ty, is_static) in rest {
            if *is_static && def.clustering.is_empty() {
                return Err(invalid(format!(
                    "Static column {column} cannot be defined on a table without clustering columns"
                )));
            }
            let kind = if *is_static {
                ColumnKind::Static
            } else {
                ColumnKind::Regular
            };
            columns.push(ColumnMetadata {
                name: column.clone(),
                ty: ty.clone(),
                kind,
                position: 0,
                order: None,
                id: ColumnId::try_from(columns.len()).unwrap_or(ColumnId::MAX),
            });
        }
        Ok(())
    }

    fn clustering_orders(
        def: &TableDefinition,
    ) -> Result<BTreeMap<&str, ClusteringOrder>, SchemaError> {
        if def.clustering_order.is_empty() {
            return Ok(BTreeMap::new());
        }
        for (i, (column, _)) in def.clustering_order.iter().enumerate() {
            match def.clustering.get(i) {
                Some(expected) if expected == column => {}
                Some(_) | None if !def.clustering.contains(column) => {
                    return Err(invalid(format!(
                        "Only clustering key columns can be defined in CLUSTERING ORDER directive: {column} is not a clustering column"
                    )));
                }
                _ => {
                    return Err(invalid(
                        "The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns",
                    ));
                }
            }
        }
        Ok(def
            .clustering_order
            .iter()
            .map(|(c, o)| (c.as_str(), *o))
            .collect())
    }

    fn check_counters(&self) -> Result<(), SchemaError> {
        let non_key = || {
            self.columns
                .iter()
                .filter(|c| matches!(c.kind, ColumnKind::Regular | ColumnKind::Static))
        };
        let counters = non_key().filter(|c| c.ty.is_counter()).count();
        if counters > 0 && counters != non_key().count() {
            return Err(invalid(
                "Cannot mix counter and non counter columns in the same table",
            ));
        }
        Ok(())
    }

    /// True when the table's non-key columns are counters.
    pub fn is_counter(&self) -> bool {
        self.columns.iter().any(|c| c.ty.is_counter())
    }

    /// A column by stored name.
    pub fn column(&self, name: &str) -> Option<&ColumnMetadata> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// A column by storage id.
    pub fn column_by_id(&self, id: ColumnId) -> Option<&ColumnMetadata> {
        self.columns.iter().find(|c| c.id == id)
    }

    /// Columns of one kind, in key order for key columns.
    pub fn columns_of(&self, kind: ColumnKind) -> impl Iterator<Item = &ColumnMetadata> {
        self.columns.iter().filter(move |c| c.kind == kind)
    }

    /// Columns in `SELECT *` order: partition key, clustering, then the others by name.
    pub fn select_star_order(&self) -> impl Iterator<Item = &ColumnMetadata> {
        // `columns` is kept in exactly this order by `create` and `add_column`.
        self.columns.iter()
    }

    /// A row given by column name, as values in `SELECT *` order (`None`
    /// for a column the row lacks): how generated system tables build rows.
    pub fn row_in_select_star_order(
        &self,
        mut row: BTreeMap<&str, sibyl_protocol::value::CqlValue>,
    ) -> Vec<Option<sibyl_protocol::value::CqlValue>> {
        self.select_star_order()
            .map(|c| row.remove(c.name.as_str()))
            .collect()
    }

    /// Columns in Cassandra's CREATE order (what DESCRIBE prints): partition
    /// key, clustering, then static and then regular columns, each group with
    /// single-cell columns before multi-cell ones, by name.
    pub fn create_order(&self) -> Vec<&ColumnMetadata> {
        let mut columns: Vec<&ColumnMetadata> = self.columns.iter().collect();
        columns.sort_by_key(|c| {
            let group = match c.kind {
                ColumnKind::PartitionKey => 0,
                ColumnKind::Clustering => 1,
                ColumnKind::Static => 2,
                ColumnKind::Regular => 3,
            };
            let complex =
                matches!(c.kind, ColumnKind::Static | ColumnKind::Regular) && c.ty.is_multi_cell();
            (
                group,
                complex,
                if group < 2 { c.position } else { 0 },
                c.name.as_bytes().to_vec(),
            )
        });
        columns
    }

    /// Adds a regular or static column (`ALTER TABLE ADD`).
    ///
    /// # Errors
    /// [`SchemaError::Invalid`] when the name exists, the kind is not allowed,
    /// or counters would be mixed with other columns.
    pub fn add_column(
        &mut self,
        name: &str,
        ty: CqlType,
        is_static: bool,
    ) -> Result<(), SchemaError> {
        check_name("Column", name)?;
        if self.column(name).is_some() {
            return Err(invalid(format!("Column with name '{name}' already exists")));
        }
        if is_static && self.columns_of(ColumnKind::Clustering).next().is_none() {
            return Err(invalid(format!(
                "Static columns are not allowed in COMPACT STORAGE tables or tables without clustering columns ({name})"
            )));
        }
        if self.columns.len() >= TABLE_COLUMNS_MAX {
            return Err(invalid(format!(
                "A table may have at most {TABLE_COLUMNS_MAX} columns"
            )));
        }
        let kind = if is_static {
            ColumnKind::Static
        } else {
            ColumnKind::Regular
        };
        let column = ColumnMetadata {
            name: name.to_owned(),
            ty,
            kind,
            position: 0,
            order: None,
            id: self.next_column_id,
        };
        let at = self
            .columns
            .iter()
            .position(|c| {
                matches!(c.kind, ColumnKind::Static | ColumnKind::Regular)
                    && c.name.as_bytes() > name.as_bytes()
            })
            .unwrap_or(self.columns.len());
        self.columns.insert(at, column);
        self.next_column_id += 1;
        self.dropped.remove(name);
        self.check_counters()
    }

    /// Drops a non-key column (`ALTER TABLE DROP`), remembering when.
    ///
    /// # Errors
    /// [`SchemaError::Invalid`] for an unknown or key column.
    pub fn drop_column(&mut self, name: &str, now_us: i64) -> Result<(), SchemaError> {
        let index = self
            .columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| {
                invalid(format!(
                    "Column {name} was not found in table {}",
                    self.name
                ))
            })?;
        let column = &self.columns[index];
        if matches!(
            column.kind,
            ColumnKind::PartitionKey | ColumnKind::Clustering
        ) {
            return Err(invalid(format!("Cannot drop PRIMARY KEY part {name}")));
        }
        let removed = self.columns.remove(index);
        self.dropped.insert(
            name.to_owned(),
            DroppedColumn {
                ty: removed.ty,
                kind: removed.kind,
                dropped_at_us: now_us,
            },
        );
        Ok(())
    }

    /// Renames a primary key column (`ALTER TABLE RENAME`; Cassandra allows only those).
    ///
    /// # Errors
    /// [`SchemaError::Invalid`] for an unknown column, a non-key column, or a taken name.
    pub fn rename_column(&mut self, from: &str, to: &str) -> Result<(), SchemaError> {
        check_name("Column", to)?;
        if self.column(to).is_some() {
            return Err(invalid(format!(
                "Cannot rename column {from} to {to} in table {}; another column of that name already exist",
                self.name
            )));
        }
        let column = self
            .columns
            .iter_mut()
            .find(|c| c.name == from)
            .ok_or_else(|| {
                invalid(format!(
                    "Cannot rename unknown column {from} in table {}",
                    self.name
                ))
            })?;
        if !matches!(
            column.kind,
            ColumnKind::PartitionKey | ColumnKind::Clustering
        ) {
            return Err(invalid(format!(
                "Cannot rename non PRIMARY KEY column {from}"
            )));
        }
        to.clone_into(&mut column.name);
        Ok(())
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
