//! The numbers the reference logic runs on ([`Scalar`]: exact `u128` or
//! plain `f64`) and the exact scaling of `f64` costs to integers.

use std::ops::{Add, Sub};

/// The numbers the reference logic runs on: exact `u128` or plain `f64`.
pub trait Scalar:
    Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + std::fmt::Debug
{
    /// Zero.
    const ZERO: Self;
    /// The larger of two values (the first on ties).
    fn max_of(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
}

impl Scalar for u128 {
    const ZERO: Self = 0;
}

impl Scalar for f64 {
    const ZERO: Self = 0.0;
}

/// How the reference's numbers were represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arithmetic {
    /// Exact: every cost times `2^-exponent` is an integer (`u128`).
    Exact {
        /// The scale is `2^exponent`: integer `x` stands for `x * 2^exponent`.
        exponent: i32,
    },
    /// The costs span too wide a range for 128 bits; `f64` on the given numbers.
    Float,
}

/// `out[i]` = sum of `xs[..i]` (length `xs.len() + 1`).
pub(super) fn prefix_of<T: Scalar>(xs: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(xs.len() + 1);
    let mut acc = T::ZERO;
    out.push(acc);
    for &x in xs {
        acc = acc + x;
        out.push(acc);
    }
    out
}

/// `x = m * 2^e` with `m` odd (or zero).
fn decompose(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let exp_field = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if exp_field == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_field - 1075)
    };
    if m == 0 {
        return (0, 0);
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    (m, e)
}

/// `x * 2^e` without going through a possibly-overflowing `2^e`.
pub(super) fn ldexp(mut x: f64, mut e: i32) -> f64 {
    while e > 0 {
        let step = e.min(1000);
        x *= 2f64.powi(step);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        x /= 2f64.powi(step);
        e += step;
    }
    x
}

/// Exact integer images of `values` and the common exponent, when the whole
/// reference computation on `stages` stages fits in `u128`.
pub(super) fn exact_scale(values: &[f64], stages: usize) -> Option<(Vec<u128>, i32)> {
    let parts: Vec<(u64, i32)> = values.iter().map(|&x| decompose(x)).collect();
    let e_min = parts
        .iter()
        .filter(|(m, _)| *m != 0)
        .map(|&(_, e)| e)
        .min()
        .unwrap_or(0);
    let mut ints = Vec::with_capacity(values.len());
    let mut total: u128 = 0;
    for (m, e) in parts {
        let v = if m == 0 {
            0
        } else {
            let shift = u32::try_from(e - e_min).ok()?;
            if 128 - u128::from(m).leading_zeros() + shift > 127 {
                return None;
            }
            u128::from(m) << shift
        };
        total = total.checked_add(v)?;
        ints.push(v);
    }
    // Every model value is a sum of distinct operations over 2S micro-batches
    // plus the initial and final sums: below (2S + 3) * total.
    let factor = u128::try_from(stages)
        .ok()?
        .checked_mul(4)?
        .checked_add(4)?;
    total.checked_mul(factor)?;
    Some((ints, e_min))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_scaling_of_fractions_and_wide_ranges() {
        assert_eq!(decompose(0.375), (3, -3));
        assert_eq!(decompose(12.0), (3, 2));
        assert_eq!(decompose(0.0), (0, 0));
        assert_eq!(decompose(f64::MIN_POSITIVE / 4.0), (1, -1024));
        let (ints, e) = exact_scale(&[0.5, 0.25, 3.0], 4).unwrap();
        assert_eq!((ints, e), (vec![2, 1, 12], -2));
        // 1e-300 next to 1e300 cannot be scaled into 128 bits: f64 path.
        assert!(exact_scale(&[1e-300, 1e300], 2).is_none());
        assert_eq!(ldexp(3.0, -2), 0.75);
        assert_eq!(ldexp(1.0, 2000), f64::INFINITY);
        assert_eq!(ldexp(1.0, -1074), 5e-324);
    }
}
