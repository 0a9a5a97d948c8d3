//! Quick checks of representative statements (the corpus test covers more).

use sibyl_protocol::cql::{parse, parse_many};

#[test]
fn smoke() {
    for q in [
        "SELECT * FROM system.local WHERE key='local'",
        "select peer, data_center, host_id, rpc_address FROM system.peers;",
        "SELECT a, count(*) AS n, writetime(b), CAST(c AS text) FROM ks.t WHERE a IN (1, 2) AND (b, c) > (1, 'x') AND token(a) > -123 GROUP BY a ORDER BY b DESC PER PARTITION LIMIT 2 LIMIT ? ALLOW FILTERING",
        "INSERT INTO t (a, b) VALUES (?, :x) IF NOT EXISTS USING TTL 10 AND TIMESTAMP 5",
        "UPDATE t USING TTL 5 SET l = l + [1], l = [0] + l, s = s - {'a'}, m['k'] = 'v', u.f = 3, c = c + 1 WHERE k = 1 IF m['k'] = 'v' AND u.f > 3",
        "DELETE m['k'], u.f FROM t USING TIMESTAMP 1 WHERE k = 1 AND c >= 2 AND c < 5 IF EXISTS",
        "BEGIN UNLOGGED BATCH USING TIMESTAMP 1 INSERT INTO t (a) VALUES (1); UPDATE t SET b = 2 WHERE a = 1; APPLY BATCH",
        "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3} AND durable_writes = true",
        "CREATE TABLE ks.t (a int, b text, c timeuuid, s int STATIC, m map<text, frozen<list<int>>>, PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC) AND compaction = {'class': 'TimeWindowCompactionStrategy'} AND default_time_to_live = 3600",
        "CREATE TYPE ks.addr (street text, zip int)",
        "CREATE INDEX IF NOT EXISTS idx ON t (KEYS(m))",
        "CREATE CUSTOM INDEX ON t (v) USING 'StorageAttachedIndex'",
        "CREATE ROLE alice WITH PASSWORD = 'x' AND LOGIN = true AND SUPERUSER = false",
        "GRANT SELECT ON KEYSPACE ks TO alice",
        "GRANT r1 TO alice",
        "LIST ROLES",
        "LIST ALL PERMISSIONS OF alice",
        "DESCRIBE KEYSPACES",
        "DESC TABLE ks.t",
        "DESCRIBE ONLY KEYSPACE ks WITH INTERNALS",
        "desc ks.t",
        "SELECT key, type, ttl, count, values, filtering FROM t",
        "INSERT INTO t JSON '{\"a\": 1}' DEFAULT UNSET",
        "SELECT * FROM t WHERE a = 1h30m AND b = P1DT2H AND c = 0xdeadbeef AND d = 123e4567-e89b-12d3-a456-426614174000 AND e = NaN AND f = -Infinity AND g = (int) ?",
    ] {
        let stmt = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let text = stmt.to_string();
        let again = parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(again, stmt, "{text}");
    }
    assert_eq!(parse_many("USE ks; SELECT * FROM t;; ").unwrap().len(), 2);
}

#[test]
fn errors() {
    let e = parse("SELECT * FORM t").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT * [FORM] t)"
    );
}
