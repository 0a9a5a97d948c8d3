"""SELECT JSON and INSERT JSON through the Python driver: round trips of scalar,
collection, tuple and UDT values, DEFAULT NULL / UNSET, prepared INSERT JSON,
quoted case-sensitive names, and Cassandra's errors for bad documents.
Usage: python json_values.py HOST."""
import json
import sys
import uuid

from cassandra.cluster import Cluster
from cassandra.protocol import InvalidRequest

cluster = Cluster([sys.argv[1]])
session = cluster.connect()
session.execute("CREATE KEYSPACE js WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TYPE js.addr (street text, zip int)")
session.execute(
    'CREATE TABLE js.t (k int, c text, v bigint, d double, b blob, u uuid, ok boolean, '
    'tags set<text>, scores map<text, int>, pair tuple<int, text>, home frozen<addr>, '
    '"Mixed" int, PRIMARY KEY (k, c))'
)

u = uuid.UUID("8a9f3b2e-1c4d-4e5f-9a0b-1c2d3e4f5a6b")
doc = {
    "k": 1, "c": "a", "v": 9007199254740993, "d": 2.5, "b": "0xcafe", "u": str(u), "ok": True,
    "tags": ["y", "x"], "scores": {"m": 1, "n": 2}, "pair": [7, "seven"],
    "home": {"street": "Main", "zip": 12345}, '"Mixed"': 4,
}
session.execute("INSERT INTO js.t JSON %s", (json.dumps(doc),))

row = session.execute("SELECT k, c, v, d, b, u, ok, tags, scores, pair, home, \"Mixed\" FROM js.t WHERE k = 1").one()
assert row.v == 9007199254740993 and row.d == 2.5 and row.b == b"\xca\xfe" and row.u == u, row
assert row.ok is True and sorted(row.tags) == ["x", "y"] and dict(row.scores) == {"m": 1, "n": 2}, row
assert tuple(row.pair) == (7, "seven") and row.home.street == "Main" and row.home.zip == 12345, row
assert row.Mixed == 4, row

result = session.execute("SELECT JSON * FROM js.t WHERE k = 1")
assert result.column_names == ["[json]"], result.column_names
back = json.loads(result.one()[0])
expected = dict(doc, tags=["x", "y"])
assert back == expected, (back, expected)

picked = json.loads(session.execute("SELECT JSON k, v AS value, tags FROM js.t WHERE k = 1").one()[0])
assert picked == {"k": 1, "value": 9007199254740993, "tags": ["x", "y"]}, picked

# Columns left out: DEFAULT NULL (the default) clears them, DEFAULT UNSET keeps them.
session.execute("""INSERT INTO js.t JSON '{"k": 1, "c": "a", "v": 5}' DEFAULT UNSET""")
row = session.execute("SELECT v, d, tags FROM js.t WHERE k = 1 AND c = 'a'").one()
assert row.v == 5 and row.d == 2.5 and sorted(row.tags) == ["x", "y"], row
session.execute("""INSERT INTO js.t JSON '{"k": 1, "c": "a", "v": 6}'""")
row = session.execute("SELECT v, d, tags FROM js.t WHERE k = 1 AND c = 'a'").one()
assert row.v == 6 and row.d is None and row.tags is None, row

# Prepared INSERT JSON binds one text value named [json].
prepared = session.prepare("INSERT INTO js.t JSON ?")
assert [c.name for c in prepared.column_metadata] == ["[json]"], prepared.column_metadata
session.execute(prepared, (json.dumps({"k": 2, "c": "b", "scores": {"z": 26}}),))
assert dict(session.execute("SELECT scores FROM js.t WHERE k = 2").one().scores) == {"z": 26}
nulls = json.loads(session.execute("SELECT JSON k, d FROM js.t WHERE k = 2").one()[0])
assert nulls == {"k": 2, "d": None}, nulls

for bad, message in [
    ("""INSERT INTO js.t JSON '{"k": 3, "c": "x", "nope": 1}'""", "unrecognized column: nope"),
    ("""INSERT INTO js.t JSON '{"k": 3, "c": "x", "v": "ten"}'""", "Error decoding JSON value for v"),
    ("""INSERT INTO js.t JSON '{"k": 3, "c": "x", "ok": 1}'""", "Error decoding JSON value for ok"),
    ("""INSERT INTO js.t JSON '{"k": 3'""", "Could not decode JSON string"),
    ("""INSERT INTO js.t JSON '[1, 2]'""", "Could not decode JSON string as a map"),
    ("""INSERT INTO js.t JSON '{"c": "x"}'""", "Some partition key parts are missing: k"),
    ("""INSERT INTO js.t JSON '{"k": 3, "c": "x", "home": {"city": "y"}}'""", "Unknown field 'city'"),
]:
    try:
        session.execute(bad)
    except InvalidRequest as error:
        assert message in str(error), (bad, str(error))
    else:
        raise AssertionError(f"accepted: {bad}")
assert session.execute("SELECT * FROM js.t WHERE k = 3").one() is None

cluster.shutdown()
print("OK")
