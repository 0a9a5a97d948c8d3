"""LWT workloads through the Python driver, recording histories for the Rust
linearizability checker (tests/src/linearizability, docs/linearizability.md).

Usage:
  python lwt_workload.py setup HOST...                      keyspace lwt (RF 3), tables reg and uniq
  python lwt_workload.py WORKLOAD OUT.json HOST... [--local-serial]

WORKLOAD is `register` or `set`. HOST `fake` (or `fake-stale`) runs against an
in-process store instead of a cluster: linearizable (or serving stale reads),
for testing the recording and the checker end to end without LWTs.

register  keys KEY_BASE..KEY_BASE+K. Each key is seeded first with
          INSERT INTO lwt.reg (k, v) VALUES (?, 0) IF NOT EXISTS (recorded as cas nil -> 0).
          Then C clients each loop on a random key and one of, with equal odds:
            read   SELECT v FROM lwt.reg WHERE k = ?                at SERIAL
            write  UPDATE lwt.reg SET v = ? WHERE k = ? IF EXISTS   (v random 0..4)
            cas    UPDATE lwt.reg SET v = ? WHERE k = ? IF v = ?    (old, new random 0..4)
set       keys KEY_BASE..KEY_BASE+K, C clients each loop on a random key and:
            add       INSERT INTO lwt.uniq (k, x) VALUES (?, ?) IF NOT EXISTS  (2 in 3; x random
                      below ADD_RANGE, so the same element is attempted several times)
            read-set  SELECT x FROM lwt.uniq WHERE k = ?   at SERIAL  (1 in 3)

Conditional writes run at QUORUM (LOCAL_QUORUM with --local-serial) for the commit and SERIAL
(LOCAL_SERIAL) for the Paxos round. The driver never retries (FallthroughRetryPolicy): a retried
CAS would be two operations recorded as one.

Outcomes: a result is `ok` with [applied] and, when a cas is not applied, the current value the
server returned. Any timeout (ReadTimeout, WriteTimeout of any write type, the driver's
OperationTimedOut), replica failure (ReadFailure, WriteFailure), connection loss, NoHostAvailable or
Overloaded is `info` for writes (the write may have happened, or happen later: a Paxos proposal
accepted by one replica can be completed by a later round) and `fail` for reads (a read has no
effect of its own). Unavailable is `fail` for reads and `info` for writes: Cassandra checks live
replicas again before the commit, after a quorum may already have accepted the proposal, so an
Unavailable there does not prove the write absent. Any other error (invalid request, server error)
aborts the run.
After an `info` the client continues as a new process (id + C): a process has one open operation.

Only the given HOSTs coordinate requests (WhiteListRoundRobinPolicy): a LOCAL_SERIAL run names one
DC's nodes. `setup` takes the keyspace's replication from LWT_REPLICATION (default SimpleStrategy
RF 3).

Environment: LWT_OPS (2000), LWT_CLIENTS (8), LWT_KEYS (register 5, set 4), LWT_KEY_BASE (0),
LWT_MIN_SECONDS (0: keep going at least that long, for fault runs), LWT_ADD_RANGE (300), LWT_SEED.
Prints a summary and `OK` last.
"""
import json
import os
import random
import sys
import threading
import time

SERIAL_READ = {
    "register": "SELECT v FROM lwt.reg WHERE k = ?",
    "set": "SELECT x FROM lwt.uniq WHERE k = ?",
}


MISSING = object()  # a not-applied result without the conditioned column


class Info(Exception):
    """The outcome is unknown."""


class Fail(Exception):
    """The operation definitely did not happen."""


class Recorder:
    """Appends events under one lock: list order is real-time order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = []

    def add(self, event):
        with self.lock:
            self.events.append(event)

    def write(self, path):
        with open(path, "w", encoding="utf-8") as out:
            for event in self.events:
                out.write(json.dumps(event) + "\n")


class CassandraBackend:
    """The operations through the Python driver; errors mapped to Info / Fail."""

    def __init__(self, hosts, local_serial):
        from cassandra import ConsistencyLevel as CL
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import FallthroughRetryPolicy, WhiteListRoundRobinPolicy
        from cassandra.query import dict_factory

        self.commit = CL.LOCAL_QUORUM if local_serial else CL.QUORUM
        self.serial = CL.LOCAL_SERIAL if local_serial else CL.SERIAL
        profile = ExecutionProfile(
            # Only the given hosts coordinate (one DC's, for LOCAL_SERIAL runs).
            load_balancing_policy=WhiteListRoundRobinPolicy(hosts),
            retry_policy=FallthroughRetryPolicy(),
            request_timeout=20,
            row_factory=dict_factory,
        )
        self.cluster = Cluster(hosts, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
        self.session = self.cluster.connect()
        prepare = self.session.prepare
        self.statements = {
            "seed": prepare("INSERT INTO lwt.reg (k, v) VALUES (?, ?) IF NOT EXISTS"),
            "write": prepare("UPDATE lwt.reg SET v = ? WHERE k = ? IF EXISTS"),
            "cas": prepare("UPDATE lwt.reg SET v = ? WHERE k = ? IF v = ?"),
            "add": prepare("INSERT INTO lwt.uniq (k, x) VALUES (?, ?) IF NOT EXISTS"),
            "read": prepare(SERIAL_READ["register"]),
            "read-set": prepare(SERIAL_READ["set"]),
        }
        for name, statement in self.statements.items():
            if name.startswith("read"):
                statement.consistency_level = self.serial
            else:
                statement.consistency_level = self.commit
                statement.serial_consistency_level = self.serial

    def run(self, name, values, is_read):
        from cassandra import CoordinationFailure, OperationTimedOut, Timeout, Unavailable
        from cassandra.cluster import NoHostAvailable
        from cassandra.connection import ConnectionException
        from cassandra.protocol import IsBootstrappingErrorMessage, OverloadedErrorMessage

        # Timeouts (ReadTimeout, WriteTimeout of any write type), replica failures
        # (ReadFailure, WriteFailure), the driver's own timeout, lost connections,
        # no host, overload and Unavailable: unknown for a write, no effect for a read.
        unsure = (
            Timeout, CoordinationFailure, OperationTimedOut, NoHostAvailable, ConnectionException,
            Unavailable, OverloadedErrorMessage, IsBootstrappingErrorMessage,
        )
        try:
            return list(self.session.execute(self.statements[name], values))
        except unsure as error:
            raise (Fail if is_read else Info)(repr(error)) from error

    def conditional(self, name, values, column):
        rows = self.run(name, values, is_read=False)
        row = rows[0]
        applied = row["[applied]"]
        return applied, row.get(column, MISSING)

    def read(self, k):
        rows = self.run("read", (k,), is_read=True)
        return rows[0]["v"] if rows else None

    def seed(self, k):
        return self.conditional("seed", (k, 0), "v")

    def write(self, k, v):
        return self.conditional("write", (v, k), "v")

    def cas(self, k, old, new):
        return self.conditional("cas", (new, k, old), "v")

    def add(self, k, x):
        return self.conditional("add", (k, x), "x")

    def read_set(self, k):
        return sorted(row["x"] for row in self.run("read-set", (k,), is_read=True))

    def close(self):
        self.cluster.shutdown()


class FakeBackend:
    """An in-process store: each operation takes effect atomically between
    two random pauses, and some end in a timeout (applied or not). With
    `stale`, reads may return a state from several operations ago."""

    def __init__(self, stale):
        self.lock = threading.Lock()
        self.reg, self.sets, self.past = {}, {}, []
        self.stale = stale

    def _apply(self, change):
        time.sleep(random.random() * 0.002)
        lost = random.random() < 0.02
        with self.lock:
            if lost and random.random() < 0.5:
                raise Info("timed out before taking effect")
            self.past.append((dict(self.reg), {k: set(v) for k, v in self.sets.items()}))
            result = change()
        time.sleep(random.random() * 0.002)
        if lost:
            raise Info("timed out after taking effect")
        return result

    def _view(self):
        if self.stale and len(self.past) > 5 and random.random() < 0.2:
            return self.past[-5]
        return self.reg, self.sets

    def read(self, k):
        return self._apply(lambda: self._view()[0].get(k))

    def read_set(self, k):
        return self._apply(lambda: sorted(self._view()[1].get(k, set())))

    def seed(self, k):
        return self.cas(k, None, 0)

    def write(self, k, v):
        def change():
            if k not in self.reg:
                return False, None
            self.reg[k] = v
            return True, None
        return self._apply(change)

    def cas(self, k, old, new):
        def change():
            current = self.reg.get(k)
            if current != old:
                return False, current
            self.reg[k] = new
            return True, None
        return self._apply(change)

    def add(self, k, x):
        def change():
            members = self.sets.setdefault(k, set())
            if x in members:
                return False, x
            members.add(x)
            return True, None
        return self._apply(change)

    def close(self):
        pass


def perform(backend, recorder, process, k, f, value):
    """Records invoke, runs, records the completion; returns the completion type."""
    invoke = {"process": process, "type": "invoke", "key": k, "f": f, "value": value}
    if f == "write":
        invoke["if_exists"] = True
    recorder.add(invoke)
    done = {"process": process, "key": k, "f": f}
    try:
        if f == "read":
            done["value"] = backend.read(k)
        elif f == "read-set":
            done["value"] = backend.read_set(k)
        else:
            if f == "cas" and value[0] is None:
                applied, current = backend.seed(k)
            elif f == "cas":
                applied, current = backend.cas(k, value[0], value[1])
            elif f == "write":
                applied, current = backend.write(k, value)
            else:
                applied, current = backend.add(k, value)
            done["value"], done["applied"] = value, applied
            if not applied and f == "cas" and current is not MISSING:
                done["current"] = current
        done["type"] = "ok"
    except Info as error:
        done["type"], done["error"] = "info", str(error)
    except Fail as error:
        done["type"], done["error"] = "fail", str(error)
    recorder.add(done)
    return done["type"]


def next_op(workload, rng, keys, add_range):
    k = rng.choice(keys)
    roll = rng.randrange(3)
    if workload == "set":
        return (k, "read-set", None) if roll == 0 else (k, "add", rng.randrange(add_range))
    if roll == 0:
        return k, "read", None
    if roll == 1:
        return k, "write", rng.randrange(5)
    return k, "cas", [rng.randrange(5), rng.randrange(5)]


def run_workload(workload, backend, settings):
    ops, clients, keys, min_seconds, add_range, seed = settings
    recorder = Recorder()
    if workload == "register":
        for i, k in enumerate(keys):
            # A seed that times out is retried as a new process until one is definite.
            process = 1_000_000 + 1_000 * i
            while perform(backend, recorder, process, k, "cas", [None, 0]) != "ok":
                process += 1
                time.sleep(0.5)
    remaining = [ops]
    deadline = time.time() + min_seconds
    counter_lock = threading.Lock()
    counts = {"ok": 0, "info": 0, "fail": 0}

    errors = []

    def client(index):
        try:
            client_loop(index)
        except Exception as error:  # noqa: BLE001 - re-raised by the main thread
            errors.append(error)

    def client_loop(index):
        rng = random.Random(seed * 1_000 + index)
        process = index
        while True:
            with counter_lock:
                if errors or (remaining[0] <= 0 and time.time() >= deadline):
                    return
                remaining[0] -= 1
            k, f, value = next_op(workload, rng, keys, add_range)
            outcome = perform(backend, recorder, process, k, f, value)
            with counter_lock:
                counts[outcome] += 1
            if outcome == "info":
                process += clients
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"a client failed: {errors[0]!r}") from errors[0]
    return recorder, counts


def setup(hosts):
    from cassandra.cluster import Cluster

    cluster = Cluster(hosts)
    session = cluster.connect()
    replication = os.environ.get(
        "LWT_REPLICATION", "{'class': 'SimpleStrategy', 'replication_factor': 3}"
    )
    session.execute(f"CREATE KEYSPACE IF NOT EXISTS lwt WITH replication = {replication}")
    session.execute("CREATE TABLE IF NOT EXISTS lwt.reg (k int PRIMARY KEY, v int)")
    session.execute("CREATE TABLE IF NOT EXISTS lwt.uniq (k int, x int, PRIMARY KEY (k, x))")
    assert cluster.control_connection.wait_for_schema_agreement(wait_time=20), "schema agreement"
    cluster.shutdown()


def main(argv):
    flags = {a for a in argv if a.startswith("--")}
    args = [a for a in argv if not a.startswith("--")]
    if not args:
        sys.exit(__doc__)
    if args[0] == "setup":
        setup(args[1:])
        print("OK")
        return
    workload, out, hosts = args[0], args[1], args[2:]
    if workload not in SERIAL_READ or not hosts:
        sys.exit(__doc__)
    env = os.environ.get
    seed = int(env("LWT_SEED", str(int(time.time()))))
    key_count = int(env("LWT_KEYS", "5" if workload == "register" else "4"))
    base = int(env("LWT_KEY_BASE", "0"))
    settings = (
        int(env("LWT_OPS", "2000")),
        int(env("LWT_CLIENTS", "8")),
        list(range(base, base + key_count)),
        float(env("LWT_MIN_SECONDS", "0")),
        int(env("LWT_ADD_RANGE", "300")),
        seed,
    )
    if hosts[0] in ("fake", "fake-stale"):
        backend = FakeBackend(hosts[0] == "fake-stale")
    else:
        backend = CassandraBackend(hosts, "--local-serial" in flags)
    started = time.time()
    try:
        recorder, counts = run_workload(workload, backend, settings)
    finally:
        backend.close()
    recorder.write(out)
    print(
        f"{workload}: {sum(counts.values())} operations by {settings[1]} clients in "
        f"{time.time() - started:.1f}s (seed {seed}): {counts['ok']} ok, "
        f"{counts['info']} info, {counts['fail']} fail; history in {out}"
    )
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1:])
