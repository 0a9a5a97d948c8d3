//! Round trips: every request and response kind, every error body, each
//! protocol version, with and without LZ4 body compression, survives
//! encode → RawFrame::decode (from a byte buffer) → from_raw unchanged.

mod common;

use bytes::BytesMut;
use proptest::prelude::*;
use sibyl_protocol::compression::Compression;
use sibyl_protocol::frame::{RawFrame, RequestFrame, ResponseFrame};
use sibyl_protocol::limits::Limits;

fn compressions() -> impl Strategy<Value = Option<Compression>> {
    prop_oneof![Just(None), Just(Some(Compression::Lz4))]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn requests_round_trip(frame in common::request_frame(), compression in compressions()) {
        let mut buf = BytesMut::new();
        frame.encode(compression, &mut buf).unwrap();
        let limits = Limits::default();
        let raw = RawFrame::decode(&mut buf, limits.frame_body_bytes_max).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        let back = RequestFrame::from_raw(&raw, compression, &limits).unwrap();
        prop_assert_eq!(back, frame);
    }

    #[test]
    fn responses_round_trip(frame in common::response_frame(), compression in compressions()) {
        let mut buf = BytesMut::new();
        frame.encode(compression, &mut buf).unwrap();
        let limits = Limits::default();
        let raw = RawFrame::decode(&mut buf, limits.frame_body_bytes_max).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        let back = ResponseFrame::from_raw(&raw, compression, &limits).unwrap();
        prop_assert_eq!(back, frame);
    }

    #[test]
    fn frames_arrive_in_pieces(frame in common::response_frame(), cut in any::<prop::sample::Index>()) {
        let bytes = frame.to_raw(None).unwrap().to_bytes();
        let cut = cut.index(bytes.len());
        let mut buf = BytesMut::from(&bytes[..cut]);
        prop_assert_eq!(RawFrame::decode(&mut buf, u32::MAX).unwrap(), None);
        prop_assert_eq!(buf.len(), cut, "an incomplete frame consumes nothing");
        buf.extend_from_slice(&bytes[cut..]);
        let raw = RawFrame::decode(&mut buf, u32::MAX).unwrap().unwrap();
        prop_assert_eq!(raw.to_bytes(), bytes);
    }
}
