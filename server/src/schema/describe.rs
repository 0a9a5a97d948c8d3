//! Server-side DESCRIBE: the CQL that re-creates keyspaces, user types and
//! tables, formatted as Cassandra 5 prints it (cqlsh 6 shows this text as is).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sibyl_protocol::value::{CqlType, UdtDef};

use super::keyspace::KeyspaceMetadata;
use super::table::{ClusteringOrder, ColumnKind, TableMetadata};

/// Cassandra 5.0's reserved keywords: identifiers equal to one (ignoring case) must be quoted.
const RESERVED_KEYWORDS: [&str; 57] = [
    "ADD",
    "ALLOW",
    "ALTER",
    "AND",
    "APPLY",
    "ASC",
    "AUTHORIZE",
    "BATCH",
    "BEGIN",
    "BY",
    "COLUMNFAMILY",
    "CREATE",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DROP",
    "ENTRIES",
    "EXECUTE",
    "FROM",
    "FULL",
    "GRANT",
    "IF",
    "IN",
    "INDEX",
    "INFINITY",
    "INSERT",
    "INTO",
    "IS",
    "KEYSPACE",
    "LIMIT",
    "MATERIALIZED",
    "MODIFY",
    "NAN",
    "NORECURSIVE",
    "NOT",
    "NULL",
    "OF",
    "ON",
    "OR",
    "ORDER",
    "PRIMARY",
    "RENAME",
    "REVOKE",
    "SCHEMA",
    "SELECT",
    "SET",
    "TABLE",
    "TO",
    "TOKEN",
    "TRUNCATE",
    "UNLOGGED",
    "UPDATE",
    "USE",
    "USING",
    "VIEW",
    "WHERE",
    "WITH",
];

/// An identifier as CQL must spell it: bare when it is a lower-case
/// identifier and not reserved, otherwise double-quoted with `"` doubled.
pub fn quote_identifier(name: &str) -> String {
    let mut chars = name.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let reserved = RESERVED_KEYWORDS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(name));
    if plain && !reserved {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A string as a CQL literal: single-quoted with `'` doubled.
pub fn quote_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A double as Java's `Double.toString` writes it (`1.0`, `0.01`, `1.0E-4`),
/// which is how Cassandra prints table options.
pub fn java_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let text = value.to_string();
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        let text = format!("{value:E}");
        match text.split_once('E') {
            Some((mantissa, exp)) if !mantissa.contains('.') => format!("{mantissa}.0E{exp}"),
            _ => text,
        }
    }
}

fn quoted_map(map: &BTreeMap<String, String>) -> String {
    let entries: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{}: {}", quote_string(k), quote_string(v)))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// A type as DDL spells it, with user types by (quoted) name.
pub fn type_cql(ty: &CqlType) -> String {
    match ty {
        CqlType::Udt(udt) => quote_identifier(&udt.name),
        CqlType::List(t) => format!("list<{}>", type_cql(t)),
        CqlType::Set(t) => format!("set<{}>", type_cql(t)),
        CqlType::Map(k, v) => format!("map<{}, {}>", type_cql(k), type_cql(v)),
        CqlType::Tuple(items) => {
            let items: Vec<String> = items.iter().map(type_cql).collect();
            format!("tuple<{}>", items.join(", "))
        }
        CqlType::Vector(t, n) => format!("vector<{}, {n}>", type_cql(t)),
        CqlType::Frozen(t) => format!("frozen<{}>", type_cql(t)),
        other => other.to_string(),
    }
}

/// `CREATE KEYSPACE ...;` as Cassandra prints it (note its two spaces before `AND`).
pub fn keyspace_cql(ks: &KeyspaceMetadata) -> String {
    format!(
        "CREATE KEYSPACE {} WITH replication = {}  AND durable_writes = {};",
        quote_identifier(&ks.name),
        quoted_map(&ks.replication.to_options()),
        ks.durable_writes
    )
}

/// `CREATE TYPE ks.name (...);`, one field per line.
pub fn type_definition_cql(keyspace: &str, udt: &UdtDef) -> String {
    let mut out = format!(
        "CREATE TYPE {}.{} (\n",
        quote_identifier(keyspace),
        quote_identifier(&udt.name)
    );
    for (i, (field, ty)) in udt.fields.iter().enumerate() {
        let comma = if i + 1 < udt.fields.len() { "," } else { "" };
        let _ = writeln!(
            out,
            "    {} {}{comma}",
            quote_identifier(field),
            type_cql(ty)
        );
    }
    out.push_str(");");
    out
}

/// `CREATE TABLE ...;` with every option, as Cassandra 5 prints it; with
/// `with_internals`, the table id is included (`ID = ...`).
pub fn table_cql(table: &TableMetadata, with_internals: bool) -> String {
    let columns = table.create_order();
    let partition: Vec<_> = table.columns_of(ColumnKind::PartitionKey).collect();
    let clustering: Vec<_> = table.columns_of(ColumnKind::Clustering).collect();
    let single_key = partition.len() == 1 && clustering.is_empty();
    let mut out = format!(
        "CREATE TABLE {}.{} (\n",
        quote_identifier(&table.keyspace),
        quote_identifier(&table.name)
    );
    for (i, column) in columns.iter().enumerate() {
        let _ = write!(
            out,
            "    {} {}",
            quote_identifier(&column.name),
            type_cql(&column.ty)
        );
        if column.kind == ColumnKind::Static {
            out.push_str(" static");
        }
        if single_key && column.kind == ColumnKind::PartitionKey {
            out.push_str(" PRIMARY KEY");
        }
        if !single_key || i + 1 < columns.len() {
            out.push(',');
        }
        out.push('\n');
    }
    if !single_key {
        let names = |cols: &[&super::ColumnMetadata]| {
            cols.iter()
                .map(|c| quote_identifier(&c.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let key = if partition.len() > 1 {
            format!("({})", names(&partition))
        } else {
            names(&partition)
        };
        let rest = if clustering.is_empty() {
            String::new()
        } else {
            format!(", {}", names(&clustering))
        };
        let _ = writeln!(out, "    PRIMARY KEY ({key}{rest})");
    }
    out.push_str(") WITH ");
    let mut options = Vec::new();
    if with_internals {
        options.push(format!("ID = {}", table.id));
    }
    if !clustering.is_empty() {
        let orders: Vec<String> = clustering
            .iter()
            .map(|c| {
                let order = if c.order == Some(ClusteringOrder::Desc) {
                    "DESC"
                } else {
                    "ASC"
                };
                format!("{} {order}", quote_identifier(&c.name))
            })
            .collect();
        options.push(format!("CLUSTERING ORDER BY ({})", orders.join(", ")));
    }
    options.extend(table_options(&table.params));
    out.push_str(&options.join("\n    AND "));
    out.push(';');
    out
}

/// The option lines in Cassandra 5's order (alphabetical but for its
/// `memtable` before `crc_check_chance` quirk).
fn table_options(p: &super::TableParams) -> Vec<String> {
    vec![
        format!(
            "additional_write_policy = {}",
            quote_string(&p.additional_write_policy)
        ),
        format!(
            "bloom_filter_fp_chance = {}",
            java_double(p.bloom_filter_fp_chance)
        ),
        format!("caching = {}", quoted_map(&p.caching)),
        format!("cdc = {}", p.cdc),
        format!("comment = {}", quote_string(&p.comment)),
        format!("compaction = {}", quoted_map(&p.compaction)),
        format!("compression = {}", quoted_map(&p.compression)),
        format!("memtable = {}", quote_string(&p.memtable)),
        format!("crc_check_chance = {}", java_double(p.crc_check_chance)),
        format!("default_time_to_live = {}", p.default_time_to_live),
        "extensions = {}".to_owned(),
        format!("gc_grace_seconds = {}", p.gc_grace_seconds),
        format!("max_index_interval = {}", p.max_index_interval),
        format!(
            "memtable_flush_period_in_ms = {}",
            p.memtable_flush_period_in_ms
        ),
        format!("min_index_interval = {}", p.min_index_interval),
        format!("read_repair = {}", quote_string(&p.read_repair)),
        format!("speculative_retry = {}", quote_string(&p.speculative_retry)),
    ]
}

#[cfg(test)]
#[path = "describe_tests.rs"]
mod tests;
