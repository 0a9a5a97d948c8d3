//! Whole frames from arbitrary bytes: header, optional LZ4 body, message body,
//! in both directions. Any input must give a value, never a panic.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use sibyl_protocol::compression::Compression;
use sibyl_protocol::frame::{RawFrame, RequestFrame, ResponseFrame};
use sibyl_protocol::limits::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let mut buf = BytesMut::from(data);
    while let Ok(Some(raw)) = RawFrame::decode(&mut buf, limits.frame_body_bytes_max) {
        for compression in [None, Some(Compression::Lz4)] {
            let _ = RequestFrame::from_raw(&raw, compression, &limits);
            let _ = ResponseFrame::from_raw(&raw, compression, &limits);
        }
    }
});
