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

#[test]
fn hostile_nesting_errors_cleanly() {
    for (open, close) in [("[", "]"), ("(", ")"), ("{", "}")] {
        let q = format!(
            "SELECT * FROM t WHERE k = {}1{}",
            open.repeat(100_000),
            close.repeat(100_000)
        );
        let e = parse(&q).unwrap_err();
        assert!(e.message.contains("nesting deeper than 64"), "{e}");
    }
    let q = format!(
        "SELECT {}a{} FROM t",
        "f(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(parse(&q).unwrap_err().message.contains("nesting"));
    let q = format!(
        "CREATE TABLE t (k {}int{} PRIMARY KEY)",
        "frozen<".repeat(100_000),
        ">".repeat(100_000)
    );
    assert!(parse(&q).unwrap_err().message.contains("nesting"));
    // 64 levels are fine.
    let q = format!(
        "SELECT * FROM t WHERE k = {}1{}",
        "[".repeat(60),
        "]".repeat(60)
    );
    assert!(parse(&q).is_ok());
}

#[test]
fn oversized_statements_are_refused_before_parsing() {
    let q = format!(
        "SELECT * FROM t WHERE k = '{}'",
        "x".repeat(2 * 1024 * 1024)
    );
    let e = parse(&q).unwrap_err();
    assert!(e.message.contains("larger than the limit"), "{e}");
    assert_eq!((e.line, e.column), (1, 0));
    assert_eq!(
        e.to_string(),
        "line 1:0 statement of 2097180 bytes is larger than the limit of 1048576 bytes"
    );
    // Just under the limit parses.
    let q = format!("SELECT * FROM t WHERE k = '{}'", "x".repeat(1000 * 1000));
    assert!(parse(&q).is_ok());
}

#[test]
fn bind_markers_are_numbered_in_order() {
    use sibyl_protocol::cql::ast::{InValues, Relation, Statement, Term};
    let stmt = parse("SELECT * FROM t WHERE a = ? AND b IN ? AND c = :c AND d IN (?, :c) LIMIT ?")
        .unwrap();
    assert_eq!(stmt.bind_marker_count(), 6);
    let Statement::Select(s) = stmt else { panic!() };
    let idx = |t: &Term| match t {
        Term::Bind(m) => m.index,
        other => panic!("{other:?}"),
    };
    let Relation::Compare { rhs, .. } = &s.where_clause[0] else {
        panic!()
    };
    assert_eq!(idx(rhs), 0);
    let Relation::In {
        values: InValues::Marker(m),
        ..
    } = &s.where_clause[1]
    else {
        panic!()
    };
    assert_eq!(m.index, 1);
    let Relation::In {
        values: InValues::List(items),
        ..
    } = &s.where_clause[3]
    else {
        panic!()
    };
    assert_eq!((idx(&items[0]), idx(&items[1])), (3, 4));
    assert_eq!(idx(s.limit.as_ref().unwrap()), 5);
    let upd = parse("UPDATE t USING TTL ? SET v = ?, m[?] = ? WHERE k = ? IF v = ?").unwrap();
    assert_eq!(upd.bind_marker_count(), 6);
}

#[test]
fn identifiers_fold_and_quote_like_cassandra() {
    use sibyl_protocol::cql::ast::{Selection, SelectorExpr, Statement};
    let Statement::Select(s) = parse(r#"SELECT MyCol, "MyCol", "a""b", KEY FROM Ks.Tab"#).unwrap()
    else {
        panic!()
    };
    let Selection::List(list) = &s.selection else {
        panic!()
    };
    let names: Vec<String> = list
        .iter()
        .map(|sel| match &sel.expr {
            SelectorExpr::Column(c) => c.as_str().to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["mycol", "MyCol", "a\"b", "key"]);
    assert_eq!(s.table.to_string(), "ks.tab");
    assert_eq!(
        parse(r#"SELECT "MyCol" FROM t"#).unwrap().to_string(),
        r#"SELECT "MyCol" FROM t"#
    );
}

#[test]
fn errors_render_like_cassandra() {
    let e = parse("SELECT * FROM t WHERE k = 'oops").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1:31 mismatched character '<EOF>' expecting '''"
    );
    let e = parse("INSERT INTO t (k) VALUE (1)").unwrap_err();
    assert_eq!(e.found, "VALUE");
    assert_eq!(e.expected, ["K_VALUES"]);
    let e = parse("select *\nfrom t\nwhere k = 1 garbage").unwrap_err();
    assert_eq!((e.line, e.column), (3, 12));
    let e = parse_many("USE ks;\nSELECT * FROM t;\nSELECT FROM t;").unwrap_err();
    assert_eq!((e.line, e.column), (3, 7));
}

#[test]
fn trailing_semicolons_and_empty_input() {
    assert!(parse("SELECT * FROM t;;  ;").is_ok());
    let e = parse("").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1:0 no viable alternative at input '<EOF>'"
    );
    assert!(parse_many(" ; -- nothing\n").unwrap().is_empty());
}

fn where_value(literal: &str) -> sibyl_protocol::cql::ast::Term {
    use sibyl_protocol::cql::ast::{Relation, Statement};
    let q = format!("SELECT * FROM t WHERE a = {literal}");
    let Statement::Select(s) = parse(&q).unwrap_or_else(|e| panic!("{q}: {e}")) else {
        panic!()
    };
    let Relation::Compare { rhs, .. } = &s.where_clause[0] else {
        panic!()
    };
    rhs.clone()
}

#[test]
fn literals_are_read_as_cassandra_lexes_them() {
    use sibyl_protocol::cql::ast::Term;
    let cases: Vec<(&str, Term)> = vec![
        ("42", Term::Integer("42".into())),
        ("-42", Term::Integer("-42".into())),
        (
            "123456789012345678901234567890",
            Term::Integer("123456789012345678901234567890".into()),
        ),
        ("1.5", Term::Float("1.5".into())),
        ("1.", Term::Float("1.".into())),
        ("-2.5E-3", Term::Float("-2.5E-3".into())),
        ("1e10", Term::Float("1e10".into())),
        ("nan", Term::Float("NaN".into())),
        ("-Infinity", Term::Float("-Infinity".into())),
        ("TRUE", Term::Bool(true)),
        ("null", Term::Null),
        ("'it''s'", Term::Str("it's".into())),
        ("$$it's$$", Term::Str("it's".into())),
        ("0xCAFE", Term::Blob("cafe".into())),
        ("0x", Term::Blob(String::new())),
        (
            "ABCDEF01-2345-6789-abcd-ef0123456789",
            Term::Uuid("abcdef01-2345-6789-abcd-ef0123456789".into()),
        ),
        ("1h30m", Term::Duration("1h30m".into())),
        ("-3d", Term::Duration("-3d".into())),
        ("1mo2us3µs4ns", Term::Duration("1mo2us3µs4ns".into())),
        ("P1Y2M3DT4H5M6S", Term::Duration("P1Y2M3DT4H5M6S".into())),
        ("P3W", Term::Duration("P3W".into())),
        (
            "P0001-02-03T04:05:06",
            Term::Duration("P0001-02-03T04:05:06".into()),
        ),
    ];
    for (literal, want) in cases {
        assert_eq!(where_value(literal), want, "{literal}");
    }
    // Fractions are not ISO designators Cassandra's lexer knows.
    assert!(parse("SELECT * FROM t WHERE a = PT0.5S").is_err());
}

fn mixed_nesting(levels: usize) -> String {
    let mut term = String::from("1");
    for level in 0..levels {
        term = match level % 5 {
            0 => format!("[{term}]"),
            1 => format!("{{{term}}}"),
            2 => format!("f({term})"),
            3 => format!("({term}, 2)"),
            _ => format!("{{k: {term}}}"),
        };
    }
    term
}

#[test]
fn depth_ceiling_fits_a_tokio_worker_stack() {
    // Servers parse on 2 MiB tokio worker threads; at the ceiling a debug
    // build needs about half of that.
    use sibyl_protocol::cql::{ParseLimits, limits, parse_with};
    let q = format!(
        "SELECT * FROM t WHERE a = {}",
        mixed_nesting(limits::MAX_DEPTH_CEILING)
    );
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let most = ParseLimits {
                max_statement_bytes: 1 << 20,
                max_depth: usize::MAX,
            };
            parse_with(&q, &most).map(|_| ()).map_err(|e| e.to_string())
        })
        .unwrap();
    assert_eq!(handle.join().unwrap(), Ok(()));
}

#[test]
fn large_flat_statements_parse_in_linear_time() {
    let items: Vec<String> = (0..100_000).map(|n| n.to_string()).collect();
    let q = format!("INSERT INTO t (k, v) VALUES (1, [{}])", items.join(", "));
    assert!(q.len() < 1024 * 1024);
    let started = std::time::Instant::now();
    let stmt = parse(&q).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(parse(&stmt.to_string()).unwrap(), stmt);
    let relations: Vec<String> = (0..20_000).map(|n| format!("c{n} = ?")).collect();
    let q = format!("SELECT * FROM t WHERE {}", relations.join(" AND "));
    assert_eq!(parse(&q).unwrap().bind_marker_count(), 20_000);
    eprintln!("100k-element list parsed in {elapsed:?}");
}

#[test]
fn limits_are_configurable() {
    use sibyl_protocol::cql::{ParseLimits, parse_with};
    let tight = ParseLimits {
        max_statement_bytes: 40,
        max_depth: 2,
    };
    assert!(parse_with("SELECT * FROM t WHERE k = [[1]]", &tight).is_ok());
    let e = parse_with("SELECT * FROM t WHERE k = [[[1]]]", &tight).unwrap_err();
    assert_eq!(e.message, "nesting deeper than 2 levels");
    let e = parse_with("SELECT * FROM t WHERE k = 'a long string value'", &tight).unwrap_err();
    assert!(
        e.message.contains("larger than the limit of 40 bytes"),
        "{e}"
    );
    // The depth ceiling protects the stack whatever the configuration.
    let loose = ParseLimits {
        max_statement_bytes: 1 << 20,
        max_depth: usize::MAX,
    };
    let q = format!(
        "SELECT * FROM t WHERE k = {}1{}",
        "[".repeat(1000),
        "]".repeat(1000)
    );
    assert_eq!(
        parse_with(&q, &loose).unwrap_err().message,
        "nesting deeper than 64 levels"
    );
}

#[test]
fn arithmetic_follows_cassandra_precedence() {
    use sibyl_protocol::cql::ast::{Assignment, BinaryOp, Statement, Term};
    let int = |n: &str| Box::new(Term::Integer(n.into()));
    let op = |op, lhs, rhs| Term::Operation { op, lhs, rhs };
    assert_eq!(
        where_value("1 + 2 * 3 - 4"),
        op(
            BinaryOp::Sub,
            Box::new(op(
                BinaryOp::Add,
                int("1"),
                Box::new(op(BinaryOp::Mul, int("2"), int("3")))
            )),
            int("4")
        )
    );
    assert_eq!(where_value("- 5"), Term::Negate(int("5")));
    assert_eq!(where_value("-5"), Term::Integer("-5".into()));
    // A `+` whose right side is not a term belongs to the assignment.
    let Statement::Update(u) = parse("UPDATE t SET l = [1] + l WHERE k = 1").unwrap() else {
        panic!()
    };
    assert!(matches!(u.assignments[0], Assignment::Prepend { .. }));
    let Statement::Update(u) = parse("UPDATE t SET c = c + 1 + 2 WHERE k = 1").unwrap() else {
        panic!()
    };
    assert!(matches!(
        &u.assignments[0],
        Assignment::Arith {
            value: Term::Operation { .. },
            ..
        }
    ));
    // Long chains count towards the nesting limit, so the AST stays shallow.
    let q = format!("SELECT * FROM t WHERE k = 1{}", " + 1".repeat(10_000));
    assert!(parse(&q).unwrap_err().message.contains("nesting"));
}
