"""Query tracing through the Python driver: traced statements (simple, prepared, batch, a read and a
write, protocol v4 and v5) return a trace whose session has a duration, the request, the parameters and
real events from the request path; untraced statements return no trace; system_traces answers by id.
Usage: python tracing.py HOST."""
import sys
import uuid

from cassandra.cluster import Cluster
from cassandra.query import BatchStatement, SimpleStatement

HOST = sys.argv[1]


def check_trace(trace, query=None, request="Execute CQL3 query"):
    assert trace.duration is not None and trace.duration.total_seconds() > 0, trace.duration
    assert trace.started_at is not None
    assert trace.request_type == request, trace.request_type
    assert str(trace.coordinator) == HOST, trace.coordinator
    assert trace.client is not None
    if query is not None:
        assert trace.parameters["query"] == query, trace.parameters
    # The driver's default consistency level.
    assert trace.parameters["consistency_level"] == "LOCAL_ONE", trace.parameters
    assert len(trace.events) >= 2, [str(e) for e in trace.events]
    times = [e.datetime for e in trace.events]
    assert times == sorted(times), times
    for e in trace.events:
        assert e.description, e
        assert str(e.source) == HOST, e.source
        assert e.thread_name, e
    return [e.description for e in trace.events]


for version in (4, 5):
    cluster = Cluster([HOST], protocol_version=version)
    session = cluster.connect()
    ks = "tr%d" % version
    session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v text)" % ks)

    insert = "INSERT INTO %s.t (k, v) VALUES (1, 'one')" % ks
    result = session.execute(insert, trace=True)
    trace = result.get_query_trace()
    events = check_trace(trace, insert)
    assert events[0] == "Parsing " + insert, events
    assert any("mutation" in e or "memtable" in e for e in events), events

    select = "SELECT v FROM %s.t WHERE k = 1" % ks
    result = session.execute(SimpleStatement(select, fetch_size=50), trace=True)
    assert result.one().v == "one"
    trace = result.get_query_trace()
    events = check_trace(trace, select)
    assert trace.parameters["page_size"] == "50", trace.parameters
    assert any(e.startswith("Read 1 live rows") for e in events), events
    assert any("single-partition" in e for e in events), events

    prepared = session.prepare("SELECT v FROM %s.t WHERE k = ?" % ks)
    result = session.execute(prepared, (1,), trace=True)
    assert result.one().v == "one"
    check_trace(result.get_query_trace(), request="Execute CQL3 prepared query")

    batch = BatchStatement()
    batch.add("INSERT INTO %s.t (k, v) VALUES (2, 'two')" % ks)
    batch.add("INSERT INTO %s.t (k, v) VALUES (3, 'three')" % ks)
    result = session.execute(batch, trace=True)
    trace = result.get_query_trace()
    assert trace.request_type == "Execute batch of CQL3 queries", trace.request_type
    assert trace.duration is not None

    # Untraced requests carry no trace.
    result = session.execute(select)
    assert result.get_query_trace() is None, "an untraced request has no trace"

    # The session row is there by id, and events come in event_id order.
    row = session.execute("SELECT * FROM system_traces.sessions WHERE session_id = %s", (trace.trace_id,)).one()
    assert row.command == "QUERY" and row.duration > 0 and row.coordinator_port > 0, row
    assert row.parameters["consistency_level"] == "LOCAL_ONE", row.parameters
    rows = list(session.execute("SELECT * FROM system_traces.events WHERE session_id = %s", (trace.trace_id,)))
    assert len(rows) >= 1 and all(r.session_id == trace.trace_id for r in rows), rows
    ids = [r.event_id for r in rows]
    assert ids == sorted(ids, key=lambda u: u.time), ids
    missing = session.execute("SELECT * FROM system_traces.sessions WHERE session_id = %s", (uuid.uuid4(),))
    assert list(missing) == []
    cluster.shutdown()

print("OK")
