//! Message bodies: the first two bytes pick the opcode and version, the rest
//! is the body, decoded as a request and as a response.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sibyl_protocol::frame::{Opcode, ProtocolVersion};
use sibyl_protocol::limits::Limits;
use sibyl_protocol::request::Request;
use sibyl_protocol::response::Response;
use sibyl_protocol::types::Reader;

fuzz_target!(|data: &[u8]| {
    let [op, ver, body @ ..] = data else { return };
    let Ok(opcode) = Opcode::from_byte(*op % 0x11) else { return };
    let version = ProtocolVersion::ALL[usize::from(*ver) % ProtocolVersion::ALL.len()];
    let limits = Limits::default();
    let _ = Request::decode_body(opcode, version, &mut Reader::new(body, limits));
    let _ = Response::decode_body(opcode, version, &mut Reader::new(body, limits));
});
