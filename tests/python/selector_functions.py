"""Scalar selector functions through the Python driver: time conversions, blob
conversions, toJson, CAST, UDT field selection, their column names and types in
result metadata (prepared too), and Cassandra's errors for bad calls.
Usage: python selector_functions.py HOST."""
import datetime
import sys
import uuid
from decimal import Decimal

from cassandra.cluster import Cluster
from cassandra.protocol import InvalidRequest
from cassandra.util import Date

cluster = Cluster([sys.argv[1]])
session = cluster.connect()
session.execute("CREATE KEYSPACE sf WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TYPE sf.point (x int, y int)")
session.execute(
    "CREATE TABLE sf.t (k int PRIMARY KEY, id timeuuid, ts timestamp, d double, n int, "
    "b blob, p frozen<point>, tags list<text>)"
)
tu = uuid.UUID("d2177dd0-eaa2-11de-a572-001b779c76e3")  # 2009-12-17 ... per Cassandra's docs
session.execute(
    "INSERT INTO sf.t (k, id, ts, d, n, b, p, tags) VALUES "
    "(1, %s, '2024-01-02 03:04:05.678+0000', 1.75, 300, 0x0000002a, {x: 3, y: 4}, ['a', 'b'])",
    (tu,),
)
session.execute("INSERT INTO sf.t (k) VALUES (2)")

row = session.execute(
    "SELECT toTimestamp(id), toUnixTimestamp(ts), toDate(ts), dateOf(id), unixTimestampOf(id) "
    "FROM sf.t WHERE k = 1"
).one()
millis = int((tu.time - 0x01B21DD213814000) // 10000)
epoch = datetime.datetime(1970, 1, 1)
assert row[0] == epoch + datetime.timedelta(milliseconds=millis), row
assert row[1] == 1704164645678, row
assert row[2] == Date(datetime.date(2024, 1, 2)), row
assert row[3] == row[0] and row[4] == millis, row

row = session.execute("SELECT blobAsInt(b), intAsBlob(n) FROM sf.t WHERE k = 1").one()
assert row[0] == 42 and row[1] == b"\x00\x00\x01\x2c", row

result = session.execute(
    "SELECT CAST(d AS int), CAST(d AS text), CAST(n AS tinyint), CAST(n AS decimal), "
    "CAST(ts AS date), CAST(n AS double) FROM sf.t WHERE k = 1"
)
assert result.column_names == [
    "cast(d as int)", "cast(d as text)", "cast(n as tinyint)", "cast(n as decimal)",
    "cast(ts as date)", "cast(n as double)",
], result.column_names
row = result.one()
assert row[0] == 1 and row[1] == "1.75" and row[2] == 44 and row[3] == Decimal(300), row
assert row[4] == Date(datetime.date(2024, 1, 2)) and row[5] == 300.0, row

row = session.execute("SELECT p.x, p.y, toJson(p), toJson(tags), toJson(ts) FROM sf.t WHERE k = 1").one()
assert (row[0], row[1]) == (3, 4), row
assert row[2] == '{"x": 3, "y": 4}' or row[2] == '{"x":3,"y":4}', row
assert row[3] in ('["a", "b"]', '["a","b"]'), row

# Nulls go through every function as null.
row = session.execute("SELECT toTimestamp(id), CAST(n AS text), p.x, toJson(d) FROM sf.t WHERE k = 2").one()
assert tuple(row[:3]) == (None, None, None) and row[3] in (None, "null"), row

prepared = session.prepare("SELECT CAST(n AS bigint) AS big, toDate(ts) FROM sf.t WHERE k = ?")
assert [c[2] for c in prepared.result_metadata] == ["big", "system.todate(ts)"], prepared.result_metadata
assert session.execute(prepared, (1,)).one().big == 300

for bad, message in [
    ("SELECT toTimestamp(n) FROM sf.t WHERE k = 1", "cannot be passed as argument 0"),
    ("SELECT CAST(p AS int) FROM sf.t WHERE k = 1", "cannot be cast to int"),
    ("SELECT blobAsInt(n) FROM sf.t WHERE k = 1", "must be a blob"),
    ("SELECT nosuchfunction(n) FROM sf.t WHERE k = 1", "Unknown function"),
    ("SELECT n.x FROM sf.t WHERE k = 1", "is not a user type"),
    ("SELECT p.z FROM sf.t WHERE k = 1", "has no field z"),
    ("SELECT blobAsBigint(b) FROM sf.t WHERE k = 1", "blobAsbigint"),
]:
    try:
        session.execute(bad)
    except InvalidRequest as error:
        assert message.lower() in str(error).lower(), (bad, str(error))
    else:
        raise AssertionError(f"accepted: {bad}")

cluster.shutdown()
print("OK")
