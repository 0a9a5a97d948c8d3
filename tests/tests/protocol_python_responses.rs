//! Goal: the responses our encoder writes (what the server will send) are read
//! by the pinned Python driver (cassandra-driver 3.30.1) as the messages we
//! meant, for v4 and v5. Method: encode representative RESULT, ERROR, EVENT,
//! SUPPORTED and handshake frames, decode them with the driver's own
//! `ProtocolHandler.decode_message` (`golden/responses.py`) and compare its
//! normalized description with the one expected here.

#[cfg(test)]
mod golden {
    use std::fs;
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use bytes::Bytes;
    use sibyl_protocol::response::{
        ColumnSpec, ErrorKind, ErrorResponse, Event, Failures, Prepared, PreparedMetadata,
        Response, ResultBody, Rows, RowsMetadata, SchemaChange, SchemaChangeTarget,
        SchemaChangeType, StatusChange, WriteType,
    };
    use sibyl_protocol::types::{Consistency, StringMultimap};
    use sibyl_protocol::value::{CqlType, CqlValue, encode_to_vec};
    use sibyl_protocol::{ProtocolVersion, ResponseFrame};
    use sibyl_tests::python;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn col(name: &str, ty: CqlType) -> ColumnSpec {
        ColumnSpec {
            keyspace: "ks".into(),
            table: "t".into(),
            name: name.into(),
            ty,
        }
    }

    fn cell(v: &CqlValue, ty: &CqlType) -> Option<Bytes> {
        Some(Bytes::from(encode_to_vec(v, ty).unwrap()))
    }

    fn rows() -> Response {
        let list = CqlType::List(Box::new(CqlType::Int));
        let map = CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Bigint));
        let columns = vec![
            col("k", CqlType::Int),
            col("v", CqlType::Text),
            col("l", list.clone()),
            col("m", map.clone()),
        ];
        let mut metadata = RowsMetadata::with_columns(columns);
        metadata.paging_state = Some(Bytes::from_static(b"next"));
        let m = CqlValue::Map(vec![(CqlValue::Text("a".into()), CqlValue::Bigint(-1))]);
        let l = CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(2)]);
        Response::Result(ResultBody::Rows(Rows {
            metadata,
            rows: vec![
                vec![
                    cell(&CqlValue::Int(7), &CqlType::Int),
                    cell(&CqlValue::Text("seven".into()), &CqlType::Text),
                    cell(&l, &list),
                    cell(&m, &map),
                ],
                vec![cell(&CqlValue::Int(8), &CqlType::Int), None, None, None],
            ],
        }))
    }

    fn prepared(v: ProtocolVersion) -> Response {
        let mut result_columns = vec![col("v", CqlType::Text)];
        result_columns[0].table = "other".into();
        Response::Result(ResultBody::Prepared(Prepared {
            id: Bytes::from_static(&[0xca, 0xfe]),
            result_metadata_id: (v >= ProtocolVersion::V5).then(|| Bytes::from_static(&[1, 2])),
            metadata: PreparedMetadata {
                pk_indexes: vec![1, 0],
                columns: vec![col("b", CqlType::Uuid), col("a", CqlType::Int)],
            },
            result_metadata: RowsMetadata::with_columns(result_columns),
        }))
    }

    fn error(kind: ErrorKind, message: &str) -> Response {
        Response::Error(ErrorResponse {
            kind,
            message: message.into(),
        })
    }

    fn failures(v: ProtocolVersion) -> Failures {
        if v >= ProtocolVersion::V5 {
            Failures::ReasonMap(vec![(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), 1)])
        } else {
            Failures::Count(1)
        }
    }

    fn errors(v: ProtocolVersion) -> Vec<Response> {
        vec![
            error(
                ErrorKind::Unavailable {
                    consistency: Consistency::Quorum,
                    required: 2,
                    alive: 1,
                },
                "Cannot achieve consistency level QUORUM",
            ),
            error(
                ErrorKind::WriteTimeout {
                    consistency: Consistency::LocalQuorum,
                    received: 1,
                    block_for: 2,
                    write_type: WriteType::Cas,
                    contentions: Some(3),
                },
                "wt",
            ),
            error(
                ErrorKind::ReadTimeout {
                    consistency: Consistency::One,
                    received: 0,
                    block_for: 1,
                    data_present: false,
                },
                "rt",
            ),
            error(
                ErrorKind::ReadFailure {
                    consistency: Consistency::All,
                    received: 1,
                    block_for: 3,
                    failures: failures(v),
                    data_present: true,
                },
                "rf",
            ),
            error(
                ErrorKind::AlreadyExists {
                    keyspace: "ks".into(),
                    table: "t".into(),
                },
                "exists",
            ),
            error(
                ErrorKind::Unprepared {
                    id: Bytes::from_static(&[0xca, 0xfe]),
                },
                "unprepared",
            ),
            error(ErrorKind::Invalid, "unconfigured table nope"),
            error(ErrorKind::AuthenticationError, "bad credentials"),
        ]
    }

    fn responses(v: ProtocolVersion) -> Vec<ResponseFrame> {
        let mut supported = StringMultimap::new();
        supported.insert("CQL_VERSION".into(), vec!["3.4.7".into()]);
        supported.insert("COMPRESSION".into(), vec!["lz4".into()]);
        let schema = SchemaChange {
            change: SchemaChangeType::Created,
            target: SchemaChangeTarget::Table {
                keyspace: "ks".into(),
                name: "t".into(),
            },
        };
        let status = Event::StatusChange {
            change: StatusChange::Up,
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)), 9042),
        };
        let mut list = vec![
            Response::Ready,
            Response::Supported(supported),
            Response::Authenticate("org.apache.cassandra.auth.PasswordAuthenticator".into()),
            Response::AuthSuccess(None),
            Response::Result(ResultBody::Void),
            rows(),
            Response::Result(ResultBody::SetKeyspace("ks".into())),
            prepared(v),
            Response::Result(ResultBody::SchemaChange(schema.clone())),
            Response::Event(Event::SchemaChange(schema)),
            Response::Event(status),
        ];
        list.extend(errors(v));
        let mut frames: Vec<ResponseFrame> = list
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let stream = if matches!(r, Response::Event(_)) {
                    -1
                } else {
                    i16::try_from(i).unwrap()
                };
                ResponseFrame::new(v, stream, r)
            })
            .collect();
        frames[4].warnings = vec!["Aggregation query used without partition key".into()];
        frames
    }

    #[test]
    fn the_python_driver_reads_our_responses() {
        let clients = python::clients().expect("install the Python clients");
        let dir = python::target_dir().join("protocol-python-golden");
        fs::create_dir_all(&dir).unwrap();
        let input = dir.join(format!("{}-responses.hex", std::process::id()));
        let output = dir.join(format!("{}-responses.out", std::process::id()));
        let mut lines = Vec::new();
        for v in [ProtocolVersion::V4, ProtocolVersion::V5] {
            for frame in responses(v) {
                let raw = frame.to_raw(None).unwrap().to_bytes();
                lines.push(format!("{} {}", v.number(), hex(&raw)));
            }
        }
        fs::write(&input, lines.join("\n")).unwrap();
        let script = include_str!("golden/responses.py");
        let args = [input.to_str().unwrap(), output.to_str().unwrap()];
        let out = clients.run_script(script, &args).unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = fs::read_to_string(&output).unwrap();
        let expected_v4 = expected(ProtocolVersion::V4);
        let expected_v5 = expected(ProtocolVersion::V5);
        let want: Vec<&str> = expected_v4
            .iter()
            .chain(&expected_v5)
            .map(String::as_str)
            .collect();
        let got: Vec<&str> = got.lines().collect();
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w);
        }
        assert_eq!(got.len(), want.len());
        let _ = fs::remove_file(&input);
        let _ = fs::remove_file(&output);
    }

    /// What the driver must make of `responses(v)`, one line per frame:
    /// `<stream> <description> <warnings>`.
    fn expected(v: ProtocolVersion) -> Vec<String> {
        let v5 = v >= ProtocolVersion::V5;
        let rmid = if v5 { "'0x0102'" } else { "None" };
        let reasons = if v5 { "[('127.0.0.2', 1)]" } else { "None" };
        let schema = "[('change_type', 'CREATED'), ('keyspace', 'ks'), ('table', 't'), \
                      ('target_type', 'TABLE')]";
        vec![
            "0 READY None".to_string(),
            "1 SUPPORTED ['3.4.7'] [('COMPRESSION', ['lz4'])] None".into(),
            "2 AUTHENTICATE org.apache.cassandra.auth.PasswordAuthenticator None".into(),
            "3 AUTH_SUCCESS '' None".into(),
            "4 VOID ['Aggregation query used without partition key']".into(),
            "5 ROWS ['ks.t.k:int', 'ks.t.v:varchar', 'ks.t.l:list<int>', \
             'ks.t.m:map<varchar, bigint>'] [[7, 'seven', [1, 2], [('a', -1)]], \
             [8, None, None, None]] paging='0x6e657874' None"
                .into(),
            "6 SET_KEYSPACE ks None".into(),
            format!(
                "7 PREPARED id=cafe rmid={rmid} pk=[1, 0] binds=['ks.t.b:uuid', 'ks.t.a:int'] \
                 result=['ks.other.v:varchar'] None"
            ),
            format!("8 SCHEMA_CHANGE {schema} None"),
            format!("-1 EVENT SCHEMA_CHANGE {schema} None"),
            "-1 EVENT STATUS_CHANGE [('address', ['127.0.0.3', 9042]), ('change_type', 'UP')] \
             None"
                .into(),
            "11 ERROR 1000 UnavailableErrorMessage 'Cannot achieve consistency level QUORUM' \
             [('alive_replicas', 1), ('consistency', 4), ('required_replicas', 2)] None"
                .into(),
            "12 ERROR 1100 WriteTimeoutErrorMessage 'wt' [('consistency', 6), \
             ('received_responses', 1), ('required_responses', 2), ('write_type', 5)] None"
                .into(),
            "13 ERROR 1200 ReadTimeoutErrorMessage 'rt' [('consistency', 1), \
             ('data_retrieved', False), ('received_responses', 0), ('required_responses', 1)] \
             None"
                .into(),
            format!(
                "14 ERROR 1300 ReadFailureMessage 'rf' [('consistency', 5), \
                 ('data_retrieved', True), ('error_code_map', {reasons}), ('failures', 1), \
                 ('received_responses', 1), ('required_responses', 3)] None"
            ),
            "15 ERROR 2400 AlreadyExistsException 'exists' [('keyspace', 'ks'), ('table', 't')] \
             None"
                .into(),
            "16 ERROR 2500 PreparedQueryNotFound 'unprepared' '0xcafe' None".into(),
            "17 ERROR 2200 InvalidRequestException 'unconfigured table nope' None None".into(),
            "18 ERROR 0100 BadCredentials 'bad credentials' None None".into(),
        ]
    }
}
