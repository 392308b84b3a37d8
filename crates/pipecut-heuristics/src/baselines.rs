//! The framework baselines: what users get today from uniform splitting,
//! torchtitan, Megatron-LM, DeepSpeed, and a simple greedy fill.
//!
//! Each is a plain function returning the [`Partition`] plus a struct
//! implementing [`Partitioner`].

use std::time::Instant;

use pipecut_core::{
    Chain, LayerKind, Objective, Partition, Partitioner, Plan, Problem, Result, SolveInfo,
};

use crate::error::HeuristicError;
use crate::reference::first_true;

/// Builds the plan of a heuristic's partition (timing of the algorithm only).
pub(crate) fn heuristic_plan(
    problem: &Problem,
    partition: &Partition,
    name: &str,
    objective: Objective,
    started: Instant,
    notes: Vec<String>,
) -> Result<Plan> {
    let mut info = SolveInfo::heuristic(name, objective, started.elapsed().as_secs_f64());
    info.notes = notes;
    Ok(pipecut_sim::make_plan(problem, partition, info)?)
}

/// Layer counts as equal as possible; the first `N mod P` stages get one more.
///
/// ```
/// # use pipecut_core::{Chain, Layer, ProblemSpec};
/// let chain = Chain::new("c", "s", (0..10).map(|i| Layer::new(format!("l{i}"), 1.0, 1.0)).collect()).unwrap();
/// let problem = ProblemSpec::new(chain, 4).check().unwrap();
/// assert_eq!(pipecut_heuristics::uniform_partition(&problem).sizes(), vec![3, 3, 2, 2]);
/// ```
pub fn uniform_partition(problem: &Problem) -> Partition {
    let (n, p) = (problem.layers(), problem.stages());
    let sizes: Vec<usize> = (0..p).map(|k| n / p + usize::from(k < n % p)).collect();
    from_sizes(&sizes)
}

/// Sizes built by this module are non-empty and sum to `N` by construction.
fn from_sizes(sizes: &[usize]) -> Partition {
    Partition::from_sizes(sizes).unwrap_or_else(|e| unreachable!("baseline sizes {sizes:?}: {e}"))
}

/// The chain split by kind: `inputs` leading input layers, `blocks` block
/// layers, `outputs` trailing output layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindGroups {
    /// Leading `input` layers.
    pub inputs: usize,
    /// `block` layers between them.
    pub blocks: usize,
    /// Trailing `output` layers.
    pub outputs: usize,
}

/// Groups the chain's layers by kind; the kinds must come in the order
/// inputs, blocks, outputs (each group may be empty).
pub fn kind_groups(chain: &Chain) -> std::result::Result<KindGroups, HeuristicError> {
    let layers = chain.layers();
    let inputs = layers
        .iter()
        .take_while(|l| l.kind == LayerKind::Input)
        .count();
    let blocks = layers[inputs..]
        .iter()
        .take_while(|l| l.kind == LayerKind::Block)
        .count();
    let outputs = layers.len() - inputs - blocks;
    if let Some((offset, l)) = layers[inputs + blocks..]
        .iter()
        .enumerate()
        .find(|(_, l)| l.kind != LayerKind::Output)
    {
        return Err(HeuristicError::KindOrder {
            index: inputs + blocks + offset,
            name: l.name.clone(),
            kind: l.kind.as_str(),
        });
    }
    Ok(KindGroups {
        inputs,
        blocks,
        outputs,
    })
}

/// torchtitan's default split (`generate_llm_fqn_per_model_part`), with its
/// errors.
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
/// blocks only), likewise for outputs. Layers are grouped by [`kind_groups`].
pub fn torchtitan_partition(
    problem: &Problem,
    input_weight: usize,
    output_weight: usize,
) -> std::result::Result<Partition, HeuristicError> {
    let g = kind_groups(problem.chain())?;
    let p = problem.stages();
    if p == 1 {
        return Ok(from_sizes(&[problem.layers()]));
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
    Ok(from_sizes(&sizes))
}

/// Megatron-LM's split: blocks divided evenly over the stages (error when
/// they do not divide), the input layers with the first stage, the output
/// layers with the last.
pub fn megatron_partition(problem: &Problem) -> std::result::Result<Partition, HeuristicError> {
    let g = kind_groups(problem.chain())?;
    let p = problem.stages();
    if p == 1 {
        return Ok(from_sizes(&[problem.layers()]));
    }
    if g.blocks == 0 {
        return Err(HeuristicError::MegatronNoBlocks { stages: p });
    }
    if g.blocks % p != 0 {
        return Err(HeuristicError::MegatronNotDivisible {
            blocks: g.blocks,
            stages: p,
        });
    }
    let per = g.blocks / p;
    let mut sizes = vec![per; p];
    sizes[0] += g.inputs;
    sizes[p - 1] += g.outputs;
    Ok(from_sizes(&sizes))
}

/// DeepSpeed's `partition_method="parameters"` (`partition_balanced` in
/// `deepspeed.runtime.utils`), reproduced faithfully, not improved.
///
/// Weights are the layers' `param_bytes`. A DP over (prefix length `i`, parts
/// `j`) keeps, per state, the single choice of the last part's start `k` that
/// minimises `max part - min part` of the partition so far (`>=`: ties go to
/// the later `k`); a one-part prefix has its own sum as both its max and its
/// min. The split is read back from the stored choices. DeepSpeed starts `k`
/// at 0 for every `j`; a `k` whose prefix cannot hold `j - 1` parts has an
/// infinite cost there and is always overridden by a feasible one (which
/// comes later), so only feasible `k` are visited here: same result.
/// Arithmetic is exact (`u64`); DeepSpeed's float64 agrees whenever the sums
/// stay below 2^53. The original scans every `k` (`O(N^2 P)`); here each
/// state's scan is pruned by bounds that can only skip candidates that lose,
/// so the choice is the same (a test compares with a literal port). Not
/// exact for the largest part: see the crate tests.
pub fn deepspeed_partition(problem: &Problem) -> Partition {
    let weights: Vec<u64> = problem
        .chain()
        .layers()
        .iter()
        .map(|l| l.param_bytes)
        .collect();
    deepspeed_balanced(&weights, problem.stages())
}

/// [`deepspeed_partition`] on raw weights (`1 <= parts <= weights.len()`).
pub fn deepspeed_balanced(weights: &[u64], parts: usize) -> Partition {
    let n = weights.len();
    let m = parts.clamp(1, n.max(1));
    let mut prefix = vec![0u64; n + 1];
    for (i, w) in weights.iter().enumerate() {
        // Checked problems prove the total fits in u64; saturate otherwise.
        prefix[i + 1] = prefix[i].saturating_add(*w);
    }
    let idx = |i: usize, j: usize| i * (m + 1) + j;
    let mut dp_max = vec![0u64; (n + 1) * (m + 1)];
    let mut dp_min = vec![0u64; (n + 1) * (m + 1)];
    let mut position = vec![0usize; (n + 1) * (m + 1)];
    for i in 1..=n {
        // One part: its own sum is both the max and the min (k = 0 only).
        dp_max[idx(i, 1)] = prefix[i];
        dp_min[idx(i, 1)] = prefix[i];
        for j in 2..=i.min(m) {
            // Candidates k in j-1..i. The prefix 0..k in j-1 parts has a min
            // part <= W[k] / (j-1) <= its max part, so
            //   cost(k) >= part - floor(W[k] / (j-1))   (grows as k falls),
            //   cost(k) >= ceil(W[k] / (j-1)) - part    (grows as k rises).
            // First the least cost: scan outwards from where the two bounds
            // cross, each side stopping once its bound reaches the best.
            // Then DeepSpeed's choice, the largest k of least cost: downwards
            // from the last k whose second bound still allows it.
            let parts_before = (j - 1) as u64;
            let low_bound =
                |k: usize| (prefix[i] - prefix[k]).saturating_sub(prefix[k] / parts_before);
            let high_bound = |k: usize| {
                prefix[k]
                    .div_ceil(parts_before)
                    .saturating_sub(prefix[i] - prefix[k])
            };
            let cost = |k: usize| {
                let part = prefix[i] - prefix[k];
                let max_sum = dp_max[idx(k, j - 1)].max(part);
                let min_sum = dp_min[idx(k, j - 1)].min(part);
                (max_sum - min_sum, max_sum, min_sum)
            };
            let cross = first_true(j - 1, i, |k| high_bound(k) >= low_bound(k));
            let mut least = u64::MAX;
            for k in cross..i {
                if high_bound(k) >= least || least == 0 {
                    break;
                }
                least = least.min(cost(k).0);
            }
            for k in (j - 1..cross).rev() {
                if low_bound(k) >= least || least == 0 {
                    break;
                }
                least = least.min(cost(k).0);
            }
            let last = first_true(j - 1, i, |k| high_bound(k) > least);
            let best = (j - 1..last)
                .rev()
                .map(|k| (k, cost(k)))
                .find(|(_, c)| c.0 == least)
                .map(|(k, (c, max_sum, min_sum))| (c, k, max_sum, min_sum));
            if let Some((_, k, max_sum, min_sum)) = best {
                dp_max[idx(i, j)] = max_sum;
                dp_min[idx(i, j)] = min_sum;
                position[idx(i, j)] = k;
            }
        }
    }
    let mut bounds = vec![n];
    for j in (1..=m).rev() {
        let end = *bounds.last().unwrap_or(&n);
        bounds.push(position[idx(end, j)]);
    }
    bounds.reverse();
    bounds.pop();
    Partition::new(bounds, n).unwrap_or_else(|e| unreachable!("deepspeed split: {e}"))
}

/// Relative slack when comparing a stage's fill with its target, so that
/// costs like `0.1` that sum with rounding error still fill a stage exactly.
const GREEDY_SLACK: f64 = 1e-9;

/// Greedy fill by `F + B`: stage `k` takes layers while its total stays
/// within its share of the chain's total, at least one layer, and never so
/// many that a later stage would be empty; the last stage takes the rest.
///
/// The share is `total / P` without speed factors; with them it is
/// `total * (1 / speed[k]) / sum_j (1 / speed[j])`, so every stage gets the
/// same compute *time* when the split is perfect. Communication and memory
/// are ignored (this is a baseline). A fill within a relative `1e-9` of the
/// share counts as within it.
pub fn greedy_partition(problem: &Problem) -> Partition {
    let layers = problem.chain().layers();
    let (n, p) = (layers.len(), problem.stages());
    let total: f64 = layers.iter().map(|l| l.cost()).sum();
    let inverse: Vec<f64> = (0..p).map(|k| 1.0 / problem.speed(k)).collect();
    let inverse_sum: f64 = inverse.iter().sum();
    let mut starts = Vec::with_capacity(p);
    let mut at = 0;
    for (k, inv) in inverse.iter().enumerate() {
        starts.push(at);
        if k + 1 == p {
            break;
        }
        let share = total * inv / inverse_sum;
        let limit = share + GREEDY_SLACK * total;
        // Leave one layer for each later stage.
        let last_end = n - (p - k - 1);
        let mut end = at + 1;
        let mut fill = layers[at].cost();
        while end < last_end && fill + layers[end].cost() <= limit {
            fill += layers[end].cost();
            end += 1;
        }
        at = end;
    }
    Partition::new(starts, n).unwrap_or_else(|e| unreachable!("greedy split: {e}"))
}

/// `uniform`: equal layer counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Uniform;

impl Partitioner for Uniform {
    fn name(&self) -> &str {
        "uniform"
    }
    fn description(&self) -> &str {
        "equal layer counts; the first N mod P stages get one more (ignores costs)"
    }
    fn solve(&self, problem: &Problem) -> Result<Plan> {
        let t = Instant::now();
        let partition = uniform_partition(problem);
        heuristic_plan(problem, &partition, self.name(), Objective::Rule, t, vec![])
    }
}

/// `torchtitan`: torchtitan's default split, see [`torchtitan_partition`].
#[derive(Debug, Clone, Copy)]
pub struct Torchtitan {
    /// Units the input layers count for (torchtitan default 1).
    pub input_weight: usize,
    /// Units the output layers count for (torchtitan default 1).
    pub output_weight: usize,
}

impl Default for Torchtitan {
    fn default() -> Self {
        Torchtitan {
            input_weight: 1,
            output_weight: 1,
        }
    }
}

impl Partitioner for Torchtitan {
    fn name(&self) -> &str {
        "torchtitan"
    }
    fn description(&self) -> &str {
        "torchtitan's default split: blocks + input/output weights spread evenly by count, with its errors"
    }
    fn solve(&self, problem: &Problem) -> Result<Plan> {
        let t = Instant::now();
        let partition = torchtitan_partition(problem, self.input_weight, self.output_weight)
            .map_err(|e| e.into_core(self.name()))?;
        heuristic_plan(problem, &partition, self.name(), Objective::Rule, t, vec![])
    }
}

/// `megatron`: Megatron-LM's even block split, see [`megatron_partition`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Megatron;

impl Partitioner for Megatron {
    fn name(&self) -> &str {
        "megatron"
    }
    fn description(&self) -> &str {
        "Megatron-LM's split: blocks evenly (must divide), inputs with the first stage, outputs with the last"
    }
    fn solve(&self, problem: &Problem) -> Result<Plan> {
        let t = Instant::now();
        let partition = megatron_partition(problem).map_err(|e| e.into_core(self.name()))?;
        heuristic_plan(problem, &partition, self.name(), Objective::Rule, t, vec![])
    }
}

/// `deepspeed`: DeepSpeed's `parameters` method, see [`deepspeed_partition`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DeepSpeed;

impl Partitioner for DeepSpeed {
    fn name(&self) -> &str {
        "deepspeed"
    }
    fn description(&self) -> &str {
        "DeepSpeed's partition_method=\"parameters\": its max-minus-min DP over param_bytes, faithfully (not exact)"
    }
    fn solve(&self, problem: &Problem) -> Result<Plan> {
        let t = Instant::now();
        let partition = deepspeed_partition(problem);
        heuristic_plan(problem, &partition, self.name(), Objective::Rule, t, vec![])
    }
}

/// `greedy`: fill each stage up to its share, see [`greedy_partition`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Greedy;

impl Partitioner for Greedy {
    fn name(&self) -> &str {
        "greedy"
    }
    fn description(&self) -> &str {
        "fill each stage with F+B up to its share of the total (speed-aware), never leaving a later stage empty"
    }
    fn solve(&self, problem: &Problem) -> Result<Plan> {
        let t = Instant::now();
        let partition = greedy_partition(problem);
        heuristic_plan(
            problem,
            &partition,
            self.name(),
            Objective::Bottleneck,
            t,
            vec![],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{Layer, ProblemSpec};

    fn transformer(blocks: usize) -> Chain {
        let mut layers = vec![Layer::new("tok_embeddings", 0.1, 0.2).with_kind(LayerKind::Input)];
        layers.extend((0..blocks).map(|i| Layer::new(format!("layers.{i}"), 1.0, 2.0)));
        layers.push(Layer::new("norm", 0.01, 0.02).with_kind(LayerKind::Output));
        layers.push(Layer::new("output", 3.0, 6.0).with_kind(LayerKind::Output));
        Chain::new("t", "ms", layers).unwrap()
    }

    fn problem(chain: Chain, p: usize) -> Problem {
        ProblemSpec::new(chain, p).check().unwrap()
    }

    #[test]
    fn torchtitan_acceptance_twelve_blocks_four_stages() {
        let pr = problem(transformer(12), 4);
        let part = torchtitan_partition(&pr, 1, 1).unwrap();
        assert_eq!(part.starts(), &[0, 4, 8, 11]);
        let plan = Torchtitan::default().solve(&pr).unwrap();
        assert_eq!(plan.starts, vec![0, 4, 8, 11]);
        assert_eq!(
            plan.stages[3].names,
            vec!["layers.10", "layers.11", "norm", "output"]
        );
        assert_eq!(plan.status, pipecut_core::Status::Heuristic);
    }

    #[test]
    fn torchtitan_errors() {
        // P > E: 2 blocks + 1 + 1 = 4 effective layers, 5 stages.
        let pr = problem(transformer(2), 5);
        assert!(matches!(
            torchtitan_partition(&pr, 1, 1),
            Err(HeuristicError::TorchtitanTooManyStages {
                stages: 5,
                effective_layers: 4
            })
        ));
        // input_weight > base: E = 6 + 3 + 1 = 10, P = 4, base = 2.
        let pr = problem(transformer(6), 4);
        assert!(matches!(
            torchtitan_partition(&pr, 3, 1),
            Err(HeuristicError::TorchtitanWeightExceedsBase {
                field: "input_weight",
                weight: 3,
                base: 2
            })
        ));
        // output_weight > base.
        assert!(matches!(
            torchtitan_partition(&pr, 1, 3),
            Err(HeuristicError::TorchtitanWeightExceedsBase {
                field: "output_weight",
                weight: 3,
                base: 2
            })
        ));
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
    fn torchtitan_without_input_or_output_layers() {
        let blocks = Chain::new(
            "b",
            "s",
            (0..7)
                .map(|i| Layer::new(format!("l{i}"), 1.0, 1.0))
                .collect(),
        )
        .unwrap();
        // No inputs or outputs: both weights count 0, E = 7, base 1, extra 3.
        let part = torchtitan_partition(&problem(blocks, 4), 1, 1).unwrap();
        assert_eq!(part.sizes(), vec![2, 2, 2, 1]);
        // P = 1 never errors.
        let part = torchtitan_partition(&problem(transformer(1), 1), 5, 5).unwrap();
        assert_eq!(part.starts(), &[0]);
    }

    #[test]
    fn kind_order_is_checked() {
        let layers = vec![
            Layer::new("a", 1.0, 1.0),
            Layer::new("emb", 1.0, 1.0).with_kind(LayerKind::Input),
            Layer::new("b", 1.0, 1.0),
        ];
        let pr = problem(Chain::new("k", "s", layers).unwrap(), 2);
        assert!(matches!(
            megatron_partition(&pr),
            Err(HeuristicError::KindOrder {
                index: 1,
                kind: "input",
                ..
            })
        ));
    }

    #[test]
    fn megatron_split_and_errors() {
        let pr = problem(transformer(12), 4);
        // [emb L0-2] [L3-5] [L6-8] [L9-11 norm output]
        assert_eq!(megatron_partition(&pr).unwrap().sizes(), vec![4, 3, 3, 5]);
        let pr = problem(transformer(10), 4);
        assert!(matches!(
            megatron_partition(&pr),
            Err(HeuristicError::MegatronNotDivisible {
                blocks: 10,
                stages: 4
            })
        ));
        let pr = problem(transformer(0), 2);
        assert!(matches!(
            megatron_partition(&pr),
            Err(HeuristicError::MegatronNoBlocks { stages: 2 })
        ));
    }

    #[test]
    fn deepspeed_hand_example() {
        // Weights 1..=6 in 3 parts: [1 2 3] [4 5] [6], sums 6, 9, 6 (max - min
        // = 3). Prefix (5 items, 2 parts) keeps [1 2 3][4 5] (9 - 6 = 3) over
        // [1 2 3 4][5] (10 - 5 = 5), and the last part [6] keeps the spread at 3.
        let w = [1u64, 2, 3, 4, 5, 6];
        let got = deepspeed_balanced(&w, 3);
        assert_eq!(got.starts(), &[0, 3, 5]);
        // One part per item when parts == items.
        assert_eq!(deepspeed_balanced(&w, 6).starts(), &[0, 1, 2, 3, 4, 5]);
        // Zero weights: every tie goes to the later split point.
        assert_eq!(deepspeed_balanced(&[0; 5], 3).starts(), &[0, 3, 4]);
    }

    #[test]
    fn greedy_fills_up_to_share() {
        let chain = Chain::new(
            "g",
            "s",
            (0..5)
                .map(|i| Layer::new(format!("l{i}"), 0.5, 0.5))
                .collect(),
        )
        .unwrap();
        // Total 5, share 2.5: stage 0 takes 2 layers, the last the rest.
        assert_eq!(
            greedy_partition(&problem(chain.clone(), 2)).sizes(),
            vec![2, 3]
        );
        // Speeds 1 and 4: shares 4 and 1.
        let pr = ProblemSpec::new(chain, 2)
            .with_speeds(vec![1.0, 4.0])
            .check()
            .unwrap();
        assert_eq!(greedy_partition(&pr).sizes(), vec![4, 1]);
        // 0.1-valued costs that sum with rounding error still fill exactly.
        let tenth = Chain::new(
            "t",
            "s",
            (0..10)
                .map(|i| Layer::new(format!("l{i}"), 0.1, 0.0))
                .collect(),
        )
        .unwrap();
        assert_eq!(greedy_partition(&problem(tenth, 5)).sizes(), vec![2; 5]);
    }
}
