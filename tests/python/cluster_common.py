"""Helpers shared by the cluster test scripts (imported from beside them)."""
import json
import time
import urllib.request

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import FallthroughRetryPolicy, WhiteListRoundRobinPolicy
from cassandra.query import SimpleStatement


def connect(contact, allowed):
    """A session whose requests go only to `allowed` hosts, errors unretried."""
    profile = ExecutionProfile(
        load_balancing_policy=WhiteListRoundRobinPolicy(allowed),
        request_timeout=30,
        retry_policy=FallthroughRetryPolicy(),
    )
    cluster = Cluster([contact], execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    return cluster, cluster.connect()


def stmt(query, level):
    return SimpleStatement(query, consistency_level=level)


def until(what, check, seconds):
    """Polls `check` until it returns something true; fails after `seconds`."""
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 - reported on timeout
            last = error
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached in {seconds}s (last error: {last!r})")


def set_faults(host, rules):
    """Replaces a node's message filter rules through its admin port."""
    body = json.dumps({"rules": rules}).encode()
    request = urllib.request.Request(
        f"http://{host}:9180/admin/faults", data=body, method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200, response.status


def metric(host, name):
    """Sum of a Prometheus counter (all label sets) on a node."""
    with urllib.request.urlopen(f"http://{host}:9180/metrics", timeout=5) as response:
        text = response.read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith(name):
            total += int(float(line.rsplit(" ", 1)[1]))
    return total
