//! Traces as cqlsh's `tracing.py` prints them: after a statement run with
//! TRACING ON (the session id comes back in the response frame), and for
//! SHOW SESSION <uuid>. Both read `system_traces.sessions` and `events` and
//! print `Tracing session: <id>`, then a table of activity / timestamp /
//! source / source_elapsed / client with a first row for the request and a
//! `Request complete` row. Times are shown in UTC (cqlsh converts to the
//! local zone; with TZ=UTC the two agree).

use std::time::{Duration, Instant};

use sibyl_protocol::client::{QueryOptions, QueryResult, RowSet};
use sibyl_protocol::types::Consistency;
use sibyl_protocol::value::CqlValue;
use uuid::Uuid;

use crate::commands::Shell;
use crate::format::color;
use crate::format::table::{format_column_name, render_table};
use crate::format::value::{format_text, timestamp_text};
use crate::format::{Formatted, Kind};

/// 100-ns intervals between 1582-10-15 and 1970-01-01 (UUID v1 epoch).
const UUID_EPOCH_OFFSET: i64 = 0x01B2_1DD2_1381_4000;
/// How long a statement's trace is awaited (cqlsh `max_trace_wait`).
const STATEMENT_TRACE_WAIT: Duration = Duration::from_secs(10);
/// How long SHOW SESSION waits (the driver's `QueryTrace.populate` default).
const SHOW_SESSION_WAIT: Duration = Duration::from_secs(2);
/// First pause between polls; it doubles each time (the driver's backoff).
const POLL_PAUSE_FIRST: Duration = Duration::from_millis(3);
/// Longest pause between polls.
const POLL_PAUSE_MAX: Duration = Duration::from_millis(500);

/// Python's `str(datetime)` of microseconds since the epoch (no zone,
/// fraction only when non-zero).
pub fn py_datetime(micros: i64) -> String {
    let ms = micros.div_euclid(1000);
    let base = timestamp_text(ms);
    let head = base.split('.').next().unwrap_or(&base).to_owned();
    let frac = micros.rem_euclid(1_000_000);
    if frac == 0 {
        head
    } else {
        format!("{head}.{frac:06}")
    }
}

/// Microseconds since the epoch of a v1 UUID (rounded as Python's timedelta).
pub fn uuid_micros(u: &Uuid) -> Option<i64> {
    let (ticks, _) = u.get_timestamp()?.to_gregorian();
    let since = i64::try_from(ticks).ok()? - UUID_EPOCH_OFFSET;
    Some((since + 5).div_euclid(10))
}

fn col<'a>(rows: &'a RowSet, row: usize, name: &str) -> Option<&'a CqlValue> {
    let j = rows.columns.iter().position(|c| c.name == name)?;
    rows.rows.get(row)?.get(j)?.as_ref()
}

fn text(v: Option<&CqlValue>) -> String {
    match v {
        Some(CqlValue::Text(s) | CqlValue::Ascii(s)) => s.clone(),
        Some(CqlValue::Inet(ip)) => ip.to_string(),
        Some(other) => format!("{other:?}"),
        None => "None".into(),
    }
}

/// tracing.py `total_micro_seconds`: a zero or missing time prints `--`.
fn micros_text(v: Option<&CqlValue>) -> String {
    match v {
        Some(CqlValue::Int(n)) if *n != 0 => n.to_string(),
        _ => "--".into(),
    }
}

/// One table row per trace event. Event times are timezone-aware in the
/// driver, so Python prints them with `+00:00`.
fn event_rows(events: &RowSet, client: &str) -> Vec<Vec<String>> {
    (0..events.rows.len())
        .map(|i| {
            let at = match col(events, i, "event_id") {
                Some(CqlValue::Timeuuid(u) | CqlValue::Uuid(u)) => uuid_micros(u)
                    .map_or_else(String::new, |us| format!("{}+00:00", py_datetime(us))),
                _ => String::new(),
            };
            let activity = format!(
                "{} [{}]",
                text(col(events, i, "activity")),
                text(col(events, i, "thread"))
            );
            vec![
                activity,
                at,
                text(col(events, i, "source")),
                micros_text(col(events, i, "source_elapsed")),
                client.to_owned(),
            ]
        })
        .collect()
}

/// A session row is complete once it has a duration and a start time.
fn complete(s: &RowSet) -> bool {
    col(s, 0, "duration").is_some() && col(s, 0, "started_at").is_some()
}

impl Shell {
    async fn trace_rows(&mut self, cql: &str, id: Uuid, cl: Consistency) -> Option<RowSet> {
        let opts = QueryOptions {
            consistency: cl,
            ..QueryOptions::default()
        };
        match self.session.query(cql, &[CqlValue::Uuid(id)], &opts).await {
            Ok(QueryResult::Rows(r)) => Some(r),
            _ => None,
        }
    }

    /// Polls `system_traces.sessions` until the session is there (and
    /// complete, with `wait_complete`) or `wait` passes.
    async fn poll_session(
        &mut self,
        id: Uuid,
        wait: Duration,
        wait_complete: bool,
        cl: Consistency,
    ) -> Option<RowSet> {
        let start = Instant::now();
        let mut pause = POLL_PAUSE_FIRST;
        while start.elapsed() < wait {
            let cql = "SELECT * FROM system_traces.sessions WHERE session_id = ?";
            if let Some(s) = self.trace_rows(cql, id, cl).await
                && !s.rows.is_empty()
                && (!wait_complete || complete(&s))
            {
                return Some(s);
            }
            tokio::time::sleep(pause.min(wait.saturating_sub(start.elapsed()))).await;
            pause = (pause * 2).min(POLL_PAUSE_MAX);
        }
        None
    }

    /// SHOW SESSION <uuid>.
    pub async fn show_session(&mut self, arg: Option<&str>) {
        let Some(id) = arg.and_then(|a| Uuid::parse_str(a).ok()) else {
            return self.improper();
        };
        self.print_session(id, SHOW_SESSION_WAIT, true).await;
    }

    /// cqlsh `perform_statement` with TRACING ON: the statement's trace once
    /// the server completed it, or a notice and what there is so far.
    pub async fn print_statement_trace(&mut self, id: Uuid) {
        let cl = self.consistency;
        if let Some(s) = self.poll_session(id, STATEMENT_TRACE_WAIT, true, cl).await {
            return self.print_session_rows(id, &s, cl).await;
        }
        let secs = STATEMENT_TRACE_WAIT.as_secs();
        let notice = format!(
            "Statement trace did not complete within {secs} seconds; trace data may be incomplete."
        );
        let notice = if self.style.color {
            format!("{}{notice}{}", color::RED, color::RESET)
        } else {
            notice
        };
        self.write_out(&format!("{notice}\n"));
        self.print_session(id, SHOW_SESSION_WAIT, false).await;
    }

    async fn print_session(&mut self, id: Uuid, wait: Duration, wait_complete: bool) {
        let cl = Consistency::LocalOne;
        let Some(s) = self.poll_session(id, wait, wait_complete, cl).await else {
            return self.error(&format!("Session {id} wasn't found."));
        };
        self.print_session_rows(id, &s, cl).await;
    }

    async fn print_session_rows(&mut self, id: Uuid, s: &RowSet, cl: Consistency) {
        let cql = "SELECT * FROM system_traces.events WHERE session_id = ?";
        let events = self.trace_rows(cql, id, cl).await.unwrap_or_default();
        if events.rows.is_empty() {
            return self.error(&format!("No rows for session {id} found."));
        }
        let client = text(col(s, 0, "client"));
        let coordinator = text(col(s, 0, "coordinator"));
        let started = match col(s, 0, "started_at") {
            Some(CqlValue::Timestamp(ms)) => Some(ms.saturating_mul(1000)),
            _ => None,
        };
        let started_text = started.map_or_else(|| "None".into(), py_datetime);
        let mut rows: Vec<Vec<String>> = vec![vec![
            text(col(s, 0, "request")),
            started_text,
            coordinator.clone(),
            "0".into(),
            client.clone(),
        ]];
        rows.extend(event_rows(&events, &client));
        if let (Some(CqlValue::Int(d)), Some(start)) = (col(s, 0, "duration"), started)
            && *d != 0
        {
            let end = py_datetime(start + i64::from(*d));
            rows.push(vec![
                "Request complete".into(),
                end,
                coordinator,
                d.to_string(),
                client,
            ]);
        }
        self.print_trace(id, &rows);
    }

    fn print_trace(&mut self, id: Uuid, rows: &[Vec<String>]) {
        let style = self.style.clone();
        let names: Vec<Formatted> = [
            "activity",
            "timestamp",
            "source",
            "source_elapsed",
            "client",
        ]
        .iter()
        .map(|n| format_column_name(n, Kind::ColumnName, &style))
        .collect();
        let cells: Vec<Vec<Formatted>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(j, v)| match (j, v.parse::<i64>()) {
                        (3, Ok(_)) => Formatted::kind(v.clone(), Kind::Green, &style),
                        _ => format_text(v, &style, false),
                    })
                    .collect()
            })
            .collect();
        let table = render_table(&names, Some(&cells), true, self.tty, &style);
        let title = if style.color {
            format!("{}Tracing session: {}", color::MAGENTA, color::RESET)
        } else {
            "Tracing session: ".to_owned()
        };
        self.write_out(&format!("\n{title}{id}\n\n{table}\n"));
    }
}

/// True when cqlsh would not trace `stmt`: a SELECT from `system_traces`
/// (named, or the current keyspace when unqualified).
pub fn reads_system_traces(stmt: &str, keyspace: Option<&str>) -> bool {
    let lower = stmt.to_ascii_lowercase();
    let mut words = lower.split_whitespace();
    if words.next() != Some("select") {
        return false;
    }
    let Some(table) = words.skip_while(|w| *w != "from").nth(1) else {
        return false;
    };
    let table = table.trim_end_matches(';');
    match table.split_once('.') {
        Some((ks, _)) => ks.trim_matches('"') == "system_traces",
        None => keyspace == Some("system_traces"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_datetime_text() {
        assert_eq!(py_datetime(1_704_164_645_000_000), "2024-01-02 03:04:05");
        assert_eq!(
            py_datetime(1_704_164_645_000_123),
            "2024-01-02 03:04:05.000123"
        );
    }

    #[test]
    fn timeuuid_time() {
        // A v1 UUID for 2024-01-02 03:04:05.123456 UTC.
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, 1_704_164_645, 123_456_000);
        let u = Uuid::new_v1(ts, &[1, 2, 3, 4, 5, 6]);
        assert_eq!(uuid_micros(&u), Some(1_704_164_645_123_456));
    }

    #[test]
    fn zero_or_missing_elapsed_prints_dashes() {
        assert_eq!(micros_text(Some(&CqlValue::Int(0))), "--");
        assert_eq!(micros_text(None), "--");
        assert_eq!(micros_text(Some(&CqlValue::Int(42))), "42");
    }

    #[test]
    fn selects_from_system_traces_are_not_traced() {
        let q = "SELECT * FROM system_traces.sessions;";
        assert!(reads_system_traces(q, None));
        assert!(reads_system_traces(
            "select * from events",
            Some("system_traces")
        ));
        assert!(!reads_system_traces("select * from events", Some("ks")));
        assert!(!reads_system_traces(
            "INSERT INTO system_traces.x (a) VALUES (1)",
            None
        ));
        assert!(!reads_system_traces("select * from ks.t", None));
    }
}
