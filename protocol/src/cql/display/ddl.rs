//! `Display` for keyspace, table, type, index and view statements.

use std::fmt::{self, Display, Formatter};

use super::dml::Orderings;
use super::{Join, Quoted, if_clause};
use crate::cql::ast::{
    AlterKeyspace, AlterTable, AlterTableAction, AlterType, AlterTypeAction, AlterView, ColumnDef,
    CreateIndex, CreateKeyspace, CreateTable, CreateType, CreateView, Ident, IndexTarget,
    IndexTargetKind, PrimaryKey, Property, TableOptions,
};

impl Display for Property {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.name, self.value)
    }
}

impl Display for CreateKeyspace {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CREATE KEYSPACE {}{} WITH {}",
            if_clause(self.if_not_exists, "IF NOT EXISTS "),
            self.name,
            Join(&self.options, " AND ")
        )
    }
}

impl Display for AlterKeyspace {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ALTER KEYSPACE {}{} WITH {}",
            if_clause(self.if_exists, "IF EXISTS "),
            self.name,
            Join(&self.options, " AND ")
        )
    }
}

impl Display for ColumnDef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.ty)?;
        if self.is_static {
            f.write_str(" STATIC")?;
        }
        Ok(())
    }
}

impl Display for PrimaryKey {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("PRIMARY KEY (")?;
        if let [one] = self.partition.as_slice() {
            write!(f, "{one}")?;
        } else {
            write!(f, "({})", Join(&self.partition, ", "))?;
        }
        for c in &self.clustering {
            write!(f, ", {c}")?;
        }
        f.write_str(")")
    }
}

impl Display for TableOptions {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut Formatter<'_>| {
            let s = if first { "" } else { " AND " };
            first = false;
            f.write_str(s)
        };
        if !self.clustering_order.is_empty() {
            sep(f)?;
            write!(
                f,
                "CLUSTERING ORDER BY ({})",
                Orderings(&self.clustering_order)
            )?;
        }
        if self.compact_storage {
            sep(f)?;
            f.write_str("COMPACT STORAGE")?;
        }
        for p in &self.properties {
            sep(f)?;
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// ` WITH options` when there are any.
struct With<'a>(&'a TableOptions);

impl Display for With<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        write!(f, " WITH {}", self.0)
    }
}

impl Display for CreateTable {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CREATE TABLE {}{} (",
            if_clause(self.if_not_exists, "IF NOT EXISTS "),
            self.name
        )?;
        for c in &self.columns {
            write!(f, "{c}, ")?;
        }
        if !self.primary_key.partition.is_empty() {
            write!(f, "{}", self.primary_key)?;
        }
        write!(f, "){}", With(&self.options))
    }
}

struct Renames<'a>(&'a [(Ident, Ident)]);

impl Display for Renames<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (n, (from, to)) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(" AND ")?;
            }
            write!(f, "{from} TO {to}")?;
        }
        Ok(())
    }
}

impl Display for AlterTable {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ALTER TABLE {}{} ",
            if_clause(self.if_exists, "IF EXISTS "),
            self.name
        )?;
        match &self.action {
            AlterTableAction::Add {
                if_not_exists,
                columns,
            } => {
                write!(f, "ADD {}", if_clause(*if_not_exists, "IF NOT EXISTS "))?;
                match columns.as_slice() {
                    [one] => write!(f, "{one}"),
                    many => write!(f, "({})", Join(many, ", ")),
                }
            }
            AlterTableAction::Drop {
                if_exists,
                columns,
                timestamp,
            } => {
                write!(f, "DROP {}", if_clause(*if_exists, "IF EXISTS "))?;
                match columns.as_slice() {
                    [one] => write!(f, "{one}")?,
                    many => write!(f, "({})", Join(many, ", "))?,
                }
                if let Some(t) = timestamp {
                    write!(f, " USING TIMESTAMP {t}")?;
                }
                Ok(())
            }
            AlterTableAction::Rename { if_exists, renames } => write!(
                f,
                "RENAME {}{}",
                if_clause(*if_exists, "IF EXISTS "),
                Renames(renames)
            ),
            AlterTableAction::With(options) => write!(f, "WITH {options}"),
        }
    }
}

impl Display for CreateType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CREATE TYPE {}{} (",
            if_clause(self.if_not_exists, "IF NOT EXISTS "),
            self.name
        )?;
        for (n, (name, ty)) in self.fields.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name} {ty}")?;
        }
        f.write_str(")")
    }
}

impl Display for AlterType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ALTER TYPE {}{} ",
            if_clause(self.if_exists, "IF EXISTS "),
            self.name
        )?;
        match &self.action {
            AlterTypeAction::Add {
                if_not_exists,
                field,
                ty,
            } => write!(
                f,
                "ADD {}{field} {ty}",
                if_clause(*if_not_exists, "IF NOT EXISTS ")
            ),
            AlterTypeAction::Rename { if_exists, renames } => write!(
                f,
                "RENAME {}{}",
                if_clause(*if_exists, "IF EXISTS "),
                Renames(renames)
            ),
        }
    }
}

impl Display for IndexTarget {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let wrapper = match self.kind {
            IndexTargetKind::Simple => return write!(f, "{}", self.column),
            IndexTargetKind::Keys => "KEYS",
            IndexTargetKind::Values => "VALUES",
            IndexTargetKind::Entries => "ENTRIES",
            IndexTargetKind::Full => "FULL",
        };
        write!(f, "{wrapper}({})", self.column)
    }
}

impl Display for CreateIndex {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CREATE {}INDEX {}",
            if_clause(self.custom, "CUSTOM "),
            if_clause(self.if_not_exists, "IF NOT EXISTS ")
        )?;
        if let Some(name) = &self.name {
            write!(f, "{name} ")?;
        }
        write!(f, "ON {} ({})", self.table, Join(&self.targets, ", "))?;
        if let Some(class) = &self.using {
            write!(f, " USING {}", Quoted(class))?;
        }
        if !self.options.is_empty() {
            write!(f, " WITH {}", Join(&self.options, " AND "))?;
        }
        Ok(())
    }
}

impl Display for CreateView {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CREATE MATERIALIZED VIEW {}{} AS SELECT {} FROM {} WHERE {} {}{}",
            if_clause(self.if_not_exists, "IF NOT EXISTS "),
            self.name,
            self.selection,
            self.base,
            Join(&self.where_clause, " AND "),
            self.primary_key,
            With(&self.options)
        )
    }
}

impl Display for AlterView {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ALTER MATERIALIZED VIEW {}{} WITH {}",
            if_clause(self.if_exists, "IF EXISTS "),
            self.name,
            self.options
        )
    }
}
