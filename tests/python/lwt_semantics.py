"""Lightweight transactions through the Python driver, as Cassandra answers
them. Usage: python lwt_semantics.py PHASE HOST...

  semantics   IF NOT EXISTS / IF EXISTS / IF conditions (=, !=, <, IN, null, map element,
              UDT field), results with [applied] and the current values, conditional batches
              (CQL and protocol), prepared statements with condition markers, SERIAL and
              LOCAL_SERIAL reads, and the errors Cassandra gives for what it refuses
  contention  8 clients increment one value by compare-and-set: the final value equals the
              number of increments applied (no lost update, no double apply)
"""
import sys
import threading

from cassandra import ConsistencyLevel as CL
from cassandra import InvalidRequest, WriteTimeout
from cassandra.cluster import Cluster
from cassandra.query import BatchStatement, SimpleStatement

phase, hosts = sys.argv[1], sys.argv[2:]
cluster = Cluster(hosts[:1])
session = cluster.connect()


def one(query, params=None, serial=None, level=CL.QUORUM):
    statement = SimpleStatement(query, consistency_level=level, serial_consistency_level=serial)
    return session.execute(statement, params)


def applied(result):
    row = result.one()
    return row[0], dict(row._asdict())


def refused(query, needle):
    try:
        one(query)
    except InvalidRequest as error:
        assert needle in str(error), (query, str(error))
        return
    raise AssertionError(f"accepted: {query}")


rf = min(3, len(hosts))
session.execute(
    f"CREATE KEYSPACE IF NOT EXISTS lwt WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': {rf}}}"
)
session.execute("CREATE TYPE IF NOT EXISTS lwt.addr (city text, zip int)")
session.execute(
    "CREATE TABLE IF NOT EXISTS lwt.t (k int, c int, v text, n int, m map<text, int>, a frozen<addr>, "
    "PRIMARY KEY (k, c))"
)
session.execute("CREATE TABLE IF NOT EXISTS lwt.cnt (k int PRIMARY KEY, total counter)")
session.execute("CREATE TABLE IF NOT EXISTS lwt.reg (k int PRIMARY KEY, v int)")
assert cluster.control_connection.wait_for_schema_agreement(wait_time=10)

if phase == "semantics":
    ok, row = applied(one("INSERT INTO lwt.t (k, c, v, n) VALUES (1, 1, 'a', 10) IF NOT EXISTS"))
    assert ok and list(row) == ["applied"], row
    ok, row = applied(one("INSERT INTO lwt.t (k, c, v, n) VALUES (1, 1, 'b', 20) IF NOT EXISTS"))
    assert not ok and row["v"] == "a" and row["n"] == 10 and row["k"] == 1 and row["c"] == 1, row
    assert list(row) == ["applied", "k", "c", "a", "m", "n", "v"], list(row)

    ok, row = applied(one("UPDATE lwt.t SET v = 'c' WHERE k = 1 AND c = 1 IF v = 'a'"))
    assert ok, row
    ok, row = applied(one("UPDATE lwt.t SET v = 'x' WHERE k = 1 AND c = 1 IF v = 'a' AND n = 10"))
    assert not ok and list(row) == ["applied", "v", "n"] and row["v"] == "c" and row["n"] == 10, row
    assert applied(one("UPDATE lwt.t SET n = 11 WHERE k = 1 AND c = 1 IF n < 11"))[0]
    assert not applied(one("UPDATE lwt.t SET n = 12 WHERE k = 1 AND c = 1 IF n != 11"))[0]
    assert applied(one("UPDATE lwt.t SET n = 12 WHERE k = 1 AND c = 1 IF n IN (5, 11)"))[0]
    assert applied(one("UPDATE lwt.t SET m = {'x': 1} WHERE k = 1 AND c = 1 IF m = null"))[0]
    assert applied(one("UPDATE lwt.t SET m['x'] = 2 WHERE k = 1 AND c = 1 IF m['x'] = 1"))[0]
    assert applied(one("UPDATE lwt.t SET a = {city: 'Oslo', zip: 1} WHERE k = 1 AND c = 1 IF EXISTS"))[0]
    ok, row = applied(one("UPDATE lwt.t SET v = 'y' WHERE k = 1 AND c = 1 IF a.city = 'Bergen'"))
    assert not ok and row["a"].city == "Oslo", row
    ok, row = applied(one("UPDATE lwt.t SET v = 'z' WHERE k = 1 AND c = 2 IF EXISTS"))
    assert not ok and list(row) == ["applied"], row
    ok, row = applied(one("UPDATE lwt.t SET v = 'z' WHERE k = 1 AND c = 2 IF v = 'q'"))
    assert not ok and list(row) == ["applied"], "a missing row reports only [applied]"

    # Prepared, with markers in the conditions.
    update = session.prepare("UPDATE lwt.t SET v = ? WHERE k = ? AND c = ? IF n = ?")
    assert [c.name for c in update.column_metadata] == ["v", "k", "c", "n"], update.column_metadata
    assert not session.execute(update, ("p", 1, 1, 99)).one()[0]
    assert session.execute(update, ("p", 1, 1, 12)).one()[0]

    # SERIAL and LOCAL_SERIAL reads see the last applied value.
    for level in (CL.SERIAL, CL.LOCAL_SERIAL):
        got = one("SELECT v FROM lwt.t WHERE k = 1 AND c = 1", level=level).one()
        assert got.v == "p", got
    ok, _ = applied(one("UPDATE lwt.t SET v = 'q' WHERE k = 1 AND c = 1 IF v = 'p'", serial=CL.LOCAL_SERIAL))
    assert ok
    refused_scan = False
    try:
        one("SELECT * FROM lwt.t", level=CL.SERIAL)
    except InvalidRequest as error:
        refused_scan = "one partition at a time" in str(error)
    assert refused_scan

    # Conditional batches on one partition: CQL text and protocol BATCH.
    ok, _ = applied(one(
        "BEGIN BATCH INSERT INTO lwt.t (k, c, v) VALUES (2, 1, 'b1') IF NOT EXISTS; "
        "INSERT INTO lwt.t (k, c, v) VALUES (2, 2, 'b2'); APPLY BATCH"
    ))
    assert ok
    result = one(
        "BEGIN BATCH UPDATE lwt.t SET v = 'n1' WHERE k = 2 AND c = 1 IF v = 'zz'; "
        "UPDATE lwt.t SET v = 'n2' WHERE k = 2 AND c = 2 IF v = 'b2'; APPLY BATCH"
    )
    rows = list(result)
    assert not rows[0][0] and [r.c for r in rows] == [1, 2], rows
    assert list(rows[0]._asdict()) == ["applied", "k", "c", "v"], rows[0]
    batch = BatchStatement(consistency_level=CL.QUORUM)
    batch.add(SimpleStatement("UPDATE lwt.t SET v = 'n1' WHERE k = 2 AND c = 1 IF v = 'b1'"))
    batch.add(SimpleStatement("UPDATE lwt.t SET v = 'n2' WHERE k = 2 AND c = 2"))
    assert session.execute(batch).one()[0]
    got = {r.c: r.v for r in one("SELECT c, v FROM lwt.t WHERE k = 2", level=CL.SERIAL)}
    assert got == {1: "n1", 2: "n2"}, got

    # What Cassandra refuses.
    refused("BEGIN BATCH INSERT INTO lwt.t (k, c) VALUES (3, 1) IF NOT EXISTS; "
            "INSERT INTO lwt.t (k, c) VALUES (4, 1); APPLY BATCH", "multiple partitions")
    refused("INSERT INTO lwt.t (k, c) VALUES (5, 1) IF NOT EXISTS USING TIMESTAMP 5", "custom timestamp")
    refused("UPDATE lwt.cnt SET total = total + 1 WHERE k = 1 IF EXISTS", "counter")
    refused("UPDATE lwt.t SET v = 'a' WHERE k = 1 AND c = 1 IF k = 1", "PRIMARY KEY")
    ok, row = applied(one("DELETE FROM lwt.t WHERE k = 1 AND c = 1 IF EXISTS"))
    assert ok
    assert one("SELECT * FROM lwt.t WHERE k = 1 AND c = 1", level=CL.SERIAL).one() is None

elif phase == "contention":
    one("INSERT INTO lwt.reg (k, v) VALUES (0, 0) IF NOT EXISTS")
    read = session.prepare("SELECT v FROM lwt.reg WHERE k = 0")
    read.consistency_level = CL.SERIAL
    cas = session.prepare("UPDATE lwt.reg SET v = ? WHERE k = 0 IF v = ?")
    cas.consistency_level = CL.QUORUM
    counts = [0] * 8
    unknown = [0]

    def client(n):
        for _ in range(15):
            while True:
                current = session.execute(read).one().v
                try:
                    if session.execute(cas, (current + 1, current)).one()[0]:
                        counts[n] += 1
                        break
                except WriteTimeout:
                    unknown[0] += 1
                    break

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = session.execute(read).one().v
    applied_total = sum(counts)
    assert applied_total <= final <= applied_total + unknown[0], (final, applied_total, unknown[0])
    assert applied_total >= 60, f"too few increments applied: {applied_total}"
    print(f"final {final}, applied {applied_total}, unknown {unknown[0]}")

else:
    raise SystemExit(f"unknown phase {phase}")

cluster.shutdown()
print("OK")
