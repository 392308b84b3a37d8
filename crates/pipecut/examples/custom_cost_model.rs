//! Bring your own cost model: implement `CostModel` for a model pipecut does
//! not know (here a ViT-style encoder with a patch embedding, blocks whose
//! cost grows with the token count, and a classifier head), then plan it.
//!
//! `cargo run --release -p pipecut --example custom_cost_model`

use pipecut::core::{Chain, CostModel, Layer, LayerKind, Partitioner, ProblemSpec};
use pipecut::harness::{problem_markdown, Runner};
use pipecut::registry;

/// A vision transformer costed with the usual `2 * tokens * in * out`
/// FLOPs per linear layer, on a GPU sustaining `flops_per_second`.
struct VisionTransformer {
    image: usize,
    patch: usize,
    dim: usize,
    blocks: usize,
    classes: usize,
    batch: usize,
    flops_per_second: f64,
}

/// The only thing that can go wrong: a patch size that does not tile the image.
#[derive(Debug)]
struct BadPatch {
    patch: usize,
    image: usize,
}

impl std::fmt::Display for BadPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "patch size {} does not divide image size {}",
            self.patch, self.image
        )
    }
}

impl std::error::Error for BadPatch {}

impl CostModel for VisionTransformer {
    type Error = BadPatch;

    fn name(&self) -> String {
        format!("vit-d{}-L{}", self.dim, self.blocks)
    }

    fn chain(&self) -> Result<Chain, BadPatch> {
        if self.patch == 0 || self.image % self.patch != 0 {
            return Err(BadPatch {
                patch: self.patch,
                image: self.image,
            });
        }
        let tokens = (self.image / self.patch).pow(2) as f64;
        let t = self.batch as f64 * tokens;
        let d = self.dim as f64;
        let secs = |flops: f64| flops / self.flops_per_second;
        // Backward is twice the forward (no recomputation).
        let layer = |name: String, kind, fwd: f64, params: f64| {
            Layer::new(name, secs(fwd), 2.0 * secs(fwd))
                .with_kind(kind)
                .with_bytes(
                    (16.0 * params) as u64,
                    (2.0 * t * d * 10.0) as u64,
                    (2.0 * t * d) as u64,
                )
        };
        let patch_in = (3 * self.patch * self.patch) as f64;
        let mut layers = vec![layer(
            "patch_embed".into(),
            LayerKind::Input,
            2.0 * t * patch_in * d,
            patch_in * d,
        )];
        for i in 0..self.blocks {
            // qkv + out projections, attention scores, 4x MLP.
            let fwd = 2.0 * t * d * 4.0 * d + 4.0 * t * tokens * d + 2.0 * t * d * 8.0 * d;
            layers.push(layer(
                format!("blocks.{i}"),
                LayerKind::Block,
                fwd,
                12.0 * d * d,
            ));
        }
        let head = 2.0 * self.batch as f64 * d * self.classes as f64;
        layers.push(layer(
            "head".into(),
            LayerKind::Output,
            head,
            d * self.classes as f64,
        ));
        Ok(Chain::new(self.name(), "s", layers).expect("finite costs and unique names"))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let vit = VisionTransformer {
        image: 224,
        patch: 16,
        dim: 1024,
        blocks: 24,
        classes: 1000,
        batch: 8,
        flops_per_second: 400e12,
    };
    let problem = ProblemSpec::new(vit.chain()?, 4)
        .with_micro_batches(16)
        .check()?;

    // Every algorithm but the MILP models, ranked by simulated step time.
    let settings = pipecut::SolverConfig::default().check()?;
    let algorithms: Vec<Box<dyn Partitioner>> = registry::ALGORITHMS
        .iter()
        .filter(|a| a.kind != registry::Kind::Milp)
        .map(|a| a.build(&settings))
        .collect();
    let result = Runner::new(&algorithms).compare(&vit.name(), &vit.name(), &problem);
    print!("{}", problem_markdown(&result));
    Ok(())
}
