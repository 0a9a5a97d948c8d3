"""Tombstone and batch-size thresholds as the Python driver sees them. The node runs with
tombstone warn/fail 10/50 and batch warn/fail 1/4 KiB. Usage: python thresholds.py HOST."""
import sys

from cassandra import ReadFailure
from cassandra.cluster import Cluster
from cassandra.protocol import InvalidRequest
from cassandra.query import BatchStatement, BatchType

session = Cluster([sys.argv[1]]).connect()
session.execute("CREATE KEYSPACE th WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TABLE th.t (p int, c int, v text, PRIMARY KEY (p, c))")
delete = session.prepare("DELETE FROM th.t WHERE p = ? AND c = ?")
for c in range(20):
    session.execute(delete, (1, c))
result = session.execute("SELECT * FROM th.t WHERE p = 1")
warnings = result.response_future.warnings or []
assert any("tombstone" in w for w in warnings), warnings
for c in range(60):
    session.execute(delete, (2, c))
try:
    session.execute("SELECT * FROM th.t WHERE p = 2")
    raise SystemExit("expected ReadFailure")
except ReadFailure as e:
    assert "READ_TOO_MANY_TOMBSTONES" in str(e), e
insert = session.prepare("INSERT INTO th.t (p, c, v) VALUES (?, ?, ?)")
small = BatchStatement(batch_type=BatchType.UNLOGGED)
for c in range(4):
    small.add(insert, (3, c, "x" * 500))
warned = session.execute(small)
assert any("Batch for [th.t]" in w for w in (warned.response_future.warnings or [])), warned.response_future.warnings
big = BatchStatement(batch_type=BatchType.UNLOGGED)
for c in range(10):
    big.add(insert, (4, c, "y" * 1000))
try:
    session.execute(big)
    raise SystemExit("expected a batch too large error")
except InvalidRequest as e:
    assert "Batch too large" in str(e), e
assert session.execute("SELECT * FROM th.t WHERE p = 4").one() is None, "a rejected batch writes nothing"

# max_value_size_mb = 1: a 2 MiB value is refused, plain or conditional; 512 KiB is fine.
session.execute(insert, (5, 0, "z" * (512 * 1024)))
for statement in (insert, session.prepare("INSERT INTO th.t (p, c, v) VALUES (?, ?, ?) IF NOT EXISTS")):
    try:
        session.execute(statement, (6, 0, "z" * (2 * 1024 * 1024)))
        raise SystemExit("expected a value too large error")
    except InvalidRequest as e:
        assert "max_value_size_mb" in str(e), e
assert session.execute("SELECT * FROM th.t WHERE p = 6").one() is None, "a refused value writes nothing"

# items_per_collection_fail_threshold = 100: 100 elements are fine, 101 are refused.
session.execute("CREATE TABLE th.c (p int PRIMARY KEY, s set<int>, f frozen<list<int>>)")
session.execute("INSERT INTO th.c (p, s) VALUES (1, %s)", (set(range(100)),))
try:
    session.execute("INSERT INTO th.c (p, s) VALUES (2, %s)", (set(range(101)),))
    raise SystemExit("expected a collection too large error")
except InvalidRequest as e:
    assert "items_per_collection_fail_threshold" in str(e), e
assert session.execute("SELECT * FROM th.c WHERE p = 2").one() is None
assert len(session.execute("SELECT s FROM th.c WHERE p = 1").one().s) == 100
print("OK")
