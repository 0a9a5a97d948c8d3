"""Tracing in a 2-node RF 2 cluster: a traced write and read at ALL, coordinated by the first node,
record the replica round trips (requests sent to the other node and its answers) in the coordinator's
trace. The driver talks to the coordinator only, so it also polls the trace there (traces are kept
by the coordinator, not replicated).
Usage: python cluster_tracing.py PHASE HOST1 HOST2."""
import sys

from cassandra import ConsistencyLevel

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from cluster_common import connect, stmt  # noqa: E402

phase, first, second = sys.argv[1], sys.argv[2], sys.argv[3]
assert phase == "traces", phase
cluster, session = connect(first, [first])
session.execute("CREATE KEYSPACE ct WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
session.execute("CREATE TABLE ct.t (k int PRIMARY KEY, v text)")

write = session.execute(stmt("INSERT INTO ct.t (k, v) VALUES (1, 'one')", ConsistencyLevel.ALL), trace=True)
trace = write.get_query_trace(max_wait_sec=10)
events = [e.description for e in trace.events]
assert trace.duration is not None and str(trace.coordinator) == first, trace
assert trace.parameters["consistency_level"] == "ALL", trace.parameters
assert "Sending MUTATION_REQ message to /%s" % second in events, events
assert "MUTATION_RSP from /%s" % second in events, events

read = session.execute(stmt("SELECT v FROM ct.t WHERE k = 1", ConsistencyLevel.ALL), trace=True)
assert read.one().v == "one"
events = [e.description for e in read.get_query_trace(max_wait_sec=10).events]
assert "Sending READ_REQ message to /%s" % second in events, events
assert "READ_RSP from /%s" % second in events, events
cluster.shutdown()
print("OK")
