//! Tests for the primitive codecs: exact layouts, bounds and refusals.

use bytes::BytesMut;
use proptest::prelude::*;

use super::*;

fn reader(b: &[u8]) -> Reader<'_> {
    Reader::new(b, Limits::default())
}

#[test]
fn value_markers_have_their_lengths() {
    let mut buf = BytesMut::new();
    put_value(&mut buf, &Value::Null, "v").unwrap();
    put_value(&mut buf, &Value::Unset, "v").unwrap();
    put_value(&mut buf, &Value::Bytes(Bytes::from_static(b"ab")), "v").unwrap();
    assert_eq!(
        buf.as_ref(),
        &[
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 2, b'a', b'b'
        ]
    );
    let mut r = reader(&buf);
    assert_eq!(r.read_value("v").unwrap(), Value::Null);
    assert_eq!(r.read_value("v").unwrap(), Value::Unset);
    assert_eq!(
        r.read_value("v").unwrap(),
        Value::Bytes(Bytes::from_static(b"ab"))
    );
    assert_eq!(r.remaining(), 0);
}

#[test]
fn value_length_below_minus_two_is_refused() {
    let err = reader(&[0xff, 0xff, 0xff, 0xfd])
        .read_value("v")
        .unwrap_err();
    assert_eq!(err, ProtocolError::InvalidValueLength(-3));
}

#[test]
fn lengths_past_the_input_are_truncation_not_allocation() {
    // A [bytes] claiming 2 GiB with 2 bytes present.
    let err = reader(&[0x7f, 0xff, 0xff, 0xff, 1, 2])
        .read_bytes("b")
        .unwrap_err();
    assert!(matches!(
        err,
        ProtocolError::Truncated {
            needed: 0x7fff_ffff,
            available: 2,
            ..
        }
    ));
    // A string list claiming 65535 elements in 2 bytes.
    let err = reader(&[0xff, 0xff, 0, 0])
        .read_string_list("l")
        .unwrap_err();
    assert!(matches!(
        err,
        ProtocolError::TooManyElements { count: 65535, .. }
    ));
}

#[test]
fn collection_limit_is_enforced() {
    let limits = Limits {
        collection_elements_max: 1,
        ..Limits::default()
    };
    let mut buf = BytesMut::new();
    put_string_list(&mut buf, &["a".into(), "b".into()], "l").unwrap();
    let err = Reader::new(&buf, limits).read_string_list("l").unwrap_err();
    assert!(matches!(
        err,
        ProtocolError::TooManyElements {
            count: 2,
            max: 1,
            ..
        }
    ));
}

#[test]
fn strings_must_be_utf8_and_fit_a_short() {
    let err = reader(&[0, 1, 0xff]).read_string("s").unwrap_err();
    assert_eq!(err, ProtocolError::InvalidUtf8 { what: "s" });
    let long = "x".repeat(70_000);
    let err = put_string(&mut BytesMut::new(), &long, "s").unwrap_err();
    assert!(matches!(err, ProtocolError::TooLong { length: 70_000, .. }));
}

#[test]
fn inet_layouts() {
    let mut buf = BytesMut::new();
    put_inet(&mut buf, &"10.0.0.1:9042".parse().unwrap());
    assert_eq!(buf.as_ref(), &[4, 10, 0, 0, 1, 0, 0, 0x23, 0x52]);
    let err = reader(&[5, 0, 0, 0, 0, 0]).read_inetaddr("a").unwrap_err();
    assert_eq!(err, ProtocolError::InvalidInetLength(5));
    let err = reader(&[4, 1, 2, 3, 4, 0, 1, 0, 0])
        .read_inet("a")
        .unwrap_err();
    assert_eq!(err, ProtocolError::InvalidPort(65536));
}

#[test]
fn consistency_codes() {
    for c in Consistency::ALL {
        assert_eq!(Consistency::from_code(c.code()).unwrap(), c);
    }
    assert_eq!(Consistency::LocalOne.code(), 0x000A);
    assert_eq!(
        Consistency::from_code(0x000B),
        Err(ProtocolError::UnknownConsistency(0x000B))
    );
}

proptest! {
    #[test]
    fn maps_round_trip(
        m in proptest::collection::btree_map("[a-z]{0,8}", proptest::collection::vec("[a-z]{0,5}", 0..3), 0..5),
    ) {
        let mut buf = BytesMut::new();
        put_string_multimap(&mut buf, &m, "m").unwrap();
        let mut r = reader(&buf);
        prop_assert_eq!(r.read_string_multimap("m").unwrap(), m);
        prop_assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn primitives_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut r = reader(&bytes);
        let _ = r.read_string_map("m");
        let mut r = reader(&bytes);
        let _ = r.read_bytes_map("m");
        let mut r = reader(&bytes);
        let _ = r.read_inet("i");
        let mut r = reader(&bytes);
        let _ = r.read_long_string("s");
    }
}
