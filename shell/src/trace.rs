//! SHOW SESSION <uuid>: reads `system_traces.sessions` and `events` and
//! prints them as cqlsh's `tracing.py` does (`Tracing session: <id>`, then a
//! table of activity / timestamp / source / source_elapsed / client with a
//! first row for the request and a `Request complete` row). Times are shown
//! in UTC (cqlsh converts to the local zone).

use sibyl_protocol::client::{QueryOptions, QueryResult, RowSet};
use sibyl_protocol::value::CqlValue;
use uuid::Uuid;

use crate::commands::Shell;
use crate::format::table::{format_column_name, render_table};
use crate::format::value::{format_text, timestamp_text};
use crate::format::{Formatted, Kind};

/// 100-ns intervals between 1582-10-15 and 1970-01-01 (UUID v1 epoch).
const UUID_EPOCH_OFFSET: i64 = 0x01B2_1DD2_1381_4000;

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

/// One table row per trace event.
fn event_rows(events: &RowSet, client: &str) -> Vec<Vec<String>> {
    (0..events.rows.len())
        .map(|i| {
            let at = match col(events, i, "event_id") {
                Some(CqlValue::Timeuuid(u) | CqlValue::Uuid(u)) => {
                    uuid_micros(u).map_or_else(String::new, py_datetime)
                }
                _ => String::new(),
            };
            let elapsed = match col(events, i, "source_elapsed") {
                Some(CqlValue::Int(n)) => n.to_string(),
                _ => "--".into(),
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
                elapsed,
                client.to_owned(),
            ]
        })
        .collect()
}

impl Shell {
    async fn trace_rows(&mut self, cql: &str, id: Uuid) -> Option<RowSet> {
        let opts = QueryOptions::default();
        match self.session.query(cql, &[CqlValue::Uuid(id)], &opts).await {
            Ok(QueryResult::Rows(r)) => Some(r),
            _ => None,
        }
    }

    /// SHOW SESSION <uuid>.
    pub async fn show_session(&mut self, arg: Option<&str>) {
        let Some(id) = arg.and_then(|a| Uuid::parse_str(a).ok()) else {
            return self.improper();
        };
        let sessions = self
            .trace_rows(
                "SELECT * FROM system_traces.sessions WHERE session_id = ?",
                id,
            )
            .await;
        let Some(s) = sessions.filter(|s| !s.rows.is_empty()) else {
            return self.error(&format!("Session {id} wasn't found."));
        };
        let events = self
            .trace_rows(
                "SELECT * FROM system_traces.events WHERE session_id = ?",
                id,
            )
            .await;
        let events = events.unwrap_or_default();
        if events.rows.is_empty() {
            return self.error(&format!("No rows for session {id} found."));
        }
        let client = text(col(&s, 0, "client"));
        let coordinator = text(col(&s, 0, "coordinator"));
        let started = match col(&s, 0, "started_at") {
            Some(CqlValue::Timestamp(ms)) => Some(ms.saturating_mul(1000)),
            _ => None,
        };
        let started_text = started.map_or_else(|| "None".into(), py_datetime);
        let mut rows: Vec<Vec<String>> = vec![vec![
            text(col(&s, 0, "request")),
            started_text,
            coordinator.clone(),
            "0".into(),
            client.clone(),
        ]];
        rows.extend(event_rows(&events, &client));
        if let (Some(CqlValue::Int(d)), Some(start)) = (col(&s, 0, "duration"), started) {
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
        self.write_out(&format!("\nTracing session: {id}\n\n{table}\n"));
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
}
