"""Consistency levels, hints and paused replicas on a 3-node RF 3 cluster,
judged by the Python driver. Usage: python cluster_consistency.py PHASE HOST...

Phases (the Rust test changes the cluster between them):
  setup      every host seen with its DC and rack; schema agreement; QUORUM writes read back at ALL
  one_down   (third node killed) ALL fails with Unavailable(3 required, 2 alive) once the node is
             convicted; QUORUM reads and writes succeed; writes at ONE for the hints phase
  hints      (third node restarted) reads at ONE pinned to that node see every write it missed
  paused     (second node SIGSTOPped) ALL writes time out with 2 of 3 acknowledgements, QUORUM works
"""
import sys

from cassandra import ConsistencyLevel, ReadTimeout, Unavailable, WriteTimeout
from cluster_common import connect as connect_to, stmt, until

phase, hosts = sys.argv[1], sys.argv[2:]
CL = ConsistencyLevel


def connect(contact, pinned=None):
    """A session whose requests go to `pinned` only (every host when None)."""
    return connect_to(contact, [pinned] if pinned else hosts)


def write(session, k, level):
    session.execute(stmt("INSERT INTO cc.t (k, v) VALUES (%s, %s)", level), (k, f"v{k}"))


def read_all(session, level):
    rows = session.execute(stmt("SELECT k, v FROM cc.t", level))
    return {r.k: r.v for r in rows}


if phase == "setup":
    cluster, session = connect(hosts[0])
    seen = sorted((h.address, h.datacenter, h.rack, h.is_up) for h in cluster.metadata.all_hosts())
    assert seen == sorted((h, "datacenter1", f"rack{i + 1}", True) for i, h in enumerate(hosts)), seen
    session.execute("CREATE KEYSPACE cc WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
    session.execute("CREATE TABLE cc.t (k int PRIMARY KEY, v text)")
    assert cluster.control_connection.wait_for_schema_agreement(wait_time=10), "schema agreement"
    for k in range(200):
        write(session, k, CL.QUORUM)
    assert read_all(session, CL.ALL) == {k: f"v{k}" for k in range(200)}
    # Every node answers for itself: each sees the schema and the data.
    for host in hosts:
        c, s = connect(host, pinned=host)
        got = read_all(s, CL.ONE)
        assert len(got) == 200, (host, len(got))
        c.shutdown()
    cluster.shutdown()

elif phase == "one_down":
    cluster, session = connect(hosts[0], pinned=hosts[0])

    def all_unavailable():
        try:
            write(session, 0, CL.ALL)
        except Unavailable as error:
            return error
        except WriteTimeout:
            return None  # not convicted yet: the dead replica just does not answer
        return None

    error = until("ALL answered Unavailable", all_unavailable, 60)
    assert error.consistency == CL.ALL, error
    assert (error.required_replicas, error.alive_replicas) == (3, 2), error
    try:
        read_all(session, CL.ALL)
        raise AssertionError("ALL read with a node down")
    except Unavailable as error:
        assert (error.required_replicas, error.alive_replicas) == (3, 2), error
    for k in range(200, 300):
        write(session, k, CL.QUORUM)
    for k in range(300, 350):
        write(session, k, CL.ONE)
    got = read_all(session, CL.QUORUM)
    assert got == {k: f"v{k}" for k in range(350)}, len(got)
    one = session.execute(stmt("SELECT v FROM cc.t WHERE k = 250", CL.QUORUM)).one()
    assert one.v == "v250", one
    cluster.shutdown()

elif phase == "hints":
    target = hosts[2]
    cluster, session = connect(target, pinned=target)
    expected = {k: f"v{k}" for k in range(350)}
    until("hints replayed to the restarted node", lambda: read_all(session, CL.ONE) == expected, 60)
    cluster.shutdown()

elif phase == "paused":
    cluster, session = connect(hosts[0], pinned=hosts[0])
    try:
        write(session, 9999, CL.ALL)
        raise AssertionError("ALL write acknowledged with a replica paused")
    except WriteTimeout as error:
        assert error.consistency == CL.ALL, error
        assert (error.received_responses, error.required_responses) == (2, 3), error
        assert error.write_type == 0 or str(error.write_type).endswith("SIMPLE"), error.write_type
    try:
        session.execute(stmt("SELECT v FROM cc.t WHERE k = 1", CL.ALL))
        raise AssertionError("ALL read answered with a replica paused")
    except ReadTimeout as error:
        assert (error.received_responses, error.required_responses) == (2, 3), error
    write(session, 10000, CL.QUORUM)
    assert session.execute(stmt("SELECT v FROM cc.t WHERE k = 10000", CL.QUORUM)).one().v == "v10000"
    cluster.shutdown()

else:
    raise SystemExit(f"unknown phase {phase}")

print("OK")
