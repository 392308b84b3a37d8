//! # pipecut-testkit
//!
//! Shared test fixtures for the pipecut workspace (a dev-dependency only):
//!
//! - chain builders: [`chain`] (forward/backward costs), [`chain_of`]
//!   (full layers with bytes), [`uniform`], [`llama_like`] (embedding,
//!   blocks, norm, head);
//! - [`problem`]: a checked 1F1B problem in one call;
//! - [`partitions`]: every partition of `n` layers into `p` stages, for
//!   brute-force oracles.
//!
//! ```
//! use pipecut_testkit::{chain, partitions, problem};
//!
//! let c = chain(&[(1.0, 2.0), (2.0, 4.0), (1.0, 2.0)]);
//! assert_eq!(c.layers()[1].name, "l1");
//! let p = problem(c, 2, 4);
//! assert_eq!(partitions(3, 2).count(), 2);
//! assert_eq!(p.micro_batches(), 4);
//! ```
#![deny(missing_docs)]

use pipecut_core::{Chain, Layer, LayerKind, Partition, Problem, ProblemSpec};

/// A chain `l0, l1, ...` with the given `(forward, backward)` costs.
pub fn chain(costs: &[(f64, f64)]) -> Chain {
    layers(costs.iter().map(|&(f, b)| (f, b, 0, 0, 0)))
}

/// A chain `l0, l1, ...` from `(forward, backward, param_bytes,
/// activation_bytes, output_bytes)` rows.
pub fn chain_of(rows: &[(f64, f64, u64, u64, u64)]) -> Chain {
    layers(rows.iter().copied())
}

/// `n` identical layers `l0 .. l{n-1}`.
pub fn uniform(n: usize, forward: f64, backward: f64) -> Chain {
    layers((0..n).map(|_| (forward, backward, 0, 0, 0)))
}

/// A chain from an iterator of rows (see [`chain_of`]).
pub fn layers(rows: impl IntoIterator<Item = (f64, f64, u64, u64, u64)>) -> Chain {
    let layers = rows
        .into_iter()
        .enumerate()
        .map(|(i, (f, b, p, a, o))| Layer::new(format!("l{i}"), f, b).with_bytes(p, a, o))
        .collect();
    Chain::new("test", "s", layers).expect("test chains are valid")
}

/// A Llama-like chain: `tok_embeddings` (0.1, 0.2), `blocks` blocks
/// `layers.i` (1, 2), `norm` (0.01, 0.02) and a head `output` of
/// `(head, 2 head)`.
pub fn llama_like(blocks: usize, head: f64) -> Chain {
    let mut layers = vec![Layer::new("tok_embeddings", 0.1, 0.2).with_kind(LayerKind::Input)];
    layers.extend((0..blocks).map(|i| Layer::new(format!("layers.{i}"), 1.0, 2.0)));
    layers.push(Layer::new("norm", 0.01, 0.02).with_kind(LayerKind::Output));
    layers.push(Layer::new("output", head, 2.0 * head).with_kind(LayerKind::Output));
    Chain::new("llama-like", "ms", layers).expect("the llama-like chain is valid")
}

/// A checked 1F1B problem with `stages` stages and `micro_batches` micro-batches.
pub fn problem(chain: Chain, stages: usize, micro_batches: usize) -> Problem {
    ProblemSpec::new(chain, stages)
        .with_micro_batches(micro_batches)
        .check()
        .expect("test problems are valid")
}

/// Every partition of `n` layers into `p` non-empty stages, in
/// lexicographic order of the starts (`C(n - 1, p - 1)` of them).
pub fn partitions(n: usize, p: usize) -> impl Iterator<Item = Partition> {
    let mut starts: Option<Vec<usize>> = (p >= 1 && p <= n).then(|| (0..p).collect());
    std::iter::from_fn(move || {
        let current = starts.clone()?;
        starts = next_starts(&current, n);
        Some(Partition::new(current, n).expect("enumerated partitions are valid"))
    })
}

/// The next combination of starts after `s` (with `s[0] = 0` fixed).
fn next_starts(s: &[usize], n: usize) -> Option<Vec<usize>> {
    let p = s.len();
    let mut next = s.to_vec();
    for i in (1..p).rev() {
        // Position i can go up to n - (p - i).
        if next[i] < n - (p - i) {
            next[i] += 1;
            for j in i + 1..p {
                next[j] = next[j - 1] + 1;
            }
            return Some(next);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerates_every_partition_once() {
        for n in 1..9 {
            for p in 1..=n {
                let all: Vec<_> = partitions(n, p).collect();
                let binom = (1..p).fold(1usize, |acc, i| acc * (n - i) / i);
                assert_eq!(all.len(), binom, "n={n} p={p}");
                let mut dedup = all.clone();
                dedup.dedup();
                assert_eq!(dedup.len(), all.len());
            }
        }
        assert_eq!(partitions(3, 4).count(), 0);
    }
}
