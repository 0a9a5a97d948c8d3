//! Golden byte vectors. Requests were produced by the Python
//! `cassandra-driver` 3.30.1 (`ProtocolHandler.encode_message`) and must match
//! our encoder byte for byte and decode to the expected messages (regenerate
//! with `tests/data/python_golden.py`); responses are written by hand from the
//! v4/v5 specs.

use bytes::{Bytes, BytesMut};
use sibyl_protocol::frame::{ProtocolVersion, RawFrame, RequestFrame, ResponseFrame};
use sibyl_protocol::limits::Limits;
use sibyl_protocol::request::{
    Batch, BatchQuery, BatchStatement, BatchType, EventType, Execute, Query, QueryParameters,
    QueryValues, Request,
};
use sibyl_protocol::response::{
    ColumnSpec, ErrorKind, ErrorResponse, Event, Response, ResultBody, Rows, RowsMetadata,
    StatusChange,
};
use sibyl_protocol::types::{Consistency, StringMap, Value};
use sibyl_protocol::value::CqlType;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn check_request(bytes_hex: &str, expected: &RequestFrame) {
    let bytes = hex(bytes_hex);
    let ours = expected.to_raw(None).expect("encodes").to_bytes();
    assert_eq!(ours.as_ref(), bytes.as_slice(), "encoding of {expected:?}");
    let mut buf = BytesMut::from(bytes.as_slice());
    let raw = RawFrame::decode(&mut buf, u32::MAX)
        .expect("valid")
        .expect("complete");
    let back = RequestFrame::from_raw(&raw, None, &Limits::default()).expect("decodes");
    assert_eq!(&back, expected);
}

fn check_response(bytes_hex: &str, expected: &ResponseFrame) {
    let bytes = hex(bytes_hex);
    let ours = expected.to_raw(None).expect("encodes").to_bytes();
    assert_eq!(ours.as_ref(), bytes.as_slice(), "encoding of {expected:?}");
    let mut buf = BytesMut::from(bytes.as_slice());
    let raw = RawFrame::decode(&mut buf, u32::MAX)
        .expect("valid")
        .expect("complete");
    let back = ResponseFrame::from_raw(&raw, None, &Limits::default()).expect("decodes");
    assert_eq!(&back, expected);
}

#[test]
fn startup() {
    let mut options = StringMap::new();
    options.insert("CQL_VERSION".into(), "3.0.0".into());
    let frame = RequestFrame::new(ProtocolVersion::V4, 1, Request::Startup(options));
    check_request(
        "04 00 0001 01 00000016  0001 000b 43514c5f56455253494f4e 0005 332e302e30",
        &frame,
    );
}

#[test]
fn options() {
    check_request(
        "04 00 0000 05 00000000",
        &RequestFrame::new(ProtocolVersion::V4, 0, Request::Options),
    );
}

fn query_with_values() -> Query {
    Query {
        query: "SELECT * FROM ks.t WHERE k = ?".into(),
        params: QueryParameters {
            consistency: Consistency::Quorum,
            values: QueryValues::Positional(vec![
                Value::Bytes(Bytes::from_static(&[0, 0, 0, 1])),
                Value::Null,
            ]),
            page_size: Some(100),
            serial_consistency: Some(Consistency::LocalSerial),
            default_timestamp: Some(1_234_567_890),
            ..QueryParameters::default()
        },
    }
}

#[test]
fn query_with_values_v4() {
    let frame = RequestFrame::new(ProtocolVersion::V4, 5, Request::Query(query_with_values()));
    check_request(
        "04 00 0005 07 00000041
         0000001e 53454c454354202a2046524f4d206b732e74205748455245206b203d203f
         0004 35 0002 00000004 00000001 ffffffff 00000064 0009 00000000499602d2",
        &frame,
    );
}

#[test]
fn query_with_values_v5_has_int_flags() {
    let frame = RequestFrame::new(ProtocolVersion::V5, 5, Request::Query(query_with_values()));
    check_request(
        "05 00 0005 07 00000044
         0000001e 53454c454354202a2046524f4d206b732e74205748455245206b203d203f
         0004 00000035 0002 00000004 00000001 ffffffff 00000064 0009 00000000499602d2",
        &frame,
    );
}

#[test]
fn register() {
    let events = vec![
        EventType::TopologyChange,
        EventType::StatusChange,
        EventType::SchemaChange,
    ];
    check_request(
        "04 00 0002 0b 00000031 0003 000f 544f504f4c4f47595f4348414e4745
         000d 5354415455535f4348414e4745 000d 534348454d415f4348414e4745",
        &RequestFrame::new(ProtocolVersion::V4, 2, Request::Register(events)),
    );
}

#[test]
fn execute_v5_carries_result_metadata_id() {
    let exec = Execute {
        id: Bytes::from_static(&[1, 2]),
        result_metadata_id: Some(Bytes::from_static(&[9])),
        params: QueryParameters {
            consistency: Consistency::One,
            values: QueryValues::Positional(vec![Value::Bytes(Bytes::from_static(&[0, 0, 0, 7]))]),
            skip_metadata: true,
            ..QueryParameters::default()
        },
    };
    check_request(
        "05 00 0003 0a 00000017 0002 0102 0001 09 0001 00000003 0001 00000004 00000007",
        &RequestFrame::new(ProtocolVersion::V5, 3, Request::Execute(exec)),
    );
}

#[test]
fn batch_v4() {
    let batch = Batch {
        batch_type: BatchType::Unlogged,
        statements: vec![
            BatchStatement {
                query: BatchQuery::Text("INSERT INTO t (k) VALUES (1)".into()),
                values: vec![],
            },
            BatchStatement {
                query: BatchQuery::Prepared(Bytes::from_static(&[0xaa])),
                values: vec![Value::Bytes(Bytes::from_static(&[0, 0, 0, 2]))],
            },
        ],
        consistency: Consistency::One,
        serial_consistency: None,
        default_timestamp: None,
        keyspace: None,
        now_in_seconds: None,
    };
    check_request(
        "04 00 0004 0d 00000037 01 0002
         00 0000001c 494e5345525420494e544f207420286b292056414c55455320283129 0000
         01 0001 aa 0001 00000004 00000002
         0001 00",
        &RequestFrame::new(ProtocolVersion::V4, 4, Request::Batch(batch)),
    );
}

#[test]
fn rows_result_with_global_table_spec() {
    let col = |name: &str, ty| ColumnSpec {
        keyspace: "ks".into(),
        table: "t".into(),
        name: name.into(),
        ty,
    };
    let rows = Rows {
        metadata: RowsMetadata::with_columns(vec![col("k", CqlType::Int), col("v", CqlType::Text)]),
        rows: vec![vec![
            Some(Bytes::from_static(&[0, 0, 0, 42])),
            Some(Bytes::from_static(b"hi")),
        ]],
    };
    let frame = ResponseFrame::new(
        ProtocolVersion::V4,
        1,
        Response::Result(ResultBody::Rows(rows)),
    );
    check_response(
        "84 00 0001 08 0000002f
         00000002
         00000001 00000002 0002 6b73 0001 74
         0001 6b 0009
         0001 76 000d
         00000001 00000004 0000002a 00000002 6869",
        &frame,
    );
}

#[test]
fn unavailable_error() {
    let message = "Cannot achieve consistency level QUORUM";
    let err = ErrorResponse {
        kind: ErrorKind::Unavailable {
            consistency: Consistency::Quorum,
            required: 3,
            alive: 1,
        },
        message: message.into(),
    };
    let frame = ResponseFrame::new(ProtocolVersion::V4, 7, Response::Error(err));
    let body = format!(
        "00001000 0027 {} 0004 00000003 00000001",
        hex_of(message.as_bytes())
    );
    check_response(&format!("84 00 0007 00 00000037 {body}"), &frame);
}

#[test]
fn status_change_event() {
    let event = Event::StatusChange {
        change: StatusChange::Up,
        address: "127.0.0.1:9042".parse().unwrap(),
    };
    let frame = ResponseFrame::new(ProtocolVersion::V4, -1, Response::Event(event));
    check_response(
        "84 00 ffff 0c 0000001c 000d 5354415455535f4348414e4745 0002 5550 04 7f000001 00002352",
        &frame,
    );
}

#[test]
fn ready_and_tracing_and_warnings() {
    let mut frame = ResponseFrame::new(ProtocolVersion::V4, 3, Response::Result(ResultBody::Void));
    frame.tracing_id = Some(uuid::Uuid::from_bytes([0x11; 16]));
    frame.warnings = vec!["w".into()];
    check_response(
        "84 0a 0003 08 00000019 11111111111111111111111111111111 0001 0001 77 00000001",
        &frame,
    );
    check_response(
        "84 00 0000 02 00000000",
        &ResponseFrame::new(ProtocolVersion::V4, 0, Response::Ready),
    );
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn prepared_insert(result_metadata: RowsMetadata) -> ResponseFrame {
    let spec = ColumnSpec {
        keyspace: "ks".into(),
        table: "t".into(),
        name: "k".into(),
        ty: CqlType::Int,
    };
    let prepared = sibyl_protocol::response::Prepared {
        id: Bytes::from_static(&[1, 2]),
        result_metadata_id: None,
        metadata: sibyl_protocol::response::PreparedMetadata {
            pk_indexes: vec![0],
            columns: vec![spec],
        },
        result_metadata,
    };
    ResponseFrame::new(
        ProtocolVersion::V4,
        2,
        Response::Result(ResultBody::Prepared(prepared)),
    )
}

#[test]
fn prepared_write_has_pk_indexes_and_no_result_metadata() {
    let bytes = "84 00 0002 08 0000002a 00000004 0002 0102
         00000001 00000001 00000001 0000 0002 6b73 0001 74 0001 6b 0009
         00000004 00000000";
    let no_metadata = RowsMetadata {
        columns_count: 0,
        ..RowsMetadata::default()
    };
    check_response(bytes, &prepared_insert(no_metadata));
    // An empty column list is sent exactly like Cassandra's ResultMetadata.EMPTY.
    let empty = prepared_insert(RowsMetadata::with_columns(vec![]))
        .to_raw(None)
        .unwrap()
        .to_bytes();
    assert_eq!(empty.as_ref(), hex(bytes).as_slice());
}

#[test]
fn metadata_changed_requires_metadata() {
    let meta = RowsMetadata {
        new_metadata_id: Some(Bytes::from_static(&[1])),
        ..RowsMetadata::default()
    };
    let frame = ResponseFrame::new(
        ProtocolVersion::V5,
        0,
        Response::Result(ResultBody::Rows(Rows {
            metadata: meta,
            rows: vec![],
        })),
    );
    assert!(frame.to_raw(None).is_err());
}

#[test]
fn batch_v5_with_keyspace() {
    let batch = Batch {
        batch_type: BatchType::Logged,
        statements: vec![BatchStatement {
            query: BatchQuery::Text("INSERT INTO t (k) VALUES (1)".into()),
            values: vec![],
        }],
        consistency: Consistency::Quorum,
        serial_consistency: Some(Consistency::Serial),
        default_timestamp: Some(42),
        keyspace: Some("ks".into()),
        now_in_seconds: None,
    };
    check_request(
        "05 00 0006 0d 0000003a 00 0001
         00 0000001c 494e5345525420494e544f207420286b292056414c55455320283129 0000
         0004 000000b0 0008 000000000000002a 0002 6b73",
        &RequestFrame::new(ProtocolVersion::V5, 6, Request::Batch(batch)),
    );
}

#[test]
fn prepare_v5_with_keyspace() {
    let prepare = sibyl_protocol::request::Prepare {
        query: "SELECT k FROM t".into(),
        keyspace: Some("ks".into()),
    };
    check_request(
        "05 00 0007 09 0000001b 0000000f 53454c454354206b2046524f4d2074 00000001 0002 6b73",
        &RequestFrame::new(ProtocolVersion::V5, 7, Request::Prepare(prepare)),
    );
}

#[test]
fn sasl_plain_auth_response() {
    let token = Bytes::from_static(b"\x00cassandra\x00cassandra");
    check_request(
        "04 00 0008 0f 00000018 00000014 0063617373616e6472610063617373616e647261",
        &RequestFrame::new(ProtocolVersion::V4, 8, Request::AuthResponse(Some(token))),
    );
}
