//! v5 segments and frame reassembly, with and without compression.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use sibyl_protocol::compression::Compression;
use sibyl_protocol::segment::{FrameAssembler, SegmentCodec};

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else { return };
    let codec = SegmentCodec::new((mode & 1 == 1).then_some(Compression::Lz4));
    let mut buf = BytesMut::from(rest);
    let mut assembler = FrameAssembler::new(1 << 20);
    while let Ok(Some(segment)) = codec.decode(&mut buf) {
        if assembler.push(segment).is_err() {
            break;
        }
    }
});
