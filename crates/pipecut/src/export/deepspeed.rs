//! DeepSpeed's `PipelineModule` part boundaries.

use crate::core::Plan;

/// DeepSpeed's part boundaries `[0, s1, ..., N]` (stage `k` holds layers
/// `parts[k]..parts[k+1]`).
pub fn deepspeed_parts(plan: &Plan) -> Vec<usize> {
    let mut parts = plan.starts().to_vec();
    parts.push(plan.partition.layers());
    parts
}
