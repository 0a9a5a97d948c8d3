//! One input record to one typed row: CSV or JSON-lines field splitting,
//! null strings, timestamp formats, size limits, and the partition token.
//!
//! Invariants: a record never spans lines (an unterminated quote is a bad
//! record, not a continuation); every rejection carries a reason naming the
//! column; the token is Murmur3 over the serialized partition key, packed as a
//! composite when the key has several columns (COMPAT §6).

use bytes::Bytes;
use chrono::NaiveDateTime;
use sibyl_protocol::types::Value;
use sibyl_protocol::value::{CqlType, CqlValue, encode_to_vec, parse_literal};
use sibyl_storage::model::partitioner::{murmur3_token, pack_composite};

use super::schema::{Mapping, Role};

/// The input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma (or `--delimiter`) separated values.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// How timestamp fields are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampFormat {
    /// ISO 8601 and the other forms Cassandra accepts.
    Iso8601,
    /// Seconds since the epoch.
    EpochS,
    /// Milliseconds since the epoch.
    EpochMs,
    /// Microseconds since the epoch.
    EpochUs,
    /// A chrono `strftime` pattern, read as UTC.
    Pattern(String),
}

impl TimestampFormat {
    /// Parses the `--timestamp-format` value.
    pub fn parse(text: &str) -> Self {
        match text {
            "iso8601" => TimestampFormat::Iso8601,
            "epoch_s" => TimestampFormat::EpochS,
            "epoch_ms" => TimestampFormat::EpochMs,
            "epoch_us" => TimestampFormat::EpochUs,
            other => TimestampFormat::Pattern(other.to_owned()),
        }
    }
}

/// How to read records.
#[derive(Debug, Clone)]
pub struct RowParser {
    /// Input format.
    pub format: Format,
    /// CSV delimiter.
    pub delimiter: u8,
    /// Fields to columns.
    pub mapping: Mapping,
    /// Positions of the partition key in the bound values.
    pub partition: Vec<usize>,
    /// The text that means null.
    pub null_string: String,
    /// Timestamp field format.
    pub timestamps: TimestampFormat,
    /// Largest serialized value accepted.
    pub max_value_bytes: usize,
}

/// A parsed row ready to bind.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Serialized values in bind order (a null field is `Unset`: no tombstone).
    pub values: Vec<Value>,
    /// The serialized partition key.
    pub key: Vec<u8>,
    /// Its Murmur3 token.
    pub token: i64,
}

impl RowParser {
    /// Parses one record (a line without its newline).
    ///
    /// # Errors
    /// The reason the record is rejected.
    pub fn parse(&self, line: &str) -> Result<Row, String> {
        let fields = match self.format {
            Format::Csv => split_csv(line, self.delimiter)?,
            Format::Jsonl => self.split_json(line)?,
        };
        if self.format == Format::Csv && fields.len() < self.mapping.fields {
            let missing = self
                .mapping
                .targets
                .iter()
                .find(|(i, _)| *i >= fields.len())
                .map_or("?", |(_, c)| c.name.as_str());
            return Err(format!(
                "missing column {missing}: {} fields, expected {}",
                fields.len(),
                self.mapping.fields
            ));
        }
        if self.format == Format::Csv && fields.len() > self.mapping.fields {
            return Err(format!(
                "extra column: {} fields, expected {}",
                fields.len(),
                self.mapping.fields
            ));
        }
        let mut values = Vec::with_capacity(self.mapping.targets.len());
        let mut serialized = Vec::with_capacity(self.mapping.targets.len());
        for (index, column) in &self.mapping.targets {
            let text = fields.get(*index).and_then(|f| f.as_deref());
            let value = match text {
                None => None,
                Some(t) if t == self.null_string => None,
                Some(t) => Some(
                    self.value(&column.ty, t)
                        .map_err(|e| format!("column {}: {e}", column.name))?,
                ),
            };
            let bytes = match &value {
                Some(v) => encode_to_vec(v, &column.ty)
                    .map_err(|e| format!("column {}: {e}", column.name))?,
                None if column.role != Role::Regular => {
                    return Err(format!("column {}: null in primary key", column.name));
                }
                None => Vec::new(),
            };
            if bytes.len() > self.max_value_bytes {
                return Err(format!(
                    "column {}: value of {} bytes exceeds the limit of {}",
                    column.name,
                    bytes.len(),
                    self.max_value_bytes
                ));
            }
            values.push(if value.is_some() {
                Value::Bytes(Bytes::copy_from_slice(&bytes))
            } else {
                Value::Unset
            });
            serialized.push(bytes);
        }
        let key = self.partition_key(&serialized)?;
        let token = murmur3_token(&key).0;
        Ok(Row { values, key, token })
    }

    fn partition_key(&self, serialized: &[Vec<u8>]) -> Result<Vec<u8>, String> {
        let parts: Vec<&[u8]> = self
            .partition
            .iter()
            .filter_map(|&i| serialized.get(i).map(Vec::as_slice))
            .collect();
        match parts.as_slice() {
            [one] => Ok(one.to_vec()),
            many => pack_composite(many).map_err(|e| format!("partition key: {e}")),
        }
    }

    fn value(&self, ty: &CqlType, text: &str) -> Result<CqlValue, String> {
        if *ty != CqlType::Timestamp {
            return parse_literal(ty, text).map_err(|e| e.to_string());
        }
        let bad = || format!("cannot parse '{text}' as timestamp");
        let int = || text.trim().parse::<i64>().map_err(|_| bad());
        let ms = match &self.timestamps {
            TimestampFormat::Iso8601 => {
                return match parse_literal(ty, text) {
                    Ok(v) => Ok(v),
                    Err(_) => Err(bad()),
                };
            }
            TimestampFormat::EpochS => int()?.checked_mul(1000).ok_or_else(bad)?,
            TimestampFormat::EpochMs => int()?,
            TimestampFormat::EpochUs => int()? / 1000,
            TimestampFormat::Pattern(p) => NaiveDateTime::parse_from_str(text, p)
                .map_err(|_| bad())?
                .and_utc()
                .timestamp_millis(),
        };
        Ok(CqlValue::Timestamp(ms))
    }

    fn split_json(&self, line: &str) -> Result<Vec<Option<String>>, String> {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("bad JSON: {e}"))?;
        let object = value.as_object().ok_or("bad JSON: not an object")?;
        if let Some(extra) = object.keys().find(|k| !self.mapping.keys.contains(k)) {
            return Err(format!("extra column {extra}"));
        }
        let mut fields = vec![None; self.mapping.fields];
        for ((index, column), key) in self.mapping.targets.iter().zip(&self.mapping.keys) {
            let text = match object.get(key) {
                None if column.role != Role::Regular => {
                    return Err(format!("missing column {}", column.name));
                }
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            };
            if let Some(slot) = fields.get_mut(*index) {
                *slot = text;
            }
        }
        Ok(fields)
    }
}

/// Splits one CSV line (RFC 4180 quoting: `"a ""b"""`); an unterminated
/// quote or text after a closing quote is an error.
///
/// # Errors
/// Bad quoting.
pub fn split_csv(line: &str, delimiter: u8) -> Result<Vec<Option<String>>, String> {
    let delimiter = char::from(delimiter);
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("bad quoting: unterminated quoted field".into()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(Some(field));
                    return Ok(fields);
                }
                Some(c) if c == delimiter => fields.push(Some(field)),
                Some(c) => return Err(format!("bad quoting: '{c}' after a closing quote")),
            }
            continue;
        }
        loop {
            match chars.next() {
                None => {
                    fields.push(Some(field));
                    return Ok(fields);
                }
                Some(c) if c == delimiter => break,
                Some('"') => return Err("bad quoting: quote inside an unquoted field".into()),
                Some(c) => field.push(c),
            }
        }
        fields.push(Some(field));
    }
}
