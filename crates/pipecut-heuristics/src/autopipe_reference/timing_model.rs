//! Step 3: the reference's own 1F1B timing model.

use super::arithmetic::Scalar;

/// The result of the reference timing model on one partition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelTime<T> {
    /// `D[0][0] + sum of B[0..=c]`.
    pub step_time: T,
    /// The critical stage `c`.
    pub critical_stage: usize,
    /// Whether `c` passed the idle-free test (false: no stage did and `c = 0`).
    pub idle_free: bool,
}

/// The reference's 1F1B timing model on per-stage forward and backward sums
/// `f`, `b` (same length `S >= 1`): `M = 2S` micro-batches, no
/// communication.
///
/// `Tf[s][k]` and `Tb[s][k]` are the start times of stage `s`'s forward and
/// backward of micro-batch `k` in the steady phase; the critical stage `c` is
/// the last stage that never idles there (its forwards start as soon as its
/// previous backward ends and vice versa); the step time is the cool-down
/// `D` over stages `c..S` plus the backwards of stages `0..=c`.
pub fn reference_model<T: Scalar>(f: &[T], b: &[T]) -> ModelTime<T> {
    let s_count = f.len().min(b.len());
    if s_count == 0 {
        return ModelTime {
            step_time: T::ZERO,
            critical_stage: 0,
            idle_free: true,
        };
    }
    let m = 2 * s_count;
    // last[s] = M - S + s: the last micro-batch stage s forwards in the steady phase.
    let last = |s: usize| m - s_count + s;
    let at = |s: usize, k: usize| s * m + k;
    let (tf, tb) = steady_phase(f, b, m);
    let idle_free = |c: usize| {
        (1..=last(c))
            .all(|k| tf[at(c, k)] == tb[at(c, k - 1)] + b[c] && tb[at(c, k)] == tf[at(c, k)] + f[c])
    };
    let found = (0..s_count).rev().find(|&c| idle_free(c));
    let c = found.unwrap_or(0);
    let step_time = b[..=c]
        .iter()
        .fold(cool_down(f, b, c, tf[at(c, last(c))]), |a, &x| a + x);
    ModelTime {
        step_time,
        critical_stage: c,
        idle_free: found.is_some(),
    }
}

/// `Tf` and `Tb` (`S x M`, row-major by stage) of the steady phase.
fn steady_phase<T: Scalar>(f: &[T], b: &[T], m: usize) -> (Vec<T>, Vec<T>) {
    let s_count = f.len().min(b.len());
    let last = |s: usize| m - s_count + s;
    let at = |s: usize, k: usize| s * m + k;
    let mut tf = vec![T::ZERO; s_count * m];
    let mut tb = vec![T::ZERO; s_count * m];
    let mut acc = f[..s_count].iter().fold(T::ZERO, |a, &x| a + x);
    for s in (0..s_count).rev() {
        tb[at(s, 0)] = acc;
        acc = acc + b[s];
    }
    for k in 1..m {
        for s in 0..s_count {
            if k <= last(s) {
                let mut v = tb[at(s, k - 1)] + b[s];
                // Tf[.][0] is never defined: no predecessor term for k = 1.
                if s > 0 && k > 1 {
                    v = (tf[at(s - 1, k - 1)] + f[s - 1]).max_of(v);
                }
                tf[at(s, k)] = v;
            }
        }
        for s in (0..s_count).rev() {
            if k <= last(s) {
                let mut v = tf[at(s, k)] + f[s];
                if s + 1 < s_count {
                    v = (tb[at(s + 1, k)] + b[s + 1]).max_of(v);
                }
                tb[at(s, k)] = v;
            }
        }
    }
    (tf, tb)
}

/// `D[0][0]` of the cool-down over stages `c..S`, starting from `x` =
/// `Tf[c][last(c)]`.
fn cool_down<T: Scalar>(f: &[T], b: &[T], c: usize, mut x: T) -> T {
    let n = f.len().min(b.len()) - c;
    let mut d = vec![T::ZERO; n * n];
    for i in 0..n {
        x = x + f[c + i];
        d[i * n + (n - 1 - i)] = x;
    }
    for col in (0..n.saturating_sub(1)).rev() {
        for row in (0..=n - col - 2).rev() {
            let mut v =
                (d[row * n + col + 1] + b[c + row]).max_of(d[(row + 1) * n + col] + b[c + row + 1]);
            if row > 0 {
                v = v.max_of(d[(row - 1) * n + col + 1]);
            }
            d[row * n + col] = v;
        }
    }
    d[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_two_stages_by_hand() {
        // S = 2, M = 4, last = [2, 3]; F = [1, 1], B = [2, 2].
        // Tb[1][0] = sum F = 2, Tb[0][0] = 2 + B1 = 4.
        // k=1: Tf[0][1] = 4+2 = 6; Tf[1][1] = Tb[1][0]+B1 = 4 (no predecessor at k=1);
        //      Tb[1][1] = 4+1 = 5; Tb[0][1] = max(5+2, 6+1) = 7.
        // k=2: Tf[0][2] = 7+2 = 9; Tf[1][2] = max(6+1, 5+2) = 7; Tb[1][2] = 8;
        //      Tb[0][2] = max(8+2, 9+1) = 10.
        // k=3: Tf[1][3] = max(9+1, 8+2) = 10; Tb[1][3] = 11.
        // Stage 1 is idle-free for k = 1..3, so c = 1. Cool-down n = 1:
        // D[0][0] = Tf[1][3] + F1 = 11; step = 11 + B0 + B1 = 15
        // = (M + S - 1) * (f + b), the uniform 1F1B time.
        let t = reference_model(&[1u128, 1], &[2, 2]);
        assert_eq!(
            t,
            ModelTime {
                step_time: 15,
                critical_stage: 1,
                idle_free: true
            }
        );
    }

    #[test]
    fn heavy_first_stage_by_hand() {
        // F = [2, 1], B = [4, 2]. Tb[1][0] = 3, Tb[0][0] = 5.
        // k=1: Tf[0][1] = 9; Tf[1][1] = 5; Tb[1][1] = 6; Tb[0][1] = max(8, 11) = 11.
        // k=2: Tf[0][2] = 15; Tf[1][2] = max(9+2, 6+2) = 11; Tb[1][2] = 12;
        //      Tb[0][2] = max(14, 17) = 17.
        // k=3: Tf[1][3] = max(15+2, 12+2) = 17; Tb[1][3] = 18.
        // Stage 1 idles at k=2 (11 != 6+2); stage 0 is idle-free: c = 0.
        // Cool-down n = 2: x = Tf[0][2] = 15; D[0][1] = 15+2 = 17, D[1][0] = 17+1 = 18;
        // D[0][0] = max(D[0][1]+B0, D[1][0]+B1) = max(21, 20) = 21.
        // step = D[0][0] + B0 = 25.
        let t = reference_model(&[2u128, 1], &[4, 2]);
        assert_eq!((t.step_time, t.critical_stage, t.idle_free), (25, 0, true));
        // The same on f64 gives the same numbers.
        let t = reference_model(&[2.0f64, 1.0], &[4.0, 2.0]);
        assert_eq!((t.step_time, t.critical_stage), (25.0, 0));
    }

    #[test]
    fn heavy_last_stage_by_hand() {
        // F = [1, 2], B = [2, 4]. Tb[1][0] = 3, Tb[0][0] = 7.
        // k=1: Tf[0][1] = 9; Tf[1][1] = 7; Tb[1][1] = 9; Tb[0][1] = max(13, 10) = 13.
        // k=2: Tf[0][2] = 15; Tf[1][2] = max(10, 13) = 13; Tb[1][2] = 15; Tb[0][2] = 19.
        // k=3: Tf[1][3] = max(16, 19) = 19; Tb[1][3] = 21. Stage 1 idle-free: c = 1.
        // D[0][0] = 19 + 2 = 21; step = 21 + 2 + 4 = 27 = F0 + M * 6 + B0.
        let t = reference_model(&[1u128, 2], &[2, 4]);
        assert_eq!((t.step_time, t.critical_stage), (27, 1));
    }
}
