//! Tab completion and syntax highlighting for the REPL, as pure functions of
//! the line, the cursor and a [`SchemaCache`] (filled from `system_schema`
//! and refreshed on SCHEMA_CHANGE events by the REPL).

use std::collections::BTreeMap;

use sibyl_protocol::client::{QueryOptions, QueryResult, Session};
use sibyl_protocol::value::CqlValue;

use crate::format::color;

/// CQL keywords offered by completion and highlighted.
pub const KEYWORDS: &[&str] = &[
    "ADD",
    "AGGREGATE",
    "ALL",
    "ALLOW",
    "ALTER",
    "AND",
    "APPLY",
    "AS",
    "ASC",
    "BATCH",
    "BEGIN",
    "BY",
    "CLUSTERING",
    "COLUMNFAMILY",
    "COMPACT",
    "CONTAINS",
    "COUNT",
    "COUNTER",
    "CREATE",
    "CUSTOM",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DROP",
    "ENTRIES",
    "EXISTS",
    "FILTERING",
    "FROM",
    "FROZEN",
    "FULL",
    "FUNCTION",
    "GRANT",
    "GROUP",
    "IF",
    "IN",
    "INDEX",
    "INSERT",
    "INTO",
    "IS",
    "JSON",
    "KEY",
    "KEYSPACE",
    "KEYSPACES",
    "LIMIT",
    "LIST",
    "LOGGED",
    "MAP",
    "MATERIALIZED",
    "NOT",
    "NULL",
    "OF",
    "ON",
    "OR",
    "ORDER",
    "PARTITION",
    "PER",
    "PRIMARY",
    "REPLICATION",
    "REVOKE",
    "SELECT",
    "SET",
    "STATIC",
    "TABLE",
    "TABLES",
    "TIMESTAMP",
    "TO",
    "TOKEN",
    "TRUNCATE",
    "TTL",
    "TUPLE",
    "TYPE",
    "UNLOGGED",
    "UPDATE",
    "USE",
    "USING",
    "VALUES",
    "VIEW",
    "WHERE",
    "WITH",
    "WRITETIME",
];

/// Shell commands offered at the start of a line.
pub const SHELL_COMMANDS: &[&str] = &[
    "CAPTURE",
    "CLEAR",
    "CLS",
    "CONSISTENCY",
    "COPY",
    "EXIT",
    "EXPAND",
    "HELP",
    "LOGIN",
    "PAGING",
    "QUIT",
    "SERIAL",
    "SHOW",
    "SOURCE",
    "TIMING",
    "TRACING",
];

/// Consistency levels offered after CONSISTENCY.
pub const LEVELS: &[&str] = &[
    "ANY",
    "ONE",
    "TWO",
    "THREE",
    "QUORUM",
    "ALL",
    "LOCAL_QUORUM",
    "EACH_QUORUM",
    "SERIAL",
    "LOCAL_SERIAL",
    "LOCAL_ONE",
];

/// CQL type names offered after a column name in DDL.
pub const TYPES: &[&str] = &[
    "ascii",
    "bigint",
    "blob",
    "boolean",
    "counter",
    "date",
    "decimal",
    "double",
    "duration",
    "float",
    "inet",
    "int",
    "list",
    "map",
    "set",
    "smallint",
    "text",
    "time",
    "timestamp",
    "timeuuid",
    "tinyint",
    "tuple",
    "uuid",
    "varchar",
    "varint",
];

/// Statements offered at the start of a line.
const STATEMENT_STARTS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "USE", "BEGIN", "TRUNCATE",
    "DESCRIBE", "DESC", "GRANT", "REVOKE", "LIST",
];

/// Keyspaces, and the tables of the current keyspace.
fn object_names<'a>(schema: &'a SchemaCache, keyspace: Option<&str>) -> Vec<&'a str> {
    let mut names: Vec<&str> = schema.keyspaces.keys().map(String::as_str).collect();
    if let Some(t) = keyspace.and_then(|k| schema.keyspaces.get(k)) {
        names.extend(t.keys().map(String::as_str));
    }
    names
}

/// Known keyspaces, tables and columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaCache {
    /// Keyspace -> table -> columns.
    pub keyspaces: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl SchemaCache {
    /// Reads `system_schema.columns` (and keyspaces without tables).
    pub async fn load(session: &Session) -> SchemaCache {
        let mut cache = SchemaCache::default();
        let opts = QueryOptions::default();
        if let Ok(QueryResult::Rows(r)) = session
            .query(
                "SELECT keyspace_name FROM system_schema.keyspaces",
                &[],
                &opts,
            )
            .await
        {
            for row in r.rows {
                if let Some(Some(CqlValue::Text(ks))) = row.into_iter().next() {
                    cache.keyspaces.entry(ks).or_default();
                }
            }
        }
        let cql = "SELECT keyspace_name, table_name, column_name FROM system_schema.columns";
        if let Ok(QueryResult::Rows(r)) = session.query(cql, &[], &opts).await {
            for row in r.rows {
                if let [
                    Some(CqlValue::Text(ks)),
                    Some(CqlValue::Text(t)),
                    Some(CqlValue::Text(c)),
                ] = row.as_slice()
                {
                    let cols = cache
                        .keyspaces
                        .entry(ks.clone())
                        .or_default()
                        .entry(t.clone())
                        .or_default();
                    cols.push(c.clone());
                }
            }
        }
        cache
    }
}

/// Where the word under the cursor starts.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .rfind(|c: char| c.is_whitespace() || "(),.=<>;'".contains(c))
        .map_or(0, |i| i + 1)
}

/// Candidates matching `prefix` (case-insensitive), in the prefix's case for keywords.
fn matching<'a>(
    prefix: &str,
    words: impl Iterator<Item = &'a str>,
    keyword_case: bool,
) -> Vec<String> {
    let lower = prefix.chars().next().is_some_and(char::is_lowercase);
    let mut out: Vec<String> = words
        .filter(|w| {
            w.to_ascii_lowercase()
                .starts_with(&prefix.to_ascii_lowercase())
        })
        .map(|w| {
            if keyword_case && lower {
                w.to_ascii_lowercase()
            } else {
                w.to_owned()
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Completion candidates for the word before `pos`: `(start, candidates)`.
pub fn complete(
    line: &str,
    pos: usize,
    schema: &SchemaCache,
    keyspace: Option<&str>,
) -> (usize, Vec<String>) {
    let pos = pos.min(line.len());
    let start = word_start(line, pos);
    let prefix = &line[start..pos];
    let before = line[..start].trim_end();
    let prev: Vec<String> = before
        .split_whitespace()
        .rev()
        .take(2)
        .map(str::to_ascii_lowercase)
        .collect();
    let prev1 = prev.first().map(String::as_str).unwrap_or("");
    // `ks.` -> tables of ks.
    if line[..start].ends_with('.') {
        let ks = line[..start - 1]
            .rsplit(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or("");
        let tables = schema
            .keyspaces
            .get(ks)
            .map(|t| t.keys().map(String::as_str).collect::<Vec<_>>());
        return (
            start,
            matching(prefix, tables.unwrap_or_default().into_iter(), false),
        );
    }
    let candidates = if before.is_empty() {
        let mut w = matching(prefix, SHELL_COMMANDS.iter().copied(), true);
        w.extend(matching(prefix, STATEMENT_STARTS.iter().copied(), true));
        w
    } else if prev1 == "consistency" {
        matching(prefix, LEVELS.iter().copied(), true)
    } else if matches!(
        prev1,
        "from"
            | "into"
            | "update"
            | "table"
            | "use"
            | "keyspace"
            | "truncate"
            | "copy"
            | "desc"
            | "describe"
    ) {
        matching(prefix, object_names(schema, keyspace).into_iter(), false)
    } else {
        let mut w = matching(prefix, KEYWORDS.iter().copied(), true);
        w.extend(matching(
            prefix,
            columns_in(line, schema, keyspace)
                .iter()
                .map(String::as_str),
            false,
        ));
        w.extend(matching(prefix, TYPES.iter().copied(), false));
        w.sort();
        w.dedup();
        w
    };
    (start, candidates)
}

/// Columns of every table the line names (`ks.t` or `t` in the current keyspace).
fn columns_in(line: &str, schema: &SchemaCache, keyspace: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for token in line.split(|c: char| c.is_whitespace() || "(),;".contains(c)) {
        let (ks, t) = match token.split_once('.') {
            Some((k, t)) => (Some(k), t),
            None => (keyspace, token),
        };
        if let Some(cols) = ks
            .and_then(|k| schema.keyspaces.get(k))
            .and_then(|tables| tables.get(t))
        {
            out.extend(cols.iter().cloned());
        }
    }
    out
}

/// Colours keywords (bold), strings (yellow) and numbers (green).
pub fn highlight(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            let mut end = line.len();
            while let Some((j, d)) = chars.next() {
                if d == '\'' {
                    if chars.peek().map(|p| p.1) == Some('\'') {
                        chars.next();
                        continue;
                    }
                    end = j + 1;
                    break;
                }
            }
            out.push_str(&format!(
                "{}{}{}",
                color::YELLOW,
                &line[i..end],
                color::RESET
            ));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !(d.is_ascii_alphanumeric() || d == '_') {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            let word = &line[i..end];
            if KEYWORDS
                .iter()
                .chain(SHELL_COMMANDS)
                .any(|k| k.eq_ignore_ascii_case(word))
            {
                out.push_str(&format!("\x1b[1m{word}{}", color::RESET));
            } else {
                out.push_str(word);
            }
        } else if c.is_ascii_digit() {
            let mut end = i + 1;
            while let Some(&(j, d)) = chars.peek() {
                if !(d.is_ascii_digit() || d == '.') {
                    break;
                }
                end = j + 1;
                chars.next();
            }
            out.push_str(&format!(
                "{}{}{}",
                color::GREEN,
                &line[i..end],
                color::RESET
            ));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> SchemaCache {
        let mut s = SchemaCache::default();
        let t = s.keyspaces.entry("ks".into()).or_default();
        t.insert(
            "users".into(),
            vec!["id".into(), "name".into(), "nickname".into()],
        );
        t.insert("events".into(), vec!["at".into()]);
        s.keyspaces.entry("system".into()).or_default();
        s
    }

    #[test]
    fn completes_columns_of_named_tables() {
        let line = "select na from ks.users";
        assert_eq!(
            complete(line, 9, &schema(), None),
            (7, vec!["name".to_owned()])
        );
        let line = "SELECT ni FROM users";
        assert_eq!(complete(line, 9, &schema(), Some("ks")).1, vec!["nickname"]);
    }

    #[test]
    fn completes_tables_keyspaces_keywords_levels() {
        assert_eq!(
            complete("select * from ks.u", 18, &schema(), None),
            (17, vec!["users".to_owned()])
        );
        assert_eq!(
            complete("select * from sy", 16, &schema(), None).1,
            vec!["system"]
        );
        assert_eq!(complete("sel", 3, &schema(), None).1, vec!["select"]);
        assert_eq!(complete("SEL", 3, &schema(), None).1, vec!["SELECT"]);
        assert_eq!(
            complete("consistency lo", 14, &schema(), None).1,
            vec!["local_one", "local_quorum", "local_serial"]
        );
        assert_eq!(complete("exp", 3, &schema(), None).1, vec!["expand"]);
        assert_eq!(
            complete("select * from ks.users whe", 26, &schema(), None).1,
            vec!["where"]
        );
    }

    #[test]
    fn highlights_keywords_strings_numbers() {
        let h = highlight("select 'it''s' from t where k = 42");
        assert_eq!(
            h,
            "\x1b[1mselect\x1b[0m \x1b[0;1;33m'it''s'\x1b[0m \x1b[1mfrom\x1b[0m t \x1b[1mwhere\x1b[0m k = \x1b[0;1;32m42\x1b[0m"
        );
        assert_eq!(highlight("'open"), "\x1b[0;1;33m'open\x1b[0m");
    }
}
