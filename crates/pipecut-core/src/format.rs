//! The one number formatter (and its byte-count sibling) for text people read: plan tables, notes,
//! error messages and reports. Rust's `{}` prints `1e300` as 301 digits;
//! this never does.

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

#[cfg(test)]
mod tests {
    use super::{bytes, number};

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
