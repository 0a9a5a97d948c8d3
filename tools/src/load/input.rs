//! Input: opening a file or stdin (gzip / zstd by extension) and cutting it
//! into numbered chunks of records for the parser threads.
//!
//! Invariants: line numbers are 1-based physical lines (the header is line 1
//! when present); blank lines are not records; the first `skip` records (a
//! resumed run) are read and dropped; a line longer than `max_line_bytes` is
//! still returned (as a record the parser rejects), never buffered unboundedly
//! past that limit plus one read.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Context, Result};

/// One input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line number.
    pub line: u64,
    /// The line without its end of line (cut at the limit when too long).
    pub text: String,
    /// The line was longer than the limit.
    pub too_long: bool,
}

/// Opens `path` (`-` is stdin), decompressing `.gz` and `.zst`. Also returns the
/// size of an uncompressed file (the progress total).
///
/// # Errors
/// The file cannot be opened.
pub fn open(path: &str) -> Result<(Box<dyn BufRead + Send>, Option<u64>)> {
    if path == "-" {
        return Ok((Box::new(BufReader::new(std::io::stdin())), None));
    }
    let file = File::open(path).with_context(|| format!("opening {path}"))?;
    let p = Path::new(path);
    let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
    // Progress counts decompressed bytes: a compressed file's size is no total.
    let size = match ext {
        "gz" | "zst" | "zstd" => None,
        _ => file.metadata().ok().map(|m| m.len()),
    };
    let reader: Box<dyn Read + Send> = match ext {
        "gz" => Box::new(flate2::read::MultiGzDecoder::new(file)),
        "zst" | "zstd" => Box::new(zstd::Decoder::new(file)?),
        _ => Box::new(file),
    };
    Ok((Box::new(BufReader::with_capacity(1 << 20, reader)), size))
}

/// Reads lines with their numbers.
pub struct Lines {
    input: Box<dyn BufRead + Send>,
    line: u64,
    max_line_bytes: usize,
    /// Bytes read so far (decompressed).
    pub bytes: u64,
}

impl Lines {
    /// Lines of `input`.
    pub fn new(input: Box<dyn BufRead + Send>, max_line_bytes: usize) -> Self {
        Lines {
            input,
            line: 0,
            max_line_bytes,
            bytes: 0,
        }
    }

    /// The next non-blank line, or `None` at the end.
    ///
    /// # Errors
    /// A read error.
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let limit = u64::try_from(self.max_line_bytes).unwrap_or(u64::MAX) + 2;
            let n = (&mut self.input).take(limit).read_until(b'\n', &mut buf)?;
            if n == 0 {
                return Ok(None);
            }
            self.bytes += n as u64;
            let too_long = buf.last() != Some(&b'\n') && n as u64 == limit;
            if too_long {
                // Over-long line: drop the rest of it.
                let mut rest = Vec::new();
                loop {
                    rest.clear();
                    let m = (&mut self.input)
                        .take(1 << 16)
                        .read_until(b'\n', &mut rest)?;
                    self.bytes += m as u64;
                    if m == 0 || rest.last() == Some(&b'\n') {
                        break;
                    }
                }
            }
            self.line += 1;
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = String::from_utf8_lossy(&buf).into_owned();
            return Ok(Some(Record {
                line: self.line,
                text,
                too_long,
            }));
        }
    }
}
