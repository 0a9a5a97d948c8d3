//! Tokens: whitespace and the three comment styles, keywords, identifiers and
//! literal tokens (strings, numbers, UUIDs, blobs, durations).
//!
//! Every token parser skips leading whitespace, then either consumes exactly
//! one token or notes what it expected at the token start (see `error`).
//! Keywords are case-insensitive and must end at a word boundary.

use nom::Parser;
use nom::bytes::complete::{take_while, take_while1};

use super::ast::{Ident, QualifiedName};
use super::error::{PResult, abort, fail};

/// Cassandra 5.0's reserved keywords (`reserved_keywords.txt`): never
/// identifiers unless quoted. Every other keyword is usable as a name.
const RESERVED: &[&str] = &[
    "add",
    "allow",
    "alter",
    "and",
    "apply",
    "asc",
    "authorize",
    "batch",
    "begin",
    "by",
    "columnfamily",
    "create",
    "delete",
    "desc",
    "describe",
    "drop",
    "entries",
    "execute",
    "from",
    "full",
    "grant",
    "if",
    "in",
    "index",
    "infinity",
    "insert",
    "into",
    "is",
    "keyspace",
    "limit",
    "materialized",
    "modify",
    "nan",
    "norecursive",
    "not",
    "null",
    "of",
    "on",
    "or",
    "order",
    "primary",
    "rename",
    "revoke",
    "schema",
    "select",
    "set",
    "table",
    "to",
    "token",
    "truncate",
    "unlogged",
    "update",
    "use",
    "using",
    "view",
    "where",
    "with",
];

/// True when `word` (any case) cannot be an unquoted identifier: a reserved
/// keyword, or a boolean literal (which the lexer takes first).
pub fn is_reserved(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    RESERVED.contains(&lower.as_str()) || lower == "true" || lower == "false"
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Skips whitespace and comments (`-- ...`, `// ...`, `/* ... */`).
pub(crate) fn ws(mut i: &str) -> PResult<'_, ()> {
    loop {
        let trimmed = i.trim_start();
        if let Some(rest) = trimmed
            .strip_prefix("--")
            .or_else(|| trimmed.strip_prefix("//"))
        {
            i = rest.find('\n').map_or("", |p| rest.get(p..).unwrap_or(""));
        } else if let Some(rest) = trimmed.strip_prefix("/*") {
            match rest.find("*/") {
                Some(p) => i = rest.get(p + 2..).unwrap_or(""),
                None => return abort("", "mismatched character '<EOF>' expecting '*'"),
            }
        } else {
            return Ok((trimmed, ()));
        }
    }
}

/// The raw word (`[A-Za-z0-9_]+`) at the start of `i`, without skipping space.
fn raw_word(i: &str) -> PResult<'_, &str> {
    take_while1(is_word_char).parse(i)
}

/// A keyword (given in upper case), case-insensitive, ending at a word boundary.
pub(crate) fn kw(word: &'static str) -> impl Fn(&str) -> PResult<'_, ()> {
    move |i| {
        let (i, ()) = ws(i)?;
        match raw_word(i) {
            Ok((rest, w)) if w.eq_ignore_ascii_case(word) => Ok((rest, ())),
            _ => fail(i, word),
        }
    }
}

/// True when the next token is the keyword `word` (consumes nothing).
pub(crate) fn peek_kw(i: &str, word: &'static str) -> bool {
    super::error::quietly(|| kw(word)(i).is_ok())
}

/// An optional keyword: true (and consumed) when present.
pub(crate) fn opt_kw<'a>(i: &'a str, word: &'static str) -> PResult<'a, bool> {
    match kw(word)(i) {
        Ok((rest, ())) => Ok((rest, true)),
        Err(nom::Err::Error(_)) => Ok((i, false)),
        Err(e) => Err(e),
    }
}

/// A sequence of keywords, all required.
pub(crate) fn kws<'a>(mut i: &'a str, words: &[&'static str]) -> PResult<'a, ()> {
    for w in words {
        (i, ()) = kw(w)(i)?;
    }
    Ok((i, ()))
}

/// An optional sequence of keywords: all present (consumed) or none.
pub(crate) fn opt_kws<'a>(i: &'a str, words: &[&'static str]) -> PResult<'a, bool> {
    match kws(i, words) {
        Ok((rest, ())) => Ok((rest, true)),
        Err(nom::Err::Error(_)) => Ok((i, false)),
        Err(e) => Err(e),
    }
}

/// A punctuation symbol (`(`, `,`, `<=`, ...).
pub(crate) fn sym(s: &'static str) -> impl Fn(&str) -> PResult<'_, ()> {
    move |i| {
        let (i, ()) = ws(i)?;
        match i.strip_prefix(s) {
            Some(rest) => Ok((rest, ())),
            None => fail(i, s),
        }
    }
}

/// An optional symbol: true (and consumed) when present.
pub(crate) fn opt_sym<'a>(i: &'a str, s: &'static str) -> PResult<'a, bool> {
    match sym(s)(i) {
        Ok((rest, ())) => Ok((rest, true)),
        Err(nom::Err::Error(_)) => Ok((i, false)),
        Err(e) => Err(e),
    }
}

/// The end of the input (after space and comments).
pub(crate) fn eof(i: &str) -> PResult<'_, ()> {
    let (i, ()) = ws(i)?;
    if i.is_empty() {
        Ok((i, ()))
    } else {
        fail(i, "EOF")
    }
}

/// An identifier: unquoted (not reserved) folded to lower case, or `"quoted"`
/// with `""` escapes, preserved.
pub(crate) fn ident(i: &str) -> PResult<'_, Ident> {
    let (i, ()) = ws(i)?;
    if let Some(body) = i.strip_prefix('"') {
        return match quoted_body(body, '"') {
            Some((rest, name)) if !name.is_empty() => Ok((rest, Ident(name))),
            Some(_) => fail(i, "identifier"),
            None => abort("", "mismatched character '<EOF>' expecting '\"'"),
        };
    }
    match raw_word(i) {
        Ok((rest, w)) if w.starts_with(|c: char| c.is_ascii_alphabetic()) && !is_reserved(w) => {
            Ok((rest, Ident(w.to_ascii_lowercase())))
        }
        _ => fail(i, "identifier"),
    }
}

/// `ks.name` or `name`.
pub(crate) fn qualified_name(i: &str) -> PResult<'_, QualifiedName> {
    let (i, first) = ident(i)?;
    if let Ok((rest, ())) = sym(".")(i)
        && let Ok((rest, second)) = ident(rest)
    {
        return Ok((
            rest,
            QualifiedName {
                keyspace: Some(first),
                name: second,
            },
        ));
    }
    Ok((
        i,
        QualifiedName {
            keyspace: None,
            name: first,
        },
    ))
}

/// The body after an opening quote up to the closing one, with doubled
/// quotes unescaped; `None` when unterminated.
fn quoted_body(body: &str, quote: char) -> Option<(&str, String)> {
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((pos, c)) = chars.next() {
        if c == quote {
            let after = body.get(pos + 1..)?;
            if after.starts_with(quote) {
                out.push(quote);
                chars.next();
            } else {
                return Some((after, out));
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// A string literal: `'...'` with `''` escapes, or `$$...$$`.
pub(crate) fn string_lit(i: &str) -> PResult<'_, String> {
    let (i, ()) = ws(i)?;
    if let Some(body) = i.strip_prefix('\'') {
        return match quoted_body(body, '\'') {
            Some((rest, s)) => Ok((rest, s)),
            None => abort("", "mismatched character '<EOF>' expecting '''"),
        };
    }
    if let Some(body) = i.strip_prefix("$$") {
        return match body.find("$$") {
            Some(p) => Ok((
                body.get(p + 2..).unwrap_or(""),
                body.get(..p).unwrap_or("").to_string(),
            )),
            None => abort("", "mismatched character '<EOF>' expecting '$'"),
        };
    }
    fail(i, "STRING_LITERAL")
}

/// A numeric token: `(text, is_float)`. Integers are `-?digits`; floats add
/// a fraction (`1.`, `1.5`) and/or an exponent. Does not skip space.
pub(crate) fn number_token(i: &str) -> Option<(&str, &str, bool)> {
    let bytes = i.as_bytes();
    let mut end = usize::from(bytes.first() == Some(&b'-'));
    let digits_start = end;
    while bytes.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    if end == digits_start {
        return None;
    }
    let mut is_float = false;
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1) != Some(&b'.') {
        is_float = true;
        end += 1;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut e = end + 1;
        if matches!(bytes.get(e), Some(b'+' | b'-')) {
            e += 1;
        }
        if bytes.get(e).is_some_and(u8::is_ascii_digit) {
            while bytes.get(e).is_some_and(u8::is_ascii_digit) {
                e += 1;
            }
            end = e;
            is_float = true;
        }
    }
    if bytes.get(end).is_some_and(|b| is_word_char(char::from(*b))) {
        return None;
    }
    Some((i.get(end..)?, i.get(..end)?, is_float))
}

/// A UUID token (8-4-4-4-12 hex digits), lower-cased. Does not skip space.
pub(crate) fn uuid_token(i: &str) -> Option<(&str, String)> {
    let candidate = i.get(..36)?;
    let ok = candidate.char_indices().all(|(p, c)| {
        if matches!(p, 8 | 13 | 18 | 23) {
            c == '-'
        } else {
            c.is_ascii_hexdigit()
        }
    });
    let rest = i.get(36..)?;
    if !ok || rest.starts_with(is_word_char) {
        return None;
    }
    Some((rest, candidate.to_ascii_lowercase()))
}

/// A blob token `0x...`: the hex digits, lower-cased. Does not skip space.
pub(crate) fn blob_token(i: &str) -> Option<(&str, String)> {
    let body = i.strip_prefix("0x").or_else(|| i.strip_prefix("0X"))?;
    let (rest, hex) = take_while::<_, _, ()>(|c: char| c.is_ascii_hexdigit())
        .parse(body)
        .ok()?;
    if rest.starts_with(is_word_char) {
        return None;
    }
    Some((rest, hex.to_ascii_lowercase()))
}

const DURATION_UNITS: &[&str] = &["ms", "us", "µs", "ns", "mo", "y", "w", "d", "h", "m", "s"];

/// A duration token: `1h30m`, `-2d`, `P1DT2H`, `P2W`, `P0001-02-03T04:05:06`.
/// Does not skip space.
pub(crate) fn duration_token(i: &str) -> Option<(&str, &str)> {
    let neg = usize::from(i.starts_with('-'));
    let body = i.get(neg..)?;
    let len = if body.starts_with(['P', 'p']) {
        iso_duration_len(body)?
    } else {
        unit_duration_len(body)?
    };
    let end = neg + len;
    let rest = i.get(end..)?;
    if rest.starts_with(is_word_char) {
        return None;
    }
    Some((rest, i.get(..end)?))
}

fn unit_duration_len(body: &str) -> Option<usize> {
    let mut pos = 0;
    let mut groups = 0;
    loop {
        let rest = body.get(pos..)?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            break;
        }
        let after = rest.get(digits..)?;
        let unit = DURATION_UNITS.iter().find(|u| {
            after
                .get(..u.len())
                .is_some_and(|a| a.eq_ignore_ascii_case(u))
        })?;
        pos += digits + unit.len();
        groups += 1;
    }
    (groups > 0).then_some(pos)
}

fn iso_duration_len(body: &str) -> Option<usize> {
    let tail = body.get(1..)?;
    // The alternative form: P0001-02-03T04:05:06.
    let shape = "dddd-dd-ddTdd:dd:dd";
    if tail.len() >= shape.len()
        && tail.bytes().zip(shape.bytes()).all(|(b, want)| match want {
            b'd' => b.is_ascii_digit(),
            b'T' => b == b'T' || b == b't',
            other => b == other,
        })
    {
        return Some(1 + shape.len());
    }
    // Designators: P[nY][nM][nW][nD][T[nH][nM][nS]].
    let date_len = designators(tail, b"YMWDymwd");
    let mut len = date_len;
    let mut groups = usize::from(date_len > 0);
    if let Some(after_t) = tail
        .get(len..)
        .and_then(|r| r.strip_prefix('T').or_else(|| r.strip_prefix('t')))
    {
        let time_len = designators(after_t, b"HMShms");
        if time_len == 0 {
            return None;
        }
        len += 1 + time_len;
        groups += 1;
    }
    (groups > 0).then_some(1 + len)
}

/// Length of a run of `digits letter` groups whose letters are in `units`.
fn designators(text: &str, units: &[u8]) -> usize {
    let bytes = text.as_bytes();
    let mut pos = 0;
    loop {
        let digits = bytes
            .get(pos..)
            .map_or(0, |b| b.iter().take_while(|c| c.is_ascii_digit()).count());
        match bytes.get(pos + digits) {
            Some(unit) if digits > 0 && units.contains(unit) => pos += digits + 1,
            _ => return pos,
        }
    }
}

/// The text of the token at the start of `rest`, for error messages.
pub(crate) fn token_text(rest: &str) -> &str {
    let Some(first) = rest.chars().next() else {
        return "";
    };
    let len = if is_word_char(first) {
        rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len())
    } else if first == '\'' || first == '"' {
        match quoted_body(rest.get(1..).unwrap_or(""), first) {
            Some((after, _)) => rest.len() - after.len(),
            None => rest.len(),
        }
    } else if ["<=", ">=", "!=", "..", "+=", "-=", "$$"]
        .iter()
        .any(|op| rest.starts_with(op))
    {
        2
    } else {
        first.len_utf8()
    };
    rest.get(..len).unwrap_or(rest)
}

/// A non-negative integer token that fits `u32` (vector dimensions).
pub(crate) fn small_uint(i: &str) -> PResult<'_, u32> {
    let (i, ()) = ws(i)?;
    match number_token(i) {
        Some((rest, text, false)) if !text.starts_with('-') => match text.parse::<u32>() {
            Ok(n) => Ok((rest, n)),
            Err(_) => abort(i, format!("integer {text} is out of range")),
        },
        _ => fail(i, "INTEGER"),
    }
}
