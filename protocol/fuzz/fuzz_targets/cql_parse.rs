//! The CQL parser on arbitrary text: every input gives a statement or a
//! ParseError (with line and column), never a panic or a stack overflow; a
//! statement that parses prints back to text that parses to the same AST.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sibyl_protocol::cql::{parse, parse_many};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(statement) = parse(text) {
        let printed = statement.to_string();
        assert_eq!(parse(&printed).ok(), Some(statement), "round trip of {printed:?}");
    }
    let _ = parse_many(text);
});
