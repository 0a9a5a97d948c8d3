//! Calendar arithmetic and the text forms of `timestamp`, `date`, `time` and
//! `duration`, in the proleptic Gregorian calendar and UTC.
//!
//! Our own small civil-date conversion (Howard Hinnant's algorithm) is used
//! rather than a date library because CQL dates span about ±5.8 million years,
//! beyond what common date types hold. No wall clock is read here.

use super::value::{CqlDuration, DATE_EPOCH};

/// Milliseconds in a day.
pub const MILLIS_PER_DAY: i64 = 86_400_000;
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;

/// Days since 1970-01-01 of the civil date `y-m-d` (month 1..=12, day 1..=31).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1..=12, day 1..=31) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // d is in 1..=31 and m in 1..=12 by construction.
    (y, small(m), small(d))
}

fn small(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// Days in month `m` of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn write_year(y: i64, out: &mut String) {
    if y < 0 {
        out.push_str(&format!("-{:04}", y.unsigned_abs()));
    } else {
        out.push_str(&format!("{y:04}"));
    }
}

/// `yyyy-mm-dd` of days since 1970-01-01.
fn format_civil(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    let mut out = String::new();
    write_year(y, &mut out);
    out.push_str(&format!("-{m:02}-{d:02}"));
    out
}

/// A timestamp as `yyyy-mm-ddThh:mm:ss.fffZ`, which CQL accepts back as a
/// string literal.
pub fn format_timestamp(millis: i64) -> String {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let ms = millis.rem_euclid(MILLIS_PER_DAY);
    let (h, rem) = (ms / 3_600_000, ms % 3_600_000);
    let (min, rem) = (rem / 60_000, rem % 60_000);
    let (s, frac) = (rem / 1000, rem % 1000);
    format!("{}T{h:02}:{min:02}:{s:02}.{frac:03}Z", format_civil(days))
}

/// A timestamp as cqlsh shows it: `yyyy-mm-dd hh:mm:ss.ffffff+0000` (UTC).
pub fn format_timestamp_cqlsh(millis: i64) -> String {
    let iso = format_timestamp(millis);
    // `yyyy-mm-ddThh:mm:ss.fffZ` -> `yyyy-mm-dd hh:mm:ss.fff000+0000`.
    let body = iso.strip_suffix('Z').unwrap_or(&iso).replacen('T', " ", 1);
    format!("{body}000+0000")
}

/// A raw `date` value as `yyyy-mm-dd` when its year is 0..=9999, otherwise as
/// the raw unsigned day number (which CQL also accepts).
pub fn format_date(raw: u32) -> String {
    let days = i64::from(raw) - i64::from(DATE_EPOCH);
    let (y, _, _) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        format_civil(days)
    } else {
        raw.to_string()
    }
}

/// A `time` value as `hh:mm:ss.nnnnnnnnn`.
pub fn format_time(nanos: i64) -> String {
    let (h, rem) = (nanos / NANOS_PER_HOUR, nanos % NANOS_PER_HOUR);
    let (m, rem) = (rem / NANOS_PER_MINUTE, rem % NANOS_PER_MINUTE);
    let (s, frac) = (rem / NANOS_PER_SECOND, rem % NANOS_PER_SECOND);
    format!("{h:02}:{m:02}:{s:02}.{frac:09}")
}

/// A duration as Cassandra prints it (`1y2mo3d4h5m6s7ms8us9ns`, a leading `-`
/// when negative, zero units left out); the zero duration is `0s`.
pub fn format_duration(d: &CqlDuration) -> String {
    let mut out = String::new();
    if d.months < 0 || d.days < 0 || d.nanos < 0 {
        out.push('-');
    }
    let months = u64::from(d.months.unsigned_abs());
    append_unit(&mut out, months / 12, "y");
    append_unit(&mut out, months % 12, "mo");
    append_unit(&mut out, u64::from(d.days.unsigned_abs()), "d");
    let nanos = d.nanos.unsigned_abs();
    let units: [(u64, &str); 6] = [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    let mut rest = nanos;
    for (size, unit) in units {
        append_unit(&mut out, rest / size, unit);
        rest %= size;
    }
    if out.is_empty() || out == "-" {
        return "0s".to_owned();
    }
    out
}

fn append_unit(out: &mut String, n: u64, unit: &str) {
    if n > 0 {
        out.push_str(&n.to_string());
        out.push_str(unit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [
            -800_000_000i64,
            -719_468,
            -1,
            0,
            1,
            11_016,
            19_753,
            2_932_896,
            900_000_000,
        ] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(19_753), (2024, 1, 31));
    }

    #[test]
    fn formats() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_timestamp_cqlsh(1), "1970-01-01 00:00:00.001000+0000");
        assert_eq!(format_date(DATE_EPOCH + 19_753), "2024-01-31");
        assert_eq!(format_date(0), "0");
        assert_eq!(format_time(45_296_789_000_000), "12:34:56.789000000");
        let d = CqlDuration {
            months: 14,
            days: 2,
            nanos: 3_723_000_000_003,
        };
        assert_eq!(format_duration(&d), "1y2mo2d1h2m3s3ns");
        let neg = CqlDuration {
            months: 0,
            days: -1,
            nanos: -1_000,
        };
        assert_eq!(format_duration(&neg), "-1d1us");
        assert_eq!(format_duration(&CqlDuration::default()), "0s");
    }
}
