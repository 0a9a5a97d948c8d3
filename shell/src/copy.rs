//! COPY: the command's grammar and options, CSV reading and writing, and the
//! texts cqlsh's `copyutil.py` prints. Pure (no IO); `copy_run.rs` drives it.
//!
//! Invariant for COPY FROM: every data record read is either imported or
//! reported as failed with its line number (read = imported + failed).

use std::collections::HashMap;

/// Longest accepted CSV field, in bytes (bounds memory on bad input).
pub const FIELD_BYTES_MAX: usize = 16 << 20;

/// Direction of a COPY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direction {
    /// COPY .. FROM (import).
    From,
    /// COPY .. TO (export).
    To,
}

/// COPY options (cqlsh defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    /// HEADER: the first line names the columns.
    pub header: bool,
    /// DELIMITER.
    pub delimiter: char,
    /// QUOTE.
    pub quote: char,
    /// ESCAPE.
    pub escape: char,
    /// NULL: the text of a null value.
    pub null: String,
    /// DATETIMEFORMAT (only the default is supported for export).
    pub datetime_format: Option<String>,
    /// MAXROWS (-1 = all).
    pub max_rows: Option<u64>,
    /// SKIPROWS: data rows skipped at the start.
    pub skip_rows: u64,
    /// MAXATTEMPTS per batch.
    pub max_attempts: u32,
    /// CHUNKSIZE: rows read per chunk.
    pub chunk_size: usize,
    /// INGESTRATE: rows per second at most.
    pub ingest_rate: u64,
    /// MAXBATCHSIZE: rows per UNLOGGED batch.
    pub max_batch_size: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            header: false,
            delimiter: ',',
            quote: '"',
            escape: '\\',
            null: String::new(),
            datetime_format: None,
            max_rows: None,
            skip_rows: 0,
            max_attempts: 5,
            chunk_size: 5000,
            ingest_rate: 100_000,
            max_batch_size: 20,
        }
    }
}

/// A parsed COPY command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyCommand {
    /// Keyspace, when qualified.
    pub keyspace: Option<String>,
    /// Table.
    pub table: String,
    /// Columns listed, or empty for all.
    pub columns: Vec<String>,
    /// FROM or TO.
    pub direction: Direction,
    /// File name, or `None` for STDIN/STDOUT.
    pub file: Option<String>,
    /// Options.
    pub options: CopyOptions,
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    if let Some(inner) = t.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    if let Some(inner) = t.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return inner.replace("\"\"", "\"");
    }
    t.to_lowercase()
}

fn single_char(name: &str, v: &str) -> Result<char, String> {
    let mut chars = v.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(format!("{name} must be a single character")),
    }
}

fn number<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("Invalid value for {name}: {v}"))
}

/// Applies one `name = value` option.
fn apply_option(o: &mut CopyOptions, name: &str, value: &str) -> Result<(), String> {
    let v = value;
    match name {
        "header" => {
            o.header = matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
        }
        "delimiter" => o.delimiter = single_char("DELIMITER", v)?,
        "quote" => o.quote = single_char("QUOTE", v)?,
        "escape" => o.escape = single_char("ESCAPE", v)?,
        "null" => o.null = v.to_owned(),
        "datetimeformat" => o.datetime_format = Some(v.to_owned()),
        "maxrows" => {
            let n: i64 = number("MAXROWS", v)?;
            o.max_rows = u64::try_from(n).ok();
        }
        "skiprows" => o.skip_rows = number("SKIPROWS", v)?,
        "maxattempts" => o.max_attempts = number::<u32>("MAXATTEMPTS", v)?.max(1),
        "chunksize" => o.chunk_size = number::<usize>("CHUNKSIZE", v)?.max(1),
        "ingestrate" => o.ingest_rate = number::<u64>("INGESTRATE", v)?.max(1),
        "maxbatchsize" => o.max_batch_size = number::<usize>("MAXBATCHSIZE", v)?.max(1),
        other => return Err(format!("Unrecognized COPY option: {other}")),
    }
    Ok(())
}

/// Parses `COPY [ks.]t [(c1, ...)] FROM|TO 'file'|STDIN|STDOUT [WITH a = 'x' AND ...]`.
///
/// # Errors
/// The text cqlsh-like error to print.
pub fn parse_copy(stmt: &str) -> Result<CopyCommand, String> {
    let body = stmt.trim().trim_end_matches(';').trim();
    let rest = body
        .get(4..)
        .filter(|_| body.len() > 4)
        .ok_or("Improper COPY command.")?
        .trim();
    let (target, rest) = match rest.find(|c: char| c.is_whitespace() || c == '(') {
        Some(i) => rest.split_at(i),
        None => return Err("Improper COPY command.".into()),
    };
    let (keyspace, table) = match target.split_once('.') {
        Some((k, t)) => (Some(unquote(k)), unquote(t)),
        None => (None, unquote(target)),
    };
    let mut rest = rest.trim_start();
    let mut columns = Vec::new();
    if let Some(r) = rest.strip_prefix('(') {
        let close = r.find(')').ok_or("Improper COPY command.")?;
        columns = r[..close]
            .split(',')
            .map(unquote)
            .filter(|c| !c.is_empty())
            .collect();
        rest = r[close + 1..].trim_start();
    }
    let lower = rest.to_ascii_lowercase();
    let direction = if lower.starts_with("from") {
        Direction::From
    } else if lower.starts_with("to") {
        Direction::To
    } else {
        return Err("Improper COPY command.".into());
    };
    let rest = rest[if direction == Direction::From { 4 } else { 2 }..].trim_start();
    let (file_text, opts_text) = split_file(rest);
    let file = match file_text.to_ascii_lowercase().as_str() {
        "stdin" | "stdout" => None,
        _ => Some(unquote(&file_text)),
    };
    let mut options = CopyOptions::default();
    for (name, value) in parse_with(opts_text)? {
        apply_option(&mut options, &name, &value)?;
    }
    Ok(CopyCommand {
        keyspace,
        table,
        columns,
        direction,
        file,
        options,
    })
}

/// Splits the file token (quoted or bare) from the WITH clause.
fn split_file(rest: &str) -> (String, &str) {
    if let Some(r) = rest.strip_prefix('\'') {
        let mut end = None;
        let bytes = r.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\'' {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                end = Some(i);
                break;
            }
            i += 1;
        }
        let end = end.unwrap_or(r.len());
        return (format!("'{}'", &r[..end]), r.get(end + 1..).unwrap_or(""));
    }
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    (rest[..end].to_owned(), &rest[end..])
}

/// Parses `WITH a = 'x' AND b = 2` into lower-case names and values.
fn parse_with(text: &str) -> Result<Vec<(String, String)>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let lower = t.to_ascii_lowercase();
    let Some(body) = lower.strip_prefix("with").map(|_| &t[4..]) else {
        return Err("Improper COPY command.".into());
    };
    let mut out = Vec::new();
    for part in split_and(body) {
        let (k, v) = part.split_once('=').ok_or("Improper COPY command.")?;
        let v = v.trim();
        let value = match v.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            Some(inner) => inner.replace("''", "'"),
            None => v.to_owned(),
        };
        out.push((k.trim().to_ascii_lowercase(), value));
    }
    Ok(out)
}

/// Splits on ` AND ` outside quotes.
fn split_and(body: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let words: Vec<&str> = body.split(' ').collect();
    for w in words {
        if !quoted && w.eq_ignore_ascii_case("and") {
            parts.push(std::mem::take(&mut cur));
            continue;
        }
        quoted ^= w.matches('\'').count() % 2 == 1;
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    parts.push(cur);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// One CSV record: its first line number and fields (`None` = the NULL text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line where the record starts.
    pub line: usize,
    /// The fields.
    pub fields: Vec<Option<String>>,
}

/// Reads CSV records. A record that cannot be read (unterminated quote,
/// oversized field) is an `Err` with its line number and reason.
pub fn read_records(text: &str, o: &CopyOptions) -> Vec<Result<Record, (usize, String)>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut was_quoted = false;
        let mut in_quotes = false;
        let mut bad = None;
        loop {
            let Some(c) = chars.next() else {
                if in_quotes {
                    bad = Some("unterminated quoted field".to_owned());
                }
                break;
            };
            if c == '\n' {
                line += 1;
            }
            if field.len() > FIELD_BYTES_MAX {
                bad = Some(format!("field longer than {FIELD_BYTES_MAX} bytes"));
            }
            if in_quotes {
                if (c == o.escape || c == o.quote) && chars.peek() == Some(&o.quote) {
                    chars.next();
                    field.push(o.quote);
                } else if c == o.quote {
                    in_quotes = false;
                } else {
                    field.push(c);
                }
                continue;
            }
            match c {
                '\n' => break,
                '\r' if chars.peek() == Some(&'\n') => {}
                c if c == o.delimiter => {
                    fields.push(finish(&mut field, was_quoted, o));
                    was_quoted = false;
                }
                c if c == o.quote && field.is_empty() => {
                    in_quotes = true;
                    was_quoted = true;
                }
                c => field.push(c),
            }
        }
        fields.push(finish(&mut field, was_quoted, o));
        if fields.len() == 1
            && fields[0].as_deref().is_none_or(str::is_empty)
            && !was_quoted
            && bad.is_none()
        {
            continue; // blank line
        }
        out.push(match bad {
            Some(reason) => Err((start, reason)),
            None => Ok(Record {
                line: start,
                fields,
            }),
        });
    }
    out
}

fn finish(field: &mut String, _quoted: bool, o: &CopyOptions) -> Option<String> {
    let f = std::mem::take(field);
    if f == o.null { None } else { Some(f) }
}

/// Writes one CSV field (Python csv QUOTE_MINIMAL with cqlsh's escape char).
pub fn write_field(value: &str, o: &CopyOptions, out: &mut String) {
    let needs =
        value.contains(o.delimiter) || value.contains(o.quote) || value.contains(['\n', '\r']);
    if !needs {
        out.push_str(value);
        return;
    }
    out.push(o.quote);
    for c in value.chars() {
        if c == o.quote {
            out.push(if o.escape == o.quote {
                o.quote
            } else {
                o.escape
            });
        }
        out.push(c);
    }
    out.push(o.quote);
}

/// cqlsh's `describe_interval`, including its Python 3 float-division quirk
/// (`0 day, 0 hour, 0 minute, and 0.380 seconds`).
pub fn describe_interval(seconds: f64) -> String {
    let mut s = seconds;
    let mut desc = Vec::new();
    for (length, unit) in [(86_400.0, "day"), (3_600.0, "hour"), (60.0, "minute")] {
        let num = s.trunc() / length;
        if num > 0.0 {
            let plural = if num > 1.0 { "s" } else { "" };
            desc.push(format!("{} {unit}{plural}", num.trunc()));
        }
        s %= length;
    }
    let words = format!("{s:.3} seconds");
    match desc.len() {
        0 => words,
        1 => format!("{} and {words}", desc[0]),
        _ => format!("{}, and {words}", desc.join(", ")),
    }
}

/// Maps column names to their positions in the header or column list.
pub fn column_index(columns: &[String]) -> HashMap<&str, usize> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect()
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod tests;
