"""Counters through the Python driver: increments and decrements, statics, concurrent
increments (none lost), counter batches, restart-free deletes, and Cassandra's errors.
Usage: python counters.py HOST."""
import sys
import threading

from cassandra.cluster import Cluster
from cassandra.protocol import InvalidRequest
from cassandra.query import BatchStatement, BatchType

cluster = Cluster([sys.argv[1]])
session = cluster.connect()
session.execute("CREATE KEYSPACE cn WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TABLE cn.hits (page text, day int, views counter, likes counter, PRIMARY KEY (page, day))")
session.execute("UPDATE cn.hits SET views = views + 3, likes = likes + 1 WHERE page = 'home' AND day = 1")
session.execute("UPDATE cn.hits SET views = views - 1 WHERE page = 'home' AND day = 1")
row = session.execute("SELECT views, likes FROM cn.hits WHERE page = 'home' AND day = 1").one()
assert (row.views, row.likes) == (2, 1), row

incr = session.prepare("UPDATE cn.hits SET views = views + ? WHERE page = ? AND day = ?")
def worker():
    s = cluster.connect()
    for _ in range(200):
        s.execute(incr, (1, "busy", 7))
threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
busy = session.execute("SELECT views FROM cn.hits WHERE page = 'busy' AND day = 7").one().views
assert busy == 800, ("lost increments", busy)

batch = BatchStatement(batch_type=BatchType.COUNTER)
batch.add(incr, (10, "home", 1))
batch.add(incr, (5, "about", 1))
session.execute(batch)
assert session.execute("SELECT views FROM cn.hits WHERE page = 'home' AND day = 1").one().views == 12
assert session.execute("SELECT views FROM cn.hits WHERE page = 'about' AND day = 1").one().views == 5
session.execute("BEGIN COUNTER BATCH UPDATE cn.hits SET likes = likes + 2 WHERE page = 'about' AND day = 1; APPLY BATCH")
assert session.execute("SELECT likes FROM cn.hits WHERE page = 'about' AND day = 1").one().likes == 2

session.execute("DELETE FROM cn.hits WHERE page = 'about' AND day = 1")
assert session.execute("SELECT * FROM cn.hits WHERE page = 'about' AND day = 1").one() is None

for bad, message in [
    ("INSERT INTO cn.hits (page, day, views) VALUES ('x', 1, 1)", "INSERT statements are not allowed on counter tables"),
    ("UPDATE cn.hits SET views = 5 WHERE page = 'x' AND day = 1", "Cannot set the value of counter column views"),
    ("UPDATE cn.hits USING TTL 10 SET views = views + 1 WHERE page = 'x' AND day = 1", "Cannot provide custom TTL"),
    ("BEGIN BATCH UPDATE cn.hits SET views = views + 1 WHERE page = 'x' AND day = 1; APPLY BATCH", "logged batch"),
    ("CREATE TABLE cn.mixed (k int PRIMARY KEY, c counter, v int)", "Cannot mix counter and non counter columns"),
]:
    try:
        session.execute(bad)
        raise SystemExit("expected an error for " + bad)
    except InvalidRequest as e:
        assert message in str(e), (bad, str(e))
print("OK")
