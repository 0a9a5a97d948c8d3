//! The `[option]` type codec: exact bytes for composite types, the custom-class
//! forms of `duration` (before v5) and `vector`, frozen wrappers dropped, and
//! the nesting limit.

use bytes::BytesMut;
use sibyl_protocol::ProtocolError;
use sibyl_protocol::frame::ProtocolVersion;
use sibyl_protocol::limits::Limits;
use sibyl_protocol::response::type_option::{decode_type, encode_type};
use sibyl_protocol::types::Reader;
use sibyl_protocol::value::{CqlType, UdtDef};

fn encode(ty: &CqlType, v: ProtocolVersion) -> Vec<u8> {
    let mut buf = BytesMut::new();
    encode_type(ty, v, &mut buf).expect("encodes");
    buf.to_vec()
}

fn decode(bytes: &[u8]) -> Result<CqlType, ProtocolError> {
    decode_type(&mut Reader::new(bytes, Limits::default()))
}

fn custom(class: &str) -> Vec<u8> {
    let mut out = vec![0, 0];
    out.extend(u16::try_from(class.len()).expect("short").to_be_bytes());
    out.extend(class.as_bytes());
    out
}

#[test]
fn map_of_text_to_list_of_int() {
    let ty = CqlType::Map(
        Box::new(CqlType::Text),
        Box::new(CqlType::List(Box::new(CqlType::Int))),
    );
    let bytes = encode(&ty, ProtocolVersion::V4);
    assert_eq!(bytes, [0x00, 0x21, 0x00, 0x0d, 0x00, 0x20, 0x00, 0x09]);
    assert_eq!(decode(&bytes).expect("decodes"), ty);
}

#[test]
fn frozen_wrappers_are_dropped() {
    let inner = CqlType::Set(Box::new(CqlType::Uuid));
    let frozen = CqlType::Frozen(Box::new(inner.clone()));
    assert_eq!(
        encode(&frozen, ProtocolVersion::V4),
        encode(&inner, ProtocolVersion::V4)
    );
    assert_eq!(
        decode(&encode(&frozen, ProtocolVersion::V4)).expect("decodes"),
        inner
    );
}

#[test]
fn udt_and_tuple_layouts() {
    let udt = CqlType::Udt(UdtDef {
        keyspace: "ks".into(),
        name: "addr".into(),
        fields: vec![("n".into(), CqlType::Int)],
    });
    let bytes = encode(&udt, ProtocolVersion::V4);
    assert_eq!(
        bytes,
        [
            0, 0x30, 0, 2, b'k', b's', 0, 4, b'a', b'd', b'd', b'r', 0, 1, 0, 1, b'n', 0, 9
        ]
    );
    let tuple = CqlType::Tuple(vec![CqlType::Int, udt.clone()]);
    assert_eq!(
        decode(&encode(&tuple, ProtocolVersion::V4)).expect("decodes"),
        tuple
    );
}

#[test]
fn duration_is_custom_before_v5() {
    let v4 = encode(&CqlType::Duration, ProtocolVersion::V4);
    assert_eq!(v4, custom("org.apache.cassandra.db.marshal.DurationType"));
    assert_eq!(
        encode(&CqlType::Duration, ProtocolVersion::V5),
        [0x00, 0x15]
    );
    assert_eq!(decode(&v4).expect("decodes"), CqlType::Duration);
}

#[test]
fn vector_is_the_custom_vector_type_class() {
    let ty = CqlType::Vector(Box::new(CqlType::Float), 3);
    let expected = custom(
        "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)",
    );
    assert_eq!(encode(&ty, ProtocolVersion::V4), expected);
    assert_eq!(decode(&expected).expect("decodes"), ty);
    // Spacing is not significant to the reader, and elements may be frozen collections.
    let nested = custom(
        "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FrozenType(\
         org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type)),2)",
    );
    let list = CqlType::List(Box::new(CqlType::Int));
    assert_eq!(
        decode(&nested).expect("decodes"),
        CqlType::Vector(Box::new(list), 2)
    );
}

#[test]
fn unknown_custom_classes_stay_custom() {
    let bytes = custom("com.example.Thing(");
    assert_eq!(
        decode(&bytes).expect("decodes"),
        CqlType::Custom("com.example.Thing(".into())
    );
}

#[test]
fn unknown_ids_and_deep_nesting_are_errors() {
    assert_eq!(
        decode(&[0x00, 0x40]),
        Err(ProtocolError::UnknownTypeId(0x40))
    );
    let mut deep = Vec::new();
    for _ in 0..100 {
        deep.extend([0x00, 0x20]);
    }
    deep.extend([0x00, 0x09]);
    assert!(matches!(
        decode(&deep),
        Err(ProtocolError::TypeNestingTooDeep { .. })
    ));
}
