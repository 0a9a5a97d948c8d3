"""Coordinator timeouts through the Python driver: on a node whose read and
range timeouts are 1 ms, a 20,000-row unpaged read answers ReadTimeout with
the request's consistency, 0 of 1 responses and no data, as Cassandra does;
writes (2 s timeout) still succeed. Usage: python timeouts.py HOST."""
import sys

from cassandra import ConsistencyLevel, ReadTimeout
from cassandra.cluster import Cluster
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.query import SimpleStatement

cluster = Cluster([sys.argv[1]])
session = cluster.connect()
session.execute("CREATE KEYSPACE tmo WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TABLE tmo.t (k int, c int, v text, PRIMARY KEY (k, c))")
insert = session.prepare("INSERT INTO tmo.t (k, c, v) VALUES (0, ?, 'some value to read back')")
results = execute_concurrent_with_args(session, insert, [(c,) for c in range(20_000)], concurrency=64)
assert all(ok for ok, _ in results), [r for ok, r in results if not ok][:3]

for query, level in [
    ("SELECT * FROM tmo.t WHERE k = 0", ConsistencyLevel.ONE),
    ("SELECT * FROM tmo.t WHERE k = 0", ConsistencyLevel.QUORUM),
    ("SELECT * FROM tmo.t", ConsistencyLevel.LOCAL_ONE),
]:
    statement = SimpleStatement(query, fetch_size=None, consistency_level=level)
    try:
        session.execute(statement)
    except ReadTimeout as error:
        assert error.consistency == level, (query, error.consistency)
        assert error.received_responses == 0 and error.required_responses == 1, error
        assert not error.data_retrieved, error
    else:
        raise AssertionError(f"no timeout for {query} at 1 ms")

cluster.shutdown()
print("OK")
