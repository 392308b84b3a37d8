//! `torchtitan`: torchtitan's default split (`generate_llm_fqn_per_model_part`),
//! with its errors.

use pipecut_core::{Partition, Problem};

use crate::error::HeuristicError;
use crate::layer_groups::kind_groups;

/// torchtitan's default split, with its errors.
///
/// `E = blocks + input_weight + output_weight`; `base = E / P`,
/// `extra = E mod P`; stage `i` gets `base + 1` units if `i < extra`, else
/// `base`. Stage 0's units include the input layers (counted as
/// `input_weight`), the last stage's the output layers (counted as
/// `output_weight`); every other unit is one block. Errors as torchtitan:
/// `P > E`, or a weight above `base`. With `P = 1` torchtitan puts everything
/// on the one stage without any check, and so does this.
///
/// **Chains without input (or output) layers**: torchtitan always has
/// `tok_embeddings` and `norm`/`output`. pipecut counts a weight only when its
/// group exists: with no `input` layers the input weight is 0 (stage 0 holds
/// blocks only), likewise for outputs. Layers are grouped by
/// [`kind_groups`](crate::kind_groups).
pub fn torchtitan_partition(
    problem: &Problem,
    input_weight: usize,
    output_weight: usize,
) -> std::result::Result<Partition, HeuristicError> {
    let g = kind_groups(problem.chain())?;
    let p = problem.stages();
    if p == 1 {
        return Ok(Partition::from_sizes(&[problem.layers()])?);
    }
    let w_in = if g.inputs > 0 { input_weight } else { 0 };
    let w_out = if g.outputs > 0 { output_weight } else { 0 };
    let effective = g.blocks + w_in + w_out;
    if p > effective {
        return Err(HeuristicError::TorchtitanTooManyStages {
            stages: p,
            effective_layers: effective,
        });
    }
    let base = effective / p;
    let extra = effective % p;
    for (field, weight) in [("input_weight", w_in), ("output_weight", w_out)] {
        if weight > base {
            return Err(HeuristicError::TorchtitanWeightExceedsBase {
                field,
                weight,
                base,
            });
        }
    }
    let units = |k: usize| base + usize::from(k < extra);
    let sizes: Vec<usize> = (0..p)
        .map(|k| {
            if k == 0 {
                g.inputs + units(0) - w_in
            } else if k == p - 1 {
                units(k) - w_out + g.outputs
            } else {
                units(k)
            }
        })
        .collect();
    Ok(Partition::from_sizes(&sizes)?)
}

/// `torchtitan`: torchtitan's default split, see [`torchtitan_partition`].
#[derive(Debug, Clone, Copy)]
pub struct Torchtitan {
    /// Units the input layers count for (torchtitan default 1).
    pub input_weight: usize,
    /// Units the output layers count for (torchtitan default 1).
    pub output_weight: usize,
}

rule_partitioner! {
    Torchtitan = "torchtitan", pipecut_core::Objective::Rule, |t, problem| torchtitan_partition(problem, t.input_weight, t.output_weight),
    "torchtitan's default split: blocks + input/output weights spread evenly by count, with its errors"
}

impl Default for Torchtitan {
    fn default() -> Self {
        Torchtitan {
            input_weight: 1,
            output_weight: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::Partitioner;
    use pipecut_sim::PlanExt;
    use pipecut_testkit::{llama_like, problem, uniform};

    #[test]
    fn twelve_blocks_four_stages() {
        let pr = problem(llama_like(12, 3.0), 4, 1);
        let part = torchtitan_partition(&pr, 1, 1).unwrap();
        assert_eq!(part.starts(), &[0, 4, 8, 11]);
        let plan = Torchtitan::default().plan(&pr).unwrap();
        assert_eq!(plan.starts(), &[0, 4, 8, 11]);
        assert_eq!(
            plan.stage_names(3),
            ["layers.10", "layers.11", "norm", "output"]
        );
        assert_eq!(plan.status, pipecut_core::Status::Heuristic);
    }

    #[test]
    fn errors() {
        // P > E: 2 blocks + 1 + 1 = 4 effective layers, 5 stages.
        let pr = problem(llama_like(2, 3.0), 5, 1);
        assert!(matches!(
            torchtitan_partition(&pr, 1, 1),
            Err(HeuristicError::TorchtitanTooManyStages {
                stages: 5,
                effective_layers: 4
            })
        ));
        // input_weight > base: E = 6 + 3 + 1 = 10, P = 4, base = 2.
        let pr = problem(llama_like(6, 3.0), 4, 1);
        for (input, output, wanted) in [(3, 1, "input_weight"), (1, 3, "output_weight")] {
            let err = torchtitan_partition(&pr, input, output);
            assert!(
                matches!(err, Err(HeuristicError::TorchtitanWeightExceedsBase { field, weight: 3, base: 2 })
                    if field == wanted),
                "{err:?}"
            );
        }
        // Through the Partitioner: a Solver error naming the algorithm.
        let err = Torchtitan {
            input_weight: 3,
            output_weight: 1,
        }
        .solve(&pr)
        .unwrap_err();
        assert!(
            matches!(&err, pipecut_core::Error::Solver { algorithm, .. } if algorithm == "torchtitan")
        );
        assert!(err.to_string().contains("input_weight"));
    }

    #[test]
    fn without_input_or_output_layers() {
        // No inputs or outputs: both weights count 0, E = 7, base 1, extra 3.
        let part = torchtitan_partition(&problem(uniform(7, 1.0, 1.0), 4, 1), 1, 1).unwrap();
        assert_eq!(part.sizes(), vec![2, 2, 2, 1]);
        // P = 1 never errors.
        let part = torchtitan_partition(&problem(llama_like(1, 3.0), 1, 1), 5, 5).unwrap();
        assert_eq!(part.starts(), &[0]);
    }
}
