//! Proptest strategies for every request and response kind, per protocol
//! version, shared by the integration tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use sibyl_protocol::frame::{ProtocolVersion, RequestFrame, ResponseFrame};
use sibyl_protocol::request::{
    Batch, BatchQuery, BatchStatement, BatchType, EventType, Execute, Prepare, Query,
    QueryParameters, QueryValues, Request,
};
use sibyl_protocol::response::{
    ColumnSpec, ErrorKind, ErrorResponse, Event, Failures, Prepared, PreparedMetadata, Response,
    ResultBody, Rows, RowsMetadata, SchemaChange, SchemaChangeTarget, SchemaChangeType,
    StatusChange, TopologyChange, WriteType,
};
use sibyl_protocol::types::{Consistency, Value};
use sibyl_protocol::value::{CqlType, UdtDef};

pub fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_ é]{0,10}"
}

pub fn blob() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..24).prop_map(Bytes::from)
}

pub fn version() -> impl Strategy<Value = ProtocolVersion> {
    prop::sample::select(ProtocolVersion::ALL.to_vec())
}

pub fn consistency() -> impl Strategy<Value = Consistency> + Clone {
    prop::sample::select(Consistency::ALL.to_vec())
}

pub fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(Value::Unset),
        blob().prop_map(Value::Bytes)
    ]
}

pub fn query_values() -> impl Strategy<Value = QueryValues> {
    prop_oneof![
        vec(value(), 0..4).prop_map(QueryValues::Positional),
        vec((name(), value()), 0..4).prop_map(QueryValues::Named),
    ]
}

fn v5_only<T: std::fmt::Debug + Clone + 'static>(
    v: ProtocolVersion,
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    if v >= ProtocolVersion::V5 {
        option::of(s).boxed()
    } else {
        Just(None).boxed()
    }
}

pub fn params(v: ProtocolVersion) -> impl Strategy<Value = QueryParameters> {
    (
        (
            consistency(),
            query_values(),
            any::<bool>(),
            option::of(any::<i32>()),
        ),
        (
            option::of(blob()),
            option::of(consistency()),
            option::of(any::<i64>()),
        ),
        (v5_only(v, name()), v5_only(v, any::<i32>())),
    )
        .prop_map(
            |((c, values, skip, page), (state, serial, ts), (ks, now))| QueryParameters {
                consistency: c,
                values,
                skip_metadata: skip,
                page_size: page,
                paging_state: state,
                serial_consistency: serial,
                default_timestamp: ts,
                keyspace: ks,
                now_in_seconds: now,
            },
        )
}

pub fn batch(v: ProtocolVersion) -> impl Strategy<Value = Batch> {
    let stmt = (
        prop_oneof![
            name().prop_map(BatchQuery::Text),
            blob().prop_map(BatchQuery::Prepared)
        ],
        vec(value(), 0..3),
    )
        .prop_map(|(query, values)| BatchStatement { query, values });
    (
        prop::sample::select(vec![
            BatchType::Logged,
            BatchType::Unlogged,
            BatchType::Counter,
        ]),
        vec(stmt, 0..4),
        consistency(),
        option::of(consistency()),
        option::of(any::<i64>()),
        v5_only(v, name()),
        v5_only(v, any::<i32>()),
    )
        .prop_map(
            |(batch_type, statements, consistency, serial, ts, ks, now)| Batch {
                batch_type,
                statements,
                consistency,
                serial_consistency: serial,
                default_timestamp: ts,
                keyspace: ks,
                now_in_seconds: now,
            },
        )
}

pub fn request(v: ProtocolVersion) -> BoxedStrategy<Request> {
    let events = prop::sample::select(vec![
        EventType::TopologyChange,
        EventType::StatusChange,
        EventType::SchemaChange,
    ]);
    let metadata_id = if v >= ProtocolVersion::V5 {
        blob().prop_map(Some).boxed()
    } else {
        Just(None).boxed()
    };
    prop_oneof![
        btree_map(name(), name(), 0..4).prop_map(Request::Startup),
        option::of(blob()).prop_map(Request::AuthResponse),
        Just(Request::Options),
        (name(), params(v)).prop_map(|(query, params)| Request::Query(Query { query, params })),
        (name(), v5_only(v, name()))
            .prop_map(|(query, keyspace)| Request::Prepare(Prepare { query, keyspace })),
        (blob(), metadata_id, params(v)).prop_map(|(id, result_metadata_id, params)| {
            Request::Execute(Execute {
                id,
                result_metadata_id,
                params,
            })
        }),
        batch(v).prop_map(Request::Batch),
        vec(events, 0..3).prop_map(Request::Register),
    ]
    .boxed()
}

pub fn request_frame() -> impl Strategy<Value = RequestFrame> {
    version().prop_flat_map(|v| {
        (
            any::<i16>(),
            any::<bool>(),
            option::of(btree_map(name(), option::of(blob()), 0..3)),
            request(v),
        )
            .prop_map(
                move |(stream, tracing, custom_payload, request)| RequestFrame {
                    version: v,
                    stream,
                    tracing,
                    use_beta: false,
                    custom_payload,
                    request,
                },
            )
    })
}

pub fn cql_type() -> impl Strategy<Value = CqlType> {
    let native = prop::sample::select(vec![
        CqlType::Ascii,
        CqlType::Bigint,
        CqlType::Blob,
        CqlType::Boolean,
        CqlType::Counter,
        CqlType::Decimal,
        CqlType::Double,
        CqlType::Float,
        CqlType::Int,
        CqlType::Timestamp,
        CqlType::Uuid,
        CqlType::Text,
        CqlType::Varint,
        CqlType::Timeuuid,
        CqlType::Inet,
        CqlType::Date,
        CqlType::Time,
        CqlType::Smallint,
        CqlType::Tinyint,
        CqlType::Duration,
    ]);
    let leaf = prop_oneof![
        8 => native.clone(),
        1 => Just(CqlType::Custom("com.example.MyType".into())),
        1 => (native, 1u32..5).prop_map(|(t, n)| CqlType::Vector(Box::new(t), n)),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| CqlType::List(Box::new(t))),
            inner.clone().prop_map(|t| CqlType::Set(Box::new(t))),
            (inner.clone(), inner.clone())
                .prop_map(|(k, v)| CqlType::Map(Box::new(k), Box::new(v))),
            vec(inner.clone(), 1..3).prop_map(CqlType::Tuple),
            (name(), name(), vec((name(), inner), 0..3)).prop_map(|(keyspace, name, fields)| {
                CqlType::Udt(UdtDef {
                    keyspace,
                    name,
                    fields,
                })
            }),
        ]
    })
}

pub fn column() -> impl Strategy<Value = ColumnSpec> {
    (
        prop::sample::select(vec!["ks", "other"]),
        prop::sample::select(vec!["t", "u"]),
        name(),
        cql_type(),
    )
        .prop_map(|(ks, t, name, ty)| ColumnSpec {
            keyspace: ks.into(),
            table: t.into(),
            name,
            ty,
        })
}

pub fn rows_metadata(v: ProtocolVersion) -> impl Strategy<Value = RowsMetadata> {
    // Empty column lists travel as no-metadata; a new metadata id needs columns.
    let columns = option::of(vec(column(), 1..4));
    (columns, 0i32..4, option::of(blob()), v5_only(v, blob())).prop_map(
        |(columns, count, paging_state, new_metadata_id)| RowsMetadata {
            columns_count: columns
                .as_ref()
                .map_or(count, |c| i32::try_from(c.len()).expect("few columns")),
            paging_state,
            new_metadata_id: columns.as_ref().and(new_metadata_id),
            columns,
        },
    )
}

pub fn rows(v: ProtocolVersion) -> impl Strategy<Value = Rows> {
    rows_metadata(v).prop_flat_map(|metadata| {
        let width = usize::try_from(metadata.columns_count).expect("non-negative");
        vec(vec(option::of(blob()), width..=width), 0..4).prop_map(move |rows| Rows {
            metadata: metadata.clone(),
            rows,
        })
    })
}

pub fn schema_change() -> impl Strategy<Value = SchemaChange> {
    let change = prop::sample::select(vec![
        SchemaChangeType::Created,
        SchemaChangeType::Updated,
        SchemaChangeType::Dropped,
    ]);
    let target = prop_oneof![
        name().prop_map(|keyspace| SchemaChangeTarget::Keyspace { keyspace }),
        (name(), name()).prop_map(|(keyspace, name)| SchemaChangeTarget::Table { keyspace, name }),
        (name(), name()).prop_map(|(keyspace, name)| SchemaChangeTarget::Type { keyspace, name }),
        (name(), name(), vec(name(), 0..3)).prop_map(|(keyspace, name, arg_types)| {
            SchemaChangeTarget::Function {
                keyspace,
                name,
                arg_types,
            }
        }),
        (name(), name(), vec(name(), 0..3)).prop_map(|(keyspace, name, arg_types)| {
            SchemaChangeTarget::Aggregate {
                keyspace,
                name,
                arg_types,
            }
        }),
    ];
    (change, target).prop_map(|(change, target)| SchemaChange { change, target })
}

pub fn result(v: ProtocolVersion) -> BoxedStrategy<ResultBody> {
    let metadata_id = if v >= ProtocolVersion::V5 {
        blob().prop_map(Some).boxed()
    } else {
        Just(None).boxed()
    };
    let pk = if v >= ProtocolVersion::V4 {
        vec(any::<u16>(), 0..3).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    let prepared = (
        blob(),
        metadata_id,
        pk,
        vec(column(), 0..3),
        rows_metadata(v),
    )
        .prop_map(
            |(id, result_metadata_id, pk_indexes, columns, result_metadata)| {
                ResultBody::Prepared(Prepared {
                    id,
                    result_metadata_id,
                    metadata: PreparedMetadata {
                        pk_indexes,
                        columns,
                    },
                    result_metadata,
                })
            },
        );
    prop_oneof![
        Just(ResultBody::Void),
        rows(v).prop_map(ResultBody::Rows),
        name().prop_map(ResultBody::SetKeyspace),
        prepared,
        schema_change().prop_map(ResultBody::SchemaChange),
    ]
    .boxed()
}

pub fn address() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

pub fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (
            prop::sample::select(vec![
                TopologyChange::NewNode,
                TopologyChange::RemovedNode,
                TopologyChange::MovedNode
            ]),
            address()
        )
            .prop_map(|(change, address)| Event::TopologyChange { change, address }),
        (
            prop::sample::select(vec![StatusChange::Up, StatusChange::Down]),
            address()
        )
            .prop_map(|(change, address)| Event::StatusChange { change, address }),
        schema_change().prop_map(Event::SchemaChange),
    ]
}

fn failures(v: ProtocolVersion) -> BoxedStrategy<Failures> {
    if v >= ProtocolVersion::V5 {
        vec((address().prop_map(|a| a.ip()), any::<u16>()), 0..3)
            .prop_map(Failures::ReasonMap)
            .boxed()
    } else {
        any::<i32>().prop_map(Failures::Count).boxed()
    }
}

pub fn error_kind(v: ProtocolVersion) -> BoxedStrategy<ErrorKind> {
    let write_type = prop::sample::select(WriteType::ALL.to_vec());
    let counts = || (consistency(), any::<i32>(), any::<i32>());
    let simple = prop::sample::select(vec![
        ErrorKind::Server,
        ErrorKind::Protocol,
        ErrorKind::AuthenticationError,
        ErrorKind::Overloaded,
        ErrorKind::IsBootstrapping,
        ErrorKind::Truncate,
        ErrorKind::CdcWriteFailure,
        ErrorKind::Syntax,
        ErrorKind::Unauthorized,
        ErrorKind::Invalid,
        ErrorKind::Config,
    ]);
    prop_oneof![
        simple,
        counts().prop_map(|(consistency, required, alive)| ErrorKind::Unavailable {
            consistency,
            required,
            alive
        }),
        (counts(), write_type, any::<u16>()).prop_map(
            move |((consistency, received, block_for), write_type, c)| {
                let contentions =
                    (v >= ProtocolVersion::V5 && write_type == WriteType::Cas).then_some(c);
                ErrorKind::WriteTimeout {
                    consistency,
                    received,
                    block_for,
                    write_type,
                    contentions,
                }
            }
        ),
        (counts(), any::<bool>()).prop_map(|((consistency, received, block_for), data_present)| {
            ErrorKind::ReadTimeout {
                consistency,
                received,
                block_for,
                data_present,
            }
        }),
        (name(), name(), vec(name(), 0..3)).prop_map(|(keyspace, function, arg_types)| {
            ErrorKind::FunctionFailure {
                keyspace,
                function,
                arg_types,
            }
        }),
        counts().prop_map(
            |(consistency, received, block_for)| ErrorKind::CasWriteUnknown {
                consistency,
                received,
                block_for
            }
        ),
        failure_kind(v),
        (name(), name()).prop_map(|(keyspace, table)| ErrorKind::AlreadyExists { keyspace, table }),
        blob().prop_map(|id| ErrorKind::Unprepared { id }),
    ]
    .boxed()
}

fn failure_kind(v: ProtocolVersion) -> BoxedStrategy<ErrorKind> {
    let write_type = prop::sample::select(WriteType::ALL.to_vec());
    let counts = || (consistency(), any::<i32>(), any::<i32>());
    prop_oneof![
        (counts(), failures(v), any::<bool>()).prop_map(
            |((consistency, received, block_for), failures, data_present)| {
                ErrorKind::ReadFailure {
                    consistency,
                    received,
                    block_for,
                    failures,
                    data_present,
                }
            }
        ),
        (counts(), failures(v), write_type).prop_map(
            |((consistency, received, block_for), failures, write_type)| {
                ErrorKind::WriteFailure {
                    consistency,
                    received,
                    block_for,
                    failures,
                    write_type,
                }
            }
        ),
    ]
    .boxed()
}

pub fn response(v: ProtocolVersion) -> BoxedStrategy<Response> {
    prop_oneof![
        (error_kind(v), name())
            .prop_map(|(kind, message)| Response::Error(ErrorResponse { kind, message })),
        Just(Response::Ready),
        name().prop_map(Response::Authenticate),
        btree_map(name(), vec(name(), 0..3), 0..3).prop_map(Response::Supported),
        result(v).prop_map(Response::Result),
        event().prop_map(Response::Event),
        option::of(blob()).prop_map(Response::AuthChallenge),
        option::of(blob()).prop_map(Response::AuthSuccess),
    ]
    .boxed()
}

pub fn response_frame() -> impl Strategy<Value = ResponseFrame> {
    version().prop_flat_map(|v| {
        let warnings = if v >= ProtocolVersion::V4 {
            vec(name(), 0..3).boxed()
        } else {
            Just(Vec::new()).boxed()
        };
        (
            any::<i16>(),
            option::of(any::<[u8; 16]>().prop_map(uuid::Uuid::from_bytes)),
            warnings,
            option::of(btree_map(name(), option::of(blob()), 0..3)),
            response(v),
        )
            .prop_map(
                move |(stream, tracing_id, warnings, custom_payload, response)| ResponseFrame {
                    version: v,
                    stream,
                    tracing_id,
                    warnings,
                    custom_payload,
                    response,
                },
            )
    })
}
