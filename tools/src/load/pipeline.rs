//! The CPU side of a load: one reader thread cutting the input into chunks,
//! and parser threads (one per core) turning chunks into typed rows.
//!
//! Invariants: chunks carry consecutive sequence numbers in input order; both
//! channels are bounded, so a slow sender stops the parsers and the reader
//! (backpressure, bounded memory); when `stop` is set the reader stops reading
//! and every record it read is still delivered in some chunk.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use super::input::{Lines, Record};
use super::row::{Row, RowParser};

/// A parsed row with its origin.
#[derive(Debug, Clone)]
pub struct ParsedRow {
    /// The row.
    pub row: Row,
    /// Its line number.
    pub line: u64,
    /// The original line (for the bad file should the server refuse it).
    pub text: String,
}

/// A rejected record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Its line number.
    pub line: u64,
    /// The original line.
    pub text: String,
    /// Why.
    pub reason: String,
}

/// A chunk after parsing.
#[derive(Debug, Clone)]
pub struct ParsedChunk {
    /// Position in the input (0, 1, 2, ...).
    pub seq: u64,
    /// Records in the chunk.
    pub records: u64,
    /// The good rows.
    pub rows: Vec<ParsedRow>,
    /// The bad ones.
    pub rejected: Vec<Rejected>,
}

/// Counters the reader updates.
#[derive(Debug, Default)]
pub struct ReadStats {
    /// Records read (after the resume skip).
    pub records: AtomicU64,
    /// Decompressed bytes read.
    pub bytes: AtomicU64,
    /// Records skipped because a checkpoint covered them.
    pub skipped: AtomicU64,
}

/// The running threads.
pub struct Pipeline {
    /// Parsed chunks, in no particular order.
    pub chunks: mpsc::Receiver<ParsedChunk>,
    /// The reader's error, if any, when joined.
    pub reader: JoinHandle<crate::error::Result<()>>,
    /// The parsers.
    pub parsers: Vec<JoinHandle<()>>,
}

/// Starts the reader and `threads` parsers.
pub fn start(
    mut lines: Lines,
    parser: Arc<RowParser>,
    skip: u64,
    chunk_rows: usize,
    threads: usize,
    stop: Arc<AtomicBool>,
    stats: Arc<ReadStats>,
) -> Pipeline {
    let threads = threads.max(1);
    let (raw_tx, raw_rx) = sync_channel::<(u64, Vec<Record>)>(threads * 2);
    let (parsed_tx, parsed_rx) = mpsc::channel(threads * 2);
    let reader =
        std::thread::spawn(move || read_loop(&mut lines, &raw_tx, skip, chunk_rows, &stop, &stats));
    let raw_rx = Arc::new(Mutex::new(raw_rx));
    let parsers = (0..threads)
        .map(|_| {
            let (rx, tx, p) = (Arc::clone(&raw_rx), parsed_tx.clone(), Arc::clone(&parser));
            std::thread::spawn(move || parse_loop(&rx, &tx, &p))
        })
        .collect();
    Pipeline {
        chunks: parsed_rx,
        reader,
        parsers,
    }
}

fn read_loop(
    lines: &mut Lines,
    tx: &SyncSender<(u64, Vec<Record>)>,
    skip: u64,
    chunk_rows: usize,
    stop: &AtomicBool,
    stats: &ReadStats,
) -> crate::error::Result<()> {
    let mut skipped = 0;
    while skipped < skip {
        if lines.next_record()?.is_none() {
            break;
        }
        skipped += 1;
    }
    stats.skipped.store(skipped, Ordering::SeqCst);
    let mut seq = 0;
    let mut chunk = Vec::with_capacity(chunk_rows);
    while !stop.load(Ordering::SeqCst) {
        let Some(record) = lines.next_record()? else {
            break;
        };
        chunk.push(record);
        stats.records.fetch_add(1, Ordering::SeqCst);
        stats.bytes.store(lines.bytes, Ordering::Relaxed);
        if chunk.len() >= chunk_rows {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(chunk_rows));
            if tx.send((seq, full)).is_err() {
                return Ok(());
            }
            seq += 1;
        }
    }
    if !chunk.is_empty() {
        let _ = tx.send((seq, chunk));
    }
    Ok(())
}

fn parse_loop(
    rx: &Mutex<Receiver<(u64, Vec<Record>)>>,
    tx: &mpsc::Sender<ParsedChunk>,
    parser: &RowParser,
) {
    loop {
        let next = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        let Ok((seq, records)) = next else { return };
        if tx.blocking_send(parse_chunk(seq, records, parser)).is_err() {
            return;
        }
    }
}

/// Parses one chunk.
pub fn parse_chunk(seq: u64, records: Vec<Record>, parser: &RowParser) -> ParsedChunk {
    let mut chunk = ParsedChunk {
        seq,
        records: records.len() as u64,
        rows: Vec::with_capacity(records.len()),
        rejected: Vec::new(),
    };
    for record in records {
        let parsed = if record.too_long {
            Err("line too long".to_owned())
        } else {
            parser.parse(&record.text)
        };
        match parsed {
            Ok(row) => chunk.rows.push(ParsedRow {
                row,
                line: record.line,
                text: record.text,
            }),
            Err(reason) => chunk.rejected.push(Rejected {
                line: record.line,
                text: record.text,
                reason,
            }),
        }
    }
    chunk
}
