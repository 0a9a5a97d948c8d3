//! Schema statements: keyspaces, tables, types, indexes, materialized views.

use super::{CqlTypeName, Ident, Order, QualifiedName, Relation, Selection, Term};

/// One `name = value` option (`replication = {...}`, `gc_grace_seconds = 10`).
/// Values are constants or map literals, kept as terms; names are folded
/// identifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Option name.
    pub name: Ident,
    /// Option value (a constant term or a [`Term::Map`]).
    pub value: Term,
}

/// `CREATE KEYSPACE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateKeyspace {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Keyspace name.
    pub name: Ident,
    /// `WITH` options (replication, durable_writes).
    pub options: Vec<Property>,
}

/// `ALTER KEYSPACE`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterKeyspace {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// Keyspace name.
    pub name: Ident,
    /// `WITH` options.
    pub options: Vec<Property>,
}

/// A column definition in CREATE TABLE / ALTER TABLE ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// Column name.
    pub name: Ident,
    /// Column type.
    pub ty: CqlTypeName,
    /// `STATIC`.
    pub is_static: bool,
}

/// A table's primary key: partition key columns, then clustering columns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrimaryKey {
    /// Partition key columns; empty only when the statement declared no
    /// key at all (a schema error the server reports).
    pub partition: Vec<Ident>,
    /// Clustering columns, in order.
    pub clustering: Vec<Ident>,
}

/// The `WITH` clause of a table or view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableOptions {
    /// `CLUSTERING ORDER BY (c ASC, ...)`.
    pub clustering_order: Vec<(Ident, Order)>,
    /// `COMPACT STORAGE` (parsed; Cassandra 4+ rejects it when executing).
    pub compact_storage: bool,
    /// Every other option, in order of appearance.
    pub properties: Vec<Property>,
}

impl TableOptions {
    /// True when the clause has nothing to print.
    pub fn is_empty(&self) -> bool {
        self.clustering_order.is_empty() && !self.compact_storage && self.properties.is_empty()
    }
}

/// `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Table name.
    pub name: QualifiedName,
    /// Columns in declaration order.
    pub columns: Vec<ColumnDef>,
    /// Primary key (an inline `PRIMARY KEY` column is normalised here).
    pub primary_key: PrimaryKey,
    /// Options.
    pub options: TableOptions,
}

/// What an ALTER TABLE does.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableAction {
    /// `ADD [IF NOT EXISTS] c type [, ...]` (parenthesised when several).
    Add {
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
        /// New columns.
        columns: Vec<ColumnDef>,
    },
    /// `DROP [IF EXISTS] c [, ...] [USING TIMESTAMP n]`.
    Drop {
        /// `IF EXISTS`.
        if_exists: bool,
        /// Dropped columns.
        columns: Vec<Ident>,
        /// `USING TIMESTAMP`.
        timestamp: Option<Term>,
    },
    /// `RENAME [IF EXISTS] a TO b [AND c TO d ...]`.
    Rename {
        /// `IF EXISTS`.
        if_exists: bool,
        /// (from, to) pairs.
        renames: Vec<(Ident, Ident)>,
    },
    /// `WITH options`.
    With(TableOptions),
}

/// `ALTER TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterTable {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// Table name.
    pub name: QualifiedName,
    /// The change.
    pub action: AlterTableAction,
}

/// `CREATE TYPE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateType {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Type name.
    pub name: QualifiedName,
    /// Fields in order.
    pub fields: Vec<(Ident, CqlTypeName)>,
}

/// What an ALTER TYPE does.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterTypeAction {
    /// `ADD [IF NOT EXISTS] f type`.
    Add {
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
        /// Field name.
        field: Ident,
        /// Field type.
        ty: CqlTypeName,
    },
    /// `RENAME [IF EXISTS] a TO b [AND ...]`.
    Rename {
        /// `IF EXISTS`.
        if_exists: bool,
        /// (from, to) pairs.
        renames: Vec<(Ident, Ident)>,
    },
}

/// `ALTER TYPE`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterType {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// Type name.
    pub name: QualifiedName,
    /// The change.
    pub action: AlterTypeAction,
}

/// Which part of a column an index covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexTargetKind {
    /// The column (for a collection: its values).
    Simple,
    /// `KEYS(m)`.
    Keys,
    /// `VALUES(c)`.
    Values,
    /// `ENTRIES(m)`.
    Entries,
    /// `FULL(frozen)`.
    Full,
}

/// One index target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexTarget {
    /// Indexed column.
    pub column: Ident,
    /// What of it.
    pub kind: IndexTargetKind,
}

/// `CREATE [CUSTOM] INDEX`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    /// `CUSTOM`.
    pub custom: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Index name, when given.
    pub name: Option<Ident>,
    /// Indexed table.
    pub table: QualifiedName,
    /// Targets.
    pub targets: Vec<IndexTarget>,
    /// `USING 'class'`.
    pub using: Option<String>,
    /// `WITH OPTIONS = {...}` and other options.
    pub options: Vec<Property>,
}

/// `CREATE MATERIALIZED VIEW`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// View name.
    pub name: QualifiedName,
    /// Selected columns (`*` or column list).
    pub selection: Selection,
    /// Base table.
    pub base: QualifiedName,
    /// `WHERE` relations.
    pub where_clause: Vec<Relation>,
    /// View primary key.
    pub primary_key: PrimaryKey,
    /// Options.
    pub options: TableOptions,
}

/// `ALTER MATERIALIZED VIEW ... WITH`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterView {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// View name.
    pub name: QualifiedName,
    /// New options.
    pub options: TableOptions,
}
