//! Number text exactly as Python prints it for cqlsh: `'%.*g'` with cqlsh's
//! precision adjustment for floats and doubles, and `str(Decimal)`.

use bigdecimal::BigDecimal;

/// A float or double as cqlsh's `format_floating_point_type` prints it with
/// `precision` significant digits (no thousands separator).
pub fn format_float(val: f64, precision: usize) -> String {
    if val.is_nan() {
        return "NaN".into();
    }
    if val.is_infinite() {
        return if val > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let mut p = precision;
    if val.abs() > f64::EPSILON {
        // Python `int(math.log10(abs(val)))` truncates toward zero.
        let exponent = val.abs().log10().trunc();
        if (-4.0..(p as f64)).contains(&exponent) {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "the range check above bounds the value to a small integer"
            )]
            let e = exponent as i64;
            p = usize::try_from(i64::try_from(p).unwrap_or(i64::MAX).saturating_add(e + 1))
                .unwrap_or(1);
        }
    }
    percent_g(val, p)
}

/// Python's `'%.*g' % (precision, val)` for a finite value.
pub fn percent_g(val: f64, precision: usize) -> String {
    let p = precision.max(1);
    if val == 0.0 {
        return if val.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{:.*e}", p - 1, val);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let x: i64 = exp.parse().unwrap_or(0);
    let p_i = i64::try_from(p).unwrap_or(i64::MAX);
    if -4 <= x && x < p_i {
        let decimals = usize::try_from(p_i - 1 - x).unwrap_or(0);
        strip_zeros(&format!("{val:.decimals$}"))
    } else {
        let m = strip_zeros(mantissa);
        let sign = if x < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", x.unsigned_abs())
    }
}

/// Removes trailing zeros after a decimal point, then a trailing point.
fn strip_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

/// Python's `str(Decimal)` (scientific notation when the exponent is positive
/// or the adjusted exponent is below -6).
pub fn format_decimal(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let negative = unscaled.sign() == num_bigint::Sign::Minus;
    let digits = unscaled.magnitude().to_string();
    let exp = -scale;
    let n = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let leftdigits = exp.saturating_add(n);
    let dotplace = if exp <= 0 && leftdigits > -6 {
        leftdigits
    } else {
        1
    };
    let (int_part, frac_part) = if dotplace <= 0 {
        let zeros = "0".repeat(usize::try_from(-dotplace).unwrap_or(0));
        ("0".to_owned(), format!(".{zeros}{digits}"))
    } else if dotplace >= n {
        let zeros = "0".repeat(usize::try_from(dotplace - n).unwrap_or(0));
        (format!("{digits}{zeros}"), String::new())
    } else {
        let at = usize::try_from(dotplace).unwrap_or(0);
        let (a, b) = digits.split_at(at);
        (a.to_owned(), format!(".{b}"))
    };
    let exp_part = if leftdigits == dotplace {
        String::new()
    } else {
        format!("E{:+}", leftdigits - dotplace)
    };
    let sign = if negative { "-" } else { "" };
    format!("{sign}{int_part}{frac_part}{exp_part}")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn percent_g_matches_python() {
        // Expected strings are Python 3's `'%.*g' % (p, v)`.
        assert_eq!(percent_g(1234.5, 5), "1234.5");
        assert_eq!(percent_g(123456.0, 5), "1.2346e+05");
        assert_eq!(percent_g(0.0001234, 3), "0.000123");
        assert_eq!(percent_g(0.00001234, 3), "1.23e-05");
        assert_eq!(percent_g(1e100, 5), "1e+100");
        assert_eq!(percent_g(2.0, 5), "2");
        assert_eq!(percent_g(-0.0, 5), "-0");
    }

    #[test]
    fn floats_as_cqlsh() {
        // cqlsh float_precision 5 on the f32 -> f64 widened value.
        assert_eq!(format_float(f64::from(1.5f32), 5), "1.5");
        assert_eq!(format_float(f64::from(1234.5678f32), 5), "1234.56775");
        assert_eq!(format_float(f64::from(0.1f32), 5), "0.1");
        assert_eq!(format_float(f64::from(std::f32::consts::PI), 5), "3.14159");
        assert_eq!(format_float(1e20, 12), "1e+20");
        assert_eq!(format_float(123456.0, 5), "1.2346e+05");
        // double_precision 12.
        assert_eq!(format_float(std::f64::consts::PI, 12), "3.14159265359");
        assert_eq!(format_float(0.1, 12), "0.1");
        assert_eq!(format_float(-2.5, 12), "-2.5");
        assert_eq!(format_float(0.0, 12), "0");
        assert_eq!(format_float(f64::NAN, 5), "NaN");
        assert_eq!(format_float(f64::INFINITY, 5), "Infinity");
        assert_eq!(format_float(f64::NEG_INFINITY, 5), "-Infinity");
    }

    #[test]
    fn decimals_as_python_str() {
        let cases = [
            ("1.50", "1.50"),
            ("-0.001", "-0.001"),
            ("123", "123"),
            ("0.0000001", "1E-7"),
            ("1E+3", "1E+3"),
            ("0", "0"),
            ("12.345678901234567890", "12.345678901234567890"),
        ];
        for (input, expected) in cases {
            let d = BigDecimal::from_str(input).unwrap();
            assert_eq!(format_decimal(&d), expected, "{input}");
        }
    }
}
