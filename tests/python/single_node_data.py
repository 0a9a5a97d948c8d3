"""Real-driver data checks on one sibyld node: every CQL type through unprepared and
prepared statements (incl. null and unset), collections, statics, TTL, deletes at every
level, IN and slices, batches, and token() equal to the driver's Murmur3.
Usage: python single_node_data.py HOST. Exits non-zero on the first failed check."""
import datetime
import decimal
import ipaddress
import sys
import uuid

from cassandra.cluster import Cluster
from cassandra.murmur3 import murmur3
from cassandra.query import UNSET_VALUE, BatchStatement, BatchType
from cassandra.util import Date, Duration, Time

host = sys.argv[1]
cluster = Cluster([host])
session = cluster.connect()
session.execute("CREATE KEYSPACE d WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.set_keyspace("d")

session.execute(
    "CREATE TABLE types (k int PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, da date, de decimal, "
    "do double, du duration, f float, i inet, s smallint, t text, ti time, ts timestamp, tu timeuuid, "
    "ty tinyint, u uuid, vi varint, tup frozen<tuple<int, text>>, fl frozen<list<int>>)"
)
values = {
    "a": "ascii", "b": -(2**62), "bl": b"\x00\xff", "bo": True, "da": Date(19000), "de": decimal.Decimal("-12.345"),
    "do": 2.5, "du": Duration(1, 2, 3_000_000_000), "f": 1.5, "i": "192.168.0.1", "s": -7, "t": "château ✓",
    "ti": Time(3_600_000_000_123), "ts": datetime.datetime(2024, 5, 6, 7, 8, 9, 10000),
    "tu": uuid.UUID("d2177dd0-eaa2-11de-a572-001b779c76e3"), "ty": 3, "u": uuid.UUID("00000000-0000-4000-8000-000000000001"),
    "vi": 2**80, "tup": (1, "x"), "fl": [3, 1],
}
names = list(values)
# The driver sends a Python tuple as a list literal in unprepared queries (its encoder's
# own TODO), which Cassandra rejects for tuple columns too: tuples go prepared only.
plain = [n for n in names if n != "tup"]
insert = "INSERT INTO types (k, %s) VALUES (%%s, %s)" % (", ".join(plain), ", ".join(["%s"] * len(plain)))
session.execute(insert, [1] + [values[n] for n in plain])
session.execute("UPDATE types SET tup = (1, 'x') WHERE k = 1")
prepared = session.prepare("INSERT INTO types (k, %s) VALUES (?, %s)" % (", ".join(names), ", ".join(["?"] * len(names))))
session.execute(prepared, [2] + [values[n] for n in names])
for k in (1, 2):
    row = session.execute("SELECT * FROM types WHERE k = %s", (k,)).one()
    for n in names:
        got = getattr(row, n)
        want = values[n]
        if n == "i":
            got = str(got)
        if n == "da":
            want = want
        assert got == want, (k, n, got, want)
# null writes a tombstone, unset leaves the column alone.
session.execute(prepared, [2] + [None] + [UNSET_VALUE] * (len(names) - 1))
row = session.execute("SELECT a, b FROM types WHERE k = 2").one()
assert row.a is None and row.b == values["b"], row

# Collections, statics, TTL, deletes.
session.execute("CREATE TABLE c (k int, c int, l list<text>, m map<text, int>, s set<int>, st text static, PRIMARY KEY (k, c))")
session.execute("INSERT INTO c (k, c, l, m, s, st) VALUES (1, 1, ['a'], {'x': 1}, {3, -1}, 'shared')")
session.execute("UPDATE c SET l = l + ['b'], l = ['z'] + l, m['y'] = 2, s = s - {3} WHERE k = 1 AND c = 1")
row = session.execute("SELECT * FROM c WHERE k = 1 AND c = 1").one()
assert row.l == ["z", "a", "b"] and dict(row.m) == {"x": 1, "y": 2} and set(row.s) == {-1} and row.st == "shared", row
session.execute("INSERT INTO c (k, c) VALUES (1, 2)")
assert [r.st for r in session.execute("SELECT st FROM c WHERE k = 1")] == ["shared", "shared"]
session.execute("DELETE m FROM c WHERE k = 1 AND c = 1")
assert session.execute("SELECT m FROM c WHERE k = 1 AND c = 1").one().m is None
session.execute("INSERT INTO c (k, c) VALUES (2, 1) USING TTL 1")
import time
time.sleep(2.1)
assert session.execute("SELECT * FROM c WHERE k = 2").one() is None, "expired row is invisible"

# Clustering slices, IN, ORDER BY, LIMIT, range deletes.
session.execute("CREATE TABLE ev (p int, t int, v text, PRIMARY KEY (p, t)) WITH CLUSTERING ORDER BY (t DESC)")
ins = session.prepare("INSERT INTO ev (p, t, v) VALUES (?, ?, ?)")
for p in range(3):
    for t in range(10):
        session.execute(ins, (p, t, "v%d" % t))
assert [r.t for r in session.execute("SELECT t FROM ev WHERE p = 0 AND t > 2 AND t <= 5")] == [5, 4, 3]
assert [r.t for r in session.execute("SELECT t FROM ev WHERE p = 0 ORDER BY t ASC LIMIT 3")] == [0, 1, 2]
assert len(list(session.execute("SELECT * FROM ev WHERE p IN (0, 2)"))) == 20
session.execute("DELETE FROM ev WHERE p = 1 AND t >= 5")
assert [r.t for r in session.execute("SELECT t FROM ev WHERE p = 1")] == [4, 3, 2, 1, 0]
session.execute("DELETE FROM ev WHERE p = 2")
assert session.execute("SELECT * FROM ev WHERE p = 2").one() is None

# Logged and unlogged batches.
for kind in (BatchType.LOGGED, BatchType.UNLOGGED):
    batch = BatchStatement(batch_type=kind)
    batch.add(ins, (5, 1, "one"))
    batch.add("INSERT INTO ev (p, t, v) VALUES (5, 2, 'two')")
    session.execute(batch)
assert [r.v for r in session.execute("SELECT v FROM ev WHERE p = 5")] == ["two", "one"]

# token() equals the driver's Murmur3, and token-range scans partition the table.
def tok(p):
    return murmur3(p.to_bytes(4, "big", signed=True))
for row in session.execute("SELECT p, token(p) FROM ev"):
    assert row[1] == tok(row.p), (row, tok(row.p))
keys = [r.p for r in session.execute("SELECT p FROM ev")]
assert sorted(set(keys)) == [0, 1, 5], keys
in_order = [tok(p) for p in dict.fromkeys(keys)]
assert in_order == sorted(in_order), "full scans come back in token order"
lower = session.execute("SELECT p FROM ev WHERE token(p) <= %s", (tok(1),))
assert set(r.p for r in lower) == {p for p in (0, 1, 5) if tok(p) <= tok(1)}
# Composite partition keys: token() equals the driver's routing token for 1,000 keys.
session.execute("CREATE TABLE comp (a int, b text, v int, PRIMARY KEY ((a, b)))")
ins2 = session.prepare("INSERT INTO comp (a, b, v) VALUES (?, ?, ?)")
for i in range(1000):
    session.execute(ins2, (i, "k\u00e9%d" % i, i))
checked = 0
for row in session.execute("SELECT a, b, token(a, b) FROM comp"):
    routing = ins2.bind((row.a, row.b, 0)).routing_key
    assert row[2] == murmur3(routing), (row, murmur3(routing))
    checked += 1
assert checked == 1000, checked
# Aggregates and GROUP BY on key prefixes.
session.execute("CREATE TABLE agg (p int, c int, v int, d double, PRIMARY KEY (p, c))")
insa = session.prepare("INSERT INTO agg (p, c, v, d) VALUES (?, ?, ?, ?)")
for p in range(3):
    for c in range(4):
        session.execute(insa, (p, c, p * 10 + c, c * 0.5))
row = session.execute("SELECT count(*), min(v), max(v), sum(v), avg(v), sum(d) FROM agg").one()
assert tuple(row) == (12, 0, 23, 138, 11, 9.0), row
grouped = [tuple(r) for r in session.execute("SELECT p, count(*), max(v), avg(d) FROM agg GROUP BY p")]
assert sorted(grouped) == [(0, 4, 3, 0.75), (1, 4, 13, 0.75), (2, 4, 23, 0.75)], grouped
assert session.execute("SELECT count(v) AS n FROM agg WHERE p = 1").one().n == 4
empty = session.execute("SELECT count(*), max(v) FROM agg WHERE p = 99").one()
assert tuple(empty) == (0, None), empty

# writetime() and ttl().
session.execute("INSERT INTO ev (p, t, v) VALUES (9, 1, 'w') USING TIMESTAMP 1234567 AND TTL 1000")
row = session.execute("SELECT writetime(v), ttl(v) FROM ev WHERE p = 9 AND t = 1").one()
assert row[0] == 1234567 and 990 <= row[1] <= 1000, row
row = session.execute("SELECT writetime(v) AS w, ttl(v) FROM ev WHERE p = 0 AND t = 1").one()
assert row.w > 1_600_000_000_000_000 and row[1] is None, row

# Paging: 10,000 rows at page size 100, one partition and a full scan; the driver
# follows the paging state and sees every row exactly once, in order.
from cassandra.query import SimpleStatement
session.execute("CREATE TABLE pg (p int, c int, v int, PRIMARY KEY (p, c))")
insp = session.prepare("INSERT INTO pg (p, c, v) VALUES (?, ?, ?)")
for c in range(10000):
    session.execute(insp, (0, c, c))
for p in range(1, 301):
    session.execute(insp, (p, 0, p))
result = session.execute(SimpleStatement("SELECT c FROM pg WHERE p = 0", fetch_size=100))
assert result.has_more_pages
seen = [r.c for r in result]
assert seen == list(range(10000)), (len(seen), seen[:5])
scan = session.execute(SimpleStatement("SELECT p, c FROM pg", fetch_size=100))
rows = [(r.p, r.c) for r in scan]
assert len(rows) == 10300 and len(set(rows)) == 10300, len(rows)
prepared_scan = session.prepare("SELECT p FROM pg WHERE p IN (1, 2, 3)")
prepared_scan.fetch_size = 2
assert sorted(r.p for r in session.execute(prepared_scan)) == [1, 2, 3]
print("OK")
