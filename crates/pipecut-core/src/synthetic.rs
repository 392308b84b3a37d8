//! Seeded synthetic chains for tests, benchmarks and the harness.
//!
//! The same `(family, layers, seed)` gives the same chain on every machine:
//! the generator is ChaCha8 and every draw is a plain `f64` transformation.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::chain::{Chain, Layer, LayerKind};

/// A family of synthetic chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Costs uniform in `[0.5, 1.5)`.
    Uniform,
    /// Log-normal costs (`sigma = 1`): a few layers far heavier than most.
    Lognormal,
    /// Uniform costs with a final layer as heavy as 20% of the chain.
    HeavyHead,
    /// Embedding, near-equal blocks, norm and a large output head, with bytes.
    Transformer,
}

impl Family {
    /// Every family, in a stable order.
    pub const ALL: [Family; 4] = [
        Family::Uniform,
        Family::Lognormal,
        Family::HeavyHead,
        Family::Transformer,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Uniform => "uniform",
            Family::Lognormal => "lognormal",
            Family::HeavyHead => "heavy-head",
            Family::Transformer => "transformer",
        }
    }
}

impl std::str::FromStr for Family {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Family::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown family `{s}` (expected uniform, lognormal, heavy-head or transformer)"
                )
            })
    }
}

/// A standard normal draw (Box-Muller), deterministic given the generator.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Generates a chain of `layers` layers (at least 1) of the given family.
/// Backward costs are twice the forward costs, as without recomputation.
///
/// ```
/// use pipecut_core::synthetic::{generate, Family};
/// let a = generate(Family::Transformer, 16, 7);
/// assert_eq!(a, generate(Family::Transformer, 16, 7));
/// assert_eq!(a.layers()[0].name, "tok_embeddings");
/// ```
pub fn generate(family: Family, layers: usize, seed: u64) -> Chain {
    let n = layers.max(1);
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ (family as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut out = Vec::with_capacity(n);
    match family {
        Family::Uniform | Family::Lognormal | Family::HeavyHead => {
            for i in 0..n {
                let f = match family {
                    Family::Lognormal => normal(&mut rng).exp(),
                    _ => rng.gen_range(0.5..1.5),
                };
                out.push(Layer::new(format!("layers.{i}"), f, 2.0 * f));
            }
            if family == Family::HeavyHead && n > 1 {
                let body: f64 = out[..n - 1].iter().map(|l| l.forward).sum();
                let head = body / 4.0;
                let last = &mut out[n - 1];
                last.forward = head;
                last.backward = 2.0 * head;
                last.kind = LayerKind::Output;
                last.name = "output".into();
            }
        }
        Family::Transformer => {
            // Relative to one block (1.0): embedding ~0.05, norm ~0.01, head ~2-4.
            let blocks = n.saturating_sub(3);
            let specs = std::iter::once(("tok_embeddings".to_string(), LayerKind::Input, 0.05))
                .chain((0..blocks).map(|i| (format!("layers.{i}"), LayerKind::Block, 1.0)))
                .chain([
                    ("norm".to_string(), LayerKind::Output, 0.01),
                    ("output".to_string(), LayerKind::Output, 3.0),
                ])
                .take(n);
            for (name, kind, base) in specs {
                let f = base * rng.gen_range(0.9..1.1);
                let param = (base * 2.0e8 * rng.gen_range(0.9..1.1)) as u64;
                let act = (base * 5.0e7) as u64;
                out.push(
                    Layer::new(name, f, 2.0 * f)
                        .with_kind(kind)
                        .with_bytes(param, act, 8_000_000),
                );
            }
        }
    }
    Chain::new(format!("{}-{n}-s{seed}", family.as_str()), "units", out)
        .expect("generated chains are valid: finite positive costs, unique names")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        for f in Family::ALL {
            for n in [1, 2, 3, 4, 17] {
                let a = generate(f, n, 3);
                assert_eq!(a.len(), n);
                assert_eq!(a, generate(f, n, 3));
            }
            assert_ne!(generate(f, 8, 1), generate(f, 8, 2));
        }
    }
}
