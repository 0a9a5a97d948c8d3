"""Real-driver checks of a single sibyld node: connection at each protocol version and
compression, metadata, DDL with schema agreement, error classes, prepared statements.
Usage: python single_node_schema.py HOST. Exits non-zero on the first failed check."""
import sys
import time

from cassandra import AlreadyExists, InvalidRequest
from cassandra.cluster import Cluster
from cassandra.protocol import ConfigurationException, SyntaxException

host = sys.argv[1]


def connect(**kwargs):
    cluster = Cluster([host], **kwargs)
    return cluster, cluster.connect()


# Default negotiation settles on v5 (the driver starts higher and steps down).
cluster, session = connect()
assert cluster.protocol_version == 5, cluster.protocol_version
local = session.execute("SELECT * FROM system.local WHERE key='local'").one()
assert local.release_version == "5.0.0", local.release_version
assert local.partitioner.endswith("Murmur3Partitioner")
assert local.data_center == "datacenter1" and local.rack == "rack1"
assert local.rpc_address == host, (local.rpc_address, host)
assert len(local.tokens) == 16
hosts = cluster.metadata.all_hosts()
assert len(hosts) == 1 and hosts[0].datacenter == "datacenter1", hosts
assert cluster.metadata.token_map is not None and len(cluster.metadata.token_map.ring) == 16

# DDL: each statement returns once the schema agrees (no 10 s agreement wait).
ddl = [
    "CREATE KEYSPACE app WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
    "CREATE TYPE app.address (street text, zip int)",
    "CREATE TABLE app.readings (sensor text, day date, ts timestamp, value double, tags set<text>, "
    "home frozen<address>, note text static, PRIMARY KEY ((sensor, day), ts)) "
    "WITH CLUSTERING ORDER BY (ts DESC) AND comment = 'metrics' AND default_time_to_live = 3600",
]
for statement in ddl:
    started = time.monotonic()
    result = session.execute(statement)
    assert result.response_future.is_schema_agreed, statement
    assert time.monotonic() - started < 5, ("schema agreement took too long", statement)

ks = cluster.metadata.keyspaces["app"]
assert ks.replication_strategy.replication_factor == 1
table = ks.tables["readings"]
assert [c.name for c in table.partition_key] == ["sensor", "day"]
assert [c.name for c in table.clustering_key] == ["ts"]
assert table.clustering_key[0].is_reversed
assert table.columns["note"].is_static
assert table.columns["tags"].cql_type == "set<text>"
assert table.columns["home"].cql_type == "frozen<address>"
assert table.options["comment"] == "metrics"
assert table.options["default_time_to_live"] == 3600
assert ks.user_types["address"].field_names == ["street", "zip"]
assert "CREATE TABLE app.readings" in table.export_as_string()

# Error classes map to the driver's exceptions.
try:
    session.execute("CREATE KEYSPACE app WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    raise SystemExit("expected AlreadyExists")
except AlreadyExists as e:
    assert e.keyspace == "app" and not e.table, (e.keyspace, e.table)
for bad, expected in [
    ("SELECT * FORM system.local", SyntaxException),
    ("SELECT * FROM system.nope", InvalidRequest),
    ("DROP KEYSPACE nope", ConfigurationException),
    ("CREATE TABLE app.t (k int)", InvalidRequest),
]:
    try:
        session.execute(bad)
        raise SystemExit("expected an error for " + bad)
    except expected:
        pass

# USE through the driver, and prepared statements with markers on system tables.
session.set_keyspace("app")
prepared = session.prepare("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?")
assert prepared.query_id == session.prepare("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?").query_id
rows = session.execute(prepared, ["app"]).all()
assert [r.table_name for r in rows] == ["readings"], rows
assert session.execute("SELECT count(*) FROM system_schema.columns WHERE keyspace_name = 'app'").one()[0] == 7

# Dropping tears it all down again.
session.execute("DROP TABLE app.readings")
session.execute("DROP TYPE app.address")
session.execute("DROP KEYSPACE app")
assert "app" not in cluster.metadata.keyspaces
cluster.shutdown()

# Forced protocol v4, with and without LZ4.
for compression in (False, True):
    c, s = connect(protocol_version=4, compression=compression)
    assert c.protocol_version == 4
    assert s.execute("SELECT cluster_name FROM system.local").one().cluster_name == "Test Cluster"
    c.shutdown()

# v5 with LZ4 segments.
c, s = connect(protocol_version=5, compression=True)
assert s.execute("SELECT count(*) FROM system_schema.keyspaces").one()[0] >= 5
c.shutdown()
print("OK")
