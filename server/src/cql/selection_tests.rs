use sibyl_protocol::cql::ast::Statement;
use sibyl_protocol::cql::parse;
use sibyl_protocol::types::Value;
use sibyl_protocol::value::{CqlType, CqlValue, encode_to_vec};

use crate::cql::markers::select_markers;
use crate::cql::result::ResultSet;
use crate::cql::select::{Row, execute, result_columns};
use crate::cql::terms::BindContext;
use crate::error::RequestError;
use crate::schema::{TableDefinition, TableMetadata};

fn table() -> TableMetadata {
    let def = TableDefinition {
        columns: vec![
            ("k".into(), CqlType::Int, false),
            ("c".into(), CqlType::Int, false),
            ("v".into(), CqlType::Int, false),
            (
                "m".into(),
                CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int)),
                false,
            ),
            ("s".into(), CqlType::Set(Box::new(CqlType::Int)), false),
            ("l".into(), CqlType::List(Box::new(CqlType::Int)), false),
        ],
        partition_key: vec!["k".into()],
        clustering: vec!["c".into()],
        ..Default::default()
    };
    TableMetadata::create("ks", "t", uuid::Uuid::from_u128(7), def).unwrap()
}

fn text(s: &str) -> CqlValue {
    CqlValue::Text(s.into())
}

/// A row (k, c, v, l, m, s in the table's column order) with write time `ts`.
fn row(table: &TableMetadata, k: i32, c: i32, v: Option<i32>, ts: i64) -> Row {
    let mut row: Row = table
        .columns
        .iter()
        .map(|col| match col.name.as_str() {
            "k" => Some(CqlValue::Int(k)),
            "c" => Some(CqlValue::Int(c)),
            "v" => v.map(CqlValue::Int),
            "m" => Some(CqlValue::Map(vec![
                (text("a"), CqlValue::Int(c)),
                (text("b"), CqlValue::Int(10 * c)),
            ])),
            "s" => Some(CqlValue::Set((1..=6).map(CqlValue::Int).collect())),
            _ => None,
        })
        .collect();
    for _ in 0..table.columns.len() {
        row.push(Some(CqlValue::Bigint(ts)));
        row.push(None);
    }
    row
}

fn rows(table: &TableMetadata) -> Vec<Row> {
    vec![
        row(table, 1, 1, Some(5), 100),
        row(table, 1, 2, Some(7), 300),
        row(table, 2, 1, None, 200),
    ]
}

fn run_with(cql: &str, values: &[Value]) -> Result<ResultSet, RequestError> {
    let Statement::Select(select) = parse(cql).unwrap() else {
        panic!("not a select")
    };
    let table = table();
    static MAKE: fn(i64) -> uuid::Uuid = |us| {
        let ts =
            uuid::Timestamp::from_unix(uuid::NoContext, u64::try_from(us / 1_000_000).unwrap(), 0);
        uuid::Uuid::new_v1(ts, &[1, 2, 3, 4, 5, 6])
    };
    let ctx = BindContext {
        values,
        now_us: 86_400_000_000 + 5_000,
        timeuuid: &MAKE,
    };
    execute(&table, &select, rows(&table), &ctx)
}

fn run(cql: &str) -> Result<ResultSet, RequestError> {
    run_with(cql, &[])
}

fn names(result: &ResultSet) -> Vec<(String, CqlType)> {
    result
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.ty.clone()))
        .collect()
}

#[test]
fn elements_and_slices_are_named_typed_and_null_when_missing() {
    let r =
        run("SELECT m['b'], m['zz'], s[5], s[9], s[2..4], m['b'..], s[..1] FROM ks.t WHERE k = 1")
            .unwrap();
    let map = CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int));
    let set = CqlType::Set(Box::new(CqlType::Int));
    assert_eq!(
        names(&r),
        vec![
            ("m['b']".into(), CqlType::Int),
            ("m['zz']".into(), CqlType::Int),
            ("s[5]".into(), CqlType::Int),
            ("s[9]".into(), CqlType::Int),
            ("s[2..4]".into(), set.clone()),
            ("m['b'..]".into(), map),
            ("s[..1]".into(), set),
        ]
    );
    let first = r.rows.first().unwrap();
    assert_eq!(first[0], Some(CqlValue::Int(10)));
    assert_eq!(first[1], None);
    assert_eq!(first[2], Some(CqlValue::Int(5)));
    assert_eq!(first[3], None);
    assert_eq!(
        first[4],
        Some(CqlValue::Set((2..=4).map(CqlValue::Int).collect()))
    );
    assert_eq!(
        first[5],
        Some(CqlValue::Map(vec![(text("b"), CqlValue::Int(10))]))
    );
    assert_eq!(first[6], Some(CqlValue::Set(vec![CqlValue::Int(1)])));
}

#[test]
fn lists_and_non_collections_are_refused_as_cassandra_refuses_them() {
    let err = |cql: &str| run(cql).unwrap_err().to_string();
    assert_eq!(
        err("SELECT l[0] FROM ks.t"),
        "Element selection is only allowed on sets and maps, but l is a list"
    );
    assert_eq!(
        err("SELECT l[0..1] FROM ks.t"),
        "Slice selection is only allowed on sets and maps, but l is a list"
    );
    assert_eq!(
        err("SELECT v[0] FROM ks.t"),
        "Invalid element selection: v is of type int is not a collection"
    );
    assert!(err("SELECT m[1] FROM ks.t").contains("text"));
}

#[test]
fn bound_keys_are_typed_in_prepare_and_null_is_refused() {
    let Statement::Select(select) = parse("SELECT m[?], s[?..?] FROM ks.t WHERE k = ?").unwrap()
    else {
        panic!()
    };
    let table = table();
    let markers = select_markers(&table, &select, 4).unwrap();
    let specs: Vec<(String, CqlType)> = markers
        .specs
        .iter()
        .map(|s| (s.name.clone(), s.ty.clone()))
        .collect();
    assert_eq!(
        specs,
        vec![
            ("key(m)".into(), CqlType::Text),
            ("value(s)".into(), CqlType::Int),
            ("value(s)".into(), CqlType::Int),
            ("k".into(), CqlType::Int),
        ]
    );
    let columns = result_columns(&table, &select).unwrap();
    assert_eq!(columns[0].name, "m[?]");
    assert_eq!(columns[1].name, "s[?..?]");
    let bytes = |v: CqlValue, ty: CqlType| Value::Bytes(encode_to_vec(&v, &ty).unwrap().into());
    let values = [
        bytes(text("a"), CqlType::Text),
        bytes(CqlValue::Int(5), CqlType::Int),
        bytes(CqlValue::Int(9), CqlType::Int),
        bytes(CqlValue::Int(1), CqlType::Int),
    ];
    let r = run_with("SELECT m[?], s[?..?] FROM ks.t WHERE k = ?", &values).unwrap();
    assert_eq!(
        r.rows.first().unwrap(),
        &vec![
            Some(CqlValue::Int(1)),
            Some(CqlValue::Set(vec![CqlValue::Int(5), CqlValue::Int(6)]))
        ]
    );
    let null = [
        Value::Null,
        values[1].clone(),
        values[2].clone(),
        values[3].clone(),
    ];
    assert_eq!(
        run_with("SELECT m[?], s[?..?] FROM ks.t WHERE k = ?", &null)
            .unwrap_err()
            .to_string(),
        "Invalid null value for element selection on m"
    );
}

#[test]
fn aggregates_take_functions_and_keep_their_argument_type() {
    let r = run("SELECT max(writetime(v)), sum(cast(v as bigint)), count(v), avg(v), min(token(k)), count(*) FROM ks.t").unwrap();
    assert_eq!(
        names(&r),
        vec![
            ("system.max(writetime(v))".into(), CqlType::Bigint),
            ("system.sum(cast(v as bigint))".into(), CqlType::Bigint),
            ("system.count(v)".into(), CqlType::Bigint),
            ("system.avg(v)".into(), CqlType::Int),
            ("system.min(system.token(k))".into(), CqlType::Bigint),
            ("count".into(), CqlType::Bigint),
        ]
    );
    let only = r.rows.first().unwrap();
    assert_eq!(only[0], Some(CqlValue::Bigint(300)));
    assert_eq!(only[1], Some(CqlValue::Bigint(12)));
    assert_eq!(only[2], Some(CqlValue::Bigint(2)));
    assert_eq!(only[3], Some(CqlValue::Int(6)));
    assert!(matches!(only[4], Some(CqlValue::Bigint(_))));
    assert_eq!(only[5], Some(CqlValue::Bigint(3)));
    let grouped =
        run("SELECT k, max(m['b']), sum(s[3]), cast(count(*) as int) FROM ks.t GROUP BY k")
            .unwrap();
    assert_eq!(
        grouped.rows,
        vec![
            vec![
                Some(CqlValue::Int(1)),
                Some(CqlValue::Int(20)),
                Some(CqlValue::Int(6)),
                Some(CqlValue::Int(2))
            ],
            vec![
                Some(CqlValue::Int(2)),
                Some(CqlValue::Int(10)),
                Some(CqlValue::Int(3)),
                Some(CqlValue::Int(1))
            ],
        ]
    );
    assert!(run("SELECT max(count(*)) FROM ks.t").is_err());
    let err = run("SELECT sum(m) FROM ks.t").unwrap_err().to_string();
    assert!(
        err.starts_with("Invalid call to function sum, none of its type signatures match (known type signatures: system.sum : (tinyint) -> tinyint, "),
        "{err}"
    );
}

#[test]
fn averages_do_not_overflow_and_empty_input_gives_zero() {
    use crate::cql::aggregate::Aggregate;
    let (avg, ty) = Aggregate::resolve("avg", &CqlType::Int).unwrap();
    assert_eq!(ty, CqlType::Int);
    let big = [CqlValue::Int(i32::MAX), CqlValue::Int(i32::MAX)];
    assert_eq!(avg.compute(big.into_iter()), Some(CqlValue::Int(i32::MAX)));
    assert_eq!(avg.compute(std::iter::empty()), Some(CqlValue::Int(0)));
    let (max, ty) = Aggregate::resolve("max", &CqlType::Counter).unwrap();
    assert_eq!(ty, CqlType::Bigint);
    assert_eq!(
        max.compute([CqlValue::Counter(3)].into_iter()),
        Some(CqlValue::Bigint(3))
    );
}

#[test]
fn now_functions_give_the_request_time_per_row() {
    let r = run("SELECT now(), currentTimestamp(), currentDate(), currentTime(), currentTimeUUID() FROM ks.t").unwrap();
    assert_eq!(
        names(&r),
        vec![
            ("system.now()".into(), CqlType::Timeuuid),
            ("system.currenttimestamp()".into(), CqlType::Timestamp),
            ("system.currentdate()".into(), CqlType::Date),
            ("system.currenttime()".into(), CqlType::Time),
            ("system.currenttimeuuid()".into(), CqlType::Timeuuid),
        ]
    );
    assert_eq!(r.rows.len(), 3);
    let first = r.rows.first().unwrap();
    let Some(CqlValue::Timeuuid(id)) = first[0] else {
        panic!("{first:?}")
    };
    assert_eq!(id.get_version_num(), 1);
    assert_ne!(r.rows[1][0], first[0], "each row's now() differs");
    assert_eq!(first[1], Some(CqlValue::Timestamp(86_400_005)));
    assert_eq!(first[2], Some(CqlValue::Date((1 << 31) + 1)));
    assert_eq!(first[3], Some(CqlValue::Time(5_000_000)));
    assert!(run("SELECT now(v) FROM ks.t").is_err());
}

#[test]
fn aggregating_queries_are_known_before_paging() {
    use crate::cql::aggregate::aggregates;
    let select = |cql: &str| {
        let Statement::Select(select) = parse(cql).unwrap() else {
            panic!("not a select")
        };
        *select
    };
    assert!(aggregates(&select(
        "SELECT cast(count(*) as int) FROM ks.t"
    )));
    assert!(aggregates(&select("SELECT toJson(max(v)) FROM ks.t")));
    assert!(aggregates(&select("SELECT k FROM ks.t GROUP BY k")));
    assert!(!aggregates(&select(
        "SELECT m['a'], writetime(v) FROM ks.t"
    )));
}
