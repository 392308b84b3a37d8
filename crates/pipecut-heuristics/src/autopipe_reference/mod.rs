//! `autopipe-reference`: the reference AutoPipe (torchtitan's `autopartition`
//! experiment, from Merak), its five steps on exact arithmetic.
//!
//! 1. DP over prefix sums of `w = F + B`: `dp[i][p] = min_{j<i} max(dp[j][p-1],
//!    W[i] - W[j])`, `dp[0][0] = 0`, every other `dp[j][0]` infinite
//!    (an explicit infinity: `None`) ([`DpTable`]).
//! 2. Reconstruction from the last stage backwards, taking the smallest `j`
//!    that attains `dp[i][p]` ([`DpTable::reconstruct`]).
//! 3. The reference's own 1F1B timing model ([`reference_model`]): `M = 2S`
//!    micro-batches, no communication, the critical stage and the cool-down.
//! 4. Breadth-first search from the DP partition with a visited set; a
//!    strictly smaller model time wins ([`autopipe_reference_search`]).
//! 5. The stage starts.
//!
//! Each partition yields at most one move, so the search is a path that ends
//! at `c = 0`, a skipped move or a repeat (the visited set); like the
//! reference it has no other limit, and in practice it takes a handful of
//! evaluations (at most 13 in 4,000 random chains of up to 40 layers).
//!
//! **The one deliberate deviation**: when the critical stage holds a single
//! layer the reference's move empties it (undefined behaviour in the
//! original); here that move is skipped and counted
//! ([`ReferenceSearch::skipped_moves`], and a note in the solution).
//!
//! **Arithmetic.** The reference works on integer costs. pipecut scales the
//! given `f64` costs *exactly* to integers: every finite double is
//! `m * 2^e`; all costs are multiplied by `2^-e_min` (the smallest exponent
//! among the non-zero costs), which makes each an integer held in `u128`,
//! and every comparison, tie and critical-stage test is then exact and
//! invariant under scaling the costs. Before running, the largest value the
//! model can produce (`(4S + 4) * sum(F + B)`) is checked to fit in `u128`,
//! so no sum can overflow. Integer costs below 2^64 always take this path.
//! Only when the costs span a range too wide for 128 bits (e.g. `1e-300` next
//! to `1e300`) does the same logic run on the given `f64` numbers (noted in
//! [`ReferenceSearch::arithmetic`]); the critical-stage tests stay exact
//! there too because they compare a `max` with one of its own operands.
//!
//! **No idle-free stage.** The reference raises an error when no stage
//! passes its critical-stage test; pipecut then takes stage 0 (whose
//! forwards never wait on a predecessor) and reports it in
//! [`ModelTime::idle_free`].
//!
//! Files: `arithmetic` (the [`Scalar`] numbers and the exact scaling),
//! `timing_model` (step 3), `dp_table` (steps 1-2), `search` (steps 4-5).

mod arithmetic;
mod dp_table;
mod search;
mod timing_model;

pub use arithmetic::{Arithmetic, Scalar};
pub use dp_table::DpTable;
pub use search::{autopipe_reference_search, reference_step_time, ReferenceSearch};
pub use timing_model::{reference_model, ModelTime};

use pipecut_core::format::number;
use pipecut_core::{Objective, Partitioner, Problem, Result, Solution};

/// `autopipe-reference`: the reference AutoPipe, see the module docs.
/// Ignores the problem's `M`, schedule, link, speeds and memory, as the
/// reference does (the plan is still simulated on the real problem).
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoPipeReference;

impl AutoPipeReference {
    /// Name on the command line.
    pub const NAME: &'static str = "autopipe-reference";
    /// What it does.
    pub const DESCRIPTION: &'static str = "the reference AutoPipe, faithfully: F+B DP, its own 1F1B model (M = 2P, no comm), critical-stage BFS; exact integers";
}

impl Partitioner for AutoPipeReference {
    pipecut_core::partitioner_names!();
    fn solve(&self, problem: &Problem) -> Result<Solution> {
        let chain = problem.chain();
        let r = autopipe_reference_search(&chain.forwards(), &chain.backwards(), problem.stages())
            .map_err(|e| e.into_core(Self::NAME))?;
        let mut notes = vec![format!(
            "objective: the reference's own 1F1B model (M = {}, no communication, speeds ignored): DP start {} -> {} after {} evaluations",
            2 * problem.stages(),
            number(r.start_time),
            number(r.best_time),
            r.evaluations
        )];
        if r.skipped_moves > 0 {
            notes.push(format!(
                "skipped {} move(s) that would have emptied a single-layer critical stage (the reference's undefined behaviour)",
                r.skipped_moves
            ));
        }
        if r.no_idle_free_stage > 0 {
            notes.push(format!(
                "{} partition(s) had no idle-free stage (the reference raises an error); stage 0 was taken as critical",
                r.no_idle_free_stage
            ));
        }
        if r.arithmetic == Arithmetic::Float {
            notes.push(
                "costs span too wide a range for exact 128-bit scaling; the reference logic ran on the given f64 numbers"
                    .into(),
            );
        }
        Ok(Solution::heuristic(r.best, Objective::StepTime).with_notes(notes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_sim::PlanExt;
    use pipecut_testkit::{layers, problem};

    #[test]
    fn single_layer_critical_stage_move_is_skipped() {
        // 7 equal layers and a heavy last one, 4 stages: the heavy layer is a
        // stage of its own and critical; the reference would empty it.
        let mut f = vec![1.0; 7];
        f.push(10.0);
        let b: Vec<f64> = f.iter().map(|x| 2.0 * x).collect();
        let r = autopipe_reference_search(&f, &b, 4).unwrap();
        assert_eq!(r.best.stages(), 4);
        let chain = layers(f.iter().zip(&b).map(|(&x, &y)| (x, y, 0, 0, 0)));
        let plan = AutoPipeReference.plan(&problem(chain, 4, 1)).unwrap();
        assert_eq!(plan.starts(), r.best.starts());
        assert!(plan
            .notes
            .iter()
            .any(|n| n.contains("single-layer critical stage")));
        assert_eq!(r.best.range(3), 7..8);
        assert!(r.skipped_moves >= 1);
        assert!(r.best_time <= r.start_time);
    }

    #[test]
    fn notes_print_short_numbers() {
        let chain = pipecut_testkit::chain(&[(1e-300, 0.0), (1e300, 0.0), (1.0, 0.0)]);
        let solution = AutoPipeReference.solve(&problem(chain, 2, 1)).unwrap();
        assert!(
            solution.notes[0].contains("e300 after"),
            "{:?}",
            solution.notes
        );
        assert!(solution.notes.iter().any(|n| n.contains("f64 numbers")));
    }
}
