//! Tests for v5 segments. Golden bytes come from the Python driver's
//! `cassandra/segment.py` (`SegmentCodec().encode`).

use bytes::{Bytes, BytesMut};

use super::*;
use crate::frame::{ProtocolVersion, ResponseFrame};
use crate::response::{Response, ResultBody, Rows, RowsMetadata};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const OPTIONS_V5: &str = "050000000500000000";
const OPTIONS_SEGMENT: &str = "090002 a4c8c1 050000000500000000 1086284d";

#[test]
fn crc24_matches_the_python_driver() {
    assert_eq!(crc::crc24(0x02_0009, 3), 0x00c1_c8a4);
}

#[test]
fn small_frame_is_one_self_contained_segment() {
    let mut out = BytesMut::new();
    SegmentCodec::new(None)
        .encode(&hex(OPTIONS_V5), &mut out)
        .unwrap();
    assert_eq!(out.as_ref(), hex(OPTIONS_SEGMENT).as_slice());
    let seg = SegmentCodec::new(None).decode(&mut out).unwrap().unwrap();
    assert!(seg.self_contained);
    assert_eq!(seg.payload.as_ref(), hex(OPTIONS_V5).as_slice());
    assert!(out.is_empty());
}

#[test]
fn large_payload_splits_like_the_python_driver() {
    let mut out = BytesMut::new();
    SegmentCodec::new(None)
        .encode(&[0xab; 200_000], &mut out)
        .unwrap();
    assert_eq!(out.len(), 200_020);
    assert_eq!(&out[..6], hex("ffff01 3891fe").as_slice());
    assert_eq!(&out[out.len() - 4..], hex("87bc4af1").as_slice());
}

#[test]
fn header_corruption_is_a_crc24_error() {
    let mut bytes = BytesMut::from(hex(OPTIONS_SEGMENT).as_slice());
    bytes[0] ^= 0x01;
    let err = SegmentCodec::new(None).decode(&mut bytes).unwrap_err();
    assert!(
        matches!(err, ProtocolError::SegmentHeaderCrc { .. }),
        "{err:?}"
    );
}

#[test]
fn payload_corruption_is_a_crc32_error() {
    for codec in [
        SegmentCodec::new(None),
        SegmentCodec::new(Some(Compression::Lz4)),
    ] {
        let mut out = BytesMut::new();
        codec.encode(&[7u8; 1000], &mut out).unwrap();
        let hb = codec.header_bytes() + 3;
        out[hb + 2] ^= 0x40;
        let err = codec.decode(&mut out).unwrap_err();
        assert!(
            matches!(err, ProtocolError::SegmentPayloadCrc { .. }),
            "{err:?}"
        );
    }
}

fn big_frame(len: usize) -> Bytes {
    let blob: Vec<u8> = (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect();
    let rows = Rows {
        metadata: RowsMetadata {
            columns_count: 1,
            columns: None,
            ..RowsMetadata::default()
        },
        rows: vec![vec![Some(Bytes::from(blob))]],
    };
    let frame = ResponseFrame::new(
        ProtocolVersion::V5,
        9,
        Response::Result(ResultBody::Rows(rows)),
    );
    frame.to_raw(None).unwrap().to_bytes()
}

fn reassemble(codec: SegmentCodec, wire: &mut BytesMut, step: usize) -> Vec<RawFrame> {
    let mut asm = FrameAssembler::new(crate::limits::FRAME_BODY_BYTES_MAX_DEFAULT);
    let mut input = BytesMut::new();
    let mut frames = Vec::new();
    while !wire.is_empty() {
        let n = step.min(wire.len());
        input.extend_from_slice(&wire.split_to(n));
        while let Some(seg) = codec.decode(&mut input).unwrap() {
            frames.extend(asm.push(seg).unwrap());
        }
    }
    assert!(!asm.in_progress());
    frames
}

#[test]
fn one_mebibyte_frame_splits_and_reassembles() {
    let frame = big_frame(1024 * 1024);
    for codec in [
        SegmentCodec::new(None),
        SegmentCodec::new(Some(Compression::Lz4)),
    ] {
        let mut wire = BytesMut::new();
        codec.encode(&frame, &mut wire).unwrap();
        if codec.compression.is_some() {
            assert!(
                wire.len() < frame.len() / 2,
                "the repeating blob compresses"
            );
        } else {
            let segments = frame.len().div_ceil(SEGMENT_PAYLOAD_BYTES_MAX);
            assert_eq!(wire.len(), frame.len() + 10 * segments);
        }
        let frames = reassemble(codec, &mut wire, 70_000);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].to_bytes(), frame);
    }
}

#[test]
fn several_frames_share_a_self_contained_segment() {
    let mut payload = hex(OPTIONS_V5);
    payload.extend(hex(OPTIONS_V5));
    let codec = SegmentCodec::new(Some(Compression::Lz4));
    let mut wire = BytesMut::new();
    codec.encode(&payload, &mut wire).unwrap();
    let frames = reassemble(codec, &mut wire, 1);
    assert_eq!(frames.len(), 2);
}

#[test]
fn partial_frame_in_self_contained_segment_is_an_error() {
    let mut asm = FrameAssembler::new(1024);
    let seg = Segment {
        payload: Bytes::from(hex("0500000005000000")),
        self_contained: true,
    };
    assert!(asm.push(seg).is_err());
}

#[test]
fn oversized_split_frame_is_refused_early() {
    let frame = big_frame(300_000);
    let codec = SegmentCodec::new(None);
    let mut wire = BytesMut::new();
    codec.encode(&frame, &mut wire).unwrap();
    let mut asm = FrameAssembler::new(100_000);
    let seg = codec.decode(&mut wire).unwrap().unwrap();
    let err = asm.push(seg).unwrap_err();
    assert!(
        matches!(err, ProtocolError::FrameTooLarge { .. }),
        "{err:?}"
    );
}

#[test]
fn frames_are_packed_and_large_ones_split() {
    let small = {
        let mut b = BytesMut::from(hex(OPTIONS_V5).as_slice());
        RawFrame::decode(&mut b, 1024).unwrap().unwrap()
    };
    let big = {
        let mut b = BytesMut::from(big_frame(300_000).as_ref());
        RawFrame::decode(&mut b, 1 << 20).unwrap().unwrap()
    };
    let frames = vec![small.clone(), small.clone(), big.clone(), small.clone()];
    for codec in [
        SegmentCodec::new(None),
        SegmentCodec::new(Some(Compression::Lz4)),
    ] {
        let mut wire = BytesMut::new();
        codec.encode_frames(&frames, &mut wire).unwrap();
        let mut count = 0;
        let mut copy = wire.clone();
        while codec.decode(&mut copy).unwrap().is_some() {
            count += 1;
        }
        // [small small] + 3 pieces of big + [small]
        assert_eq!(count, 5);
        assert_eq!(reassemble(codec, &mut wire, 4096), frames);
    }
}
