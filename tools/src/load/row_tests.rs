//! Unit tests of record parsing: field splitting, nulls, timestamp formats and
//! partition tokens against the COMPAT §6 vectors.

use sibyl_protocol::types::Value;
use sibyl_protocol::value::CqlType;

use super::row::{Format, RowParser, TimestampFormat, split_csv};
use super::schema::{Mapping, TableSchema};

fn parser(schema: &str, timestamps: TimestampFormat) -> RowParser {
    let schema = TableSchema::parse(schema).unwrap();
    let mapping = Mapping::new(&schema, None, None).unwrap();
    RowParser {
        format: Format::Csv,
        delimiter: b',',
        partition: mapping.partition_positions(&schema),
        mapping,
        null_string: String::new(),
        timestamps,
        max_value_bytes: 1024,
    }
}

#[test]
fn csv_quoting() {
    let f = split_csv("a,\"b,c\",\"d \"\"e\"\"\",", b',').unwrap();
    let f: Vec<_> = f.into_iter().map(Option::unwrap).collect();
    assert_eq!(f, ["a", "b,c", "d \"e\"", ""]);
    assert!(split_csv("\"abc", b',').is_err());
    assert!(split_csv("\"a\"b,c", b',').is_err());
    assert!(split_csv("a\"b,c", b',').is_err());
    assert_eq!(split_csv("a|b", b'|').unwrap().len(), 2);
}

#[test]
fn tokens_match_compat_vectors() {
    // Single int key 1.
    let p = parser("k int pk, v text", TimestampFormat::Iso8601);
    let row = p.parse("1,x").unwrap();
    assert_eq!(row.token, -4_069_959_284_402_364_209);
    // Composite (int 1, text 'x').
    let p = parser("a int pk, b text pk, v text", TimestampFormat::Iso8601);
    let row = p.parse("1,x,v").unwrap();
    assert_eq!(row.key, [0, 4, 0, 0, 0, 1, 0, 0, 1, 0x78, 0]);
    assert_eq!(row.token, 746_584_927_563_629_270);
}

#[test]
fn timestamp_formats_and_nulls() {
    let schema = "s text pk, ts timestamp ck, v double";
    let expect = 1_700_000_000_000_i64.to_be_bytes().to_vec();
    for (format, text) in [
        (TimestampFormat::Iso8601, "2023-11-14T22:13:20Z"),
        (TimestampFormat::EpochS, "1700000000"),
        (TimestampFormat::EpochMs, "1700000000000"),
        (TimestampFormat::EpochUs, "1700000000000000"),
        (
            TimestampFormat::parse("%Y/%m/%d %H:%M:%S"),
            "2023/11/14 22:13:20",
        ),
    ] {
        let row = parser(schema, format.clone())
            .parse(&format!("a,{text},"))
            .unwrap();
        assert_eq!(
            row.values[1],
            Value::Bytes(expect.clone().into()),
            "{format:?}"
        );
        assert_eq!(row.values[2], Value::Unset, "empty field is null -> unset");
    }
    let err = parser(schema, TimestampFormat::EpochMs)
        .parse("a,x,1")
        .unwrap_err();
    assert_eq!(err, "column ts: cannot parse 'x' as timestamp");
}

#[test]
fn mapping_by_index_and_name() {
    let schema = TableSchema::parse("s text pk, ts timestamp ck, v double").unwrap();
    assert_eq!(schema.columns[0].ty, CqlType::Text);
    let m = Mapping::new(&schema, Some("2=s,0=ts"), None).unwrap();
    assert_eq!(m.fields, 3);
    assert_eq!(
        m.insert("ks", "t", Some(60)),
        "INSERT INTO ks.t (s, ts) VALUES (?, ?) USING TTL 60"
    );
    assert!(
        Mapping::new(&schema, Some("v"), None).is_err(),
        "key columns must be mapped"
    );
    assert!(Mapping::new(&schema, Some("s,ts,nope"), None).is_err());
    assert!(TableSchema::parse("v double").is_err(), "no partition key");
}
