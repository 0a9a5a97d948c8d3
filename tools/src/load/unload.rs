//! `sibyl-load unload` and `count`: token-range parallel scans of a table.
//!
//! The Murmur3 ring `[i64::MIN, i64::MAX]` is cut into `splits` contiguous
//! ranges; each is scanned with `token(pk...) >= / > ? AND token(pk...) <= ?`
//! (paged), `concurrency` ranges at a time. Unloaded rows are written as CSV
//! (header line, RFC 4180 quoting) or JSON lines, in the text `load` reads back
//! (timestamps ISO 8601 UTC with milliseconds).
//!
//! Invariant: the ranges cover the ring exactly once (the first is closed at
//! `i64::MIN`, the others open at their start), so each partition is read once.

use std::io::Write;
use std::sync::Arc;

use crate::error::{Context, Result};
use chrono::{DateTime, SecondsFormat};
use sibyl_protocol::client::{QueryOptions, Session};
use sibyl_protocol::response::ColumnSpec;
use sibyl_protocol::types::Consistency;
use sibyl_protocol::value::{CqlType, CqlValue};
use tokio::sync::{Semaphore, mpsc};

use super::row::Format;
use super::schema::{Role, TableSchema};
use crate::common::prepare_typed;

/// The `splits` token ranges `(start, end, start_inclusive)` covering the ring.
pub fn token_ranges(splits: u64) -> Vec<(i64, i64, bool)> {
    let n = i128::from(splits.max(1));
    let (min, max) = (i128::from(i64::MIN), i128::from(i64::MAX));
    let width = (max - min) / n;
    (0..n)
        .map(|i| {
            let start = min + width * i;
            let end = if i == n - 1 {
                max
            } else {
                min + width * (i + 1)
            };
            let clamp = |v: i128| i64::try_from(v).unwrap_or(i64::MAX);
            (clamp(start), clamp(end), i == 0)
        })
        .collect()
}

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Keyspace.
    pub keyspace: String,
    /// Table.
    pub table: String,
    /// The table's columns.
    pub schema: TableSchema,
    /// Ranges.
    pub splits: u64,
    /// Ranges scanned at once.
    pub concurrency: usize,
    /// Consistency.
    pub consistency: Consistency,
    /// Rows per page.
    pub page_size: i32,
}

fn token_expr(schema: &TableSchema) -> String {
    let keys: Vec<&str> = schema
        .columns
        .iter()
        .filter(|c| c.role == Role::Partition)
        .map(|c| c.name.as_str())
        .collect();
    format!("token({})", keys.join(", "))
}

fn range_cql(select: &str, token: &str, inclusive: bool) -> String {
    let op = if inclusive { ">=" } else { ">" };
    format!("{select} WHERE {token} {op} ? AND {token} <= ?")
}

/// Counts the table's rows, range by range.
///
/// # Errors
/// A scan fails.
pub async fn count(session: &Session, config: &ScanConfig) -> Result<u64> {
    let token = token_expr(&config.schema);
    let select = format!("SELECT count(*) FROM {}.{}", config.keyspace, config.table);
    let types = [CqlType::Bigint, CqlType::Bigint];
    let first = prepare_typed(session, &range_cql(&select, &token, true), &types).await?;
    let rest = prepare_typed(session, &range_cql(&select, &token, false), &types).await?;
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut tasks = Vec::new();
    for (start, end, inclusive) in token_ranges(config.splits) {
        let stmt = Arc::clone(if inclusive { &first } else { &rest });
        let (session, permits) = (session.clone(), Arc::clone(&permits));
        let options = QueryOptions {
            consistency: config.consistency,
            ..QueryOptions::default()
        };
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire().await?;
            let values = [CqlValue::Bigint(start), CqlValue::Bigint(end)];
            let result = session.execute(&stmt, &values, &options).await?;
            let n = match result
                .rows()
                .and_then(|r| r.rows.first())
                .and_then(|r| r.first())
            {
                Some(Some(CqlValue::Bigint(n))) => u64::try_from(*n).unwrap_or(0),
                _ => 0,
            };
            Ok::<_, crate::error::ToolError>(n)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total)
}

/// Writes every row of the table to `out`; returns the rows written.
///
/// # Errors
/// A scan or a write fails.
pub async fn unload(
    session: &Session,
    config: &ScanConfig,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<u64> {
    let names: Vec<&str> = config
        .schema
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let select = format!(
        "SELECT {} FROM {}.{}",
        names.join(", "),
        config.keyspace,
        config.table
    );
    let token = token_expr(&config.schema);
    let types = [CqlType::Bigint, CqlType::Bigint];
    let first = prepare_typed(session, &range_cql(&select, &token, true), &types).await?;
    let rest = prepare_typed(session, &range_cql(&select, &token, false), &types).await?;
    if format == Format::Csv {
        writeln!(out, "{}", names.join(","))?;
    }
    let columns: Arc<Vec<ColumnSpec>> = Arc::new(
        config
            .schema
            .columns
            .iter()
            .map(|c| ColumnSpec {
                keyspace: config.keyspace.clone(),
                table: config.table.clone(),
                name: c.name.clone(),
                ty: c.ty.clone(),
            })
            .collect(),
    );
    let (tx, mut rx) = mpsc::channel::<String>(1024);
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut tasks = Vec::new();
    for (start, end, inclusive) in token_ranges(config.splits) {
        let stmt = Arc::clone(if inclusive { &first } else { &rest });
        let (session, permits, tx) = (session.clone(), Arc::clone(&permits), tx.clone());
        let columns = Arc::clone(&columns);
        let options = QueryOptions {
            consistency: config.consistency,
            page_size: Some(config.page_size),
            ..QueryOptions::default()
        };
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire().await?;
            let values = [CqlValue::Bigint(start), CqlValue::Bigint(end)];
            let mut pager = session.execute_paged(stmt, &values, &options)?;
            while let Some(row) = pager.next_row().await? {
                if tx.send(format_row(&row, &columns, format)).await.is_err() {
                    break;
                }
            }
            Ok::<_, crate::error::ToolError>(())
        }));
    }
    drop(tx);
    let mut rows = 0;
    while let Some(line) = rx.recv().await {
        out.write_all(line.as_bytes())?;
        rows += 1;
    }
    for t in tasks {
        t.await?.context("scanning a token range")?;
    }
    out.flush()?;
    Ok(rows)
}

/// One value as the text `load` parses back.
pub fn value_text(value: &CqlValue) -> String {
    match value {
        CqlValue::Text(s) | CqlValue::Ascii(s) => s.clone(),
        CqlValue::Timestamp(ms) => DateTime::from_timestamp_millis(*ms)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
            .unwrap_or_else(|| ms.to_string()),
        other => {
            let text = other.to_string();
            match text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
                Some(inner) => inner.replace("''", "'"),
                None => text,
            }
        }
    }
}

fn format_row(row: &[Option<CqlValue>], columns: &[ColumnSpec], format: Format) -> String {
    match format {
        Format::Csv => {
            let fields: Vec<String> = row
                .iter()
                .map(|v| match v {
                    None => String::new(),
                    Some(v) => csv_field(&value_text(v)),
                })
                .collect();
            format!("{}\n", fields.join(","))
        }
        Format::Jsonl => {
            let mut object = serde_json::Map::new();
            for (v, c) in row.iter().zip(columns) {
                let json = match v {
                    None => serde_json::Value::Null,
                    Some(v) => serde_json::Value::String(value_text(v)),
                };
                object.insert(c.name.clone(), json);
            }
            format!("{}\n", serde_json::Value::Object(object))
        }
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.is_empty() {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_ring_once() {
        for n in [1, 2, 7, 64] {
            let r = token_ranges(n);
            assert_eq!(r.len() as u64, n);
            assert_eq!(r[0].0, i64::MIN);
            assert!(r[0].2 && r.iter().skip(1).all(|x| !x.2));
            assert_eq!(r.last().unwrap().1, i64::MAX);
            assert!(r.windows(2).all(|w| w[0].1 == w[1].0 && w[0].0 < w[0].1));
        }
    }

    #[test]
    fn values_print_as_load_reads_them() {
        assert_eq!(
            value_text(&CqlValue::Timestamp(0)),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(value_text(&CqlValue::Text("a,b".into())), "a,b");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(value_text(&CqlValue::Double(1.5)), "1.5");
    }
}
