//! Runs COPY against the server: TO pages a `SELECT` into CSV; FROM reads
//! CSV, parses each field with `parse_literal` by the prepared INSERT's bind
//! types, and sends UNLOGGED batches with retries. Every record read is
//! counted as imported or failed (with its line) — none silently lost.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use sibyl_protocol::client::{BatchItem, PreparedStatement, QueryOptions, QueryResult};
use sibyl_protocol::request::BatchType;
use sibyl_protocol::value::{CqlValue, parse_literal};

use crate::commands::Shell;
use crate::copy::{
    CopyCommand, Direction, Record, describe_interval, parse_copy, read_records, write_field,
};
use crate::format::Style;
use crate::format::error::format_client_error;
use crate::format::value::format_cell;

/// Rows per page when exporting (cqlsh: 1000).
const EXPORT_PAGE_SIZE: i32 = 1000;
/// Most pages an export follows.
const EXPORT_PAGES_MAX: usize = 10_000_000;

/// A row ready to insert: its line and values by column (`None` = null).
struct Ready {
    line: usize,
    values: Vec<Option<CqlValue>>,
}

/// Quotes an identifier when it needs it.
fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

impl Shell {
    /// COPY TO / FROM.
    pub async fn copy(&mut self, stmt: &str) {
        let cmd = match parse_copy(stmt) {
            Ok(c) => c,
            Err(e) if e.starts_with("Improper") => return self.improper(),
            Err(e) => return self.error(&e),
        };
        let Some(ks) = cmd.keyspace.clone().or_else(|| self.keyspace.clone()) else {
            return self.error("Keyspace must be specified (COPY ks.table or USE ks first).");
        };
        let table = format!("{}.{}", ident(&ks), ident(&cmd.table));
        let columns = if cmd.columns.is_empty() {
            match self.table_columns(&table).await {
                Some(c) => c,
                None => return,
            }
        } else {
            cmd.columns.clone()
        };
        let start = Instant::now();
        self.say(&format!(
            "\nStarting copy of {ks}.{} with columns [{}].",
            cmd.table,
            quoted_list(&columns)
        ));
        match cmd.direction {
            Direction::To => self.copy_to(&cmd, &table, &columns, start).await,
            Direction::From => self.copy_from(&cmd, &table, &columns, start).await,
        }
    }

    /// The table's columns, from an empty-result SELECT's metadata.
    async fn table_columns(&mut self, table: &str) -> Option<Vec<String>> {
        let cql = format!("SELECT * FROM {table} LIMIT 1");
        match self
            .session
            .query(&cql, &[], &QueryOptions::default())
            .await
        {
            Ok(QueryResult::Rows(r)) => Some(r.columns.into_iter().map(|c| c.name).collect()),
            Ok(_) => None,
            Err(e) => {
                self.error(&format_client_error(&e));
                None
            }
        }
    }

    async fn copy_to(
        &mut self,
        cmd: &CopyCommand,
        table: &str,
        columns: &[String],
        start: Instant,
    ) {
        let o = &cmd.options;
        let cols: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let cql = format!("SELECT {} FROM {table}", cols.join(", "));
        let mut opts = QueryOptions {
            page_size: Some(EXPORT_PAGE_SIZE),
            ..QueryOptions::default()
        };
        let style = Style {
            color: false,
            ..self.style.clone()
        };
        let mut csv = String::new();
        if o.header {
            let mut fields = Vec::new();
            for c in columns {
                let mut f = String::new();
                write_field(c, o, &mut f);
                fields.push(f);
            }
            csv.push_str(&fields.join(&o.delimiter.to_string()));
            csv.push('\n');
        }
        let mut count: u64 = 0;
        'pages: for _ in 0..EXPORT_PAGES_MAX {
            let page = match self.session.query(&cql, &[], &opts).await {
                Ok(QueryResult::Rows(p)) => p,
                Ok(_) => break,
                Err(e) => return self.error(&format_client_error(&e)),
            };
            for row in &page.rows {
                if o.max_rows.is_some_and(|m| count >= m) {
                    break 'pages;
                }
                let fields: Vec<String> = row
                    .iter()
                    .map(|v| {
                        let text = match v {
                            None => o.null.clone(),
                            Some(CqlValue::Timestamp(ms)) => export_timestamp(*ms),
                            Some(v) => format_cell(Some(v), &style).plain,
                        };
                        let mut f = String::new();
                        write_field(&text, o, &mut f);
                        f
                    })
                    .collect();
                csv.push_str(&fields.join(&o.delimiter.to_string()));
                csv.push('\n');
                count += 1;
            }
            match page.paging_state {
                Some(s) => opts.paging_state = Some(s),
                None => break,
            }
        }
        match &cmd.file {
            Some(path) => {
                if let Err(e) = std::fs::write(path, csv) {
                    return self.error(&format!("Can't open '{path}' for writing: {e}"));
                }
            }
            None => self.write_out(&csv),
        }
        let files = usize::from(cmd.file.is_some());
        let interval = describe_interval(start.elapsed().as_secs_f64());
        self.say(&format!(
            "\n{count} rows exported to {files} files in {interval}."
        ));
    }

    async fn copy_from(
        &mut self,
        cmd: &CopyCommand,
        table: &str,
        columns: &[String],
        start: Instant,
    ) {
        let o = &cmd.options;
        let text = match &cmd.file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => return self.error(&format!("Can't open '{path}': {e}")),
            },
            None => std::io::read_to_string(std::io::stdin()).unwrap_or_default(),
        };
        let mut records = read_records(&text, o).into_iter();
        if o.header {
            records.next();
        }
        let mut skipped = 0u64;
        let mut failed = 0u64;
        let mut ready = Vec::new();
        let mut read = 0u64;
        let prepared = match self.prepare_insert(table, columns).await {
            Some(p) => p,
            None => return,
        };
        for rec in records {
            if skipped < o.skip_rows {
                skipped += 1;
                continue;
            }
            if o.max_rows.is_some_and(|m| read >= m) {
                break;
            }
            read += 1;
            match rec.and_then(|r| convert(&r, &prepared, columns.len())) {
                Ok(r) => ready.push(r),
                Err((line, reason)) => {
                    failed += 1;
                    self.error(&format!(
                        "Failed to import 1 rows: ParseError - line {line}: {reason},  given up without retries"
                    ));
                }
            }
        }
        failed += self.insert_batches(cmd, table, columns, &ready).await;
        let imported = read - failed;
        let interval = describe_interval(start.elapsed().as_secs_f64());
        let files = usize::from(cmd.file.is_some()).max(1);
        self.say(&format!(
            "\n{imported} rows imported from {files} files in {interval} ({skipped} skipped)."
        ));
        debug_assert_eq!(imported + failed, read);
    }

    async fn prepare_insert(
        &mut self,
        table: &str,
        columns: &[String],
    ) -> Option<Arc<PreparedStatement>> {
        let cols: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let marks = vec!["?"; cols.len()].join(", ");
        let cql = format!("INSERT INTO {table} ({}) VALUES ({marks})", cols.join(", "));
        match self.session.prepare(&cql).await {
            Ok(p) => Some(p),
            Err(e) => {
                self.error(&format_client_error(&e));
                None
            }
        }
    }

    /// Sends UNLOGGED batches (rows with nulls use an INSERT without those
    /// columns); returns the rows that failed after MAXATTEMPTS.
    async fn insert_batches(
        &mut self,
        cmd: &CopyCommand,
        table: &str,
        columns: &[String],
        rows: &[Ready],
    ) -> u64 {
        let o = &cmd.options;
        let mut cache: HashMap<Vec<bool>, Arc<PreparedStatement>> = HashMap::new();
        let mut failed = 0;
        for chunk in rows.chunks(o.max_batch_size) {
            let mut items = Vec::with_capacity(chunk.len());
            for r in chunk {
                let mask: Vec<bool> = r.values.iter().map(Option::is_some).collect();
                if !cache.contains_key(&mask) {
                    let cols: Vec<String> = columns
                        .iter()
                        .zip(&mask)
                        .filter(|(_, m)| **m)
                        .map(|(c, _)| c.clone())
                        .collect();
                    match self.prepare_insert(table, &cols).await {
                        Some(p) => cache.insert(mask.clone(), p),
                        None => return failed + u64::try_from(rows.len()).unwrap_or(u64::MAX),
                    };
                }
                let Some(stmt) = cache.get(&mask) else {
                    continue;
                };
                let values: Vec<CqlValue> = r.values.iter().flatten().cloned().collect();
                items.push(BatchItem::Prepared(Arc::clone(stmt), values));
            }
            let mut last_err = None;
            for _ in 0..o.max_attempts {
                match self
                    .session
                    .batch(BatchType::Unlogged, &items, &QueryOptions::default())
                    .await
                {
                    Ok(_) => {
                        last_err = None;
                        break;
                    }
                    Err(e) => last_err = Some(e),
                }
            }
            if let Some(e) = last_err {
                let n = chunk.len();
                failed += u64::try_from(n).unwrap_or(u64::MAX);
                let lines: Vec<String> = chunk.iter().map(|r| r.line.to_string()).collect();
                self.error(&format!(
                    "Failed to import {n} rows: {} (lines {}),  given up after {} attempts",
                    format_client_error(&e),
                    lines.join(", "),
                    o.max_attempts
                ));
            }
        }
        failed
    }
}

/// Parses a record's fields by the prepared statement's bind types.
fn convert(
    r: &Record,
    prepared: &PreparedStatement,
    expected: usize,
) -> Result<Ready, (usize, String)> {
    if r.fields.len() != expected {
        return Err((
            r.line,
            format!("Invalid row length {} should be {expected}", r.fields.len()),
        ));
    }
    let mut values = Vec::with_capacity(expected);
    for (field, spec) in r.fields.iter().zip(&prepared.bind_columns) {
        values.push(match field {
            None => None,
            Some(text) => Some(parse_literal(&spec.ty, text).map_err(|e| {
                (
                    r.line,
                    format!("Failed to parse {text} as {}: {e}", spec.ty),
                )
            })?),
        });
    }
    Ok(Ready {
        line: r.line,
        values,
    })
}

/// `'a', 'b'` as Python prints a list of str.
fn quoted_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// COPY TO's timestamp: cqlsh rounds to milliseconds (`round_microseconds`).
fn export_timestamp(ms: i64) -> String {
    let full = crate::format::value::timestamp_text(ms);
    match full.split_once('.') {
        Some((head, tail)) if tail.len() >= 11 => format!("{head}.{}{}", &tail[..3], &tail[6..]),
        _ => full,
    }
}
