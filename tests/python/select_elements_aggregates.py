"""Element and slice selection, functions inside aggregates, Cassandra 5's
collection functions and now()-style selectors through the Python driver,
checked against what Cassandra answers: values, nulls, result column names and
types (prepared too), bind markers in element keys, and the errors for lists
and non-collections.
Usage: python select_elements_aggregates.py HOST
(not named selectors.py: that would shadow the standard library module)."""
import datetime
import sys
import uuid

from cassandra.cluster import Cluster
from cassandra.protocol import InvalidRequest
from cassandra.query import tuple_factory

cluster = Cluster([sys.argv[1]])
session = cluster.connect()
session.row_factory = tuple_factory
session.execute("CREATE KEYSPACE sel WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute(
    "CREATE TABLE sel.t (k int, c int, v int, ts timestamp, m map<text, int>, s set<int>, "
    "fs frozen<set<int>>, l list<int>, PRIMARY KEY (k, c))"
)
insert = session.prepare(
    "INSERT INTO sel.t (k, c, v, ts, m, s, fs, l) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?"
)
base = datetime.datetime(2024, 1, 2, 3, 4, 5)
for k, c, v, stamp in [(1, 1, 5, 1000), (1, 2, 7, 3000), (2, 1, None, 2000)]:
    session.execute(insert, (
        k, c, v, base + datetime.timedelta(seconds=c), {"a": c, "b": 10 * c}, {1, 2, 3, 4, 5, 6},
        {1, 2, 3}, [1, 2], stamp,
    ))

def type_name(t):
    # The driver calls text "varchar" (the same type on the wire).
    return t.cql_parameterized_type().replace("varchar", "text")

# 1. Elements and slices: values, nulls for what is missing, names and types.
result = session.execute(
    "SELECT m['b'], m['zz'], s[5], s[9], s[2..4], m['b'..], s[..1], s[7..9], fs[7..9] "
    "FROM sel.t WHERE k = 1 AND c = 1"
)
assert result.column_names == [
    "m['b']", "m['zz']", "s[5]", "s[9]", "s[2..4]", "m['b'..]", "s[..1]", "s[7..9]", "fs[7..9]",
], result.column_names
assert [type_name(t) for t in result.column_types] == [
    "int", "int", "int", "int", "set<int>", "map<text, int>", "set<int>", "set<int>", "set<int>",
], [type_name(t) for t in result.column_types]
row = result.one()
assert row[0] == 10 and row[1] is None and row[2] == 5 and row[3] is None, row
assert row[4] == {2, 3, 4} and row[5] == {"b": 10} and row[6] == {1}, row
# An empty slice is null on a non-frozen collection, empty on a frozen one.
assert row[7] is None and not row[8] and row[8] is not None, row

# Bind markers in keys: typed key(m) / value(s) in PREPARE metadata.
prepared = session.prepare("SELECT m[?], s[?..?] FROM sel.t WHERE k = ? AND c = ?")
assert [(c[2], type_name(c[3])) for c in prepared.column_metadata] == [
    ("key(m)", "text"), ("value(s)", "int"), ("value(s)", "int"), ("k", "int"), ("c", "int"),
], prepared.column_metadata
assert [c[2] for c in prepared.result_metadata] == ["m[?]", "s[?..?]"], prepared.result_metadata
assert session.execute(prepared, ("a", 5, 9, 1, 2)).one() == (2, {5, 6})

for bad, message in [
    ("SELECT l[0] FROM sel.t", "Element selection is only allowed on sets and maps, but l is a list"),
    ("SELECT l[0..1] FROM sel.t", "Slice selection is only allowed on sets and maps, but l is a list"),
    ("SELECT v[0] FROM sel.t", "Invalid element selection: v is of type int is not a collection"),
    ("SELECT max(count(*)) FROM sel.t", "aggregate functions cannot be used as arguments of aggregate functions"),
    ("SELECT sum(m) FROM sel.t", "Invalid call to function sum, none of its type signatures match"),
    ("SELECT map_keys(s) FROM sel.t", "Function system.map_keys requires a map argument, but found argument s of type set<int>"),
    ("SELECT collection_sum(m) FROM sel.t", "requires a numeric set/list argument, but found argument m of type map<text, int>"),
]:
    try:
        session.execute(bad)
    except InvalidRequest as error:
        assert message.lower() in str(error).lower(), (bad, str(error))
    else:
        raise AssertionError(f"accepted: {bad}")
try:
    session.execute(prepared, (None, 5, 9, 1, 2))
except InvalidRequest as error:
    assert "Invalid null value for element selection on m" in str(error), str(error)
else:
    raise AssertionError("a null element key was accepted")

# 2. Functions inside aggregates; the result type follows the argument.
result = session.execute(
    "SELECT max(writetime(v)), sum(cast(v as bigint)), count(v), avg(v), "
    "max(toUnixTimestamp(ts)), min(token(k)), count(*) FROM sel.t"
)
assert result.column_names == [
    "system.max(writetime(v))", "system.sum(cast(v as bigint))", "system.count(v)", "system.avg(v)",
    "system.max(system.tounixtimestamp(ts))", "system.min(system.token(k))", "count",
], result.column_names
assert [type_name(t) for t in result.column_types] == [
    "bigint", "bigint", "bigint", "int", "bigint", "bigint", "bigint",
], [type_name(t) for t in result.column_types]
row = result.one()
ts_max = int((base + datetime.timedelta(seconds=2) - datetime.datetime(1970, 1, 1)).total_seconds() * 1000)
tokens = [r[0] for r in session.execute("SELECT token(k) FROM sel.t")]
assert row[:5] == (3000, 12, 2, 6, ts_max), row
assert row[5] == min(tokens) and row[6] == 3, (row, tokens)

rows = list(session.execute("SELECT k, max(m['b']), sum(s[3]), cast(count(*) as int) FROM sel.t GROUP BY k"))
assert sorted(rows) == [(1, 20, 6, 2), (2, 10, 3, 1)], rows
# An aggregate below a function still aggregates the whole table, whatever the page size.
from cassandra.query import SimpleStatement
paged = SimpleStatement("SELECT cast(count(*) as int), toJson(max(v)) FROM sel.t", fetch_size=1)
assert list(session.execute(paged)) == [(3, "7")], list(session.execute(paged))

# 3. Cassandra 5 collection functions.
result = session.execute(
    "SELECT map_keys(m), map_values(m), collection_count(s), collection_min(s), collection_max(l), "
    "collection_sum(s), collection_avg(s) FROM sel.t WHERE k = 1 AND c = 2"
)
assert [type_name(t) for t in result.column_types] == [
    "set<text>", "list<int>", "int", "int", "int", "int", "int",
], [type_name(t) for t in result.column_types]
assert result.column_names[0] == "system.map_keys(m)", result.column_names
assert result.one() == ({"a", "b"}, [2, 20], 6, 1, 2, 21, 3), result.one()

# 4. now()-style selectors, one value per row.
result = session.execute(
    "SELECT now(), currentTimestamp(), currentDate(), currentTime(), currentTimeUUID() FROM sel.t"
)
assert [type_name(t) for t in result.column_types] == [
    "timeuuid", "timestamp", "date", "time", "timeuuid",
], [type_name(t) for t in result.column_types]
rows = list(result)
assert len(rows) == 3 and all(isinstance(r[0], uuid.UUID) and r[0].version == 1 for r in rows), rows
assert len({r[0] for r in rows}) == 3, rows
stamp = rows[0][1]
assert abs((datetime.datetime.utcnow() - stamp).total_seconds()) < 60, stamp

cluster.shutdown()
print("OK")
