//! Sending CQL to the server and printing what comes back as cqlsh does:
//! SELECT/LIST results as tables with paging, LWT rows, DESCRIBE in each of
//! its forms (COMPAT §4), USE, and errors.

use sibyl_protocol::Response;
use sibyl_protocol::client::rows::decode_result;
use sibyl_protocol::client::{ClientError, QueryOptions, QueryResult, RowSet};
use sibyl_protocol::request::{Query, QueryParameters, Request};
use sibyl_protocol::types::Consistency;
use sibyl_protocol::value::CqlValue;
use uuid::Uuid;

use crate::commands::Shell;
use crate::format::error::format_client_error;
use crate::format::table::{format_column_name, format_rows, render_page, render_table};
use crate::format::{Formatted, Kind, columnize};

/// Most pages one statement may print (a bound on the paging loop).
const PAGES_MAX: usize = 1_000_000;

impl Shell {
    fn options(&self, consistency: Consistency) -> QueryOptions {
        QueryOptions {
            consistency,
            serial_consistency: Some(self.serial_consistency),
            page_size: self.page_size,
            ..QueryOptions::default()
        }
    }

    /// Sends one statement text (traced when `traced`) with the frame's
    /// warnings and tracing session; errors are printed and give `None`
    /// results (the trace of a failed statement is still returned).
    async fn send(
        &mut self,
        cql: &str,
        opts: &QueryOptions,
        traced: bool,
    ) -> (Option<(QueryResult, Vec<String>)>, Option<Uuid>) {
        let (result, trace) = send_query(&self.session, cql, opts, traced).await;
        match result {
            Ok(r) => (Some(r), trace),
            Err(e) => {
                self.error(&format_client_error(&e));
                (None, trace)
            }
        }
    }

    /// cqlsh `print_warnings`.
    fn print_warnings(&mut self, warnings: &[String]) {
        if warnings.is_empty() {
            return;
        }
        let mut text = String::from("\nWarnings :\n");
        for w in warnings {
            text.push_str(w);
            text.push_str("\n\n");
        }
        self.write_out(&text);
    }

    /// Header cells, coloured by column role when colour is on (cqlsh
    /// `myformat_colname`: partition key red, clustering cyan, static white).
    async fn column_names(&mut self, rows: &RowSet) -> Vec<Formatted> {
        let mut names = Vec::with_capacity(rows.columns.len());
        for c in &rows.columns {
            let role = if self.style.color {
                let roles = self.roles(&c.keyspace, &c.table).await;
                match roles.get(&c.name).map(String::as_str) {
                    Some("partition_key") => Kind::PartitionKey,
                    Some("clustering") => Kind::Clustering,
                    Some("static") => Kind::Static,
                    _ => Kind::ColumnName,
                }
            } else {
                Kind::ColumnName
            };
            names.push(format_column_name(&c.name, role, &self.style));
        }
        names
    }

    /// Column kinds of a table from `system_schema.columns` (cached).
    async fn roles(&mut self, ks: &str, table: &str) -> std::collections::HashMap<String, String> {
        let key = (ks.to_owned(), table.to_owned());
        if let Some(r) = self.column_roles.get(&key) {
            return r.clone();
        }
        let cql = "SELECT column_name, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?";
        let values = [
            CqlValue::Text(ks.to_owned()),
            CqlValue::Text(table.to_owned()),
        ];
        let mut roles = std::collections::HashMap::new();
        if let Ok(QueryResult::Rows(r)) = self
            .session
            .query(cql, &values, &QueryOptions::default())
            .await
        {
            for row in r.rows {
                if let [Some(CqlValue::Text(name)), Some(CqlValue::Text(kind))] = row.as_slice() {
                    roles.insert(name.clone(), kind.clone());
                }
            }
        }
        self.column_roles.insert(key, roles.clone());
        roles
    }

    /// Runs a CQL statement (cqlsh `perform_simple_statement`).
    pub async fn cql(&mut self, stmt: &str) {
        let opts = self.options(self.consistency);
        let traced =
            self.tracing && !crate::trace::reads_system_traces(stmt, self.keyspace.as_deref());
        let (sent, trace) = self.send(stmt, &opts, traced).await;
        let lower = stmt.trim_start().to_ascii_lowercase();
        // cqlsh prints no trace for a failed statement (its future is dropped).
        let Some((result, warnings)) = sent else {
            return;
        };
        let mut traces: Vec<Uuid> = trace.into_iter().collect();
        let pages = (result, traced);
        traces.extend(
            self.print_outcome(stmt, &lower, opts, pages, &warnings)
                .await,
        );
        // cqlsh's USE does not print its trace (it is not `perform_statement`).
        if traced && !lower.starts_with("use") {
            for id in traces {
                self.print_statement_trace(id).await;
            }
        }
    }

    /// A statement's result and warnings, as cqlsh `perform_statement`;
    /// gives the tracing sessions of the further pages it fetched (traced
    /// like the first when `traced`, as the driver re-sends its message).
    async fn print_outcome(
        &mut self,
        stmt: &str,
        lower: &str,
        opts: QueryOptions,
        (result, traced): (QueryResult, bool),
        warnings: &[String],
    ) -> Vec<Uuid> {
        let mut traces = Vec::new();
        match result {
            QueryResult::Rows(rows) if lower.starts_with("select") || lower.starts_with("list") => {
                traces = self.print_result(stmt, opts, rows, traced).await;
            }
            QueryResult::Rows(rows) if !rows.rows.is_empty() => {
                // A conditional write's `[applied]` row (cqlsh prints it with a header).
                let names = self.column_names(&rows).await;
                let cells = format_rows(&rows.rows, &self.style);
                let text = format!(
                    "\n{}",
                    render_table(&names, Some(&cells), true, self.tty, &self.style)
                );
                self.write_out(&text);
            }
            QueryResult::SetKeyspace(ks) => self.keyspace = Some(ks),
            _ => {}
        }
        self.print_warnings(warnings);
        traces
    }

    /// cqlsh `print_result`: every page, then `(N rows)`; gives the tracing
    /// sessions of the pages after the first.
    async fn print_result(
        &mut self,
        stmt: &str,
        mut opts: QueryOptions,
        first: RowSet,
        traced: bool,
    ) -> Vec<Uuid> {
        let mut traces = Vec::new();
        self.write_out("\n");
        let names = self.column_names(&first).await;
        let mut page = first;
        let mut count = 0usize;
        for i in 0..PAGES_MAX {
            if !page.rows.is_empty() || i == 0 {
                let cells = format_rows(&page.rows, &self.style);
                let text = render_page(
                    &names,
                    &cells,
                    i == 0,
                    self.tty,
                    self.expand,
                    count,
                    &self.style,
                );
                self.write_out(&text);
                count += page.rows.len();
            }
            let Some(state) = page.paging_state.take() else {
                break;
            };
            if self.tty && self.capture.is_none() && !self.more() {
                break;
            }
            opts.paging_state = Some(state);
            let (next, trace) = send_query(&self.session, stmt, &opts, traced).await;
            traces.extend(trace);
            match next {
                Ok((QueryResult::Rows(next), _)) => page = next,
                Ok(_) => break,
                Err(e) => {
                    self.error(&format_client_error(&e));
                    return traces;
                }
            }
        }
        if !self.tty {
            self.write_out("\n");
        }
        self.write_out(&format!("({count} rows)\n"));
        traces
    }

    /// cqlsh's `---MORE---` pause between pages on a terminal; false when
    /// input ended (stop paging).
    fn more(&mut self) -> bool {
        use std::io::Write as _;
        let _ = write!(self.out, "---MORE---");
        let _ = self.out.flush();
        let mut line = String::new();
        let read = tokio::task::block_in_place(|| std::io::stdin().read_line(&mut line));
        matches!(read, Ok(n) if n > 0)
    }

    /// Re-reads cluster name and versions from `system.local`.
    pub async fn refresh_server_info(&mut self) {
        let cql = "select cluster_name, release_version, cql_version from system.local where key = 'local'";
        let opts = QueryOptions::default();
        let Ok(QueryResult::Rows(rows)) = self.session.query(cql, &[], &opts).await else {
            return;
        };
        let get = |name: &str| text_column(&rows, 0, name).unwrap_or_default();
        self.server.cluster_name = get("cluster_name");
        self.server.release_version = get("release_version");
        self.server.cql_version = get("cql_version");
    }

    /// DESCRIBE / DESC, sent to the server as text (cqlsh `do_describe`).
    pub async fn describe(&mut self, stmt: &str, words: &[String]) {
        let mut opts = self.options(Consistency::LocalOne);
        let mut all = RowSet::default();
        for _ in 0..PAGES_MAX {
            match self.session.query(stmt, &[], &opts).await {
                Ok(QueryResult::Rows(page)) => {
                    all.columns = page.columns;
                    all.rows.extend(page.rows);
                    match page.paging_state {
                        Some(s) => opts.paging_state = Some(s),
                        None => break,
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    self.error(&describe_error(&e));
                    return;
                }
            }
        }
        let what = words
            .get(1)
            .map(|w| w.to_ascii_lowercase())
            .unwrap_or_default();
        let text = match what.as_str() {
            "columnfamilies" | "tables" | "types" | "functions" | "aggregates" => {
                self.describe_list(&all)
            }
            "keyspaces" => {
                let names: Vec<String> = (0..all.rows.len())
                    .filter_map(|i| text_column(&all, i, "name"))
                    .collect();
                format!("\n{}\n", columnize(&names, 80))
            }
            "cluster" => describe_cluster(&all),
            _ => (0..all.rows.len())
                .filter_map(|i| text_column(&all, i, "create_statement"))
                .map(|s| format!("\n{s}\n"))
                .collect(),
        };
        self.write_out(&text);
    }

    /// cqlsh `describe_list`: names grouped by keyspace.
    fn describe_list(&self, rows: &RowSet) -> String {
        let mut out = String::new();
        let mut current: Option<String> = None;
        let mut names = Vec::new();
        let flush = |ks: &str, names: &[String], out: &mut String| {
            out.push('\n');
            if self.keyspace.is_none() {
                out.push_str(&format!(
                    "Keyspace {ks}\n---------{}\n",
                    "-".repeat(ks.chars().count())
                ));
            }
            out.push_str(&columnize(names, 80));
        };
        for i in 0..rows.rows.len() {
            let ks = text_column(rows, i, "keyspace_name").unwrap_or_default();
            if current.as_deref() != Some(ks.as_str()) {
                if let Some(prev) = &current {
                    flush(prev, &names, &mut out);
                }
                current = Some(ks);
                names.clear();
            }
            names.push(text_column(rows, i, "name").unwrap_or_default());
        }
        if let Some(prev) = &current {
            flush(prev, &names, &mut out);
            out.push('\n');
        }
        out
    }
}

/// One QUERY through the connection (with the TRACING flag when `traced`),
/// keeping the response's warnings and its tracing session id.
async fn send_query(
    session: &sibyl_protocol::client::Session,
    cql: &str,
    opts: &QueryOptions,
    traced: bool,
) -> (
    Result<(QueryResult, Vec<String>), ClientError>,
    Option<Uuid>,
) {
    let params = QueryParameters {
        consistency: opts.consistency,
        page_size: opts.page_size,
        paging_state: opts.paging_state.clone(),
        serial_consistency: opts.serial_consistency,
        ..QueryParameters::default()
    };
    let request = Request::Query(Query {
        query: cql.to_owned(),
        params,
    });
    let connection = session.connection();
    let sent = if traced {
        connection.send_traced(request).await
    } else {
        connection.send(request).await
    };
    match sent {
        Ok(frame) => {
            let trace = frame.tracing_id;
            (response_result(frame.response, frame.warnings), trace)
        }
        Err(e) => (Err(e), None),
    }
}

/// A QUERY's response as a result with its warnings, or the server's error.
fn response_result(
    response: Response,
    warnings: Vec<String>,
) -> Result<(QueryResult, Vec<String>), ClientError> {
    match response {
        Response::Result(body) => Ok((decode_result(body, None)?, warnings)),
        Response::Error(e) => Err(ClientError::Server {
            code: e.kind.code(),
            message: e.message,
            details: e.kind,
        }),
        other => Err(ClientError::UnexpectedResponse {
            request: "QUERY",
            response: format!("{other:?}"),
        }),
    }
}

/// cqlsh prints DESCRIBE errors as the text after `message=`.
fn describe_error(e: &ClientError) -> String {
    let line = format_client_error(e);
    let after_class = line.split_once(": ").map_or(line.as_str(), |(_, m)| m);
    match e {
        ClientError::Server { code, message, .. } if is_message_class(*code) => {
            // The driver's `ErrorMessage.message` has no `message=` part.
            message
                .split_once("message=")
                .map(|(_, m)| m.trim_matches('"').to_owned())
                .unwrap_or_default()
        }
        _ => after_class
            .split_once("message=")
            .map(|(_, m)| m.trim_matches('"').to_owned())
            .unwrap_or_default(),
    }
}

/// Codes whose driver exception is the raw `ErrorMessage`.
fn is_message_class(code: i32) -> bool {
    !matches!(
        code,
        0x1000 | 0x1100 | 0x1200 | 0x1300 | 0x1400 | 0x1500 | 0x2100 | 0x2200 | 0x2400
    )
}

/// cqlsh `describe_cluster`.
fn describe_cluster(rows: &RowSet) -> String {
    let mut out = String::new();
    for i in 0..rows.rows.len() {
        let get = |n: &str| text_column(rows, i, n).unwrap_or_default();
        out.push_str(&format!(
            "\nCluster: {}\nPartitioner: {}\nSnitch: {}\n\n",
            get("cluster"),
            get("partitioner"),
            get("snitch")
        ));
        let idx = rows
            .columns
            .iter()
            .position(|c| c.name == "range_ownership");
        if let Some(Some(CqlValue::Map(entries))) =
            idx.and_then(|j| rows.rows.get(i).and_then(|r| r.get(j)))
        {
            out.push_str("Range ownership:\n");
            for (k, v) in entries {
                let hosts: Vec<String> = match v {
                    CqlValue::List(h) => h.iter().map(plain_text).collect(),
                    other => vec![plain_text(other)],
                };
                out.push_str(&format!(" {:>39}  [{}]\n", plain_text(k), hosts.join(", ")));
            }
            out.push('\n');
        }
    }
    out
}

/// A value's text as Python's `str` would print a str.
fn plain_text(v: &CqlValue) -> String {
    match v {
        CqlValue::Text(s) | CqlValue::Ascii(s) => s.clone(),
        other => {
            crate::format::value::format_cell(Some(other), &crate::format::Style::default()).plain
        }
    }
}

/// Column `name` of row `i` as text.
fn text_column(rows: &RowSet, i: usize, name: &str) -> Option<String> {
    let j = rows.columns.iter().position(|c| c.name == name)?;
    rows.rows.get(i)?.get(j)?.as_ref().map(plain_text)
}
