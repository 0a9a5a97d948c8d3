//! Syntax errors: the public [`ParseError`] and the parser's internal failure
//! bookkeeping.
//!
//! The parser is a PEG: alternatives backtrack, so the failure that explains a
//! bad statement is the one that got furthest into the input. Every token-level
//! parser reports its failure to a per-thread tracker ([`note`]); [`begin`]
//! resets it before each statement and [`take_furthest`] reads it after a failed
//! parse. Positions are kept as "bytes remaining" so that they compare across
//! sub-slices of the same input.

use std::cell::RefCell;
use std::fmt;

/// The most expected-token names remembered for one position.
const EXPECTED_MAX: usize = 16;

/// A CQL syntax error, rendered as Cassandra renders its `SyntaxException`
/// messages: `line 1:9 no viable alternative at input 'FORM' (SELECT * [FORM]...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Line of the offending token, from 1.
    pub line: usize,
    /// Column (characters from the start of the line) of the offending token, from 0.
    pub column: usize,
    /// The offending token's text, `<EOF>` at the end of input.
    pub found: String,
    /// What the grammar expected there, as ANTLR names it (`K_FROM`, `')'`, `EOF`);
    /// empty when several alternatives were possible.
    pub expected: Vec<String>,
    /// The message after the `line L:C` header (without the query snippet).
    pub message: String,
    /// The query snippet with the offending token in brackets, e.g. `SELECT * [FORM]...`.
    pub snippet: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}:{} {}", self.line, self.column, self.message)?;
        if !self.snippet.is_empty() {
            write!(f, " ({})", self.snippet)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// The nom error type of the parser: where it failed (bytes remaining) and,
/// for a hard failure, a message that replaces the generic one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PErr {
    /// Input bytes remaining at the failure.
    pub remaining: usize,
    /// A specific message (limits, invalid literals); `None` for plain mismatches.
    pub message: Option<String>,
}

impl<'a> nom::error::ParseError<&'a str> for PErr {
    fn from_error_kind(input: &'a str, _kind: nom::error::ErrorKind) -> Self {
        PErr {
            remaining: input.len(),
            message: None,
        }
    }

    fn append(_input: &'a str, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        if other.remaining <= self.remaining {
            other
        } else {
            self
        }
    }
}

/// The result type of every parser function.
pub(crate) type PResult<'a, T> = nom::IResult<&'a str, T, PErr>;

#[derive(Default)]
struct Furthest {
    remaining: usize,
    expected: Vec<&'static str>,
    /// A choice between alternatives failed here (ANTLR's "no viable alternative").
    alternatives: bool,
    /// Nesting of lookahead probes, which note nothing.
    quiet: usize,
    /// Deepest nesting allowed in this parse.
    max_depth: usize,
}

thread_local! {
    static FURTHEST: RefCell<Furthest> = RefCell::new(Furthest::default());
}

/// Resets the tracker before parsing `input` with nesting up to `max_depth`.
pub(crate) fn begin(input: &str, max_depth: usize) {
    FURTHEST.with(|f| {
        let mut f = f.borrow_mut();
        f.max_depth = max_depth;
        f.remaining = input.len() + 1;
        f.expected.clear();
        f.alternatives = false;
        f.quiet = 0;
    });
}

/// Records that `expected` was wanted at `input` (a token start).
pub(crate) fn note(input: &str, expected: &'static str) {
    FURTHEST.with(|f| {
        let mut f = f.borrow_mut();
        if f.quiet > 0 {
            return;
        }
        if input.len() < f.remaining {
            f.remaining = input.len();
            f.expected.clear();
            f.alternatives = false;
        }
        if input.len() == f.remaining {
            // Keep the order of the latest attempts: the last one is what
            // ANTLR would name in "mismatched input ... expecting".
            f.expected.retain(|e| *e != expected);
            if f.expected.len() == EXPECTED_MAX {
                f.expected.remove(0);
            }
            f.expected.push(expected);
        }
    });
}

/// A recoverable failure at `input`, noting what was expected.
pub(crate) fn fail<'a, T>(input: &'a str, expected: &'static str) -> PResult<'a, T> {
    note(input, expected);
    Err(nom::Err::Error(PErr {
        remaining: input.len(),
        message: None,
    }))
}

/// Runs a lookahead probe whose failures are not reported.
pub(crate) fn quietly<T>(probe: impl FnOnce() -> T) -> T {
    FURTHEST.with(|f| f.borrow_mut().quiet += 1);
    let out = probe();
    FURTHEST.with(|f| {
        let mut f = f.borrow_mut();
        f.quiet = f.quiet.saturating_sub(1);
    });
    out
}

/// A failed choice between the keywords `names` at `input` (after space).
pub(crate) fn alternatives<'a, T>(input: &'a str, names: &[&'static str]) -> PResult<'a, T> {
    let (input, ()) = crate::cql::lexical::ws(input)?;
    for name in names {
        note(input, name);
    }
    FURTHEST.with(|f| {
        let mut f = f.borrow_mut();
        if f.remaining == input.len() {
            f.alternatives = true;
        }
    });
    Err(nom::Err::Error(PErr {
        remaining: input.len(),
        message: None,
    }))
}

/// Fails (stopping all backtracking) when `depth` exceeds this parse's limit.
pub(crate) fn check_depth(input: &str, depth: usize) -> Result<(), nom::Err<PErr>> {
    let max = FURTHEST.with(|f| f.borrow().max_depth);
    if depth > max {
        return Err(nom::Err::Failure(PErr {
            remaining: input.len(),
            message: Some(format!("nesting deeper than {max} levels")),
        }));
    }
    Ok(())
}

/// A failure that stops all backtracking, with a specific message.
pub(crate) fn abort<'a, T>(input: &'a str, message: impl Into<String>) -> PResult<'a, T> {
    Err(nom::Err::Failure(PErr {
        remaining: input.len(),
        message: Some(message.into()),
    }))
}

/// The furthest failure noted since [`begin`]: bytes remaining, expected
/// names in the order noted, and whether a choice of alternatives failed there.
pub(crate) fn take_furthest() -> (usize, Vec<&'static str>, bool) {
    FURTHEST.with(|f| {
        let f = f.borrow();
        (f.remaining, f.expected.clone(), f.alternatives)
    })
}

/// Builds the public error for a failure at byte `offset` of `source`.
pub(crate) fn build(
    source: &str,
    offset: usize,
    expected: &[&'static str],
    alternatives: bool,
    message: Option<String>,
) -> ParseError {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = source
        .get(line_start..offset)
        .map_or(0, |s| s.chars().count());
    let rest = source.get(offset..).unwrap_or("");
    let found = crate::cql::lexical::token_text(rest);
    // ANTLR shows a string literal token by its content.
    let found_shown = if found.is_empty() {
        "<EOF>".to_string()
    } else if let Some(body) = found.strip_prefix('\'').and_then(|b| b.strip_suffix('\'')) {
        body.replace("''", "'")
    } else {
        found.to_string()
    };
    let expected: Vec<String> = expected.iter().map(|e| antlr_name(e)).collect();
    // ANTLR reports the token it last tried to match after optional parts
    // were skipped ("mismatched input"), unless a choice itself failed.
    let message = message.unwrap_or_else(|| match expected.last() {
        Some(last) if !alternatives && is_token_name(last) => {
            format!("mismatched input '{found_shown}' expecting {last}")
        }
        _ => format!("no viable alternative at input '{found_shown}'"),
    });
    let snippet = snippet(source, offset);
    ParseError {
        line,
        column,
        found: found_shown,
        expected,
        message,
        snippet,
    }
}

/// Token names that the parser notes as-is (not keywords).
const TOKEN_NAMES: &[&str] = &["EOF", "STRING_LITERAL", "INTEGER", "BOOLEAN"];

/// The ANTLR spelling of an expected item: `FROM` -> `K_FROM`, `(` -> `'('`.
fn antlr_name(noted: &str) -> String {
    if TOKEN_NAMES.contains(&noted) {
        noted.to_string()
    } else if noted.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        format!("K_{noted}")
    } else if noted.chars().all(|c| !c.is_alphanumeric()) {
        format!("'{noted}'")
    } else {
        noted.to_string()
    }
}

fn is_token_name(name: &str) -> bool {
    name.starts_with("K_") || name.starts_with('\'') || TOKEN_NAMES.contains(&name)
}

/// Cassandra's snippet: up to 10 tokens before the offending one and 2 after
/// (whitespace runs count as tokens), lines joined, the token in brackets,
/// `...` where the query goes on. Empty at the end of input.
fn snippet(source: &str, offset: usize) -> String {
    const BEFORE: usize = 10;
    const AFTER: usize = 2;
    if source
        .get(offset..)
        .is_none_or(|rest| rest.trim().is_empty())
    {
        return String::new();
    }
    let spans = token_spans(source, offset, AFTER);
    let Some(index) = spans.iter().position(|(start, _)| *start >= offset) else {
        return String::new();
    };
    let first = index.saturating_sub(BEFORE);
    let last = (index + AFTER).min(spans.len() - 1);
    let mut out = String::new();
    if spans.get(first).is_some_and(|(start, _)| *start > 0) {
        out.push_str("...");
    }
    for (n, (start, end)) in spans.iter().enumerate().take(last + 1).skip(first) {
        let text = source.get(*start..*end).unwrap_or("");
        if n == index {
            out.push('[');
            out.push_str(text);
            out.push(']');
        } else {
            out.push_str(text);
        }
    }
    if spans
        .get(last)
        .is_some_and(|(_, end)| source.get(*end..).is_some_and(|r| !r.trim().is_empty()))
    {
        out.push_str("...");
    }
    out.replace(['\n', '\r'], "")
}

/// Token spans of `source` up to `after` tokens past `offset`.
fn token_spans(source: &str, offset: usize, after: usize) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut pos = 0;
    let mut past = 0;
    while pos < source.len() && past <= after {
        let rest = source.get(pos..).unwrap_or("");
        let ws_len = rest.len() - rest.trim_start().len();
        let len = if ws_len > 0 {
            ws_len
        } else {
            crate::cql::lexical::token_text(rest).len().max(1)
        };
        let mut end = (pos + len).min(source.len());
        while !source.is_char_boundary(end) {
            end += 1;
        }
        if pos >= offset {
            past += 1;
        }
        spans.push((pos, end));
        pos = end;
    }
    spans
}
