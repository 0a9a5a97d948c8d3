//! `SELECT ... FROM system_traces.sessions | events`: the recorded sessions as
//! rows in each table's `SELECT *` column order, for the ordinary SELECT
//! machinery to filter and project. A `session_id = ...` restriction (what
//! every driver sends) is applied here first, so a poll touches one session.

use std::collections::BTreeMap;

use sibyl_protocol::cql::ast::{Operator, Relation, RelationLhs, Select};
use sibyl_protocol::value::{CqlType, CqlValue};
use uuid::Uuid;

use super::{TraceSession, Traces};
use crate::cql::terms::{BindContext, Bound, bind};
use crate::schema::TableMetadata;

/// The command every session records (Cassandra's `Tracing.TraceType.QUERY`).
const COMMAND: &str = "QUERY";

/// The session id a SELECT restricts to with `session_id = term`, if any.
pub fn wanted_session(select: &Select, ctx: &BindContext<'_>) -> Option<Uuid> {
    select
        .where_clause
        .iter()
        .find_map(|relation| match relation {
            Relation::Compare {
                lhs: RelationLhs::Column(column),
                op: Operator::Eq,
                rhs,
            } if column.as_str() == "session_id" => {
                match bind(rhs, &CqlType::Uuid, "session_id", ctx) {
                    Ok(Bound::Value(CqlValue::Uuid(id) | CqlValue::Timeuuid(id))) => Some(id),
                    _ => None,
                }
            }
            _ => None,
        })
}

/// The rows of `system_traces.<table>` (empty for another table), for the
/// sessions `only` selects.
pub fn rows(
    traces: &Traces,
    table: &TableMetadata,
    only: Option<Uuid>,
) -> Vec<Vec<Option<CqlValue>>> {
    let sessions = traces.sessions(only);
    let named: Vec<BTreeMap<&'static str, CqlValue>> = match table.name.as_str() {
        "sessions" => sessions.iter().map(|s| session_row(s)).collect(),
        "events" => sessions.iter().flat_map(|s| event_rows(s)).collect(),
        _ => Vec::new(),
    };
    named
        .into_iter()
        .map(|row| table.row_in_select_star_order(row))
        .collect()
}

fn port(address: std::net::SocketAddr) -> CqlValue {
    CqlValue::Int(i32::from(address.port()))
}

fn session_row(s: &TraceSession) -> BTreeMap<&'static str, CqlValue> {
    let mut row = BTreeMap::from([
        ("session_id", CqlValue::Uuid(s.id)),
        ("client", CqlValue::Inet(s.client.ip())),
        ("command", CqlValue::Text(COMMAND.to_owned())),
        ("coordinator", CqlValue::Inet(s.coordinator.ip())),
        ("coordinator_port", port(s.coordinator)),
        (
            "parameters",
            CqlValue::Map(
                s.parameters
                    .iter()
                    .map(|(k, v)| (CqlValue::Text(k.clone()), CqlValue::Text(v.clone())))
                    .collect(),
            ),
        ),
        ("request", CqlValue::Text(s.request.clone())),
        (
            "started_at",
            CqlValue::Timestamp(s.started_at_us.div_euclid(1_000)),
        ),
    ]);
    if let Some(duration) = s.duration_us() {
        row.insert("duration", CqlValue::Int(duration));
    }
    row
}

fn event_rows(s: &TraceSession) -> Vec<BTreeMap<&'static str, CqlValue>> {
    s.events()
        .into_iter()
        .map(|e| {
            BTreeMap::from([
                ("session_id", CqlValue::Uuid(s.id)),
                ("event_id", CqlValue::Timeuuid(e.event_id)),
                ("activity", CqlValue::Text(e.activity)),
                ("source", CqlValue::Inet(s.coordinator.ip())),
                ("source_elapsed", CqlValue::Int(e.source_elapsed_us)),
                ("source_port", port(s.coordinator)),
                ("thread", CqlValue::Text(e.thread)),
            ])
        })
        .collect()
}
