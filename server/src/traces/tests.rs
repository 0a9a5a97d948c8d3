use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use sibyl_protocol::request::{Query, QueryParameters, Request};
use sibyl_protocol::types::Consistency;
use sibyl_protocol::value::CqlValue;

use super::*;
use crate::clock::ManualClock;
use crate::schema::system_keyspaces::{SYSTEM_TRACES, bootstrap_schema};

const T0: i64 = 1_700_000_000_000_000;

fn store() -> (Traces, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(T0));
    let coordinator = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)), 7000);
    (Traces::new(coordinator, 0xabcdef, clock.clone()), clock)
}

fn client() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 9)), 50_000)
}

fn query(text: &str) -> TraceRequest {
    TraceRequest::of(
        client(),
        &Request::Query(Query {
            query: text.to_owned(),
            params: QueryParameters {
                consistency: Consistency::Quorum,
                page_size: Some(100),
                serial_consistency: Some(Consistency::Serial),
                ..QueryParameters::default()
            },
        }),
    )
}

#[test]
fn a_query_records_cassandras_request_and_parameters() {
    let r = query("SELECT * FROM ks.t;");
    assert_eq!(r.request, "Execute CQL3 query");
    assert_eq!(r.parameters["query"], "SELECT * FROM ks.t;");
    assert_eq!(r.parameters["consistency_level"], "QUORUM");
    assert_eq!(r.parameters["page_size"], "100");
    assert_eq!(r.parameters["serial_consistency_level"], "SERIAL");
}

#[test]
fn a_session_is_visible_at_once_and_complete_after_finish() {
    let (traces, clock) = store();
    let s = traces.begin(query("q"));
    assert_eq!(s.id.get_version_num(), 1, "session ids are timeuuids");
    assert_eq!(traces.sessions(Some(s.id)).len(), 1);
    assert_eq!(s.duration_us(), None);
    active::with_session(Some(&s), || {
        active::event(|| "Parsing q".to_owned());
        clock.advance_micros(10);
        active::event(|| "Preparing statement".to_owned());
    });
    s.finish();
    assert!(s.duration_us().is_some_and(|d| d > 0));
    let events = s.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].activity, "Parsing q");
    let ticks = |u: &Uuid| u.get_timestamp().unwrap().to_gregorian().0;
    assert!(ticks(&events[0].event_id) < ticks(&events[1].event_id));
    assert!(events[0].source_elapsed_us <= events[1].source_elapsed_us);
}

#[test]
fn events_outside_a_traced_request_are_not_recorded_and_not_built() {
    let (traces, _) = store();
    let s = traces.begin(query("q"));
    assert!(!active::is_active());
    active::event(|| panic!("the activity text is built only when tracing"));
    active::with_session(Some(&s), || assert!(active::is_active()));
    assert!(!active::is_active(), "the session is removed afterwards");
    assert!(s.events().is_empty());
}

#[test]
fn the_store_keeps_the_newest_sessions_and_bounded_events() {
    let (traces, _) = store();
    let first = traces.begin(query("first"));
    for _ in 0..SESSIONS_MAX {
        traces.begin(query("more"));
    }
    assert_eq!(traces.sessions(None).len(), SESSIONS_MAX);
    assert!(
        traces.sessions(Some(first.id)).is_empty(),
        "the oldest went first"
    );
    let s = traces.begin(query("busy"));
    for i in 0..EVENTS_MAX + 10 {
        s.event(format!("event {i}"), "t");
    }
    assert_eq!(s.events().len(), EVENTS_MAX);
    s.event("x".repeat(ACTIVITY_BYTES_MAX * 2), "t");
}

#[test]
fn sessions_expire_after_a_day() {
    let (traces, clock) = store();
    let old = traces.begin(query("old"));
    clock.advance_micros(TTL_US - 1);
    let young = traces.begin(query("young"));
    assert_eq!(traces.sessions(None).len(), 2);
    clock.advance_micros(1);
    let ids: Vec<_> = traces.sessions(None).iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![young.id]);
    assert_ne!(old.id, young.id);
}

#[test]
fn rows_come_in_select_star_order_for_the_wanted_session() {
    let (traces, _) = store();
    let other = traces.begin(query("other"));
    other.event("elsewhere".into(), "t");
    let s = traces.begin(query("SELECT 1;"));
    s.event("Parsing SELECT 1;".into(), "worker-1");
    s.finish();
    let schema = bootstrap_schema();
    let sessions = schema.table(SYSTEM_TRACES, "sessions").unwrap();
    let rows = rows::rows(&traces, sessions, Some(s.id));
    assert_eq!(rows.len(), 1);
    let names: Vec<&str> = sessions
        .select_star_order()
        .map(|c| c.name.as_str())
        .collect();
    let get = |n: &str| rows[0][names.iter().position(|x| *x == n).unwrap()].clone();
    assert_eq!(get("session_id"), Some(CqlValue::Uuid(s.id)));
    assert_eq!(get("command"), Some(CqlValue::Text("QUERY".into())));
    assert_eq!(
        get("request"),
        Some(CqlValue::Text("Execute CQL3 query".into()))
    );
    assert_eq!(get("client"), Some(CqlValue::Inet(client().ip())));
    assert_eq!(get("coordinator_port"), Some(CqlValue::Int(7000)));
    assert_eq!(get("started_at"), Some(CqlValue::Timestamp(T0 / 1000)));
    assert!(matches!(get("duration"), Some(CqlValue::Int(d)) if d > 0));
    let events = schema.table(SYSTEM_TRACES, "events").unwrap();
    let rows = rows::rows(&traces, events, Some(s.id));
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains(&Some(CqlValue::Text("Parsing SELECT 1;".into()))));
    assert_eq!(rows::rows(&traces, events, None).len(), 2);
}
