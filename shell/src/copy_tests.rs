//! COPY grammar, options, CSV reading with bad rows, CSV writing, intervals.

use super::*;

#[test]
fn parses_copy_from_with_options() {
    let c = parse_copy(
        "COPY ks.t (k, v) FROM 'data.csv' WITH HEADER = true AND DELIMITER = '|' AND NULL = 'NULL' \
         AND MAXROWS = 10 AND SKIPROWS = 2 AND MAXATTEMPTS = 3 AND CHUNKSIZE = 100 AND INGESTRATE = 50 \
         AND QUOTE = '''' AND ESCAPE = '\\' AND DATETIMEFORMAT = '%Y';",
    )
    .unwrap();
    assert_eq!(c.keyspace.as_deref(), Some("ks"));
    assert_eq!(c.table, "t");
    assert_eq!(c.columns, vec!["k", "v"]);
    assert_eq!(c.direction, Direction::From);
    assert_eq!(c.file.as_deref(), Some("data.csv"));
    let o = &c.options;
    assert!(o.header);
    assert_eq!((o.delimiter, o.quote, o.escape), ('|', '\'', '\\'));
    assert_eq!(o.null, "NULL");
    assert_eq!((o.max_rows, o.skip_rows, o.max_attempts), (Some(10), 2, 3));
    assert_eq!((o.chunk_size, o.ingest_rate), (100, 50));
    assert_eq!(o.datetime_format.as_deref(), Some("%Y"));
}

#[test]
fn parses_copy_to_stdout_and_errors() {
    let c = parse_copy("copy t to STDOUT").unwrap();
    assert_eq!(
        (c.keyspace, c.table.as_str(), c.file, c.direction),
        (None, "t", None, Direction::To)
    );
    assert!(c.columns.is_empty());
    assert!(parse_copy("copy t sideways 'x'").is_err());
    assert!(parse_copy("copy t from 'x' with bogus = 1").is_err());
    assert!(parse_copy("copy t from 'x' with delimiter = 'ab'").is_err());
    assert!(parse_copy("copy").is_err());
}

#[test]
fn reads_records_with_quotes_nulls_and_line_numbers() {
    let o = CopyOptions::default();
    let text = "1,hello\n2,\"a,b\"\n3,\"multi\nline\"\n\n4,\n5,\"say \\\"hi\\\"\"\n";
    let recs: Vec<_> = read_records(text, &o)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let lines: Vec<usize> = recs.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![1, 2, 3, 6, 7]);
    assert_eq!(recs[1].fields, vec![Some("2".into()), Some("a,b".into())]);
    assert_eq!(recs[2].fields[1].as_deref(), Some("multi\nline"));
    assert_eq!(recs[3].fields, vec![Some("4".into()), None]);
    assert_eq!(recs[4].fields[1].as_deref(), Some("say \"hi\""));
}

#[test]
fn unterminated_quote_is_a_bad_record() {
    let o = CopyOptions::default();
    let recs = read_records("1,ok\n2,\"open\n", &o);
    assert_eq!(recs.len(), 2);
    assert!(recs[0].is_ok());
    assert_eq!(recs[1].as_ref().unwrap_err().0, 2);
}

#[test]
fn writes_fields_minimally_quoted() {
    let o = CopyOptions::default();
    let mut s = String::new();
    write_field("plain", &o, &mut s);
    s.push('|');
    write_field("a,b", &o, &mut s);
    s.push('|');
    write_field("q\"x", &o, &mut s);
    assert_eq!(s, "plain|\"a,b\"|\"q\\\"x\"");
    // Round trip through the reader.
    let rec = read_records("\"a,b\",\"q\\\"x\"\n", &o).remove(0).unwrap();
    assert_eq!(rec.fields, vec![Some("a,b".into()), Some("q\"x".into())]);
}

#[test]
fn intervals_as_cqlsh() {
    // Checked against cqlshlib.copyutil.CopyTask.describe_interval.
    assert_eq!(
        describe_interval(3725.5),
        "0 day, 1 hours, 2 minutes, and 5.500 seconds"
    );
    assert_eq!(describe_interval(0.38), "0.380 seconds");
    assert_eq!(
        describe_interval(5.2),
        "0 day, 0 hour, 0 minute, and 5.200 seconds"
    );
}
