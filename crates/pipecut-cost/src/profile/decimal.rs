//! Time columns as text: the CSV holds milliseconds, the chain its own unit;
//! converting moves the decimal point of the text instead of multiplying
//! binary floats, so every value reads back bit for bit.

/// Powers of ten from the chain unit to milliseconds (`None`: not a time unit).
pub(super) fn ms_shift(unit: &str) -> Option<i32> {
    match unit {
        "s" => Some(3),
        "ms" => Some(0),
        "us" | "µs" => Some(-3),
        "ns" => Some(-6),
        _ => None,
    }
}

/// Splits a finite decimal number's text into its mantissa and power of ten.
fn split_exponent(text: &str) -> Option<(&str, i64)> {
    match text.find(['e', 'E']) {
        Some(i) => Some((&text[..i], text[i + 1..].parse().ok()?)),
        None => Some((text, 0)),
    }
}

/// Parses `text * 10^shift` exactly as a decimal, rounded once to `f64`.
pub(super) fn parse_shifted(text: &str, shift: i64) -> Option<f64> {
    let (mantissa, exp) = split_exponent(text)?;
    let digits_ok = !mantissa.is_empty()
        && mantissa
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && mantissa.matches('.').count() <= 1
        && mantissa.len() - mantissa.trim_start_matches(['+', '-']).len() <= 1;
    if !digits_ok {
        return None;
    }
    let value: f64 = format!("{mantissa}e{}", exp.checked_add(shift)?)
        .parse()
        .ok()?;
    value.is_finite().then_some(value)
}

/// The shortest decimal text of `value * 10^shift` that [`parse_shifted`]
/// with `-shift` maps back to `value`; plain notation for moderate
/// magnitudes, scientific otherwise.
pub(super) fn format_shifted(value: f64, shift: i32) -> String {
    // `{:e}` is the shortest round-trip digits: `d.ddde±x`.
    let sci = format!("{value:e}");
    let (mantissa, exp) = split_exponent(&sci).expect("Rust writes a valid exponent");
    let exp = exp + i64::from(shift);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if digits.chars().all(|c| c == '0') {
        return format!("{sign}0");
    }
    // value = 0.digits * 10^(exp + 1)
    let point = exp + 1;
    let n = digits.len() as i64;
    if !(-6..=21).contains(&point) {
        let (head, tail) = digits.split_at(1);
        return if tail.is_empty() {
            format!("{sign}{head}e{exp}")
        } else {
            format!("{sign}{head}.{tail}e{exp}")
        };
    }
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= n {
        format!("{sign}{digits}{}", "0".repeat((point - n) as usize))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_shift_is_textual() {
        assert_eq!(format_shifted(0.0015, 3), "1.5");
        assert_eq!(format_shifted(2.0, 3), "2000");
        assert_eq!(format_shifted(1.0e-9, 3), "0.000001");
        assert_eq!(format_shifted(1.25e-12, 3), "1.25e-9");
        assert_eq!(format_shifted(1e300, 0), "1e300");
        assert_eq!(format_shifted(0.0, 3), "0");
        assert_eq!(format_shifted(-0.0, 3), "-0");
        assert_eq!(format_shifted(123.0, -3), "0.123");
        assert_eq!(parse_shifted("1.5", -3), Some(0.0015));
        assert_eq!(parse_shifted("2E3", -3), Some(2.0));
        assert_eq!(parse_shifted(".5", 0), Some(0.5));
        for bad in [
            "", "abc", "inf", "NaN", "1.2.3", "--1", "1e", "e5", "1e99999",
        ] {
            assert_eq!(parse_shifted(bad, -3), None, "{bad}");
        }
        // 0.1 + 0.2 in seconds is not 0.3; the shifted text keeps every bit.
        let v = 0.1 + 0.2;
        assert_eq!(parse_shifted(&format_shifted(v, 3), -3), Some(v));
    }
}
