"""PasswordAuthenticator through the Python driver: the default superuser logs in,
creates roles, a new role logs in, wrong or missing credentials are refused with
Cassandra's errors, a non-superuser is Unauthorized, LIST ROLES/USERS have
Cassandra's shape, and system_auth.roles is readable.
Usage: python auth.py HOST PHASE   (PHASE: setup | after_restart)"""
import sys

from cassandra import AuthenticationFailed, Unauthorized
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, NoHostAvailable
from cassandra.protocol import InvalidRequest

host, phase = sys.argv[1], sys.argv[2]


def connect(user, password):
    provider = PlainTextAuthProvider(username=user, password=password)
    cluster = Cluster([host], auth_provider=provider)
    return cluster, cluster.connect()


def refused(auth_provider, expected):
    cluster = Cluster([host], auth_provider=auth_provider) if auth_provider else Cluster([host])
    try:
        cluster.connect()
    except NoHostAvailable as e:
        errors = list(e.errors.values())
        assert len(errors) == 1, errors
        assert isinstance(errors[0], AuthenticationFailed), repr(errors[0])
        assert expected in str(errors[0]), str(errors[0])
    else:
        raise AssertionError("connected with bad credentials")
    finally:
        cluster.shutdown()


def expect(exc_type, message, session, cql):
    try:
        session.execute(cql)
    except exc_type as e:
        assert message in str(e), str(e)
    else:
        raise AssertionError("no error for " + cql)


if phase == "setup":
    refused(None, "Remote end requires authentication")
    refused(PlainTextAuthProvider(username="cassandra", password="wrong"),
            "Provided username cassandra and/or password are incorrect")
    refused(PlainTextAuthProvider(username="ghost", password="x"),
            "Provided username ghost and/or password are incorrect")

    admin_cluster, admin = connect("cassandra", "cassandra")
    admin.execute("CREATE ROLE alice WITH PASSWORD = 'wonderland' AND LOGIN = true AND SUPERUSER = false")
    admin.execute("CREATE ROLE readers")
    admin.execute("GRANT readers TO alice")
    expect(InvalidRequest, "alice already exists", admin, "CREATE ROLE alice WITH LOGIN = true")
    admin.execute("CREATE ROLE IF NOT EXISTS alice WITH LOGIN = true")

    rows = admin.execute("LIST ROLES")
    assert rows.column_names == ["role", "super", "login", "options", "datacenters"], rows.column_names
    listed = [(r.role, r.super, r.login, r.options, r.datacenters) for r in rows]
    assert listed == [
        ("alice", False, True, {}, "ALL"),
        ("cassandra", True, True, {}, "ALL"),
        ("readers", False, False, {}, "ALL"),
    ], listed
    users = admin.execute("LIST USERS")
    assert users.column_names == ["name", "super", "datacenters"], users.column_names
    assert [(u.name, u.super) for u in users] == [("alice", False), ("cassandra", True)]

    stored = {r.role: r for r in admin.execute("SELECT * FROM system_auth.roles")}
    assert set(stored) == {"alice", "cassandra", "readers"}, stored
    assert stored["alice"].member_of == {"readers"}, stored["alice"]
    assert stored["alice"].salted_hash.startswith("$2a$10$"), stored["alice"].salted_hash
    assert "wonderland" not in stored["alice"].salted_hash
    assert stored["readers"].salted_hash is None
    members = [(m.role, m.member) for m in admin.execute("SELECT * FROM system_auth.role_members")]
    assert members == [("readers", "alice")], members

    alice_cluster, alice = connect("alice", "wonderland")
    expect(Unauthorized, "User alice has no CREATE permission on <all roles> or any of its parents",
           alice, "CREATE ROLE mallory WITH LOGIN = true")
    assert [r.role for r in alice.execute("LIST ROLES")] == ["alice", "readers"]
    alice.execute("ALTER ROLE alice WITH PASSWORD = 'looking-glass'")
    alice_cluster.shutdown()
    refused(PlainTextAuthProvider(username="alice", password="wonderland"),
            "Provided username alice and/or password are incorrect")

    expect(InvalidRequest, "CassandraAuthorizer", admin, "GRANT SELECT ON ALL KEYSPACES TO alice")
    admin.execute("CREATE ROLE temp WITH PASSWORD = 't' AND LOGIN = true")
    admin.execute("DROP ROLE temp")
    expect(InvalidRequest, "temp doesn't exist", admin, "DROP ROLE temp")
    admin_cluster.shutdown()
elif phase == "after_restart":
    refused(PlainTextAuthProvider(username="temp", password="t"),
            "Provided username temp and/or password are incorrect")
    cluster, alice = connect("alice", "looking-glass")
    assert [r.role for r in alice.execute("LIST ROLES")] == ["alice", "readers"]
    cluster.shutdown()
    cluster, admin = connect("cassandra", "cassandra")
    assert [r.role for r in admin.execute("LIST ROLES")] == ["alice", "cassandra", "readers"]
    cluster.shutdown()
else:
    raise SystemExit("unknown phase " + phase)
print("OK")
