//! Frame header validation and v4 LZ4 body compression.

use bytes::BytesMut;
use sibyl_protocol::ProtocolError;
use sibyl_protocol::compression::{self, Compression};
use sibyl_protocol::frame::{Opcode, ProtocolVersion, RawFrame, RequestFrame};
use sibyl_protocol::limits::Limits;
use sibyl_protocol::request::{Query, QueryParameters, Request};

fn decode(bytes: &[u8]) -> Result<Option<RawFrame>, ProtocolError> {
    RawFrame::decode(
        &mut BytesMut::from(bytes),
        Limits::default().frame_body_bytes_max,
    )
}

#[test]
fn header_errors_are_typed() {
    assert_eq!(
        decode(&[0x04, 0, 0, 0, 0x04, 0, 0, 0, 0]),
        Err(ProtocolError::UnknownOpcode(4))
    );
    assert_eq!(
        decode(&[0x02, 0, 0, 0, 0x05, 0, 0, 0, 0]),
        Err(ProtocolError::UnsupportedVersion { version: 2 })
    );
    // A READY (response opcode) in a request frame.
    assert_eq!(
        decode(&[0x04, 0, 0, 0, 0x02, 0, 0, 0, 0]),
        Err(ProtocolError::UnexpectedOpcode {
            opcode: Opcode::Ready
        })
    );
    assert_eq!(decode(&[0x04, 0, 0, 0, 0x05, 0, 0, 0]), Ok(None));
}

#[test]
fn configured_limit_applies() {
    let mut buf = BytesMut::from(&[0x04, 0, 0, 0, 0x07, 0, 0, 0x04, 0x01][..]);
    let err = RawFrame::decode(&mut buf, 1024).unwrap_err();
    assert_eq!(
        err,
        ProtocolError::FrameTooLarge {
            length: 1025,
            max: 1024
        }
    );
}

#[test]
fn lz4_prefix_is_big_endian() {
    let body = vec![b'a'; 300];
    let compressed = compression::compress_body(&body).unwrap();
    assert_eq!(&compressed[..4], &[0, 0, 0x01, 0x2c]);
    assert_eq!(
        compression::decompress_body(&compressed, 300)
            .unwrap()
            .as_ref(),
        body.as_slice()
    );
    assert!(matches!(
        compression::decompress_body(&compressed, 299),
        Err(ProtocolError::FrameTooLarge {
            length: 300,
            max: 299
        })
    ));
    assert!(matches!(
        compression::decompress_body(&[0, 0, 0, 9, 0xff, 0xff], 100),
        Err(ProtocolError::Decompression(_))
    ));
}

#[test]
fn compressed_frame_from_cassandra_protocol_decodes() {
    use cassandra_protocol::compression::Compression as Theirs;
    use cassandra_protocol::frame::{Direction, Envelope, Flags, Opcode as TheirOpcode, Version};
    let query = Query {
        query: "SELECT now() FROM system.local".repeat(4),
        params: QueryParameters::default(),
    };
    let ours = RequestFrame::new(ProtocolVersion::V4, 9, Request::Query(query));
    let mut body = BytesMut::new();
    ours.request
        .encode_body(ProtocolVersion::V4, &mut body)
        .unwrap();
    let envelope = Envelope::new(
        Version::V4,
        Direction::Request,
        Flags::empty(),
        TheirOpcode::Query,
        9,
        body.to_vec(),
        None,
        vec![],
    );
    let bytes = envelope.encode_with(Theirs::Lz4).unwrap();
    assert_eq!(bytes[1] & 0x01, 0x01, "compression flag set");
    let raw = decode(&bytes).unwrap().unwrap();
    let back = RequestFrame::from_raw(&raw, Some(Compression::Lz4), &Limits::default()).unwrap();
    assert_eq!(back, ours);
    // Without compression negotiated the same frame is refused, not misread.
    assert!(RequestFrame::from_raw(&raw, None, &Limits::default()).is_err());
}

#[test]
fn typed_decode_from_a_read_buffer() {
    use sibyl_protocol::frame::ResponseFrame;
    use sibyl_protocol::response::{Response, supported_options};
    let options = supported_options(
        "3.4.7",
        &[Compression::Lz4],
        &[ProtocolVersion::V4, ProtocolVersion::V5],
    );
    assert_eq!(options["COMPRESSION"], vec!["lz4".to_string()]);
    assert_eq!(
        options["PROTOCOL_VERSIONS"],
        vec!["4/v4".to_string(), "5/v5".to_string()]
    );
    let frame = ResponseFrame::new(ProtocolVersion::V4, 1, Response::Supported(options));
    let mut buf = BytesMut::new();
    frame.encode(Some(Compression::Lz4), &mut buf).unwrap();
    let whole = buf.clone();
    let mut partial = BytesMut::from(&whole[..whole.len() - 1]);
    let limits = Limits::default();
    assert_eq!(
        ResponseFrame::decode(&mut partial, Some(Compression::Lz4), &limits),
        Ok(None)
    );
    let back = ResponseFrame::decode(&mut buf, Some(Compression::Lz4), &limits).unwrap();
    assert_eq!(back, Some(frame));
    assert!(buf.is_empty());
    assert!(Limits::default().validate().is_ok());
    assert!(
        Limits {
            frame_body_bytes_max: 0,
            ..Limits::default()
        }
        .validate()
        .is_err()
    );
}

#[test]
fn decode_errors_become_protocol_error_responses() {
    use sibyl_protocol::response::{ErrorKind, ErrorResponse};
    let err = decode(&[0x04, 0, 0, 0, 0x04, 0, 0, 0, 0]).unwrap_err();
    let resp = ErrorResponse::protocol_error(&err);
    assert_eq!(resp.kind, ErrorKind::Protocol);
    assert_eq!(resp.message, "unknown opcode 0x04");
}
