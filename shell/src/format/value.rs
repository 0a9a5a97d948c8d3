//! One CQL value as cqlsh prints it (`formatting.py`): text unquoted at the
//! top level and quoted inside collections, blobs `0x..`, booleans `True`,
//! timestamps `yyyy-mm-dd hh:mm:ss.ffffff+0000`, floats by precision, and so on.
//!
//! Widths follow cqlsh exactly, including its quirks: a collection's width is
//! the sum of its elements plus 2 (list, set, tuple) or 4 (map, UDT) per element.

use sibyl_protocol::value::temporal::{
    civil_from_days, days_from_civil, format_duration, format_time,
};
use sibyl_protocol::value::{CqlDuration, CqlValue};

use super::number::{format_decimal, format_float};
use super::{Formatted, Kind, Style, color, display_width};

/// Days from 0001-01-01 to 1970-01-01 and from 1970-01-01 to 9999-12-31: the
/// range Python's `datetime` can print.
const DAYS_MIN: i64 = -719_162;
const DAYS_MAX: i64 = 2_932_896;
const MILLIS_PER_DAY: i64 = 86_400_000;
/// The `date` value of 1970-01-01.
const DATE_EPOCH: i64 = 1 << 31;

/// Formats a cell; `None` is null (red `null`).
pub fn format_cell(value: Option<&CqlValue>, style: &Style) -> Formatted {
    match value {
        None => Formatted::kind(style.null_text.clone(), Kind::Error, style),
        Some(v) => {
            let precision = match v {
                CqlValue::Double(_) => style.double_precision,
                _ => style.float_precision,
            };
            format_value(v, style, precision, false)
        }
    }
}

/// Formats one value. `quote` is set inside collections (strings, inets and
/// timestamps are then quoted).
pub fn format_value(v: &CqlValue, style: &Style, precision: usize, quote: bool) -> Formatted {
    let green = |s: String| Formatted::kind(s, Kind::Green, style);
    let quoted = |s: String| if quote { format!("'{s}'") } else { s };
    match v {
        CqlValue::Empty => format_text("", style, false),
        CqlValue::Ascii(s) | CqlValue::Text(s) => format_text(s, style, quote),
        CqlValue::Bigint(n) | CqlValue::Counter(n) => green(n.to_string()),
        CqlValue::Int(n) => green(n.to_string()),
        CqlValue::Smallint(n) => green(n.to_string()),
        CqlValue::Tinyint(n) => green(n.to_string()),
        CqlValue::Varint(n) => green(n.to_string()),
        CqlValue::Decimal(d) => green(format_decimal(d)),
        CqlValue::Float(f) => green(format_float(f64::from(*f), precision)),
        CqlValue::Double(f) => green(format_float(*f, precision)),
        CqlValue::Boolean(b) => green(if *b { "True" } else { "False" }.into()),
        CqlValue::Blob(b) => Formatted::kind(format!("0x{}", hex(b)), Kind::Blob, style),
        CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => green(u.to_string()),
        CqlValue::Inet(ip) => green(quoted(ip.to_string())),
        CqlValue::Timestamp(ms) => green(quoted(timestamp_text(*ms))),
        CqlValue::Date(d) => green(date_text(*d)),
        CqlValue::Time(n) => green(time_text(*n)),
        CqlValue::Duration(d) => green(duration_text(d)),
        CqlValue::List(items) | CqlValue::Vector(items) => {
            let subs: Vec<_> = items
                .iter()
                .map(|i| format_value(i, style, precision, true))
                .collect();
            join_simple(&subs, "[", "]", style)
        }
        CqlValue::Set(items) => {
            let subs: Vec<_> = items
                .iter()
                .map(|i| format_value(i, style, precision, true))
                .collect();
            join_simple(&subs, "{", "}", style)
        }
        CqlValue::Tuple(items) => {
            let subs: Vec<_> = items
                .iter()
                .map(|i| tuple_item(i.as_ref(), style, precision))
                .collect();
            join_simple(&subs, "(", ")", style)
        }
        CqlValue::Map(entries) => {
            let subs: Vec<_> = entries
                .iter()
                .map(|(k, v)| {
                    (
                        format_value(k, style, precision, true),
                        format_value(v, style, precision, true),
                    )
                })
                .collect();
            join_pairs(&subs, style)
        }
        CqlValue::Udt(fields) => {
            let subs: Vec<_> = fields
                .iter()
                .map(|(name, v)| {
                    (
                        format_text(name, style, false),
                        nested(v.as_ref(), style, precision),
                    )
                })
                .collect();
            join_pairs(&subs, style)
        }
        _ => format_text(&format!("{v:?}"), style, false),
    }
}

/// A tuple element: cqlsh formats a null one with the element type's
/// formatter, which prints Python's `None`.
fn tuple_item(v: Option<&CqlValue>, style: &Style, precision: usize) -> Formatted {
    match v {
        None => Formatted::kind("None".into(), Kind::Green, style),
        Some(v) => format_value(v, style, precision, true),
    }
}

/// A nested value that may be null.
fn nested(v: Option<&CqlValue>, style: &Style, precision: usize) -> Formatted {
    match v {
        None => Formatted::kind(style.null_text.clone(), Kind::Error, style),
        Some(v) => format_value(v, style, precision, true),
    }
}

/// cqlsh `format_simple_collection`.
fn join_simple(subs: &[Formatted], open: &str, close: &str, style: &Style) -> Formatted {
    let plain = format!(
        "{open}{}{close}",
        subs.iter()
            .map(|s| s.plain.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let width = 2 * subs.len() + subs.iter().map(|s| s.width).sum::<usize>();
    let colored = if style.color {
        let c = |s: &str| format!("{}{s}{}", color::BLUE, color::RESET);
        let inner: Vec<&str> = subs.iter().map(|s| s.colored.as_str()).collect();
        format!("{}{}{}", c(open), inner.join(&c(", ")), c(close))
    } else {
        plain.clone()
    };
    Formatted {
        plain,
        colored,
        width,
    }
}

/// cqlsh `format_value_map` / `format_value_utype`.
fn join_pairs(subs: &[(Formatted, Formatted)], style: &Style) -> Formatted {
    let parts: Vec<String> = subs
        .iter()
        .map(|(k, v)| format!("{}: {}", k.plain, v.plain))
        .collect();
    let plain = format!("{{{}}}", parts.join(", "));
    let width = 4 * subs.len() + subs.iter().map(|(k, v)| k.width + v.width).sum::<usize>();
    let colored = if style.color {
        let c = |s: &str| format!("{}{s}{}", color::BLUE, color::RESET);
        let inner: Vec<String> = subs
            .iter()
            .map(|(k, v)| format!("{}{}{}", k.colored, c(": "), v.colored))
            .collect();
        format!("{}{}{}", c("{"), inner.join(&c(", ")), c("}"))
    } else {
        plain.clone()
    };
    Formatted {
        plain,
        colored,
        width,
    }
}

/// cqlsh `format_value_text`: backslashes doubled, control characters as
/// Python's repr escapes, quotes doubled and the whole quoted when `quote`.
pub fn format_text(s: &str, style: &Style, quote: bool) -> Formatted {
    let mut out = String::with_capacity(s.len() + 2);
    if quote {
        out.push('\'');
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' if quote => out.push_str("''"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{a0}' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)))
            }
            _ => out.push(c),
        }
    }
    if quote {
        out.push('\'');
    }
    let mut width = display_width(&out);
    let colored = if style.color {
        width = width.saturating_sub(out.matches("\\\\").count());
        color_text(&out)
    } else {
        out.clone()
    };
    Formatted {
        plain: out,
        colored,
        width,
    }
}

/// cqlsh `color_text`: yellow text with escapes in dark magenta and `\\` shown as `\`.
fn color_text(bval: &str) -> String {
    let mut out = String::from(color::YELLOW);
    let mut rest = bval;
    while let Some(pos) = rest.find('\\') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos + 1..];
        let len = escape_len(tail);
        if tail.starts_with('\\') {
            out.push('\\');
        } else if len > 0 {
            out.push_str(color::DARK_MAGENTA);
            out.push('\\');
            out.push_str(&tail[..len]);
            out.push_str(color::YELLOW);
        } else {
            out.push('\\');
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
    out.push_str(color::RESET);
    out
}

/// Length of the escape after a backslash (cqlsh's `bits_to_turn_red_re`).
fn escape_len(tail: &str) -> usize {
    let hex_run = |n: usize| {
        tail.get(1..=n)
            .is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
    };
    match tail.chars().next() {
        None => 0,
        Some('x') if hex_run(2) => 3,
        Some('u') if hex_run(4) => 5,
        Some('U') if hex_run(8) => 9,
        Some('x' | 'u' | 'U') => 0,
        Some(c) => c.len_utf8(),
    }
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `%Y-%m-%d %H:%M:%S.%f%z` in UTC, or the milliseconds when the year is
/// outside 1..=9999 (cqlsh's `deserialize_date_fallback_int`).
pub fn timestamp_text(ms: i64) -> String {
    let days = ms.div_euclid(MILLIS_PER_DAY);
    if !(DAYS_MIN..=DAYS_MAX).contains(&days) {
        return ms.to_string();
    }
    let (y, m, d) = civil_from_days(days);
    let rem = ms.rem_euclid(MILLIS_PER_DAY);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (min, rem) = (rem / 60_000, rem % 60_000);
    let (s, frac) = (rem / 1000, rem % 1000);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02}.{frac:03}000+0000")
}

/// Python's `str(cassandra.util.Date)`: `yyyy-mm-dd`, or the signed days since
/// the epoch when the year is outside 1..=9999.
pub fn date_text(raw: u32) -> String {
    let days = i64::from(raw) - DATE_EPOCH;
    if !(DAYS_MIN..=DAYS_MAX).contains(&days) {
        return days.to_string();
    }
    let (y, m, d) = civil_from_days(days);
    debug_assert_eq!(days_from_civil(y, m, d), days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `str(cassandra.util.Time)`: `hh:mm:ss.nnnnnnnnn`.
pub fn time_text(nanos: i64) -> String {
    format_time(nanos)
}

/// cqlsh `duration_as_str`: Cassandra's duration text, except that the zero
/// duration prints as the empty string.
pub fn duration_text(d: &CqlDuration) -> String {
    if d.months == 0 && d.days == 0 && d.nanos == 0 {
        return String::new();
    }
    format_duration(d)
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
