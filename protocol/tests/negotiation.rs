//! Version negotiation: a first frame with a version we do not speak gets the
//! ERROR frame drivers downgrade on (COMPAT §1.1, §7 row 12, §8).

use bytes::BytesMut;
use sibyl_protocol::frame::{
    ProtocolVersion, RawFrame, ResponseFrame, VersionCheck, VersionPolicy,
};
use sibyl_protocol::limits::Limits;
use sibyl_protocol::response::{ErrorKind, Response};

fn reply(check: VersionCheck) -> (Vec<u8>, ResponseFrame) {
    let VersionCheck::Reject { reply, .. } = check else {
        panic!("expected a rejection: {check:?}")
    };
    let mut buf = BytesMut::from(reply.as_ref());
    let raw = RawFrame::decode(&mut buf, u32::MAX)
        .expect("valid")
        .expect("complete");
    let frame = ResponseFrame::from_raw(&raw, None, &Limits::default()).expect("decodes");
    (reply.to_vec(), frame)
}

#[test]
fn dse_v2_options_from_python_gets_a_v4_protocol_error() {
    let policy = VersionPolicy {
        supported: vec![ProtocolVersion::V3, ProtocolVersion::V4],
        beta: None,
    };
    // Python's first frame: OPTIONS at 0x42 on stream 0.
    let (bytes, frame) = reply(policy.check(&[0x42, 0x00, 0x00, 0x00, 0x05, 0, 0, 0, 0]));
    assert_eq!(
        bytes[0], 0x84,
        "version byte of the highest supported version"
    );
    assert_eq!(frame.stream, 0);
    let Response::Error(err) = frame.response else {
        panic!()
    };
    assert_eq!(err.kind, ErrorKind::Protocol);
    assert_eq!(
        err.message,
        "Invalid or unsupported protocol version (66); supported versions are (3/v3, 4/v4)"
    );
    assert_eq!(
        bytes.len(),
        9 + 4 + 2 + err.message.len(),
        "header, code, [string]"
    );
}

#[test]
fn the_request_stream_is_echoed() {
    let policy = VersionPolicy::all();
    let (bytes, frame) = reply(policy.check(&[0x06, 0x00, 0x01, 0x2c, 0x01]));
    assert_eq!(bytes[0], 0x85);
    assert_eq!(frame.stream, 300);
    let Response::Error(err) = frame.response else {
        panic!()
    };
    assert!(err.message.contains("unsupported protocol version (6)"));
    assert!(
        err.message
            .ends_with("supported versions are (3/v3, 4/v4, 5/v5)")
    );
}

#[test]
fn v1_and_v2_headers_have_a_one_byte_stream() {
    let (bytes, frame) = reply(VersionPolicy::default().check(&[0x02, 0x00, 0x07, 0x05]));
    assert_eq!(frame.stream, 7);
    assert_eq!(bytes[0], 0x84, "the default policy is v3 and v4");
}

#[test]
fn supported_versions_are_accepted_and_short_input_waits() {
    let policy = VersionPolicy::all();
    assert_eq!(
        policy.check(&[0x04, 0, 0, 0, 5]),
        VersionCheck::Accept(ProtocolVersion::V4)
    );
    assert_eq!(
        policy.check(&[0x05, 0, 0, 0, 5]),
        VersionCheck::Accept(ProtocolVersion::V5)
    );
    assert_eq!(policy.check(&[0x42]), VersionCheck::NeedMoreBytes);
    assert_eq!(policy.check(&[0x42, 0, 0]), VersionCheck::NeedMoreBytes);
}

#[test]
fn beta_version_without_use_beta_is_refused_in_that_version() {
    let policy = VersionPolicy {
        supported: ProtocolVersion::ALL.to_vec(),
        beta: Some(ProtocolVersion::V5),
    };
    let (bytes, frame) = reply(policy.check(&[0x05, 0x00, 0x00, 0x03, 0x05]));
    assert_eq!(bytes[0], 0x85);
    let Response::Error(err) = frame.response else {
        panic!()
    };
    assert_eq!(
        err.message,
        "Beta version of the protocol used (5/v5-beta), but USE_BETA flag is unset"
    );
    assert_eq!(
        policy.check(&[0x05, 0x10, 0x00, 0x03, 0x05]),
        VersionCheck::Accept(ProtocolVersion::V5)
    );
}
