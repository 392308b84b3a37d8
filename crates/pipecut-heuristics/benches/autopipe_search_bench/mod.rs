//! The measurement both benches take of `autopipe`: its simulated search
//! under the default evaluation budget.

use criterion::measurement::WallTime;
use criterion::{black_box, BenchmarkGroup, BenchmarkId};
use pipecut_core::Problem;
use pipecut_heuristics::{autopipe_search, DEFAULT_MAX_EVALUATIONS};

/// Times `autopipe_search` on `problem` as `id` in `group`.
pub fn bench_autopipe_search(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    problem: &Problem,
) {
    group.bench_with_input(id, problem, |bench, problem| {
        bench.iter(|| autopipe_search(black_box(problem), DEFAULT_MAX_EVALUATIONS))
    });
}
