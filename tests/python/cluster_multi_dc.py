"""Two data centers of three nodes, NetworkTopologyStrategy {dc1: 3, dc2: 3},
judged by the Python driver. Usage: python cluster_multi_dc.py PHASE HOST...
(hosts 1-3 in dc1, 4-6 in dc2).

  setup        every host seen in its DC; EACH_QUORUM writes read back in dc2 at LOCAL_QUORUM
  partitioned  (dc1 and dc2 cut apart by message filters) once convicted: LOCAL_QUORUM and
               LOCAL_ONE work in dc1; EACH_QUORUM and QUORUM are Unavailable as in Cassandra
  healed       (filters cleared) EACH_QUORUM works again and dc2 gets the writes it missed
  local_serial LWTs at LOCAL_SERIAL through dc1 reach dc2's replicas too (the commit goes to
               every replica, as in Cassandra): dc2 reads them at LOCAL_QUORUM
"""
import sys

from cassandra import ConsistencyLevel as CL
from cassandra import Unavailable, WriteTimeout
from cassandra.query import SimpleStatement

from cluster_common import connect, stmt, until

phase, hosts = sys.argv[1], sys.argv[2:]
dc1, dc2 = hosts[:3], hosts[3:]


def write(session, k, level):
    session.execute(stmt("INSERT INTO md.t (k, v) VALUES (%s, %s)", level), (k, f"v{k}"))


def rows(session, level):
    return {r.k: r.v for r in session.execute(stmt("SELECT k, v FROM md.t", level))}


if phase == "setup":
    cluster, session = connect(dc1[0], [dc1[0]])
    seen = sorted((h.address, h.datacenter) for h in cluster.metadata.all_hosts())
    assert seen == sorted([(h, "dc1") for h in dc1] + [(h, "dc2") for h in dc2]), seen
    session.execute("CREATE KEYSPACE md WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}")
    session.execute("CREATE TABLE md.t (k int PRIMARY KEY, v text)")
    assert cluster.control_connection.wait_for_schema_agreement(wait_time=10), "schema agreement"
    for k in range(100):
        write(session, k, CL.EACH_QUORUM)
    cluster.shutdown()
    cluster, session = connect(dc2[0], [dc2[0]])
    assert rows(session, CL.LOCAL_QUORUM) == {k: f"v{k}" for k in range(100)}
    cluster.shutdown()

elif phase == "partitioned":
    cluster, session = connect(dc1[0], [dc1[0]])

    def each_quorum_unavailable():
        try:
            write(session, 0, CL.EACH_QUORUM)
        except Unavailable as error:
            # dc2's nodes are convicted one by one: wait until all three are.
            return error if error.alive_replicas == 0 else None
        except WriteTimeout:
            return None
        return None

    error = until("EACH_QUORUM Unavailable with all of dc2 down", each_quorum_unavailable, 60)
    assert (error.required_replicas, error.alive_replicas) == (2, 0), error
    try:
        write(session, 0, CL.QUORUM)
        raise AssertionError("QUORUM write with half the replicas cut off")
    except Unavailable as error:
        assert (error.required_replicas, error.alive_replicas) == (4, 3), error
    for k in range(100, 150):
        write(session, k, CL.LOCAL_QUORUM)
    write(session, 150, CL.LOCAL_ONE)
    got = rows(session, CL.LOCAL_QUORUM)
    assert got == {k: f"v{k}" for k in range(151)}, len(got)
    cluster.shutdown()

elif phase == "healed":
    cluster, session = connect(dc1[0], [dc1[0]])
    until("EACH_QUORUM works again", lambda: write(session, 151, CL.EACH_QUORUM) is None, 60)
    cluster.shutdown()
    cluster, session = connect(dc2[0], [dc2[0]])
    expected = {k: f"v{k}" for k in range(152)}
    until("dc2 has the writes it missed", lambda: rows(session, CL.LOCAL_QUORUM) == expected, 60)
    cluster.shutdown()

elif phase == "local_serial":
    cluster, session = connect(dc1[0], [dc1[0]])
    session.execute("CREATE TABLE md.lwt (k int PRIMARY KEY, v text)")
    assert cluster.control_connection.wait_for_schema_agreement(wait_time=10), "schema agreement"
    insert = SimpleStatement(
        "INSERT INTO md.lwt (k, v) VALUES (%s, %s) IF NOT EXISTS",
        consistency_level=CL.LOCAL_QUORUM,
        serial_consistency_level=CL.LOCAL_SERIAL,
    )
    for k in range(20):
        assert session.execute(insert, (k, f"v{k}")).one()[0] is True, k
    cluster.shutdown()
    cluster, session = connect(dc2[0], [dc2[0]])
    expected = {k: f"v{k}" for k in range(20)}

    def dc2_rows():
        return {r.k: r.v for r in session.execute(stmt("SELECT k, v FROM md.lwt", CL.LOCAL_QUORUM))}

    until("dc2's replicas have the LOCAL_SERIAL writes", lambda: dc2_rows() == expected, 10)
    cluster.shutdown()

else:
    raise SystemExit(f"unknown phase {phase}")

print("OK")
