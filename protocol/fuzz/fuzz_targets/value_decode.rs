//! CQL value decoders on arbitrary bytes, for a type chosen by the first byte:
//! every input decodes to a value or a ValueError, never a panic; a decoded
//! value encodes back to bytes that decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sibyl_protocol::value::{CqlType, decode, encode_to_vec};

fn pick(selector: u8) -> CqlType {
    let natives = [
        CqlType::Ascii, CqlType::Bigint, CqlType::Blob, CqlType::Boolean, CqlType::Counter,
        CqlType::Decimal, CqlType::Double, CqlType::Float, CqlType::Int, CqlType::Timestamp,
        CqlType::Uuid, CqlType::Text, CqlType::Varint, CqlType::Timeuuid, CqlType::Inet,
        CqlType::Date, CqlType::Time, CqlType::Smallint, CqlType::Tinyint, CqlType::Duration,
    ];
    let base = natives[usize::from(selector) % natives.len()].clone();
    match selector / 32 {
        1 => CqlType::List(Box::new(base)),
        2 => CqlType::Set(Box::new(base)),
        3 => CqlType::Map(Box::new(CqlType::Text), Box::new(base)),
        4 => CqlType::Tuple(vec![base, CqlType::Int]),
        5 => CqlType::Vector(Box::new(CqlType::Float), 3),
        _ => base,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, bytes)) = data.split_first() else { return };
    let ty = pick(*selector);
    if let Ok(value) = decode(&ty, bytes)
        && let Ok(encoded) = encode_to_vec(&value, &ty)
    {
        // NaN payloads and set ordering may differ in bytes; values must agree.
        if let Ok(again) = decode(&ty, &encoded) {
            assert_eq!(format!("{again:?}"), format!("{value:?}"));
        }
    }
});
