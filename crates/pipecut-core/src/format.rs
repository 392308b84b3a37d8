//! The one number formatter (and its byte-count sibling) for text people read: plan tables, notes,
//! error messages and reports. Rust's `{}` prints `1e300` as 301 digits;
//! this never does. Also the one reader of byte counts people write (`80GiB`).

/// About four significant digits: `0`, `12.35`, `0.001234`, or scientific
/// notation (`1.2346e5`, `1.0000e-4`) outside `[1e-3, 1e5)`; `inf`, `-inf`
/// and `NaN` as themselves.
///
/// ```
/// use pipecut_core::format::number;
/// assert_eq!(number(12.3456), "12.35");
/// assert_eq!(number(1e300), "1.0000e300");
/// assert_eq!(number(0.0), "0");
/// ```
pub fn number(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if !x.is_finite() {
        format!("{x}")
    } else if x.abs() >= 1e5 || x.abs() < 1e-3 {
        format!("{x:.4e}")
    } else {
        let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
        format!("{x:.digits$}")
    }
}

/// Bytes for people: `512 B`, `3.00 GiB` (binary prefixes up to TiB).
///
/// ```
/// assert_eq!(pipecut_core::format::bytes(3 << 30), "3.00 GiB");
/// ```
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// Reads a byte count with an optional decimal or binary suffix (`80GiB`,
/// `80gb`, `512MB`, `8e10`), the syntax the command line and the Python
/// bindings share; the error says what is wrong with `text`.
///
/// ```
/// use pipecut_core::format::parse_bytes;
/// assert_eq!(parse_bytes("80GiB"), Ok(80 << 30));
/// assert_eq!(parse_bytes("1.5e3"), Ok(1500));
/// assert!(parse_bytes("12XB").is_err());
/// ```
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    // The suffix is the trailing letters, so exponents like `8e10` still parse.
    let num = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &t[num.len()..];
    let factor: f64 = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0f64.powi(2),
        "gib" => 1024.0f64.powi(3),
        "tib" => 1024.0f64.powi(4),
        other => {
            return Err(format!(
            "unknown byte suffix `{other}` in `{text}` (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
        ))
        }
    };
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a byte count (e.g. 80GiB, 8e10)"))?;
    let bytes = value * factor;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("`{text}` is out of range for a byte count"));
    }
    Ok(bytes.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::{bytes, number, parse_bytes};

    #[test]
    fn byte_suffixes() {
        assert_eq!(parse_bytes("80GiB").unwrap(), 80 * (1 << 30));
        assert_eq!(parse_bytes("80GB").unwrap(), 80_000_000_000);
        assert_eq!(parse_bytes("80gb").unwrap(), 80_000_000_000);
        assert_eq!(parse_bytes(" 512 MiB ").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("1234").unwrap(), 1234);
        assert_eq!(parse_bytes("1.5e3").unwrap(), 1500);
        assert_eq!(parse_bytes("2k").unwrap(), 2000);
        assert!(parse_bytes("12XB").unwrap_err().contains("`xb`"));
        assert!(parse_bytes("-5").unwrap_err().contains("out of range"));
        assert!(parse_bytes("1e30TiB").unwrap_err().contains("out of range"));
        assert!(parse_bytes("GB").unwrap_err().contains("not a byte count"));
    }

    #[test]
    fn bytes_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.00 GiB");
        assert_eq!(bytes(u64::MAX), "16777216.00 TiB");
    }

    #[test]
    fn never_prints_long_digit_runs() {
        for x in [
            1e300,
            -1e300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            123456.0,
            0.5,
        ] {
            assert!(number(x).len() <= 12, "{x}: {}", number(x));
        }
        assert_eq!(number(f64::INFINITY), "inf");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(1234.5), "1234");
        assert_eq!(number(0.012345), "0.01235");
    }
}
