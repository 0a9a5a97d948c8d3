//! The loader retries only transient errors: a server answering Overloaded
//! twice for one partition still gets its rows loaded (three attempts), while
//! an Invalid answer rejects the batch's rows after one attempt, into the bad
//! file, and the summary reconciles.
#![cfg(test)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sibyl_protocol::request::Request;
use sibyl_protocol::response::{ErrorKind, ErrorResponse, Response, ResultBody};
use sibyl_protocol::types::{Consistency, Value};
use sibyl_tools::echo;
use sibyl_tools::load::row::{Format, TimestampFormat};
use sibyl_tools::load::{self, LoadConfig, MaxErrors};

type Attempts = Arc<Mutex<HashMap<Vec<u8>, u32>>>;

fn handler(attempts: Attempts) -> echo::Handler {
    Arc::new(move |frame| {
        let Request::Batch(batch) = &frame.request else {
            return echo::answer(frame);
        };
        let key = match batch.statements.first().and_then(|s| s.values.first()) {
            Some(Value::Bytes(b)) => b.to_vec(),
            _ => Vec::new(),
        };
        let n = {
            let mut map = attempts.lock().unwrap();
            let n = map.entry(key.clone()).or_default();
            *n += 1;
            *n
        };
        let error = |kind, message: &str| {
            Response::Error(ErrorResponse {
                kind,
                message: message.into(),
            })
        };
        match key.as_slice() {
            b"flaky" if n <= 2 => error(ErrorKind::Overloaded, "busy"),
            b"invalid" => error(ErrorKind::Invalid, "no such column"),
            _ => Response::Result(ResultBody::Void),
        }
    })
}

#[tokio::test]
async fn transient_errors_retry_and_invalid_rejects() {
    let attempts: Attempts = Arc::default();
    let (listener, addr) = echo::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let server = tokio::spawn(echo::serve_with(listener, handler(Arc::clone(&attempts))));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let mut text = String::from("sensor,ts,value\n");
    for sensor in ["ok", "flaky", "invalid"] {
        for i in 0..4 {
            text.push_str(&format!("{sensor},{i},1.0\n"));
        }
    }
    std::fs::write(&input, text).unwrap();
    let bad = dir.path().join("bad.txt");
    let config = LoadConfig {
        hosts: vec![addr.to_string()],
        keyspace: "ks".into(),
        table: "t".into(),
        file: input.to_string_lossy().into_owned(),
        format: Format::Csv,
        header: true,
        delimiter: b',',
        mapping: None,
        schema: Some("sensor text pk, ts timestamp ck, value double".into()),
        timestamps: TimestampFormat::EpochMs,
        null_string: String::new(),
        consistency: Consistency::One,
        concurrency: 4,
        batch_rows: 4,
        rate: None,
        ttl: None,
        max_errors: MaxErrors::Count(u64::MAX),
        bad_file: Some(bad.clone()),
        checkpoint: None,
        resume: false,
        max_value_bytes: 1024,
        chunk_rows: 100,
        threads: 1,
        timeout: Duration::from_secs(5),
        progress: None,
    };
    let summary = tokio::time::timeout(Duration::from_secs(30), load::run(config))
        .await
        .unwrap()
        .unwrap();
    server.abort();
    assert_eq!((summary.read, summary.loaded, summary.rejected), (12, 8, 4));
    assert!(summary.reconciles());
    let map = attempts.lock().unwrap().clone();
    assert_eq!(map.get(b"ok".as_slice()), Some(&1));
    assert_eq!(
        map.get(b"flaky".as_slice()),
        Some(&3),
        "two Overloaded, then success"
    );
    assert_eq!(
        map.get(b"invalid".as_slice()),
        Some(&1),
        "Invalid is never retried"
    );
    let bad_text = std::fs::read_to_string(&bad).unwrap();
    assert_eq!(bad_text.matches("no such column").count(), 4, "{bad_text}");
    assert!(bad_text.contains("# line 10: server: "));
}
