//! Goal: our request encoder writes exactly the bytes the Python driver
//! (cassandra-driver 3.30.1, the pinned judge) writes, our decoder reads the
//! driver's bytes back to the same request, and v5 segments agree both ways.
//! Method: the driver's own `ProtocolHandler.encode_message` and
//! `cassandra.segment.SegmentCodec` run in the pinned virtualenv
//! (`golden/*.py`); the Rust side builds the same messages and compares.

#[cfg(test)]
mod golden {
    use std::collections::BTreeMap;
    use std::fs;

    use bytes::{Bytes, BytesMut};
    use sibyl_protocol::client::framing::{FrameReader, FrameWriter};
    use sibyl_protocol::compression::Compression;
    use sibyl_protocol::frame::RawFrame;
    use sibyl_protocol::limits::Limits;
    use sibyl_protocol::request::{
        Batch, BatchQuery, BatchStatement, BatchType, EventType, Execute, Prepare, Query,
        QueryParameters, QueryValues, Request,
    };
    use sibyl_protocol::segment::SegmentCodec;
    use sibyl_protocol::types::{BytesMap, Consistency, StringMap, Value};
    use sibyl_protocol::{ProtocolVersion, RequestFrame};
    use sibyl_tests::python;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn run_python(script: &str, args: &[&str]) -> String {
        let clients = python::clients().expect("install the Python clients");
        let out = clients.run_script(script, args).unwrap();
        assert!(
            out.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn val(b: &'static [u8]) -> Value {
        Value::Bytes(Bytes::from_static(b))
    }

    fn startup(pairs: &[(&str, &str)]) -> Request {
        let map: StringMap = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Request::Startup(map)
    }

    fn query(keyspace: Option<&str>) -> Request {
        Request::Query(Query {
            query: "SELECT * FROM ks.t WHERE k = ? AND c > ? AND d = ?".into(),
            params: QueryParameters {
                consistency: Consistency::LocalQuorum,
                values: QueryValues::Positional(vec![
                    val(&[0, 0, 0, 7]),
                    Value::Null,
                    Value::Unset,
                ]),
                page_size: Some(100),
                paging_state: Some(Bytes::from_static(b"\x00\x01state")),
                serial_consistency: Some(Consistency::LocalSerial),
                default_timestamp: Some(1_700_000_000_123_456),
                keyspace: keyspace.map(String::from),
                ..QueryParameters::default()
            },
        })
    }

    fn execute(v: ProtocolVersion) -> Request {
        Request::Execute(Execute {
            id: Bytes::from_static(&[0x12, 0x34, 0x56, 0x78]),
            result_metadata_id: (v >= ProtocolVersion::V5)
                .then(|| Bytes::from_static(&[0xab, 0xcd])),
            params: QueryParameters {
                consistency: Consistency::Quorum,
                values: QueryValues::Positional(vec![val(&[0, 0, 0, 1]), val(b"abc"), Value::Null]),
                page_size: Some(5000),
                paging_state: Some(Bytes::from_static(b"ps")),
                serial_consistency: Some(Consistency::Serial),
                default_timestamp: Some(1_234_567),
                ..QueryParameters::default()
            },
        })
    }

    fn batch() -> Request {
        Request::Batch(Batch {
            batch_type: BatchType::Unlogged,
            statements: vec![
                BatchStatement {
                    query: BatchQuery::Text("INSERT INTO ks.t (k) VALUES (1)".into()),
                    values: vec![],
                },
                BatchStatement {
                    query: BatchQuery::Prepared(Bytes::from_static(&[1, 2])),
                    values: vec![val(&[0, 0, 0, 2]), Value::Null],
                },
                BatchStatement {
                    query: BatchQuery::Text("UPDATE ks.t SET v = ? WHERE k = 3".into()),
                    values: vec![val(b"x")],
                },
            ],
            consistency: Consistency::One,
            serial_consistency: Some(Consistency::LocalSerial),
            default_timestamp: Some(42),
            keyspace: None,
            now_in_seconds: None,
        })
    }

    fn traced(v: ProtocolVersion) -> RequestFrame {
        let query = Query {
            query: "SELECT now() FROM system.local".into(),
            params: QueryParameters::default(),
        };
        let mut f = RequestFrame::new(v, 8, Request::Query(query));
        f.tracing = true;
        let payload = BytesMap::from([("k".to_string(), Some(Bytes::from_static(b"v")))]);
        f.custom_payload = Some(payload);
        f
    }

    fn batch_keyspace() -> Request {
        Request::Batch(Batch {
            batch_type: BatchType::Logged,
            statements: vec![BatchStatement {
                query: BatchQuery::Prepared(Bytes::from_static(&[9])),
                values: vec![val(b"y")],
            }],
            consistency: Consistency::Two,
            serial_consistency: None,
            default_timestamp: None,
            keyspace: Some("ks".into()),
            now_in_seconds: None,
        })
    }

    /// The frame each case of `golden/requests.py` must equal, by (name, version).
    fn expected(name: &str, v: ProtocolVersion) -> RequestFrame {
        let frame = |stream: i16, request: Request| RequestFrame::new(v, stream, request);
        let driver = [
            ("DRIVER_NAME", "Apache Cassandra Python Driver"),
            ("DRIVER_VERSION", "3.30.1"),
        ];
        match name {
            "startup" => frame(
                0,
                startup(&[
                    ("COMPRESSION", "lz4"),
                    ("CQL_VERSION", "3.4.7"),
                    driver[0],
                    driver[1],
                ]),
            ),
            "startup_driver_order" => frame(
                0,
                startup(&[driver[0], driver[1], ("CQL_VERSION", "3.4.7")]),
            ),
            "options" => frame(1, Request::Options),
            "query" => frame(7, query(None)),
            "query_keyspace" => frame(11, query(Some("ks"))),
            "query_traced" => traced(v),
            "prepare" => frame(
                2,
                Request::Prepare(Prepare {
                    query: "INSERT INTO ks.t (k, v) VALUES (?, ?)".into(),
                    keyspace: None,
                }),
            ),
            "prepare_keyspace" => frame(
                12,
                Request::Prepare(Prepare {
                    query: "SELECT * FROM t".into(),
                    keyspace: Some("ks".into()),
                }),
            ),
            "execute" => frame(300, execute(v)),
            "batch" => frame(32767, batch()),
            "batch_keyspace" => frame(13, batch_keyspace()),
            "register" => frame(
                9,
                Request::Register(vec![
                    EventType::TopologyChange,
                    EventType::StatusChange,
                    EventType::SchemaChange,
                ]),
            ),
            "auth_response" => frame(
                10,
                Request::AuthResponse(Some(Bytes::from_static(b"\x00cassandra\x00cassandra"))),
            ),
            other => panic!("unknown case {other}"),
        }
    }

    fn python_cases() -> Vec<(String, ProtocolVersion, Vec<u8>)> {
        run_python(include_str!("golden/requests.py"), &[])
            .lines()
            .map(|line| {
                let mut parts = line.split(' ');
                let name = parts.next().unwrap().to_string();
                let v: u8 = parts.next().unwrap().parse().unwrap();
                let bytes = unhex(parts.next().unwrap());
                (name, ProtocolVersion::from_number(v).unwrap(), bytes)
            })
            .collect()
    }

    #[test]
    fn requests_match_the_python_driver_byte_for_byte() {
        let cases = python_cases();
        assert_eq!(cases.len(), 2 * 10 + 3, "every case ran");
        let mut checked = BTreeMap::new();
        for (name, v, python_bytes) in &cases {
            let ours = expected(name, *v);
            // Decode the driver's bytes with our decoder.
            let mut buf = BytesMut::from(&python_bytes[..]);
            let raw = RawFrame::decode(&mut buf, Limits::default().frame_body_bytes_max)
                .unwrap()
                .unwrap_or_else(|| panic!("{name} v{v:?}: incomplete frame"));
            assert!(buf.is_empty(), "{name}: trailing bytes");
            let decoded = RequestFrame::from_raw(&raw, None, &Limits::default()).unwrap();
            assert_eq!(decoded, ours, "{name} {v:?}: decoded driver bytes");
            // Our encoder writes the same bytes (the driver's map order differs
            // from our sorted one only in `startup_driver_order`).
            if name != "startup_driver_order" {
                let our_bytes = ours.to_raw(None).unwrap().to_bytes();
                assert_eq!(
                    hex(&our_bytes),
                    hex(python_bytes),
                    "{name} {v:?}: encoded bytes"
                );
            }
            *checked.entry(name.clone()).or_insert(0) += 1;
        }
        assert_eq!(checked.len(), 13);
    }

    fn work_file(name: &str) -> std::path::PathBuf {
        let dir = python::target_dir().join("protocol-python-golden");
        fs::create_dir_all(&dir).unwrap();
        dir.join(format!("{}-{name}", std::process::id()))
    }

    /// Frames to wrap: small, two-in-a-row sized, and one over a segment (split).
    fn segment_frames() -> Vec<Bytes> {
        let v = ProtocolVersion::V5;
        let small = RequestFrame::new(v, 0, Request::Options)
            .to_raw(None)
            .unwrap()
            .to_bytes();
        let q = expected("query", v).to_raw(None).unwrap().to_bytes();
        let big = RequestFrame::new(
            v,
            5,
            Request::Query(Query {
                query: format!("SELECT '{}'", "0123456789abcdef".repeat(12_000)),
                params: QueryParameters::default(),
            }),
        );
        let big = big.to_raw(None).unwrap().to_bytes();
        assert!(big.len() > 128 * 1024);
        vec![small, q, big]
    }

    #[test]
    fn v5_segments_agree_with_the_python_driver_both_ways() {
        let frames = segment_frames();
        let input = work_file("frames.hex");
        let output = work_file("segments.hex");
        let text: Vec<String> = frames.iter().map(|f| hex(f)).collect();
        fs::write(&input, text.join("\n")).unwrap();
        let script = include_str!("golden/segments.py");
        let (i, o) = (input.to_str().unwrap(), output.to_str().unwrap());
        run_python(script, &["encode", i, o]);
        let lines = fs::read_to_string(&output).unwrap();
        let limits = Limits::default();
        for (frame, line) in frames.iter().zip(lines.lines()) {
            let (plain, stored) = line.split_once(' ').unwrap();
            let mut ours = BytesMut::new();
            SegmentCodec::new(None).encode(frame, &mut ours).unwrap();
            assert_eq!(
                hex(&ours),
                plain,
                "plain segments of a {}-byte frame",
                frame.len()
            );
            if frame.len() < 64 {
                // Tiny frames never compress: the 5-byte header stores them.
                let mut ours = BytesMut::new();
                SegmentCodec::new(Some(Compression::Lz4))
                    .encode(frame, &mut ours)
                    .unwrap();
                assert_eq!(hex(&ours), stored, "stored compressed-format segment");
            }
            // The driver's segments decode to the same frame with our reader.
            let mut reader = FrameReader::new(limits);
            reader.enable_segments(None);
            let mut buf = BytesMut::from(&unhex(plain)[..]);
            let raw = reader.next_frame(&mut buf).unwrap().expect("a whole frame");
            assert_eq!(raw.to_bytes(), *frame);
            assert!(buf.is_empty());
        }
        // And the driver decodes what our writer produces (frames batched into
        // shared segments, the large one split).
        let mut writer = FrameWriter::new();
        writer.enable_segments(None);
        let mut ours = BytesMut::new();
        writer.write_frames(&frames, &mut ours).unwrap();
        fs::write(&input, hex(&ours)).unwrap();
        run_python(script, &["decode", i, o]);
        let payload = unhex(fs::read_to_string(&output).unwrap().trim());
        assert_eq!(payload, frames.concat());
        let _ = fs::remove_file(&input);
        let _ = fs::remove_file(&output);
    }

    #[test]
    fn documented_segment_vectors_hold() {
        // COMPAT §3.8: OPTIONS and a RESULT Void wrapped by cassandra.segment.
        let mut ours = BytesMut::new();
        SegmentCodec::new(None)
            .encode(&unhex("050000000500000000"), &mut ours)
            .unwrap();
        assert_eq!(
            hex(&ours),
            "090002a4c8c1050000000500000000108628 4d".replace(' ', "")
        );
        let mut ours = BytesMut::new();
        SegmentCodec::new(None)
            .encode(&unhex("85000001080000000400000001"), &mut ours)
            .unwrap();
        assert_eq!(hex(&ours), "0d0002cf07f7850000010800000004000000011e43b5fd");
    }
}
