"""Writes rows one by one and prints each key once the server acknowledged it.
Usage: python durability_writer.py HOST COUNT. Runs until killed or COUNT writes."""
import sys
from cassandra.cluster import Cluster

host, count = sys.argv[1], int(sys.argv[2])
session = Cluster([host]).connect()
session.execute("CREATE KEYSPACE IF NOT EXISTS dur WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TABLE IF NOT EXISTS dur.acked (k int PRIMARY KEY, v text)")
insert = session.prepare("INSERT INTO dur.acked (k, v) VALUES (?, ?)")
for k in range(count):
    try:
        session.execute(insert, (k, "value-%d" % k))
    except Exception:
        break
    print(k, flush=True)
