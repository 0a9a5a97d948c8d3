//! The network side of a load: grouping a chunk's rows by partition into
//! UNLOGGED batches, sending them with bounded concurrency, a rate limit and
//! retries, and reporting each chunk's outcome when its last batch returns.
//!
//! Invariants: at most `concurrency` requests are in flight (a permit is
//! taken before a batch is spawned, so the dispatcher and everything behind
//! it wait); only timeouts and overload-type errors are retried (inserts are
//! idempotent); a batch that still fails rejects its rows with the reason.
//! Routing: rows are grouped and ordered by their Murmur3 token and each
//! batch goes to the connected node owning that token (a replica; see
//! [`crate::ring`]), by modulo when the nodes did not say.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sibyl_protocol::ProtocolVersion;
use sibyl_protocol::client::{ClientError, PreparedStatement, QueryOptions, Session};
use sibyl_protocol::request::{
    Batch, BatchQuery, BatchStatement, BatchType, Execute, QueryParameters, QueryValues,
};
use sibyl_protocol::response::ErrorKind;
use sibyl_protocol::types::Value;
use tokio::sync::{Semaphore, mpsc};

use super::pipeline::{ParsedChunk, ParsedRow, Rejected};

/// How to send.
#[derive(Debug, Clone)]
pub struct Sender {
    /// One session per host.
    pub sessions: Vec<Session>,
    /// Which session owns which token.
    pub router: crate::ring::TokenRouter,
    /// The INSERT.
    pub insert: Arc<PreparedStatement>,
    /// Consistency and timestamp.
    pub options: QueryOptions,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Bounds requests in flight.
    pub permits: Arc<Semaphore>,
    /// Rows per second, if limited.
    pub rate: Option<f64>,
    /// Attempts per batch (1 = no retry).
    pub attempts: u32,
    /// First retry delay (doubles each time).
    pub backoff: Duration,
}

/// The outcome of one chunk.
#[derive(Debug, Clone)]
pub struct ChunkDone {
    /// The chunk's sequence number.
    pub seq: u64,
    /// Its records.
    pub records: u64,
    /// Rows loaded.
    pub loaded: u64,
    /// Rejected records (parse and server), by line.
    pub rejected: Vec<Rejected>,
}

struct Tracker {
    done: ChunkDone,
    batches_left: usize,
    out: mpsc::UnboundedSender<ChunkDone>,
}

/// Fixed-rate pacing shared by the dispatcher.
#[derive(Debug)]
pub struct Pacer {
    next: Instant,
}

impl Pacer {
    /// A pacer starting now.
    pub fn new() -> Self {
        Pacer {
            next: Instant::now(),
        }
    }

    /// Waits until `rows` more rows may go at `rate` rows/s.
    pub async fn wait(&mut self, rows: usize, rate: f64) {
        let now = Instant::now();
        let at = self.next.max(now);
        self.next = at + Duration::from_secs_f64(rows as f64 / rate.max(1e-9));
        tokio::time::sleep_until(at.into()).await;
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

/// Groups rows by partition key, ordered by token; each group is cut into
/// batches of at most `batch_rows`.
pub fn group(rows: Vec<ParsedRow>, batch_rows: usize) -> Vec<Vec<ParsedRow>> {
    let mut by_key: HashMap<Vec<u8>, Vec<ParsedRow>> = HashMap::new();
    for row in rows {
        by_key.entry(row.row.key.clone()).or_default().push(row);
    }
    let mut groups: Vec<Vec<ParsedRow>> = by_key.into_values().collect();
    groups.sort_by_key(|g| g.first().map_or(0, |r| r.row.token));
    let mut batches = Vec::new();
    for mut g in groups {
        while g.len() > batch_rows.max(1) {
            let rest = g.split_off(batch_rows.max(1));
            batches.push(std::mem::replace(&mut g, rest));
        }
        batches.push(g);
    }
    batches
}

impl Sender {
    /// Sends a chunk's batches (waiting for permits and the rate); the outcome
    /// goes to `out` when the last batch returns.
    pub async fn dispatch(
        &self,
        chunk: ParsedChunk,
        pacer: &mut Pacer,
        out: &mpsc::UnboundedSender<ChunkDone>,
    ) {
        let batches = group(chunk.rows, self.batch_rows);
        let tracker = Arc::new(Mutex::new(Tracker {
            done: ChunkDone {
                seq: chunk.seq,
                records: chunk.records,
                loaded: 0,
                rejected: chunk.rejected,
            },
            batches_left: batches.len(),
            out: out.clone(),
        }));
        if batches.is_empty() {
            finish_batch(&tracker, 0, Vec::new());
            return;
        }
        for batch in batches {
            if let Some(rate) = self.rate {
                pacer.wait(batch.len(), rate).await;
            }
            let Ok(permit) = Arc::clone(&self.permits).acquire_owned().await else {
                return;
            };
            let (me, tracker) = (self.clone(), Arc::clone(&tracker));
            tokio::spawn(async move {
                let result = me.send_batch(&batch).await;
                drop(permit);
                match result {
                    Ok(()) => finish_batch(&tracker, batch.len() as u64, Vec::new()),
                    Err(e) => {
                        let rejected = batch
                            .into_iter()
                            .map(|r| Rejected {
                                line: r.line,
                                text: r.text,
                                reason: format!("server: {e}"),
                            })
                            .collect();
                        finish_batch(&tracker, 0, rejected);
                    }
                }
            });
        }
    }

    async fn send_batch(&self, rows: &[ParsedRow]) -> Result<(), ClientError> {
        let token = rows.first().map_or(0, |r| r.row.token);
        let host = self.router.route(token, self.sessions.len());
        let Some(session) = self.sessions.get(host) else {
            return Err(ClientError::Invalid("no session".into()));
        };
        let mut delay = self.backoff;
        let mut attempt = 1;
        loop {
            let mut result = self.send_once(session, rows).await;
            if let Err(e) = &result
                && is_unprepared(e)
            {
                // The node forgot the statement (restart, cache eviction): prepare
                // it again (same text, same id) and retry once.
                result = match session.prepare(&self.insert.query).await {
                    Ok(_) => self.send_once(session, rows).await,
                    Err(e) => Err(e),
                };
            }
            match result {
                Err(e) if attempt < self.attempts && retryable(&e) => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once(&self, session: &Session, rows: &[ParsedRow]) -> Result<(), ClientError> {
        let conn = session.connection();
        let metadata_id = (conn.version() >= ProtocolVersion::V5)
            .then(|| self.insert.result_metadata_id.clone().unwrap_or_default());
        let params = |values: Vec<Value>| QueryParameters {
            consistency: self.options.consistency,
            values: QueryValues::Positional(values),
            default_timestamp: self.options.timestamp,
            ..QueryParameters::default()
        };
        if let [one] = rows {
            conn.execute(Execute {
                id: self.insert.id.clone(),
                result_metadata_id: metadata_id,
                params: params(one.row.values.clone()),
            })
            .await?;
            return Ok(());
        }
        let statements = rows
            .iter()
            .map(|r| BatchStatement {
                query: BatchQuery::Prepared(self.insert.id.clone()),
                values: r.row.values.clone(),
            })
            .collect();
        conn.batch(Batch {
            batch_type: BatchType::Unlogged,
            statements,
            consistency: self.options.consistency,
            serial_consistency: None,
            default_timestamp: self.options.timestamp,
            keyspace: None,
            now_in_seconds: None,
        })
        .await?;
        Ok(())
    }
}

fn finish_batch(tracker: &Mutex<Tracker>, loaded: u64, rejected: Vec<Rejected>) {
    let Ok(mut t) = tracker.lock() else { return };
    t.done.loaded += loaded;
    t.done.rejected.extend(rejected);
    t.batches_left = t.batches_left.saturating_sub(1);
    if t.batches_left == 0 {
        let mut done = t.done.clone();
        done.rejected.sort_by_key(|r| r.line);
        let _ = t.out.send(done);
    }
}

fn is_unprepared(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Server {
            details: ErrorKind::Unprepared { .. },
            ..
        }
    )
}

/// True for errors worth retrying: timeouts and a busy or starting node.
pub fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Timeout { .. } => true,
        ClientError::Server { details, .. } => matches!(
            details,
            ErrorKind::Overloaded
                | ErrorKind::IsBootstrapping
                | ErrorKind::WriteTimeout { .. }
                | ErrorKind::Unavailable { .. }
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::row::Row;

    fn row(key: u8, token: i64, line: u64) -> ParsedRow {
        ParsedRow {
            row: Row {
                values: Vec::new(),
                key: vec![key],
                token,
            },
            line,
            text: String::new(),
        }
    }

    #[test]
    fn groups_by_partition_in_token_order() {
        let rows = vec![
            row(1, 50, 1),
            row(2, -7, 2),
            row(1, 50, 3),
            row(1, 50, 4),
            row(2, -7, 5),
        ];
        let batches = group(rows, 2);
        let lines: Vec<Vec<u64>> = batches
            .iter()
            .map(|b| b.iter().map(|r| r.line).collect())
            .collect();
        assert_eq!(lines, vec![vec![2, 5], vec![1, 3], vec![4]]);
    }

    #[test]
    fn only_transient_errors_retry() {
        assert!(retryable(&ClientError::Timeout {
            after: Duration::from_secs(1)
        }));
        let server = |details| ClientError::Server {
            code: 0,
            message: String::new(),
            details,
        };
        assert!(retryable(&server(ErrorKind::Overloaded)));
        assert!(!retryable(&server(ErrorKind::Syntax)));
        assert!(!retryable(&server(ErrorKind::Invalid)));
    }
}
