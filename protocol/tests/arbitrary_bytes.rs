//! Arbitrary bytes never panic: the frame header and body decoders, the
//! message decoders for every opcode and version, and the segment decoder
//! return values (frames or errors) for any input.

use bytes::BytesMut;
use proptest::prelude::*;
use sibyl_protocol::compression::Compression;
use sibyl_protocol::frame::{Opcode, ProtocolVersion, RawFrame, RequestFrame, ResponseFrame};
use sibyl_protocol::limits::Limits;
use sibyl_protocol::request::Request;
use sibyl_protocol::response::Response;
use sibyl_protocol::segment::{FrameAssembler, SegmentCodec};
use sibyl_protocol::types::Reader;

const OPCODES: [u8; 16] = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn frame_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut buf = BytesMut::from(bytes.as_slice());
        let limits = Limits::default();
        if let Ok(Some(raw)) = RawFrame::decode(&mut buf, limits.frame_body_bytes_max) {
            let _ = RequestFrame::from_raw(&raw, Some(Compression::Lz4), &limits);
            let _ = ResponseFrame::from_raw(&raw, Some(Compression::Lz4), &limits);
        }
    }

    #[test]
    fn body_decoders_never_panic(
        opcode in prop::sample::select(OPCODES.to_vec()),
        version in prop::sample::select(ProtocolVersion::ALL.to_vec()),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let opcode = Opcode::from_byte(opcode).unwrap();
        let limits = Limits::default();
        let _ = Request::decode_body(opcode, version, &mut Reader::new(&body, limits));
        let _ = Response::decode_body(opcode, version, &mut Reader::new(&body, limits));
    }

    #[test]
    fn result_bodies_with_a_valid_kind_never_panic(
        kind in 1u8..=5,
        version in prop::sample::select(ProtocolVersion::ALL.to_vec()),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut bytes = vec![0, 0, 0, kind];
        bytes.extend(body);
        let _ = Response::decode_body(Opcode::Result, version, &mut Reader::new(&bytes, Limits::default()));
    }

    #[test]
    fn segment_decoder_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        compressed in any::<bool>(),
    ) {
        let codec = SegmentCodec::new(compressed.then_some(Compression::Lz4));
        let mut buf = BytesMut::from(bytes.as_slice());
        let mut asm = FrameAssembler::new(1 << 20);
        while let Ok(Some(seg)) = codec.decode(&mut buf) {
            if asm.push(seg).is_err() {
                break;
            }
        }
    }
}

#[test]
fn oversized_length_is_refused_before_the_body_arrives() {
    // OPTIONS header claiming a 1 GiB body: refused from the 9 header bytes.
    let mut buf = BytesMut::from(&[0x04, 0, 0, 0, 0x05, 0x40, 0, 0, 0][..]);
    let err = RawFrame::decode(&mut buf, Limits::default().frame_body_bytes_max).unwrap_err();
    assert!(matches!(
        err,
        sibyl_protocol::ProtocolError::FrameTooLarge {
            length: 0x4000_0000,
            ..
        }
    ));
}

#[test]
fn compressed_body_cannot_claim_more_than_the_limit() {
    // A v4 QUERY flagged compressed whose LZ4 prefix claims 2 GiB.
    let mut bytes = vec![
        0x04, 0x01, 0, 1, 0x07, 0, 0, 0, 6, 0x7f, 0xff, 0xff, 0xff, 0, 0,
    ];
    let mut buf = BytesMut::from(bytes.as_slice());
    let raw = RawFrame::decode(&mut buf, u32::MAX).unwrap().unwrap();
    let err = RequestFrame::from_raw(&raw, Some(Compression::Lz4), &Limits::default()).unwrap_err();
    assert!(
        matches!(err, sibyl_protocol::ProtocolError::FrameTooLarge { .. }),
        "{err:?}"
    );
    bytes.clear();
}
