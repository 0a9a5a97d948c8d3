"""List element operations through the Python driver: set by index (value and null),
delete by index, discard by value, prepared `l[?] = ?`, statics, and Cassandra's
errors for out-of-bound indexes and null lists. Usage: python list_index.py HOST."""
import sys

from cassandra.cluster import Cluster
from cassandra.protocol import InvalidRequest

cluster = Cluster([sys.argv[1]])
session = cluster.connect()
session.execute("CREATE KEYSPACE li WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TABLE li.t (k int, c int, l list<text>, s list<int> static, f frozen<list<int>>, PRIMARY KEY (k, c))")


def lst(k=1, c=1):
    row = session.execute("SELECT l FROM li.t WHERE k = %s AND c = %s", (k, c)).one()
    return None if row is None else row.l


def expect_error(statement, message, params=None):
    try:
        session.execute(statement, params)
    except InvalidRequest as e:
        assert message in str(e), (statement, str(e))
        return
    raise SystemExit("expected an error for " + str(statement))


session.execute("INSERT INTO li.t (k, c, l) VALUES (1, 1, ['a', 'b', 'c', 'd'])")
session.execute("UPDATE li.t SET l[1] = 'B' WHERE k = 1 AND c = 1")
assert lst() == ['a', 'B', 'c', 'd'], lst()
session.execute("UPDATE li.t SET l[0] = 'A', l[3] = 'D' WHERE k = 1 AND c = 1")
assert lst() == ['A', 'B', 'c', 'D'], lst()

session.execute("UPDATE li.t SET l[2] = null WHERE k = 1 AND c = 1")
assert lst() == ['A', 'B', 'D'], lst()

session.execute("DELETE l[0] FROM li.t WHERE k = 1 AND c = 1")
assert lst() == ['B', 'D'], lst()

session.execute("UPDATE li.t SET l = l + ['e', 'B'] WHERE k = 1 AND c = 1")
assert lst() == ['B', 'D', 'e', 'B'], lst()
session.execute("UPDATE li.t SET l = l - ['B', 'zz'] WHERE k = 1 AND c = 1")
assert lst() == ['D', 'e'], lst()

expect_error("UPDATE li.t SET l[2] = 'x' WHERE k = 1 AND c = 1", "List index 2 out of bound, list has size 2")
expect_error("UPDATE li.t SET l[-1] = 'x' WHERE k = 1 AND c = 1", "List index -1 out of bound, list has size 2")
expect_error("DELETE l[5] FROM li.t WHERE k = 1 AND c = 1", "List index 5 out of bound, list has size 2")
assert lst() == ['D', 'e'], lst()

expect_error("UPDATE li.t SET l[0] = 'x' WHERE k = 2 AND c = 1", "Attempted to set an element on a list which is null")
expect_error("DELETE l[0] FROM li.t WHERE k = 2 AND c = 1", "Attempted to delete an element from a list which is null")
session.execute("INSERT INTO li.t (k, c, l) VALUES (3, 1, ['only'])")
session.execute("DELETE l[0] FROM li.t WHERE k = 3 AND c = 1")
assert lst(3) is None, lst(3)
expect_error("UPDATE li.t SET l[0] = 'x' WHERE k = 3 AND c = 1", "Attempted to set an element on a list which is null")
session.execute("UPDATE li.t SET l = l - ['x'] WHERE k = 2 AND c = 1")
expect_error("UPDATE li.t SET f[0] = 1 WHERE k = 1 AND c = 1", "frozen")

set_at = session.prepare("UPDATE li.t SET l[?] = ? WHERE k = ? AND c = ?")
session.execute(set_at, (1, 'E', 1, 1))
assert lst() == ['D', 'E'], lst()
session.execute(set_at, (0, None, 1, 1))
assert lst() == ['E'], lst()
try:
    session.execute(set_at, (4, 'x', 1, 1))
    raise SystemExit("expected an out-of-bound error for the prepared setter")
except InvalidRequest as e:
    assert "List index 4 out of bound, list has size 1" in str(e), str(e)
delete_at = session.prepare("DELETE l[?] FROM li.t WHERE k = ? AND c = ?")
session.execute(delete_at, (0, 1, 1))
assert lst() is None, lst()

session.execute("UPDATE li.t SET s = [10, 20, 30] WHERE k = 5")
session.execute("UPDATE li.t SET s[1] = 21 WHERE k = 5")
session.execute("DELETE s[0] FROM li.t WHERE k = 5")
assert session.execute("SELECT s FROM li.t WHERE k = 5").one().s == [21, 30]

session.execute("INSERT INTO li.t (k, c, l) VALUES (6, 1, ['x', 'y'])")
session.execute("INSERT INTO li.t (k, c, l) VALUES (6, 2, ['p'])")
session.execute("UPDATE li.t SET l[0] = 'z' WHERE k = 6 AND c IN (1, 2)")
assert lst(6, 1) == ['z', 'y'] and lst(6, 2) == ['z'], (lst(6, 1), lst(6, 2))
print("OK")
