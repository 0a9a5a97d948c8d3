//! Parsing of `timestamp`, `date`, `time` and `duration` text.
//!
//! timestamp: integer milliseconds, or `yyyy-mm-dd`, optionally followed by
//! ` ` or `T` and `hh:mm[:ss[.f..]]` (fraction up to 9 digits, truncated to
//! milliseconds), optionally followed by a zone `Z`, `+hh`, `+hhmm`, `+hh:mm`
//! (or `-`), `UTC` or `GMT`, possibly after a space; no zone means UTC.
//! date: `yyyy-mm-dd` or the raw unsigned day number (epoch at 2^31).
//! time: `hh:mm:ss[.fffffffff]` or integer nanoseconds.
//! duration: `1y2mo3w4d5h6m7s8ms9us10ns` (units case-insensitive, `µs` too, a
//! leading `-`), ISO 8601 `P1Y2M3DT4H5M6S` / `P2W`, and the alternative
//! `P0001-02-03T04:05:06`.

use crate::value::error::ValueError;
use crate::value::temporal::{MILLIS_PER_DAY, days_from_civil, days_in_month};
use crate::value::types::CqlType;
use crate::value::value::{CqlDuration, DATE_EPOCH, NANOS_PER_DAY};

/// A small cursor over ASCII text.
struct Scan<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Up to `max` digits (at least one); returns the value and the count.
    fn digits(&mut self, max: usize) -> Option<(i64, usize)> {
        let mut value: i64 = 0;
        let mut n = 0;
        while n < max {
            match self.peek() {
                Some(c @ b'0'..=b'9') => {
                    value = value.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
                    self.pos += 1;
                    n += 1;
                }
                _ => break,
            }
        }
        (n > 0).then_some((value, n))
    }

    fn done(&self) -> bool {
        self.pos >= self.s.len()
    }
}

fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Reads `[-]yyyy-mm-dd`; returns days since 1970-01-01.
fn read_date(sc: &mut Scan<'_>) -> Result<i64, String> {
    let negative = sc.eat(b'-');
    let (year, _) = sc.digits(9).ok_or("expected a year")?;
    let year = if negative { -year } else { year };
    if !sc.eat(b'-') {
        return Err("expected '-' after the year".into());
    }
    let (month, _) = sc.digits(2).ok_or("expected a month")?;
    if !sc.eat(b'-') {
        return Err("expected '-' after the month".into());
    }
    let (day, _) = sc.digits(2).ok_or("expected a day")?;
    let month = u32::try_from(month).unwrap_or(0);
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} out of range"));
    }
    let day = u32::try_from(day).unwrap_or(0);
    if day < 1 || day > days_in_month(year, month) {
        return Err(format!("day {day} out of range for the month"));
    }
    Ok(days_from_civil(year, month, day))
}

/// Reads `hh:mm[:ss[.f{1,9}]]` (seconds required when `need_seconds`);
/// returns nanoseconds since midnight.
fn read_time(sc: &mut Scan<'_>, need_seconds: bool) -> Result<i64, String> {
    let (h, _) = sc.digits(2).ok_or("expected hours")?;
    if !sc.eat(b':') {
        return Err("expected ':' after the hours".into());
    }
    let (m, _) = sc.digits(2).ok_or("expected minutes")?;
    let mut s = 0;
    let mut frac = 0;
    if sc.eat(b':') {
        s = sc.digits(2).ok_or("expected seconds")?.0;
        if sc.eat(b'.') {
            let (f, n) = sc.digits(9).ok_or("expected a fraction of a second")?;
            let scale = 10i64.pow(u32::try_from(9 - n).unwrap_or(0));
            frac = f * scale;
        }
    } else if need_seconds {
        return Err("expected ':' after the minutes".into());
    }
    if h > 23 || m > 59 || s > 59 {
        return Err("hours, minutes or seconds out of range".into());
    }
    Ok(((h * 60 + m) * 60 + s) * 1_000_000_000 + frac)
}

/// Reads an optional zone; returns its offset in minutes east of UTC.
fn read_zone(sc: &mut Scan<'_>) -> Result<i64, String> {
    sc.eat(b' ');
    let rest = sc.s.get(sc.pos..).unwrap_or(&[]);
    if rest.is_empty() {
        return Ok(0);
    }
    if rest == b"Z" || rest.eq_ignore_ascii_case(b"UTC") || rest.eq_ignore_ascii_case(b"GMT") {
        sc.pos = sc.s.len();
        return Ok(0);
    }
    let sign = match sc.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err("unexpected text after the time".into()),
    };
    sc.pos += 1;
    let (hh, n) = sc.digits(2).ok_or("expected zone hours")?;
    if n != 2 {
        return Err("zone hours need two digits".into());
    }
    sc.eat(b':');
    let mm = if sc.done() {
        0
    } else {
        sc.digits(2).ok_or("expected zone minutes")?.0
    };
    if hh > 18 || mm > 59 {
        return Err("zone offset out of range".into());
    }
    Ok(sign * (hh * 60 + mm))
}

/// Parses timestamp text to milliseconds since the epoch.
pub(super) fn parse_timestamp(ty: &CqlType, text: &str) -> Result<i64, ValueError> {
    if is_integer(text) {
        return text
            .parse::<i64>()
            .map_err(|_| ValueError::parse(ty, text, "milliseconds out of range"));
    }
    timestamp_text(text).map_err(|reason| ValueError::parse(ty, text, reason))
}

fn timestamp_text(text: &str) -> Result<i64, String> {
    let mut sc = Scan {
        s: text.as_bytes(),
        pos: 0,
    };
    let days = read_date(&mut sc)?;
    let mut nanos = 0;
    if matches!(sc.peek(), Some(b' ' | b'T')) {
        let save = sc.pos;
        sc.pos += 1;
        if matches!(sc.peek(), Some(b'0'..=b'9')) {
            nanos = read_time(&mut sc, false)?;
        } else {
            sc.pos = save;
        }
    }
    let offset_min = read_zone(&mut sc)?;
    if !sc.done() {
        return Err("unexpected text at the end".into());
    }
    let millis = i128::from(days) * i128::from(MILLIS_PER_DAY) + i128::from(nanos / 1_000_000)
        - i128::from(offset_min) * 60_000;
    i64::try_from(millis).map_err(|_| "out of the timestamp range".into())
}

/// Parses date text to the raw unsigned day number.
pub(super) fn parse_date(ty: &CqlType, text: &str) -> Result<u32, ValueError> {
    if is_integer(text) {
        return text
            .parse::<u32>()
            .map_err(|_| ValueError::parse(ty, text, "day number out of range 0..2^32"));
    }
    let mut sc = Scan {
        s: text.as_bytes(),
        pos: 0,
    };
    let days = read_date(&mut sc).map_err(|r| ValueError::parse(ty, text, r))?;
    if !sc.done() {
        return Err(ValueError::parse(ty, text, "expected yyyy-mm-dd"));
    }
    u32::try_from(days + i64::from(DATE_EPOCH))
        .map_err(|_| ValueError::parse(ty, text, "out of the date range"))
}

/// Parses time text to nanoseconds since midnight.
pub(super) fn parse_time(ty: &CqlType, text: &str) -> Result<i64, ValueError> {
    if is_integer(text) {
        return match text.parse::<i64>() {
            Ok(n) if (0..NANOS_PER_DAY).contains(&n) => Ok(n),
            _ => Err(ValueError::parse(
                ty,
                text,
                "nanoseconds out of range 0..86399999999999",
            )),
        };
    }
    let mut sc = Scan {
        s: text.as_bytes(),
        pos: 0,
    };
    let nanos = read_time(&mut sc, true).map_err(|r| ValueError::parse(ty, text, r))?;
    if !sc.done() {
        return Err(ValueError::parse(ty, text, "expected hh:mm:ss[.fffffffff]"));
    }
    Ok(nanos)
}

/// Accumulates duration components with overflow checks.
#[derive(Default)]
struct Acc {
    months: i64,
    days: i64,
    nanos: i64,
}

impl Acc {
    fn add(&mut self, n: i64, unit: &str) -> Result<(), String> {
        let (slot, factor) = match unit {
            "y" => (&mut self.months, 12),
            "mo" => (&mut self.months, 1),
            "w" => (&mut self.days, 7),
            "d" => (&mut self.days, 1),
            "h" => (&mut self.nanos, 3_600_000_000_000),
            "m" => (&mut self.nanos, 60_000_000_000),
            "s" => (&mut self.nanos, 1_000_000_000),
            "ms" => (&mut self.nanos, 1_000_000),
            "us" | "µs" => (&mut self.nanos, 1_000),
            "ns" => (&mut self.nanos, 1),
            other => return Err(format!("unknown unit '{other}'")),
        };
        *slot = n
            .checked_mul(factor)
            .and_then(|v| slot.checked_add(v))
            .ok_or("duration overflows")?;
        Ok(())
    }

    fn finish(self, negative: bool) -> Result<CqlDuration, String> {
        let sign: i64 = if negative { -1 } else { 1 };
        let months = i32::try_from(sign * self.months).map_err(|_| "months overflow 32 bits")?;
        let days = i32::try_from(sign * self.days).map_err(|_| "days overflow 32 bits")?;
        Ok(CqlDuration {
            months,
            days,
            nanos: sign * self.nanos,
        })
    }
}

/// Parses duration text in any of Cassandra's three forms.
pub(super) fn parse_duration(ty: &CqlType, text: &str) -> Result<CqlDuration, ValueError> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let result = if let Some(iso) = body.strip_prefix('P') {
        if iso.contains('-') {
            alternative(iso)
        } else {
            iso8601(iso)
        }
    } else {
        units(body)
    };
    result
        .and_then(|acc| acc.finish(negative))
        .map_err(|reason| ValueError::parse(ty, text, reason))
}

fn units(body: &str) -> Result<Acc, String> {
    let mut acc = Acc::default();
    let mut rest = body;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (num, tail) = rest.split_at(digits);
        let n: i64 = num
            .parse()
            .map_err(|_| "expected a number before each unit")?;
        let unit_len = tail
            .chars()
            .take_while(|c| c.is_alphabetic())
            .map(char::len_utf8)
            .sum();
        let (unit, tail) = tail.split_at(unit_len);
        acc.add(n, &unit.to_lowercase())?;
        rest = tail;
    }
    Ok(acc)
}

fn iso8601(iso: &str) -> Result<Acc, String> {
    let mut acc = Acc::default();
    let (date, time) = match iso.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return Err("nothing after 'T'".into()),
        None => (iso, None),
    };
    designators(
        date,
        &[("Y", "y"), ("M", "mo"), ("W", "w"), ("D", "d")],
        &mut acc,
    )?;
    if let Some(time) = time {
        designators(time, &[("H", "h"), ("M", "m"), ("S", "s")], &mut acc)?;
    }
    if date.is_empty() && time.is_none() {
        return Err("empty ISO 8601 duration".into());
    }
    Ok(acc)
}

/// Reads `nX nY ...` where each designator appears at most once, in order.
fn designators(text: &str, allowed: &[(&str, &str)], acc: &mut Acc) -> Result<(), String> {
    let mut rest = text;
    let mut next = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (num, tail) = rest.split_at(digits);
        let n: i64 = num
            .parse()
            .map_err(|_| "expected a number before each designator")?;
        let d = tail.get(..1).ok_or("missing designator")?;
        let found = allowed
            .iter()
            .enumerate()
            .skip(next)
            .find(|(_, (des, _))| des.eq_ignore_ascii_case(d));
        let Some((i, (_, unit))) = found else {
            return Err(format!("unexpected designator '{d}'"));
        };
        acc.add(n, unit)?;
        next = i + 1;
        rest = tail.get(1..).unwrap_or("");
    }
    Ok(())
}

fn alternative(iso: &str) -> Result<Acc, String> {
    let bad = || "expected Pyyyy-mm-ddThh:mm:ss".to_string();
    let (date, time) = iso.split_once('T').ok_or_else(bad)?;
    let field = |s: &str, len: usize| -> Result<i64, String> {
        if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    let (&[y, mo, dd], &[h, m, s]) = (d.as_slice(), t.as_slice()) else {
        return Err(bad());
    };
    let mut acc = Acc::default();
    acc.add(field(y, 4)?, "y")?;
    acc.add(field(mo, 2)?, "mo")?;
    acc.add(field(dd, 2)?, "d")?;
    acc.add(field(h, 2)?, "h")?;
    acc.add(field(m, 2)?, "m")?;
    acc.add(field(s, 2)?, "s")?;
    Ok(acc)
}
