//! The session: typed rows, paging over three pages, prepare/execute with a
//! transparent re-prepare, and a mixed batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use sibyl_protocol::ProtocolVersion;
use sibyl_protocol::client::{BatchItem, ConnectOptions, QueryOptions, QueryResult, Session};
use sibyl_protocol::request::{BatchQuery, BatchType, Request};
use sibyl_protocol::response::{
    ColumnSpec, ErrorKind, ErrorResponse, Prepared, PreparedMetadata, Response, ResultBody, Rows,
    RowsMetadata,
};
use sibyl_protocol::types::{Consistency, Value};
use sibyl_protocol::value::{CqlType, CqlValue, encode_to_vec};
use tokio::time::timeout;

use super::basics::LIMIT;
use super::server::{Config, FakeServer, reply};

fn col(name: &str, ty: CqlType) -> ColumnSpec {
    ColumnSpec {
        keyspace: "ks".into(),
        table: "t".into(),
        name: name.into(),
        ty,
    }
}

fn int_rows(range: std::ops::Range<i32>, paging_state: Option<&'static [u8]>) -> Response {
    let mut metadata =
        RowsMetadata::with_columns(vec![col("k", CqlType::Int), col("v", CqlType::Text)]);
    metadata.paging_state = paging_state.map(Bytes::from_static);
    let rows = range
        .map(|i| {
            let k = encode_to_vec(&CqlValue::Int(i), &CqlType::Int).unwrap();
            vec![
                Some(Bytes::from(k)),
                if i % 2 == 0 {
                    Some(Bytes::from(format!("v{i}")))
                } else {
                    None
                },
            ]
        })
        .collect();
    Response::Result(ResultBody::Rows(Rows { metadata, rows }))
}

async fn session(config: Config, version: ProtocolVersion) -> (FakeServer, Session) {
    let server = FakeServer::start(config).await;
    let options = ConnectOptions {
        protocol_version: Some(version),
        ..ConnectOptions::default()
    };
    let session = timeout(LIMIT, Session::connect(server.addr, options))
        .await
        .unwrap()
        .unwrap();
    (server, session)
}

#[tokio::test]
async fn paging_follows_the_state_over_three_pages() {
    let config = Config::new(Arc::new(|_, frame| {
        let Request::Query(q) = &frame.request else {
            panic!()
        };
        assert_eq!(q.params.page_size, Some(3));
        reply(match q.params.paging_state.as_deref() {
            None => int_rows(0..3, Some(b"p1")),
            Some(b"p1") => int_rows(3..6, Some(b"p2")),
            Some(b"p2") => int_rows(6..8, None),
            other => panic!("paging state {other:?}"),
        })
    }));
    let (server, session) = session(config, ProtocolVersion::V4).await;
    let options = QueryOptions {
        page_size: Some(3),
        ..QueryOptions::default()
    };
    let mut pager = session
        .query_paged("SELECT k, v FROM t", &[], &options)
        .unwrap();
    let mut rows = Vec::new();
    while let Some(row) = timeout(LIMIT, pager.next_row()).await.unwrap().unwrap() {
        rows.push(row);
    }
    assert_eq!(rows.len(), 8);
    for (i, row) in rows.iter().enumerate() {
        let i = i32::try_from(i).unwrap();
        assert_eq!(row[0], Some(CqlValue::Int(i)));
        let v = (i % 2 == 0).then(|| CqlValue::Text(format!("v{i}")));
        assert_eq!(row[1], v);
    }
    assert_eq!(pager.columns()[1].name, "v");
    let queries = server
        .requests()
        .iter()
        .filter(|(_, _, f)| matches!(f.request, Request::Query(_)))
        .count();
    assert_eq!(queries, 3);
    assert!(
        timeout(LIMIT, pager.next_page())
            .await
            .unwrap()
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn query_options_reach_the_wire() {
    let config = Config::new(Arc::new(|_, frame| {
        let Request::Query(q) = &frame.request else {
            panic!()
        };
        let p = &q.params;
        assert_eq!(p.consistency, Consistency::Quorum);
        assert_eq!(p.serial_consistency, Some(Consistency::LocalSerial));
        assert_eq!(p.default_timestamp, Some(1_700_000_000_000_000));
        assert_eq!(p.paging_state.as_deref(), Some(&b"resume"[..]));
        let expected = vec![
            Value::Bytes(Bytes::from_static(&[0, 0, 0, 7])),
            Value::Bytes(Bytes::from_static(b"seven")),
        ];
        assert_eq!(
            p.values,
            sibyl_protocol::request::QueryValues::Positional(expected)
        );
        reply(Response::Result(ResultBody::Void))
    }));
    let (_server, session) = session(config, ProtocolVersion::V5).await;
    let options = QueryOptions {
        consistency: Consistency::Quorum,
        serial_consistency: Some(Consistency::LocalSerial),
        page_size: Some(10),
        paging_state: Some(Bytes::from_static(b"resume")),
        timestamp: Some(1_700_000_000_000_000),
    };
    let values = [CqlValue::Int(7), CqlValue::Text("seven".into())];
    let result = timeout(LIMIT, session.query("INSERT ...", &values, &options))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result, QueryResult::Void);
}

fn prepared(version: ProtocolVersion) -> Response {
    Response::Result(ResultBody::Prepared(Prepared {
        id: Bytes::from_static(b"id-1"),
        result_metadata_id: (version >= ProtocolVersion::V5).then(|| Bytes::from_static(b"rm")),
        metadata: PreparedMetadata {
            pk_indexes: vec![0],
            columns: vec![col("k", CqlType::Int), col("v", CqlType::Bigint)],
        },
        result_metadata: RowsMetadata::with_columns(vec![
            col("k", CqlType::Int),
            col("v", CqlType::Text),
        ]),
    }))
}

#[tokio::test]
async fn execute_types_values_and_reprepares_when_unprepared() {
    let executes = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&executes);
    let config = Config::new(Arc::new(move |_, frame| match &frame.request {
        Request::Prepare(p) => {
            assert_eq!(p.query, "SELECT k, v FROM t WHERE k = ? AND v = ?");
            reply(prepared(frame.version))
        }
        Request::Execute(e) => {
            assert_eq!(&e.id[..], b"id-1");
            let expected = vec![
                Value::Bytes(Bytes::from_static(&[0, 0, 0, 1])),
                Value::Bytes(Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0, 2])),
            ];
            assert_eq!(
                e.params.values,
                sibyl_protocol::request::QueryValues::Positional(expected)
            );
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                return reply(Response::Error(ErrorResponse {
                    kind: ErrorKind::Unprepared { id: e.id.clone() },
                    message: "unknown".into(),
                }));
            }
            reply(int_rows(1..2, None))
        }
        other => panic!("{other:?}"),
    }));
    let (server, session) = session(config, ProtocolVersion::V4).await;
    let stmt = timeout(
        LIMIT,
        session.prepare("SELECT k, v FROM t WHERE k = ? AND v = ?"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(stmt.pk_indexes, vec![0]);
    // The bigint marker makes a Bigint out of the second value.
    let values = [CqlValue::Int(1), CqlValue::Bigint(2)];
    let result = timeout(
        LIMIT,
        session.execute(&stmt, &values, &QueryOptions::default()),
    )
    .await
    .unwrap()
    .unwrap();
    let rows = result.into_rows().unwrap();
    assert_eq!(rows.rows, vec![vec![Some(CqlValue::Int(1)), None]]);
    assert_eq!(executes.load(Ordering::SeqCst), 2);
    let prepares = server
        .requests()
        .iter()
        .filter(|(_, _, f)| matches!(f.request, Request::Prepare(_)))
        .count();
    assert_eq!(prepares, 2, "prepared again after Unprepared");
    let err = session
        .execute(&stmt, &[CqlValue::Int(1)], &QueryOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("1 values for 2 bind markers"),
        "{err}"
    );
}

#[tokio::test]
async fn batch_mixes_text_and_prepared_statements() {
    let config = Config::new(Arc::new(|_, frame| match &frame.request {
        Request::Prepare(_) => reply(prepared(frame.version)),
        Request::Batch(b) => {
            assert_eq!(b.batch_type, BatchType::Unlogged);
            assert_eq!(b.consistency, Consistency::Two);
            assert_eq!(b.default_timestamp, Some(42));
            assert_eq!(b.statements.len(), 2);
            assert_eq!(
                b.statements[0].query,
                BatchQuery::Text("INSERT INTO t (k) VALUES (?)".into())
            );
            assert_eq!(
                b.statements[0].values,
                vec![Value::Bytes(Bytes::from_static(&[0, 0, 0, 5]))]
            );
            assert_eq!(
                b.statements[1].query,
                BatchQuery::Prepared(Bytes::from_static(b"id-1"))
            );
            assert_eq!(b.statements[1].values.len(), 2);
            reply(Response::Result(ResultBody::Void))
        }
        other => panic!("{other:?}"),
    }));
    for version in [ProtocolVersion::V4, ProtocolVersion::V5] {
        let (_server, session) = session(config.clone(), version).await;
        let stmt = timeout(LIMIT, session.prepare("UPDATE t SET v = ? WHERE k = ?"))
            .await
            .unwrap()
            .unwrap();
        let items = [
            BatchItem::Query(
                "INSERT INTO t (k) VALUES (?)".into(),
                vec![CqlValue::Int(5)],
            ),
            BatchItem::Prepared(stmt, vec![CqlValue::Int(1), CqlValue::Bigint(9)]),
        ];
        let options = QueryOptions {
            consistency: Consistency::Two,
            timestamp: Some(42),
            ..QueryOptions::default()
        };
        let result = timeout(LIMIT, session.batch(BatchType::Unlogged, &items, &options))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(result, QueryResult::Void);
    }
}
