//! Runs the CQL corpus in `testdata/cql/`: every statement of `valid/*.cql`
//! parses and round-trips through `Display`; every case of `invalid.txt`
//! fails at the expected line and column (and with the expected message
//! when one is given).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns: a broken corpus file must fail loudly"
)]
use std::fs;
use std::path::PathBuf;

use sibyl_protocol::cql::{parse, parse_many};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/cql")
}

fn valid_statement_count() -> usize {
    let mut files: Vec<PathBuf> = fs::read_dir(corpus_dir().join("valid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cql"))
        .collect();
    files.sort();
    let mut count = 0;
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let statements = parse_many(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for stmt in statements {
            let printed = stmt.to_string();
            let again = parse(&printed)
                .unwrap_or_else(|e| panic!("{}: reprinted `{printed}`: {e}", file.display()));
            assert_eq!(
                again,
                stmt,
                "{}: `{printed}` did not round-trip",
                file.display()
            );
            count += 1;
        }
    }
    count
}

struct Case {
    line: usize,
    column: usize,
    message: Option<String>,
    text: String,
}

fn invalid_cases() -> Vec<Case> {
    let text = fs::read_to_string(corpus_dir().join("invalid.txt")).unwrap();
    let mut cases: Vec<Case> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("-- expect ") {
            let (pos, message) = match rest.split_once(' ') {
                Some((pos, message)) => (pos, Some(message.to_string())),
                None => (rest, None),
            };
            let (l, c) = pos.split_once(':').unwrap();
            cases.push(Case {
                line: l.parse().unwrap(),
                column: c.parse().unwrap(),
                message,
                text: String::new(),
            });
        } else {
            let case = cases.last_mut().expect("statement before the first case");
            if !case.text.is_empty() {
                case.text.push('\n');
            }
            case.text.push_str(line);
        }
    }
    cases
}

#[test]
fn corpus() {
    let valid = valid_statement_count();
    let cases = invalid_cases();
    let mut failures = Vec::new();
    for case in &cases {
        match parse(&case.text) {
            Ok(stmt) => failures.push(format!("`{}` parsed as {stmt}", case.text)),
            Err(e) => {
                let position_ok = e.line == case.line && e.column == case.column;
                let rendered = e.to_string();
                let message_ok = case
                    .message
                    .as_ref()
                    .is_none_or(|m| rendered == format!("line {}:{} {m}", e.line, e.column));
                if !position_ok || !message_ok {
                    failures.push(format!(
                        "`{}`: expected {}:{} {:?}, got `{rendered}`",
                        case.text, case.line, case.column, case.message
                    ));
                }
            }
        }
    }
    eprintln!(
        "corpus: {valid} valid statements, {} invalid cases",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(valid >= 250, "only {valid} valid statements");
    assert!(
        valid + cases.len() >= 300,
        "corpus too small: {}",
        valid + cases.len()
    );
}
